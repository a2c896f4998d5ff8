// Package auditjob runs the auditor's long work off the request: "verify all" recomputes every hash
// chain, which takes minutes at 100 k cases and failed past the server's write timeout when it ran
// inside the request. A job is a row of audit_jobs (what the progress page reads: state, progress,
// a cancel flag, the result kept for download) and a River job on its own queue that does the work
// and writes that row as it goes.
package auditjob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/leakdesk/leakdesk/internal/store"
)

// Queue is the River queue of the auditor's jobs, apart from reminders and webhooks so that a long
// verification never holds back a deadline mail.
const Queue = "audit"

// Config tunes the service; the zero value is production's.
type Config struct {
	Logger *slog.Logger
	// FetchPollInterval is how often workers look for new jobs (River's default when 0); tests
	// lower it.
	FetchPollInterval time.Duration
	// ReportEvery is how often a running job writes its progress and reads the cancel flag
	// (default 1 s).
	ReportEvery time.Duration
	// StaleAfter is how old a running job's heartbeat must be before another run may take the
	// job over (default 2 min: two hundred missed reports); until then a second run snoozes.
	StaleAfter time.Duration
}

// Service inserts and works the auditor's jobs.
type Service struct {
	st     *store.Store
	cfg    Config
	client *river.Client[pgx.Tx]
}

// VerifyArgs is the River job of one "verify all": the audit_jobs row it works for.
type VerifyArgs struct {
	JobID int64 `json:"job_id"`
}

// Kind names the job in river_job.
func (VerifyArgs) Kind() string { return "leakdesk_audit_verify" }

// VerifyResult is what a finished verification keeps, and what the auditor downloads.
type VerifyResult struct {
	Job      int64              `json:"job"`
	Finished time.Time          `json:"finished_at"`
	History  store.VerifyResult `json:"history"`  // case histories, registry, anchors
	Comments store.VerifyResult `json:"comments"` // the review comments' chain
}

// New builds the service on st's pool; Start makes it work jobs (without it, jobs are only queued).
func New(st *store.Store, cfg Config) (*Service, error) {
	if cfg.ReportEvery <= 0 {
		cfg.ReportEvery = time.Second
	}
	if cfg.StaleAfter <= 0 {
		cfg.StaleAfter = 2 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Service{st: st, cfg: cfg}
	workers := river.NewWorkers()
	river.AddWorker(workers, &verifyWorker{s: s})
	client, err := river.NewClient(riverpgxv5.New(st.Pool), &river.Config{
		// One at a time: a verification already uses every core (store.Verify's parallel ranges).
		Queues:            map[string]river.QueueConfig{Queue: {MaxWorkers: 1}},
		Workers:           workers,
		MaxAttempts:       3,
		Logger:            cfg.Logger.With("component", "river"),
		FetchPollInterval: cfg.FetchPollInterval,
		// Finished jobs' rows in audit_jobs keep their results; River's own rows go after a week.
		CompletedJobRetentionPeriod: 7 * 24 * time.Hour,
	})
	if err != nil {
		return nil, fmt.Errorf("auditjob: river client: %w", err)
	}
	s.client = client
	return s, nil
}

// Start starts the worker.
func (s *Service) Start(ctx context.Context) error {
	if err := s.client.Start(ctx); err != nil {
		return fmt.Errorf("auditjob: start: %w", err)
	}
	return nil
}

// Stop lets a running job stop (until ctx ends) and stops the worker.
func (s *Service) Stop(ctx context.Context) error {
	if err := s.client.Stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("auditjob: stop: %w", err)
	}
	return nil
}

// StartVerify queues a verification of every case for userID and returns its audit_jobs id.
func (s *Service) StartVerify(ctx context.Context, userID int64) (int64, error) {
	return s.st.CreateAuditJob(ctx, store.AuditJobVerify, userID, func(ctx context.Context, tx pgx.Tx, id int64) error {
		_, err := s.client.InsertTx(ctx, tx, VerifyArgs{JobID: id}, &river.InsertOpts{Queue: Queue})
		return err
	})
}

type verifyWorker struct {
	river.WorkerDefaults[VerifyArgs]
	s *Service
}

