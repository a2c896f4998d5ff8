package web_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/config"
)

// TestPasskey_Browser registers a security key on the account page and signs in with it as the
// second factor, in Chromium with its virtual authenticator (DevTools WebAuthn domain). The site
// is served as http://localhost:<port>: an IP address cannot be a WebAuthn RP ID.
func TestPasskey_Browser(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://localhost:" + strings.Split(ln.Addr().String(), ":")[1]
	h := newHarnessOn(t, ln, func(c *config.Config) { c.BaseURL = base })
	h.requireMFA()
	h.user("manager", auth.RoleManager)
	b := h.newBrowser()
	if _, err := chromedp.Call(b.ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(b.ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportUsb,
		HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
	}}); err != nil {
		t.Fatal(err)
	}
	at := func(path string) {
		b.t.Helper()
		b.do(chromedp.Navigate(base+path), chromedp.WaitReady(chromedp.CSS("body")))
	}
	passwordStep := func() {
		at("/login")
		b.do(
			chromedp.SendKeys(chromedp.CSS(`[data-testid="login-email"]`), h.users["manager"].Email),
			chromedp.SendKeys(chromedp.CSS(`[data-testid="login-password"]`), testPassword),
			chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
		)
	}
	passwordStep()
	b.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="passkey-register"]`)))
	if loc := b.location(); !strings.HasSuffix(loc, "/account/mfa") {
		t.Fatalf("a manager without a second factor is at %s", loc)
	}
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="passkey-register"]`)))
	waitText(b, `[data-testid="passkey-count"]`, "1", `[data-testid="passkey-error"]`)
	if r := h.db.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM user_passkeys WHERE user_id = $1`, h.users["manager"].ID); r != nil {
		var n int
		_ = r.Scan(&n)
		if n != 1 {
			t.Fatalf("%d passkeys stored", n)
		}
	}
	// Registered: the manager may work now.
	at("/cases")
	if loc := b.location(); !strings.HasSuffix(loc, "/cases") {
		t.Fatalf("after registering a passkey the manager is at %s", loc)
	}
	b.logout()

	passwordStep()
	b.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="passkey-login"]`)))
	// A forged assertion (the challenge begun, an answer not signed by the key) is refused with the
	// one message, logged and counted; the session stays waiting for the second factor.
	forged := `(async () => {
		const h = {'Content-Type': 'application/json', 'X-CSRF-Token': document.querySelector('input[name="_csrf"]').value};
		await fetch('/login/mfa/passkey/begin', {method: 'POST', headers: h, body: '{}'});
		const r = await fetch('/login/mfa/passkey/finish', {method: 'POST', headers: h, body: JSON.stringify({id: 'AAAA', rawId: 'AAAA', type: 'public-key',
			response: {clientDataJSON: 'e30', authenticatorData: 'AAAA', signature: 'AAAA', userHandle: ''}})});
		return r.status + ' ' + (await r.json()).error;
	})()`
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](forged, chromedp.EvalAwaitPromise))
	// (before the second step the page language is the browser's: headless Chromium asks for English)
	if err != nil || (got != "401 確認コードが正しくありません。" && got != "401 The code is not correct.") {
		t.Errorf("forged assertion: %q %v", got, err)
	}
	var reason string
	_ = h.db.Store.Pool.QueryRow(context.Background(), `SELECT reason FROM login_attempts ORDER BY id DESC LIMIT 1`).Scan(&reason)
	if reason != "webauthn" {
		t.Errorf("forged assertion logged as %q", reason)
	}
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="passkey-login"]`)))
	b.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="current-user"]`)))
	var method string
	_ = h.db.Store.Pool.QueryRow(context.Background(), `SELECT method FROM login_attempts WHERE success ORDER BY id DESC LIMIT 1`).Scan(&method)
	if method != "password+webauthn" {
		t.Errorf("last login method %q", method)
	}
}

// waitText waits until sel's text ends with want, failing with the text of errSel if it does not.
func waitText(b *browser, sel, want, errSel string) {
	b.t.Helper()
	var got string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		got, _ = chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.querySelector(`+jsString(sel)+`) || {}).innerText || ''`))
		if strings.HasSuffix(strings.TrimSpace(got), want) {
			return
		}
	}
	msg, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.querySelector(`+jsString(errSel)+`) || {}).innerText || ''`))
	b.t.Fatalf("%s says %q, want …%s (error shown: %q)", sel, got, want, msg)
}
