package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// TrackSession records that the session token belongs to the user (at login).
func (s *Store) TrackSession(ctx context.Context, userID int64, token, ip, userAgent, method string) error {
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	_, err := s.Pool.Exec(ctx, `INSERT INTO user_sessions (user_id, token, ip, user_agent, method) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (token) DO UPDATE SET user_id = EXCLUDED.user_id, created_at = now(), ip = EXCLUDED.ip, user_agent = EXCLUDED.user_agent, method = EXCLUDED.method`,
		userID, token, ip, userAgent, method)
	if err != nil {
		return fmt.Errorf("store: track session: %w", err)
	}
	return nil
}

// UserSession is one of a user's live sessions.
type UserSession struct {
	ID        int64
	Token     string // compared with the current session's, never shown
	CreatedAt time.Time
	IP        string
	UserAgent string
	Method    string
}

// UserSessions lists the user's sessions that are still alive, newest first.
func (s *Store) UserSessions(ctx context.Context, userID int64) ([]UserSession, error) {
	rows, err := s.Pool.Query(ctx, `SELECT us.id, us.token, us.created_at, us.ip, us.user_agent, us.method
		FROM user_sessions us JOIN sessions se ON se.token = us.token AND se.expiry > now()
		WHERE us.user_id = $1 ORDER BY us.created_at DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: user sessions: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (UserSession, error) {
		var u UserSession
		err := r.Scan(&u.ID, &u.Token, &u.CreatedAt, &u.IP, &u.UserAgent, &u.Method)
		return u, err
	})
}

// EndUserSession ends one of the user's own sessions; ErrNotFound when it is not theirs.
func (s *Store) EndUserSession(ctx context.Context, userID, id int64) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var token string
		err := tx.QueryRow(ctx, `DELETE FROM user_sessions WHERE id = $1 AND user_id = $2 RETURNING token`, id, userID).Scan(&token)
		if err == pgx.ErrNoRows {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: end session: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE token = $1`, token); err != nil {
			return fmt.Errorf("store: end session: %w", err)
		}
		return adminEvent(ctx, tx, userID, userID, "session_ended", nil)
	})
}

// ChangeOwnPassword replaces the user's password (a temporary one set by an admin included, so
// must_change_password is cleared) and ends every other session and every API token of theirs; it
// returns the new session epoch for the session that stays.
func (s *Store) ChangeOwnPassword(ctx context.Context, userID int64, hash, keepToken string) (int64, error) {
	var epoch int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2, must_change_password = false, updated_at = now(), version = version + 1 WHERE id = $1`, userID, hash); err != nil {
			return fmt.Errorf("store: change password: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, userID); err != nil {
			return fmt.Errorf("store: revoke tokens: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET session_epoch = session_epoch + 1 WHERE id = $1`, userID); err != nil {
			return fmt.Errorf("store: end sessions: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE token IN (SELECT token FROM user_sessions WHERE user_id = $1 AND token <> $2)`, userID, keepToken); err != nil {
			return fmt.Errorf("store: end other sessions: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM user_sessions WHERE user_id = $1 AND token <> $2`, userID, keepToken); err != nil {
			return fmt.Errorf("store: end other sessions: %w", err)
		}
		if err := tx.QueryRow(ctx, `SELECT session_epoch FROM users WHERE id = $1`, userID).Scan(&epoch); err != nil {
			return fmt.Errorf("store: epoch: %w", err)
		}
		return adminEvent(ctx, tx, userID, userID, "password_changed", nil)
	})
	return epoch, err
}

// UserLogins lists the user's newest login attempts: those recorded with their id and those
// typed with their address.
func (s *Store) UserLogins(ctx context.Context, userID int64, email string, limit int) ([]LoginEventRow, error) {
	rows, err := s.Pool.Query(ctx, `SELECT at, email_key, ip, success, reason, method, amr, acr FROM login_attempts
		WHERE user_id = $1 OR email_key = lower($2) ORDER BY id DESC LIMIT $3`, userID, email, limit)
	if err != nil {
		return nil, fmt.Errorf("store: user logins: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (LoginEventRow, error) {
		var a LoginEventRow
		err := r.Scan(&a.At, &a.EmailKey, &a.IP, &a.Success, &a.Reason, &a.Method, &a.AMR, &a.ACR)
		return a, err
	})
}
