package web_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/config"
	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/testdb"
	"github.com/leakdesk/leakdesk/internal/web"
)

// cheap keeps argon2id real but fast enough for many logins per test.
var cheap = auth.Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

type harness struct {
	t     *testing.T
	db    *testdb.DB
	srv   *web.Server
	ts    *httptest.Server
	users map[string]store.User
	keys  *pii.Keyring         // the register's data key
	reg   *prometheus.Registry // what /metrics serves (the reminder's mail counter can join it)
	// exchange, when set, sees every API call made through api/apiRaw (the OpenAPI check).
	exchange func(req *http.Request, reqBody []byte, r *http.Response, body []byte)
}

const testPassword = "correct horse battery staple"

func newHarness(t *testing.T, mutate ...func(*config.Config)) *harness {
	t.Helper()
	return newHarnessOn(t, nil, mutate...)
}

// newHarnessOn serves on ln (nil: a fresh port), so a test can know the base URL before the
// server is built (the OIDC redirect URI is derived from it).
func newHarnessOn(t *testing.T, ln net.Listener, mutate ...func(*config.Config)) *harness {
	t.Helper()
	db := testdb.New(t)
	cfg, err := config.FromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mutate {
		m(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	material := make([]byte, 32)
	if _, err := rand.Read(material); err != nil {
		t.Fatal(err)
	}
	key, err := pii.NewKey(material)
	if err != nil {
		t.Fatal(err)
	}
	keys := pii.NewKeyring(key)
	passwordsOnly(t, db)
	if err := db.Store.CheckDataKey(context.Background(), keys); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	srv := web.New(cfg, db.Store, log, web.Options{PasswordParams: &cheap, Keys: keys, Registry: reg})
	srv.Ready().Check(context.Background())
	ts := httptest.NewUnstartedServer(srv.Handler())
	if ln != nil {
		_ = ts.Listener.Close()
		ts.Listener = ln
	}
	ts.Start()
	t.Cleanup(ts.Close)
	h := &harness{t: t, db: db, srv: srv, ts: ts, users: map[string]store.User{}, keys: keys, reg: reg}
	return h
}

// user creates (once) a user named key with the given roles and the test password.
func (h *harness) user(key string, roles ...auth.Role) store.User {
	h.t.Helper()
	if u, ok := h.users[key]; ok {
		return u
	}
	hash, err := auth.HashPassword(testPassword, cheap)
	if err != nil {
		h.t.Fatal(err)
	}
	u, err := h.db.Store.CreateUser(context.Background(), 0, key+"@example.jp", "テスト "+key, roles, hash)
	if err != nil {
		h.t.Fatal(err)
	}
	h.users[key] = u
	return u
}

// client is a browser-like HTTP client: a cookie jar, no automatic redirects.
type client struct {
	h    *harness
	http *http.Client
}

func (h *harness) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{h: h, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type resp struct {
	Status int
	Header http.Header
	Body   string
}

func (c *client) do(req *http.Request) resp {
	c.h.t.Helper()
	r, err := c.http.Do(req)
	if err != nil {
		c.h.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return resp{Status: r.StatusCode, Header: r.Header, Body: string(b)}
}

func (c *client) get(path string) resp {
	req, _ := http.NewRequest(http.MethodGet, c.h.ts.URL+path, nil)
	return c.do(req)
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrf fetches a page and returns its form token.
func (c *client) csrf(path string) string {
	c.h.t.Helper()
	r := c.get(path)
	m := csrfRe.FindStringSubmatch(r.Body)
	if m == nil {
		c.h.t.Fatalf("no CSRF token on %s (status %d)", path, r.Status)
	}
	return m[1]
}

// post submits a form the way a same-origin browser does.
func (c *client) post(path string, form url.Values) resp {
	req, _ := http.NewRequest(http.MethodPost, c.h.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.h.ts.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// postForm posts with the CSRF token of the page at from.
func (c *client) postForm(from, path string, form url.Values) resp {
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", c.csrf(from))
	return c.post(path, form)
}

func (c *client) login(email, password string) resp {
	return c.postForm("/login", "/login", url.Values{"email": {email}, "password": {password}})
}

// loginAs logs the client in as the harness user key, failing the test otherwise.
func (c *client) loginAs(key string) *client {
	c.h.t.Helper()
	u, ok := c.h.users[key]
	if !ok {
		c.h.t.Fatalf("unknown test user %q", key)
	}
	r := c.login(u.Email, testPassword)
	if r.Status != http.StatusSeeOther {
		c.h.t.Fatalf("login %s: status %d", key, r.Status)
	}
	return c
}

func (h *harness) token(key string) string {
	h.t.Helper()
	tok, hash, err := auth.NewToken()
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.db.Store.CreateToken(context.Background(), h.users[key].ID, hash, "test"); err != nil {
		h.t.Fatal(err)
	}
	return tok
}

func (h *harness) api(method, path, token, body string, hdr ...string) resp {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, h.ts.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := &http.Client{Timeout: 30 * time.Second}
	r, err := c.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	if h.exchange != nil {
		h.exchange(req, []byte(body), r, b)
	}
	return resp{Status: r.StatusCode, Header: r.Header, Body: string(b)}
}

// passwordsOnly lets the test sign in with passwords alone: a new installation requires a second
// factor for auth.DefaultMFARoles, which login_mfa_test.go turns back on (requireMFA).
func passwordsOnly(t *testing.T, db *testdb.DB) {
	t.Helper()
	if err := db.Store.SetMFARoles(context.Background(), 0, nil); err != nil {
		t.Fatal(err)
	}
}
