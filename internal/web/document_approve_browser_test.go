package web_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// TestBrowser_DocumentDraftToApprovedPDF takes the 公表文 from draft to an approved PDF in headless
// Chromium: staff drafts and asks for finalisation (the version is frozen), the head of general
// affairs stamps on the document page, then the CEO (domain.md §5.3: publication needs both); the
// drafter sees no approve form; the PDF of the approved version prints both approvers, their roles
// and the times of their stamps.
func TestBrowser_DocumentDraftToApprovedPDF(t *testing.T) {
	h := newHarness(t)
	for key, role := range map[string]auth.Role{"staff": auth.RoleStaff, "manager": auth.RoleManager, "ceo": auth.RoleExecutive} {
		h.user(key, role)
	}
	u := h.users["staff"]
	staff := incident.Actor{UserID: u.ID, Name: u.Name, Roles: []incident.Role{incident.RoleStaff}}
	c, err := casework.New(h.db.Store).Open(context.Background(), staff, "顧客名簿の誤送信", map[string]any{
		"recognized_at": "2026-04-30T22:40", "reported_to_soumu_at": "2026-05-01T08:50", "prelim_screen": "suspected",
		"involves_my_number": "no", "suspected_route": "email_missend", "estimated_count_max": 120}, false)
	if err != nil {
		t.Fatal(err)
	}
	doc := "/cases/" + strconv.FormatInt(c.ID, 10) + "/documents/announcement"
	b := h.newBrowser()

	// Staff drafts the free text and saves.
	b.login("staff")
	b.open(doc)
	b.do(chromedp.SetValue(chromedp.CSS("#edit_response"), "専用窓口を開設し、対象のお客様へ順次ご連絡しています。"))
	b.submit("doc-save", `[data-testid="doc-finalise"]`)
	b.screenshot("document-approval-draft.png")
	// …and asks for it to be finalised: the version is frozen and waits for the head's stamp.
	b.do(chromedp.SendKeys(chromedp.CSS("#finalise-note"), "公表文の確認をお願いします"))
	b.submit("doc-finalise", `[data-testid="doc-request"]`)
	rq := h.caseByID(strconv.FormatInt(c.ID, 10)).PendingDocumentRequest(incident.DocAnnouncement)
	if rq == nil {
		t.Fatal("no pending finalisation request")
	}
	sid := strconv.FormatInt(rq.ID, 10)
	box := func(n int) string { return `[data-testid="route-` + sid + `-` + strconv.Itoa(n) + `"]` }
	if b.exists(`[data-testid="approve-` + sid + `"]`) {
		t.Fatal("the drafter is offered the approve button")
	}
	if got := b.text(`[data-testid="doc-approval"]`); !strings.Contains(got, "承認待ち") {
		t.Fatalf("status %q", got)
	}
	b.logout()

	stamp := func(key, note string, n int) {
		t.Helper()
		b.login(key)
		b.open(doc + "?version=1")
		b.do(chromedp.SendKeys(chromedp.CSS("#approve-note-"+sid), note))
		b.submit("approve-"+sid, box(n)+`[data-state="approved"]`)
	}
	stamp("manager", "文面を確認した", 1)
	b.screenshotAt("document-approval-route.png", `[data-testid="doc-request"]`)
	b.logout()
	stamp("ceo", "公表を承認する", 2)
	if got := b.text(`[data-testid="doc-approval"]`); !strings.Contains(got, "承認済み") {
		t.Fatalf("status after the CEO %q", got)
	}
	b.screenshot("document-approval-approved.png")
	b.logout()

	// The PDF of the approved version carries both stamps: name, role, time.
	final := h.caseByID(strconv.FormatInt(c.ID, 10)).DocumentRequest(incident.DocAnnouncement, 1)
	if final.State != incident.RequestApproved || len(final.Approvals) != 2 {
		t.Fatalf("request %+v", final)
	}
	pr := h.client().loginAs("staff").get(doc + "/pdf?version=1")
	if pr.Status != 200 || !strings.HasPrefix(pr.Body, "%PDF") {
		t.Fatalf("pdf: %d", pr.Status)
	}
	in := filepath.Join(t.TempDir(), "a.pdf")
	if err := os.WriteFile(in, []byte(pr.Body), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := squeeze(string(out))
	for _, ap := range final.Approvals {
		for _, want := range []string{ap.Name, ap.RoleFilled.LabelJA(), view.JST(ap.At)} {
			if !strings.Contains(text, squeeze(want)) {
				t.Errorf("the PDF lacks %q of the stamp by %s", want, ap.Name)
			}
		}
	}
	if !strings.Contains(text, squeeze("専用窓口を開設し")) || !strings.Contains(text, "承認記録") {
		t.Error("the PDF lacks the drafted text or the approval record")
	}
}
