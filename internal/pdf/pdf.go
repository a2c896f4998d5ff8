// Package pdf prints HTML documents (reports, letters, case files) to PDF with Debian's headless
// Chromium, which lays out Japanese text with the system's CJK fonts (fonts-ipaexfont) and honours
// the print stylesheet (A4, @page margins). One browser is started lazily and shared; each document
// gets its own tab; a semaphore bounds the prints running at once (see Printer).
package pdf

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"
)

// Printer renders HTML to PDF. The zero value is not usable; call New. Close releases the browser.
//
// One browser serves every print (documents, case files), each print in its own tab, and at most
// MaxConcurrent tabs print at once: a burst of requests waits for a slot instead of starting a
// Chromium each (one Chromium is some 150 MB; two cores print two documents at a time anyway).
// Chromium never sees the server's secrets: it starts with an environment of its own (no
// LEAKDESK_DATA_KEY, no DATABASE_URL) and, when the server runs as root, as an unprivileged user
// (RunAs, "nobody" by default) that can read neither the data key file nor the database's files.
type Printer struct {
	mu       sync.Mutex
	browser  context.Context
	cancel   []context.CancelFunc
	execPath string
	userDir  string
	slots    chan struct{}
	cred     *syscall.Credential // nil: Chromium runs as the server's own user
	remote   string              // DevTools URL of a Chromium in another container (sidecar); "" to start one
	starts   int                 // browsers started (a test reads it through Starts)
	inFlight atomic.Int32
	peak     atomic.Int32 // the most prints that ran at once
}

// Options tune New. Zero values take the defaults, and the environment can set both:
// LEAKDESK_PDF_MAX_CONCURRENT, LEAKDESK_CHROMIUM_USER and LEAKDESK_CHROMIUM_URL.
type Options struct {
	MaxConcurrent int    // prints at once; default 2
	RunAs         string // the user Chromium runs as when the server is root; default "nobody"
	// RemoteURL is the DevTools address of a Chromium the server does not start — a sidecar
	// container such as chromedp/headless-shell, http://chromium:9222 — so that the browser shares
	// nothing with the server: no files, no environment, no user (docs/operations.md).
	RemoteURL string
}

// DefaultMaxConcurrent is how many documents print at once unless configured.
const DefaultMaxConcurrent = 2

// ChromiumPath finds the browser binary: $LEAKDESK_CHROMIUM when set (and then only it: a path
// the operator chose that does not exist is an error, not a reason to run another browser),
// otherwise Debian's real binary, the wrapper, or chromium on PATH.
func ChromiumPath() (string, error) {
	if p := os.Getenv("LEAKDESK_CHROMIUM"); p != "" {
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			return "", fmt.Errorf("pdf: LEAKDESK_CHROMIUM=%s: no such browser", p)
		}
		return p, nil
	}
	for _, p := range []string{"/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, nil
	}
	return "", errors.New("pdf: Chromium not found: install the Debian package \"chromium\" (or set LEAKDESK_CHROMIUM)")
}

// AllocatorOptions are the flags that work as root in a container with no network: no sandbox, no
// GPU, and none of Chromium's background connections.
func AllocatorOptions(execPath, userDir string) []chromedp.ExecAllocatorOption {
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(userDir),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("headless", true),
	)
}

// New returns a Printer configured from the environment; the browser starts on first use.
func New() (*Printer, error) {
	o := Options{RunAs: os.Getenv("LEAKDESK_CHROMIUM_USER"), RemoteURL: os.Getenv("LEAKDESK_CHROMIUM_URL")}
	if v := os.Getenv("LEAKDESK_PDF_MAX_CONCURRENT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 64 {
			return nil, fmt.Errorf("pdf: LEAKDESK_PDF_MAX_CONCURRENT=%q: want a number from 1 to 64", v)
		}
		o.MaxConcurrent = n
	}
	return NewWithOptions(o)
}

// NewWithOptions is New with explicit options.
func NewWithOptions(o Options) (*Printer, error) {
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	if o.RemoteURL != "" {
		if !strings.HasPrefix(o.RemoteURL, "http://") && !strings.HasPrefix(o.RemoteURL, "ws://") {
			return nil, fmt.Errorf("pdf: LEAKDESK_CHROMIUM_URL=%q: want http://host:port or ws://host:port", o.RemoteURL)
		}
		return &Printer{remote: o.RemoteURL, slots: make(chan struct{}, o.MaxConcurrent)}, nil
	}
	path, err := ChromiumPath()
	if err != nil {
		return nil, err
	}
	if !japaneseFont() {
		return nil, ErrNoJapaneseFont
	}
	p := &Printer{execPath: path, slots: make(chan struct{}, o.MaxConcurrent)}
	if os.Geteuid() == 0 {
		if o.RunAs == "" {
			o.RunAs = "nobody"
		}
		u, err := user.Lookup(o.RunAs)
		if err != nil {
			return nil, fmt.Errorf("pdf: the server runs as root and Chromium must not: user %q not found (set LEAKDESK_CHROMIUM_USER): %w", o.RunAs, err)
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		if uid == 0 {
			return nil, fmt.Errorf("pdf: LEAKDESK_CHROMIUM_USER=%q is root; Chromium must run unprivileged", o.RunAs)
		}
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
	}
	return p, nil
}

// MaxConcurrent is the number of prints that run at once.
func (p *Printer) MaxConcurrent() int { return cap(p.slots) }

// Starts is how many browsers this Printer has started (one, unless one died).
func (p *Printer) Starts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.starts
}

