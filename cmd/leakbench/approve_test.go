package main

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/config"
	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/testdb"
	"github.com/leakdesk/leakdesk/internal/web"
)

// The request → approve rows must measure approvals the API accepts: the manager approves in their
// own right (the bench registers no deputy), so the body must not claim a 代理承認. A run that sent
// as_deputy without on_behalf_of was answered 422 on every approval.
func TestRequestAndApprove_TheManagerApprovesForReal(t *testing.T) {
	ctx := context.Background()
	db := testdb.New(t)
	cfg, err := config.FromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	material := make([]byte, 32)
	if _, err := rand.Read(material); err != nil {
		t.Fatal(err)
	}
	key, err := pii.NewKey(material)
	if err != nil {
		t.Fatal(err)
	}
	keys := pii.NewKeyring(key)
	if err := db.Store.CheckDataKey(ctx, keys); err != nil {
		t.Fatal(err)
	}
	srv := web.New(cfg, db.Store, slog.New(slog.NewTextHandler(io.Discard, nil)), web.Options{Keys: keys})
	srv.Ready().Check(ctx)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)

	b := &bench{o: options{readyCases: 1}, log: io.Discard, st: db.Store, baseURL: ts.URL, started: time.Now()}
	if b.staff, err = b.createUser(ctx, "staff@bench.example.jp", "ベンチ 担当者", "staff"); err != nil {
		t.Fatal(err)
	}
	if b.manager, err = b.createUser(ctx, "manager@bench.example.jp", "ベンチ 部長", "manager"); err != nil {
		t.Fatal(err)
	}
	if b.ready, err = b.prepareReady(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.requestAndApprove(ctx, b.ready[0]); err != nil {
		t.Fatal(err)
	}
	c, err := db.Store.GetCase(ctx, b.ready[0])
	if err != nil {
		t.Fatal(err)
	}
	var approvals int
	for _, r := range c.Requests {
		for _, a := range r.Approvals {
			approvals++
			if a.UserID != b.manager.ID || a.AsDeputy {
				t.Errorf("approval %+v: want the manager (%d) in their own right", a, b.manager.ID)
			}
		}
	}
	if approvals != 1 {
		t.Fatalf("%d approvals stored, want 1", approvals)
	}
}
