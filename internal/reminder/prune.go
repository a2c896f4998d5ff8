package reminder

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// The login record does not grow forever (issue 18): a periodic River job, enqueued hourly by the
// elected leader (so once however many instances run), deletes login attempts older than the
// retention (LEAKDESK_LOGIN_RETENTION; never shorter than the login limits' window, whose counts
// need the recent rows).

// PruneLoginsArgs is the job's (empty) argument.
type PruneLoginsArgs struct{}

// Kind names the job in river_job.
func (PruneLoginsArgs) Kind() string { return "prune_login_attempts" }

type pruneLoginsWorker struct {
	river.WorkerDefaults[PruneLoginsArgs]
	s *Service
}

func (w *pruneLoginsWorker) Work(ctx context.Context, _ *river.Job[PruneLoginsArgs]) error {
	n, err := w.s.store.PruneLoginAttempts(ctx, w.s.now().Add(-w.s.cfg.LoginRetention))
	if err != nil {
		return err
	}
	if n > 0 {
		w.s.log.Info("login attempts pruned", "rows", n)
	}
	return nil
}

// pruneLoginsJob is the periodic job, or nil when no retention is configured.
func pruneLoginsJob(retention time.Duration) []*river.PeriodicJob {
	if retention <= 0 {
		return nil
	}
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
		func() (river.JobArgs, *river.InsertOpts) {
			return PruneLoginsArgs{}, &river.InsertOpts{Queue: Queue}
		}, &river.PeriodicJobOpts{RunOnStart: true})}
}
