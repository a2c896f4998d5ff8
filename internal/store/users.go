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

// User is an account. PasswordHash never leaves the store except for verification.
type User struct {
	ID           int64
	Email        string
	Name         string
	PasswordHash string
	Roles        []auth.Role
	Lang         string
	Disabled     bool
	CreatedAt    time.Time
	Version      int64
	SessionEpoch int64 // sessions made in an older epoch are over (EndSessions)
}

const userCols = `id, email, name, password_hash, roles, lang, disabled_at IS NOT NULL, created_at, version, session_epoch`

// listUserCols leaves the password hash out (PasswordHash is empty): lists feed names and role
// pickers on every case page, and hashes have no business in their memory.
const listUserCols = `id, email, name, ''::text, roles, lang, disabled_at IS NOT NULL, created_at, version, session_epoch`

func scanUser(row pgx.Row) (User, error) {
	var u User
	var roles []string
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &roles, &u.Lang, &u.Disabled, &u.CreatedAt, &u.Version, &u.SessionEpoch)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, ErrNotFound
	}
	for _, r := range roles {
		u.Roles = append(u.Roles, auth.Role(r))
	}
	return u, err
}

func roleStrings(roles []auth.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return out
}

// CreateUser adds an account; ErrDuplicate when the e-mail is taken (case-insensitively).
func (s *Store) CreateUser(ctx context.Context, actorID int64, email, name string, roles []auth.Role, hash string) (User, error) {
	var u User
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `INSERT INTO users (email, name, roles, password_hash) VALUES ($1, $2, $3, $4)
			RETURNING `+userCols, strings.TrimSpace(email), strings.TrimSpace(name), roleStrings(roles), hash))
		if err != nil {
			return err
		}
		return adminEvent(ctx, tx, actorID, u.ID, "user_created", map[string]any{"roles": roleStrings(roles)})
	})
	if isUniqueViolation(err) {
		return u, ErrDuplicate
	}
	if err != nil {
		return u, fmt.Errorf("store: create user: %w", err)
	}
	return u, nil
}

// UserByEmail finds an account by e-mail, case-insensitively.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	return scanUser(s.Pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE lower(email) = lower($1)`, strings.TrimSpace(email)))
}

// UserByID finds an account by id.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	return scanUser(s.Pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
}

// ListUsers returns all accounts by e-mail, without their password hashes (PasswordHash is empty).
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+listUserCols+` FROM users ORDER BY lower(email)`)
	if err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UpdateUser changes roles and name if the row is still at version; ErrConflict otherwise.
func (s *Store) UpdateUser(ctx context.Context, actorID, id, version int64, name string, roles []auth.Role) error {
	return s.updateUser(ctx, actorID, id, version, "user_updated", map[string]any{"roles": roleStrings(roles)},
		`UPDATE users SET name = $3, roles = $4, updated_at = now(), version = version + 1 WHERE id = $1 AND version = $2`,
		strings.TrimSpace(name), roleStrings(roles))
}

// SetDisabled disables or re-enables an account and ends its sessions and tokens when disabling.
func (s *Store) SetDisabled(ctx context.Context, actorID, id, version int64, disabled bool) error {
	action := "user_enabled"
	q := `UPDATE users SET disabled_at = NULL, updated_at = now(), version = version + 1 WHERE id = $1 AND version = $2`
	if disabled {
		action = "user_disabled"
		q = `UPDATE users SET disabled_at = now(), updated_at = now(), version = version + 1 WHERE id = $1 AND version = $2`
	}
	return s.updateUser(ctx, actorID, id, version, action, nil, q)
}

// SetPassword replaces the password hash (a reset by an admin or a change by the user).
func (s *Store) SetPassword(ctx context.Context, actorID, id, version int64, hash string) error {
	return s.updateUser(ctx, actorID, id, version, "password_set", nil,
		`UPDATE users SET password_hash = $3, updated_at = now(), version = version + 1 WHERE id = $1 AND version = $2`, hash)
}

