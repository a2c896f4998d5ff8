package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/scalebench"
	"github.com/leakdesk/leakdesk/internal/seed"
)

// cmdDevSeed writes generated cases for scale measurements (docs/performance.md): each case is
// decided by the real domain and written with COPY, then one chain anchor covers them all so that a
// server started afterwards does not anchor a million heads in the middle of a benchmark.
func cmdDevSeed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags(stdout, "dev seed", "dev seed [flags]", "Write generated cases for scale measurements (docs/performance.md) into DATABASE_URL.")
	cases := fs.Int("cases", 1000, "number of cases to add")
	workers := fs.Int("workers", 2, "goroutines building cases")
	writers := fs.Int("writers", 2, "concurrent COPY transactions")
	batch := fs.Int("batch", 500, "cases per transaction")
	seedN := fs.Uint64("seed", 1, "random seed (the same seed gives the same cases)")
	force := fs.Bool("force", false, "seed even though the database holds cases the seeder did not write")
	if err := fs.parse(args, 0, 0); err != nil {
		return err
	}
	st, cfg, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	// Generated cases are indistinguishable from real ones (that is the point): never mix them into
	// a database that holds real cases by accident.
	var real int64
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM cases c LEFT JOIN users u ON u.id = c.owner_id
		WHERE u.email IS NULL OR u.email NOT LIKE '%@seed.leakdesk.invalid'`).Scan(&real); err != nil {
		return fmt.Errorf("dev seed: count cases: %w", err)
	}
	if real > 0 && !*force {
		return fmt.Errorf("dev seed: the database holds %d cases the seeder did not write; refusing to mix generated cases into it (use a scratch database, or --force)", real)
	}
	keys, err := pii.LoadKeyring(cfg.DataKey, cfg.DataKeyFile)
	if err != nil {
		return fmt.Errorf("data key: %w", err)
	}
	if err := st.CheckDataKey(ctx, keys); err != nil {
		return err
	}
	// Building cases allocates heavily and the process is short-lived: a larger heap target trades
	// memory (plentiful for a dev tool) for a third less CPU spent in the collector.
	debug.SetGCPercent(400)
	start := time.Now()
	last := start
	stats, err := seed.Run(ctx, st, keys, seed.Options{Cases: *cases, Workers: *workers, Writers: *writers, Batch: *batch, Seed: *seedN,
		Progress: func(s seed.Stats) {
			if time.Since(last) < 10*time.Second {
				return
			}
			last = time.Now()
			el := time.Since(start).Seconds()
			fmt.Fprintf(stderr, "%d cases, %d events in %.0fs (%.0f cases/s, %.0f events/s)\n", s.Cases, s.Events, el, float64(s.Cases)/el, float64(s.Events)/el)
		}})
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	el := time.Since(start)
	anchored, err := st.WriteAnchor(ctx, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded %d cases, %d events, %d requests, %d deadlines, %d persons in %s (%.0f cases/s, %.0f events/s); %d rejected commands; anchor covers %d cases\n",
		stats.Cases, stats.Events, stats.Requests, stats.Deadlines, stats.Persons, el.Round(time.Second),
		float64(stats.Cases)/el.Seconds(), float64(stats.Events)/el.Seconds(), stats.Rejected, anchored)
	return nil
}

// cmdDevScaleBench measures the hot pages of a running server over loopback HTTP (docs/performance.md).
func cmdDevScaleBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags(stdout, "dev scalebench", "dev scalebench --email E --auditor A [flags]", "Measure the hot pages of a running server over loopback HTTP (docs/performance.md).\nThe password is SCALEBENCH_PASSWORD.")
	base := fs.String("base", "http://127.0.0.1:8080", "server base URL")
	email := fs.String("email", "", "a manager's e-mail")
	auditor := fs.String("auditor", "", "an auditor's e-mail (same password)")
	requests := fs.Int("requests", 300, "requests per scenario and client count")
	clients := fs.String("clients", "1,32", "client counts")
	think := fs.Duration("think", 0, "pause 0.5–1.5 × this after each response, per client (0: back to back)")
	only := fs.String("only", "", "run only scenarios whose name contains this (the reference always runs)")
	if err := fs.parse(args, 0, 0); err != nil {
		return err
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	var cs []int
	for _, s := range strings.Split(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fs.misuse("--clients: " + s)
		}
		cs = append(cs, n)
	}
	_, err = scalebench.Run(ctx, scalebench.Options{BaseURL: *base, DatabaseURL: cfg.DatabaseURL, Email: *email, AuditorEmail: *auditor,
		Password: getenv("SCALEBENCH_PASSWORD"), Clients: cs, Requests: *requests, Only: *only, Think: *think, Out: stdout})
	return err
}
