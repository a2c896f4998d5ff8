package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// AuditJob is one background job of the auditor's desk (audit_jobs, migration 00130): what the
// progress page shows and what the job writes as it goes.
type AuditJob struct {
	ID              int64
	Kind            string
	RequestedBy     int64
	RequestedByName string
	CreatedAt       time.Time
	StartedAt       *time.Time
	FinishedAt      *time.Time
	State           string // queued, running, done, failed, cancelled
	Done, Total     int64
	CancelRequested bool
	Result          []byte // JSON, when done
	Error           string
}

// Running reports whether the job has not finished yet.
func (j AuditJob) Running() bool { return j.State == "queued" || j.State == "running" }

// AuditJob kinds.
const AuditJobVerify = "verify"

// CreateAuditJob records a queued job and lets enqueue insert the job that will run it, in the same
// transaction, so that a row never waits for a job that was not queued (nor the reverse).
func (s *Store) CreateAuditJob(ctx context.Context, kind string, userID int64, enqueue func(ctx context.Context, tx pgx.Tx, id int64) error) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO audit_jobs (kind, requested_by) VALUES ($1, $2) RETURNING id`, kind, userID).Scan(&id); err != nil {
			return err
		}
		return enqueue(ctx, tx, id)
	})
	if err != nil {
		return 0, fmt.Errorf("store: create audit job: %w", err)
	}
	return id, nil
}

const auditJobCols = `j.id, j.kind, j.requested_by, COALESCE(u.name, ''), j.created_at, j.started_at, j.finished_at, j.state,
	j.done, j.total, j.cancel_requested, j.result, j.error FROM audit_jobs j LEFT JOIN users u ON u.id = j.requested_by`

func scanAuditJob(r pgx.CollectableRow) (AuditJob, error) {
	var j AuditJob
	err := r.Scan(&j.ID, &j.Kind, &j.RequestedBy, &j.RequestedByName, &j.CreatedAt, &j.StartedAt, &j.FinishedAt, &j.State,
		&j.Done, &j.Total, &j.CancelRequested, &j.Result, &j.Error)
	return j, err
}

// GetAuditJob reads one job (ErrNotFound when there is none).
func (s *Store) GetAuditJob(ctx context.Context, id int64) (AuditJob, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+auditJobCols+` WHERE j.id = $1`, id)
	if err != nil {
		return AuditJob{}, fmt.Errorf("store: audit job: %w", err)
	}
	j, err := pgx.CollectExactlyOneRow(rows, scanAuditJob)
	if errors.Is(err, pgx.ErrNoRows) {
		return j, ErrNotFound
	}
	if err != nil {
		return j, fmt.Errorf("store: audit job: %w", err)
	}
	return j, nil
}

// ListAuditJobs returns the newest jobs of a kind, without their results.
func (s *Store) ListAuditJobs(ctx context.Context, kind string, limit int) ([]AuditJob, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+auditJobCols+` WHERE j.kind = $1 ORDER BY j.created_at DESC, j.id DESC LIMIT $2`, kind, limit)
	if err != nil {
		return nil, fmt.Errorf("store: audit jobs: %w", err)
	}
	jobs, err := pgx.CollectRows(rows, scanAuditJob)
	if err != nil {
		return nil, fmt.Errorf("store: audit jobs: %w", err)
	}
	for i := range jobs {
		jobs[i].Result = nil
	}
	return jobs, nil
}

// ErrAuditJobLost is what a run of a job hears when another run has taken the job over (its
// heartbeat had gone stale): it must stop and write nothing more.
var ErrAuditJobLost = errors.New("store: audit job taken over by another run")

// AuditJobStart is what StartAuditJob decided for one run of a job.
type AuditJobStart int

const (
	// AuditJobSkip: the job has finished or was cancelled; there is nothing to run.
	AuditJobSkip AuditJobStart = iota
	// AuditJobRun: this run holds the job now and must keep its heartbeat fresh.
	AuditJobRun
	// AuditJobBusy: another run holds the job and its heartbeat is fresh; try again later.
	AuditJobBusy
)

// StartAuditJob lets one run (runner, a token unique to it) take a job. A queued job is taken; a
// running one only when its heartbeat is older than staleAfter, meaning its run died (a crash, a
// lost node): the progress then starts over. River may start a second run of a job while the first
// is still working (its rescuer takes a long run for a stuck one); that run gets AuditJobBusy. A
// job whose cancel was asked for and whose run died is recorded as cancelled here, since no one
// else would.
func (s *Store) StartAuditJob(ctx context.Context, id int64, runner string, staleAfter time.Duration) (AuditJobStart, error) {
	out := AuditJobSkip
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var state string
		var cancel, stale bool
		// The row lock orders two runs that start at once: the second sees the first's heartbeat.
		err := tx.QueryRow(ctx, `SELECT state, cancel_requested,
			COALESCE(heartbeat_at, started_at, created_at) < now() - make_interval(secs => $2)
			FROM audit_jobs WHERE id = $1 FOR UPDATE`, id, staleAfter.Seconds()).Scan(&state, &cancel, &stale)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case state != "queued" && state != "running":
			return nil
		case state == "running" && !stale:
			out = AuditJobBusy
			return nil
		case cancel:
			_, err := tx.Exec(ctx, `UPDATE audit_jobs SET state = 'cancelled', finished_at = now() WHERE id = $1`, id)
			return err
		}
		out = AuditJobRun
		_, err = tx.Exec(ctx, `UPDATE audit_jobs SET state = 'running', started_at = now(), heartbeat_at = now(),
			runner = $2, done = 0, total = 0 WHERE id = $1`, id, runner)
		return err
	})
	if err != nil {
		return AuditJobSkip, fmt.Errorf("store: start audit job: %w", err)
	}
	return out, nil
}

// AuditJobProgress records how far runner's run of a job is, renews its heartbeat and tells it
// whether a cancel was asked for. ErrAuditJobLost: another run has taken the job over.
func (s *Store) AuditJobProgress(ctx context.Context, id int64, runner string, done, total int64) (cancel bool, err error) {
	err = s.Pool.QueryRow(ctx, `UPDATE audit_jobs SET done = $3, total = $4, heartbeat_at = now()
		WHERE id = $1 AND runner = $2 AND state = 'running' RETURNING cancel_requested`, id, runner, done, total).Scan(&cancel)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, ErrAuditJobLost
	}
	if err != nil {
		return false, fmt.Errorf("store: audit job progress: %w", err)
	}
	return cancel, nil
}

// FinishAuditJob records the end of runner's run of a job: done with its result, failed with its
// error, or cancelled, with the progress it had reached. ErrAuditJobLost: another run has taken the
// job over, and its end is that run's to write.
func (s *Store) FinishAuditJob(ctx context.Context, id int64, runner, state string, done, total int64, result []byte, errText string) error {
	tag, err := s.Pool.Exec(ctx, `UPDATE audit_jobs SET state = $3, result = $4, error = $5, finished_at = now(), done = $6, total = $7
		WHERE id = $1 AND runner = $2 AND state = 'running'`, id, runner, state, result, errText, done, total)
	if err != nil {
		return fmt.Errorf("store: finish audit job: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrAuditJobLost
	}
	return nil
}

// CancelAuditJob asks a job to stop: a queued one is cancelled at once, a running one stops at its
// next progress report. It returns false when the job had already finished.
func (s *Store) CancelAuditJob(ctx context.Context, id int64) (bool, error) {
	tag, err := s.Pool.Exec(ctx, `UPDATE audit_jobs SET cancel_requested = true,
		state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
		finished_at = CASE WHEN state = 'queued' THEN now() ELSE finished_at END
		WHERE id = $1 AND state IN ('queued', 'running')`, id)
	if err != nil {
		return false, fmt.Errorf("store: cancel audit job: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}
