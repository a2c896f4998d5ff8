package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Passkeys returns the user's WebAuthn credentials as stored (JSON; the web layer decodes them).
func (s *Store) Passkeys(ctx context.Context, userID int64) ([][]byte, error) {
	rows, err := s.Pool.Query(ctx, `SELECT credential FROM user_passkeys WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: passkeys: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]byte, error) {
		var b []byte
		err := r.Scan(&b)
		return b, err
	})
}

// AddPasskey stores a newly registered credential; ErrDuplicate when its id is known.
func (s *Store) AddPasskey(ctx context.Context, userID int64, credentialID, credential []byte) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO user_passkeys (user_id, credential_id, credential) VALUES ($1, $2, $3)`, userID, credentialID, credential); err != nil {
			return err
		}
		return adminEvent(ctx, tx, userID, userID, "mfa_enrolled", map[string]any{"method": "webauthn"})
	})
	if isUniqueViolation(err) {
		return ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("store: add passkey: %w", err)
	}
	return nil
}

// UsePasskey saves the credential after a login (its new sign count) and when it was used.
func (s *Store) UsePasskey(ctx context.Context, userID int64, credentialID, credential []byte) error {
	if _, err := s.Pool.Exec(ctx, `UPDATE user_passkeys SET credential = $3, last_used_at = now() WHERE user_id = $1 AND credential_id = $2`,
		userID, credentialID, credential); err != nil {
		return fmt.Errorf("store: use passkey: %w", err)
	}
	return nil
}

// SecondFactors says which second factors the user has: a TOTP app, and how many passkeys.
func (s *Store) SecondFactors(ctx context.Context, userID int64) (totp bool, passkeys int, err error) {
	err = s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM user_totp WHERE user_id = $1),
		(SELECT count(*) FROM user_passkeys WHERE user_id = $1)`, userID).Scan(&totp, &passkeys)
	if err != nil {
		return false, 0, fmt.Errorf("store: second factors: %w", err)
	}
	return totp, passkeys, nil
}
