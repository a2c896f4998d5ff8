package faults_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// loadClients drives flows from n goroutines until stop is closed: each opens a case, patches it,
// ticks its checklist through the page, submits G1 and has a manager approve it, on instances
// picked at random. A step that is not acknowledged abandons the case (the ledger counts it).
func (r *rig) loadClients(l *ledger, n int, insts []*instance, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	var seq atomic.Int64
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var f *flow
			pick := func() *instance { return insts[rand.IntN(len(insts))] }
			for {
				select {
				case <-stop:
					return
				default:
				}
				if f == nil {
					var err error
					if f, err = r.newFlow(l, pick()); err != nil {
						f = nil
						l.fail("login", 0)
						time.Sleep(100 * time.Millisecond)
						continue
					}
				}
				i := seq.Add(1)
				c, ok := f.openCase(pick(), fmt.Sprintf("障害試験 w%d-%d", w, i), time.Now().Add(-20*time.Minute))
				if !ok {
					time.Sleep(50 * time.Millisecond)
					continue
				}
				if c, ok = f.patch(pick(), c, fmt.Sprintf("marker-w%d-%d", w, i)); !ok {
					continue
				}
				if !f.tick(pick(), c) {
					continue
				}
				rid, ok := f.request(pick(), c, g1Request)
				if !ok {
					continue
				}
				if st := f.approve(pick(), rid, "manager1"); st != http.StatusOK {
					l.fail("approve", st)
				}
			}
		}()
	}
	return &wg
}

// probe retries one small write (a case) on in until it is acknowledged, returning how long that took.
func (r *rig) probe(l *ledger, in *instance, within time.Duration) (time.Duration, error) {
	start := time.Now()
	f := &flow{r: r, l: l, staff: r.users["staff"].Token}
	for time.Since(start) < within {
		if _, ok := f.openCase(in, "復旧確認 "+time.Now().Format(time.RFC3339Nano), time.Now().Add(-20*time.Minute)); ok {
			return time.Since(start), nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return 0, fmt.Errorf("no write acknowledged by %s within %s", in.name, within)
}

// TestFaults_DatabaseRestart restarts PostgreSQL in immediate mode (a crash: no shutdown
// checkpoint) again and again while clients write through two app instances. Every acknowledged
// write must survive, the chains must verify, the same app processes must serve writes again after
// each restart, /readyz must say "not ready" while the database is down and "ready" once it is back,
// and the reminder workers must still send mail afterwards.
func TestFaults_DatabaseRestart(t *testing.T) {
	r := newRig(t)
	a, b := r.startInstance("a"), r.startInstance("b")
	insts := []*instance{a, b}
	restarts := size("LEAKDESK_SOAK_RESTARTS", 3, 20)
	l := newLedger()
	stop := make(chan struct{})
	wg := r.loadClients(l, size("LEAKDESK_SOAK_CLIENTS", 4, 8), insts, stop)
	stopped := false
	stopLoad := func() {
		if !stopped {
			stopped = true
			close(stop)
			wg.Wait()
		}
	}
	defer stopLoad()
	ctx := context.Background()
	var recoveries []time.Duration
	for i := range restarts {
		time.Sleep(time.Duration(1000+rand.IntN(1000)) * time.Millisecond)
		before := l.writes()
		if i%3 == 0 {
			// A held outage: /readyz must turn 503 while the database is down and stay so.
			if err := r.cluster.StopImmediate(ctx); err != nil {
				t.Fatalf("restart %d: stop: %v", i, err)
			}
			for _, in := range insts {
				if err := waitReady(in, false, 20*time.Second); err != nil {
					t.Errorf("restart %d: %s while the database is down: %v", i, in.name, err)
				}
			}
			for range 5 {
				for _, in := range insts {
					if st := readyz(in); st != http.StatusServiceUnavailable {
						t.Errorf("restart %d: %s /readyz %d while the database is down", i, in.name, st)
					}
				}
				time.Sleep(200 * time.Millisecond)
			}
			if err := r.cluster.StartServer(ctx); err != nil {
				t.Fatalf("restart %d: start: %v", i, err)
			}
		} else if err := r.cluster.Restart(ctx, true); err != nil {
			t.Fatalf("restart %d: pg_ctl restart -m immediate: %v", i, err)
		}
		for _, in := range insts {
			if err := waitReady(in, true, 30*time.Second); err != nil {
				t.Fatalf("restart %d: %s did not become ready again: %v", i, in.name, err)
			}
			d, err := r.probe(l, in, 30*time.Second)
			if err != nil {
				t.Fatalf("restart %d: %v", i, err)
			}
			recoveries = append(recoveries, d)
			if !in.alive() {
				t.Fatalf("restart %d: %s exited", i, in.name)
			}
		}
		t.Logf("restart %d: %d writes acknowledged since the previous one", i, l.writes()-before)
	}
	time.Sleep(time.Second)
	stopLoad()
	if l.writes() == 0 {
		t.Fatal("no write was acknowledged at all")
	}

	// The background workers came back too: a case with missed deadlines gets its reminders.
	f := &flow{r: r, l: l, staff: r.users["staff"].Token}
	c, ok := f.openCase(a, "復旧後の督促確認", time.Date(2026, 4, 30, 13, 40, 0, 0, time.UTC))
	if !ok {
		t.Fatal("reminder probe case not created")
	}
	var number string
	if err := r.db.QueryRow(ctx, `SELECT number FROM cases WHERE id = $1`, c.ID).Scan(&number); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for !slices.ContainsFunc(r.smtp.Messages(), func(m mailMessage) bool { return strings.Contains(m.Subject, number) }) {
		if time.Now().After(deadline) {
			t.Fatalf("no reminder for case %s within 60s after the restarts: the reminder workers did not recover", number)
		}
		time.Sleep(200 * time.Millisecond)
	}

	r.checkLedger(l)
	r.checkConsistency()
	cases, events := r.counts()
	slices.Sort(recoveries)
	t.Logf("unacknowledged writes by step:status: %v", l.reasons)
	t.Logf("%d restarts, %d acknowledged writes, %d unacknowledged attempts, %d cases / %d events; write recovery after restart: median %s, max %s",
		restarts, l.writes(), l.failures, cases, events, recoveries[len(recoveries)/2], recoveries[len(recoveries)-1])
}
