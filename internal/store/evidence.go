package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/pii"
)

// errNoDataKey: evidence is never stored in plaintext; the store learns its key from CheckDataKey.
var errNoDataKey = errors.New("store: evidence: no data key (CheckDataKey was not called with the database's key)")

// evidenceAAD binds a sealed evidence file to its id: bytes copied to another file do not open.
func evidenceAAD(id int64) []byte { return pii.AAD("case_evidence", id, "data") }

// openEvidence decrypts stored evidence bytes; key_id NULL is plaintext carried over by
// migrations/00032 and not sealed yet.
func (s *Store) openEvidence(id int64, keyID *string, stored []byte) ([]byte, error) {
	if keyID == nil {
		return stored, nil
	}
	keys := s.keys.Load()
	if keys == nil {
		return nil, errNoDataKey
	}
	return keys.Open(evidenceAAD(id), stored)
}

// EvidenceBatch is how many files one sealing transaction re-encrypts (files are up to 20 MiB).
const EvidenceBatch = 20

// SealPendingEvidence encrypts, with the checked data key, the evidence files still stored in
// plaintext (those carried over by migrations/00032); serve runs it once the key is checked.
func (s *Store) SealPendingEvidence(ctx context.Context) (int, error) {
	keys := s.keys.Load()
	if keys == nil {
		return 0, errNoDataKey
	}
	return sealEvidence(ctx, s, keys)
}

// sealEvidence re-encrypts, batch by batch, every evidence file that is not under ring's primary
// key (plaintext rows included). A file that does not open or whose plaintext no longer matches
// its recorded SHA-256 stops it: re-sealing must not launder a damaged file.
func sealEvidence(ctx context.Context, s *Store, ring *pii.Keyring) (int, error) {
	total := 0
	for {
		n := 0
		err := s.inTx(ctx, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `SELECT b.evidence_id, b.key_id, b.data, e.sha256 FROM case_evidence_blobs b
				JOIN case_evidence e ON e.id = b.evidence_id
				WHERE b.key_id IS DISTINCT FROM $1 ORDER BY b.evidence_id LIMIT $2 FOR UPDATE OF b`, ring.Primary().ID(), EvidenceBatch)
			if err != nil {
				return err
			}
			type blob struct {
				id     int64
				keyID  *string
				data   []byte
				sha256 []byte
			}
			list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (blob, error) {
				var b blob
				return b, r.Scan(&b.id, &b.keyID, &b.data, &b.sha256)
			})
			if err != nil {
				return err
			}
			for _, b := range list {
				plain := b.data
				if b.keyID != nil {
					if plain, err = ring.Open(evidenceAAD(b.id), b.data); err != nil {
						return fmt.Errorf("evidence %d does not open: %w", b.id, err)
					}
				}
				if sum := sha256.Sum256(plain); !bytes.Equal(sum[:], b.sha256) {
					return fmt.Errorf("%w: evidence %d", ErrEvidenceCorrupt, b.id)
				}
				if _, err := tx.Exec(ctx, `UPDATE case_evidence_blobs SET key_id = $2, data = $3 WHERE evidence_id = $1`,
					b.id, ring.Primary().ID(), ring.Seal(evidenceAAD(b.id), plain)); err != nil {
					return err
				}
			}
			n = len(list)
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("store: seal evidence: %w", err)
		}
		total += n
		if n < EvidenceBatch {
			return total, nil
		}
	}
}
