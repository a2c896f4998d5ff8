package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakdesk/leakdesk/internal/config"
	"github.com/leakdesk/leakdesk/internal/devdb"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/testdb"
	"github.com/leakdesk/leakdesk/internal/web"
)

// TestReadyz_TellsTheTruthWhenTheDatabaseStops runs its own cluster, because it stops it.
func TestReadyz_TellsTheTruthWhenTheDatabaseStops(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own PostgreSQL cluster")
	}
	testdb.Base(t) // skip or fail like every database test
	ctx := context.Background()
	dir, err := os.MkdirTemp("/tmp", "leakdesk-readyz-")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(dir, 0o755)
	cl, err := devdb.Start(ctx, filepath.Join(dir, "pg"), devdb.Options{Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Remove(ctx); _ = os.RemoveAll(dir) })

	st, err := store.Open(ctx, cl.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg, _ := config.FromEnv(func(string) string { return "" })
	srv := web.New(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)), web.Options{})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	check := func(wantStatus int, wantReason string) {
		t.Helper()
		srv.Ready().Check(ctx)
		r, err := http.Get(ts.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		if r.StatusCode != wantStatus || !strings.Contains(body["reason"], wantReason) {
			t.Fatalf("readyz = %d %v, want %d with %q", r.StatusCode, body, wantStatus, wantReason)
		}
		// Liveness never depends on the database.
		if hr, err := http.Get(ts.URL + "/healthz"); err != nil || hr.StatusCode != 200 {
			t.Fatalf("healthz: %v", err)
		}
	}
	check(http.StatusServiceUnavailable, "migrations pending")
	// Application pages refuse to serve from a half-migrated schema.
	if r, err := http.Get(ts.URL + "/login"); err != nil || r.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("login page before migration: %v %v", r.StatusCode, err)
	}
	if _, err := st.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	check(http.StatusOK, "")
	if err := cl.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	check(http.StatusServiceUnavailable, "database unreachable")
	if err := cl.StartServer(ctx); err != nil {
		t.Fatal(err)
	}
	check(http.StatusOK, "")
}
