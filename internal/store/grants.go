package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/auth"
)

// The administrator's reach (domain.md §5: the admin administers accounts, sees no case contents):
// a password an admin sets is temporary and ends the user's sessions, and a grant of a role that
// reads cases (or of admin itself) waits for a second administrator or the privacy officer.

// ErrFourEyes is returned when the requester of a grant tries to decide it.
var ErrFourEyes = errors.New("store: the requester of a grant cannot decide it")

// SessionGate is what decides whether a user's session may go on: the session's epoch must be the
// user's, and a temporary password must be changed first.
type SessionGate struct {
	Epoch      int64
	MustChange bool
}

// UserForSession is UserByID with the user's SessionGate, read in one query for every request.
func (s *Store) UserForSession(ctx context.Context, id int64) (User, SessionGate, error) {
	var u User
	var g SessionGate
	var roles []string
	err := s.Pool.QueryRow(ctx, `SELECT `+userCols+`, must_change_password FROM users WHERE id = $1`, id).
		Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &roles, &u.Lang, &u.Disabled, &u.CreatedAt, &u.Version, &u.SessionEpoch, &g.MustChange)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, g, ErrNotFound
	}
	if err != nil {
		return u, g, fmt.Errorf("store: user for session: %w", err)
	}
	for _, r := range roles {
		u.Roles = append(u.Roles, auth.Role(r))
	}
	g.Epoch = u.SessionEpoch
	return u, g, nil
}

// ResetPassword sets a temporary password (the user must change it at the next login) and ends
// every session and API token of the user (updateUser calls endSessions for "password_set").
func (s *Store) ResetPassword(ctx context.Context, actorID, id, version int64, hash string) error {
	return s.updateUser(ctx, actorID, id, version, "password_set", map[string]any{"temporary": true},
		`UPDATE users SET password_hash = $3, must_change_password = true, updated_at = now(), version = version + 1 WHERE id = $1 AND version = $2`, hash)
}

// ChangeOwnPassword (account.go) is the user replacing their password, a temporary one included:
// it clears must_change_password and ends the user's other sessions and tokens.

// GrantNeedsApproval reports whether changing from roles have to roles want grants a role that
// reads cases, or admin (an admin who could make another admin could approve their own grants).
func GrantNeedsApproval(have, want []auth.Role) bool {
	for _, r := range want {
		if !auth.Has(have, r) {
			return true // every role but admin reads cases; admin is covered for the reason above
		}
	}
	return false
}

// RoleGrant is a pending (or decided) change of a user's roles.
type RoleGrant struct {
	ID          int64
	TargetID    int64
	TargetEmail string
	Name        string
	Roles       []auth.Role
	Before      []auth.Role
	RequestedBy int64
	RequestedAt time.Time
}

