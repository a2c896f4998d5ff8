package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// AdminEvent is one row of admin_events (what administrators did to accounts), with names.
type AdminEvent struct {
	ID         int64
	At         time.Time
	ActorID    int64
	ActorName  string
	TargetID   int64
	TargetName string
	Action     string
	Roles      []string // detail.roles when the event carries roles
	PrevRoles  []string // the roles the target's previous role-carrying event named (nil: none)
}

const adminEventCols = `e.id, e.at, COALESCE(e.actor_id, 0), COALESCE(a.name, ''), COALESCE(e.target_id, 0), COALESCE(t.name, ''), e.action,
	e.detail->'roles',
	(SELECT p.detail->'roles' FROM admin_events p WHERE p.target_id = e.target_id AND p.id < e.id AND p.detail ? 'roles' ORDER BY p.id DESC LIMIT 1)`

func scanAdminEvent(r pgx.CollectableRow) (AdminEvent, error) {
	var e AdminEvent
	var roles, prev []byte
	if err := r.Scan(&e.ID, &e.At, &e.ActorID, &e.ActorName, &e.TargetID, &e.TargetName, &e.Action, &roles, &prev); err != nil {
		return e, err
	}
	e.At = e.At.UTC()
	if roles != nil {
		_ = json.Unmarshal(roles, &e.Roles)
	}
	if prev != nil {
		_ = json.Unmarshal(prev, &e.PrevRoles)
	}
	return e, nil
}

// AdminEvents pages through admin_events, newest first (before: the id to continue below; 0 = top).
func (s *Store) AdminEvents(ctx context.Context, before int64, limit int) ([]AdminEvent, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+adminEventCols+` FROM admin_events e
		LEFT JOIN users a ON a.id = e.actor_id LEFT JOIN users t ON t.id = e.target_id
		WHERE ($1 = 0 OR e.id < $1) ORDER BY e.id DESC LIMIT $2`, before, limit)
	if err != nil {
		return nil, fmt.Errorf("store: admin events: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanAdminEvent)
	if err != nil {
		return nil, fmt.Errorf("store: admin events: %w", err)
	}
	return out, nil
}

// HandleAdminEvents gives each admin event not yet handled (oldest first, at most limit) to fn in a
// transaction of its own that first claims the event in admin_event_notices; fn's error rolls the
// claim back (the event is tried again later). Two instances never handle the same event: the
// claim is the primary key, and SKIP LOCKED lets them work on different events.
func (s *Store) HandleAdminEvents(ctx context.Context, limit int, fn func(ctx context.Context, e AdminEvent) (mailed bool, err error)) (int, error) {
	rows, err := s.Pool.Query(ctx, `SELECT e.id FROM admin_events e
		WHERE NOT EXISTS (SELECT 1 FROM admin_event_notices n WHERE n.event_id = e.id) ORDER BY e.id LIMIT $1`, limit)
	if err != nil {
		return 0, fmt.Errorf("store: pending admin events: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("store: pending admin events: %w", err)
	}
	done := 0
	for _, id := range ids {
		err := s.inTx(ctx, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `INSERT INTO admin_event_notices (event_id, mailed) VALUES ($1, false) ON CONFLICT DO NOTHING`, id)
			if err != nil || tag.RowsAffected() == 0 {
				return err // another instance has it
			}
			rows, err := tx.Query(ctx, `SELECT `+adminEventCols+` FROM admin_events e
				LEFT JOIN users a ON a.id = e.actor_id LEFT JOIN users t ON t.id = e.target_id WHERE e.id = $1`, id)
			if err != nil {
				return err
			}
			e, err := pgx.CollectExactlyOneRow(rows, scanAdminEvent)
			if err != nil {
				return err
			}
			mailed, err := fn(ctx, e)
			if err != nil {
				return err
			}
			done++
			if mailed {
				_, err = tx.Exec(ctx, `UPDATE admin_event_notices SET mailed = true WHERE event_id = $1`, id)
			}
			return err
		})
		if err != nil {
			return done, fmt.Errorf("store: admin event %d: %w", id, err)
		}
	}
	return done, nil
}
