package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/store"
)

// superExec runs SQL as the cluster superuser with triggers (the append-only ones included) off,
// as someone with direct database access would.
func superExec(t testing.TB, e *auditEnv, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, e.db.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SET session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// anchoredPair opens two cases and writes two anchors: the first holds both cases' heads, the
// second (after `other` changed) only other's. It returns the cases as the first anchor saw them.
func anchoredPair(t testing.TB, e *auditEnv) (c, other *incident.Case) {
	t.Helper()
	ctx := context.Background()
	open := func(title string) *incident.Case {
		c, err := e.svc.Open(ctx, e.actors["staff"], title, map[string]any{"suspected_route": "email_missend"}, false)
		if err != nil {
			t.Fatal(err)
		}
		c, _, err = e.svc.Do(ctx, c.ID, c.Version, e.actors["staff"], incident.TickChecklist{ItemID: "discovery.evidence_preserved", Checked: true})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c, other = open("誤送信"), open("紛失")
	if n, err := e.db.Store.WriteAnchor(ctx, e.now.Add(time.Second)); err != nil || n != 2 {
		t.Fatalf("first anchor: %d heads, %v", n, err)
	}
	if _, _, err := e.svc.Do(ctx, other.ID, other.Version, e.actors["staff"], incident.PatchFacts{Patch: map[string]any{"initial_description": "追記"}}); err != nil {
		t.Fatal(err)
	}
	if n, err := e.db.Store.WriteAnchor(ctx, e.now.Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("second anchor: %d heads, %v", n, err)
	}
	return c, other
}

// sideTableMismatches counts the rows that differ between chain_anchor_heads and the anchors'
// jsonb head lists, both ways.
func sideTableMismatches(t testing.TB, e *auditEnv) (rows, mismatches int) {
	t.Helper()
	err := e.db.Store.Pool.QueryRow(context.Background(), `WITH j AS (
			SELECT (h->>0)::bigint AS case_id, a.seq AS anchor_seq, (h->>1)::bigint AS seq, decode(h->>2, 'hex') AS hash
			FROM chain_anchors a, jsonb_array_elements(a.heads) h),
		s AS (SELECT case_id, anchor_seq, seq, hash FROM chain_anchor_heads)
		SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM ((SELECT * FROM j EXCEPT SELECT * FROM s) UNION ALL (SELECT * FROM s EXCEPT SELECT * FROM j)) d)`).
		Scan(&rows, &mismatches)
	if err != nil {
		t.Fatal(err)
	}
	return rows, mismatches
}

func TestAnchorHeads_WrittenWithEachAnchor(t *testing.T) {
	e := newAuditEnv(t)
	anchoredPair(t, e)
	if rows, bad := sideTableMismatches(t, e); rows != 3 || bad != 0 {
		t.Fatalf("chain_anchor_heads: %d rows, %d differ from the anchors; want 3 and 0", rows, bad)
	}
}

func TestAnchorHeads_AppendOnlyForTheAppRole(t *testing.T) {
	e := newAuditEnv(t)
	anchoredPair(t, e)
	for _, q := range []string{`UPDATE chain_anchor_heads SET seq = seq + 1`, `DELETE FROM chain_anchor_heads`, `TRUNCATE chain_anchor_heads`} {
		if _, err := e.db.Store.Pool.Exec(context.Background(), q); err == nil {
			t.Errorf("%s succeeded as the app role", q)
		}
	}
}

// TestAnchorHeads_TamperingFound: the one-case verdict reads the case's anchored heads from
// chain_anchor_heads; the full verify also proves that table equal to the anchors, so editing it
// (to hide deleted events, or at all) is found there.
func TestAnchorHeads_TamperingFound(t *testing.T) {
	const lastEvent = `(SELECT max(seq) FROM case_events WHERE case_id = $1)`
	cases := []struct {
		name   string
		tamper []string // $1 is the case id
		// What the one-case verdict says ("" = passes: it trusts chain_anchor_heads) and what the
		// full verify says; both name the case's head when the anchor was written, except that the
		// one-case verdict names the seq the altered row gives (oneSeqShift).
		oneCase, full string
		oneSeqShift   int64
	}{
		{"deleted newest event, projection fixed up", []string{
			`DELETE FROM case_events WHERE case_id = $1 AND seq = ` + lastEvent,
			`UPDATE cases SET version = version - 1 WHERE id = $1`,
		}, "an anchored event is missing", "an anchored event is missing", 0},
		{"deleted newest event, projection and anchored heads fixed up", []string{
			`DELETE FROM case_events WHERE case_id = $1 AND seq = ` + lastEvent,
			`UPDATE cases SET version = version - 1 WHERE id = $1`,
			`DELETE FROM chain_anchor_heads WHERE case_id = $1`,
		}, "", "chain_anchor_heads does not (anchored heads deleted)", 0},
		{"deleted anchored head", []string{
			`DELETE FROM chain_anchor_heads WHERE case_id = $1`,
		}, "", "chain_anchor_heads does not (anchored heads deleted)", 0},
		{"deleted the anchored heads of this case and every later one", []string{
			`DELETE FROM chain_anchor_heads WHERE case_id >= $1`,
		}, "", "chain_anchor_heads does not (anchored heads deleted)", 0},
		{"altered anchored hash", []string{
			`UPDATE chain_anchor_heads SET hash = sha256(hash) WHERE case_id = $1`,
		}, "an anchored event has a different hash", "chain_anchor_heads differs from anchor 1 (anchored heads altered)", 0},
		{"altered anchored seq", []string{
			`UPDATE chain_anchor_heads SET seq = seq - 1 WHERE case_id = $1`,
		}, "an anchored event has a different hash", "chain_anchor_heads differs from anchor 1 (anchored heads altered)", -1},
		{"added anchored head", []string{
			`INSERT INTO chain_anchor_heads (case_id, anchor_seq, seq, hash)
				SELECT case_id, 2, seq, hash FROM case_events WHERE case_id = $1 AND seq = ` + lastEvent,
		}, "", "chain_anchor_heads holds a head that anchor 2 does not (anchored heads added)", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newAuditEnv(t)
			ctx := context.Background()
			c, other := anchoredPair(t, e)
			for _, id := range []int64{0, c.ID, other.ID} {
				if res, err := e.db.Store.Verify(ctx, id); err != nil || !res.OK {
					t.Fatalf("before tampering, Verify(%d): %+v %v", id, res.FirstBad, err)
				}
			}
			for _, q := range tc.tamper {
				superExec(t, e, q, c.ID)
			}
			check := func(id int64, want string, seq int64) {
				t.Helper()
				res, err := e.db.Store.Verify(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if want == "" {
					if !res.OK {
						t.Fatalf("Verify(%d): %+v, want OK", id, res.FirstBad)
					}
					return
				}
				if res.OK || res.FirstBad.CaseID != c.ID || res.FirstBad.Seq != seq || !strings.Contains(res.FirstBad.Reason, want) {
					t.Fatalf("Verify(%d): %+v, want case %d seq %d %q", id, res.FirstBad, c.ID, seq, want)
				}
			}
			check(c.ID, tc.oneCase, c.Version+tc.oneSeqShift)
			check(0, tc.full, c.Version)
			check(other.ID, "", 0) // an untouched case is not blamed
		})
	}
}

// TestAnchorHeads_MigrationBackfillsExistingAnchors: anchors written before 00012 (rolled back, so
// only chain_anchors holds them, as the code before it wrote) get their rows when it is applied.
func TestAnchorHeads_MigrationBackfillsExistingAnchors(t *testing.T) {
	e := newAuditEnv(t)
	ctx := context.Background()
	c, _ := anchoredPair(t, e)
	// The owner migrates (the app role may not), as `leakdesk migrate` does.
	// Down to just before 00012 (later migrations first).
	owner, err := store.Open(ctx, e.db.OwnerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	for v := int64(99); v >= 12; {
		var err error
		if v, err = owner.MigrateDown(ctx); err != nil {
			t.Fatalf("migrate down: version %d, %v", v, err)
		}
	}
	var gone bool
	if err := e.db.Store.Pool.QueryRow(ctx, `SELECT to_regclass('chain_anchor_heads') IS NULL`).Scan(&gone); err != nil || !gone {
		t.Fatalf("after migrating down chain_anchor_heads is still there (%v)", err)
	}
	if v, err := owner.MigrateUp(ctx); err != nil || v < 12 {
		t.Fatalf("migrate up: version %d, %v", v, err)
	}
	if rows, bad := sideTableMismatches(t, e); rows != 3 || bad != 0 {
		t.Fatalf("backfill: %d rows, %d differ from the anchors; want 3 and 0", rows, bad)
	}
	for _, id := range []int64{0, c.ID} {
		if res, err := e.db.Store.Verify(ctx, id); err != nil || !res.OK {
			t.Fatalf("after the backfill, Verify(%d): %+v %v", id, res.FirstBad, err)
		}
	}
	// The backfilled rows serve the one-case verdict.
	superExec(t, e, `DELETE FROM case_events WHERE case_id = $1 AND seq = $2`, c.ID, c.Version)
	superExec(t, e, `UPDATE cases SET version = version - 1 WHERE id = $1`, c.ID)
	if res, err := e.db.Store.Verify(ctx, c.ID); err != nil || res.OK || res.FirstBad.Seq != c.Version {
		t.Fatalf("one-case verdict after deleting the anchored event: %+v %v", res.FirstBad, err)
	}
}

// BenchmarkVerifyOneCase measures the verdict on one case, Verify(ctx, caseID), whose head is in an
// anchor of n heads, beside a reference measured in the same run: the same case's events read with
// one plain SELECT (the columns the verdict reads). The verdict's ns/op, and its ratio to the
// reference, should be the same at 1 000 heads as at 100 000. After the loop it also times the
// heads query alone, by index (now) and picked out of the anchors' jsonb (before 00012), so the
// change shows in one run. The case is real (events through the service); the anchor holds its
// head and n-1 heads of case ids that do not exist, written with SQL as the seed's single anchor
// over n cases would look (the one-case verdict does not re-hash the anchor chain, so its hashes
// are placeholders).
func BenchmarkVerifyOneCase(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("heads=%d", n), func(b *testing.B) { benchVerifyOneCase(b, n) })
	}
}

func benchVerifyOneCase(b *testing.B, n int) {
	e := newAuditEnv(b)
	ctx := context.Background()
	c := recordsCase(b, e)
	pool := e.db.Store.Pool
	if _, err := pool.Exec(ctx, `WITH heads AS (
			SELECT e.case_id, e.seq, e.hash FROM cases c JOIN case_events e ON e.case_id = c.id AND e.seq = c.version
			UNION ALL
			SELECT 1000000000 + g, 30, sha256(int8send(g)) FROM generate_series(1, $1::int - 1) g),
		a AS (INSERT INTO chain_anchors (seq, at, heads, prev_hash, hash)
			SELECT 1, now(), jsonb_agg(jsonb_build_array(case_id, seq, encode(hash, 'hex')) ORDER BY case_id), '\x00', '\x00' FROM heads
			RETURNING seq)
		INSERT INTO chain_anchor_heads (case_id, anchor_seq, seq, hash) SELECT case_id, (SELECT seq FROM a), seq, hash FROM heads`, n); err != nil {
		b.Fatal(err)
	}
	// Only the owner may analyze (for the app role PostgreSQL skips it with a warning).
	ownerExec(b, e.db.OwnerURL, `ANALYZE chain_anchors, chain_anchor_heads`)
	if res, err := e.db.Store.Verify(ctx, c.ID); err != nil || !res.OK {
		b.Fatalf("verify: %+v %v", res.FirstBad, err)
	}
	plainRead := func() {
		rows, err := pool.Query(ctx, `SELECT case_id, seq, type, COALESCE(actor_id, 0), at, payload, prev_hash, hash
			FROM case_events WHERE case_id = $1 ORDER BY seq`, c.ID)
		if err != nil {
			b.Fatal(err)
		}
		count := 0
		for rows.Next() {
			count++
		}
		if rows.Err() != nil || int64(count) != c.Version {
			b.Fatalf("plain read: %d rows, %v", count, rows.Err())
		}
	}
	var verify, plain time.Duration
	for b.Loop() {
		t0 := time.Now()
		plainRead()
		t1 := time.Now()
		res, err := e.db.Store.Verify(ctx, c.ID)
		if err != nil || !res.OK {
			b.Fatalf("verify: %+v %v", res.FirstBad, err)
		}
		verify += time.Since(t1)
		plain += t1.Sub(t0)
	}
	perOp := func(d time.Duration, k int) float64 { return float64(d.Nanoseconds()) / float64(k) }
	b.ReportMetric(perOp(verify, b.N), "ns/op")
	b.ReportMetric(perOp(plain, b.N), "plain_ns/op")
	b.ReportMetric(float64(verify)/float64(plain), "verify/plain")
	headsQuery := func(q string, arg any) time.Duration {
		const reps = 5
		t0 := time.Now()
		for range reps {
			rows, err := pool.Query(ctx, q, arg)
			if err != nil {
				b.Fatal(err)
			}
			count := 0
			for rows.Next() {
				count++
			}
			if rows.Err() != nil || count != 1 {
				b.Fatalf("heads query: %d rows, %v", count, rows.Err())
			}
		}
		return time.Since(t0) / reps
	}
	b.ReportMetric(float64(headsQuery(`SELECT seq, hash FROM chain_anchor_heads WHERE case_id = $1 ORDER BY anchor_seq`, c.ID).Nanoseconds()), "heads_index_ns")
	b.ReportMetric(float64(headsQuery(`SELECT (h->>1)::bigint, h->>2 FROM chain_anchors a, jsonb_array_elements(a.heads) h
		WHERE h->>0 = $1::text ORDER BY a.seq`, fmt.Sprint(c.ID)).Nanoseconds()), "heads_jsonb_ns")
}

// TestAnchor_LateCommitIsAnchoredNext: a change stamped before an anchor's time but committed after
// it (here: a case whose clock lags the anchor's) must be in the next anchor, not skipped because
// its updated_at is older than the previous anchor; heads already anchored are not repeated.
func TestAnchor_LateCommitIsAnchoredNext(t *testing.T) {
	e := newAuditEnv(t)
	ctx := context.Background()
	c, other := anchoredPair(t, e)
	// The previous anchor was written at e.now + 1 s; this change is stamped 10 minutes earlier,
	// as a transaction that began before the anchor and committed after it would be.
	e.now = e.now.Add(-10 * time.Minute)
	late, _, err := e.svc.Do(ctx, c.ID, c.Version, e.actors["staff"], incident.PatchFacts{Patch: map[string]any{"initial_description": "遅れて確定"}})
	if err != nil {
		t.Fatal(err)
	}
	n, err := e.db.Store.WriteAnchor(ctx, e.now.Add(20*time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("anchor after the late change: %d heads, %v; want 1 (the late head only, not %d again)", n, err, other.ID)
	}
	var seq int64
	if err := e.db.Store.Pool.QueryRow(ctx, `SELECT max(seq) FROM chain_anchor_heads WHERE case_id = $1`, c.ID).Scan(&seq); err != nil || seq != late.Version {
		t.Fatalf("anchored head of the late case: seq %d (%v), want %d", seq, err, late.Version)
	}
	if n, err := e.db.Store.WriteAnchor(ctx, e.now.Add(30*time.Minute)); err != nil || n != 0 {
		t.Fatalf("anchor with nothing new: %d heads, %v", n, err)
	}
}
