package store

// Data-key rotation: every sealed register row and every other holder of sealed columns re-encrypted under a new key, in batches, resumable.

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/pii"
)

// RotateBatch is how many rows one rotation transaction re-encrypts.
const RotateBatch = 500

// Rotate re-encrypts every affected person under newKey, in batches of RotateBatch rows, one
// transaction per batch, then makes newKey the database's key. old must hold the current key (and
// any older key still found in rows). It is safe to run again after an interruption with the same
// keys: rows already on newKey are skipped, and until it finishes CheckDataKey refuses to start a
// server (ErrKeyRotating). Staged uploads are discarded (they expire within the hour anyway).
// Servers must be stopped while it runs.
//
// reseal are the other holders of sealed columns (webhook secrets): each re-seals its rows under the
// ring's primary key, before the new key becomes the active one, so an interrupted rotation is run
// again rather than leaving rows only the retired key opens.
func Rotate(ctx context.Context, s *Store, old *pii.Keyring, newKey *pii.Key, reseal ...func(context.Context, *pii.Keyring) error) error {
	if newKey.ID() == old.Primary().ID() {
		return errors.New("store: rotate: the new key is the current key")
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT key_id, check_value, state FROM pii_keys WHERE state <> 'retired' FOR UPDATE`)
		if err != nil {
			return err
		}
		type keyRow struct {
			ID    string
			Check []byte
			State string
		}
		list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[keyRow])
		if err != nil {
			return err
		}
		var activeOK bool
		for _, r := range list {
			switch r.State {
			case "active":
				if r.ID != old.Primary().ID() || !hmac.Equal(r.Check, old.Primary().CheckValue()) {
					return fmt.Errorf("%w (database key ID %s, old key ID %s)", ErrWrongDataKey, r.ID, old.Primary().ID())
				}
				activeOK = true
			case "rotating":
				if r.ID != newKey.ID() {
					return fmt.Errorf("store: rotate: an unfinished rotation to key %s exists; finish it with that key first", r.ID)
				}
			}
		}
		if !activeOK {
			return errors.New("store: rotate: no active data key recorded (start the server once with the current key)")
		}
		_, err = tx.Exec(ctx, `INSERT INTO pii_keys (key_id, check_value, state) VALUES ($1, $2, 'rotating') ON CONFLICT (key_id) DO NOTHING`,
			newKey.ID(), newKey.CheckValue())
		return err
	})
	if err != nil {
		return fmt.Errorf("store: rotate: %w", err)
	}
	ring := pii.NewKeyring(newKey, old.Keys()...)
	for {
		n, err := rotateBatch(ctx, s, ring)
		if err != nil {
			return fmt.Errorf("store: rotate: %w", err)
		}
		if n == 0 {
			break
		}
	}
	// The evidence files too (and any still in plaintext from before 00032).
	if _, err := sealEvidence(ctx, s, ring); err != nil {
		return fmt.Errorf("store: rotate: %w", err)
	}
	// And the users' TOTP secrets.
	if _, err := sealTOTP(ctx, s, ring); err != nil {
		return fmt.Errorf("store: rotate: %w", err)
	}
	for _, f := range reseal {
		if err := f(ctx, ring); err != nil {
			return fmt.Errorf("store: rotate: %w", err)
		}
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM person_import_uploads`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE pii_keys SET state = 'retired', retired_at = now() WHERE state = 'active'`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE pii_keys SET state = 'active' WHERE key_id = $1`, newKey.ID())
		return err
	})
	if err != nil {
		return fmt.Errorf("store: rotate: finish: %w", err)
	}
	return nil
}

func rotateBatch(ctx context.Context, s *Store, ring *pii.Keyring) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+personCols+` FROM affected_persons WHERE key_id <> $1 ORDER BY id LIMIT $2 FOR UPDATE`,
			ring.Primary().ID(), RotateBatch)
		if err != nil {
			return err
		}
		people, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Person, error) { return scanPerson(ring, r) })
		if err != nil {
			return err
		}
		n = len(people)
		if err := stampPersonChange(ctx, tx, 0, "データ鍵の更新（再暗号化）"); err != nil {
			return err
		}
		batch := &pgx.Batch{}
		for _, p := range people {
			sl := seal(ring, p.CaseID, p.ID, p.PersonData)
			batch.Queue(`UPDATE affected_persons SET key_id = $2, name_enc = $3, kana_enc = $4, postal_enc = $5, address_enc = $6,
				phone_enc = $7, email_enc = $8, customer_id_enc = $9, email_bidx = $10, phone_bidx = $11, customer_bidx = $12,
				name_addr_bidx = $13, dedupe_bidx = $14, text_bidx = $15 WHERE id = $1`,
				p.ID, sl.keyID, sl.enc[0], sl.enc[1], sl.enc[2], sl.enc[3], sl.enc[4], sl.enc[5], sl.enc[6],
				sl.email, sl.phone, sl.customer, sl.nameAddr, sl.dedupe, sl.text)
		}
		if n == 0 {
			return nil
		}
		return tx.SendBatch(ctx, batch).Close()
	})
	return n, err
}
