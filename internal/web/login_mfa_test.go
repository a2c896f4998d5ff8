package web_test

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/config"
)

// requireMFA turns on the installation default: the second factor is required for
// auth.DefaultMFARoles (the harness turns it off for the other tests).
func (h *harness) requireMFA() {
	h.t.Helper()
	roles := make([]string, len(auth.DefaultMFARoles))
	for i, r := range auth.DefaultMFARoles {
		roles[i] = string(r)
	}
	if _, err := h.db.Store.Pool.Exec(context.Background(), `UPDATE auth_settings SET mfa_roles = $1`, roles); err != nil {
		h.t.Fatal(err)
	}
}

var secretRe = regexp.MustCompile(`data-testid="totp-secret">([A-Z2-7]+)<`)
var recoveryRe = regexp.MustCompile(`<li><code>([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})</code></li>`)

// enrol runs the enrolment on the account page with a code of the previous step (accepted with one
// step of skew), so a login right after can use the current step.
func enrol(t *testing.T, c *client) (secret string, recovery []string) {
	secret, recovery, _ = enrolCode(t, c)
	return secret, recovery
}

// enrolCode is enrol, also returning the code it used.
func enrolCode(t *testing.T, c *client) (secret string, recovery []string, code string) {
	t.Helper()
	page := c.get("/account/mfa")
	m := secretRe.FindStringSubmatch(page.Body)
	if page.Status != http.StatusOK || m == nil {
		t.Fatalf("enrolment page %d without a secret", page.Status)
	}
	qr := c.get("/account/mfa/qr.png")
	if _, err := png.Decode(bytes.NewReader([]byte(qr.Body))); err != nil || qr.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("QR code is not a PNG: %v", err)
	}
	code, _ = totp.GenerateCode(m[1], settledNow().Add(-30*time.Second))
	r := c.postForm("/account/mfa", "/account/mfa", url.Values{"code": {code}})
	if r.Status != http.StatusOK {
		t.Fatalf("enrol: %d %.300s", r.Status, stripTags(r.Body))
	}
	for _, mm := range recoveryRe.FindAllStringSubmatch(r.Body, -1) {
		recovery = append(recovery, mm[1])
	}
	if len(recovery) != auth.RecoveryCodeCount {
		t.Fatalf("%d recovery codes shown", len(recovery))
	}
	return m[1], recovery, code
}

func TestMFA_RequiredRoleEnrolsFirst(t *testing.T) {
	h := newHarness(t)
	h.requireMFA()
	h.user("staff", auth.RoleStaff)
	h.user("admin", auth.RoleAdmin)
	c := h.client().loginAs("staff")
	if r := c.get("/cases"); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account/mfa" {
		t.Fatalf("staff without a second factor reached /cases: %d %q", r.Status, r.Header.Get("Location"))
	}
	if r := c.postForm("/account/mfa", "/cases", url.Values{"title": {"x"}}); r.Status != http.StatusForbidden && r.Status != http.StatusSeeOther {
		t.Fatalf("a post before enrolment: %d", r.Status)
	}
	if !strings.Contains(c.get("/account/mfa").Body, `data-testid="mfa-required"`) {
		t.Error("the enrolment page does not say it is required")
	}
	_, codes := enrol(t, c)
	if r := c.get("/cases"); r.Status != http.StatusOK {
		t.Fatalf("after enrolment /cases: %d", r.Status)
	}
	// The codes are shown once: the page now only counts them.
	if p := c.get("/account/mfa").Body; strings.Contains(p, codes[0]) || !strings.Contains(p, `data-testid="mfa-on"`) {
		t.Error("recovery codes shown again, or the factor is not on")
	}
	var stored []byte
	_ = h.db.Store.Pool.QueryRow(context.Background(), `SELECT code_hash FROM user_recovery_codes LIMIT 1`).Scan(&stored)
	if bytes.Contains(stored, []byte(codes[0])) || len(stored) != 32 {
		t.Error("recovery codes are not stored hashed")
	}
	// A role outside the set is not sent to enrol.
	if r := h.client().loginAs("admin").get("/admin/users"); r.Status != http.StatusOK {
		t.Errorf("admin (not an MFA role) got %d", r.Status)
	}
	// A required factor cannot be removed.
	if r := c.postForm("/account/mfa", "/account/mfa/remove", url.Values{"code": {"000000"}}); r.Status != http.StatusForbidden {
		t.Errorf("removing a required factor: %d", r.Status)
	}
}

