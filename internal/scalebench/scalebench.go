// Package scalebench measures the hot pages over loopback HTTP against a running server whose
// database was filled by `leakdesk dev seed` (docs/performance.md, "Scale"). Each scenario runs at
// 1 and at 32 concurrent clients; every figure is also given as a ratio to a reference page measured
// in the same run (the account page: session, user and layout, no case data), because the machine
// is shared and absolute times move with its load.
package scalebench

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Options of a run.
type Options struct {
	BaseURL         string
	DatabaseURL     string // to pick case ids and a deep cursor
	Email, Password string // a manager (case list, case page, dashboard)
	AuditorEmail    string // an auditor (auditor search and replay); same password
	Clients         []int  // default 1 and 32
	Requests        int    // per scenario and client count (default 300)
	Only            string // run only scenarios whose name contains this
	// Think, if set, makes every client pause a random 0.5–1.5 × Think after each response, like a
	// person reading the page: the latency 32 people working at once see, rather than what 32
	// clients firing back to back (a saturation test: latency = clients ÷ throughput) see.
	Think time.Duration
	Out   io.Writer
}

// Result is one scenario at one client count.
type Result struct {
	Name           string
	Clients        int
	N              int
	P50, P99       time.Duration
	RefP50, RefP99 time.Duration
	Throughput     float64 // requests per second
}

type scenario struct {
	name    string
	auditor bool
	path    func(r *rand.Rand) string
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func login(ctx context.Context, base, email, password string) (*http.Client, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/login", nil)
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scalebench: login page: %w", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRe.FindSubmatch(body)
	if m == nil {
		return nil, errors.New("scalebench: no CSRF token on the login page")
	}
	form := url.Values{"_csrf": {string(m[1])}, "email": {email}, "password": {password}}
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err = c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scalebench: login: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
		return nil, fmt.Errorf("scalebench: login as %s: status %d", email, resp.StatusCode)
	}
	return c, nil
}

