package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/testdb"
)

// TestBeginLogin_StepsNeitherCountNorReset: the sign-in flows of issue 18 share issue 21's atomic
// count. A right password that waits for its second factor ("second_step") must not count as a
// failure (an office of MFA users behind one address would lock itself out) and must not reset the
// account's count either (wrong codes could then be tried for ever between right passwords); the
// second step's own failures, recorded with FinishLoginEvent, count like wrong passwords.
func TestBeginLogin_StepsNeitherCountNorReset(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	now := time.Date(2026, 6, 10, 9, 0, 0, 0, time.UTC)
	lim := store.LoginLimits{PerAccount: 3, PerAddress: 100, Window: time.Hour}
	begin := func() (int64, bool) {
		t.Helper()
		now = now.Add(time.Second)
		id, locked, err := db.Store.BeginLogin(ctx, "mfa@example.jp", "192.0.2.1", now, lim)
		if err != nil {
			t.Fatal(err)
		}
		return id, locked
	}
	// Many right passwords waiting for the second factor: never locked.
	for i := 0; i < 5; i++ {
		id, locked := begin()
		if locked {
			t.Fatalf("locked after %d right passwords", i)
		}
		if err := db.Store.FinishLogin(ctx, id, false, "second_step"); err != nil {
			t.Fatal(err)
		}
	}
	// Wrong codes count, and a right password between them does not wipe the count.
	for i, reason := range []string{"totp", "second_step", "totp", "second_step", "recovery"} {
		id, locked := begin()
		if locked {
			t.Fatalf("step %d: locked too early", i)
		}
		if reason == "second_step" {
			if err := db.Store.FinishLogin(ctx, id, false, reason); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := db.Store.FinishLoginEvent(ctx, id, store.LoginEvent{Reason: reason, Method: "password+totp"}); err != nil {
			t.Fatal(err)
		}
	}
	id, locked := begin()
	if !locked {
		t.Fatal("three wrong codes between right passwords did not lock the account")
	}
	// The refused attempt gains the method but stays "locked" (not counted, not a success).
	if err := db.Store.FinishLoginEvent(ctx, id, store.LoginEvent{Success: true, Method: "password+totp"}); err != nil {
		t.Fatal(err)
	}
	var success bool
	var reason, method string
	if err := db.Store.Pool.QueryRow(ctx, `SELECT success, reason, method FROM login_attempts WHERE id = $1`, id).Scan(&success, &reason, &method); err != nil {
		t.Fatal(err)
	}
	if success || reason != "locked" || method != "password+totp" {
		t.Fatalf("refused attempt recorded as success=%v reason=%q method=%q", success, reason, method)
	}
}
