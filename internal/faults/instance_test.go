package faults_test

// leakdesk serve processes the fault tests start and kill, and the HTTP clients (API and cookie-carrying browser) they use.

import (
	"errors"
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
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

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
