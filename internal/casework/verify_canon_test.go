package casework_test

import (
	"context"
	"strings"
	"testing"
)

// TestVerify_CanonTamper: an event keeps the bytes its hash covers (case_events.canon), and the
// verifier proves the row says what they say. Each way of editing an event — the row only, the bytes
// only, both — must be named at that event; only a rewrite of the hashes as well gets past the chain
// (and is left to the anchors and checkpoints: TestCheckpoint_* in internal/store).
func TestVerify_CanonTamper(t *testing.T) {
	cases := []struct {
		name, sql, reason string
	}{
		{"payload only",
			`UPDATE case_events SET payload = jsonb_set(payload, '{title}', '"改ざん"') WHERE case_id = $1 AND seq = 1`,
			"differs from its hashed bytes"},
		{"payload key added",
			`UPDATE case_events SET payload = payload || '{"note":"x"}' WHERE case_id = $1 AND seq = 1`,
			"differs from its hashed bytes"},
		{"payload key removed",
			`UPDATE case_events SET payload = payload - 'title' WHERE case_id = $1 AND seq = 1`,
			"differs from its hashed bytes"},
		{"type only",
			`UPDATE case_events SET type = 'case_closed' WHERE case_id = $1 AND seq = 1`,
			"differs from its hashed bytes"},
		{"time only",
			`UPDATE case_events SET at = at + interval '1 second' WHERE case_id = $1 AND seq = 1`,
			"differs from its hashed bytes"},
		{"bytes only",
			`UPDATE case_events SET canon = convert_to(replace(convert_from(canon, 'UTF8'), 'USBメモリ', 'USBメモリX'), 'UTF8') WHERE case_id = $1 AND seq = 1`,
			"hash does not match the event's hashed bytes"},
		{"bytes dropped and payload edited",
			`UPDATE case_events SET canon = NULL, payload = jsonb_set(payload, '{title}', '"改ざん"') WHERE case_id = $1 AND seq = 1`,
			"hash does not match the event content"},
		{"both, consistently",
			`UPDATE case_events SET payload = jsonb_set(payload, '{title}', '"改ざん"'),
				canon = convert_to(replace(convert_from(canon, 'UTF8'), '"title":"USBメモリ紛失（顧客3,000名）"', '"title":"改ざん"'), 'UTF8')
				WHERE case_id = $1 AND seq = 1`,
			"hash does not match the event's hashed bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			c, _ := e.openReady()
			other, _ := e.openReady()
			var withBytes int
			if err := e.db.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM case_events WHERE canon IS NOT NULL AND case_id = $1`, c.ID).Scan(&withBytes); err != nil {
				t.Fatal(err)
			}
			if withBytes == 0 {
				t.Fatal("new events are written without their hashed bytes")
			}
			if res, err := e.db.Store.Verify(ctx, 0); err != nil || !res.OK {
				t.Fatalf("clean history does not verify: %+v %v", res, err)
			}
			e.tamper(tc.sql, c.ID)
			for _, only := range []int64{0, c.ID} {
				res, err := e.db.Store.Verify(ctx, only)
				if err != nil {
					t.Fatal(err)
				}
				if res.OK || res.FirstBad == nil || res.FirstBad.CaseID != c.ID || res.FirstBad.Seq != 1 || !strings.Contains(res.FirstBad.Reason, tc.reason) {
					t.Fatalf("verify(%d) after %s: %+v (first bad %+v), want case %d seq 1 %q", only, tc.name, res, res.FirstBad, c.ID, tc.reason)
				}
			}
			if res, err := e.db.Store.Verify(ctx, other.ID); err != nil || !res.OK {
				t.Fatalf("the untouched case: %+v %v", res, err)
			}
		})
	}
}

// TestVerify_EventsWithoutBytesStillVerify: events written before migration 00115 have no kept
// bytes (canon NULL); they are verified from the payload as before, and an edit is still found.
func TestVerify_EventsWithoutBytesStillVerify(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, _ := e.openReady()
	e.tamper(`UPDATE case_events SET canon = NULL WHERE case_id = $1 AND seq % 2 = 0`, c.ID)
	if res, err := e.db.Store.Verify(ctx, 0); err != nil || !res.OK || res.Checked == 0 {
		t.Fatalf("a history of old and new rows: %+v %v", res, err)
	}
	e.tamper(`UPDATE case_events SET payload = payload || '{"note":"x"}' WHERE case_id = $1 AND seq = 2`, c.ID)
	res, err := e.db.Store.Verify(ctx, c.ID)
	if err != nil || res.OK || res.FirstBad == nil || res.FirstBad.Seq != 2 {
		t.Fatalf("an edited old row: %+v (%+v) %v, want seq 2", res, res.FirstBad, err)
	}
}
