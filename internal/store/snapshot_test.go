package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/store"
)

// TestSnapshot_WrongSnapshotCaught: the check that every test runs (store.CheckSnapshots) fails a
// write whose stored snapshot is not what the replay of the history gives, and nothing is written.
// It also shows that the write starts from the snapshot and not from a replay: a replay would have
// repaired the altered title and passed.
func TestSnapshot_WrongSnapshotCaught(t *testing.T) {
	if !store.CheckSnapshots {
		t.Skip("LEAKDESK_CHECK_SNAPSHOTS=0")
	}
	e := newAuditEnv(t)
	ctx := context.Background()
	c := recordsCase(t, e)
	superExec(t, e, `UPDATE cases SET state = jsonb_set(state, '{title}', '"違う件名"') WHERE id = $1`, c.ID)
	_, _, err := e.svc.Do(ctx, c.ID, c.Version, e.actors["staff"], incident.TickChecklist{ItemID: "containment.provisional_measures", Checked: true})
	if err == nil || !strings.Contains(err.Error(), "differs from the replay") || !strings.Contains(err.Error(), "Title") {
		t.Fatalf("write on a wrong snapshot: %v", err)
	}
	var version int64
	if err := e.db.Store.Pool.QueryRow(ctx, `SELECT max(seq) FROM case_events WHERE case_id = $1`, c.ID).Scan(&version); err != nil || version != c.Version {
		t.Fatalf("events after the refused write: %d %v, want %d", version, err, c.Version)
	}
}

// TestSnapshot_RowsFromBeforeReplayedOnce: a row written before snapshots (state_format 0, its
// state not trusted) is replayed on its next write, which stores a real snapshot.
func TestSnapshot_RowsFromBeforeReplayedOnce(t *testing.T) {
	e := newAuditEnv(t)
	ctx := context.Background()
	c := recordsCase(t, e)
	superExec(t, e, `UPDATE cases SET state_format = 0, state = jsonb_set(state, '{title}', '"古い形式"') WHERE id = $1`, c.ID)
	c2, _, err := e.svc.Do(ctx, c.ID, c.Version, e.actors["staff"], incident.TickChecklist{ItemID: "containment.provisional_measures", Checked: true})
	if err != nil {
		t.Fatal(err)
	}
	if c2.Title != c.Title {
		t.Fatalf("title %q: the old state was trusted", c2.Title)
	}
	var format int
	var title string
	if err := e.db.Store.Pool.QueryRow(ctx, `SELECT state_format, state->>'title' FROM cases WHERE id = $1`, c.ID).Scan(&format, &title); err != nil {
		t.Fatal(err)
	}
	if format != 1 || title != c.Title {
		t.Fatalf("after the write: format %d title %q", format, title)
	}
}

// TestSnapshot_MissingHeadEventRefused: with the newest event deleted behind the store's back, a
// write from the snapshot cannot chain onto it and is refused (it used to fail on the replay).
func TestSnapshot_MissingHeadEventRefused(t *testing.T) {
	e := newAuditEnv(t)
	ctx := context.Background()
	c := recordsCase(t, e)
	superExec(t, e, `DELETE FROM case_events WHERE case_id = $1 AND seq = $2`, c.ID, c.Version)
	_, _, err := e.svc.Do(ctx, c.ID, c.Version, e.actors["staff"], incident.TickChecklist{ItemID: "containment.provisional_measures", Checked: true})
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("write after the head event was deleted: %v", err)
	}
}
