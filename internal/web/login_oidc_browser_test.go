package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/leakdesk/leakdesk/internal/auth"
)

// TestOIDC_Browser signs in through the in-process provider in Chromium: the company-account
// button, the provider's redirect back, the signed-in page; logout; then a callback with a forged
// state shows the one failure message.
func TestOIDC_Browser(t *testing.T) {
	e := newOIDCHarness(t)
	staff := e.user("staff", auth.RoleStaff)
	b := e.newBrowser()
	e.op.QueueUser(idpUser("sub-staff", staff.Email))
	b.open("/login")
	// Headless Chromium asks for English whatever its locale flags say; choose Japanese as a visitor can.
	b.japanese()
	if got := b.text(`[data-testid="login-sso"]`); got != "社内アカウントでログイン" {
		t.Fatalf("button says %q", got)
	}
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="login-sso"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="current-user"]`)))
	if loc := b.location(); !strings.HasSuffix(loc, "/cases") {
		t.Errorf("signed in at %s, want the staff start page /cases", loc)
	}
	if got := b.text(`[data-testid="current-user"]`); !strings.Contains(got, staff.Name) {
		t.Errorf("signed in as %q, want %q", got, staff.Name)
	}
	b.logout()
	b.japanese()

	// A callback that does not belong to this browser's login.
	b.open("/login/oidc/callback?code=stolen&state=forged")
	if got := b.text(`[data-testid="login-error"]`); !strings.HasPrefix(got, ssoFailText) {
		t.Errorf("error shown: %q", got)
	}
	if b.exists(`[data-testid="current-user"]`) {
		t.Error("signed in with a forged state")
	}
	var reason string
	_ = e.db.Store.Pool.QueryRow(context.Background(), `SELECT reason FROM login_attempts ORDER BY id DESC LIMIT 1`).Scan(&reason)
	if reason != "oidc_state" {
		t.Errorf("login log reason %q", reason)
	}
}

// japanese switches the visitor's page language and waits for the Japanese page.
func (b *browser) japanese() {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="lang-ja"]`)))
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("document.querySelector('[data-testid=\"login-sso\"]')?.innerText === '社内アカウントでログイン'")); err == nil && ok {
			return
		}
	}
	b.t.Fatal("the login page did not turn Japanese")
}
