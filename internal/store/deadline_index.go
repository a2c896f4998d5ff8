package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/incident"
)

// DeadlineIndexRow is one deadline of a case as case_deadlines stores it.
type DeadlineIndexRow struct {
	Kind, Due        string
	DueAt            time.Time
	MetAt            *time.Time
	Basis            string
	LabelJA, LabelEN string
}

// WriteDeadlineIndex rewrites c's rows of case_deadlines in tx (a case hook's transaction): rows are
// upserted with the case's open, owner and drill columns and the assessment event seq; a deadline
// not among rows leaves the index (its history stays in the assessment_changed events).
func WriteDeadlineIndex(ctx context.Context, tx pgx.Tx, c *incident.Case, seq int64, rows []DeadlineIndexRow, now time.Time) error {
	kinds := make([]string, 0, len(rows))
	for _, r := range rows {
		kinds = append(kinds, r.Kind)
		var owner any
		if c.OwnerID != 0 {
			owner = c.OwnerID
		}
		_, err := tx.Exec(ctx, `INSERT INTO case_deadlines (case_id, kind, due_at, due, met_at, basis, label_ja, label_en, drill, case_open, owner_id, event_seq, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (case_id, kind) DO UPDATE SET due_at = EXCLUDED.due_at, due = EXCLUDED.due, met_at = EXCLUDED.met_at,
				basis = EXCLUDED.basis, label_ja = EXCLUDED.label_ja, label_en = EXCLUDED.label_en, drill = EXCLUDED.drill,
				case_open = EXCLUDED.case_open, owner_id = EXCLUDED.owner_id, event_seq = EXCLUDED.event_seq, updated_at = EXCLUDED.updated_at`,
			c.ID, r.Kind, r.DueAt, r.Due, r.MetAt, r.Basis, r.LabelJA, r.LabelEN, c.Drill, c.Status == incident.StatusOpen, owner, seq, now.UTC())
		if err != nil {
			return fmt.Errorf("reminder: index deadline %s of case %d: %w", r.Kind, c.ID, err)
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM case_deadlines WHERE case_id = $1 AND NOT (kind = ANY($2))`, c.ID, kinds); err != nil {
		return fmt.Errorf("reminder: prune deadlines of case %d: %w", c.ID, err)
	}
	return nil
}

// SyncDeadlineCaseColumns keeps c's per-case columns of case_deadlines (open, owner, drill) current
// in tx after changes that do not touch the assessment.
func SyncDeadlineCaseColumns(ctx context.Context, tx pgx.Tx, c *incident.Case) error {
	var owner any
	if c.OwnerID != 0 {
		owner = c.OwnerID
	}
	_, err := tx.Exec(ctx, `UPDATE case_deadlines SET case_open = $2, owner_id = $3, drill = $4
		WHERE case_id = $1 AND (case_open IS DISTINCT FROM $2 OR owner_id IS DISTINCT FROM $3 OR drill IS DISTINCT FROM $4)`,
		c.ID, c.Status == incident.StatusOpen, owner, c.Drill)
	if err != nil {
		return fmt.Errorf("reminder: sync case %d: %w", c.ID, err)
	}
	return nil
}

// OpenDeadlines returns the unmet deadlines of an open case (kind, due, due_at), read in tx.
func OpenDeadlines(ctx context.Context, tx pgx.Tx, caseID int64) ([]DeadlineIndexRow, error) {
	rows, err := tx.Query(ctx, `SELECT kind, due, due_at FROM case_deadlines WHERE case_id = $1 AND met_at IS NULL AND case_open`, caseID)
	if err != nil {
		return nil, fmt.Errorf("reminder: open deadlines: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (DeadlineIndexRow, error) {
		var x DeadlineIndexRow
		err := r.Scan(&x.Kind, &x.Due, &x.DueAt)
		x.DueAt = x.DueAt.UTC()
		return x, err
	})
}
