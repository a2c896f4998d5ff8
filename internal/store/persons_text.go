package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/pii"
)

// IndexPersonText fills the text index (migration 00015) of every person written before it
// existed, RotateBatch rows per transaction, and returns how many rows it indexed. It needs the
// data key, so it runs at server start (and from `leakdesk key reindex`), not in a migration; it
// is safe to run at any time and again after an interruption: only rows still NULL are read.
func (s *Store) IndexPersonText(ctx context.Context, kr *pii.Keyring) (int, error) {
	total := 0
	for {
		var n int
		err := s.inTx(ctx, func(tx pgx.Tx) error {
			// The register's history trigger wants every change to say why (person_history).
			if err := stampPersonChange(ctx, tx, 0, "検索索引の作成（移行 00015）"); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, `SELECT `+personCols+` FROM affected_persons WHERE text_bidx IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, RotateBatch)
			if err != nil {
				return err
			}
			people, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Person, error) { return scanPerson(kr, r) })
			if err != nil {
				return err
			}
			n = len(people)
			batch := &pgx.Batch{}
			for _, p := range people {
				batch.Queue(`UPDATE affected_persons SET text_bidx = $2 WHERE id = $1`, p.ID, textIndex(kr.Primary(), p.CaseID, p.PersonData))
			}
			if n == 0 {
				return nil
			}
			return tx.SendBatch(ctx, batch).Close()
		})
		if err != nil {
			return total, fmt.Errorf("store: index person text: %w", err)
		}
		total += n
		if n < RotateBatch {
			return total, nil
		}
	}
}
