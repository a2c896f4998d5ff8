package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/auth"
)

// endSessions revokes the user's API tokens and moves their session epoch on, so every browser
// session made before ends at its next request (the web layer compares epochs).
func endSessions(ctx context.Context, tx pgx.Tx, userID int64) error {
	if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, userID); err != nil {
		return fmt.Errorf("store: revoke tokens: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE users SET session_epoch = session_epoch + 1 WHERE id = $1`, userID); err != nil {
		return fmt.Errorf("store: end sessions: %w", err)
	}
	// The tracked sessions go at once too (the epoch also catches any not tracked).
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE token IN (SELECT token FROM user_sessions WHERE user_id = $1)`, userID); err != nil {
		return fmt.Errorf("store: end sessions: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM user_sessions WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("store: end sessions: %w", err)
	}
	return nil
}

// EndSessions ends every session and API token of the user at once (deprovisioning), recorded as
// an admin event with the reason. actorID 0 is the system (an IdP login refused for a gone account).
func (s *Store) EndSessions(ctx context.Context, actorID, userID int64, reason string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := endSessions(ctx, tx, userID); err != nil {
			return err
		}
		return adminEvent(ctx, tx, actorID, userID, "sessions_ended", map[string]any{"reason": reason})
	})
}

// UserByIdentity finds the user linked to the provider's (issuer, subject).
func (s *Store) UserByIdentity(ctx context.Context, issuer, subject string) (User, error) {
	return scanUser(s.Pool.QueryRow(ctx, `SELECT `+prefixed("u.", userCols)+` FROM user_identities i JOIN users u ON u.id = i.user_id
		WHERE i.issuer = $1 AND i.subject = $2`, issuer, subject))
}

// prefixed qualifies each column of a column list (userCols) with a table alias.
func prefixed(alias, cols string) string {
	parts := strings.Split(cols, ", ")
	for i, c := range parts {
		parts[i] = alias + c
	}
	return strings.Join(parts, ", ")
}

// LinkIdentity ties the provider's (issuer, subject) to an existing user (first SSO login of an
// account an administrator created). ErrDuplicate when the identity is linked already.
func (s *Store) LinkIdentity(ctx context.Context, userID int64, issuer, subject string) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO user_identities (user_id, issuer, subject) VALUES ($1, $2, $3)`, userID, issuer, subject); err != nil {
			return err
		}
		return adminEvent(ctx, tx, 0, userID, "identity_linked", map[string]any{"issuer": issuer})
	})
	if isUniqueViolation(err) {
		return ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("store: link identity: %w", err)
	}
	return nil
}

// CreateSSOUser adds the account of a first single-sign-on login, linked to its identity. It has
// no password (the empty hash matches nothing). ErrDuplicate when the e-mail or identity is taken.
func (s *Store) CreateSSOUser(ctx context.Context, email, name string, roles []auth.Role, issuer, subject string) (User, error) {
	var u User
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `INSERT INTO users (email, name, roles, password_hash) VALUES ($1, $2, $3, '')
			RETURNING `+userCols, strings.TrimSpace(email), strings.TrimSpace(name), roleStrings(roles)))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO user_identities (user_id, issuer, subject) VALUES ($1, $2, $3)`, u.ID, issuer, subject); err != nil {
			return err
		}
		return adminEvent(ctx, tx, 0, u.ID, "user_created", map[string]any{"roles": roleStrings(roles), "by": "sso", "issuer": issuer})
	})
	if isUniqueViolation(err) {
		return u, ErrDuplicate
	}
	if err != nil {
		return u, fmt.Errorf("store: create sso user: %w", err)
	}
	return u, nil
}

// SetRolesFromIdP makes the user's roles those the IdP's groups map to (when a mapping is
// configured), recorded as an admin event by the system; nothing is written when they match.
func (s *Store) SetRolesFromIdP(ctx context.Context, u User, roles []auth.Role) (User, error) {
	if slices.Equal(u.Roles, roles) {
		return u, nil
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `UPDATE users SET roles = $2, updated_at = now(), version = version + 1 WHERE id = $1
			RETURNING `+userCols, u.ID, roleStrings(roles)))
		if err != nil {
			return err
		}
		return adminEvent(ctx, tx, 0, u.ID, "roles_from_idp", map[string]any{"roles": roleStrings(roles)})
	})
	if err != nil {
		return u, fmt.Errorf("store: roles from idp: %w", err)
	}
	return u, nil
}

// TouchIdentity notes the identity's last login.
func (s *Store) TouchIdentity(ctx context.Context, issuer, subject string) error {
	if _, err := s.Pool.Exec(ctx, `UPDATE user_identities SET last_login = now() WHERE issuer = $1 AND subject = $2`, issuer, subject); err != nil {
		return fmt.Errorf("store: touch identity: %w", err)
	}
	return nil
}

// HasIdentity reports whether the user signs in through an identity provider.
func (s *Store) HasIdentity(ctx context.Context, userID int64) (bool, error) {
	var ok bool
	err := s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM user_identities WHERE user_id = $1)`, userID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("store: has identity: %w", err)
	}
	return ok, nil
}

