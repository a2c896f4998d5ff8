package web_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/config"
)

// loginFrom posts the login form with an X-Forwarded-For header (empty: none).
func (c *client) loginFrom(xff, email, password string) resp {
	form := url.Values{"_csrf": {c.csrf("/login")}, "email": {email}, "password": {password}}
	req, _ := http.NewRequest(http.MethodPost, c.h.ts.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.h.ts.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	return c.do(req)
}

// TestLogin_ThrottleDoesNotFeedItself (issue 21): concurrent wrong attempts cannot slip past the
// limit (the count is taken atomically), attempts while locked do not extend the lock, and a locked
// attempt is refused without hashing a password.
func TestLogin_ThrottleDoesNotFeedItself(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.LoginMaxFails, c.LoginIPMaxFails = 5, 1000 })
	u := h.user("staff", auth.RoleStaff)
	const n = 20
	statuses := make([]int, n)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range n {
		cl := h.client()
		cl.get("/login")
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			statuses[i] = cl.login(u.Email, "wrong password").Status
		}()
	}
	close(gate)
	wg.Wait()
	checked := 0
	for _, st := range statuses {
		if st == http.StatusUnauthorized {
			checked++
		}
	}
	if checked > 5 {
		t.Errorf("%d of %d concurrent wrong attempts reached the password check; the limit is 5 (%v)", checked, n, statuses)
	}
	// Locked attempts keep coming; they must not extend the lock. Age the counted failures past the
	// window: the lock must end although refused attempts are recent.
	for range 5 {
		if r := h.client().login(u.Email, testPassword); r.Status != http.StatusTooManyRequests {
			t.Fatalf("while locked: %d, want 429", r.Status)
		}
	}
	// A locked attempt costs no hash: compare with one argon2id check of the default parameters.
	var locked, hash []time.Duration
	for range 7 {
		cl := h.client()
		cl.get("/login")
		t0 := time.Now()
		cl.login(u.Email, "wrong password")
		locked = append(locked, time.Since(t0))
		t0 = time.Now()
		auth.BurnTime("wrong password")
		hash = append(hash, time.Since(t0))
	}
	slices.Sort(locked)
	slices.Sort(hash)
	if locked[3] > hash[3] {
		t.Errorf("a locked attempt takes median %s, one password hash %s: it still hashes", locked[3], hash[3])
	}
	if _, err := h.db.Store.Pool.Exec(context.Background(), `UPDATE login_attempts SET at = at - interval '16 minutes' WHERE reason <> 'locked'`); err != nil {
		t.Fatal(err)
	}
	if r := h.client().login(u.Email, testPassword); r.Status != http.StatusSeeOther {
		t.Errorf("after the window, with only refused attempts since: %d, want 303 (locked attempts extended the lock)", r.Status)
	}
}

// TestLogin_ClientAddressThroughTrustedProxiesOnly (issue 18): behind a trusted proxy the per-address
// limit counts the address X-Forwarded-For names (rightmost untrusted), so one attacker does not lock
// out everyone behind the proxy; from an untrusted peer the header is ignored.
func TestLogin_ClientAddressThroughTrustedProxiesOnly(t *testing.T) {
	for _, trusted := range []bool{true, false} {
		h := newHarness(t, func(c *config.Config) {
			c.LoginMaxFails, c.LoginIPMaxFails = 1000, 3
			if trusted {
				c.TrustedProxies = []string{"127.0.0.1/32", "10.0.0.0/8"}
			}
		})
		u := h.user("staff", auth.RoleStaff)
		for i := range 3 {
			// The client forges a leftmost entry; the proxies append the real address and their own.
			h.client().loginFrom("198.51.100.9, 203.0.113.5, 10.1.2.3", "nobody"+strconvI(int64(i))+"@example.jp", "x")
		}
		r := h.client().loginFrom("192.0.2.44, 10.1.2.3", u.Email, testPassword)
		if trusted && r.Status != http.StatusSeeOther {
			t.Errorf("trusted proxy: a different client behind the proxy is locked out (%d)", r.Status)
		}
		if !trusted && r.Status != http.StatusTooManyRequests {
			t.Errorf("untrusted peer: X-Forwarded-For was believed (%d, want 429: every attempt came from 127.0.0.1)", r.Status)
		}
		if trusted {
			var ip string
			if err := h.db.Store.Pool.QueryRow(context.Background(), `SELECT ip FROM login_attempts ORDER BY id LIMIT 1`).Scan(&ip); err != nil || ip != "203.0.113.5" {
				t.Errorf("recorded address %q (%v), want 203.0.113.5 (rightmost untrusted)", ip, err)
			}
		}
	}
}

// TestLogin_AttemptsArePruned: the record does not grow forever.
func TestLogin_AttemptsArePruned(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.client().login("a@example.jp", "x")
	if _, err := h.db.Store.Pool.Exec(ctx, `INSERT INTO login_attempts (at, email_key, ip, success, reason) VALUES (now() - interval '100 days', 'old@example.jp', '192.0.2.1', false, 'password')`); err != nil {
		t.Fatal(err)
	}
	n, err := h.db.Store.PruneLoginAttempts(ctx, time.Now().Add(-90*24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("pruned %d (%v), want 1", n, err)
	}
	var left int
	_ = h.db.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM login_attempts`).Scan(&left)
	if left != 1 {
		t.Errorf("%d attempts left, want 1", left)
	}
}
