package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/leakdesk/leakdesk/internal/csvimport"
)

// API twins of the two uploads (issue 17): the affected-person CSV (preview, then commit, as the
// page does) and evidence files. The checks are the page's: csvimport.Parse and the register's
// preview/import, CheckEvidence and casework.AttachEvidence.

type apiImportPreview struct {
	Upload   string `json:"upload"` // pass to .../import/commit within an hour
	Rows     int    `json:"rows"`
	Add      int    `json:"add"`
	Present  int    `json:"present"`
	Encoding string `json:"encoding"`
	Ignored  int    `json:"ignored"`
}

// apiPersonImport reads a CSV body (text/csv), checks every row and, when all are good, stages it
// and answers what a commit would add; bad rows are 422 with one error per row and field, and
// nothing is staged.
func (s *Server) apiPersonImport(w http.ResponseWriter, r *http.Request) {
	caseID, _, ok := s.personCase(w, r)
	if !ok {
		return
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, csvimport.DefaultMaxBytes+1))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		s.fail(w, r, http.StatusRequestEntityTooLarge, errTooLarge)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	res, err := csvimport.Parse(bytes.NewReader(b), csvimport.Options{})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if !res.OK() {
		ue := &uiError{Code: "invalid", JA: fmt.Sprintf("CSV に誤りがあります（%d件）。何も取り込んでいません。", res.ErrorCount),
			EN: fmt.Sprintf("The CSV has %d errors; nothing was imported.", res.ErrorCount)}
		for _, e := range res.Errors {
			ue.Fields = append(ue.Fields, fieldError{Field: fmt.Sprintf("line %d: %s", e.Line, e.Field), JA: e.JA, EN: e.EN})
		}
		s.fail(w, r, http.StatusUnprocessableEntity, ue)
		return
	}
	rows := personData(res.Rows)
	out := apiImportPreview{Rows: res.DataLines, Encoding: res.Encoding, Ignored: len(res.Ignored)}
	if out.Add, out.Present, err = s.store.PreviewPersonImport(r.Context(), s.keys, caseID, rows); err != nil {
		s.serverError(w, r, err)
		return
	}
	if out.Upload, err = s.store.SaveImportUpload(r.Context(), s.keys, caseID, currentUser(r.Context()).ID, b, time.Hour); err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

type apiImportCommitIn struct {
	Upload string `json:"upload"`
}

// apiPersonImportCommit imports a staged upload of the same user, as the page's commit does.
func (s *Server) apiPersonImportCommit(w http.ResponseWriter, r *http.Request) {
	caseID, _, ok := s.personCase(w, r)
	if !ok {
		return
	}
	var in apiImportCommitIn
	if status, ue := decodeJSON(r, &in); ue != nil {
		s.fail(w, r, status, ue)
		return
	}
	out, ok := s.commitStagedImport(w, r, caseID, in.Upload)
	if !ok {
		return
	}
	writeJSON(w, http.StatusCreated, map[string]int{"added": out.Added, "present": out.Present})
}

// apiAttachEvidence is postEvidence's twin: multipart (file, stage, note) with the case version in
// If-Match; the answer is the evidence row with its SHA-256.
func (s *Server) apiAttachEvidence(w http.ResponseWriter, r *http.Request) {
	c, a, version, ok := s.writeTarget(w, r)
	if !ok {
		return
	}
	stage, ok := s.evidenceStage(w, r, a, c)
	if !ok {
		return
	}
	up, ok := s.readEvidenceUpload(w, r)
	if !ok {
		return
	}
	nc, ev, err := s.svc.AttachEvidence(r.Context(), c.ID, version, a, stage, up.name, up.contentType, r.FormValue("note"), up.data)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	w.Header().Set("ETag", strconv.FormatInt(nc.Version, 10))
	w.Header().Set("Location", fmt.Sprintf("/api/v1/cases/%d/evidence/%d", nc.ID, ev.ID))
	writeJSON(w, http.StatusCreated, apiEvidence{ID: ev.ID, Stage: ev.Stage, Name: ev.Name, Size: ev.Size, ContentType: ev.ContentType,
		SHA256: ev.SHA256, Note: ev.Note, At: ev.At, By: ev.By})
}
