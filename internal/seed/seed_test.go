package seed_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/seed"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/testdb"
)

// TestSeed_VerifiesAndProjectionsEqualReplay seeds a small batch and checks that what the COPY path
// wrote is what the application itself would have: the hash chains and the registry verify, and
// every projection (case row, requests, deadlines, register) equals what replaying the events gives.
func TestSeed_VerifiesAndProjectionsEqualReplay(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	key, err := pii.NewKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	kr := pii.NewKeyring(key)
	if err := db.Store.CheckDataKey(ctx, kr); err != nil {
		t.Fatal(err)
	}
	const n = 20
	stats, err := seed.Run(ctx, db.Store, kr, seed.Options{Cases: n, Workers: 2, Writers: 2, Batch: 7, Seed: 42,
		Now: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Cases != n || stats.Rejected != 0 || stats.Events < n*5 {
		t.Fatalf("stats %+v", stats)
	}

	res, err := db.Store.Verify(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || res.Cases != n || res.Checked != stats.Events {
		t.Fatalf("verify %+v (first bad %+v), want ok over %d cases and %d events", res, res.FirstBad, n, stats.Events)
	}

	rows, err := db.Store.Pool.Query(ctx, `SELECT id FROM cases ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	statuses := map[incident.CaseStatus]int{}
	var persons, deadlines int64
	measures := 0 // cases whose projection has an open recurrence measure
	for _, id := range ids {
		c, err := db.Store.GetCase(ctx, id) // replay of the stored events
		if err != nil {
			t.Fatalf("case %d: %v", id, err)
		}
		statuses[c.Status]++
		want, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var same bool
		var status, stage, measureDue string
		var version int64
		var pending int
		var involved []int64
		err = db.Store.Pool.QueryRow(ctx, `SELECT state = $2::jsonb, status, current_stage, version, pending_requests,
			involved_ids, COALESCE(to_char(measure_due, 'YYYY-MM-DD'), '') FROM cases WHERE id = $1`, id, want).
			Scan(&same, &status, &stage, &version, &pending, &involved, &measureDue)
		if err != nil {
			t.Fatal(err)
		}
		if measureDue != c.EarliestOpenMeasureDue() || len(involved) != len(c.InvolvedIDs()) {
			t.Fatalf("case %d board columns: measure_due %q, want %q; involved %v, want %v", id, measureDue, c.EarliestOpenMeasureDue(), involved, c.InvolvedIDs())
		}
		if measureDue != "" {
			measures++
		}
		if !same || status != string(c.Status) || stage != string(store.CurrentStage(c)) || version != c.Version || pending != len(c.PendingRequests()) {
			t.Fatalf("case %d row differs from replay: state equal %v, status %s/%s, stage %s/%s, version %d/%d, pending %d/%d",
				id, same, status, c.Status, stage, store.CurrentStage(c), version, c.Version, pending, len(c.PendingRequests()))
		}

		// Requests: one row per request of the aggregate, in the same state.
		var reqStates []string
		rr, err := db.Store.Pool.Query(ctx, `SELECT id::text || ':' || state FROM case_requests WHERE case_id = $1 ORDER BY id`, id)
		if err != nil {
			t.Fatal(err)
		}
		for rr.Next() {
			var s string
			if err := rr.Scan(&s); err != nil {
				t.Fatal(err)
			}
			reqStates = append(reqStates, s)
		}
		rr.Close()
		var wantReq []string
		for _, r := range c.Requests {
			wantReq = append(wantReq, strings.Join([]string{itoa(r.ID), string(r.State)}, ":"))
		}
		slices.Sort(wantReq)
		slices.Sort(reqStates)
		if !slices.Equal(reqStates, wantReq) {
			t.Fatalf("case %d requests %v, replay %v", id, reqStates, wantReq)
		}

		// Deadlines: the latest assessment's deadlines, met ones with a completion time, open-ness
		// following the case.
		list, _ := c.Assessment["deadlines"].([]any)
		var wantDl []string
		for _, x := range list {
			m := x.(map[string]any)
			wantDl = append(wantDl, m["kind"].(string)+"|"+m["due_at"].(string)+"|"+boolStr(m["met"] == true)+"|"+boolStr(c.Status == incident.StatusOpen))
		}
		var gotDl []string
		dr, err := db.Store.Pool.Query(ctx, `SELECT kind || '|' || to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '|' || (met_at IS NOT NULL)::text || '|' || case_open::text
			FROM case_deadlines WHERE case_id = $1`, id)
		if err != nil {
			t.Fatal(err)
		}
		for dr.Next() {
			var s string
			if err := dr.Scan(&s); err != nil {
				t.Fatal(err)
			}
			gotDl = append(gotDl, s)
		}
		dr.Close()
		slices.Sort(wantDl)
		slices.Sort(gotDl)
		if !slices.Equal(gotDl, wantDl) {
			t.Fatalf("case %d deadlines %v, replay %v", id, gotDl, wantDl)
		}
		deadlines += int64(len(gotDl))

		// The register decrypts with the data key.
		ps, err := db.Store.ListPersons(ctx, kr, store.PersonFilter{CaseID: id})
		if err != nil {
			t.Fatalf("case %d persons: %v", id, err)
		}
		for _, p := range ps {
			if p.Name == "" || !strings.HasSuffix(p.Email, "@example.jp") {
				t.Fatalf("case %d person %d decrypted to %q %q", id, p.ID, p.Name, p.Email)
			}
		}
		persons += int64(len(ps))
	}
	if persons != stats.Persons || deadlines != stats.Deadlines {
		t.Fatalf("persons %d/%d, deadlines %d/%d", persons, stats.Persons, deadlines, stats.Deadlines)
	}
	if len(statuses) < 2 || statuses[incident.StatusOpen] == 0 {
		t.Fatalf("want open and closed cases, got %v", statuses)
	}
	if measures == 0 {
		t.Fatal("no seeded case has an open recurrence measure: the measure_due check above checked nothing")
	}

	// Seeding again continues the registry chain (a second run adds to the first).
	if _, err := seed.Run(ctx, db.Store, kr, seed.Options{Cases: 3, Seed: 43}); err != nil {
		t.Fatal(err)
	}
	if res, err := db.Store.Verify(ctx, 0); err != nil || !res.OK || res.Cases != n+3 {
		t.Fatalf("verify after a second run: %+v %v", res, err)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
