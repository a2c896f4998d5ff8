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

	// Edit the free text (CSRF form post), then a staff member may not finalise.
	r = staff.postForm(base, base, url.Values{"edit_item9": {"委託先の調査結果を待って追完する。"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	if !strings.Contains(staff.get(base).Body, "委託先の調査結果を待って追完する。") {
		t.Error("edit not shown")
	}
	if r := staff.postForm(base, base+"/finalise", url.Values{"version": {"1"}}); r.Status != http.StatusForbidden {
		t.Errorf("staff finalise: %d", r.Status)
	}
	if r := h.client().loginAs("auditor").postForm(base, base, url.Values{"edit_item9": {"x"}}); r.Status != http.StatusForbidden {
		t.Errorf("auditor edit: %d", r.Status)
	}

	// Finalise: hash stored, finalisation recorded, a second finalise of version 1 refused.
	mgr := h.client().loginAs("manager")
	if r := mgr.postForm(base, base+"/finalise", url.Values{"version": {"1"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("finalise: %d %s", r.Status, r.Body)
	}
	var sum []byte
	var fin int
	ctx := context.Background()
	if err := h.db.Store.Pool.QueryRow(ctx, `SELECT sha256 FROM case_documents WHERE case_id = $1 AND kind = 'report_prelim' AND version = 1 AND status = 'final'`, c.ID).Scan(&sum); err != nil || len(sum) != 32 {
		t.Fatalf("stored hash: %x %v", sum, err)
	}
	if err := h.db.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM document_finalisations WHERE case_id = $1`, c.ID).Scan(&fin); err != nil || fin != 1 {
		t.Fatalf("finalisation rows %d %v", fin, err)
	}
	if r := mgr.postForm(base, base+"/finalise", url.Values{"version": {"1"}}); r.Status != http.StatusConflict {
		t.Errorf("second finalise: %d", r.Status)
	}
	if _, err := h.db.Store.Pool.Exec(ctx, `UPDATE case_documents SET title = 'x' WHERE case_id = $1 AND version = 1`, c.ID); err == nil {
		t.Error("a final document row could be updated")
	}
	page := mgr.get(base + "?version=1").Body
	if !strings.Contains(page, fmt.Sprintf("%x", sum)) || !strings.Contains(page, "ハッシュ一致") {
		t.Error("final page does not show the verified hash")
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
