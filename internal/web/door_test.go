package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/config"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web"
)

// The unauthenticated door (issue 20): nothing an anonymous caller sends is read before the
// session is checked, and /readyz does not tell strangers where the database is.

// zeros is an endless body of zero bytes that counts what the other side read.
type zeros struct {
	left int64
	read atomic.Int64
}

func (z *zeros) Read(p []byte) (int, error) {
	if z.left <= 0 {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > z.left {
		n = z.left
	}
	clear(p[:n])
	z.left -= n
	z.read.Add(n)
	return int(n), nil
}

// bigMultipart builds a multipart body of about size bytes (a CSRF field and one file part) that
// allocates nothing on the sending side: the head and tail are small, the file is zeros.
func bigMultipart(size int64, csrf string) (io.Reader, *zeros, string) {
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	_ = mw.WriteField("_csrf", csrf)
	_, _ = mw.CreateFormFile("file", "people.csv")
	tail := "\r\n--" + mw.Boundary() + "--\r\n"
	z := &zeros{left: size}
	return io.MultiReader(bytes.NewReader(head.Bytes()), z, strings.NewReader(tail)), z, mw.FormDataContentType()
}

func TestDoor_UnauthenticatedUploadIsNotRead(t *testing.T) {
	h := newHarness(t)
	h.user("staff", auth.RoleStaff)
	c := h.client()
	csrf := c.csrf("/login") // an anonymous session with a valid CSRF token: the strongest stranger
	const size = 30 << 20
	for _, path := range []string{"/cases/1/persons/import", "/cases/1/evidence"} {
		body, z, ct := bigMultipart(size, csrf)
		req, _ := http.NewRequest(http.MethodPost, h.ts.URL+path, body)
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Origin", h.ts.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r, err := c.http.Do(req)
		runtime.ReadMemStats(&after)
		if err == nil {
			_, _ = io.Copy(io.Discard, r.Body)
			r.Body.Close()
		}
		// The server may answer and close before the client has sent everything: a write error is
		// the expected outcome then, not a failure.
		if err == nil && r.StatusCode != http.StatusSeeOther && r.StatusCode != http.StatusForbidden && r.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: anonymous upload answered %d", path, r.StatusCode)
		}
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s: %d MiB sent by the client, %.1f MiB allocated in the process", path, z.read.Load()>>20, float64(alloc)/(1<<20))
		if alloc > 8<<20 {
			t.Errorf("%s: an anonymous 30 MiB upload made the process allocate %.1f MiB", path, float64(alloc)/(1<<20))
		}
		if z.read.Load() >= size {
			t.Errorf("%s: the whole anonymous body was read", path)
		}
	}
}

