package reminder

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/leakdesk/leakdesk/internal/store"
)

// Reader answers the dashboard's and the admin page's questions. It needs no running workers.
type Reader struct {
	store  *store.Store
	client *river.Client[pgx.Tx]
}

// NewReader returns a Reader on st's pool (an insert-only River client for listing jobs).
func NewReader(st *store.Store) (*Reader, error) {
	c, err := river.NewClient(riverpgxv5.New(st.Pool), &river.Config{})
	if err != nil {
		return nil, fmt.Errorf("reminder: river client: %w", err)
	}
	return &Reader{store: st, client: c}, nil
}

// BoardRow is one unmet deadline of an open case (the store's row: the board is its query).
type BoardRow = store.DeadlineBoardRow

// BoardQuery selects dashboard rows.
type BoardQuery = store.DeadlineBoardQuery

// Board returns the unmet deadlines of open cases due before q.Until, earliest due first
// (store.DeadlineBoard).
func (r *Reader) Board(ctx context.Context, q BoardQuery) ([]BoardRow, error) {
	out, err := r.store.DeadlineBoard(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("reminder: board: %w", err)
	}
	return out, nil
}

// JobInfo is one reminder job as the admin page shows it: operational data only (case number,
// deadline kind, state, attempts, last error) — no case contents.
type JobInfo struct {
	ID          int64
	Kind        string // "deadline" or "waiting"
	State       string // scheduled, available, running, retryable, discarded (River's states)
	Retrying    bool   // an attempt failed and another is due
	CaseID      int64
	CaseNumber  string
	Deadline    string // deadline kind, or "request 12"
	Reminder    string
	DueAt       time.Time
	ScheduledAt time.Time
	Attempt     int
	MaxAttempts int
	LastError   string
	LastErrorAt *time.Time
}

// Jobs lists reminder jobs that are pending (scheduled or available), running, retrying or failed
// (discarded), soonest first, at most limit of each group.
func (r *Reader) Jobs(ctx context.Context, limit int) ([]JobInfo, error) {
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	params := river.NewJobListParams().
		Kinds(DeadlineArgs{}.Kind(), WaitingArgs{}.Kind()).
		States(rivertype.JobStateScheduled, rivertype.JobStateAvailable, rivertype.JobStateRunning,
			rivertype.JobStateRetryable, rivertype.JobStateDiscarded).
		OrderBy(river.JobListOrderByScheduledAt, river.SortOrderAsc).
		First(limit)
	res, err := r.client.JobList(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("reminder: list jobs: %w", err)
	}
	out := make([]JobInfo, 0, len(res.Jobs))
	var ids []int64
	for _, j := range res.Jobs {
		ji := JobInfo{ID: j.ID, State: string(j.State), ScheduledAt: j.ScheduledAt, Attempt: j.Attempt, MaxAttempts: j.MaxAttempts}
		switch j.Kind {
		case DeadlineArgs{}.Kind():
			var a DeadlineArgs
			_ = json.Unmarshal(j.EncodedArgs, &a)
			ji.Kind, ji.CaseID, ji.Deadline, ji.Reminder, ji.DueAt = "deadline", a.CaseID, a.Deadline, a.Reminder, a.DueAt
		case WaitingArgs{}.Kind():
			var a WaitingArgs
			_ = json.Unmarshal(j.EncodedArgs, &a)
			ji.Kind, ji.CaseID, ji.Deadline, ji.Reminder, ji.DueAt = "waiting", a.CaseID, fmt.Sprintf("request %d", a.RequestID), LabelWaiting, a.DueAt
		}
		if n := len(j.Errors); n > 0 {
			e := j.Errors[n-1]
			msg := e.Error
			if len([]rune(msg)) > 200 {
				msg = string([]rune(msg)[:200]) + "…"
			}
			at := e.At
			ji.LastError, ji.LastErrorAt = msg, &at
			ji.Retrying = j.State != rivertype.JobStateDiscarded
		}
		out = append(out, ji)
		ids = append(ids, ji.CaseID)
	}
	if len(ids) > 0 {
		nums, err := r.store.CaseNumbers(ctx, ids)
		if err != nil {
			return nil, fmt.Errorf("reminder: job case numbers: %w", err)
		}
		for i := range out {
			out[i].CaseNumber = nums[out[i].CaseID]
		}
	}
	return out, nil
}
