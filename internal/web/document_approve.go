package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/leakdesk/leakdesk/internal/documents"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// Finalising a document is an approval request (issue 14; incident/documents.go): the button on
// the document page — and its API twin — freezes the version and asks the approvers of the
// document's row of the approval policy; they stamp it on the document page, the case page or the
// inbox (the ordinary /requests/{rid}/approve and send-back forms). The PDF of an approved version
// carries the stamps.

// postDocumentFinalise asks for the version in the form (doc_version; 0: the newest) to be
// approved as final. The case version (hidden version on the page, If-Match on the API) is
// required like on every other write to the case.
func (s *Server) postDocumentFinalise(w http.ResponseWriter, r *http.Request) {
	k, ok := docKind(r)
	if !ok {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return
	}
	c, a, ok := s.loadCase(w, r, "")
	if !ok {
		return
	}
	_ = r.ParseForm()
	if err := incident.CanPrepareDocuments(a, c); err != nil {
		s.failErr(w, r, err)
		return
	}
	caseVersion, ok := s.requireVersion(w, r)
	if !ok {
		return
	}
	dv, err := strconv.Atoi(r.PostForm.Get("doc_version"))
	if err != nil || dv < 0 {
		s.fail(w, r, http.StatusUnprocessableEntity, &uiError{Code: "invalid", JA: "版の指定が正しくありません。", EN: "Invalid version.", Fields: []fieldError{{Field: "doc_version"}}})
		return
	}
	note := strings.TrimSpace(r.PostForm.Get("note"))
	nc, rq, err := s.svc.RequestFinalise(r.Context(), c.ID, caseVersion, a, k, dv, note, s.renderDoc)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	rec, err := s.store.Document(r.Context(), c.ID, k, rq.Doc.Version)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if isAPI(r) { // the API twin (documents_api.go)
		out := apiDocumentOf(c.ID, k, rec)
		out.RequestID, out.Approval = rq.ID, string(rq.State)
		w.Header().Set("ETag", fmt.Sprintf(`"%d"`, nc.Version))
		writeJSON(w, http.StatusOK, out)
		return
	}
	s.flash(r, flashSuccess, fmt.Sprintf("第%d版の確定を申請しました。承認者に通知されます。", rec.Version),
		fmt.Sprintf("Version %d was submitted for approval; the approvers are notified.", rec.Version))
	http.Redirect(w, r, fmt.Sprintf("/cases/%d/documents/%s?version=%d", c.ID, k, rec.Version), http.StatusSeeOther)
}

// renderDoc renders a document as the page shows it (casework.RenderDoc).
func (s *Server) renderDoc(ctx context.Context, c *incident.Case, k documents.Kind, edits map[string]string) (documents.Doc, error) {
	return s.generateDoc(ctx, c, k, edits)
}

// docApproval fills the document page's approval part: the finalisation request of the version
// shown (its 印 route and, for the viewer whose slot it waits for, the approve and send-back
// forms) and whether the viewer may ask for finalisation.
func (s *Server) docApproval(ctx context.Context, r *http.Request, c *incident.Case, a incident.Actor, k documents.Kind, ds docState, page *view.DocPage) error {
	page.CaseVersion = c.Version
	page.CanFinalise = incident.CanPrepareDocuments(a, c) == nil && c.PendingDocumentRequest(incident.DocKind(k)) == nil
	if ds.status != "final" || ds.rec == nil {
		return nil
	}
	full := c.DocumentRequest(incident.DocKind(k), ds.rec.Version)
	if full == nil {
		page.Approval = "legacy" // finalised before finalisation needed approval
		return nil
	}
	if err := s.svc.FillOutside(ctx, c); err != nil {
		return err
	}
	names, _, err := s.userNames(ctx)
	if err != nil {
		return err
	}
	dels, err := s.deputyDelegations(ctx, a.UserID)
	if err != nil {
		return err
	}
	for _, rv := range requestViews(c, a, names, s.lang(r), dels, s.now()) {
		if rv.R.ID == full.ID {
			rv := rv
			page.Request = &rv
		}
	}
	page.Approval = string(full.State)
	return nil
}

// docStamps are the approvals of an approved version, for the printed document.
func docStamps(c *incident.Case, k documents.Kind, ds docState) (string, []view.DocStamp) {
	if ds.status != "final" || ds.rec == nil {
		return "", nil
	}
	rq := c.DocumentRequest(incident.DocKind(k), ds.rec.Version)
	if rq == nil {
		return "", nil
	}
	var out []view.DocStamp
	for _, ap := range rq.Approvals {
		st := view.DocStamp{Name: ap.Name, RoleJA: ap.RoleFilled.LabelJA(), At: view.JST(ap.At)}
		if ap.AsDeputy && ap.OnBehalfOfName != "" {
			st.For = ap.OnBehalfOfName
		}
		out = append(out, st)
	}
	return string(rq.State), out
}