func base64URL(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// cursor is the case list's keyset cursor (internal/web encodeCursor).
func cursor(at time.Time, id int64) string {
	return base64URL(strconv.FormatInt(at.UnixMicro(), 10) + "." + strconv.FormatInt(id, 10))
}

// Run measures every scenario and writes a markdown table to opt.Out.
func Run(ctx context.Context, opt Options) ([]Result, error) {
	if len(opt.Clients) == 0 {
		opt.Clients = []int{1, 32}
	}
	if opt.Requests <= 0 {
		opt.Requests = 300
	}
	pool, err := pgxpool.New(ctx, opt.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("scalebench: database: %w", err)
	}
	defer pool.Close()
	var n int64
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM cases`).Scan(&n); err != nil {
		return nil, fmt.Errorf("scalebench: count: %w", err)
	}
	// A sample of case ids spread over the table (the case page and the replay pick from it).
	rows, err := pool.Query(ctx, `SELECT id FROM cases WHERE id % greatest(1, (SELECT max(id) FROM cases) / 500) = 0 LIMIT 500`)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) == 0 {
		return nil, errors.New("scalebench: no cases (run leakdesk dev seed first)")
	}
	// The position halfway down the default order: the deep keyset page.
	var deepAt time.Time
	var deepID int64
	if err := pool.QueryRow(ctx, `SELECT updated_at, id FROM cases ORDER BY updated_at DESC, id DESC OFFSET $1 LIMIT 1`, n/2).Scan(&deepAt, &deepID); err != nil {
		return nil, fmt.Errorf("scalebench: deep cursor: %w", err)
	}
	deep := cursor(deepAt, deepID)
	pickID := func(r *rand.Rand) int64 { return ids[r.IntN(len(ids))] }
	scenarios := []scenario{
		{"reference: account page", false, func(*rand.Rand) string { return "/account" }},
		{"case list (default)", false, func(*rand.Rand) string { return "/cases" }},
		{"case list, status=open", false, func(*rand.Rand) string { return "/cases?status=open" }},
		{"case list, stage=investigation", false, func(*rand.Rand) string { return "/cases?stage=investigation" }},
		{"case list, deep keyset page", false, func(*rand.Rand) string { return "/cases?after=" + deep }},
		{"case page", false, func(r *rand.Rand) string { return fmt.Sprintf("/cases/%d", pickID(r)) }},
		{"case list search 漏洩", false, func(*rand.Rand) string { return "/cases?q=" + url.QueryEscape("漏洩") }},
		{"case list search R-0000 (rare)", false, func(*rand.Rand) string { return "/cases?q=" + url.QueryEscape("R-0000") }},
		{"dashboard", false, func(*rand.Rand) string { return "/dashboard" }},
		{"auditor search 漏洩", true, func(*rand.Rand) string { return "/audit?q=" + url.QueryEscape("漏洩") }},
		{"auditor replay (as of mid-history)", true, func(r *rand.Rand) string { return fmt.Sprintf("/audit/cases/%d?at=2", pickID(r)) }},
	}
	mgr, err := login(ctx, opt.BaseURL, opt.Email, opt.Password)
	if err != nil {
		return nil, err
	}
	aud, err := login(ctx, opt.BaseURL, opt.AuditorEmail, opt.Password)
	if err != nil {
		return nil, err
	}
	var out []Result
	mode := "back to back"
	if opt.Think > 0 {
		mode = fmt.Sprintf("think time %s (0.5–1.5×) between a client's requests", opt.Think)
	}
	fmt.Fprintf(opt.Out, "cases: %d; clients send %s\n\n| scenario | clients | p50 ms | p99 ms | p50 / ref p50 | p99 / ref p99 | req/s |\n|---|---|---|---|---|---|---|\n", n, mode)
	for _, clients := range opt.Clients {
		var ref Result
		for i, sc := range scenarios {
			if i > 0 && opt.Only != "" && !strings.Contains(sc.name, opt.Only) {
				continue
			}
			c := mgr
			if sc.auditor {
				c = aud
			}
			res, err := measure(ctx, c, opt.BaseURL, sc, clients, opt.Requests, opt.Think)
			if err != nil {
				return out, err
			}
			if i == 0 {
				ref = res
			}
			res.RefP50, res.RefP99 = ref.P50, ref.P99
			out = append(out, res)
			fmt.Fprintf(opt.Out, "| %s | %d | %.1f | %.1f | %.2f | %.2f | %.0f |\n", res.Name, clients, ms(res.P50), ms(res.P99),
				float64(res.P50)/float64(ref.P50), float64(res.P99)/float64(ref.P99), res.Throughput)
		}
	}
	return out, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// measure sends requests from clients goroutines (after a short warm-up) and reports percentiles.
func measure(ctx context.Context, c *http.Client, base string, sc scenario, clients, total int, think time.Duration) (Result, error) {
	get := func(r *rand.Rand) (time.Duration, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+sc.path(r), nil)
		t := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(t)
		if err != nil {
			return 0, err
		}
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("scalebench: %s: GET %s: status %d", sc.name, req.URL.Path, resp.StatusCode)
		}
		return d, nil
	}
	// Warm up with as many concurrent requests as there will be clients, so that the server's
	// database connections exist and have their statements prepared: otherwise the first
	// scenario of a 32-client run measures 32 connection starts (p99 ≈ 1 s for the account page).
	var warmErr error
	var warmMu sync.Mutex
	var warmWG sync.WaitGroup
	for w := 0; w < max(clients, 10); w++ {
		warmWG.Add(1)
		go func(w int) {
			defer warmWG.Done()
			if _, err := get(rand.New(rand.NewPCG(1, uint64(w)))); err != nil {
				warmMu.Lock()
				warmErr = err
				warmMu.Unlock()
			}
		}(w)
	}
	warmWG.Wait()
	if warmErr != nil {
		return Result{}, warmErr
	}
	lat := make([]time.Duration, 0, total)
	var mu sync.Mutex
	var firstErr error
	next := make(chan struct{}, total)
	for i := 0; i < total; i++ {
		next <- struct{}{}
	}
	close(next)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(2, uint64(w)))
			if think > 0 {
				// People do not all click at the same instant: spread the first requests.
				time.Sleep(time.Duration(r.Float64() * float64(think)))
			}
			for range next {
				d, err := get(r)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				lat = append(lat, d)
				mu.Unlock()
				if err != nil {
					return
				}
				if think > 0 {
					time.Sleep(time.Duration((0.5 + r.Float64()) * float64(think)))
				}
			}
		}(w)
	}
	wg.Wait()
	el := time.Since(start)
	if firstErr != nil {
		return Result{}, firstErr
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	return Result{Name: sc.name, Clients: clients, N: len(lat), P50: pct(0.50), P99: pct(0.99), Throughput: float64(len(lat)) / el.Seconds()}, nil
}
