package auditjob_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/auditjob"
	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/testdb"
)

// TestVerify_SecondRunWaitsForALiveFirstAndTakesOverADeadOne: River may start a second run of a
// verification while the first is still working (its rescuer takes a run longer than its window
// for a stuck one). The second run must not verify alongside the first: while the first's
// heartbeat is fresh it snoozes; once the heartbeat is stale (the first died) it takes the job over
// and finishes it, and the first, should it come back, can write neither progress nor result.
func TestVerify_SecondRunWaitsForALiveFirstAndTakesOverADeadOne(t *testing.T) {
	db := testdb.New(t)
	st := db.Store
	ctx := context.Background()
	u, err := st.CreateUser(ctx, 0, "auditor@jobs.example.jp", "auditor", []auth.Role{auth.RoleAuditor}, "x")
	if err != nil {
		t.Fatal(err)
	}
	const stale = 2 * time.Second
	svc, err := auditjob.New(st, auditjob.Config{FetchPollInterval: 100 * time.Millisecond, ReportEvery: 100 * time.Millisecond, StaleAfter: stale})
	if err != nil {
		t.Fatal(err)
	}
	id, err := svc.StartVerify(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The first run holds the job and reports progress, as runVerify's reporter does; the River job
	// queued above then plays the second run.
	if got, err := st.StartAuditJob(ctx, id, "first", stale); err != nil || got != store.AuditJobRun {
		t.Fatalf("first run start: %v, %v", got, err)
	}
	beat := func() error { _, err := st.AuditJobProgress(ctx, id, "first", 7, 10); return err }
	stopBeat := make(chan struct{})
	beating := make(chan error, 1)
	go func() {
		tk := time.NewTicker(200 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stopBeat:
				beating <- nil
				return
			case <-tk.C:
				if err := beat(); err != nil {
					beating <- err
					return
				}
			}
		}
	}()
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = svc.Stop(c)
	})

	// Three staleness windows with a live first run: the second has only snoozed.
	time.Sleep(3 * stale)
	close(stopBeat)
	if err := <-beating; err != nil {
		t.Fatalf("the first run lost its job while its heartbeat was fresh: %v", err)
	}
	j, err := st.GetAuditJob(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != "running" || j.Done != 7 || j.Total != 10 {
		t.Fatalf("while the first run lives the job must stay its own: state %s, %d/%d", j.State, j.Done, j.Total)
	}
	var snoozes int
	if err := st.Pool.QueryRow(ctx, `SELECT COALESCE((metadata->>'snoozes')::int, 0) FROM river_job WHERE kind = $1 AND (args->>'job_id')::bigint = $2`,
		auditjob.VerifyArgs{}.Kind(), id).Scan(&snoozes); err != nil {
		t.Fatal(err)
	}
	if snoozes < 1 {
		t.Fatalf("the second run did not snooze (snoozes = %d)", snoozes)
	}

	// The first run is dead now (no heartbeat): the second takes over and finishes.
	deadline := time.Now().Add(30 * time.Second)
	for j.State == "running" {
		if time.Now().After(deadline) {
			t.Fatalf("no takeover after the first run's heartbeat went stale: %+v", j)
		}
		time.Sleep(100 * time.Millisecond)
		if j, err = st.GetAuditJob(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if j.State != "done" || len(j.Result) == 0 {
		t.Fatalf("taken-over job: state %s, result %q, error %q", j.State, j.Result, j.Error)
	}
	// The first run comes back (it was only slow): it may write nothing.
	if err := beat(); !errors.Is(err, store.ErrAuditJobLost) {
		t.Fatalf("the first run's progress after the takeover: %v, want ErrAuditJobLost", err)
	}
	if err := st.FinishAuditJob(ctx, id, "first", "failed", 7, 10, nil, "late"); !errors.Is(err, store.ErrAuditJobLost) {
		t.Fatalf("the first run's finish after the takeover: %v, want ErrAuditJobLost", err)
	}
	if j2, _ := st.GetAuditJob(ctx, id); j2.State != "done" || string(j2.Result) != string(j.Result) {
		t.Fatalf("the late first run changed the job: %+v", j2)
	}
}
