package web

// Case-file exports: one case or a selection, as a ZIP an auditor verifies offline.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/leakdesk/leakdesk/internal/archive"
	"github.com/leakdesk/leakdesk/internal/audit"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/pdf"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// caseFile gathers everything the archive holds about one case.
func (s *Server) caseFile(ctx context.Context, c *incident.Case) (archive.CaseFile, error) {
	f := archive.CaseFile{Case: c, CaseID: c.ID, Number: c.Number, Title: c.Title}
	stored, err := s.store.CaseEvents(ctx, c.ID)
	if err != nil {
		return f, err
	}
	for _, e := range stored {
		f.Events = append(f.Events, archive.Event{Event: e.Hashed(), PrevHash: e.PrevHash, Hash: e.Hash})
	}
	res, err := s.store.Verify(ctx, c.ID)
	if err != nil {
		return f, err
	}
	f.Verdict = archive.Verdict{OK: res.OK, Checked: res.Checked}
	if f.Origin, err = s.caseOrigin(ctx, c.ID); err != nil {
		return f, err
	}
	if res.FirstBad != nil {
		f.Verdict.BadSeq, f.Verdict.Reason = res.FirstBad.Seq, res.FirstBad.Reason
	}
	if f.Comments, err = s.store.AuditComments(ctx, c.ID); err != nil {
		return f, err
	}
	cres, err := s.store.VerifyAuditComments(ctx, c.ID)
	if err != nil {
		return f, err
	}
	f.CommentsVerdict = archive.Verdict{OK: cres.OK, Checked: cres.Checked}
	if cres.FirstBad != nil {
		f.CommentsVerdict.BadSeq, f.CommentsVerdict.Reason = cres.FirstBad.Seq, cres.FirstBad.Reason
	}
	events := plainEvents(stored)
	if f.Names, err = s.store.UserNames(ctx, actorIDs(events, c)); err != nil {
		return f, err
	}
	if f.Notes, err = audit.Noteworthy(events, s.lawNoRegister(), s.now()); err != nil {
		// A history that does not replay is still exported; the verdict says why.
		f.Notes = nil
	}
	as, err := s.svc.Assess(ctx, c, s.now())
	if err != nil {
		return f, err
	}
	f.Assessment = &as
	if f.Documents, f.HasDocuments, err = s.store.CaseDocuments(ctx, c.ID); err != nil {
		return f, err
	}
	// The register's trail: who changed which person when and why, old → new as stored (ciphertext).
	changes, err := s.store.PersonHistory(ctx, c.ID, 0)
	if err != nil {
		return f, err
	}
	for _, ch := range changes {
		f.PersonHistory = append(f.PersonHistory, archive.PersonChange{ID: ch.ID, PersonID: ch.PersonID, Op: ch.Op, ActorID: ch.ActorID,
			Actor: ch.ActorName, At: ch.At, Reason: ch.Reason, Changed: ch.Changed, Old: ch.Old, New: ch.New})
	}
	return f, nil
}

// exportCases builds the archive of cases and records the export. Exports are reads: they add to
// the access log and the auditors' log, never to a case.
func (s *Server) exportCases(w http.ResponseWriter, r *http.Request, cases []*incident.Case) {
	ctx := r.Context()
	u := currentUser(ctx)
	var files []archive.CaseFile
	for _, c := range cases {
		f, err := s.caseFile(ctx, c)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		files = append(files, f)
	}
	now := s.now()
	opts := archive.Options{At: now, ByID: u.ID, ByName: u.Name}
	// The report is a PDF, printed by the server's shared browser, unless the user chose the HTML
	// version (report=html) after a PDF could not be made.
	htmlReport := r.FormValue("report") == "html"
	var perr error
	if !htmlReport {
		var p *pdf.Printer
		if p, perr = s.printer(); perr == nil {
			opts.Renderer = p
		}
	}
	var buf bytes.Buffer
	m, err := archive.Build(ctx, &buf, files, opts)
	if perr == nil && err != nil && errors.Is(err, archive.ErrPrint) {
		perr = err
	}
	if perr != nil {
		v := view.PDFUnavailable{What: "案件ファイルの報告書（report.pdf）"}
		if r.Method == http.MethodPost {
			v.PostURL, v.Fields, v.FieldOrder = r.URL.Path, map[string][]string{"ids": r.PostForm["ids"]}, []string{"ids"}
		} else {
			q := r.URL.Query()
			q.Set("report", "html")
			v.HTMLURL = r.URL.Path + "?" + q.Encode()
		}
		s.pdfUnavailable(w, r, perr, v)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	ids := make([]int64, len(cases))
	for i, c := range cases {
		ids[i] = c.ID
	}
	if err := s.store.RecordExport(ctx, u.ID, ids, now, map[string]any{"seal": m.Seal, "files": len(m.Files), "verified": m.Verified}); err != nil {
		s.serverError(w, r, err)
		return
	}
	name := "leakdesk-cases-" + now.In(jstLoc).Format("20060102-150405") + ".zip"
	if len(cases) == 1 {
		name = "leakdesk-case-" + cases[0].Number + ".zip"
	}
	writeDownload(w, download{Name: name, ContentType: "application/zip", Body: buf.Bytes()})
}

func (s *Server) getAuditExport(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.loadCase(w, r, "")
	if !ok {
		return
	}
	s.exportCases(w, r, []*incident.Case{c})
}

var errNoSelection = &uiError{Code: "invalid", JA: fmt.Sprintf("エクスポートする案件を1〜%d件選んでください。", maxExportCases), EN: fmt.Sprintf("Choose 1 to %d cases to export.", maxExportCases)}

// postAuditExport exports a selection. It is a POST only because a selection is a form; it reads.
func (s *Server) postAuditExport(w http.ResponseWriter, r *http.Request) {
	a := actor(currentUser(r.Context()))
	var ids []int64
	seen := map[int64]bool{}
	for _, raw := range r.PostForm["ids"] {
		for _, part := range strings.Split(raw, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
			if err != nil || id <= 0 {
				s.fail(w, r, http.StatusUnprocessableEntity, errNoSelection)
				return
			}
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 || len(ids) > maxExportCases {
		s.fail(w, r, http.StatusUnprocessableEntity, errNoSelection)
		return
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var cases []*incident.Case
	for _, id := range ids {
		c, err := s.store.GetCase(r.Context(), id)
		if err != nil {
			s.failErr(w, r, err)
			return
		}
		if err := incident.CanRead(a, c); err != nil {
			s.failErr(w, r, err)
			return
		}
		cases = append(cases, c)
	}
	s.exportCases(w, r, cases)
}
