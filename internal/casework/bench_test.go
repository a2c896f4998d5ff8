package casework_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/testdb"
)

// `make bench` runs these two on a cluster with durability ON; the figure is the ratio of their
// ns/op: one request+approve pair costs this many plain single-row insert+commits.

func benchActor(b *testing.B, db *testdb.DB, key string, role auth.Role) incident.Actor {
	b.Helper()
	u, err := db.Store.CreateUser(context.Background(), 0, key+"@example.jp", key, []auth.Role{role}, "x")
	if err != nil {
		b.Fatal(err)
	}
	return incident.Actor{UserID: u.ID, Name: u.Name, Roles: []incident.Role{incident.Role(role)}}
}

// BenchmarkRequestApprove measures the G1 pair: staff request "complete discovery", a manager
// approves it — two transactions, each loading the case, deciding, re-running the law and
// appending hash-chained events. Opening the case and ticking its checklist happen off the clock.
func BenchmarkRequestApprove(b *testing.B) {
	db := testdb.New(b)
	svc := casework.New(db.Store)
	staff := benchActor(b, db, "staff", auth.RoleStaff)
	manager := benchActor(b, db, "manager", auth.RoleManager)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		c, err := svc.Open(ctx, staff, "USBメモリ紛失（ベンチマーク）", discoveryFacts(), false)
		if err != nil {
			b.Fatalf("open: %v", err)
		}
		c, _, err = svc.Do(ctx, c.ID, c.Version, staff, incident.TickChecklist{ItemID: "discovery.evidence_preserved", Checked: true})
		if err != nil {
			b.Fatalf("tick: %v", err)
		}
		b.StartTimer()
		c, req, err := svc.Submit(ctx, c.ID, c.Version, staff, incident.SubmitRequest{Kind: incident.RequestKind("complete"), Stage: incident.StageDiscovery, Note: "第一報完了"})
		if err != nil {
			b.Fatalf("submit: %v", err)
		}
		_, r, err := svc.Approve(ctx, req.ID, manager, "承認します", 0)
		if err != nil {
			b.Fatalf("approve: %v", err)
		}
		if r.State != incident.RequestApproved {
			b.Fatalf("request %d is %s after approval", r.ID, r.State)
		}
		_ = c
	}
}

// BenchmarkPlainInsertCommit is the reference: one row into a two-column table, one commit, on
// the same cluster and the same connection pool.
func BenchmarkPlainInsertCommit(b *testing.B) {
	db := testdb.New(b)
	ctx := context.Background()
	// The owner creates the table (the app role creates none); default privileges let the app
	// write it like any working table.
	owner, err := pgx.Connect(ctx, db.OwnerURL)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := owner.Exec(ctx, `CREATE TABLE bench_plain (id bigserial PRIMARY KEY, note text NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	owner.Close(ctx)
	for b.Loop() {
		if _, err := db.Store.Pool.Exec(ctx, `INSERT INTO bench_plain (note) VALUES ($1)`, "第一報完了"); err != nil {
			b.Fatal(err)
		}
	}
}
