package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/leakdesk/leakdesk/internal/auth"
)

// TestMFA_Browser: a privacy officer (a role that must use a second factor) signs in with a
// password, is sent to enrol, scans nothing but reads the key, confirms with a code, sees the
// recovery codes once; then signs in again through the second step.
func TestMFA_Browser(t *testing.T) {
	h := newHarness(t)
	h.requireMFA()
	h.user("privacy", auth.RolePrivacyOfficer)
	b := h.newBrowser()
	b.login("privacy")
	if loc := b.location(); !strings.HasSuffix(loc, "/account/mfa") {
		t.Fatalf("after the password the browser is at %s, want the enrolment page", loc)
	}
	if !b.exists(`[data-testid="mfa-required"]`) {
		t.Error("the enrolment page does not say it is required")
	}
	qrLoaded := false
	for deadline := time.Now().Add(10 * time.Second); !qrLoaded && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		qrLoaded, _ = chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(() => { const i = document.querySelector('[data-testid="totp-qr"]'); return i.complete && i.naturalWidth === 200; })()`))
	}
	if !qrLoaded {
		t.Error("the QR code image did not load")
	}
	secret := b.text(`[data-testid="totp-secret"]`)
	code, _ := totp.GenerateCode(secret, settledNow().Add(-30*time.Second))
	b.do(chromedp.SendKeys(chromedp.CSS(`[data-testid="mfa-code"]`), code))
	b.submit("mfa-enrol", `[data-testid="recovery-codes"]`)
	if n := strings.Count(b.text(`[data-testid="recovery-codes"]`), "-"); n != 3*auth.RecoveryCodeCount {
		t.Errorf("recovery codes: %d dashes", n)
	}
	b.screenshot("mfa-recovery-codes.png")
	b.submit("mfa-continue", `[data-testid="nav-cases"]`)
	b.logout()

	b.login2("privacy")
	now, _ := totp.GenerateCode(secret, settledNow())
	b.do(chromedp.SendKeys(chromedp.CSS(`[data-testid="login-mfa-code"]`), now))
	b.submit("login-mfa-submit", `[data-testid="current-user"]`)
	if loc := b.location(); !strings.HasSuffix(loc, "/cases") {
		t.Errorf("signed in at %s", loc)
	}
}

// login2 is the password step of a login with a second factor: it waits for the code form.
func (b *browser) login2(key string) {
	b.t.Helper()
	b.open("/login")
	b.do(
		chromedp.SendKeys(chromedp.CSS(`[data-testid="login-email"]`), b.h.users[key].Email),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="login-password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-mfa-code"]`)),
	)
}
