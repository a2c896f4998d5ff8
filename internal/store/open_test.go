package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// TestOpen_ConcurrentNumbersUniqueRegistryChained: opens running at the same time (the number is
// taken in its own short transaction, the registry row at the end) get distinct numbers of the
// year, every case is in the registry once, and the whole history verifies.
func TestOpen_ConcurrentNumbersUniqueRegistryChained(t *testing.T) {
	e := newAuditEnv(t)
	ctx := context.Background()
	svc := casework.New(e.db.Store) // the real clock: safe for concurrent calls
	const n = 12
	var wg sync.WaitGroup
	numbers := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := svc.Open(ctx, e.actors["staff"], fmt.Sprintf("同時に開く %d", i), map[string]any{"recognized_at": "2026-06-10T08:00"}, false)
			errs[i] = err
			if err == nil {
				numbers[i] = c.Number
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("open %d: %v", i, errs[i])
		}
		if seen[numbers[i]] {
			t.Fatalf("number %s given twice: %v", numbers[i], numbers)
		}
		seen[numbers[i]] = true
	}
	var registered, distinct int
	if err := e.db.Store.Pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT case_id) FROM case_registry`).Scan(&registered, &distinct); err != nil {
		t.Fatal(err)
	}
	if registered != n || distinct != n {
		t.Fatalf("registry has %d rows for %d cases, want %d", registered, distinct, n)
	}
	if res, err := e.db.Store.Verify(ctx, 0); err != nil || !res.OK {
		t.Fatalf("verify: %+v %v", res.FirstBad, err)
	}
}

// TestOpen_FailedOpenLeavesAGap: an opening refused after its number was taken writes nothing
// (no case, no registry row), and the number is not given again — the year's numbers may have
// gaps, never duplicates.
func TestOpen_FailedOpenLeavesAGap(t *testing.T) {
	e := newAuditEnv(t)
	ctx := context.Background()
	first, err := e.svc.Open(ctx, e.actors["staff"], "一件目", map[string]any{"recognized_at": "2026-06-10T08:00"}, false)
	if err != nil {
		t.Fatal(err)
	}
	refused := errors.New("refused on purpose")
	var taken string
	_, err = e.db.Store.OpenCase(ctx, time.Now(), func(id int64, number string) (*incident.Case, []incident.Event, error) {
		taken = number
		return nil, nil, refused
	})
	if !errors.Is(err, refused) {
		t.Fatalf("open: %v", err)
	}
	var cases, registry int
	if err := e.db.Store.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM case_registry)`).Scan(&cases, &registry); err != nil {
		t.Fatal(err)
	}
	if cases != 1 || registry != 1 {
		t.Fatalf("after the refused open: %d cases, %d registry rows", cases, registry)
	}
	third, err := e.svc.Open(ctx, e.actors["staff"], "三件目", map[string]any{"recognized_at": "2026-06-10T08:00"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if taken == first.Number || taken == third.Number || !strings.HasSuffix(third.Number, "-0003") {
		t.Fatalf("numbers %s, refused %s, then %s: want a gap at the refused one", first.Number, taken, third.Number)
	}
	if res, err := e.db.Store.Verify(ctx, 0); err != nil || !res.OK {
		t.Fatalf("verify with a gap in the numbers: %+v %v", res.FirstBad, err)
	}
}
