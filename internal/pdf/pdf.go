// Package pdf prints HTML documents (reports, letters, case files) to PDF with Debian's headless
// Chromium, which lays out Japanese text with the system's CJK fonts (fonts-ipaexfont) and honours
// the print stylesheet (A4, @page margins). One browser is started lazily and shared; each document
// gets its own tab.
package pdf

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"

	"github.com/chromedp/chromedp"
)

// Printer renders HTML to PDF. The zero value is not usable; call New. Close releases the browser.
type Printer struct {
	mu       sync.Mutex
	browser  context.Context
	cancel   []context.CancelFunc
	execPath string
	userDir  string
}

// ChromiumPath finds the browser binary: $LEAKDESK_CHROMIUM, Debian's real binary, or the wrapper.
func ChromiumPath() (string, error) {
	for _, p := range []string{os.Getenv("LEAKDESK_CHROMIUM"), "/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
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

// New returns a Printer; the browser starts on first use.
func New() (*Printer, error) {
	path, err := ChromiumPath()
	if err != nil {
		return nil, err
	}
	return &Printer{execPath: path}, nil
}

// start launches Chromium on first use, and again after it died (its context is then done):
// otherwise one crash would break printing until the server restarts. Called with p.mu held.
func (p *Printer) start() error {
	if p.browser != nil && p.browser.Err() == nil {
		return nil
	}
	p.release()
	dir, err := os.MkdirTemp("", "leakdesk-chromium-")
	if err != nil {
		return fmt.Errorf("pdf: profile dir: %w", err)
	}
	p.userDir = dir
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), AllocatorOptions(p.execPath, dir)...)
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
