package casework_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/store"
)

// TestCommands_DoNotTakeASecondConnection runs 4 × the pool size of writers at once on a pool of
// two, with the register count wired as the server wires it. A command that reads through the pool
// while it holds its transaction's connection would freeze the pool (issue 21: each writer holds
// one connection and waits for a second that none gives back); every command must finish well
// within 10 s instead.
func TestCommands_DoNotTakeASecondConnection(t *testing.T) {
	e := newEnv(t)
	const poolSize = 2
	small, err := store.OpenWith(context.Background(), e.db.URL, store.PoolOptions{MaxConns: poolSize})
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	svc := casework.New(small)
	svc.PersonCount = func(ctx context.Context, caseID int64) (int, error) {
		n, err := small.AffectedPersonCount(ctx, caseID)
		return int(n), err
	}
	staff := e.actors["staff"]
	// Two cases: half the writers queue on one case's row lock, the other half on the other's.
	var cases []*incident.Case
	for i := range 2 {
		c, err := svc.Open(context.Background(), staff, fmt.Sprintf("プール試験 %d", i), discoveryFacts(), false)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
	}
	writers := 4 * poolSize
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, writers)
	took := make([]time.Duration, writers)
	gate := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			t0 := time.Now()
			c := cases[w%2]
			_, _, errs[w] = svc.Do(ctx, c.ID, 0, staff, incident.PatchFacts{Patch: map[string]any{"estimated_count_max": 3000 + w}})
			if errs[w] == nil {
				_, errs[w] = svc.Open(ctx, staff, fmt.Sprintf("プール試験 w%d", w), discoveryFacts(), false)
			}
			took[w] = time.Since(t0)
		}()
	}
	close(gate)
	wg.Wait()
	for w, err := range errs {
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("writer %d still waiting after 10 s: the pool froze (%v)", w, err)
		}
		if err != nil {
			t.Errorf("writer %d: %v", w, err)
		}
	}
	t.Logf("%d writers on a pool of %d: slowest %s", writers, poolSize, slices.Max(took))
}