// Timeout: a verification takes as long as the history is long (≈ 24 min at 1 M cases on two
// cores); River's default minute would kill it. Cancelling is the auditor's, through the page.
func (w *verifyWorker) Timeout(*river.Job[VerifyArgs]) time.Duration { return 24 * time.Hour }

func (w *verifyWorker) Work(ctx context.Context, job *river.Job[VerifyArgs]) error {
	return w.s.runVerify(ctx, job.Args.JobID)
}

// runVerify does one verification and records its end. Progress is kept in memory by the
// verifier's callback and written, with the cancel flag read back, every ReportEvery: the verifier
// is never slowed by a write per range, and a cancel stops it within that time.
func (s *Service) runVerify(ctx context.Context, id int64) error {
	runner, err := newRunner()
	if err != nil {
		return err
	}
	start, err := s.st.StartAuditJob(ctx, id, runner, s.cfg.StaleAfter)
	switch {
	case err != nil:
		return err
	case start == store.AuditJobBusy:
		// Another run is verifying this job (River re-ran it, taking a long run for a stuck
		// one): come back when its heartbeat could have gone stale, and take over only then.
		s.cfg.Logger.Info("audit job held by another live run; snoozing", "job", id)
		return river.JobSnooze(s.cfg.StaleAfter)
	case start != store.AuditJobRun:
		return nil
	}
	var done, total atomic.Int64
	vctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var cancelled, lost atomic.Bool
	stopReports := make(chan struct{})
	reported := make(chan struct{})
	go func() {
		defer close(reported)
		t := time.NewTicker(s.cfg.ReportEvery)
		defer t.Stop()
		for {
			select {
			case <-stopReports:
				return
			case <-t.C:
				stop, err := s.st.AuditJobProgress(ctx, id, runner, done.Load(), total.Load())
				if errors.Is(err, store.ErrAuditJobLost) {
					// Our heartbeat went stale and another run took the job: stop, write nothing.
					lost.Store(true)
					cancel()
					return
				}
				if err != nil {
					s.cfg.Logger.Warn("audit job progress not written", "job", id, "err", err)
				} else if stop {
					cancelled.Store(true)
					cancel()
					return
				}
			}
		}
	}()
	res, err := s.st.VerifyProgress(vctx, 0, func(d, t int64) {
		total.Store(t)
		for {
			// Ranges finish out of order on several goroutines: keep the largest count.
			if cur := done.Load(); d <= cur || done.CompareAndSwap(cur, d) {
				return
			}
		}
	})
	var cres store.VerifyResult
	if err == nil {
		cres, err = s.st.VerifyAuditComments(vctx, 0)
	}
	close(stopReports)
	<-reported
	switch {
	case lost.Load():
		s.cfg.Logger.Warn("audit job taken over by another run; this run stops", "job", id)
		return nil
	case cancelled.Load():
		return s.finish(ctx, id, runner, "cancelled", done.Load(), total.Load(), nil, "")
	case ctx.Err() != nil:
		// The server is stopping: River retries the job after a restart, from the start.
		return ctx.Err()
	case err != nil:
		s.cfg.Logger.Error("audit verification failed", "job", id, "err", err)
		return s.finish(ctx, id, runner, "failed", done.Load(), total.Load(), nil, err.Error())
	}
	out, err := json.Marshal(VerifyResult{Job: id, Finished: time.Now().UTC(), History: res, Comments: cres})
	if err != nil {
		return fmt.Errorf("auditjob: encode result: %w", err)
	}
	return s.finish(ctx, id, runner, "done", done.Load(), total.Load(), out, "")
}

// finish records the run's end; a run that was taken over meanwhile leaves it to the other run.
func (s *Service) finish(ctx context.Context, id int64, runner, state string, done, total int64, result []byte, errText string) error {
	err := s.st.FinishAuditJob(ctx, id, runner, state, done, total, result, errText)
	if errors.Is(err, store.ErrAuditJobLost) {
		s.cfg.Logger.Warn("audit job taken over by another run; its end is not this run's", "job", id)
		return nil
	}
	return err
}

// newRunner is the token one run holds its job by.
func newRunner() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("auditjob: runner token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
