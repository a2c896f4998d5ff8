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
// FinishLogin then records the outcome. A right password that waits for the second factor (issue
// 18) is finished as "second_step": neither a failure nor a success (a success would reset the
// account's count, letting wrong codes be tried for ever); the second step is an attempt of its own.
// A right current password on the account page is "password_verified", likewise not counted
// (uncountedReasons).

// uncountedReasons are the attempts the limits leave out: a refusal while locked, and a step that
// passed on the way to an outcome its own attempt records (a right password before the second
// factor, a right current password on the account page, a provider's answer verified before the
// account is known). (Only BeginLogin counts: every flow that limits failures goes through it.)
const uncountedReasons = `('locked', 'second_step', 'password_verified', 'oidc_verified')`

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
			(SELECT count(*) FROM login_attempts WHERE email_key = $1 AND NOT success AND reason NOT IN `+uncountedReasons+` AND at > GREATEST($3,
				COALESCE((SELECT max(at) FROM login_attempts WHERE email_key = $1 AND success), $3))),
			(SELECT count(*) FROM login_attempts WHERE ip = $2 AND NOT success AND reason NOT IN `+uncountedReasons+` AND at > $3)`,
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

// FinishLoginEvent is FinishLogin with the method, the user and the provider's amr/acr (the
// sign-in flows of issue 18: the second step, passkeys, the current password on the account page).
// An attempt BeginLogin refused keeps its "locked" and gains only the method and the user.
func (s *Store) FinishLoginEvent(ctx context.Context, attemptID int64, e LoginEvent) error {
	var uid any
	if e.UserID != 0 {
		uid = e.UserID
	}
	if e.AMR == nil {
		e.AMR = []string{}
	}
	if len(e.ACR) > 200 {
		e.ACR = e.ACR[:200]
	}
	if e.Method == "" {
		e.Method = "password"
	}
	if _, err := s.Pool.Exec(ctx, `UPDATE login_attempts SET
			success = CASE WHEN reason = 'locked' THEN false ELSE $2 END,
			reason = CASE WHEN reason = 'locked' THEN reason ELSE $3 END,
			method = $4, user_id = $5, amr = $6, acr = $7
		WHERE id = $1 AND reason IN ('pending', 'locked')`,
		attemptID, e.Success, e.Reason, e.Method, uid, e.AMR, e.ACR); err != nil {
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
