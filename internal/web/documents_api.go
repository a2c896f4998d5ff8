package web

import (
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/leakdesk/leakdesk/internal/documents"
)

// API twins of the document forms (issue 17). They are thin on purpose: the JSON becomes the form
// the page posts and the page's handler runs (postDocument, postDocumentFinalise — the same
// checks, store calls and errors), answering JSON instead of a redirect. Finalising is an approval
// request (document_approve.go): the answer names the request, approved with the ordinary
// /api/v1/requests/{rid}/approve.

type apiDocument struct {
	CaseID      int64             `json:"case_id"`
	Kind        string            `json:"kind"`
	Version     int               `json:"version"`
	Status      string            `json:"status"` // draft, final
	Title       string            `json:"title"`
	Edits       map[string]string `json:"edits"`
	SHA256      string            `json:"sha256,omitempty"` // final only: of the frozen document
	FinalisedAt *time.Time        `json:"finalised_at,omitempty"`
	RequestID   int64             `json:"request_id,omitempty"` // the finalisation request
	Approval    string            `json:"approval,omitempty"`   // its state: pending, approved, sent_back
}

func apiDocumentOf(caseID int64, k documents.Kind, rec *documents.Record) apiDocument {
	out := apiDocument{CaseID: caseID, Kind: string(k), Version: rec.Version, Status: rec.Status, Title: rec.Title, Edits: rec.Edits, FinalisedAt: rec.FinalisedAt}
	if out.Edits == nil {
		out.Edits = map[string]string{}
	}
	if len(rec.SHA256) > 0 {
		out.SHA256 = hex.EncodeToString(rec.SHA256)
	}
	return out
}

type apiDocumentIn struct {
	Edits      map[string]string `json:"edits"`       // editable sections by key, as the form's edit_<key>
	NewVersion bool              `json:"new_version"` // start a new draft after a final version
}

func (s *Server) apiSaveDocument(w http.ResponseWriter, r *http.Request) {
	var in apiDocumentIn
	if status, ue := decodeJSON(r, &in); ue != nil {
		s.fail(w, r, status, ue)
		return
	}
	form := url.Values{}
	for k, v := range in.Edits {
		form.Set("edit_"+k, v)
	}
	if in.NewVersion {
		form.Set("new_version", "true")
	}
	r.PostForm, r.Form = form, form
	s.postDocument(w, r)
}

type apiFinaliseIn struct {
	Version int    `json:"version"` // the draft's version; 0: the current one
	Note    string `json:"note"`    // for the approvers (optional)
}

func (s *Server) apiFinaliseDocument(w http.ResponseWriter, r *http.Request) {
	var in apiFinaliseIn
	if status, ue := decodeJSON(r, &in); ue != nil {
		s.fail(w, r, status, ue)
		return
	}
	form := url.Values{"doc_version": {strconv.Itoa(in.Version)}, "note": {in.Note}}
	r.PostForm, r.Form = form, form
	s.postDocumentFinalise(w, r)
}
