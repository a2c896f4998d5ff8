package store_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/testdb"
)

// The backfill of migration 00013, as SQL over a case's state (the migration skips rows whose
// involved is not an object, leaving the default '{}'); the projection computes the same
// columns in Go (incident.Case.InvolvedIDs, EarliestOpenMeasureDue) for every case written since.
const (
	backfillInvolved = `SELECT ARRAY(SELECT k::bigint FROM jsonb_each_text(CASE WHEN jsonb_typeof($1::jsonb->'involved') = 'object' THEN $1::jsonb->'involved' ELSE '{}' END) AS e(k, v) WHERE v = 'true' ORDER BY 1)`
	backfillMeasure  = `SELECT COALESCE(to_char(min((r->'values'->>'due_date')::date), 'YYYY-MM-DD'), '')
		FROM jsonb_array_elements(COALESCE($1::jsonb->'records', '[]')) r
		WHERE r->>'kind' = 'recurrence_measure' AND NOT COALESCE((r->>'withdrawn')::boolean, false)
		  AND COALESCE(r->'values'->>'status', '') NOT IN ('done', 'verified')
		  AND COALESCE(r->'values'->>'due_date', '') <> ''`
)

// TestBoardColumns_BackfillEqualsProjection: for cases already stored when migration 00013 runs,
// the SQL backfill must give what the projection gives for new writes.
func TestBoardColumns_BackfillEqualsProjection(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	measure := func(id int64, due, status string, withdrawn bool) *incident.Record {
		return &incident.Record{ID: id, Kind: incident.RecMeasure, Stage: incident.StageRecurrencePrevention, Withdrawn: withdrawn,
			Values: incident.Facts{"due_date": due, "status": status, "description": "USB暗号化"}}
	}
	other := &incident.Record{ID: 9, Kind: incident.RecMonitoring, Values: incident.Facts{"date": "2020-01-01"}}
	tests := []struct {
		name string
		c    incident.Case
	}{
		{"empty", incident.Case{}},
		{"involved, one unmarked", incident.Case{Involved: map[int64]bool{12: true, 3: true, 7: false}}},
		{"measures: earliest open one", incident.Case{Records: []*incident.Record{
			measure(1, "2026-12-01", "planned", false), measure(2, "2026-11-02", "in_progress", false), other}}},
		{"done, verified and withdrawn measures do not count", incident.Case{Records: []*incident.Record{
			measure(1, "2026-01-01", "done", false), measure(2, "2026-01-02", "verified", false),
			measure(3, "2026-01-03", "planned", true), measure(4, "2026-05-05", "planned", false)}}},
		{"no due date", incident.Case{Records: []*incident.Record{measure(1, "", "planned", false)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state, err := json.Marshal(&tt.c)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			var due string
			if err := db.Store.Pool.QueryRow(ctx, backfillInvolved, state).Scan(&ids); err != nil {
				t.Fatal(err)
			}
			if err := db.Store.Pool.QueryRow(ctx, backfillMeasure, state).Scan(&due); err != nil {
				t.Fatal(err)
			}
			if want := tt.c.InvolvedIDs(); !slices.Equal(ids, want) && !(len(ids) == 0 && len(want) == 0) {
				t.Errorf("involved: backfill %v, projection %v", ids, want)
			}
			if want := tt.c.EarliestOpenMeasureDue(); due != want {
				t.Errorf("measure due: backfill %q, projection %q", due, want)
			}
		})
	}
}
