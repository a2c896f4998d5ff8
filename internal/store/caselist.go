package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// CaseRow is one line of the case list.
type CaseRow struct {
	ID              int64
	Number          string
	Title           string
	Status          string
	Drill           bool
	Version         int64
	OwnerName       string
	CurrentStage    string
	PendingRequests int
	RecognizedAt    *time.Time
	NextDueAt       *time.Time
	Overdue         bool
	UpdatedAt       time.Time
}

// CaseFilter narrows the list. Zero values mean "any".
type CaseFilter struct {
	Status  string
	Stage   string
	Overdue bool
	OwnerID int64
	Query   string
	// ViewerID leaves out the cases in which the viewer is recorded as involved: they may not open
	// them, and a title can name them or the incident they are part of (domain.md §5.2).
	ViewerID int64
	// Cursor is the keyset position (updated_at, id) of the last row of the previous page.
	AfterUpdated time.Time
	AfterID      int64
	Limit        int
}

// ListCases returns one page in the default order, newest activity first, by keyset pagination
// (no OFFSET, no COUNT(*): the page costs the same at a million cases as at a thousand).
func (s *Store) ListCases(ctx context.Context, f CaseFilter) ([]CaseRow, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Status != "" {
		where = append(where, "c.status = "+arg(f.Status))
	}
	if f.Stage != "" {
		where = append(where, "c.current_stage = "+arg(f.Stage))
	}
	if f.Overdue {
		where = append(where, "c.next_due_at < now()")
	}
	if f.OwnerID != 0 {
		where = append(where, "c.owner_id = "+arg(f.OwnerID))
	}
	if f.ViewerID != 0 {
		where = append(where, "NOT ("+arg(f.ViewerID)+"::bigint = ANY(c.involved_ids))")
	}
	where = append(where, searchWhere(f.Query, arg)...)
	if f.AfterID != 0 {
		where = append(where, fmt.Sprintf("(c.updated_at, c.id) < (%s, %s)", arg(f.AfterUpdated), arg(f.AfterID)))
	}
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	q := `SELECT c.id, c.number, c.title, c.status, c.drill, c.version, COALESCE(u.name, ''), c.current_stage,
		c.pending_requests, c.recognized_at, c.next_due_at, COALESCE(c.next_due_at < now(), false), c.updated_at
		FROM cases c LEFT JOIN users u ON u.id = c.owner_id`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY c.updated_at DESC, c.id DESC LIMIT " + arg(limit)
	rows, err := s.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list cases: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CaseRow, error) {
		var c CaseRow
		err := r.Scan(&c.ID, &c.Number, &c.Title, &c.Status, &c.Drill, &c.Version, &c.OwnerName, &c.CurrentStage,
			&c.PendingRequests, &c.RecognizedAt, &c.NextDueAt, &c.Overdue, &c.UpdatedAt)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: list cases: %w", err)
	}
	return out, nil
}