func TestMFA_SecondStep(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.LoginMaxFails = 4 })
	u := h.user("staff", auth.RoleStaff)
	secret, recovery, enrolCode := enrolCode(t, h.client().loginAs("staff"))

	// The password alone leaves the session waiting: nothing but the second step is open.
	c := h.client()
	r := c.login(u.Email, testPassword)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login/mfa" {
		t.Fatalf("password step: %d %q", r.Status, r.Header.Get("Location"))
	}
	if r := c.get("/cases"); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
		t.Fatalf("a half-signed-in session reached /cases: %d", r.Status)
	}
	step := func(form url.Values) resp { return c.postForm("/login/mfa", "/login/mfa", form) }
	lastReason := func() string {
		var reason string
		_ = h.db.Store.Pool.QueryRow(context.Background(), `SELECT reason FROM login_attempts ORDER BY id DESC LIMIT 1`).Scan(&reason)
		return reason
	}
	at := settledNow()
	now, _ := totp.GenerateCode(secret, at)
	for _, tc := range []struct {
		name, reason string
		form         url.Values
	}{
		{"wrong code", "totp", url.Values{"code": {wrongCode(now, enrolCode)}}},
		{"code reused within its window", "totp_reused", url.Values{"code": {enrolCode}}},
		{"wrong recovery code", "recovery", url.Values{"recovery": {"AAAA-BBBB-CCCC-DDDD"}}},
	} {
		r := step(tc.form)
		if r.Status != http.StatusUnauthorized || loginError(r.Body) != "確認コードが正しくありません。" {
			t.Errorf("%s: %d %q", tc.name, r.Status, loginError(r.Body))
		}
		if got := lastReason(); got != tc.reason {
			t.Errorf("%s: logged as %q, want %q", tc.name, got, tc.reason)
		}
	}
	if r := step(url.Values{"code": {now}}); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/cases" { // where it was going
		t.Fatalf("right code: %d", r.Status)
	}
	if !signedIn(t, c) {
		t.Fatal("not signed in after the second step")
	}
	// The same code again, from another browser: refused.
	c2 := h.client()
	c2.login(u.Email, testPassword)
	if r := c2.postForm("/login/mfa", "/login/mfa", url.Values{"code": {now}}); r.Status != http.StatusUnauthorized {
		t.Errorf("replayed code: %d", r.Status)
	}
	// Four failures since the last success: the account is locked for the second step too, even
	// with a good recovery code.
	for range 3 {
		c2.postForm("/login/mfa", "/login/mfa", url.Values{"code": {wrongCode(now)}})
	}
	r = c2.postForm("/login/mfa", "/login/mfa", url.Values{"recovery": {recovery[0]}})
	if r.Status != http.StatusTooManyRequests {
		t.Errorf("after 4 failures: %d %q", r.Status, loginError(r.Body))
	}
}

func TestMFA_RecoveryCodeOnce(t *testing.T) {
	h := newHarness(t)
	u := h.user("staff", auth.RoleStaff)
	_, recovery := enrol(t, h.client().loginAs("staff"))
	c := h.client()
	c.login(u.Email, testPassword)
	if r := c.postForm("/login/mfa", "/login/mfa", url.Values{"recovery": {strings.ToLower(recovery[3])}}); r.Status != http.StatusSeeOther {
		t.Fatalf("recovery code: %d", r.Status)
	}
	c2 := h.client()
	c2.login(u.Email, testPassword)
	if r := c2.postForm("/login/mfa", "/login/mfa", url.Values{"recovery": {recovery[3]}}); r.Status != http.StatusUnauthorized {
		t.Fatalf("a spent recovery code: %d", r.Status)
	}
}

// wrongCode is a 6-digit code that is neither of the valid ones given.
func wrongCode(valid ...string) string {
	for _, c := range []string{"000000", "111111", "222222"} {
		ok := true
		for _, v := range valid {
			ok = ok && c != v
		}
		if ok {
			return c
		}
	}
	return "333333"
}

// settledNow is the time, after waiting out the last 3 seconds of a 30-second TOTP step, so that a
// code computed now is still of the same step when the server checks it a moment later.
func settledNow() time.Time {
	now := time.Now()
	if left := 30 - now.Unix()%30; left <= 3 {
		time.Sleep(time.Duration(left)*time.Second + 100*time.Millisecond)
		now = time.Now()
	}
	return now
}

func TestMFA_AdminSetsRequiredRoles(t *testing.T) {
	h := newHarness(t)
	h.user("admin", auth.RoleAdmin)
	h.user("manager", auth.RoleManager)
	ac := h.client().loginAs("admin")
	if r := ac.postForm("/admin/security", "/admin/security", url.Values{"password_login": {"true"}, "break_glass": {"0"}, "mfa_roles": {"manager", "executive"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("save: %d", r.Status)
	}
	set, err := h.db.Store.GetAuthSettings(context.Background())
	if err != nil || len(set.MFARoles) != 2 || set.MFARoles[0] != auth.RoleManager {
		t.Fatalf("%+v %v", set, err)
	}
	if !strings.Contains(ac.get("/admin/security").Body, `name="mfa_roles" value="manager" checked`) {
		t.Error("the settings page does not show the saved roles")
	}
	if r := h.client().loginAs("manager").get("/cases"); r.Header.Get("Location") != "/account/mfa" {
		t.Errorf("manager without a second factor: %d %q", r.Status, r.Header.Get("Location"))
	}
	if r := ac.postForm("/admin/security", "/admin/security", url.Values{"break_glass": {"0"}, "password_login": {"true"}, "mfa_roles": {"root"}}); r.Status != http.StatusBadRequest {
		t.Errorf("unknown role: %d", r.Status)
	}
}
