package store_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/seed"
	"github.com/leakdesk/leakdesk/internal/store"

	"github.com/leakdesk/leakdesk/internal/testdb"
)

// TestMigrations_DownToZeroAndUpAgain runs every migration's Down and then every Up again on a
// database that holds seeded cases and an anchor, so that each Down is real SQL that works after the later migrations
// ran (an upgrade that has to be rolled back in production runs exactly these statements).
func TestMigrations_DownToZeroAndUpAgain(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	key, err := pii.NewKey(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	kr := pii.NewKeyring(key)
	if err := db.Store.CheckDataKey(ctx, kr); err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Run(ctx, db.Store, kr, seed.Options{Cases: 5, Seed: 3, Batch: 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Store.WriteAnchor(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	// Migrations run as the owner (LEAKDESK_MIGRATE_URL), never as the app role.
	owner, err := store.Open(ctx, db.OwnerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	latest, err := owner.MigrateUp(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v := latest
	for v > 0 {
		nv, err := owner.MigrateDown(ctx)
		if err != nil {
			t.Fatalf("down from %d: %v", v, err)
		}
		if nv >= v {
			t.Fatalf("down from %d stayed at %d", v, nv)
		}
		v = nv
	}
	again, err := owner.MigrateUp(ctx)
	if err != nil {
		t.Fatalf("up again: %v", err)
	}
	if again != latest {
		t.Fatalf("up again reached %d, want %d", again, latest)
	}
}
