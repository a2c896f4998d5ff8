package pdf_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/pdf"
)

func newPrinter(t *testing.T, o pdf.Options) *pdf.Printer {
	t.Helper()
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	p, err := pdf.NewWithOptions(o)
	if err != nil {
		if os.Getenv("LEAKDESK_TEST_REQUIRE_DB") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	t.Cleanup(p.Close)
	return p
}

// Ten requests at once against a bound of two: every one gets its PDF, one browser serves them
// all, and never more than two tabs print at a time.
func TestPrinter_ConcurrentPrintsBeyondTheBoundAllSucceed(t *testing.T) {
	p := newPrinter(t, pdf.Options{MaxConcurrent: 2})
	if p.MaxConcurrent() != 2 {
		t.Fatalf("bound %d", p.MaxConcurrent())
	}
	const n = 10
	var wg sync.WaitGroup
	errs := make([]error, n)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			html := fmt.Sprintf(`<!doctype html><html lang="ja"><meta charset="utf-8"><body><h1>報告書 %d</h1></body></html>`, i)
			out, err := p.FromHTML(ctx, []byte(html))
			if err == nil && !bytes.HasPrefix(out, []byte("%PDF-")) {
				err = fmt.Errorf("not a PDF")
			}
			errs[i] = err
		}()
	}
	start := time.Now()
	wg.Wait()
	t.Logf("%d prints, bound %d: at most %d at once, %d browser(s) started, %s", n, p.MaxConcurrent(), p.Peak(), p.Starts(), time.Since(start).Round(time.Millisecond))
	for i, err := range errs {
		if err != nil {
			t.Errorf("print %d: %v", i, err)
		}
	}
	if p.Peak() > 2 || p.Peak() < 1 {
		t.Errorf("%d prints ran at once, bound 2", p.Peak())
	}
	if p.Starts() != 1 {
		t.Errorf("%d browsers started for %d prints, want one shared", p.Starts(), n)
	}
}

// The browser gets none of the server's environment (the data key may be in it) and, when the
// server is root, runs as another user.
func TestPrinter_ChromiumIsKeptAwayFromTheKeys(t *testing.T) {
	t.Setenv("LEAKDESK_DATA_KEY", "c2VjcmV0LXRlc3Qta2V5LW5vdC1yZWFsLWF0LWFsbC0xMjM0NTY=")
	p := newPrinter(t, pdf.Options{})
	if _, err := p.FromHTML(context.Background(), []byte(`<!doctype html><p>x</p>`)); err != nil {
		t.Fatal(err)
	}
	uid, separate := p.RunsAs()
	if os.Geteuid() == 0 && (!separate || uid == 0) {
		t.Fatalf("the server is root and Chromium runs as uid %d (separate %v)", uid, separate)
	}
	found := 0
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		b, err := os.ReadFile(st)
		if err != nil {
			continue
		}
		// pid (comm) state ppid …
		s := string(b)
		rest := s[strings.LastIndexByte(s, ')')+2:]
		f := strings.Fields(rest)
		if len(f) < 2 || f[1] != strconv.Itoa(os.Getpid()) || !strings.Contains(s, "chrom") {
			continue
		}
		dir := filepath.Dir(st)
		found++
		env, err := os.ReadFile(dir + "/environ")
		if err != nil {
			t.Fatalf("read the browser's environment: %v", err)
		}
		if bytes.Contains(env, []byte("LEAKDESK_DATA_KEY")) || bytes.Contains(env, []byte("DATABASE_URL")) {
			t.Errorf("Chromium inherited the server's secrets")
		}
		status, _ := os.ReadFile(dir + "/status")
		if separate && !strings.Contains(string(status), "\nUid:\t"+strconv.Itoa(int(uid))+"\t") {
			t.Errorf("Chromium does not run as uid %d:\n%s", uid, status)
		}
	}
	if found == 0 {
		t.Fatal("no Chromium child process found")
	}
}

// Without a Japanese font every kanji would print as a box: New refuses, naming the packages, so
// that the pages offer HTML instead of an unreadable PDF.
func TestNew_RefusesWithoutAJapaneseFont(t *testing.T) {
	if _, err := pdf.ChromiumPath(); err != nil {
		t.Skip(err)
	}
	defer pdf.SetFontDirs([]string{t.TempDir()})()
	if _, err := pdf.New(); !errors.Is(err, pdf.ErrNoJapaneseFont) || !strings.Contains(err.Error(), "fonts-ipaexfont-gothic") {
		t.Fatalf("New without fonts: %v", err)
	}
}
