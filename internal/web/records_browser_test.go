package web_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/leakdesk/leakdesk/internal/auth"
)

// TestBrowser_RecordsAndEvidence: in headless Chromium, staff adds a monitoring log entry from the
// containment stage's section (the stage's exit criteria then no longer ask for one), attaches a
// PDF and sees its SHA-256; staff sees that the discipline stage exists but not its records.
func TestBrowser_RecordsAndEvidence(t *testing.T) {
	h := newHarness(t)
	h.user("staff", auth.RoleStaff)
	h.user("hr", auth.RoleHR)
	staffTok, hrTok := h.token("staff"), h.token("hr")
	r := h.api("POST", "/api/v1/cases", staffTok, `{"title":"誤送信","facts":`+discoveryJSON+`}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	c := decode[apiCaseOut](t, r)
	if r := h.api("POST", fmt.Sprintf("/api/v1/cases/%d/records", c.ID), hrTok,
		`{"kind":"discipline_decision","values":{"employee":"社員X-99","culpability":"negligence","sanction":"reprimand"}}`, "If-Match", fmt.Sprint(c.Version)); r.Status != http.StatusCreated {
		t.Fatalf("hr record: %d %s", r.Status, r.Body)
	}
	b := h.newBrowser()
	b.login("staff")
	b.open(fmt.Sprintf("/cases/%d?stage=containment", c.ID))
	if !b.exists(`[data-testid="records-empty-monitoring_entry"]`) {
		t.Fatal("the monitoring log is not shown empty")
	}
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="add-record-open-monitoring_entry"]`)))
	for id, v := range map[string]string{"f-monitoring_entry.date": "2026-05-02", "f-monitoring_entry.searched_where": "dark_web_service",
		"f-monitoring_entry.result": "nothing_found", "f-monitoring_entry.query": "社名 顧客リスト"} {
		b.do(chromedp.SetValue(chromedp.CSS(`[id="`+id+`"]`), v))
	}
	b.submit("add-record-monitoring_entry", `[data-testid="record-2"]`) // record ids count across the case: HR's is #1
	if got := b.text(`[data-testid="record-2"]`); !strings.Contains(got, "ダークウェブ監視サービス") || !strings.Contains(got, "社名 顧客リスト") {
		t.Fatalf("record shows %q", got)
	}
	if b.exists(`[data-testid="missing"]`) && strings.Contains(b.text(`[data-testid="missing"]`), "監視記録") {
		t.Fatal("the exit criteria still ask for a monitoring entry")
	}

	data := []byte("%PDF-1.4\n削除確認書\n%%EOF\n")
	// An ASCII path: DOM.setFileInputFiles was seen to select nothing for a Japanese file name here.
	file := filepath.Join(t.TempDir(), "deletion-confirmation.pdf")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	b.do(chromedp.SetUploadFiles(chromedp.CSS(`[data-testid="evidence-file"]`), []string{file}))
	b.submit("evidence-upload", `[data-testid^="evidence-sha256-"]`)
	if !b.exists(`[data-testid^="evidence-sha256-"]`) {
		t.Fatalf("no file on the page: %s", b.text(`[data-testid="evidence"]`))
	}
	if got := b.text(`[data-testid^="evidence-sha256-"]`); got != hex.EncodeToString(sum[:]) {
		t.Fatalf("the page shows SHA-256 %q, want %s", got, hex.EncodeToString(sum[:]))
	}
	b.screenshotAt("case-records.png", `[data-testid="stage-records"]`)

	b.open(fmt.Sprintf("/cases/%d?stage=discipline", c.ID))
	if !b.exists(`[data-testid="discipline-restricted"]`) || strings.Contains(b.text(`[data-testid="case-page"]`), "社員X-99") {
		t.Fatal("staff sees the discipline record")
	}
}

// screenshotAt is screenshot with the element sel at the top of the picture.
func (b *browser) screenshotAt(name, sel string) {
	b.t.Helper()
	b.capture(name, 1400, "document.querySelector("+jsString(sel)+").scrollIntoView(), true")
}