// Peak is the most prints that have run at once.
func (p *Printer) Peak() int { return int(p.peak.Load()) }

// RunsAs is the user ID Chromium runs as, and false when it runs as the server's own user.
func (p *Printer) RunsAs() (uid uint32, separate bool) {
	if p.cred == nil {
		return 0, false
	}
	return p.cred.Uid, true
}

// printerOptions are AllocatorOptions plus what keeps the browser away from the server's secrets:
// an environment of its own and, under root, another user.
func (p *Printer) printerOptions(dir string) []chromedp.ExecAllocatorOption {
	return append(AllocatorOptions(p.execPath, dir),
		chromedp.NoInheritEnv,
		chromedp.Env("HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_CACHE_HOME="+dir, "TMPDIR="+dir,
			"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "FONTCONFIG_PATH=/etc/fonts"),
		chromedp.ModifyCmdFunc(func(cmd *exec.Cmd) {
			if cmd.SysProcAttr == nil {
				cmd.SysProcAttr = &syscall.SysProcAttr{}
			}
			// Killed with the server (Go sets this after the change of user, so it holds).
			cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
			cmd.SysProcAttr.Credential = p.cred
			cmd.Dir = dir
		}),
	)
}

// start launches Chromium on first use, and again after it died (its context is then done):
// otherwise one crash would break printing until the server restarts. Called with p.mu held.
func (p *Printer) start() error {
	if p.browser != nil && p.browser.Err() == nil {
		return nil
	}
	p.release()
	if p.remote != "" {
		p.starts++
		allocCtx, cancelAlloc := remote.NewAllocator(context.Background(), p.remote)
		browser, cancelBrowser := chromedp.NewContext(allocCtx)
		if err := chromedp.Do(browser); err != nil {
			cancelBrowser()
			cancelAlloc()
			return fmt.Errorf("pdf: connect to Chromium at %s: %w", p.remote, err)
		}
		p.browser = browser
		p.cancel = []context.CancelFunc{cancelBrowser, cancelAlloc}
		return nil
	}
	dir, err := os.MkdirTemp("", "leakdesk-chromium-")
	if err != nil {
		return fmt.Errorf("pdf: profile dir: %w", err)
	}
	if p.cred != nil {
		// The profile belongs to the browser's user; the server (root) can still remove it.
		if err := os.Chown(dir, int(p.cred.Uid), int(p.cred.Gid)); err != nil {
			_ = os.RemoveAll(dir)
			return fmt.Errorf("pdf: profile dir: %w", err)
		}
	}
	p.userDir = dir
	p.starts++
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), p.printerOptions(dir)...)
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	if err := chromedp.Do(browser); err != nil {
		cancelBrowser()
		cancelAlloc()
		_ = os.RemoveAll(dir)
		p.userDir = ""
		return fmt.Errorf("pdf: start Chromium: %w", err)
	}
	p.browser = browser
	p.cancel = []context.CancelFunc{cancelBrowser, cancelAlloc}
	return nil
}

// FromHTML prints a complete HTML document to an A4 PDF. The document must carry its own styles
// (inline <style> is fine here: it is never served to a browser under the site's CSP).
func (p *Printer) FromHTML(ctx context.Context, html []byte) ([]byte, error) {
	select {
	case p.slots <- struct{}{}:
		defer func() { p.inFlight.Add(-1); <-p.slots }()
		if n := p.inFlight.Add(1); n > p.peak.Load() {
			p.peak.Store(n) // racy max, good enough for a figure: never above the bound
		}
	case <-ctx.Done():
		return nil, fmt.Errorf("pdf: waiting for a free print slot: %w", ctx.Err())
	}
	out, err := p.print(ctx, html)
	if err != nil && ctx.Err() == nil && p.browserDied() {
		// The shared browser died under this print (killed, out of memory): one more try on a
		// new one, so that one crash costs no user a failed download.
		out, err = p.print(ctx, html)
	}
	return out, err
}

func (p *Printer) browserDied() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.browser != nil && p.browser.Err() != nil
}

func (p *Printer) print(ctx context.Context, html []byte) ([]byte, error) {
	p.mu.Lock()
	if err := p.start(); err != nil {
		p.mu.Unlock()
		return nil, err
	}
	browser := p.browser
	p.mu.Unlock()

	tab, cancel := chromedp.NewContext(browser)
	defer cancel()
	// Stop with the caller's context too.
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	url := "data:text/html;charset=utf-8;base64," + base64.StdEncoding.EncodeToString(html)
	if err := chromedp.Do(tab, chromedp.Navigate(url)); err != nil {
		return nil, fmt.Errorf("pdf: load document: %w", err)
	}
	buf, err := chromedp.Run(tab, chromedp.PrintToPDF(
		chromedp.PDFPaper(chromedp.PaperA4),
		chromedp.PDFPreferCSSPageSize(),
		chromedp.PDFPrintBackground(),
	))
	if err != nil {
		return nil, fmt.Errorf("pdf: print: %w", err)
	}
	return buf, nil
}

// Close stops the browser and removes its profile.
func (p *Printer) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.release()
}

// release stops the browser and removes its profile. Called with p.mu held.
func (p *Printer) release() {
	for _, c := range p.cancel {
		c()
	}
	p.cancel, p.browser = nil, nil
	if p.userDir != "" {
		_ = os.RemoveAll(p.userDir)
		p.userDir = ""
	}
}
