package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// cmdHealthcheck asks a running server whether it is ready (GET /readyz: 200 only when the database
// answers and the schema is current) and exits 0 when it is, 1 when not. The Docker image has no
// curl or wget; its HEALTHCHECK runs this.
func cmdHealthcheck(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := newFlags(stdout, "healthcheck", "healthcheck [--url U] [--timeout D]",
		"Ask a running server's /readyz; exit 0 when it answers 200 (ready), 1 otherwise.\nThe default URL is the loopback address of LEAKDESK_ADDR (127.0.0.1:8080 when unset).")
	url := fs.String("url", readyzURL(getenv("LEAKDESK_ADDR")), "readiness URL")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after")
	if err := fs.parse(args, 0, 0); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return fs.misuse(fmt.Sprintf("healthcheck: --url: %v", err))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not ready: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("not ready: %s: %s", resp.Status, body)
	}
	fmt.Fprintf(stdout, "ready: %s\n", body)
	return nil
}

// readyzURL is /readyz on the loopback address of a listen address ("0.0.0.0:8080", ":8080").
func readyzURL(addr string) string {
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/readyz"
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz"
}
