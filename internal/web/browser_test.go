package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/leakdesk/leakdesk/internal/pdf"
)

// browser is one headless Chromium with its own profile (so cookies do not leak between users).
type browser struct {
	t   *testing.T
	ctx context.Context
	h   *harness
}

// newBrowser starts Chromium. Under `make test` (LEAKDESK_TEST_REQUIRE_DB=1) a missing browser fails
// the test instead of skipping it, so CI cannot go green without running the browser flows.
func (h *harness) newBrowser() *browser {
	h.t.Helper()
	if testing.Short() {
		h.t.Skip("browser test")
	}
	path, err := pdf.ChromiumPath()
	if err != nil {
		if os.Getenv("LEAKDESK_TEST_REQUIRE_DB") == "1" {
			h.t.Fatal(err)
		}
		h.t.Skip(err)
	}
	// A Japanese browser, as the users have: date inputs and number formats follow the UI language.
	opts := append(pdf.AllocatorOptions(path, h.t.TempDir()), chromedp.Flag("lang", "ja-JP"), chromedp.Env("LANGUAGE=ja_JP", "LANG=ja_JP.UTF-8"))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	h.t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		h.t.Fatalf("start Chromium: %v", err)
	}
	return &browser{t: h.t, ctx: ctx, h: h}
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (b *browser) exists(sel string) bool {
	b.t.Helper()
	ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("document.querySelector("+jsString(sel)+") !== null"))
	if err != nil {
		b.t.Fatalf("query %s: %v", sel, err)
	}
	return ok
}

func (b *browser) location() string {
	b.t.Helper()
	u, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return u
}

func jsString(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}

func (b *browser) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.h.ts.URL+path), chromedp.WaitReady(chromedp.CSS("body")))
}

func (b *browser) login(key string) {
	b.t.Helper()
	b.open("/login")
	b.do(
		chromedp.SendKeys(chromedp.CSS(`[data-testid="login-email"]`), b.h.users[key].Email),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="login-password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="current-user"]`)),
	)
}

func (b *browser) logout() {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="logout"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)))
}

// fill sets form fields by id (f-<name>); set fields are "name=value" checkbox clicks.
func (b *browser) fill(values map[string]string, sets ...string) {
	b.t.Helper()
	// One action per call: a long chain of SetValue steps in one Do was seen to stall.
	for name, v := range values {
		b.do(chromedp.SetValue(chromedp.CSS("#f-"+name), v))
	}
	for _, s := range sets {
		name, v, _ := strings.Cut(s, "=")
		b.do(chromedp.Click(chromedp.CSS(`input[name="` + name + `"][value="` + v + `"]`)))
	}
}

// submit clicks a button and waits for the next page.
func (b *browser) submit(testID string, waitFor string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="` + testID + `"]`)))
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(waitFor))); err != nil {
		body, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string]("location.href + '\\n' + Array.from(document.querySelectorAll('.flash, .field-error')).map(e => e.innerText).join('\\n')"))
		b.t.Fatalf("after clicking %s, %s did not appear (%v); the page says:\n%s", testID, waitFor, err, body)
	}
}

// screenshot saves a PNG under docs/screenshots when LEAKDESK_SCREENSHOTS=1 (so ordinary test runs
// do not rewrite committed files).
func (b *browser) screenshot(name string) {
	b.t.Helper()
	// Resize first: the resize re-applies the URL's #fragment scroll, so scroll to the top after it.
	b.capture(name, 1700, "history.replaceState(null, '', location.pathname + location.search), window.scrollTo(0, 0), true")
}

// capture takes the picture for screenshot and screenshotAt: a tall viewport of the given height
// (a full-page capture of a long page was seen to stall), scroll (JavaScript run after the resize),
// a plain PNG capture, the viewport back to normal.
func (b *browser) capture(name string, height int64, scroll string) {
	b.t.Helper()
	if os.Getenv("LEAKDESK_SCREENSHOTS") != "1" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, height)); err != nil {
		b.t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](scroll)); err != nil {
		b.t.Fatal(err)
	}
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "..", "docs", "screenshots", name), buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
}
