package reminder_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/incident"
)

type idxRow struct {
	DueAt time.Time
	Met   bool
}

func (e *env) index(caseID int64) map[string]idxRow {
	e.t.Helper()
	rows, err := e.db.Store.Pool.Query(context.Background(), `SELECT kind, due_at, met_at IS NOT NULL FROM case_deadlines WHERE case_id = $1`, caseID)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]idxRow{}
	for rows.Next() {
		var k string
		var r idxRow
		if err := rows.Scan(&k, &r.DueAt, &r.Met); err != nil {
			e.t.Fatal(err)
		}
		out[k] = r
	}
	return out
}

// TestIndex_FollowsFactChanges: each fact change that moves the assessment rewrites the case's
// deadlines index in the same transaction.
func TestIndex_FollowsFactChanges(t *testing.T) {
	e := newEnv(t, jst(2026, 5, 1, 10, 5))
	e.worker(e.db.Store, true) // registers the hook; workers not started
	ctx := context.Background()
	c, err := e.svc.Open(ctx, e.actors["staff"], "案件", facts(), false)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name  string
		patch map[string]any
		kinds []string
		check func(t *testing.T, idx map[string]idxRow)
	}{
		{"opened: 3,000 people, reportable", nil,
			[]string{"final_report", "first_internal_report", "notice_decision", "prelim_outer", "prelim_target"},
			func(t *testing.T, idx map[string]idxRow) {
				if !idx["final_report"].DueAt.Equal(jst(2026, 6, 1, 23, 59).Add(59 * time.Second)) {
					t.Errorf("final due %s", idx["final_report"].DueAt.In(time.UTC))
				}
				if idx["first_internal_report"].Met {
					t.Error("first report met before it was made")
				}
			}},
		{"internal report made", map[string]any{"reported_to_soumu_at": "2026-05-01T10:04"},
			[]string{"final_report", "first_internal_report", "notice_decision", "prelim_outer", "prelim_target"},
			func(t *testing.T, idx map[string]idxRow) {
				if !idx["first_internal_report"].Met {
					t.Error("first report not marked met")
				}
			}},
		{"known a day earlier: every date moves", map[string]any{"recognized_at": "2026-04-30T10:00"},
			[]string{"final_report", "first_internal_report", "notice_decision", "prelim_outer", "prelim_target"},
			func(t *testing.T, idx map[string]idxRow) {
				if !idx["prelim_target"].DueAt.Equal(jst(2026, 5, 2, 23, 59).Add(59 * time.Second)) {
					t.Errorf("prelim target %s", idx["prelim_target"].DueAt)
				}
			}},
		{"only 5 people, nothing sensitive: not reportable, report deadlines leave the index",
			map[string]any{"estimated_count_max": 5, "data_items": []any{"name"}, "certainty": "confirmed", "route": "media_lost", "wrongful_act": "no", "event_types": []any{"loss"}},
			nil, nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.patch != nil {
				if _, _, err := e.svc.Do(ctx, c.ID, 0, e.actors["staff"], incident.PatchFacts{Patch: st.patch}); err != nil {
					t.Fatal(err)
				}
			}
			idx := e.index(c.ID)
			got := slices.Sorted(maps.Keys(idx))
			if st.kinds != nil && !slices.Equal(got, st.kinds) {
				t.Fatalf("kinds %v, want %v", got, st.kinds)
			}
			if st.kinds == nil && slices.Contains(got, "final_report") {
				t.Fatalf("kinds %v still hold the final report", got)
			}
			if st.check != nil {
				st.check(t, idx)
			}
		})
	}
}