// RequestGrant records that actor asks to give target the roles (and name): it takes effect when
// another administrator or the privacy officer approves. ErrConflict if the user changed since
// version or a grant for the user is already pending.
func (s *Store) RequestGrant(ctx context.Context, actorID, targetID, version int64, name string, roles []auth.Role) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var have []string
		err := tx.QueryRow(ctx, `SELECT roles FROM users WHERE id = $1 AND version = $2`, targetID, version).Scan(&have)
		if errors.Is(err, pgx.ErrNoRows) {
			var exists bool
			_ = tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)`, targetID).Scan(&exists)
			if !exists {
				return ErrNotFound
			}
			return ErrConflict
		}
		if err != nil {
			return fmt.Errorf("store: request grant: %w", err)
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO role_grants (target_id, roles, name, base_version, requested_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			targetID, roleStrings(roles), strings.TrimSpace(name), version, actorID).Scan(&id); err != nil {
			return err
		}
		return adminEvent(ctx, tx, actorID, targetID, "grant_requested", map[string]any{"grant_id": id, "roles": roleStrings(roles), "before": have})
	})
	if isUniqueViolation(err) {
		return ErrConflict
	}
	return err
}

// CreateUserPending creates an account without roles, with a temporary password, and a pending
// grant of the roles asked for: a new account reads nothing until a second person approves.
func (s *Store) CreateUserPending(ctx context.Context, actorID int64, email, name string, roles []auth.Role, hash string) (User, error) {
	var u User
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `INSERT INTO users (email, name, roles, password_hash, must_change_password) VALUES ($1, $2, '{}', $3, true)
			RETURNING `+userCols, strings.TrimSpace(email), strings.TrimSpace(name), hash))
		if err != nil {
			return err
		}
		if err := adminEvent(ctx, tx, actorID, u.ID, "user_created", map[string]any{"roles": []string{}}); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO role_grants (target_id, roles, name, base_version, requested_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			u.ID, roleStrings(roles), u.Name, u.Version, actorID).Scan(&id); err != nil {
			return err
		}
		return adminEvent(ctx, tx, actorID, u.ID, "grant_requested", map[string]any{"grant_id": id, "roles": roleStrings(roles), "before": []string{}})
	})
	if isUniqueViolation(err) {
		return u, ErrDuplicate
	}
	if err != nil {
		return u, fmt.Errorf("store: create user: %w", err)
	}
	return u, nil
}

// PendingGrants lists the grants waiting for a decision, oldest first.
func (s *Store) PendingGrants(ctx context.Context) ([]RoleGrant, error) {
	rows, err := s.Pool.Query(ctx, `SELECT g.id, g.target_id, u.email, g.name, g.roles, u.roles, g.requested_by, g.requested_at
		FROM role_grants g JOIN users u ON u.id = g.target_id WHERE g.state = 'pending' ORDER BY g.id`)
	if err != nil {
		return nil, fmt.Errorf("store: pending grants: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (RoleGrant, error) {
		var g RoleGrant
		var roles, before []string
		err := r.Scan(&g.ID, &g.TargetID, &g.TargetEmail, &g.Name, &roles, &before, &g.RequestedBy, &g.RequestedAt)
		for _, x := range roles {
			g.Roles = append(g.Roles, auth.Role(x))
		}
		for _, x := range before {
			g.Before = append(g.Before, auth.Role(x))
		}
		return g, err
	})
}

// DecideGrant approves or rejects a pending grant. The requester cannot decide (ErrFourEyes), nor
// can the grant's target (nobody approves their own roles); an approval applies the roles only if
// the user is still at the version the grant was made on (else ErrConflict, and the grant stays).
func (s *Store) DecideGrant(ctx context.Context, actorID, grantID int64, approve bool) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var target, requester, base int64
		var roles []string
		var name string
		err := tx.QueryRow(ctx, `SELECT target_id, requested_by, base_version, roles, name FROM role_grants WHERE id = $1 AND state = 'pending' FOR UPDATE`, grantID).
			Scan(&target, &requester, &base, &roles, &name)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: decide grant: %w", err)
		}
		if actorID == requester || actorID == target {
			return ErrFourEyes
		}
		state, action := "rejected", "grant_rejected"
		if approve {
			state, action = "approved", "grant_approved"
			tag, err := tx.Exec(ctx, `UPDATE users SET name = $3, roles = $4, updated_at = now(), version = version + 1 WHERE id = $1 AND version = $2`,
				target, base, name, roles)
			if err != nil {
				return fmt.Errorf("store: apply grant: %w", err)
			}
			if tag.RowsAffected() == 0 {
				return ErrConflict
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE role_grants SET state = $2, decided_by = $3, decided_at = now() WHERE id = $1`, grantID, state, actorID); err != nil {
			return fmt.Errorf("store: decide grant: %w", err)
		}
		return adminEvent(ctx, tx, actorID, target, action, map[string]any{"grant_id": grantID, "roles": roles, "requested_by": requester})
	})
}
