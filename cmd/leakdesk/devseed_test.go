package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/testdb"
)

// dev seed refuses a database that holds real cases: generated cases look exactly like real ones.
func TestDevSeed_RefusesADatabaseWithRealCases(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	u, err := db.Store.CreateUser(ctx, 0, "staff@example.jp", "担当", []auth.Role{auth.RoleStaff}, "x")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := casework.New(db.Store).Open(ctx, incident.Actor{UserID: u.ID, Roles: []incident.Role{incident.RoleStaff}}, "本物の案件", nil, false); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DATABASE_URL": db.URL}
	var out, errOut bytes.Buffer
	err = cmdDevSeed(ctx, []string{"--cases", "1"}, func(k string) string { return env[k] }, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("seeding a database with a real case: %v", err)
	}
	var n int
	if err := db.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM cases`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("cases after the refusal: %d %v", n, err)
	}
}
