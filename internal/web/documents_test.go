package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/PuerkitoBio/goquery"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

var reportHeadings = []string{
	"1. 概要",
	"2. 漏えい等が発生し、又は発生したおそれがある個人データの項目",
	"3. 漏えい等が発生し、又は発生したおそれがある個人データに係る本人の数",
	"4. 原因",
	"5. 二次被害又はそのおそれの有無及びその内容",
	"6. 本人への対応の実施状況",
	"7. 公表の実施状況",
	"8. 再発防止のための措置",
	"9. その他参考となる事項",
}

func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

func TestDocuments_RenderEditFinalisePDF(t *testing.T) {
	h := newLawHarness(t)
	c := h.openCase("USBメモリ紛失", 26*time.Hour, false)
	base := fmt.Sprintf("/cases/%d/documents/report_prelim", c.ID)
	staff := h.client().loginAs("staff")

	// Render: every Art. 8(1) item, unknowns marked for later completion.
	r := staff.get(base)
	if r.Status != 200 {
		t.Fatalf("status %d", r.Status)
	}
	for _, hd := range reportHeadings {
		if !strings.Contains(r.Body, hd) {
			t.Errorf("heading %q missing", hd)
		}
	}
	if !strings.Contains(r.Body, "未確定（判明次第追完）") || !strings.Contains(r.Body, "最大3000人") {
		t.Error("unknown items or the count from the facts are not shown")
	}

	// Edit the free text (CSRF form post): staff drafts, staff2 edits the same version.
	r = staff.postForm(base, base, url.Values{"edit_item9": {"委託先の調査結果を待って追完する。"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	if !strings.Contains(staff.get(base).Body, "委託先の調査結果を待って追完する。") {
		t.Error("edit not shown")
	}
	staff2 := h.client().loginAs("staff2")
	if r := staff2.postForm(base, base, url.Values{"edit_item8": {"持出し申請の徹底。"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("staff2 save: %d", r.Status)
	}
	if r := h.client().loginAs("auditor").postForm(base, base, url.Values{"edit_item9": {"x"}}); r.Status != http.StatusForbidden {
		t.Errorf("auditor edit: %d", r.Status)
	}

	// Finalising is a request: the version is frozen with its hash, the finalisation recorded, and
	// it waits for the head of general affairs (domain.md §5.3: preliminary report filing).
	ctx := context.Background()
	cv := func() string { return fmt.Sprint(h.caseNow(c.ID).Version) }
	if r := staff.postForm(base, base+"/finalise", url.Values{"doc_version": {"1"}}); r.Status != http.StatusPreconditionRequired {
		t.Errorf("finalise without the case version: %d", r.Status)
	}
	if r := staff.postForm(base, base+"/finalise", url.Values{"version": {cv()}, "doc_version": {"1"}, "note": {"速報の確認をお願いします"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("finalise: %d %s", r.Status, r.Body)
	}
	var sum []byte
	var fin int
	if err := h.db.Store.Pool.QueryRow(ctx, `SELECT sha256 FROM case_documents WHERE case_id = $1 AND kind = 'report_prelim' AND version = 1 AND status = 'final'`, c.ID).Scan(&sum); err != nil || len(sum) != 32 {
		t.Fatalf("stored hash: %x %v", sum, err)
	}
	if err := h.db.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM document_finalisations WHERE case_id = $1`, c.ID).Scan(&fin); err != nil || fin != 1 {
		t.Fatalf("finalisation rows %d %v", fin, err)
	}
	if r := staff.postForm(base, base+"/finalise", url.Values{"version": {cv()}, "doc_version": {"1"}}); r.Status != http.StatusConflict {
		t.Errorf("second finalise: %d", r.Status)
	}
	if _, err := h.db.Store.Pool.Exec(ctx, `UPDATE case_documents SET title = 'x' WHERE case_id = $1 AND version = 1`, c.ID); err == nil {
		t.Error("a final document row could be updated")
	}
	cs := h.caseNow(c.ID)
	rq := cs.DocumentRequest(incident.DocReportPrelim, 1)
	if rq == nil || rq.State != incident.RequestPending || rq.Doc.SHA256 != fmt.Sprintf("%x", sum) || len(rq.Doc.Editors) != 2 {
		t.Fatalf("finalisation request %+v", rq)
	}
	mgr := h.client().loginAs("manager")
	page := mgr.get(base + "?version=1").Body
	if !strings.Contains(page, fmt.Sprintf("%x", sum)) || !strings.Contains(page, "ハッシュ一致") || !strings.Contains(page, "承認待ち") {
		t.Error("final page does not show the verified hash and the pending approval")
	}
	if !strings.Contains(page, fmt.Sprintf(`data-testid="approve-form-%d"`, rq.ID)) {
		t.Error("the approver is not offered the approve form on the document page")
	}

	// Bad approvals: refused, nothing written.
	approve := func(cl *client, note string) int {
		return cl.postForm(base+"?version=1", fmt.Sprintf("/requests/%d/approve", rq.ID), url.Values{"version": {cv()}, "note": {note}}).Status
	}
	h.user("manager2", auth.RoleManager)
	involvedMgr := h.client().loginAs("manager2")
	if _, _, err := h.svc.Do(ctx, c.ID, 0, h.actor("privacy"), incident.MarkInvolved{UserID: h.users["manager2"].ID, Involved: true, Reason: "紛失者の上長"}); err != nil {
		t.Fatal(err)
	}
	before := h.caseNow(c.ID).Version
	for _, bad := range []struct {
		who  string
		cl   *client
		note string
		want int
	}{
		{"the drafter (requester)", staff, "確認", http.StatusForbidden},
		{"an editor", staff2, "確認", http.StatusForbidden},
		{"an involved manager", involvedMgr, "確認", http.StatusForbidden},
		{"a wrong role", h.client().loginAs("privacy"), "確認", http.StatusForbidden},
		{"an empty reason", mgr, " ", http.StatusUnprocessableEntity},
	} {
		if got := approve(bad.cl, bad.note); got != bad.want {
			t.Errorf("approval by %s: %d, want %d", bad.who, got, bad.want)
		}
	}
	if v := h.caseNow(c.ID).Version; v != before {
		t.Fatalf("refused approvals wrote: version %d, was %d", v, before)
	}
	if got := approve(mgr, "記載内容を確認し提出を承認"); got != http.StatusSeeOther {
		t.Fatalf("manager approval: %d", got)
	}
	rq = h.caseNow(c.ID).DocumentRequest(incident.DocReportPrelim, 1)
	if rq.State != incident.RequestApproved || len(rq.Approvals) != 1 {
		t.Fatalf("after approval: %+v", rq)
	}
	if !strings.Contains(mgr.get(base+"?version=1").Body, "承認済み") {
		t.Error("the document page does not say approved")
	}
	// Editing after finalisation starts version 2.
	if r := staff.postForm(base, base, url.Values{"new_version": {"1"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("new version: %d", r.Status)
	}
	if !strings.Contains(staff.get(base).Body, "第2版") {
		t.Error("no second draft version")
	}

	// PDF of the final version: each item heading survives into the text layer.
	pr := mgr.get(base + "/pdf?version=1")
	if pr.Status != 200 || pr.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pr.Body, "%PDF") {
		t.Fatalf("pdf: %d %s", pr.Status, pr.Header.Get("Content-Type"))
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "r.pdf")
	if err := os.WriteFile(in, []byte(pr.Body), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := squeeze(string(out))
	for _, hd := range reportHeadings {
		if !strings.Contains(text, squeeze(hd)) {
			t.Errorf("PDF text lacks %q", hd)
		}
	}
	if !strings.Contains(text, "委託先の調査結果を待って追完する。") {
		t.Error("PDF lacks the edited text")
	}
	// The approvers and times are printed: name, role, time of each stamp.
	ap := rq.Approvals[0]
	for _, want := range []string{"承認記録", ap.Name, incident.RoleManager.LabelJA(), view.JST(ap.At)} {
		if !strings.Contains(text, squeeze(want)) {
			t.Errorf("PDF lacks the stamp's %q", want)
		}
	}
}

func (h *lawHarness) caseNow(id int64) *incident.Case {
	h.t.Helper()
	c, err := h.db.Store.GetCase(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

func TestDocuments_AllKindsRenderAndLetterLayout(t *testing.T) {
	h := newLawHarness(t)
	c := h.openCase("流出案件", 26*time.Hour, false)
	staff := h.client().loginAs("staff")
	for _, k := range []string{"report_final", "notice", "announcement", "warning_letter"} {
		r := staff.get(fmt.Sprintf("/cases/%d/documents/%s", c.ID, k))
		if r.Status != 200 {
			t.Errorf("%s: %d", k, r.Status)
		}
		if k == "notice" && (!strings.Contains(r.Body, "判明している事実") || !strings.Contains(r.Body, "現時点で考えられる可能性") || !strings.Contains(r.Body, "《氏名》様")) {
			t.Error("notice lacks the facts/possibilities split or the merge placeholder")
		}
		if k == "warning_letter" {
			d := doc(t, r.Body)
			d.Find(`[data-testid="letter-line"]`).Each(func(_ int, s *goquery.Selection) {
				if n := len([]rune(strings.TrimSuffix(s.Text(), "\u200b"))); n > 26 {
					t.Errorf("letter line of %d characters: %q", n, s.Text())
				}
			})
			if !strings.Contains(r.Body, "令和") || !strings.Contains(r.Body, "年") {
				t.Error("letter date not in 和暦")
			}
		}
	}
	if r := staff.get(fmt.Sprintf("/cases/%d/documents/nonsense", c.ID)); r.Status != 404 {
		t.Errorf("unknown kind: %d", r.Status)
	}
	if r := h.client().loginAs("admin").get(fmt.Sprintf("/cases/%d/documents/notice", c.ID)); r.Status != 403 {
		t.Errorf("admin: %d", r.Status)
	}
}

// TestDocuments_Screenshot saves docs/screenshots/report-draft.png when LEAKDESK_SCREENSHOTS=1.
func TestDocuments_Screenshot(t *testing.T) {
	h := newLawHarness(t)
	c := h.openCase("USBメモリ紛失（顧客3,000名）", 26*time.Hour, false)
	b := h.newBrowser()
	b.login("staff")
	b.open(fmt.Sprintf("/cases/%d/documents/report_prelim", c.ID))
	if !strings.Contains(b.text(`[data-testid="doc-sheet"]`), "9. その他参考となる事項") {
		t.Fatal("report not shown in the browser")
	}
	pngScreenshot(b, "report-draft.png")
}
