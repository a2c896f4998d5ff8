package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// DeadlineBoardRow is one unmet deadline of an open case, as the dashboard lists it.
type DeadlineBoardRow struct {
	CaseID           int64
	Number, Title    string
	Kind, Due        string
	DueAt            time.Time
	Basis            string
	LabelJA, LabelEN string
	Drill            bool
	Owner            string
}

// DeadlineBoardQuery selects dashboard rows.
type DeadlineBoardQuery struct {
	ViewerID int64     // cases the viewer is recorded as involved in are left out
	Until    time.Time // deadlines due before this (now + 7 days); every missed one is earlier
	Drill    bool      // drills or real cases
	Limit    int       // at most this many rows (default 200)
}

// DeadlineBoard returns the unmet deadlines of open cases due before q.Until, earliest due first:
// the missed ones, longest overdue first, then the next ones, soonest first. It is one range scan of
// the partial index case_deadlines_board_idx (no COUNT, no scan of closed cases or met deadlines).
func (s *Store) DeadlineBoard(ctx context.Context, q DeadlineBoardQuery) ([]DeadlineBoardRow, error) {
	limit := q.Limit
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	rows, err := s.Pool.Query(ctx, `SELECT d.case_id, c.number, c.title, d.kind, d.due, d.due_at, d.basis, d.label_ja, d.label_en, d.drill, COALESCE(u.name, '')
		FROM case_deadlines d
		JOIN cases c ON c.id = d.case_id
		LEFT JOIN users u ON u.id = d.owner_id
		WHERE d.met_at IS NULL AND d.case_open AND d.drill = $1 AND d.due_at < $2
		  AND NOT ($3::bigint = ANY(c.involved_ids))
		ORDER BY d.due_at, d.case_id, d.kind
		LIMIT $4`, q.Drill, q.Until, q.ViewerID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: deadline board: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (DeadlineBoardRow, error) {
		var b DeadlineBoardRow
		err := row.Scan(&b.CaseID, &b.Number, &b.Title, &b.Kind, &b.Due, &b.DueAt, &b.Basis, &b.LabelJA, &b.LabelEN, &b.Drill, &b.Owner)
		return b, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: deadline board: %w", err)
	}
	return out, nil
}

// CaseNumbers maps each of ids to its case number (the admin job list names cases by number only);
// an id with no case is left out.
func (s *Store) CaseNumbers(ctx context.Context, ids []int64) (map[int64]string, error) {
	nums := map[int64]string{}
	if len(ids) == 0 {
		return nums, nil
	}
	rows, err := s.Pool.Query(ctx, `SELECT id, number FROM cases WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("store: case numbers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("store: case numbers: %w", err)
		}
		nums[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: case numbers: %w", err)
	}
	return nums, nil
}
