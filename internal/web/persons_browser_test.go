package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"golang.org/x/text/encoding/japanese"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// sjisRegister is a customer list as a Japanese office exports it from Excel: Shift_JIS (CP932, with
// the IBM-extension 髙), CRLF line ends, full-width digits in places.
func sjisRegister(t *testing.T, n int) []byte {
	t.Helper()
	var b strings.Builder
	b.WriteString("氏名,フリガナ,郵便番号,住所,電話番号,メールアドレス,顧客番号,漏えい項目\r\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "髙橋 %s,タカハシ イチロウ,100-%04d,東京都千代田区丸の内%d-1,03-5555-%04d,customer%02d@example.jp,C%04d,氏名、住所、電話番号\r\n",
			[]string{"一郎", "二郎", "三郎", "四郎", "五郎", "六郎", "七郎", "八郎", "九郎", "十郎", "花子", "桜子"}[(i-1)%12], i, i, i, i, i)
	}
	out, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// attachFile puts a file with the given bytes into the file input, as a user picking it would.
func (b *browser) attachFile(sel, name string, data []byte) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => {
		const bin = atob(%q); const buf = new Uint8Array(bin.length);
		for (let i = 0; i < bin.length; i++) buf[i] = bin.charCodeAt(i);
		const dt = new DataTransfer(); dt.items.add(new File([buf], %q, {type: "text/csv"}));
		const input = document.querySelector(%q); input.files = dt.files;
		return input.files.length;
	})()`, base64.StdEncoding.EncodeToString(data), name, sel)
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](js))
	if err != nil || n != 1 {
		b.t.Fatalf("attach %s: %d files, %v", name, n, err)
	}
}

// download clicks the element and waits for Chromium to finish the file it starts; it returns the
// file's bytes.
func (b *browser) download(click chromedp.Action[chromedp.Void]) []byte {
	b.t.Helper()
	dir := b.t.TempDir()
	if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: new(true)}); err != nil {
		b.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	progress := chromedp.BrowserEvents(ctx, cdpbrowser.DownloadProgress)
	b.do(click)
	for ev, err := range progress {
		if err != nil {
			b.t.Fatalf("waiting for the download: %v", err)
		}
		switch ev.State {
		case cdpbrowser.DownloadProgressStateCanceled:
			b.t.Fatal("the download was cancelled")
		case cdpbrowser.DownloadProgressStateCompleted:
			file := filepath.Join(dir, ev.GUID)
			if ev.FilePath != "" {
				file = ev.FilePath
			}
			data, err := os.ReadFile(file)
			if err != nil {
				b.t.Fatal(err)
			}
			return data
		}
	}
	b.t.Fatal("no download")
	return nil
}

// TestBrowser_PersonRegister: staff imports a Shift_JIS CSV, checks the preview, commits, marks ten
// people as notified and exports the list for Excel.
func TestBrowser_PersonRegister(t *testing.T) {
	h := newHarness(t)
	staff := h.user("staff", auth.RoleStaff)
	c, err := casework.New(h.db.Store).Open(context.Background(), incident.Actor{UserID: staff.ID, Name: staff.Name, Roles: []incident.Role{incident.RoleStaff}},
		"顧客名簿の誤送信", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("/cases/%d/persons", c.ID)
	csvBytes := sjisRegister(t, 12)

	b := h.newBrowser()
	b.login("staff")
	b.open(base + "/import")
	// DOM.setFileInputFiles leaves the input empty in this headless Chromium, so the file is handed to
	// the input as the page's own File object; the browser still builds and posts the multipart form.
	b.attachFile("#import-file", "顧客一覧.csv", csvBytes)
	b.submit("import-upload", `[data-testid="import-summary"]`)
	if got := b.text(`[data-testid="import-encoding"]`); got != "Shift_JIS (CP932)" {
		t.Fatalf("detected encoding %q", got)
	}
	if got := b.text(`[data-testid="import-add"]`); got != "12" {
		t.Fatalf("preview adds %q, want 12", got)
	}
	if !strings.Contains(b.text(`[data-testid="import-sample"]`), "髙橋 一郎") {
		t.Fatal("the preview does not show the CP932 name intact")
	}
	b.screenshot("persons-import-preview.png")
	b.submit("import-commit", `[data-testid="persons-table"]`)
	if got := b.text(`[data-testid="persons-total"]`); !strings.Contains(got, "12") {
		t.Fatalf("register total %q", got)
	}

	// Tick the first ten and mark them notified by post on 2026-05-08.
	for i := 1; i <= 10; i++ {
		b.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-testid="persons-table"] tbody tr:nth-child(%d) input[name="ids"]`, i))))
	}
	b.do(chromedp.SetValue(chromedp.CSS(`[data-testid="bulk-notice"] select[name="method"]`), "post"))
	b.do(chromedp.SetValue(chromedp.CSS(`[data-testid="bulk-notice"] input[name="date"]`), "2026-05-08"))
	b.submit("bulk-submit", `[data-testid="persons-table"] .notice-notified`)
	html, err := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS(`[data-testid="persons-table"]`)))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(html, "notice-notified"); n != 10 {
		t.Fatalf("%d people shown as notified, want 10", n)
	}
	b.screenshot("persons.png")

	// Export for Excel (Shift_JIS), with the reason that goes into the access log.
	b.do(chromedp.SetValue(chromedp.CSS(`[data-testid="persons-export"] select[name="enc"]`), "sjis"))
	b.do(chromedp.SendKeys(chromedp.CSS(`[data-testid="persons-export"] input[name="reason"]`), "通知文書の発送準備"))
	data := b.download(chromedp.Click(chromedp.CSS(`[data-testid="persons-export"] button[type="submit"]`)))
	text, err := japanese.ShiftJIS.NewDecoder().Bytes(data)
	if err != nil {
		t.Fatalf("the export is not Shift_JIS: %v", err)
	}
	lines := strings.Split(strings.TrimRight(string(text), "\r\n"), "\n")
	if len(lines) != 13 || !bytes.Contains(text, []byte("髙橋 一郎")) || !bytes.Contains(text, []byte("customer10@example.jp")) {
		t.Fatalf("export has %d lines:\n%s", len(lines), text)
	}
	var logged int
	if err := h.db.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM access_log WHERE case_id = $1 AND user_id = $2 AND page LIKE '%export%'`, c.ID, staff.ID).Scan(&logged); err != nil {
		t.Fatal(err)
	}
	if logged == 0 {
		t.Fatal("the export was not written to the access log")
	}
}
