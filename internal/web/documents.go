package web

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/documents"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/pdf"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// Who may do what with documents: every case reader reads them (loadCase); staff, managers and the
// privacy officer edit drafts and ask for a version to be finalised, which the approvers of the
// document's policy row approve (document_approve.go): a finalised document is what the company
// files or sends.
func canEditDocs(a incident.Actor) bool {
	return !a.Has(incident.RoleAuditor) && (a.Has(incident.RoleStaff) || a.Has(incident.RoleManager) || a.Has(incident.RolePrivacyOfficer))
}

const maxDocText = 20000

var errDocNotEditable = &uiError{Code: "forbidden", JA: "文書を編集・確定する権限がありません。", EN: "You may not edit or finalise documents."}

func docKind(r *http.Request) (documents.Kind, bool) {
	k := documents.Kind(chi.URLParam(r, "kind"))
	return k, k.Valid()
}

// getDocuments opens the first document of the case.
func (s *Server) getDocuments(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.loadCase(w, r, "")
	if !ok {
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/cases/%d/documents/%s", c.ID, documents.ReportPrelim), http.StatusSeeOther)
}

// docState is the document to show: a final version as frozen, or the draft (saved or not)
// generated from the current facts and its edits.
type docState struct {
	doc    documents.Doc
	rec    *documents.Record
	status string // none, draft, final
}

func (s *Server) currentDoc(ctx context.Context, c *incident.Case, k documents.Kind, version string) (docState, error) {
	var rec *documents.Record
	var err error
	if version != "" {
		v, perr := strconv.Atoi(version)
		if perr != nil || v < 1 {
			return docState{}, incident.NotFound("この版の文書はありません。", "No such document version.")
		}
		rec, err = s.store.Document(ctx, c.ID, k, v)
	} else {
		rec, err = s.store.LatestDocument(ctx, c.ID, k)
	}
	if err != nil {
		return docState{}, err
	}
	if rec != nil && rec.Status == "final" && rec.Doc != nil {
		return docState{doc: *rec.Doc, rec: rec, status: "final"}, nil
	}
	var edits map[string]string
	st := "none"
	if rec != nil {
		edits, st = rec.Edits, "draft"
	}
	d, err := s.generateDoc(ctx, c, k, edits)
	return docState{doc: d, rec: rec, status: st}, err
}

func (s *Server) generateDoc(ctx context.Context, c *incident.Case, k documents.Kind, edits map[string]string) (documents.Doc, error) {
	now := s.now()
	a, err := s.svc.Assess(ctx, c, now)
	if err != nil {
		return documents.Doc{}, err
	}
	return documents.Generate(k, documents.Input{Case: c, Law: a, Edits: edits, Now: now, Company: s.cfg.Company}), nil
}

func (s *Server) getDocument(w http.ResponseWriter, r *http.Request) {
	k, ok := docKind(r)
	if !ok {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return
	}
	c, a, ok := s.loadCase(w, r, "document_"+string(k))
	if !ok {
		return
	}
	ds, err := s.currentDoc(r.Context(), c, k, r.URL.Query().Get("version"))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	ja, en := k.Label()
	page := view.DocPage{CaseID: c.ID, Number: c.Number, Kind: string(k), KindJA: ja, KindEN: en, Doc: docView(ds.doc),
		Status: ds.status, CanEdit: canEditDocs(a) && c.Status == incident.StatusOpen}
	if err := s.docApproval(r.Context(), r, c, a, k, ds, &page); err != nil {
		s.serverError(w, r, err)
		return
	}
	if ds.rec != nil {
		page.Version = ds.rec.Version
		if ds.status == "final" {
			page.SHA256 = hex.EncodeToString(ds.rec.SHA256)
			page.Verified = documents.Verify(ds.rec)
		}
	}
	finals, err := s.store.FinalDocuments(r.Context(), c.ID, k)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, f := range finals {
		by := ""
		if u, err := s.store.UserByID(r.Context(), f.FinalisedBy); err == nil {
			by = u.Name
		}
		at := ""
		if f.FinalisedAt != nil {
			at = view.JST(*f.FinalisedAt)
		}
		page.Finals = append(page.Finals, view.DocVersion{Version: f.Version, SHA256: hex.EncodeToString(f.SHA256), At: at, By: by})
	}
	for _, kk := range documents.Kinds {
		kja, ken := kk.Label()
		link := view.DocKindLink{Kind: string(kk), JA: kja, EN: ken}
		if kk == k {
			link.Status = ds.status
		}
		page.Kinds = append(page.Kinds, link)
	}
	p := s.page(r, c.Number+" "+ja, c.Number+" "+en)
	s.render(w, r, http.StatusOK, p, view.DocumentPage(p, page))
}

// postDocument saves the free-text parts into the draft (or starts a new version after a final one).
func (s *Server) postDocument(w http.ResponseWriter, r *http.Request) {
	k, ok := docKind(r)
	if !ok {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return
	}
	c, a, ok := s.loadCase(w, r, "")
	if !ok {
		return
	}
	if !canEditDocs(a) { // loadCase refused those involved (incident.CanRead)
		s.fail(w, r, http.StatusForbidden, errDocNotEditable)
		return
	}
	_ = r.ParseForm() // usually parsed already by the CSRF check
	if c.Status != incident.StatusOpen {
		s.failErr(w, r, incident.Conflict("この案件は終了しています。", "the case is closed"))
		return
	}
	latest, err := s.store.LatestDocument(r.Context(), c.ID, k)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	edits := map[string]string{}
	if latest != nil {
		for key, v := range latest.Edits {
			edits[key] = v
		}
	}
	if r.PostForm.Get("new_version") == "" {
		blank := documents.Generate(k, documents.Input{Case: c, Law: appi.Assessment{}, Now: s.now(), Company: s.cfg.Company})
		for _, sec := range blank.Editables() {
			v, present := r.PostForm["edit_"+sec.Key]
			if !present {
				continue
			}
			if utf8.RuneCountInString(v[0]) > maxDocText {
				s.fail(w, r, http.StatusUnprocessableEntity, &uiError{Code: "invalid",
					JA: fmt.Sprintf("「%s」は%d文字以内で入力してください。", sec.Heading, maxDocText),
					EN: fmt.Sprintf("%q: at most %d characters.", sec.Heading, maxDocText), Fields: []fieldError{{Field: "edit_" + sec.Key}}})
				return
			}
			edits[sec.Key] = v[0]
		}
	}
	d, err := s.generateDoc(r.Context(), c, k, edits)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	rec, err := s.store.SaveDocumentDraft(r.Context(), c.ID, k, d.Title, edits, a.UserID, s.now())
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	if isAPI(r) { // the API twin (documents_api.go)
		writeJSON(w, http.StatusOK, apiDocumentOf(c.ID, k, rec))
		return
	}
	s.flash(r, flashSuccess, "下書きを保存しました。", "Draft saved.")
	http.Redirect(w, r, fmt.Sprintf("/cases/%d/documents/%s", c.ID, k), http.StatusSeeOther)
}

// getDocumentPDF prints the document (the final version asked for, or the current draft) to A4 PDF.
func (s *Server) getDocumentPDF(w http.ResponseWriter, r *http.Request) {
	k, ok := docKind(r)
	if !ok {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return
	}
	c, _, ok := s.loadCase(w, r, "document_pdf_"+string(k))
	if !ok {
		return
	}
	ds, err := s.currentDoc(r.Context(), c, k, r.URL.Query().Get("version"))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	dv := docView(ds.doc)
	dv.Approval, dv.Stamps = docStamps(c, k, ds) // the approvers and times of the version
	var html bytes.Buffer
	if err := view.DocumentPrint(dv).Render(r.Context(), &html); err != nil {
		s.serverError(w, r, err)
		return
	}
	printer, err := s.printer()
	var out []byte
	if err == nil {
		out, err = printer.FromHTML(r.Context(), html.Bytes())
	}
	if err != nil {
		htmlURL := fmt.Sprintf("/cases/%d/documents/%s", c.ID, k)
		if ds.status == "final" {
			htmlURL += fmt.Sprintf("?version=%d", ds.rec.Version)
		}
		s.pdfUnavailable(w, r, err, view.PDFUnavailable{What: ds.doc.Title, HTMLURL: htmlURL})
		return
	}
	name := fmt.Sprintf("%s-%s", c.Number, k)
	if ds.status == "final" {
		name += fmt.Sprintf("-v%d", ds.rec.Version)
	} else {
		name += "-draft"
	}
	writeDownload(w, download{Name: name + ".pdf", ContentType: "application/pdf", Body: out})
}

// printer starts the shared PDF printer on first use.
func (s *Server) printer() (*pdf.Printer, error) {
	s.pdfMu.Lock()
	defer s.pdfMu.Unlock()
	if s.pdf == nil {
		p, err := pdf.New()
		if err != nil {
			return nil, err
		}
		s.pdf = p
	}
	return s.pdf, nil
}

func docView(d documents.Doc) view.DocView {
	v := view.DocView{Kind: string(d.Kind), Title: d.Title, Date: d.Date, Number: d.Number, Drill: d.Drill}
	for _, sec := range d.Sections {
		vs := view.DocSection{Key: sec.Key, Heading: sec.Heading, Text: sec.Text, Editable: sec.Editable, Hint: sec.Hint}
		for _, f := range sec.Fields {
			vs.Fields = append(vs.Fields, view.DocField{Label: f.Label, Value: f.Value, Unknown: f.Unknown})
		}
		v.Sections = append(v.Sections, vs)
	}
	if d.Letter != nil {
		v.Letter = &view.DocLetter{Recipient: d.Letter.Recipient, Sender: d.Letter.Sender, Pages: d.Letter.Pages}
	}
	return v
}
