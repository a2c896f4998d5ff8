package casework_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestVerify_ParallelRangesGiveTheSequentialVerdict: Verify(all) checks ranges of cases on several
// connections; the verdict must still be the one a single pass in (case, seq) order gives — the
// first bad case, not whichever worker finished first — with every event counted when all is well.
func TestVerify_ParallelRangesGiveTheSequentialVerdict(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var ids []int64
	for range 12 {
		c, _ := e.openReady()
		ids = append(ids, c.ID)
	}
	var events int64
	if err := e.db.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM case_events`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	res, err := e.db.Store.Verify(ctx, 0)
	if err != nil || !res.OK || res.Checked != events || res.Cases != int64(len(ids)) {
		t.Fatalf("clean: %+v %v, want %d events in %d cases", res, err, events, len(ids))
	}
	// Two tampered cases far apart: the earlier one is named, whatever range finishes first.
	e.tamper(`UPDATE case_events SET payload = jsonb_set(payload, '{title}', '"改ざん"') WHERE case_id = $1 AND seq = 1`, ids[9])
	e.tamper(`UPDATE case_events SET payload = jsonb_set(payload, '{title}', '"改ざん"') WHERE case_id = $1 AND seq = 1`, ids[3])
	var before int64
	if err := e.db.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM case_events WHERE case_id < $1`, ids[3]).Scan(&before); err != nil {
		t.Fatal(err)
	}
	res, err = e.db.Store.Verify(ctx, 0)
	if err != nil || res.OK || res.FirstBad == nil || res.FirstBad.CaseID != ids[3] || res.FirstBad.Seq != 1 {
		t.Fatalf("tampered: %+v (first bad %+v) %v, want case %d seq 1", res, res.FirstBad, err, ids[3])
	}
	if res.Checked != before+1 || res.Cases != 4 {
		t.Fatalf("counts %d events, %d cases; a single pass stops after %d events in 4 cases", res.Checked, res.Cases, before+1)
	}
}

// TestVerify_ConcurrentVerificationsDoNotStarveThePool: more verifications at once than the pool
// has connections (32) must all finish: each runs on its own transaction and its helpers only
// join when a connection is free (helpers that waited for one while holding theirs deadlocked).
func TestVerify_ConcurrentVerificationsDoNotStarveThePool(t *testing.T) {
	e := newEnv(t)
	for range 6 {
		e.openReady()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 40
	errs := make(chan error, n)
	for range n {
		go func() {
			res, err := e.db.Store.Verify(ctx, 0)
			if err == nil && !res.OK {
				err = fmt.Errorf("verdict %+v", res.FirstBad)
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestVerifyProgress_ReportsEveryRange: the background job's progress (store.VerifyProgress) is
// reported once per range of cases, from 1 to the number of ranges, and the verdict is Verify's.
func TestVerifyProgress_ReportsEveryRange(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for range 6 {
		e.openReady()
	}
	want, err := e.db.Store.Verify(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[int64]bool{}
	var total int64
	got, err := e.db.Store.VerifyProgress(ctx, 0, func(done, n int64) {
		mu.Lock()
		defer mu.Unlock()
		seen[done], total = true, n
	})
	if err != nil || got != want {
		t.Fatalf("verdict with progress %+v %v, without %+v", got, err, want)
	}
	if total < 2 || int64(len(seen)) != total {
		t.Fatalf("progress reports %v of %d ranges", seen, total)
	}
	for i := int64(1); i <= total; i++ {
		if !seen[i] {
			t.Fatalf("no report of %d/%d: %v", i, total, seen)
		}
	}
}
