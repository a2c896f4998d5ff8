package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Token is one API token as its owner sees it: never the token itself, only its label and use.
type Token struct {
	ID         int64      `json:"id"`
	Label      string     `json:"label"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// CreateOwnToken stores the hash of a token a user made for themselves (account page or API) and
// records it in the admin log, like CreateToken; it returns the new token's row.
func (s *Store) CreateOwnToken(ctx context.Context, userID int64, hash []byte, label string) (Token, error) {
	var t Token
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO api_tokens (user_id, token_hash, label) VALUES ($1, $2, $3) RETURNING id, label, created_at`,
			userID, hash, label).Scan(&t.ID, &t.Label, &t.CreatedAt); err != nil {
			return fmt.Errorf("store: create token: %w", err)
		}
		return adminEvent(ctx, tx, userID, userID, "token_created", map[string]any{"label": label, "token_id": t.ID})
	})
	return t, err
}

// Tokens lists a user's tokens, newest first, revoked ones included.
func (s *Store) Tokens(ctx context.Context, userID int64) ([]Token, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, label, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: tokens: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Token, error) {
		var t Token
		err := r.Scan(&t.ID, &t.Label, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: tokens: %w", err)
	}
	return out, nil
}

// RevokeToken revokes one of the user's own tokens; ErrNotFound when it is not theirs or already
// revoked.
func (s *Store) RevokeToken(ctx context.Context, userID, tokenID int64) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`, tokenID, userID)
		if err != nil {
			return fmt.Errorf("store: revoke token: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return adminEvent(ctx, tx, userID, userID, "token_revoked", map[string]any{"token_id": tokenID})
	})
}
