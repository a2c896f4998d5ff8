package pdf_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/pdf"
)

// A Chromium the server does not start (the sidecar of docs/operations.md) prints through
// LEAKDESK_CHROMIUM_URL, and closing the printer leaves that browser running for the next start.
func TestPrinter_RemoteChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	path, err := pdf.ChromiumPath()
	if err != nil {
		t.Skip(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(path, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--remote-debugging-address=127.0.0.1", fmt.Sprintf("--remote-debugging-port=%d", port), "--user-data-dir="+t.TempDir())
	// Its own process group: killing only the main process left renderers writing into the profile
	// while TempDir's cleanup removed it ("directory not empty").
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		time.Sleep(100 * time.Millisecond)
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	for i := 0; ; i++ {
		if r, err := http.Get(url + "/json/version"); err == nil {
			r.Body.Close()
			break
		}
		if i > 100 {
			t.Fatal("the sidecar Chromium did not come up")
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Setenv("LEAKDESK_CHROMIUM", "/nonexistent") // proves no local browser is used
	t.Setenv("LEAKDESK_CHROMIUM_URL", url)
	for round := 0; round < 2; round++ {
		p, err := pdf.New()
		if err != nil {
			t.Fatal(err)
		}
		out, err := p.FromHTML(context.Background(), []byte(`<!doctype html><html lang="ja"><meta charset="utf-8"><h1>報告書</h1></html>`))
		p.Close()
		if err != nil || !bytes.HasPrefix(out, []byte("%PDF-")) {
			t.Fatalf("round %d: %v", round, err)
		}
	}
	// The second round connected again after the first Close; the browser still answers.
	r, err := http.Get(url + "/json/version")
	if err != nil {
		t.Fatalf("the sidecar browser is gone after Close: %v", err)
	}
	r.Body.Close()
}
