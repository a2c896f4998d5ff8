package store

// Case numbers (one counter row per year) and the registry chain, which makes a deleted case detectable.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/chain"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// allocCaseNumber takes the case's id and its yearly number before the opening's transaction, in a
// short transaction of its own, so that the year's counter row is locked for one statement instead
// of through every other open's work and durable commit. That commit need not wait for the disk:
// the opening that uses the number commits durably after it, and that flush covers the counter's
// earlier WAL; if the server stops before, no case carries the number and it may be given again.
// Numbers stay unique per year (and cases.number is UNIQUE); an opening that fails after this
// leaves a gap in the year's numbers (docs/performance.md says why that is acceptable).
func (s *Store) allocCaseNumber(ctx context.Context, year int) (int64, string, error) {
	var id int64
	var n int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(`SET LOCAL synchronous_commit = off`)
		b.Queue(`SELECT nextval('cases_id_seq')`)
		b.Queue(`INSERT INTO case_numbers (year, last) VALUES ($1, 1)
			ON CONFLICT (year) DO UPDATE SET last = case_numbers.last + 1 RETURNING last`, year)
		br := tx.SendBatch(ctx, b)
		defer br.Close()
		if _, err := br.Exec(); err != nil {
			return err
		}
		if err := br.QueryRow().Scan(&id); err != nil {
			return err
		}
		return br.QueryRow().Scan(&n)
	})
	if err != nil {
		return 0, "", fmt.Errorf("store: case number: %w", err)
	}
	return id, fmt.Sprintf("%d-%04d", year, n), nil
}

// lockRegistryHead takes the registry's transaction-scoped advisory lock and reads its head (seq 0
// and the genesis link when it is empty): every append to the registry chain starts here.
//
// Both statements go in one batch (one round trip): the head's SELECT takes its own snapshot after
// the lock was granted, so it sees the row of the open the lock waited for.
func lockRegistryHead(ctx context.Context, tx pgx.Tx) (int64, []byte, error) {
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock(7310001)`)
	b.Queue(`SELECT seq, hash FROM case_registry ORDER BY seq DESC LIMIT 1`)
	br := tx.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return 0, nil, fmt.Errorf("store: registry lock: %w", err)
	}
	var seq int64
	prev := chain.GenesisPrev
	err := br.QueryRow().Scan(&seq, &prev)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, fmt.Errorf("store: registry head: %w", err)
	}
	if err := br.Close(); err != nil {
		return 0, nil, fmt.Errorf("store: registry head: %w", err)
	}
	return seq, prev, nil
}

// registerCase appends the case to the global registry chain under a transaction-scoped advisory
// lock, held from here to the commit: OpenCase calls it last, so opens queue only for each other's
// registry row and commit.
func registerCase(ctx context.Context, tx pgx.Tx, c *incident.Case) error {
	seq, prev, err := lockRegistryHead(ctx, tx)
	if err != nil {
		return err
	}
	at := Now(c.CreatedAt)
	canon, err := registryCanonical(seq+1, c.ID, c.Number, at)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO case_registry (seq, case_id, number, created_at, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6)`,
		seq+1, c.ID, c.Number, at, prev, chain.Hash(prev, canon))
	if err != nil {
		return fmt.Errorf("store: register case: %w", err)
	}
	return nil
}

func registryCanonical(seq, caseID int64, number string, at time.Time) ([]byte, error) {
	return chain.Canonical(map[string]any{"seq": seq, "case_id": caseID, "number": number, "created_at": at.UTC().Format(time.RFC3339Nano)})
}
