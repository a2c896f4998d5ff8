package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/leakdesk/leakdesk/internal/archive"
	"github.com/leakdesk/leakdesk/internal/pdf"
)

// startAuditBrowser starts headless Chromium with the product's flags. With
// LEAKDESK_TEST_REQUIRE_DB=1 (make test, CI) a missing Chromium fails the test: it never skips there.
func startAuditBrowser(t *testing.T) context.Context {
	t.Helper()
	path, err := pdf.ChromiumPath()
	if err != nil {
		if os.Getenv("LEAKDESK_TEST_REQUIRE_DB") == "1" {
			t.Fatalf("browser test needs Chromium: %v", err)
		}
		t.Skip(err)
	}
	if testing.Short() && os.Getenv("LEAKDESK_TEST_REQUIRE_DB") != "1" {
		t.Skip("browser test")
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), pdf.AllocatorOptions(path, t.TempDir())...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// auditShot writes a screenshot to docs/screenshots when LEAKDESK_SCREENSHOTS=1.
func auditShot(t *testing.T, ctx context.Context, name string, full bool) {
	t.Helper()
	if os.Getenv("LEAKDESK_SCREENSHOTS") != "1" {
		return
	}
	shot := chromedp.CaptureScreenshot()
	if full {
		shot = chromedp.FullScreenshot(100)
	}
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join("..", "..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestAuditBrowser_SearchReplayDiffExport is the auditor's story in a real browser: log in, find a
// case by a two-character Japanese word, open it as of an earlier event, compare two points, and
// download the case file, which verifies offline.
func TestAuditBrowser_SearchReplayDiffExport(t *testing.T) {
	f := newAuditFixture(t)
	ctx := startAuditBrowser(t)
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		s, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	base := f.h.ts.URL
	auditor := f.h.users["auditor"]
	step("log in",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=email]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), auditor.Email),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), testPassword),
		chromedp.Submit(chromedp.CSS(`input[name=password]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=nav-audit]`)),
	)
	step("search 誤送",
		chromedp.Click(chromedp.CSS(`[data-testid=nav-audit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=audit-q]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=audit-q]`), "誤送"),
		// The unfiltered list already shows the row: mark this page and wait until the result page
		// has replaced it, or the next click can hit a node of the page being replaced ("Could not
		// find node with given id").
		chromedp.Evaluate[chromedp.Void](`document.body.setAttribute("data-stale", "1")`),
		chromedp.Click(chromedp.CSS(`[data-testid=audit-search]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`body[data-stale]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="audit-row-`+f.c.Number+`"]`)),
	)
	if got := text(`[data-testid=audit-table] tbody`); !strings.Contains(got, "誤送信") {
		t.Fatalf("search result: %q", got)
	}
	auditShot(t, ctx, "audit-search.png", false)

	step("open the case as of event 2",
		chromedp.Click(chromedp.CSS(`[data-testid="audit-row-`+f.c.Number+`"] [data-testid=audit-case-link]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=audit-case]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=asof-2]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=asof-label]`)),
	)
	if got := text(`[data-testid=asof-label]`); !strings.Contains(got, "イベント 2") {
		t.Fatalf("as-of label: %q", got)
	}
	if got := text(`[data-testid=asof-no-pending]`); got == "" {
		t.Fatal("as of event 2 there was no pending request yet")
	}
	if got := text(`[data-testid=verify-ok]`); !strings.Contains(got, "改ざんは検出されませんでした") {
		t.Fatalf("verdict: %q", got)
	}
	auditShot(t, ctx, "audit-replay.png", true)

	step("compare event 2 with the latest",
		chromedp.Click(chromedp.CSS(`[data-testid=diff-go]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=audit-diff]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=diff-requests]`)),
	)
	if got := text(`[data-testid=diff-requests]`); !strings.Contains(got, "承認待ち") {
		t.Fatalf("diff of requests: %q", got)
	}

	dir := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: new(true)}); err != nil {
		t.Fatal(err)
	}
	dctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	progress := chromedp.BrowserEvents(dctx, cdpbrowser.DownloadProgress)
	step("download the case file",
		chromedp.Navigate(base+"/audit/cases/"+strconv.FormatInt(f.c.ID, 10)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=export-case]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=export-case]`)),
	)
	var file string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("waiting for the download: %v", err)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCanceled {
			t.Fatal("the download was cancelled")
		}
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			file = filepath.Join(dir, ev.GUID)
			if ev.FilePath != "" {
				file = ev.FilePath
			}
			break
		}
	}
	res, err := archive.VerifyFile(file)
	if err != nil {
		t.Fatalf("the downloaded case file does not verify: %v", err)
	}
	if len(res.Manifest.Cases) != 1 || res.Manifest.Cases[0].Number != f.c.Number {
		t.Fatalf("downloaded archive: %+v", res.Manifest.Cases)
	}
}