func TestDoor_ReadyzTellsStrangersOnlyThatTheDatabaseIsUnreachable(t *testing.T) {
	// A lazy pool to a port where nothing listens, with names an attacker would like to learn.
	st, err := store.Open(context.Background(), "postgres://secretuser:pw@127.0.0.1:1/secretdb?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var logged bytes.Buffer
	cfg, _ := config.FromEnv(func(string) string { return "" })
	srv := web.New(cfg, st, slog.New(slog.NewTextHandler(&logged, nil)), web.Options{})
	srv.Ready().Check(context.Background())
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	r, err := http.Get(ts.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var body map[string]string
	_ = json.NewDecoder(r.Body).Decode(&body)
	if r.StatusCode != http.StatusServiceUnavailable || body["reason"] != "database unreachable" {
		t.Fatalf("readyz = %d %v, want 503 with exactly \"database unreachable\"", r.StatusCode, body)
	}
	for _, secret := range []string{"secretuser", "secretdb", "127.0.0.1", ":1"} {
		if strings.Contains(fmt.Sprint(body), secret) {
			t.Errorf("readyz tells %q", secret)
		}
	}
	if !strings.Contains(logged.String(), "127.0.0.1") {
		t.Errorf("the detail is not in the log: %s", logged.String())
	}
}

// newLimitedHarness is newHarness with the given rate limits.
func newLimitedHarness(t *testing.T, limits web.RateLimits) *harness {
	t.Helper()
	base := newHarness(t)
	cfg, err := config.FromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	srv := web.New(cfg, base.db.Store, slog.New(slog.NewTextHandler(io.Discard, nil)), web.Options{PasswordParams: &cheap, Keys: base.keys, RateLimits: &limits})
	srv.Ready().Check(context.Background())
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	base.srv, base.ts = srv, ts
	return base
}

func TestDoor_ExpensiveRoutesAreRateLimitedPerUser(t *testing.T) {
	one := web.RateLimit{Every: time.Hour, Burst: 1}
	h := newLimitedHarness(t, web.RateLimits{PDF: one, Export: one, Import: one, API: one})
	h.user("staff", auth.RoleStaff)
	h.user("staff2", auth.RoleStaff)
	h.user("auditor", auth.RoleAuditor)
	staff, staff2, auditor := h.client().loginAs("staff"), h.client().loginAs("staff2"), h.client().loginAs("auditor")
	limited := func(what string, r resp) {
		t.Helper()
		if r.Status != http.StatusTooManyRequests {
			t.Errorf("%s: %d, want 429", what, r.Status)
			return
		}
		if ra := r.Header.Get("Retry-After"); ra == "" || ra == "0" {
			t.Errorf("%s: Retry-After %q", what, ra)
		}
	}
	for _, c := range []struct {
		name string
		cl   *client
		do   func(*client) resp
	}{
		{"PDF", staff, func(c *client) resp { return c.get("/cases/999/documents/report_prelim/pdf") }},
		{"ZIP export", auditor, func(c *client) resp { return c.get("/audit/cases/999/export") }},
		{"CSV import", staff, func(c *client) resp {
			return c.postForm("/cases", "/cases/999/persons/import", url.Values{})
		}},
	} {
		if r := c.do(c.cl); r.Status == http.StatusTooManyRequests {
			t.Fatalf("%s: the first request is limited", c.name)
		}
		limited(c.name, c.do(c.cl))
	}
	// Per user: another account still has its own bucket.
	if r := staff2.get("/cases/999/documents/report_prelim/pdf"); r.Status == http.StatusTooManyRequests {
		t.Error("PDF: one user's use limited another")
	}
	tok := h.token("staff")
	if r := h.api("GET", "/api/v1/me", tok, ""); r.Status != http.StatusOK {
		t.Fatalf("first API call: %d", r.Status)
	}
	r := h.api("GET", "/api/v1/me", tok, "")
	limited("token use", r)
	if !strings.Contains(r.Header.Get("Content-Type"), "problem+json") || !strings.Contains(r.Body, "rate_limited") {
		t.Errorf("API 429 is not problem+json: %s %s", r.Header.Get("Content-Type"), r.Body)
	}
}

// TestDoor_SignedInUploadIsHeldOnce: a signed-in upload is spooled to disk by the multipart parser
// and read once into a buffer of its size; before, the whole body was parsed into memory and then
// copied again by io.ReadAll (about four times the file in allocations).
func TestDoor_SignedInUploadIsHeldOnce(t *testing.T) {
	h := newHarness(t)
	staff := h.user("staff", auth.RoleStaff)
	c := h.client().loginAs("staff")
	svc := casework.New(h.db.Store)
	cs, err := svc.Open(context.Background(), actorOf(staff), "証跡の大きな添付", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	csrf := c.csrf(fmt.Sprintf("/cases/%d", cs.ID))
	const size = 16 << 20
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	_ = mw.WriteField("_csrf", csrf)
	_ = mw.WriteField("stage", "discovery")
	_ = mw.WriteField("version", fmt.Sprint(cs.Version))
	_, _ = mw.CreateFormFile("file", "big.pdf")
	z := &zeros{left: size}
	body := io.MultiReader(bytes.NewReader(head.Bytes()), z, strings.NewReader("\r\n--"+mw.Boundary()+"--\r\n"))
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/cases/%d/evidence", h.ts.URL, cs.ID), body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", h.ts.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r := c.do(req)
	runtime.ReadMemStats(&after)
	if r.Status != http.StatusUnprocessableEntity { // zeros are not a PDF: read, checked, refused
		t.Fatalf("upload: %d", r.Status)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("16 MiB evidence upload: %.1f MiB allocated in the process", float64(alloc)/(1<<20))
	if alloc > size*3/2 {
		t.Errorf("a 16 MiB upload allocated %.1f MiB (more than 1.5× the file)", float64(alloc)/(1<<20))
	}
}
