package web_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowser_ReportableCaseToReportPDF: staff opens a reportable case, sees its categories and
// deadlines on the case page, opens the Commission report draft and downloads its PDF, whose text
// holds every item heading of 施行規則第8条第1項.
func TestBrowser_ReportableCaseToReportPDF(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatalf("pdftotext (Debian poppler-utils) is needed: %v", err)
	}
	h := newLawHarness(t)
	c := h.openCase("USBメモリ紛失（顧客3,000名）", 26*time.Hour, false)
	id := strconv.FormatInt(c.ID, 10)

	b := h.newBrowser()
	b.login("staff")
	b.open("/cases/" + id)
	if got := b.text(`[data-testid="appi-status"]`); got != "報告対象" {
		t.Fatalf("APPI status %q, want 報告対象", got)
	}
	if got := b.text(`[data-testid="appi-categories"]`); !strings.Contains(got, "1,000人を超える") {
		t.Fatalf("categories %q lack 規則7条4号", got)
	}
	for _, kind := range []string{"prelim_target", "prelim_outer", "final_report"} {
		row := b.text(`[data-testid="clock-` + kind + `"]`)
		if !strings.Contains(row, "JST") {
			t.Errorf("deadline %s: %q has no due time", kind, row)
		}
	}
	b.screenshot("case-clocks.png")

	b.submit("link-documents", `[data-testid="doc-kind-report_prelim"]`)
	b.submit("doc-kind-report_prelim", `[data-testid="document-page"]`)
	page := b.text(`[data-testid="document-page"]`)
	for _, hd := range reportHeadings {
		if !strings.Contains(page, hd) {
			t.Errorf("draft lacks %q", hd)
		}
	}
	pdf := b.download(chromedp.Click(chromedp.CSS(`[data-testid="doc-pdf"]`)))
	if !strings.HasPrefix(string(pdf), "%PDF") {
		t.Fatalf("download is not a PDF (%d bytes)", len(pdf))
	}
	in := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
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
}
