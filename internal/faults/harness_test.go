package faults_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/checkpoint"
	"github.com/leakdesk/leakdesk/internal/devdb"
	"github.com/leakdesk/leakdesk/internal/mail/mailtest"
	"github.com/leakdesk/leakdesk/internal/testdb"
)

// The binary under test is built once per package run, into a directory TestMain removes.
var (
	binDir   string
	binOnce  sync.Once
	binPath  string
	binErr   error
	password = "faults-test-password-" + strconv.Itoa(os.Getpid())
)

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "leakdesk-faults-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	if shared != nil {
		if err := shared.Remove(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "remove the fault tests' cluster:", err)
		}
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// soak reports whether the large versions run (`make soak`).
func soak() bool { return os.Getenv("LEAKDESK_SOAK") == "1" }

// size picks the make-test or the soak figure; env (e.g. LEAKDESK_SOAK_RACES) overrides both.
func size(env string, small, large int) int {
	if v, err := strconv.Atoi(os.Getenv(env)); err == nil && v > 0 {
		return v
	}
	if soak() {
		return large
	}
	return small
}

// needServer skips in -short runs and where PostgreSQL's server binaries are missing — unless
// LEAKDESK_TEST_REQUIRE_DB=1 (make test, CI), where a missing server must fail, not skip.
func needServer(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("fault tests start PostgreSQL clusters and app processes; skipped with -short")
	}
	if _, err := devdb.FindBinDir(); err != nil {
		if testdb.Require() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// binary builds cmd/leakdesk once.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			binErr = fmt.Errorf("go tool not on PATH: %w", err)
			return
		}
		binPath = filepath.Join(binDir, "leakdesk")
		cmd := exec.Command(goTool, "build", "-o", binPath, "github.com/leakdesk/leakdesk/cmd/leakdesk")
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// rig is one private cluster (durability ON: an immediate restart must not lose a commit), the
// app's environment, a mail sink, and the app instances started on it.
type rig struct {
	t       *testing.T
	bin     string
	cluster *devdb.Cluster
	db      *pgxpool.Pool // the test's own superuser connection, for the checks afterwards
	smtp    *mailtest.Server
	env     []string
	dir     string
	users   map[string]user
	insts   []*instance
}

type user struct {
	ID    int64
	Email string
	Token string
}

