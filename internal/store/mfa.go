package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/pii"
)

func totpAAD(userID int64) []byte { return pii.AAD("user_totp", userID, "secret") }

// TOTPBatch is how many secrets one sealing transaction handles.
const TOTPBatch = 500

// TOTP returns the user's TOTP secret, opened with the data key; ErrNotFound when they have not
// enrolled. A row from before migrations/00120 that SealPendingTOTP has not sealed yet is read
// as it is.
func (s *Store) TOTP(ctx context.Context, userID int64) (string, error) {
	var plain *string
	var sealed []byte
	err := s.Pool.QueryRow(ctx, `SELECT secret, secret_sealed FROM user_totp WHERE user_id = $1`, userID).Scan(&plain, &sealed)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("store: totp: %w", err)
	}
	if sealed == nil && plain != nil {
		return *plain, nil
	}
	keys := s.keys.Load()
	if keys == nil {
		return "", fmt.Errorf("store: totp: %w", errNoDataKey)
	}
	secret, err := keys.OpenString(totpAAD(userID), sealed)
	if err != nil {
		return "", fmt.Errorf("store: totp of user %d does not open: %w", userID, err)
	}
	return secret, nil
}

// EnrolTOTP stores a confirmed secret, sealed with the data key (step: the step of the code that
// confirmed it, spent), and replaces the user's recovery codes.
func (s *Store) EnrolTOTP(ctx context.Context, userID int64, secret string, step int64, recovery [][]byte) error {
	keys := s.keys.Load()
	if keys == nil {
		return fmt.Errorf("store: enrol totp: %w", errNoDataKey)
	}
	sealed := keys.SealString(totpAAD(userID), secret)
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO user_totp (user_id, secret, secret_sealed, key_id, last_step) VALUES ($1, NULL, $2, $3, $4)
			ON CONFLICT (user_id) DO UPDATE SET secret = NULL, secret_sealed = EXCLUDED.secret_sealed, key_id = EXCLUDED.key_id,
				last_step = EXCLUDED.last_step, enrolled_at = now()`, userID, sealed, keys.Primary().ID(), step); err != nil {
			return fmt.Errorf("store: enrol totp: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM user_recovery_codes WHERE user_id = $1`, userID); err != nil {
			return fmt.Errorf("store: recovery codes: %w", err)
		}
		for _, h := range recovery {
			if _, err := tx.Exec(ctx, `INSERT INTO user_recovery_codes (user_id, code_hash) VALUES ($1, $2)`, userID, h); err != nil {
				return fmt.Errorf("store: recovery codes: %w", err)
			}
		}
		return adminEvent(ctx, tx, userID, userID, "mfa_enrolled", map[string]any{"method": "totp"})
	})
}

// SealPendingTOTP seals the TOTP secrets still in plaintext (enrolled before migrations/00120)
// with the data key CheckDataKey accepted; serve runs it at start. It returns how many it sealed.
func (s *Store) SealPendingTOTP(ctx context.Context) (int, error) {
	keys := s.keys.Load()
	if keys == nil {
		return 0, fmt.Errorf("store: seal totp: %w", errNoDataKey)
	}
	return sealTOTP(ctx, s, keys)
}

// sealTOTP seals, batch by batch, every TOTP secret not under ring's primary key: plaintext rows,
// and on rotation the rows under the old key.
func sealTOTP(ctx context.Context, s *Store, ring *pii.Keyring) (int, error) {
	total := 0
	for {
		n := 0
		err := s.inTx(ctx, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `SELECT user_id, secret, secret_sealed FROM user_totp
				WHERE key_id IS DISTINCT FROM $1 ORDER BY user_id LIMIT $2 FOR UPDATE`, ring.Primary().ID(), TOTPBatch)
			if err != nil {
				return err
			}
			type row struct {
				id     int64
				plain  *string
				sealed []byte
			}
			list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
				var x row
				return x, r.Scan(&x.id, &x.plain, &x.sealed)
			})
			if err != nil {
				return err
			}
			for _, x := range list {
				secret := ""
				if x.plain != nil {
					secret = *x.plain
				} else if secret, err = ring.OpenString(totpAAD(x.id), x.sealed); err != nil {
					return fmt.Errorf("totp of user %d does not open: %w", x.id, err)
				}
				if _, err := tx.Exec(ctx, `UPDATE user_totp SET secret = NULL, secret_sealed = $2, key_id = $3 WHERE user_id = $1`,
					x.id, ring.SealString(totpAAD(x.id), secret), ring.Primary().ID()); err != nil {
					return err
				}
			}
			n = len(list)
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("store: seal totp: %w", err)
		}
		total += n
		if n < TOTPBatch {
			return total, nil
		}
	}
}

// UseTOTPStep spends a step: false when it (or a later one) was used already, so a code read over
// someone's shoulder cannot be used again within its window. Atomic under concurrent logins.
func (s *Store) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	tag, err := s.Pool.Exec(ctx, `UPDATE user_totp SET last_step = $2 WHERE user_id = $1 AND last_step < $2`, userID, step)
	if err != nil {
		return false, fmt.Errorf("store: use totp step: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// UseRecoveryCode spends an unused recovery code; false when there is none with that hash.
func (s *Store) UseRecoveryCode(ctx context.Context, userID int64, hash []byte) (bool, error) {
	tag, err := s.Pool.Exec(ctx, `UPDATE user_recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`, userID, hash)
	if err != nil {
		return false, fmt.Errorf("store: use recovery code: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// RecoveryCodesLeft counts the user's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	var n int
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM user_recovery_codes WHERE user_id = $1 AND used_at IS NULL`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: recovery codes left: %w", err)
	}
	return n, nil
}

// RemoveTOTP removes the user's second factor and recovery codes (actorID: the user or an
// administrator resetting a lost authenticator).
func (s *Store) RemoveTOTP(ctx context.Context, actorID, userID int64) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM user_totp WHERE user_id = $1`, userID); err != nil {
			return fmt.Errorf("store: remove totp: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM user_recovery_codes WHERE user_id = $1`, userID); err != nil {
			return fmt.Errorf("store: remove recovery codes: %w", err)
		}
		return adminEvent(ctx, tx, actorID, userID, "mfa_removed", nil)
	})
}

// MFAEnrolmentDue reports whether the user holds a role that must use a second factor and has
// not enrolled one yet (auth_settings.mfa_roles).
func (s *Store) MFAEnrolmentDue(ctx context.Context, userID int64) (bool, error) {
	var due bool
	err := s.Pool.QueryRow(ctx, `SELECT (SELECT mfa_roles FROM auth_settings) && u.roles
		AND NOT EXISTS (SELECT 1 FROM user_totp WHERE user_id = u.id)
		AND NOT EXISTS (SELECT 1 FROM user_passkeys WHERE user_id = u.id) FROM users u WHERE u.id = $1`, userID).Scan(&due)
	if err != nil {
		return false, fmt.Errorf("store: mfa due: %w", err)
	}
	return due, nil
}

// SetMFARoles sets the roles that must use a second factor with a password (the sign-in settings
// page sets it with the rest; `leakdesk user mfa-roles` and the load tools set it alone).
func (s *Store) SetMFARoles(ctx context.Context, actorID int64, roles []auth.Role) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE auth_settings SET mfa_roles = $1, updated_at = now()`, roleStrings(roles)); err != nil {
			return fmt.Errorf("store: mfa roles: %w", err)
		}
		return settingsEvent(ctx, tx, actorID, map[string]any{"mfa_roles": roleStrings(roles)})
	})
}
