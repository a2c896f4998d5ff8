package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/incident"
)

// Delegation is one registration of a deputy for an absent principal (代理承認).
type Delegation struct {
	ID            int64
	PrincipalID   int64
	PrincipalName string
	DeputyID      int64
	DeputyName    string
	From, Until   time.Time
	Reason        string
	CreatedBy     int64
	CreatedAt     time.Time
}

const delegationCols = `d.id, d.principal_id, p.name, d.deputy_id, q.name, d.valid_from, d.valid_until, d.reason, d.created_by, d.created_at`

const delegationFrom = ` FROM approval_delegations d JOIN users p ON p.id = d.principal_id JOIN users q ON q.id = d.deputy_id`

func scanDelegation(row pgx.CollectableRow) (Delegation, error) {
	var d Delegation
	err := row.Scan(&d.ID, &d.PrincipalID, &d.PrincipalName, &d.DeputyID, &d.DeputyName, &d.From, &d.Until, &d.Reason, &d.CreatedBy, &d.CreatedAt)
	return d, err
}

// CreateDelegation registers deputyID as principalID's deputy over [from, until), logging the
// registration in admin_events in the same transaction.
func (s *Store) CreateDelegation(ctx context.Context, actorID, principalID, deputyID int64, from, until time.Time, reason string) (int64, error) {
	var id int64
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO approval_delegations (principal_id, deputy_id, valid_from, valid_until, reason, created_by)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, principalID, deputyID, from, until, reason, actorID).Scan(&id); err != nil {
			return err
		}
		return adminEvent(ctx, tx, actorID, deputyID, "delegation_created", map[string]any{
			"delegation_id": id, "principal_id": principalID, "deputy_id": deputyID,
			"valid_from": from.UTC().Format(time.RFC3339), "valid_until": until.UTC().Format(time.RFC3339),
		})
	})
	if err != nil {
		return 0, fmt.Errorf("store: create delegation: %w", err)
	}
	return id, nil
}

// ListDelegations lists the registrations, newest first.
func (s *Store) ListDelegations(ctx context.Context) ([]Delegation, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+delegationCols+delegationFrom+` ORDER BY d.id DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: list delegations: %w", err)
	}
	return pgx.CollectRows(rows, scanDelegation)
}

// DelegationsOf lists the registrations that make deputyID a deputy at at.
func (s *Store) DelegationsOf(ctx context.Context, deputyID int64, at time.Time) ([]Delegation, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+delegationCols+delegationFrom+`
		WHERE d.deputy_id = $1 AND d.valid_from <= $2 AND d.valid_until > $2 ORDER BY p.name`, deputyID, at)
	if err != nil {
		return nil, fmt.Errorf("store: delegations of %d: %w", deputyID, err)
	}
	return pgx.CollectRows(rows, scanDelegation)
}

// DelegationFor is the registration of deputyID for principalID that the domain checks a 代理承認
// against: the one covering at, else the latest one (whose period the domain then refuses), else
// nil. The principal's current roles come with it: the deputy approves with them.
func (s *Store) DelegationFor(ctx context.Context, principalID, deputyID int64, at time.Time) (*incident.Delegation, error) {
	d, err := pgx.CollectOneRow(s.queryDelegation(ctx, principalID, deputyID, at), scanDelegation)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: delegation: %w", err)
	}
	u, err := s.UserByID(ctx, principalID)
	if err != nil {
		return nil, err
	}
	out := &incident.Delegation{ID: d.ID, PrincipalID: d.PrincipalID, PrincipalName: d.PrincipalName, DeputyID: d.DeputyID, From: d.From, Until: d.Until}
	if !u.Disabled {
		for _, r := range u.Roles {
			out.PrincipalRoles = append(out.PrincipalRoles, incident.Role(r))
		}
	}
	return out, nil
}

func (s *Store) queryDelegation(ctx context.Context, principalID, deputyID int64, at time.Time) pgx.Rows {
	rows, _ := s.Pool.Query(ctx, `SELECT `+delegationCols+delegationFrom+`
		WHERE d.principal_id = $1 AND d.deputy_id = $2
		ORDER BY (d.valid_from <= $3 AND d.valid_until > $3) DESC, d.valid_until DESC LIMIT 1`, principalID, deputyID, at)
	return rows
}