func newRig(t *testing.T) *rig {
	t.Helper()
	needServer(t)
	start := time.Now()
	r := &rig{t: t, bin: binary(t), dir: t.TempDir(), users: map[string]user{}}
	ctx := context.Background()
	defer func() {
		t.Logf("rig ready in %s (binary, cluster, migrations, users)", time.Since(start).Round(time.Millisecond))
	}()
	c := sharedCluster(t)
	r.cluster = c
	dbURL := r.database()
	smtp, err := mailtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(smtp.Close)
	r.smtp = smtp
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	keyFile := filepath.Join(r.dir, "data-key")
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	signingKey := filepath.Join(r.dir, "signing-key")
	skey, _, err := checkpoint.GenerateKey("leakdesk-faults")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(signingKey, []byte(skey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.env = append(os.Environ(),
		"DATABASE_URL="+dbURL,
		"LEAKDESK_SIGNING_KEY_FILE="+signingKey,
		"LEAKDESK_DATA_KEY=",
		"LEAKDESK_DATA_KEY_FILE="+keyFile,
		"SMTP_URL="+smtp.URL(),
		"LEAKDESK_MAIL_FROM=leakdesk@example.jp",
		"LEAKDESK_LOG_LEVEL=warn",
		// The writers share one user's token far above a person's pace: the per-user API limit
		// (issue 20) would answer 429 and hide what these tests look for.
		"LEAKDESK_API_RATE=0",
		"LEAKDESK_BASE_URL=",
	)
	r.run(nil, "migrate", "up")
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	r.db = pool
	// The rig signs in with passwords alone (a second factor is tested in internal/web).
	r.run(nil, "user", "mfa-roles", "--role", "none")
	for _, u := range []struct{ key, role string }{
		{"staff", "staff"}, {"manager1", "manager"}, {"manager2", "manager"},
	} {
		email := u.key + "@example.jp"
		r.run(strings.NewReader(password+"\n"), "user", "add", "--email", email, "--name", "障害試験 "+u.key, "--role", u.role)
		tok := strings.TrimSpace(r.run(nil, "token", "create", "--email", email, "--label", "faults"))
		var id int64
		if err := pool.QueryRow(ctx, `SELECT id FROM users WHERE email = $1`, email).Scan(&id); err != nil {
			t.Fatal(err)
		}
		r.users[u.key] = user{ID: id, Email: email, Token: tok}
	}
	return r
}

// The tests share one private cluster (started on first use, removed by TestMain; never the shared
// test cluster of `make test`, which the restart test must not touch) and get a database each.
// They do not run in parallel: the restart test stops and restarts the whole cluster.
var (
	clusterOnce sync.Once
	shared      *devdb.Cluster
	clusterErr  error
	dbSeq       atomic.Int64
)

func sharedCluster(t *testing.T) *devdb.Cluster {
	t.Helper()
	clusterOnce.Do(func() {
		shared, clusterErr = devdb.Start(context.Background(), filepath.Join(binDir, "pg"), devdb.Options{})
	})
	if clusterErr != nil {
		t.Fatalf("start private cluster: %v", clusterErr)
	}
	// A restart test that failed while the database was held down leaves it stopped.
	if !shared.Running() {
		if err := shared.StartServer(context.Background()); err != nil {
			t.Fatalf("start private cluster: %v", err)
		}
	}
	return shared
}

// database creates a fresh database for the rig in the shared cluster, dropped after the test.
func (r *rig) database() string {
	r.t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("faults_%d", dbSeq.Add(1))
	admin, err := pgx.Connect(ctx, r.cluster.AdminURL())
	if err != nil {
		r.t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() {
		ctx := context.Background()
		if conn, err := pgx.Connect(ctx, r.cluster.AdminURL()); err == nil {
			_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			conn.Close(ctx)
		}
	})
	return strings.Replace(r.cluster.URL(), "/"+devdb.DatabaseName+"?", "/"+name+"?", 1)
}

// run executes one leakdesk subcommand against the rig's database and returns its stdout.
func (r *rig) run(stdin io.Reader, args ...string) string {
	r.t.Helper()
	out, err := r.runErr(stdin, args...)
	if err != nil {
		r.t.Fatalf("leakdesk %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (r *rig) runErr(stdin io.Reader, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.bin, args...)
	cmd.Env = r.env
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

// instance is one `leakdesk serve` process.
type instance struct {
	name string
	addr string
	url  string
	log  string
	// firstStart is how long the first launch took until /readyz said ready (a same-run reference).
	firstStart time.Duration
	mu         sync.Mutex
	cmd        *exec.Cmd
	done       chan struct{}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startInstance starts a serve process on a free loopback port and waits until /readyz says ready.
func (r *rig) startInstance(name string) *instance {
	r.t.Helper()
	in := &instance{name: name, addr: freeAddr(r.t), log: filepath.Join(r.dir, name+".log")}
	in.url = "http://" + in.addr
	in.firstStart = r.launch(in)
	r.insts = append(r.insts, in)
	r.t.Cleanup(func() {
		in.stop()
		if r.t.Failed() {
			b, _ := os.ReadFile(in.log)
			if len(b) > 8000 {
				b = b[len(b)-8000:]
			}
			r.t.Logf("--- log of %s (tail) ---\n%s", in.name, b)
		}
	})
	return in
}

// launch (re)starts in's process on its address and returns how long it took to become ready.
func (r *rig) launch(in *instance) time.Duration {
	r.t.Helper()
	start := time.Now()
	f, err := os.OpenFile(in.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		r.t.Fatal(err)
	}
	cmd := exec.Command(r.bin, "serve")
	cmd.Env = append(append([]string(nil), r.env...), "LEAKDESK_ADDR="+in.addr)
	cmd.Stdout, cmd.Stderr = f, f
	orphanGuard(cmd)
	if err := cmd.Start(); err != nil {
		f.Close()
		r.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); f.Close(); close(done) }()
	in.mu.Lock()
	in.cmd, in.done = cmd, done
	in.mu.Unlock()
	if err := waitReady(in, true, 60*time.Second); err != nil {
		r.t.Fatalf("%s: %v", in.name, err)
	}
	return time.Since(start)
}

// alive reports whether the process is still running.
func (in *instance) alive() bool {
	in.mu.Lock()
	done := in.done
	in.mu.Unlock()
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (in *instance) kill() {
	in.mu.Lock()
	cmd, done := in.cmd, in.done
	in.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// stop shuts the process down gracefully (SIGTERM), killing it if that takes too long.
func (in *instance) stop() {
	in.mu.Lock()
	cmd, done := in.cmd, in.done
	in.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

var httpc = &http.Client{
	Timeout:   30 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second},
}

// readyz returns the status of GET /readyz (0 when the process does not answer).
func readyz(in *instance) int {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(in.url + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitReady polls /readyz until it reports ready (or not ready), or the time runs out.
func waitReady(in *instance, ready bool, within time.Duration) error {
	want := http.StatusOK
	if !ready {
		want = http.StatusServiceUnavailable
	}
	deadline := time.Now().Add(within)
	last := 0
	for time.Now().Before(deadline) {
		if last = readyz(in); last == want {
			return nil
		}
		if !in.alive() {
			return errors.New("the process exited")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("/readyz still %d after %s, want %d", last, within, want)
}

// api sends one JSON API request; a transport error is returned as err (status 0).
func api(in *instance, method, path, token, body string, hdr ...string) (int, []byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, in.url+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := httpc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// browser is a cookie-carrying client for the pages; its session is usable on every instance
// (cookies are not port-specific, and the session lives in PostgreSQL).
type browser struct {
	c *http.Client
}

func newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{c: &http.Client{Jar: jar, Timeout: 30 * time.Second, Transport: httpc.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (b *browser) get(in *instance, path string) (int, string, error) {
	resp, err := b.c.Get(in.url + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// csrf reads the session's synchronizer token from a page of in.
func (b *browser) csrf(in *instance, path string) (string, error) {
	st, body, err := b.get(in, path)
	if err != nil {
		return "", err
	}
	// Only a 200 counts: an error page (e.g. the 503 of a session that could not be saved) also
	// carries a token, but one that never reached the database.
	m := csrfRe.FindStringSubmatch(body)
	if st != http.StatusOK || m == nil {
		return "", fmt.Errorf("no CSRF token on %s (status %d)", path, st)
	}
	return m[1], nil
}

// post submits a form to in the way a same-origin browser does.
func (b *browser) post(in *instance, path string, form url.Values) (int, error) {
	req, _ := http.NewRequest(http.MethodPost, in.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", in.url)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := b.c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// login logs in through the form on in: GET /login for the token, POST /login.
func (b *browser) login(in *instance, email string) error {
	tok, err := b.csrf(in, "/login")
	if err != nil {
		return err
	}
	st, err := b.post(in, "/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {password}})
	if err != nil {
		return err
	}
	if st != http.StatusSeeOther {
		return fmt.Errorf("login on %s: status %d", in.name, st)
	}
	return nil
}

// jst formats t as the API's datetime facts expect (JST, minutes).
func jst(t time.Time) string { return t.In(appi.JST).Format("2006-01-02T15:04") }

// discoveryFacts are complete first-report facts recognised at recognized; a recent time keeps the
// case's reminders hours away, an old one makes every deadline already missed (reminders at once).
func discoveryFacts(recognized time.Time) string {
	return fmt.Sprintf(`{"recognized_at":%q,"reported_to_soumu_at":%q,"containment_ordered_at":%q,"prelim_screen":"suspected",`+
		`"exec_notification_decision":"not_needed","involves_my_number":"no","suspected_route":"media_lost","estimated_count_max":3000}`,
		jst(recognized), jst(recognized.Add(5*time.Minute)), jst(recognized.Add(6*time.Minute)))
}

type caseOut struct {
	ID      int64 `json:"id"`
	Version int64 `json:"version"`
}

type requestOut struct {
	ID    int64  `json:"id"`
	State string `json:"state"`
}

// ledger records every write the clients saw acknowledged (2xx, or 303 for a form).
type ledger struct {
	mu        sync.Mutex
	cases     map[int64]string // id → title
	patches   []ackPatch
	ticks     []int64         // case ids whose evidence_preserved tick was acknowledged
	requests  map[int64]int64 // request id → case id
	approvals map[int64]int64 // request id → approver user id
	failures  int             // writes not acknowledged (errors, 5xx, 503)
	reasons   map[string]int  // step and status of each failure, for the log
}

type ackPatch struct {
	caseID, version int64
	marker          string
}

func newLedger() *ledger {
	return &ledger{cases: map[int64]string{}, requests: map[int64]int64{}, approvals: map[int64]int64{}, reasons: map[string]int{}}
}

// fail counts a write that was not acknowledged: step names it, st is its status (0: no answer).
func (l *ledger) fail(step string, st int) {
	l.mu.Lock()
	l.failures++
	l.reasons[fmt.Sprintf("%s:%d", step, st)]++
	l.mu.Unlock()
}

func (l *ledger) writes() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.cases) + len(l.patches) + len(l.ticks) + len(l.requests) + len(l.approvals)
}

// flow is one client's walk through a case: open, patch, tick (page, session), request G1.
type flow struct {
	r     *rig
	l     *ledger
	b     *browser // logged in as staff
	csrf  string
	staff string
}

func (r *rig) newFlow(l *ledger, loginOn *instance) (*flow, error) {
	b := newBrowser()
	if err := b.login(loginOn, r.users["staff"].Email); err != nil {
		return nil, err
	}
	tok, err := b.csrf(loginOn, "/account")
	if err != nil {
		return nil, err
	}
	return &flow{r: r, l: l, b: b, csrf: tok, staff: r.users["staff"].Token}, nil
}

// openCase creates a case on in and returns it; ok is false when the write was not acknowledged.
func (f *flow) openCase(in *instance, title string, recognized time.Time) (caseOut, bool) {
	st, body, err := api(in, "POST", "/api/v1/cases", f.staff, fmt.Sprintf(`{"title":%q,"facts":%s}`, title, discoveryFacts(recognized)))
	if err != nil || st != http.StatusCreated {
		f.l.fail("open", st)
		return caseOut{}, false
	}
	var c caseOut
	if json.Unmarshal(body, &c) != nil || c.ID == 0 {
		f.l.fail("open-body", st)
		return caseOut{}, false
	}
	f.l.mu.Lock()
	f.l.cases[c.ID] = title
	f.l.mu.Unlock()
	return c, true
}

// patch records a marker in initial_description with If-Match.
func (f *flow) patch(in *instance, c caseOut, marker string) (caseOut, bool) {
	st, body, err := api(in, "PATCH", fmt.Sprintf("/api/v1/cases/%d", c.ID), f.staff,
		fmt.Sprintf(`{"facts":{"initial_description":%q}}`, marker), "If-Match", strconv.FormatInt(c.Version, 10))
	if err != nil || st != http.StatusOK {
		f.l.fail("patch", st)
		return c, false
	}
	var nc caseOut
	if json.Unmarshal(body, &nc) != nil || nc.ID != c.ID {
		f.l.fail("patch-body", st)
		return c, false
	}
	f.l.mu.Lock()
	f.l.patches = append(f.l.patches, ackPatch{caseID: c.ID, version: nc.Version, marker: marker})
	f.l.mu.Unlock()
	return nc, true
}

// tick checks the discovery evidence item through the case page's form, with the staff session.
func (f *flow) tick(in *instance, c caseOut) bool {
	st, err := f.b.post(in, fmt.Sprintf("/cases/%d/checklist", c.ID), url.Values{"_csrf": {f.csrf},
		"item": {"discovery.evidence_preserved"}, "checked": {"true"}, "version": {strconv.FormatInt(c.Version, 10)}})
	if err != nil || st != http.StatusSeeOther {
		f.l.fail("tick", st)
		return false
	}
	f.l.mu.Lock()
	f.l.ticks = append(f.l.ticks, c.ID)
	f.l.mu.Unlock()
	return true
}

// version reads case caseID's current version on in, which every write to it sends as If-Match;
// a failed read returns its status (0 on a transport error) and "".
func (f *flow) version(in *instance, token string, caseID int64) (string, int) {
	st, out, err := api(in, "GET", fmt.Sprintf("/api/v1/cases/%d", caseID), token, "")
	if err != nil {
		return "", 0
	}
	var c caseOut
	if st != http.StatusOK || json.Unmarshal(out, &c) != nil {
		return "", st
	}
	return strconv.FormatInt(c.Version, 10), st
}

// request submits a request on in: the G1 completion of discovery or the police-report skip.
func (f *flow) request(in *instance, c caseOut, body string) (int64, bool) {
	v, vst := f.version(in, f.staff, c.ID)
	if v == "" {
		f.l.fail("request", vst)
		return 0, false
	}
	st, out, err := api(in, "POST", fmt.Sprintf("/api/v1/cases/%d/requests", c.ID), f.staff, body, "If-Match", v)
	if err != nil || st != http.StatusCreated {
		f.l.fail("request", st)
		return 0, false
	}
	var rq requestOut
	if json.Unmarshal(out, &rq) != nil || rq.ID == 0 || rq.State != "pending" {
		f.l.fail("request-body", st)
		return 0, false
	}
	f.l.mu.Lock()
	f.l.requests[rq.ID] = c.ID
	f.l.mu.Unlock()
	return rq.ID, true
}

const (
	g1Request     = `{"stage":"discovery","kind":"complete","note":"第一報完了"}`
	policeSkipReq = `{"stage":"police_report","kind":"skip","reason_code":"ITEM_RECOVERED","note":"回収済み"}`
)

// approve posts one approval; it returns the status (0 on a transport error).
func (f *flow) approve(in *instance, requestID int64, approver string) int {
	u := f.r.users[approver]
	f.l.mu.Lock()
	caseID := f.l.requests[requestID]
	f.l.mu.Unlock()
	v, vst := f.version(in, u.Token, caseID)
	if v == "" {
		return vst
	}
	st, body, err := api(in, "POST", fmt.Sprintf("/api/v1/requests/%d/approve", requestID), u.Token, `{"note":"承認"}`, "If-Match", v)
	if err != nil {
		return 0
	}
	if st == http.StatusOK {
		var rq requestOut
		if json.Unmarshal(body, &rq) != nil || rq.State != "approved" {
			return -1
		}
		f.l.mu.Lock()
		f.l.approvals[requestID] = u.ID
		f.l.mu.Unlock()
	}
	return st
}

// checkLedger asserts that every acknowledged write is in the database.
func (r *rig) checkLedger(l *ledger) {
	r.t.Helper()
	t, ctx := r.t, context.Background()
	l.mu.Lock()
	defer l.mu.Unlock()
	missing := 0
	report := func(format string, args ...any) {
		missing++
		if missing <= 20 {
			t.Errorf(format, args...)
		}
	}
	for id, title := range l.cases {
		var got string
		var opened bool
		err := r.db.QueryRow(ctx, `SELECT c.title, EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.seq = 1 AND e.type = 'case_opened')
			FROM cases c WHERE c.id = $1`, id).Scan(&got, &opened)
		if err != nil || got != title || !opened {
			report("acknowledged case %d (%q): in db %q, opened event %v, err %v", id, title, got, opened, err)
		}
	}
	for _, p := range l.patches {
		var n int
		if err := r.db.QueryRow(ctx, `SELECT count(*) FROM case_events WHERE case_id = $1 AND seq <= $2 AND type = 'facts_changed'
			AND payload::text LIKE '%' || $3 || '%'`, p.caseID, p.version, p.marker).Scan(&n); err != nil || n != 1 {
			report("acknowledged patch %q of case %d (version %d): %d events, err %v", p.marker, p.caseID, p.version, n, err)
		}
		var v int64
		if err := r.db.QueryRow(ctx, `SELECT version FROM cases WHERE id = $1`, p.caseID).Scan(&v); err != nil || v < p.version {
			report("case %d at version %d, but version %d was acknowledged (err %v)", p.caseID, v, p.version, err)
		}
	}
	for _, id := range l.ticks {
		var n int
		if err := r.db.QueryRow(ctx, `SELECT count(*) FROM case_events WHERE case_id = $1 AND type = 'checklist_ticked'
			AND payload->>'item' = 'discovery.evidence_preserved'`, id).Scan(&n); err != nil || n < 1 {
			report("acknowledged tick of case %d: %d events, err %v", id, n, err)
		}
	}
	for rid, cid := range l.requests {
		var n int
		if err := r.db.QueryRow(ctx, `SELECT count(*) FROM case_requests q JOIN case_events e ON e.case_id = q.case_id
			AND e.type = 'request_submitted' AND (e.payload->>'request_id')::bigint = q.id WHERE q.id = $1 AND q.case_id = $2`, rid, cid).Scan(&n); err != nil || n != 1 {
			report("acknowledged request %d of case %d: %d rows with their event, err %v", rid, cid, n, err)
		}
	}
	// A 403 on a form post means the session's CSRF token, acknowledged with a 200 page, was lost.
	if n := l.reasons["tick:403"]; n > 0 {
		report("%d form posts refused with 403: an acknowledged session lost its CSRF token", n)
	}
	for rid, approver := range l.approvals {
		var state string
		var n int
		var by int64
		if err := r.db.QueryRow(ctx, `SELECT q.state, count(e.seq), coalesce(max((e.payload->>'approver_id')::bigint), 0) FROM case_requests q
			LEFT JOIN case_events e ON e.case_id = q.case_id AND e.type = 'request_approved' AND (e.payload->>'request_id')::bigint = q.id
			WHERE q.id = $1 GROUP BY q.state`, rid).Scan(&state, &n, &by); err != nil || state != "approved" || n != 1 || by != approver {
			report("acknowledged approval of request %d by user %d: state %q, %d approval events, by %d, err %v", rid, approver, state, n, by, err)
		}
	}
	if missing > 0 {
		t.Errorf("%d acknowledged writes missing or wrong in the database", missing)
	}
}

// checkConsistency looks for half-written changes anywhere in the database: every case has its
// opening event and a version equal to its newest event, event sequences have no gaps, every
// request row has its event and the other way round, the registry covers exactly the cases, and
// no request was finally approved twice. Then `leakdesk audit verify` must pass.
func (r *rig) checkConsistency() {
	r.t.Helper()
	ctx := context.Background()
	for _, q := range []struct{ what, sql string }{
		{"cases without their case_opened event at seq 1", `SELECT count(*) FROM cases c WHERE NOT EXISTS
			(SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.seq = 1 AND e.type = 'case_opened')`},
		{"cases whose version is not their newest event", `SELECT count(*) FROM cases c WHERE c.version <>
			(SELECT max(seq) FROM case_events e WHERE e.case_id = c.id)`},
		{"cases with gaps in their event sequence", `SELECT count(*) FROM (SELECT case_id FROM case_events GROUP BY case_id
			HAVING count(*) <> max(seq)) g`},
		{"events of cases that do not exist", `SELECT count(*) FROM case_events e WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = e.case_id)`},
		{"request rows without their request_submitted event", `SELECT count(*) FROM case_requests q WHERE NOT EXISTS
			(SELECT 1 FROM case_events e WHERE e.case_id = q.case_id AND e.type = 'request_submitted' AND (e.payload->>'request_id')::bigint = q.id)`},
		{"request_submitted events without a request row", `SELECT count(*) FROM case_events e WHERE e.type = 'request_submitted' AND NOT EXISTS
			(SELECT 1 FROM case_requests q WHERE q.id = (e.payload->>'request_id')::bigint)`},
		{"approved request rows without a final approval event", `SELECT count(*) FROM case_requests q WHERE q.state = 'approved' AND NOT EXISTS
			(SELECT 1 FROM case_events e WHERE e.case_id = q.case_id AND e.type = 'request_approved'
			 AND (e.payload->>'request_id')::bigint = q.id AND (e.payload->>'final')::boolean)`},
		{"requests finally approved more than once", `SELECT count(*) FROM (SELECT payload->>'request_id' FROM case_events
			WHERE type = 'request_approved' AND (payload->>'final')::boolean GROUP BY 1 HAVING count(*) > 1) d`},
		{"cases missing from the case registry", `SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_registry g WHERE g.case_id = c.id)`},
		{"registry entries without a case", `SELECT count(*) FROM case_registry g WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = g.case_id)`},
	} {
		var n int
		if err := r.db.QueryRow(ctx, q.sql).Scan(&n); err != nil {
			r.t.Errorf("%s: %v", q.what, err)
		} else if n != 0 {
			r.t.Errorf("%d %s", n, q.what)
		}
	}
	out, err := r.runErr(nil, "audit", "verify")
	if err != nil {
		r.t.Errorf("leakdesk audit verify: %v\n%s", err, out)
	} else {
		r.t.Logf("audit verify: %s", strings.TrimSpace(out))
	}
}

// counts returns the number of cases and events in the database (for the log).
func (r *rig) counts() (cases, events int) {
	_ = r.db.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM case_events)`).Scan(&cases, &events)
	return
}

type mailMessage = mailtest.Message
