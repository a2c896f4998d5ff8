package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/config"
)

func TestLogin_SuccessShowsCaseListInJapanese(t *testing.T) {
	h := newHarness(t)
	h.user("staff", auth.RoleStaff)
	c := h.client().loginAs("staff")
	r := c.get("/")
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/cases" {
		t.Fatalf("home: %d %s", r.Status, r.Header.Get("Location"))
	}
	r = c.get("/cases")
	if r.Status != http.StatusOK {
		t.Fatalf("cases: %d", r.Status)
	}
	for _, want := range []string{`lang="ja"`, "案件一覧", `data-testid="cases-empty"`, "テスト staff"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("case list lacks %q", want)
		}
	}
}

func TestLogin_FailuresAllLookTheSame(t *testing.T) {
	h := newHarness(t)
	u := h.user("staff", auth.RoleStaff)
	gone := h.user("gone", auth.RoleStaff)
	if err := h.db.Store.SetDisabled(context.Background(), 0, gone.ID, gone.Version, true); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, email, password string }{
		{"wrong password", u.Email, "not the password at all"},
		{"unknown user", "nobody@example.jp", testPassword},
		{"disabled user", gone.Email, testPassword},
		{"malformed address", "not-an-address", testPassword},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := h.client()
			r := c.login(tc.email, tc.password)
			if r.Status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", r.Status)
			}
			if !strings.Contains(r.Body, "メールアドレスまたはパスワードが正しくありません。") {
				t.Fatal("missing the generic Japanese failure message")
			}
			if strings.Contains(r.Body, tc.password) {
				t.Fatal("the password was echoed back")
			}
			if got := c.get("/cases"); got.Status != http.StatusSeeOther {
				t.Fatalf("after a failed login /cases answered %d", got.Status)
			}
		})
	}
}

func TestLogin_LockoutPerAccountWithoutRevealingExistence(t *testing.T) {
	h := newHarness(t)
	u := h.user("staff", auth.RoleStaff)
	for _, email := range []string{u.Email, "ghost@example.jp"} {
		c := h.client()
		for i := 0; i < 5; i++ {
			if r := c.login(email, "wrong password!"); r.Status != http.StatusUnauthorized {
				t.Fatalf("%s attempt %d: %d", email, i, r.Status)
			}
		}
		r := c.login(email, testPassword)
		if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "一時的にログインできません") {
			t.Fatalf("%s: locked login answered %d", email, r.Status)
		}
	}
	// Attempts are recorded for the administrator, successful or not.
	rows, err := h.db.Store.RecentLoginAttempts(context.Background(), 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 12 {
		t.Fatalf("recorded %d attempts, want 12", len(rows))
	}
}

func TestLogin_LockoutPerIP(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.LoginIPMaxFails = 3 })
	h.user("staff", auth.RoleStaff)
	c := h.client()
	for i := 0; i < 3; i++ {
		c.login("someone"+string(rune('a'+i))+"@example.jp", "wrong password!")
	}
	if r := c.login(h.users["staff"].Email, testPassword); r.Status != http.StatusTooManyRequests {
		t.Fatalf("login from a locked IP answered %d", r.Status)
	}
}

func TestSession_IdleExpiryAndLogout(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.SessionIdle = time.Second })
	h.user("staff", auth.RoleStaff)
	c := h.client().loginAs("staff")
	if r := c.get("/cases"); r.Status != http.StatusOK {
		t.Fatalf("fresh session: %d", r.Status)
	}
	time.Sleep(1500 * time.Millisecond)
	if r := c.get("/cases"); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
		t.Fatalf("idle session still worked: %d", r.Status)
	}

	c = h.client().loginAs("staff")
	if r := c.postForm("/cases", "/logout", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.Status)
	}
	if r := c.get("/cases"); r.Status != http.StatusSeeOther {
		t.Fatalf("after logout /cases answered %d", r.Status)
	}
}

func TestSession_RenewedOnLogin(t *testing.T) {
	h := newHarness(t)
	h.user("staff", auth.RoleStaff)
	c := h.client()
	c.get("/login")
	u, _ := url.Parse(h.ts.URL)
	before := cookieValue(c, u)
	c.loginAs("staff")
	after := cookieValue(c, u)
	if before == "" || after == "" || before == after {
		t.Fatalf("session token not renewed on login (%q → %q)", before, after)
	}
}

func cookieValue(c *client, u *url.URL) string {
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "leakdesk_session" {
			return ck.Value
		}
	}
	return ""
}

func TestCSRF_RejectedWithoutTokenOrCrossSite(t *testing.T) {
	h := newHarness(t)
	h.user("staff", auth.RoleStaff)
	c := h.client().loginAs("staff")

	r := c.post("/logout", url.Values{}) // no token
	if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "フォームの有効期限が切れたか") {
		t.Fatalf("POST without token: %d", r.Status)
	}
	r = c.post("/logout", url.Values{"_csrf": {"forged"}})
	if r.Status != http.StatusForbidden {
		t.Fatalf("POST with a wrong token: %d", r.Status)
	}
	// A cross-site browser request is refused by Fetch metadata even with the right token.
	form := url.Values{"_csrf": {c.csrf("/cases")}}
	req, _ := http.NewRequest(http.MethodPost, h.ts.URL+"/logout", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if r := c.do(req); r.Status != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d", r.Status)
	}
	if r := c.get("/cases"); r.Status != http.StatusOK {
		t.Fatalf("refused posts must not have logged the user out: %d", r.Status)
	}
}

