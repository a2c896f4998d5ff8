// Package loadgen is the closed-loop load generator behind `make bench`: a fixed number of clients
// each run one operation after another for a bounded time, and every operation's latency is kept so
// that p50 and p99 are exact, not estimated from buckets. It also reads the CPU time that processes
// used, from /proc, so a figure can say what it cost the app and the database.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Op is one operation of client number worker (0-based). A returned error counts as a failed
// operation; its latency is not kept, since a fast failure would flatter the percentiles.
type Op func(ctx context.Context, worker int) error

// ErrDone, returned by an Op, says there is no more work (a pool of prepared items ran out): the
// client stops without counting the call, and the run ends when every client has stopped or the
// duration has passed.
var ErrDone = errors.New("loadgen: no more work")

// Config bounds a run.
type Config struct {
	Clients  int           // concurrent clients (at least 1)
	Duration time.Duration // the run stops starting operations after this long
	// Warmup runs the operations this long before measuring, so that connection pools, prepared
	// statements and caches are warm; its operations are not counted.
	Warmup time.Duration
}

// Result is what a run measured.
type Result struct {
	Clients  int
	Ops      int // successful operations
	Errors   int
	FirstErr error
	Elapsed  time.Duration
	P50, P99 time.Duration
}

// PerSecond is successful operations per second of wall time.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Ops) / r.Elapsed.Seconds()
}

func (r Result) String() string {
	return fmt.Sprintf("%d clients: %d ops in %v (%.1f/s), p50 %v, p99 %v, %d errors",
		r.Clients, r.Ops, r.Elapsed.Round(time.Millisecond), r.PerSecond(), r.P50, r.P99, r.Errors)
}

// Run runs op with cfg.Clients clients until cfg.Duration has passed (or ctx ends) and waits for the
// operations in flight, so the elapsed time covers every counted operation.
func Run(ctx context.Context, cfg Config, op Op) Result {
	if cfg.Clients < 1 {
		cfg.Clients = 1
	}
	if cfg.Warmup > 0 {
		run(ctx, cfg.Clients, cfg.Warmup, op)
	}
	res := run(ctx, cfg.Clients, cfg.Duration, op)
	res.Clients = cfg.Clients
	return res
}

func run(ctx context.Context, clients int, d time.Duration, op Op) Result {
	type worker struct {
		lat    []time.Duration
		errors int
		first  error
	}
	ws := make([]worker, clients)
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &ws[i]
			w.lat = make([]time.Duration, 0, 1024)
			for ctx.Err() == nil && time.Now().Before(deadline) {
				t0 := time.Now()
				err := op(ctx, i)
				if errors.Is(err, ErrDone) {
					return
				}
				if err != nil {
					w.errors++
					if w.first == nil {
						w.first = err
					}
					continue
				}
				w.lat = append(w.lat, time.Since(t0))
			}
		}()
	}
	wg.Wait()
	res := Result{Elapsed: time.Since(start)}
	var all []time.Duration
	for _, w := range ws {
		all = append(all, w.lat...)
		res.Errors += w.errors
		if res.FirstErr == nil {
			res.FirstErr = w.first
		}
	}
	res.Ops = len(all)
	slices.Sort(all)
	res.P50, res.P99 = Percentile(all, 50), Percentile(all, 99)
	return res
}

// Percentile returns the nearest-rank p-th percentile of sorted latencies (0 when there are none).
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	// Nearest rank: the smallest value with at least p% of the values at or below it.
	rank := int(float64(len(sorted))*p/100 + 0.999999999)
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}
