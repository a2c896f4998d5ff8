package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// RegisterGrant is an explicit, time-limited permission for one user to decrypt one case's
// register, with the reason it was given (table register_grants, append-only).
type RegisterGrant struct {
	ID        int64
	CaseID    int64
	UserID    int64
	UserName  string
	GrantedBy int64
	ByName    string
	Reason    string
	GrantedAt time.Time
	ExpiresAt time.Time
}

// AddRegisterGrant records a grant; the database refuses a grant to oneself, an empty reason and a
// duration over 7 days.
func (s *Store) AddRegisterGrant(ctx context.Context, caseID, userID, by int64, reason string, now time.Time, d time.Duration) (RegisterGrant, error) {
	g := RegisterGrant{CaseID: caseID, UserID: userID, GrantedBy: by, Reason: strings.TrimSpace(reason), GrantedAt: Now(now), ExpiresAt: Now(now.Add(d))}
	err := s.Pool.QueryRow(ctx, `INSERT INTO register_grants (case_id, user_id, granted_by, reason, granted_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, g.CaseID, g.UserID, g.GrantedBy, g.Reason, g.GrantedAt, g.ExpiresAt).Scan(&g.ID)
	if err != nil {
		return g, fmt.Errorf("store: add register grant: %w", err)
	}
	return g, nil
}

// ActiveRegisterGrant returns the id of a grant for userID on caseID that holds at now (0 when none).
func (s *Store) ActiveRegisterGrant(ctx context.Context, caseID, userID int64, now time.Time) (int64, error) {
	var id int64
	err := s.Pool.QueryRow(ctx, `SELECT id FROM register_grants WHERE case_id = $1 AND user_id = $2 AND granted_at <= $3 AND expires_at > $3
		ORDER BY expires_at DESC LIMIT 1`, caseID, userID, now).Scan(&id)
	if err == pgx.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: register grant: %w", err)
	}
	return id, nil
}

// RegisterGrants lists a case's grants, newest first.
func (s *Store) RegisterGrants(ctx context.Context, caseID int64) ([]RegisterGrant, error) {
	rows, err := s.Pool.Query(ctx, `SELECT g.id, g.case_id, g.user_id, u.name, g.granted_by, b.name, g.reason, g.granted_at, g.expires_at
		FROM register_grants g JOIN users u ON u.id = g.user_id JOIN users b ON b.id = g.granted_by
		WHERE g.case_id = $1 ORDER BY g.granted_at DESC, g.id DESC LIMIT 200`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store: register grants: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RegisterGrant, error) {
		var g RegisterGrant
		err := r.Scan(&g.ID, &g.CaseID, &g.UserID, &g.UserName, &g.GrantedBy, &g.ByName, &g.Reason, &g.GrantedAt, &g.ExpiresAt)
		return g, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: register grants: %w", err)
	}
	return out, nil
}