// SetLang stores the user's UI language; it does not bump the version (a preference, not a grant).
func (s *Store) SetLang(ctx context.Context, id int64, lang string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE users SET lang = $2 WHERE id = $1`, id, lang)
	if err != nil {
		return fmt.Errorf("store: set lang: %w", err)
	}
	return nil
}

func (s *Store) updateUser(ctx context.Context, actorID, id, version int64, action string, detail map[string]any, q string, args ...any) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, q, append([]any{id, version}, args...)...)
		if err != nil {
			return fmt.Errorf("store: %s: %w", action, err)
		}
		if tag.RowsAffected() == 0 {
			var exists bool
			_ = tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)`, id).Scan(&exists)
			if !exists {
				return ErrNotFound
			}
			return ErrConflict
		}
		if action == "user_disabled" || action == "password_set" {
			// A disabled account or a reset password must not keep working through old credentials:
			// its tokens are revoked and its sessions ended (endSessions).
			if err := endSessions(ctx, tx, id); err != nil {
				return err
			}
		}
		return adminEvent(ctx, tx, actorID, id, action, detail)
	})
}

func adminEvent(ctx context.Context, tx pgx.Tx, actorID, targetID int64, action string, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	var actor any
	if actorID > 0 {
		actor = actorID
	}
	_, err := tx.Exec(ctx, `INSERT INTO admin_events (actor_id, target_id, action, detail) VALUES ($1, $2, $3, $4)`,
		actor, targetID, action, detail)
	if err != nil {
		return fmt.Errorf("store: admin event: %w", err)
	}
	return nil
}

// CreateToken stores the hash of a new API token for the user.
func (s *Store) CreateToken(ctx context.Context, userID int64, hash []byte, label string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO api_tokens (user_id, token_hash, label) VALUES ($1, $2, $3)`, userID, hash, label); err != nil {
			return fmt.Errorf("store: create token: %w", err)
		}
		return adminEvent(ctx, tx, 0, userID, "token_created", map[string]any{"label": label})
	})
}

// UserByToken resolves a bearer token's hash to an enabled user; ErrNotFound otherwise.
func (s *Store) UserByToken(ctx context.Context, hash []byte) (User, error) {
	u, err := scanUser(s.Pool.QueryRow(ctx, `UPDATE api_tokens t SET last_used_at = now()
		FROM users u WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.id = t.user_id AND u.disabled_at IS NULL
		RETURNING u.id, u.email, u.name, u.password_hash, u.roles, u.lang, u.disabled_at IS NOT NULL, u.created_at, u.version, u.session_epoch`, hash))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return u, fmt.Errorf("store: token lookup: %w", err)
	}
	return u, err
}

// RecordLogin writes one login attempt.
func (s *Store) RecordLogin(ctx context.Context, emailKey, ip string, success bool, reason string) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO login_attempts (email_key, ip, success, reason) VALUES ($1, $2, $3, $4)`,
		emailKey, ip, success, reason)
	if err != nil {
		return fmt.Errorf("store: record login: %w", err)
	}
	return nil
}

// LoginAttempt is a row of the login record for the admin page.
type LoginAttempt struct {
	At       time.Time
	EmailKey string
	IP       string
	Success  bool
	Reason   string
}

// RecentLoginAttempts lists the newest attempts.
func (s *Store) RecentLoginAttempts(ctx context.Context, limit int) ([]LoginAttempt, error) {
	rows, err := s.Pool.Query(ctx, `SELECT at, email_key, ip, success, reason FROM login_attempts ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: login attempts: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (LoginAttempt, error) {
		var a LoginAttempt
		err := r.Scan(&a.At, &a.EmailKey, &a.IP, &a.Success, &a.Reason)
		return a, err
	})
}

// UserExists reports whether id names an account (disabled ones included: their history stays
// theirs). It reads through the transaction in ctx when there is one.
func (s *Store) UserExists(ctx context.Context, id int64) (bool, error) {
	var ok bool
	if err := s.q(ctx).QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)`, id).Scan(&ok); err != nil {
		return false, fmt.Errorf("store: user %d exists: %w", id, err)
	}
	return ok, nil
}
