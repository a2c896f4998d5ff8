package web_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/config"
)

// The single-sign-on tests run a real OpenID Connect provider in process (mockoidc: discovery,
// JWKS, RS256-signed ID tokens, one-time codes, PKCE) and leakdesk as its client.

const ssoFailText = "社内アカウントでログインできませんでした。"

type oidcEnv struct {
	*harness
	op *mockoidc.MockOIDC
}

func newOIDCHarness(t *testing.T, mutate ...func(*config.Config)) *oidcEnv {
	t.Helper()
	return newOIDCHarnessWith(t, nil, mutate...)
}

// newOIDCHarnessWith puts mw in front of the provider's endpoints.
func newOIDCHarnessWith(t *testing.T, mw func(http.Handler) http.Handler, mutate ...func(*config.Config)) *oidcEnv {
	t.Helper()
	op, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if mw != nil {
		if err := op.AddMiddleware(mw); err != nil {
			t.Fatal(err)
		}
	}
	opLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Start(opLn, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = op.Shutdown() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := op.Config()
	h := newHarnessOn(t, ln, append([]func(*config.Config){func(c *config.Config) {
		c.BaseURL = "http://" + ln.Addr().String()
		c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecret = cfg.Issuer, cfg.ClientID, cfg.ClientSecret
		c.OIDCScopes = []string{"email", "profile", "groups"}
	}}, mutate...)...)
	return &oidcEnv{harness: h, op: op}
}

// claimsUser is a provider account whose ID token claims a test may change (amr/acr, or a token
// for another audience or issuer, still signed by the provider's key).
type claimsUser struct {
	*mockoidc.MockUser
	edit func(map[string]any)
}

func (u claimsUser) Claims(scope []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	c, err := u.MockUser.Claims(scope, base)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	m := jwt.MapClaims{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if u.edit != nil {
		u.edit(m)
	}
	return m, nil
}

func idpUser(sub, email string, groups ...string) *mockoidc.MockUser {
	return &mockoidc.MockUser{Subject: sub, Email: email, EmailVerified: true, PreferredUsername: sub, Groups: groups}
}

// begin starts a login in c's session and lets the provider answer: it returns the callback path
// with the code and state (the browser's next request, not yet sent).
func (e *oidcEnv) begin(c *client, u mockoidc.User) string {
	e.t.Helper()
	e.op.QueueUser(u)
	r := c.get("/login/oidc")
	if r.Status != http.StatusSeeOther {
		e.t.Fatalf("GET /login/oidc: %d %.300s", r.Status, r.Body)
	}
	loc := r.Header.Get("Location")
	au, _ := url.Parse(loc)
	if !strings.HasPrefix(loc, e.op.AuthorizationEndpoint()) || au.Query().Get("code_challenge_method") != "S256" ||
		au.Query().Get("nonce") == "" || au.Query().Get("state") == "" {
		e.t.Fatalf("authorization request lacks PKCE S256, nonce or state: %s", loc)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	ar, err := noFollow.Get(loc)
	if err != nil {
		e.t.Fatal(err)
	}
	ar.Body.Close()
	cb, err := url.Parse(ar.Header.Get("Location"))
	if err != nil || ar.StatusCode != http.StatusFound || cb.Path != "/login/oidc/callback" {
		e.t.Fatalf("provider answered %d %q", ar.StatusCode, ar.Header.Get("Location"))
	}
	return cb.RequestURI()
}

// loginSSO runs the whole flow and expects to be signed in.
func (e *oidcEnv) loginSSO(c *client, u mockoidc.User) {
	e.t.Helper()
	r := c.get(e.begin(c, u))
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		e.t.Fatalf("callback: %d %q %.300s", r.Status, r.Header.Get("Location"), stripTags(r.Body))
	}
}

func signedIn(t *testing.T, c *client) bool {
	t.Helper()
	return c.get("/account").Status == http.StatusOK
}

type loginRow struct {
	emailKey, reason, method, acr string
	success                       bool
	userID                        *int64
	amr                           []string
}

func (e *oidcEnv) lastLogin() loginRow {
	e.t.Helper()
	var l loginRow
	err := e.db.Store.Pool.QueryRow(context.Background(), `SELECT email_key, reason, method, acr, success, user_id, amr FROM login_attempts ORDER BY id DESC LIMIT 1`).
		Scan(&l.emailKey, &l.reason, &l.method, &l.acr, &l.success, &l.userID, &l.amr)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

func TestOIDC_FirstLoginCreatesUserThenMatchesBySubject(t *testing.T) {
	e := newOIDCHarness(t)
	c := e.client()
	if !strings.Contains(c.get("/login").Body, "社内アカウントでログイン") {
		t.Fatal("login page does not offer the company-account login")
	}
	u := claimsUser{MockUser: idpUser("sub-hanako", "hanako@example.jp"), edit: func(m map[string]any) {
		m["amr"] = []string{"pwd", "mfa"}
		m["acr"] = "urn:example:mfa"
		m["name"] = "山田 花子"
	}}
	e.loginSSO(c, u)
	got, err := e.db.Store.UserByEmail(context.Background(), "hanako@example.jp")
	if err != nil {
		t.Fatalf("no user created: %v", err)
	}
	if got.Name != "山田 花子" || !slices.Equal(got.Roles, auth.DefaultSSORoles) {
		t.Errorf("created %q with roles %v, want roles %v", got.Name, got.Roles, auth.DefaultSSORoles)
	}
	if !signedIn(t, c) {
		t.Fatal("not signed in after the callback")
	}
	l := e.lastLogin()
	if !l.success || l.method != "oidc" || l.acr != "urn:example:mfa" || !slices.Equal(l.amr, []string{"pwd", "mfa"}) || l.userID == nil || *l.userID != got.ID {
		t.Errorf("login record %+v", l)
	}
	// The next login is matched by subject, even with a new address at the provider.
	c2 := e.client()
	e.loginSSO(c2, idpUser("sub-hanako", "hanako.yamada@example.jp"))
	var n int
	_ = e.db.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM users`).Scan(&n)
	if n != 1 {
		t.Errorf("%d users after two logins of one subject", n)
	}
}

func TestOIDC_LinksExistingAccountByVerifiedEmail(t *testing.T) {
	e := newOIDCHarness(t)
	staff := e.user("staff", auth.RoleStaff)
	c := e.client()
	e.loginSSO(c, idpUser("sub-staff", staff.Email))
	r := c.get("/cases")
	if r.Status != http.StatusOK {
		t.Fatalf("linked staff user cannot open /cases: %d", r.Status)
	}
	got, _ := e.db.Store.UserByIdentity(context.Background(), e.op.Issuer(), "sub-staff")
	if got.ID != staff.ID || !slices.Equal(got.Roles, []auth.Role{auth.RoleStaff}) {
		t.Errorf("identity linked to %d with %v, want %d keeping its roles", got.ID, got.Roles, staff.ID)
	}
	// A second subject claiming the same address does not get the account.
	c2 := e.client()
	r = c2.get(e.begin(c2, idpUser("sub-impostor", staff.Email)))
	if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, ssoFailText) {
		t.Fatalf("second subject for a linked address: %d", r.Status)
	}
	if l := e.lastLogin(); l.reason != "oidc_conflict" {
		t.Errorf("reason %q", l.reason)
	}
	// An address the provider has not verified neither links nor creates.
	c3 := e.client()
	unverified := claimsUser{MockUser: idpUser("sub-new", "new@example.jp"), edit: func(m map[string]any) { m["email_verified"] = false }}
	if r := c3.get(e.begin(c3, unverified)); r.Status != http.StatusUnauthorized {
		t.Fatalf("unverified address: %d", r.Status)
	}
	if _, err := e.db.Store.UserByEmail(context.Background(), "new@example.jp"); err == nil {
		t.Error("an unverified address created an account")
	}
}

func TestOIDC_GroupRoles(t *testing.T) {
	gr, err := auth.ParseGroupRoles("ga-team=staff, ga-heads=manager,ga-heads=privacy_officer")
	if err != nil {
		t.Fatal(err)
	}
	e := newOIDCHarness(t, func(c *config.Config) { c.OIDCGroupRoles = gr })
	c := e.client()
	e.loginSSO(c, idpUser("sub-boss", "boss@example.jp", "ga-heads", "unrelated"))
	u, _ := e.db.Store.UserByEmail(context.Background(), "boss@example.jp")
	if !slices.Equal(u.Roles, []auth.Role{auth.RoleManager, auth.RolePrivacyOfficer}) {
		t.Errorf("roles %v", u.Roles)
	}
	// Leaving the group at the provider takes the roles away at the next login.
	e.loginSSO(e.client(), idpUser("sub-boss", "boss@example.jp", "ga-team"))
	u, _ = e.db.Store.UserByEmail(context.Background(), "boss@example.jp")
	if !slices.Equal(u.Roles, []auth.Role{auth.RoleStaff}) {
		t.Errorf("after the group change: %v", u.Roles)
	}
	if _, err := auth.ParseGroupRoles("g=root"); err == nil {
		t.Error("an unknown role was accepted")
	}
}

// TestOIDC_BadCallbacks: every way the callback can be wrong fails with the one message, no
// session, and its own reason in the login log.
func TestOIDC_BadCallbacks(t *testing.T) {
	e := newOIDCHarness(t)
	// A code already redeemed by someone else's login (captured from a URL, a log, a proxy).
	victim := e.client()
	usedCallback := e.begin(victim, idpUser("sub-victim", "victim@example.jp"))
	if r := victim.get(usedCallback); r.Status != http.StatusSeeOther {
		t.Fatalf("victim login: %d", r.Status)
	}
	usedCode := mustQuery(t, usedCallback).Get("code")

	cases := []struct {
		name   string
		reason string
		run    func(c *client) resp
	}{
		{"wrong state", "oidc_state", func(c *client) resp {
			cb := mustQuery(t, e.begin(c, idpUser("sub-a", "a@example.jp")))
			cb.Set("state", "forged-"+cb.Get("state"))
			return c.get("/login/oidc/callback?" + cb.Encode())
		}},
		{"no login started", "oidc_state", func(c *client) resp {
			return c.get("/login/oidc/callback?code=abc&state=def")
		}},
		{"replayed callback", "oidc_state", func(c *client) resp {
			return c.get(usedCallback) // the state was the victim's session's and is spent
		}},
		{"replayed code with own state", "oidc_code", func(c *client) resp {
			cb := mustQuery(t, e.begin(c, idpUser("sub-b", "b@example.jp")))
			cb.Set("code", usedCode)
			return c.get("/login/oidc/callback?" + cb.Encode())
		}},
		{"expired id token", "oidc_expired", func(c *client) resp {
			cb := e.begin(c, idpUser("sub-c", "c@example.jp"))
			e.op.FastForward(-2 * time.Hour) // the provider mints the token two hours in the past
			defer e.op.FastForward(2 * time.Hour)
			return c.get(cb)
		}},
		{"token for another audience", "oidc_token", func(c *client) resp {
			return c.get(e.begin(c, claimsUser{MockUser: idpUser("sub-d", "d@example.jp"), edit: func(m map[string]any) { m["aud"] = []string{"another-client"} }}))
		}},
		{"token from another issuer", "oidc_token", func(c *client) resp {
			return c.get(e.begin(c, claimsUser{MockUser: idpUser("sub-e", "e@example.jp"), edit: func(m map[string]any) { m["iss"] = "https://idp.attacker.example" }}))
		}},
		{"token for another login (nonce)", "oidc_nonce", func(c *client) resp {
			return c.get(e.begin(c, claimsUser{MockUser: idpUser("sub-f", "f@example.jp"), edit: func(m map[string]any) { m["nonce"] = "someone-elses" }}))
		}},
		{"provider error", "oidc_idp_error", func(c *client) resp {
			cb := mustQuery(t, e.begin(c, idpUser("sub-g", "g@example.jp")))
			return c.get("/login/oidc/callback?error=access_denied&state=" + url.QueryEscape(cb.Get("state")))
		}},
	}
	var bodies []string
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := e.client()
			r := tc.run(c)
			if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, ssoFailText) {
				t.Fatalf("status %d, body %.300s", r.Status, stripTags(r.Body))
			}
			if signedIn(t, c) {
				t.Fatal("signed in after a bad callback")
			}
			if l := e.lastLogin(); l.success || l.reason != tc.reason || l.method != "oidc" {
				t.Errorf("login record %+v, want reason %s", l, tc.reason)
			}
			bodies = append(bodies, loginError(r.Body))
		})
	}
	for _, b := range bodies {
		if b != bodies[0] {
			t.Errorf("failure messages differ: %q vs %q", b, bodies[0])
		}
	}
	for _, who := range []string{"a@", "b@", "c@", "d@", "e@", "f@", "g@"} {
		if _, err := e.db.Store.UserByEmail(context.Background(), who+"example.jp"); err == nil {
			t.Errorf("a failed login created %sexample.jp", who)
		}
	}
}

func loginError(body string) string {
	_, after, _ := strings.Cut(body, `data-testid="login-error">`)
	msg, _, _ := strings.Cut(after, "<")
	return msg
}

func mustQuery(t *testing.T, requestURI string) url.Values {
	t.Helper()
	u, err := url.Parse(requestURI)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// TestOIDC_FailuresCountForLockout: callback failures count per client address with password
// failures, and lock the single-sign-on door like the password one.
func TestOIDC_FailuresCountForLockout(t *testing.T) {
	e := newOIDCHarness(t, func(c *config.Config) { c.LoginIPMaxFails = 3 })
	c := e.client()
	c.login("nobody@example.jp", "wrong password 1")
	for range 2 {
		c.get("/login/oidc/callback?code=x&state=y")
	}
	r := c.get(e.begin(c, idpUser("sub-h", "h@example.jp")))
	if r.Status != http.StatusTooManyRequests || signedIn(t, c) {
		t.Fatalf("after 3 failures from one address a good login got %d", r.Status)
	}
	if l := e.lastLogin(); l.reason != "locked" {
		t.Errorf("reason %q", l.reason)
	}
}

// TestOIDC_DisabledUserLosesEverything: disabling ends the user's sessions (not only tokens), and
// an IdP login for the disabled account is refused and ends whatever is left.
func TestOIDC_DisabledUserLosesEverything(t *testing.T) {
	e := newOIDCHarness(t)
	staff := e.user("staff", auth.RoleStaff)
	admin := e.user("admin", auth.RoleAdmin)
	sso := e.client()
	e.loginSSO(sso, idpUser("sub-staff", staff.Email))
	pw := e.client().loginAs("staff")
	tok := e.token("staff")
	if !signedIn(t, sso) || !signedIn(t, pw) || e.api("GET", "/api/v1/me", tok, "").Status != 200 {
		t.Fatal("setup: not signed in")
	}
	cur, _ := e.db.Store.UserByID(context.Background(), staff.ID)
	if err := e.db.Store.SetDisabled(context.Background(), admin.ID, staff.ID, cur.Version, true); err != nil {
		t.Fatal(err)
	}
	if signedIn(t, sso) || signedIn(t, pw) || e.api("GET", "/api/v1/me", tok, "").Status != 401 {
		t.Fatal("a disabled user kept a session or token")
	}
	c := e.client()
	if r := c.get(e.begin(c, idpUser("sub-staff", staff.Email))); r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, ssoFailText) {
		t.Fatalf("IdP login of a disabled account: %d", r.Status)
	}
	if l := e.lastLogin(); l.reason != "disabled" {
		t.Errorf("reason %q", l.reason)
	}
	after, _ := e.db.Store.UserByID(context.Background(), staff.ID)
	if after.SessionEpoch <= cur.SessionEpoch+1 {
		t.Errorf("the refused IdP login did not end the sessions again (epoch %d → %d)", cur.SessionEpoch, after.SessionEpoch)
	}
}

// TestOIDC_LogoutUsesEndSession: logout ends the leakdesk session and, when the provider
// advertises an end_session_endpoint, sends the browser there to sign out of the company account.
func TestOIDC_LogoutUsesEndSession(t *testing.T) {
	endSession := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(endSession.Close)
	// Discovery as a provider with RP-initiated logout publishes it (mockoidc has none).
	e := newOIDCHarnessWith(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != mockoidc.DiscoveryEndpoint {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var doc map[string]any
			_ = json.Unmarshal(rec.Body.Bytes(), &doc)
			doc["end_session_endpoint"] = endSession.URL + "/logout"
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(doc)
		})
	})
	c := e.client()
	e.loginSSO(c, idpUser("sub-x", "x@example.jp"))
	r := c.postForm("/account", "/logout", nil)
	loc, _ := url.Parse(r.Header.Get("Location"))
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), endSession.URL+"/logout?") ||
		loc.Query().Get("post_logout_redirect_uri") != e.srvBase()+"/login" || loc.Query().Get("id_token_hint") == "" {
		t.Fatalf("logout went to %d %q", r.Status, r.Header.Get("Location"))
	}
	_, fa, _ := strings.Cut(r.Header.Get("Content-Security-Policy"), "form-action ")
	fa, _, _ = strings.Cut(fa, ";")
	if !slices.Contains(strings.Fields(fa), endSession.URL) {
		t.Errorf("the logout form's redirect to the provider is not allowed by form-action: %s", r.Header.Get("Content-Security-Policy"))
	}
	if signedIn(t, c) {
		t.Error("still signed in after logout")
	}
	// A password session logs out to the login page as before.
	e.user("staff", auth.RoleStaff)
	pw := e.client().loginAs("staff")
	if r := pw.postForm("/account", "/logout", nil); r.Header.Get("Location") != "/login" {
		t.Errorf("password logout went to %q", r.Header.Get("Location"))
	}
}

func (h *harness) srvBase() string { return h.ts.URL }

// TestPasswordsOff_BreakGlass: with passwords turned off only the break-glass administrator may
// use one; everyone else gets the ordinary failure message (recorded as password_off), and
// passwords cannot be turned off without a break-glass administrator.
func TestPasswordsOff_BreakGlass(t *testing.T) {
	e := newOIDCHarness(t)
	admin := e.user("admin", auth.RoleAdmin)
	staff := e.user("staff", auth.RoleStaff)
	ac := e.client().loginAs("admin")
	if r := ac.postForm("/admin/security", "/admin/security", url.Values{"break_glass": {"0"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, "緊急用管理者に指定してください") {
		t.Fatalf("passwords off without break-glass: %d", r.Status)
	}
	if r := ac.postForm("/admin/security", "/admin/security", url.Values{"break_glass": {e.itoa(staff.ID)}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a non-admin as break-glass: %d", r.Status)
	}
	if r := ac.postForm("/admin/security", "/admin/security", url.Values{"break_glass": {e.itoa(admin.ID)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("save: %d", r.Status)
	}
	page := e.client().get("/login").Body
	if !strings.Contains(page, `data-testid="login-break-glass"`) || !strings.Contains(page, `data-testid="login-sso"`) {
		t.Error("the login page does not fold the password form away")
	}
	r := e.client().login(staff.Email, testPassword)
	if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "メールアドレスまたはパスワードが正しくありません。") {
		t.Fatalf("staff password login with passwords off: %d", r.Status)
	}
	if l := e.lastLogin(); l.reason != "password_off" {
		t.Errorf("reason %q", l.reason)
	}
	if r := e.client().login(admin.Email, testPassword); r.Status != http.StatusSeeOther {
		t.Fatalf("break-glass admin: %d", r.Status)
	}
	// Single sign-on still works for staff.
	e.loginSSO(e.client(), idpUser("sub-staff", staff.Email))
}

func (h *harness) itoa(n int64) string { return strconv.FormatInt(n, 10) }
