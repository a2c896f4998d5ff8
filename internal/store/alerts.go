package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// DeadlineCount is how many unmet deadlines of open cases of one kind are overdue or due within a
// day: what /metrics exports for the company's monitoring (no case ids, numbers or names).
type DeadlineCount struct {
	Kind    string
	Drill   bool
	Overdue int64
	DueDay  int64 // due from now to now+24h
}

// JobCount is how many River jobs of one kind are in one state (retryable or discarded).
type JobCount struct {
	Kind, State string
	N           int64
}

// AlertFacts are the figures monitoring must not miss, read at scrape time.
type AlertFacts struct {
	Deadlines []DeadlineCount
	Jobs      []JobCount
	// LastAnchorAt is the time of the newest chain anchor (zero: none yet).
	LastAnchorAt time.Time
	// OldestUnanchoredAt is the update time of the oldest case change no anchor covers yet (zero:
	// every change is anchored). An idle system writes no anchors, so the anchor's age alone
	// would alarm on a quiet weekend; this says whether the anchor loop is behind.
	OldestUnanchoredAt time.Time
}

// AlertFacts reads the alert figures in one round trip. Each query is a range scan of a partial or
// leading index (case_deadlines_board_idx, River's state index, chain_anchors' key,
// cases_updated_idx), so a scrape stays cheap at a million cases.
func (s *Store) AlertFacts(ctx context.Context, now time.Time) (AlertFacts, error) {
	var f AlertFacts
	b := &pgx.Batch{}
	b.Queue(`SELECT kind, drill, count(*) FILTER (WHERE due_at < $1), count(*) FILTER (WHERE due_at >= $1)
		FROM case_deadlines
		WHERE met_at IS NULL AND case_open AND drill = ANY(ARRAY[false, true]) AND due_at < $1 + interval '24 hours'
		GROUP BY kind, drill ORDER BY kind, drill`, now).Query(func(rows pgx.Rows) error {
		var err error
		f.Deadlines, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (DeadlineCount, error) {
			var d DeadlineCount
			return d, r.Scan(&d.Kind, &d.Drill, &d.Overdue, &d.DueDay)
		})
		return err
	})
	b.Queue(`SELECT kind, state::text, count(*) FROM river_job
		WHERE state IN ('retryable', 'discarded') GROUP BY kind, state ORDER BY kind, state`).Query(func(rows pgx.Rows) error {
		var err error
		f.Jobs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (JobCount, error) {
			var j JobCount
			return j, r.Scan(&j.Kind, &j.State, &j.N)
		})
		return err
	})
	b.Queue(`SELECT at FROM chain_anchors ORDER BY seq DESC LIMIT 1`).QueryRow(func(row pgx.Row) error {
		if err := row.Scan(&f.LastAnchorAt); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		return nil
	})
	// The same selection as changedHeads (the anchor's own), oldest first.
	b.Queue(`SELECT c.updated_at FROM cases c
		WHERE c.updated_at >= COALESCE((SELECT at FROM chain_anchors ORDER BY seq DESC LIMIT 1), '-infinity'::timestamptz) - $1::interval
		  AND NOT EXISTS (SELECT 1 FROM chain_anchor_heads h WHERE h.case_id = c.id AND h.seq = c.version)
		ORDER BY c.updated_at LIMIT 1`, anchorOverlap).QueryRow(func(row pgx.Row) error {
		if err := row.Scan(&f.OldestUnanchoredAt); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		return nil
	})
	if err := s.Pool.SendBatch(ctx, b).Close(); err != nil {
		return AlertFacts{}, fmt.Errorf("store: alert facts: %w", err)
	}
	return f, nil
}
