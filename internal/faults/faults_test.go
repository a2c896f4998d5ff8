package faults_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// loadClients drives flows from n goroutines until the returned stop is called (it waits for them;
// calling it again does nothing): each opens a case, patches it, ticks its checklist through the
// page, submits G1 and has a manager approve it, on instances picked at random. A step that is not
// acknowledged abandons the case (the ledger counts it).
func (r *rig) loadClients(l *ledger, n int, insts []*instance) (stopLoad func()) {
	stop := make(chan struct{})
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
					f = nil // log in again: a session that failed once is not trusted further
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
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			wg.Wait()
		})
	}
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
	stopLoad := r.loadClients(l, size("LEAKDESK_SOAK_CLIENTS", 4, 8), insts)
	defer stopLoad()
	ctx := context.Background()
	// Figures for docs/faults.md: how long PostgreSQL itself takes to come back (the reference),
	// how long until each app process acknowledges a write again, and how long /readyz lags.
	var pgBack, recoveries, toNotReady, toReady []time.Duration
	for i := range restarts {
		time.Sleep(time.Duration(1000+rand.IntN(1000)) * time.Millisecond)
		before := l.writes()
		var up time.Time
		if i%3 == 0 {
			// A held outage: /readyz must turn 503 while the database is down and stay so.
			if err := r.cluster.StopImmediate(ctx); err != nil {
				t.Fatalf("restart %d: stop: %v", i, err)
			}
			down := time.Now()
			for _, in := range insts {
				if err := waitReady(in, false, 20*time.Second); err != nil {
					t.Errorf("restart %d: %s while the database is down: %v", i, in.name, err)
				}
				toNotReady = append(toNotReady, time.Since(down))
			}
			for range 5 {
				for _, in := range insts {
					if st := readyz(in); st != http.StatusServiceUnavailable {
						t.Errorf("restart %d: %s /readyz %d while the database is down", i, in.name, st)
					}
				}
				time.Sleep(200 * time.Millisecond)
			}
			t0 := time.Now()
			if err := r.cluster.StartServer(ctx); err != nil {
				t.Fatalf("restart %d: start: %v", i, err)
			}
			up = time.Now()
			pgBack = append(pgBack, up.Sub(t0))
			for _, in := range insts {
				if err := waitReady(in, true, 30*time.Second); err != nil {
					t.Fatalf("restart %d: %s did not become ready again: %v", i, in.name, err)
				}
				toReady = append(toReady, time.Since(up))
			}
		} else {
			t0 := time.Now()
			if err := r.cluster.Restart(ctx, true); err != nil {
				t.Fatalf("restart %d: pg_ctl restart -m immediate: %v", i, err)
			}
			up = time.Now()
			pgBack = append(pgBack, up.Sub(t0))
		}
		for _, in := range insts {
			if err := waitReady(in, true, 30*time.Second); err != nil {
				t.Fatalf("restart %d: %s did not become ready again: %v", i, in.name, err)
			}
			if _, err := r.probe(l, in, 30*time.Second); err != nil {
				t.Fatalf("restart %d: %v", i, err)
			}
			recoveries = append(recoveries, time.Since(up))
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
	t.Logf("unacknowledged writes by step:status: %v", l.reasons)
	for k, n := range l.reasons {
		if strings.HasSuffix(k, ":500") {
			t.Errorf("%d writes answered 500 during the outages (%s): an unreachable database must answer 503 with Retry-After", n, k)
		}
	}
	t.Logf("%d restarts, %d acknowledged writes, %d unacknowledged attempts, %d cases / %d events", restarts, l.writes(), l.failures, cases, events)
	ref := median(pgBack)
	t.Logf("reference: pg_ctl back up in median %s (max %s, n=%d)", ref, maxOf(pgBack), len(pgBack))
	t.Logf("first acknowledged write per app process after the database is back: median %s = %.2f× reference, max %s = %.2f× (n=%d)",
		median(recoveries), ratio(median(recoveries), ref), maxOf(recoveries), ratio(maxOf(recoveries), ref), len(recoveries))
	t.Logf("/readyz turned 503 after the database stopped: median %s, max %s; turned 200 after it was back: median %s = %.2f× reference, max %s (n=%d)",
		median(toNotReady), maxOf(toNotReady), median(toReady), ratio(median(toReady), ref), maxOf(toReady), len(toReady))
}

// TestFaults_TwoInstances runs two app processes on one database with clients spread over both:
// a session made on one instance works on the other (and ends on both at logout), racing
// approvals of the same request from the two instances give exactly one approval, and reminders
// due at once go out exactly once although both instances run reminder workers. (The in-process
// counterpart with a restart is internal/reminder's
// TestReminders_FireAtOffsetsOnceAcrossInstancesAndRestart; this one uses two real processes.)
func TestFaults_TwoInstances(t *testing.T) {
	r := newRig(t)
	a, b := r.startInstance("a"), r.startInstance("b")
	ctx := context.Background()

	t.Run("session on either instance", func(t *testing.T) {
		br := newBrowser()
		if err := br.login(a, r.users["staff"].Email); err != nil {
			t.Fatal(err)
		}
		if st, body, err := br.get(b, "/account"); err != nil || st != http.StatusOK || !strings.Contains(body, r.users["staff"].Email) {
			t.Fatalf("session from a on b: %d %v", st, err)
		}
		tok, err := br.csrf(b, "/account")
		if err != nil {
			t.Fatal(err)
		}
		if st, err := br.post(b, "/logout", url.Values{"_csrf": {tok}}); err != nil || st != http.StatusSeeOther {
			t.Fatalf("logout on b: %d %v", st, err)
		}
		if st, _, err := br.get(a, "/account"); err != nil || st != http.StatusSeeOther {
			t.Fatalf("after logout on b, a still serves the account page: %d %v", st, err)
		}
	})

	l := newLedger()
	races := size("LEAKDESK_SOAK_RACES", 40, 10000)
	clients := size("LEAKDESK_SOAK_CLIENTS", 4, 8)
	var raced, wins atomic.Int64
	var mu sync.Mutex
	var bad []string
	var raceTimes, submitTimes []time.Duration // a racing pair vs one uncontended write (reference)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			insts := []*instance{a, b}
			f, err := r.newFlow(l, insts[w%2])
			if err != nil {
				mu.Lock()
				bad = append(bad, "login: "+err.Error())
				mu.Unlock()
				return
			}
			// race has manager1 and manager2 approve rid at the same moment on different instances.
			race := func(rid int64) {
				x, y := a, b
				if rand.IntN(2) == 0 {
					x, y = b, a
				}
				var st [2]int
				var rw sync.WaitGroup
				gate := make(chan struct{})
				for i, p := range []struct {
					in  *instance
					who string
				}{{x, "manager1"}, {y, "manager2"}} {
					rw.Add(1)
					go func() { defer rw.Done(); <-gate; st[i] = f.approve(p.in, rid, p.who) }()
				}
				t0 := time.Now()
				close(gate)
				rw.Wait()
				d := time.Since(t0)
				mu.Lock()
				raceTimes = append(raceTimes, d)
				mu.Unlock()
				raced.Add(1)
				ok := (st[0] == http.StatusOK && st[1] == http.StatusConflict) || (st[0] == http.StatusConflict && st[1] == http.StatusOK)
				if ok {
					wins.Add(1)
					return
				}
				mu.Lock()
				bad = append(bad, fmt.Sprintf("request %d: statuses %v (want one 200 and one 409)", rid, st))
				mu.Unlock()
			}
			for i := 0; raced.Load() < int64(races); i++ {
				c, ok := f.openCase(insts[i%2], fmt.Sprintf("競合試験 w%d-%d", w, i), time.Now().Add(-20*time.Minute))
				if !ok || !f.tick(insts[(i+1)%2], c) {
					mu.Lock()
					bad = append(bad, fmt.Sprintf("worker %d: case setup not acknowledged", w))
					mu.Unlock()
					return
				}
				t0 := time.Now()
				rid, ok := f.request(insts[rand.IntN(2)], c, g1Request)
				d := time.Since(t0)
				mu.Lock()
				submitTimes = append(submitTimes, d)
				mu.Unlock()
				if !ok {
					mu.Lock()
					bad = append(bad, fmt.Sprintf("worker %d: G1 request not acknowledged", w))
					mu.Unlock()
					return
				}
				race(rid)
				if rid, ok = f.request(insts[rand.IntN(2)], c, policeSkipReq); !ok {
					mu.Lock()
					bad = append(bad, fmt.Sprintf("worker %d: police skip request not acknowledged", w))
					mu.Unlock()
					return
				}
				race(rid)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	for i, s := range bad {
		if i == 20 {
			t.Errorf("... %d more", len(bad)-20)
			break
		}
		t.Error(s)
	}
	if raced.Load() < int64(races) {
		t.Fatalf("only %d of %d races ran", raced.Load(), races)
	}
	t.Logf("%d approval races over two instances in %s: %d with exactly one approval", raced.Load(), elapsed.Round(time.Millisecond), wins.Load())
	t.Logf("a racing pair takes median %s = %.2f× one uncontended request submission (reference, median %s)",
		median(raceTimes), ratio(median(raceTimes), median(submitTimes)), median(submitTimes))

	// Reminders: cases whose deadlines are long past get their "missed" reminders at once, from
	// whichever instance's worker takes the job; each must go out exactly once.
	f := &flow{r: r, l: l, staff: r.users["staff"].Token}
	nRem := size("LEAKDESK_SOAK_REMINDER_CASES", 6, 40)
	var remCases []int64
	for i := range nRem {
		c, ok := f.openCase([]*instance{a, b}[i%2], fmt.Sprintf("督促試験 %d", i), time.Date(2026, 4, 30, 13, 40, 0, 0, time.UTC))
		if !ok {
			t.Fatal("reminder case not created")
		}
		remCases = append(remCases, c.ID)
	}
	var mails, sent, due int
	deadline := time.Now().Add(90 * time.Second)
	for {
		mails = len(r.smtp.Messages())
		if err := r.db.QueryRow(ctx, `SELECT (SELECT count(*) FROM reminders_sent WHERE recipients > 0),
			(SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'discarded', 'cancelled') AND scheduled_at <= now())`).Scan(&sent, &due); err != nil {
			t.Fatal(err)
		}
		if due == 0 && mails == sent && sent > 0 {
			time.Sleep(2 * time.Second) // anything still in flight shows up as a mismatch below
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reminders did not settle within 90s: %d mails, %d in reminders_sent, %d jobs due", mails, sent, due)
		}
		time.Sleep(200 * time.Millisecond)
	}
	msgs := r.smtp.Messages()
	if err := r.db.QueryRow(ctx, `SELECT count(*) FROM reminders_sent WHERE recipients > 0`).Scan(&sent); err != nil {
		t.Fatal(err)
	}
	if len(msgs) != sent {
		t.Errorf("%d reminder mails, but %d reminders recorded as sent", len(msgs), sent)
	}
	seen := map[string]int{}
	for _, m := range msgs {
		to := slices.Clone(m.To)
		slices.Sort(to)
		seen[m.Subject+"\x00"+strings.Join(to, ",")+"\x00"+m.Text]++
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("reminder sent %d times: %q", n, strings.SplitN(k, "\x00", 2)[0])
		}
	}
	var casesReminded, workers int
	if err := r.db.QueryRow(ctx, `SELECT count(DISTINCT case_id) FROM reminders_sent WHERE case_id = ANY($1)`, remCases).Scan(&casesReminded); err != nil {
		t.Fatal(err)
	}
	if casesReminded != nRem {
		t.Errorf("%d of %d overdue cases got reminders", casesReminded, nRem)
	}
	_ = r.db.QueryRow(ctx, `SELECT count(DISTINCT attempted_by[array_length(attempted_by, 1)]) FROM river_job WHERE state = 'completed'`).Scan(&workers)
	t.Logf("%d reminder mails for %d overdue cases, each once; jobs completed by %d distinct River clients", len(msgs), nRem, workers)

	r.checkLedger(l)
	r.checkConsistency()
}

// TestFaults_Kill kills one of two app instances with SIGKILL, again and again, while clients
// write through both, and starts it again. No acknowledged write may be lost, no half-written
// change may remain (see checkConsistency), the chains must verify, and a session made before a
// kill still works on the restarted process.
func TestFaults_Kill(t *testing.T) {
	r := newRig(t)
	a, b := r.startInstance("a"), r.startInstance("b")
	insts := []*instance{a, b}
	kept := newBrowser()
	if err := kept.login(a, r.users["manager1"].Email); err != nil {
		t.Fatal(err)
	}
	kills := size("LEAKDESK_SOAK_KILLS", 2, 10)
	l := newLedger()
	stopLoad := r.loadClients(l, size("LEAKDESK_SOAK_CLIENTS", 4, 8), insts)
	defer stopLoad()
	var relaunch []time.Duration
	for i := range kills {
		time.Sleep(time.Duration(1000+rand.IntN(1000)) * time.Millisecond)
		victim := insts[i%2]
		before := l.writes()
		victim.kill()
		time.Sleep(500 * time.Millisecond) // the survivor carries the load alone for a moment
		relaunch = append(relaunch, r.launch(victim))
		if _, err := r.probe(l, victim, 30*time.Second); err != nil {
			t.Fatalf("kill %d: %v", i, err)
		}
		if st, _, err := kept.get(victim, "/account"); err != nil || st != http.StatusOK {
			t.Errorf("kill %d: session from before the kill on the restarted %s: %d %v", i, victim.name, st, err)
		}
		t.Logf("kill %d (%s): %d writes acknowledged since the previous one", i, victim.name, l.writes()-before)
	}
	time.Sleep(time.Second)
	stopLoad()
	r.checkLedger(l)
	r.checkConsistency()
	cases, events := r.counts()
	t.Logf("unacknowledged writes by step:status: %v", l.reasons)
	t.Logf("%d kills, %d acknowledged writes, %d unacknowledged attempts, %d cases / %d events", kills, l.writes(), l.failures, cases, events)
	ref := median([]time.Duration{a.firstStart, b.firstStart})
	t.Logf("a killed process, started again under load, is ready in median %s = %.2f× its first start on an idle database (reference %s), max %s",
		median(relaunch), ratio(median(relaunch), ref), ref, maxOf(relaunch))
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2].Round(time.Millisecond)
}

func maxOf(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return slices.Max(d).Round(time.Millisecond)
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
