package store

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/incident"
)

// CheckSnapshots, when true, makes every case write replay the case's whole history at its end,
// inside its transaction, and fail unless the snapshot it stored (read back from the row) equals
// that replay. It is the proof that writing from the snapshot changes nothing: the test database
// helper (internal/testdb) turns it on for every test that opens a store, and
// LEAKDESK_CHECK_SNAPSHOTS=1 (set by `make test`) for every process the tests start. It is off in
// production, where the replay is what the snapshot saves.
var CheckSnapshots = os.Getenv("LEAKDESK_CHECK_SNAPSHOTS") == "1"

// checkSnapshot compares the stored snapshot of caseID with the replay of its stored events.
func (s *Store) checkSnapshot(ctx context.Context, tx pgx.Tx, caseID int64) error {
	if !CheckSnapshots {
		return nil
	}
	var state []byte
	if err := tx.QueryRow(ctx, `SELECT state FROM cases WHERE id = $1`, caseID).Scan(&state); err != nil {
		return fmt.Errorf("store: check snapshot: %w", err)
	}
	snap, err := incident.DecodeSnapshot(state)
	if err != nil {
		return fmt.Errorf("store: check snapshot: %w", err)
	}
	history, _, err := loadEvents(ctx, tx, caseID)
	if err != nil {
		return err
	}
	replayed, err := incident.Replay(history)
	if err != nil {
		return fmt.Errorf("store: check snapshot: replay: %w", err)
	}
	if diff := caseDiff(snap, replayed); diff != "" {
		return fmt.Errorf("store: case %d: snapshot at version %d differs from the replay of its history: %s", caseID, snap.Version, diff)
	}
	return nil
}

// caseDiff names the fields in which two cases differ ("" when equal), by value and by type.
func caseDiff(a, b *incident.Case) string {
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	var out []string
	for i := range va.NumField() {
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			out = append(out, fmt.Sprintf("%s: snapshot %#v, replay %#v", va.Type().Field(i).Name, va.Field(i).Interface(), vb.Field(i).Interface()))
		}
	}
	return strings.Join(out, "; ")
}