// AuthSettings is the sign-in policy an administrator sets.
type AuthSettings struct {
	PasswordLogin  bool        // false: only the break-glass administrator may use a password
	BreakGlassUser int64       // 0: none
	MFARoles       []auth.Role // roles that must use a second factor with a password
	UpdatedAt      time.Time
}

// GetAuthSettings reads the policy.
func (s *Store) GetAuthSettings(ctx context.Context) (AuthSettings, error) {
	var a AuthSettings
	var bg *int64
	var roles []string
	err := s.Pool.QueryRow(ctx, `SELECT password_login, break_glass_user, mfa_roles, updated_at FROM auth_settings`).Scan(&a.PasswordLogin, &bg, &roles, &a.UpdatedAt)
	if err != nil {
		return a, fmt.Errorf("store: auth settings: %w", err)
	}
	if bg != nil {
		a.BreakGlassUser = *bg
	}
	for _, r := range roles {
		a.MFARoles = append(a.MFARoles, auth.Role(r))
	}
	return a, nil
}

// ErrNoBreakGlass refuses turning passwords off without an enabled administrator to keep one.
var ErrNoBreakGlass = errors.New("store: password login off needs an enabled break-glass administrator")

// SaveAuthSettings stores the policy. Passwords can be turned off only with a break-glass user who
// is an enabled administrator, so an IdP outage cannot lock everybody out.
func (s *Store) SaveAuthSettings(ctx context.Context, actorID int64, a AuthSettings) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var bg any
		if a.BreakGlassUser != 0 {
			var ok bool
			err := tx.QueryRow(ctx, `SELECT disabled_at IS NULL AND 'admin' = ANY (roles) FROM users WHERE id = $1 FOR SHARE`, a.BreakGlassUser).Scan(&ok)
			if errors.Is(err, pgx.ErrNoRows) || (err == nil && !ok) {
				return ErrNoBreakGlass
			}
			if err != nil {
				return fmt.Errorf("store: break-glass user: %w", err)
			}
			bg = a.BreakGlassUser
		} else if !a.PasswordLogin {
			return ErrNoBreakGlass
		}
		if _, err := tx.Exec(ctx, `UPDATE auth_settings SET password_login = $1, break_glass_user = $2, mfa_roles = $3, updated_at = now()`,
			a.PasswordLogin, bg, roleStrings(a.MFARoles)); err != nil {
			return fmt.Errorf("store: save auth settings: %w", err)
		}
		return settingsEvent(ctx, tx, actorID, map[string]any{"password_login": a.PasswordLogin, "break_glass_user": a.BreakGlassUser,
			"mfa_roles": roleStrings(a.MFARoles)})
	})
}

// LoginEvent is one row of the login log with the details single sign-on adds.
type LoginEvent struct {
	EmailKey string
	IP       string
	Success  bool
	Reason   string
	Method   string // "password", "oidc"
	UserID   int64  // 0 when no account is known
	AMR      []string
	ACR      string
}

// RecordLoginEvent writes one login attempt with its method and the IdP's amr/acr.
func (s *Store) RecordLoginEvent(ctx context.Context, e LoginEvent) error {
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
	_, err := s.Pool.Exec(ctx, `INSERT INTO login_attempts (email_key, ip, success, reason, method, user_id, amr, acr) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		e.EmailKey, e.IP, e.Success, e.Reason, e.Method, uid, e.AMR, e.ACR)
	if err != nil {
		return fmt.Errorf("store: record login: %w", err)
	}
	return nil
}

// LoginEvents lists the newest attempts with method and amr/acr; userID 0 lists everyone's.
func (s *Store) LoginEvents(ctx context.Context, userID int64, limit int) ([]LoginEventRow, error) {
	rows, err := s.Pool.Query(ctx, `SELECT at, email_key, ip, success, reason, method, amr, acr FROM login_attempts
		WHERE $1 = 0 OR user_id = $1 ORDER BY id DESC LIMIT $2`, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: login events: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (LoginEventRow, error) {
		var a LoginEventRow
		err := r.Scan(&a.At, &a.EmailKey, &a.IP, &a.Success, &a.Reason, &a.Method, &a.AMR, &a.ACR)
		return a, err
	})
}

// LoginEventRow is a read row of the login log.
type LoginEventRow struct {
	At       time.Time
	EmailKey string
	IP       string
	Success  bool
	Reason   string
	Method   string
	AMR      []string
	ACR      string
}

// settingsEvent records a change of the sign-in policy: an admin event about no user in particular
// (actorID 0: the command line).
func settingsEvent(ctx context.Context, tx pgx.Tx, actorID int64, detail map[string]any) error {
	_, err := tx.Exec(ctx, `INSERT INTO admin_events (actor_id, target_id, action, detail) VALUES (NULLIF($1, 0), NULL, 'auth_settings', $2)`, actorID, detail)
	if err != nil {
		return fmt.Errorf("store: admin event: %w", err)
	}
	return nil
}
