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

// StartAuditJob marks a job running (again, when River retries it after a crash: the progress
// starts over) and reports whether it should run at all: false when it was cancelled or finished.
func (s *Store) StartAuditJob(ctx context.Context, id int64) (bool, error) {
	var cancel bool
	err := s.Pool.QueryRow(ctx, `UPDATE audit_jobs SET state = 'running', started_at = now(), done = 0, total = 0
		WHERE id = $1 AND state IN ('queued', 'running') RETURNING cancel_requested`, id).Scan(&cancel)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: start audit job: %w", err)
	}
	return !cancel, nil
}

// AuditJobProgress records how far a running job is and tells it whether a cancel was asked for.
func (s *Store) AuditJobProgress(ctx context.Context, id, done, total int64) (cancel bool, err error) {
	err = s.Pool.QueryRow(ctx, `UPDATE audit_jobs SET done = $2, total = $3 WHERE id = $1 RETURNING cancel_requested`, id, done, total).Scan(&cancel)
	if err != nil {
		return false, fmt.Errorf("store: audit job progress: %w", err)
	}
	return cancel, nil
}

// FinishAuditJob records a job's end: done with its result, failed with its error, or cancelled,
// with the progress it had reached.
func (s *Store) FinishAuditJob(ctx context.Context, id int64, state string, done, total int64, result []byte, errText string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE audit_jobs SET state = $2, result = $3, error = $4, finished_at = now(), done = $5, total = $6
		WHERE id = $1 AND state IN ('queued', 'running')`, id, state, result, errText, done, total)
	if err != nil {
		return fmt.Errorf("store: finish audit job: %w", err)
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
