package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Login throttling that does not feed itself (issue 21). The check and the count are one step:
// BeginLogin takes transaction-scoped advisory locks on the account key and the client address,
// counts the failures in the window and, if the attempt may go on, records it at once as a
// provisional failure — so N concurrent attempts cannot all pass a check that saw N-1 failures. A
// refused attempt is recorded with reason "locked", which the count leaves out: attempts made while
// locked neither extend the lock nor cost a password hash (the caller refuses before hashing).
// FinishLogin then records the outcome.

// LoginLimits are the most failures per account and per client address within Window.
type LoginLimits struct {
	PerAccount, PerAddress int
	Window                 time.Duration
}

// BeginLogin decides whether an attempt for emailKey from ip may check its password. When it may,
// the attempt is recorded as a failure ("pending") and its id returned for FinishLogin; when not,
// locked is true and the refusal is recorded without counting.
func (s *Store) BeginLogin(ctx context.Context, emailKey, ip string, now time.Time, lim LoginLimits) (attemptID int64, locked bool, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		// Ordered by key kind, so two attempts never take the two locks in opposite order.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7310021, hashtext('account:' || $1)), pg_advisory_xact_lock(7310022, hashtext('ip:' || $2))`,
			emailKey, ip); err != nil {
			return err
		}
		since := now.Add(-lim.Window)
		var byAccount, byIP int
		if err := tx.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM login_attempts WHERE email_key = $1 AND NOT success AND reason <> 'locked' AND at > GREATEST($3,
				COALESCE((SELECT max(at) FROM login_attempts WHERE email_key = $1 AND success), $3))),
			(SELECT count(*) FROM login_attempts WHERE ip = $2 AND NOT success AND reason <> 'locked' AND at > $3)`,
			emailKey, ip, since).Scan(&byAccount, &byIP); err != nil {
			return err
		}
		locked = byAccount >= lim.PerAccount || byIP >= lim.PerAddress
		reason := "pending"
		if locked {
			reason = "locked"
		}
		return tx.QueryRow(ctx, `INSERT INTO login_attempts (at, email_key, ip, success, reason) VALUES ($1, $2, $3, false, $4) RETURNING id`,
			now, emailKey, ip, reason).Scan(&attemptID)
	})
	if err != nil {
		return 0, false, fmt.Errorf("store: begin login: %w", err)
	}
	return attemptID, locked, nil
}

// FinishLogin records the outcome of an attempt BeginLogin let through: success, or the reason of
// the failure (unknown, password, disabled, malformed).
func (s *Store) FinishLogin(ctx context.Context, attemptID int64, success bool, reason string) error {
	if _, err := s.Pool.Exec(ctx, `UPDATE login_attempts SET success = $2, reason = $3 WHERE id = $1 AND reason = 'pending'`,
		attemptID, success, reason); err != nil {
		return fmt.Errorf("store: finish login: %w", err)
	}
	return nil
}

// PruneLoginAttempts deletes attempts older than before (the periodic job; the record is kept for
// LEAKDESK_LOGIN_RETENTION, never shorter than the limits' window) and returns how many went.
func (s *Store) PruneLoginAttempts(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.Pool.Exec(ctx, `DELETE FROM login_attempts WHERE at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("store: prune login attempts: %w", err)
	}
	return tag.RowsAffected(), nil
}
