package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/config"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web"
)

// TestAPI_LockTimeoutAnswers503 holds a case's row lock from another session and writes the case
// through a server whose pool has a short lock_timeout: the write must give up within the timeout
// and answer 503 with Retry-After and the "busy" problem (nothing changed), never hang and never
// say "internal error" (issue 21).
func TestAPI_LockTimeoutAnswers503(t *testing.T) {
	e := newAPIEnv(t)
	c := e.open()
	ctx := context.Background()
	st, err := store.OpenWith(ctx, e.db.URL, store.PoolOptions{MaxConns: 4, LockTimeout: 300 * time.Millisecond,
		StatementTimeout: 5 * time.Second, IdleInTxTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg, _ := config.FromEnv(func(string) string { return "" })
	srv := web.New(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)), web.Options{PasswordParams: &cheap, Keys: e.keys})
	srv.Ready().Check(ctx)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	holder, err := pgx.Connect(ctx, e.db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM cases WHERE id = $1 FOR UPDATE`, c.ID); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("PATCH", fmt.Sprintf("%s/api/v1/cases/%d", ts.URL, c.ID), strings.NewReader(`{"facts":{"initial_description":"ロック中"}}`))
	req.Header.Set("Authorization", "Bearer "+e.tok["staff"])
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("If-Match", fmt.Sprint(c.Version))
	t0 := time.Now()
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("the write did not answer while the case was locked: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	took := time.Since(t0)
	_ = tx.Rollback(ctx)
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || !strings.Contains(string(body), `"code":"busy"`) {
		t.Fatalf("locked case: %d Retry-After=%q %s (want 503, Retry-After, code busy)", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
	if took > 3*time.Second {
		t.Errorf("the refusal took %s; lock_timeout is 300 ms", took)
	}
	if v := e.version(c.ID); v != c.Version {
		t.Errorf("version %d after a refused write, want %d", v, c.Version)
	}
	// Once the lock is gone the same write goes through.
	if r := e.api("PATCH", fmt.Sprintf("/api/v1/cases/%d", c.ID), e.tok["staff"], `{"facts":{"initial_description":"ロック後"}}`, "If-Match", fmt.Sprint(c.Version)); r.Status != http.StatusOK {
		t.Fatalf("after the lock: %d %s", r.Status, r.Body)
	}
}