func TestAdminPage_AccessByRole(t *testing.T) {
	h := newHarness(t)
	for _, r := range auth.AllRoles {
		h.user(string(r), r)
	}
	for _, role := range auth.AllRoles {
		t.Run(string(role), func(t *testing.T) {
			c := h.client().loginAs(string(role))
			want := http.StatusForbidden
			if role == auth.RoleAdmin {
				want = http.StatusOK
			}
			if r := c.get("/admin/users"); r.Status != want {
				t.Fatalf("GET /admin/users as %s: %d, want %d", role, r.Status, want)
			}
		})
	}
	if r := h.client().get("/admin/users"); r.Status != http.StatusSeeOther {
		t.Fatalf("anonymous: %d", r.Status)
	}
	// Admins administer accounts; they do not read cases.
	if r := h.client().loginAs("admin").get("/cases"); r.Status != http.StatusForbidden {
		t.Fatalf("admin reading cases: %d", r.Status)
	}
}

func TestAdmin_CreateUserValidatesAndShowsPasswordOnce(t *testing.T) {
	h := newHarness(t)
	h.user("admin", auth.RoleAdmin)
	c := h.client().loginAs("admin")
	r := c.postForm("/admin/users", "/admin/users", url.Values{"email": {"bad"}, "name": {""}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid user: %d", r.Status)
	}
	for _, want := range []string{`data-testid="error-email"`, `data-testid="error-name"`, `data-testid="error-roles"`, `value="bad"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("invalid form lacks %s", want)
		}
	}
	users, _ := h.db.Store.ListUsers(context.Background())
	if len(users) != 1 {
		t.Fatalf("an invalid form created a user")
	}
	r = c.postForm("/admin/users", "/admin/users", url.Values{"email": {"new@example.jp"}, "name": {"新人 太郎"}, "roles": {"staff", "hr"}})
	if r.Status != http.StatusCreated || !strings.Contains(r.Body, `data-testid="new-password"`) {
		t.Fatalf("create user: %d", r.Status)
	}
	// Issue 20: the account starts without roles; the roles asked for wait for a second person.
	u, err := h.db.Store.UserByEmail(context.Background(), "NEW@example.jp")
	if err != nil || len(u.Roles) != 0 {
		t.Fatalf("created user: %+v %v", u, err)
	}
	if g, err := h.db.Store.PendingGrants(context.Background()); err != nil || len(g) != 1 || g[0].TargetID != u.ID ||
		!auth.Has(g[0].Roles, auth.RoleHR) || !auth.Has(g[0].Roles, auth.RoleStaff) {
		t.Fatalf("pending grant of the new user: %+v %v", g, err)
	}
	if strings.Contains(u.PasswordHash, "new") || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Fatal("password not stored as an argon2id hash")
	}
	// Lists (names and pickers on every case page) carry no password hashes.
	all, err := h.db.Store.ListUsers(context.Background())
	if err != nil || len(all) != 2 {
		t.Fatalf("list users: %d %v", len(all), err)
	}
	for _, lu := range all {
		if lu.PasswordHash != "" {
			t.Fatalf("ListUsers returned the password hash of %s", lu.Email)
		}
	}
	r = c.postForm("/admin/users", "/admin/users", url.Values{"email": {"new@example.jp"}, "name": {"二人目"}, "roles": {"staff"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "既に登録されています") {
		t.Fatalf("duplicate e-mail: %d", r.Status)
	}
}

func TestAdmin_DisableEndsAccess(t *testing.T) {
	h := newHarness(t)
	h.user("admin", auth.RoleAdmin)
	staff := h.user("staff", auth.RoleStaff)
	victim := h.client().loginAs("staff")
	tok := h.token("staff")
	admin := h.client().loginAs("admin")
	r := admin.postForm("/admin/users", "/admin/users/"+itoa(staff.ID)+"/disable", url.Values{"version": {itoa(staff.Version)}, "disabled": {"true"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("disable: %d", r.Status)
	}
	if r := victim.get("/cases"); r.Status != http.StatusSeeOther {
		t.Fatalf("disabled user's session still works: %d", r.Status)
	}
	if r := h.api("GET", "/api/v1/me", tok, ""); r.Status != http.StatusUnauthorized {
		t.Fatalf("disabled user's token still works: %d", r.Status)
	}
	// A stale version (someone changed the user meanwhile) is refused, not overwritten.
	r = admin.postForm("/admin/users", "/admin/users/"+itoa(staff.ID)+"/disable", url.Values{"version": {itoa(staff.Version)}, "disabled": {"false"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("stale disable: %d", r.Status)
	}
	if r := admin.get("/admin/users"); !strings.Contains(r.Body, "他の管理者が先に") {
		t.Fatal("no conflict message after a stale update")
	}
}

func itoa(n int64) string { return strconvI(n) }

func TestSecurityHeaders_OnEveryPage(t *testing.T) {
	h := newHarness(t)
	h.user("admin", auth.RoleAdmin)
	h.user("staff", auth.RoleStaff)
	anon := h.client()
	staff := h.client().loginAs("staff")
	admin := h.client().loginAs("admin")
	checks := []struct {
		c    *client
		path string
	}{
		{anon, "/login"}, {anon, "/nope"}, {anon, "/cases"}, {anon, "/healthz"},
		{staff, "/cases"}, {staff, "/account"}, {staff, "/admin/users"},
		{admin, "/admin/users"}, {admin, "/admin/logins"},
	}
	for _, ck := range checks {
		r := ck.c.get(ck.path)
		csp := r.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", ck.path, csp)
		}
		for k, v := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
			if r.Header.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", ck.path, k, r.Header.Get(k), v)
			}
		}
		if strings.Contains(r.Body, "<script>") || strings.Contains(r.Body, " style=") {
			t.Errorf("%s: inline script or style", ck.path)
		}
	}
	// Session cookie flags.
	for _, ck := range staff.http.Jar.Cookies(mustURL(h.ts.URL)) {
		_ = ck // the jar hides flags; the Set-Cookie header is checked below
	}
	r := h.client().get("/login")
	sc := r.Header.Get("Set-Cookie")
	if !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") {
		t.Errorf("session cookie flags: %q", sc)
	}
}

func TestSecureCookieOverHTTPS(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.BaseURL = "https://leakdesk.example.jp" })
	r := h.client().get("/login")
	if sc := r.Header.Get("Set-Cookie"); !strings.Contains(sc, "Secure") {
		t.Fatalf("cookie lacks Secure behind https: %q", sc)
	}
	if r.Header.Get("Strict-Transport-Security") == "" {
		t.Fatal("no HSTS behind https")
	}
}

func TestAPI_ProblemJSON(t *testing.T) {
	h := newHarness(t)
	h.user("staff", auth.RoleStaff)
	tok := h.token("staff")
	cases := []struct {
		name, method, path, token string
		hdr                       []string
		status                    int
		detail                    string
	}{
		{"no token", "GET", "/api/v1/me", "", nil, 401, "ログインが必要です"},
		{"bad token", "GET", "/api/v1/me", "ldk_forged", nil, 401, "ログインが必要です"},
		{"unknown route", "GET", "/api/v1/nothing-here", tok, nil, 404, "見つかりませんでした"},
		{"english", "GET", "/api/v1/nothing-here", tok, []string{"Accept-Language", "en"}, 404, "not found"},
		{"wrong method", "DELETE", "/api/v1/me", tok, nil, 405, "使えません"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.api(tc.method, tc.path, tc.token, "", tc.hdr...)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q", ct)
			}
			var p map[string]any
			if err := json.Unmarshal([]byte(r.Body), &p); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"type", "title", "status", "detail"} {
				if _, ok := p[k]; !ok {
					t.Errorf("problem lacks %q", k)
				}
			}
			if !strings.Contains(p["detail"].(string), tc.detail) {
				t.Errorf("detail %q lacks %q", p["detail"], tc.detail)
			}
		})
	}
	r := h.api("GET", "/api/v1/me", tok, "")
	if r.Status != 200 || !strings.Contains(r.Body, `"staff"`) {
		t.Fatalf("me: %d %s", r.Status, r.Body)
	}
}

func TestBodyLimit_413(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.MaxBodyBytes = 1024 })
	c := h.client()
	big := url.Values{"email": {strings.Repeat("a", 4096)}, "password": {"x"}}
	r := c.postForm("/login", "/login", big)
	if r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized form: %d", r.Status)
	}
}

func TestErrorPages_NoStackTraces(t *testing.T) {
	h := newHarness(t)
	r := h.client().get("/no/such/page")
	if r.Status != 404 || !strings.Contains(r.Body, "見つかりませんでした") || strings.Contains(r.Body, "goroutine") {
		t.Fatalf("404 page: %d", r.Status)
	}
}

func TestLanguage_EnglishByAcceptLanguageAndSwitch(t *testing.T) {
	h := newHarness(t)
	h.user("staff", auth.RoleStaff)
	c := h.client()
	req, _ := http.NewRequest("GET", h.ts.URL+"/login", nil)
	req.Header.Set("Accept-Language", "en-US,en;q=0.9")
	if r := c.do(req); !strings.Contains(r.Body, `lang="en"`) || !strings.Contains(r.Body, "Log in") {
		t.Fatal("Accept-Language: en did not give English")
	}
	c.loginAs("staff")
	if r := c.postForm("/account", "/lang", url.Values{"lang": {"en"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("switch: %d", r.Status)
	}
	if r := c.get("/cases"); !strings.Contains(r.Body, "Cases") || !strings.Contains(r.Body, `lang="en"`) {
		t.Fatal("the account language did not switch to English")
	}
}
