package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/incident"
)

// CaseFunc decides what to do with the current case inside the store's transaction: it applies the
// events it decides on to c and returns them, or returns an error that rolls everything back. It
// must have no side effects outside c.
type CaseFunc func(c *incident.Case) ([]incident.Event, error)

// TxCaseFunc is CaseFunc given a context that carries the transaction: the store's reads made
// with it (AffectedPersonCount) run on the transaction's own connection. A command must never take
// a second connection while it holds the case's lock — with as many writers as the pool has
// connections, none would be given back.
type TxCaseFunc func(ctx context.Context, c *incident.Case) ([]incident.Event, error)

// staleError marks UpdateCase's refusal of a write based on an older version. It unwraps to the
// domain's conflict error, which pages and the API show; ErrStale recognises it by type, not by
// the wording of its message.
type staleError struct{ err *incident.Error }

func (e staleError) Error() string { return e.err.Error() }
func (e staleError) Unwrap() error { return e.err }

// staleVersion is returned by UpdateCase when the caller's version is not the case's version.
func staleVersion(have, want int64) error {
	return staleError{incident.Conflict(
		fmt.Sprintf("他の人が先にこの案件を更新しました（あなたが見ていた版: %d、現在の版: %d）。最新の内容を確認してからやり直してください。", want, have),
		fmt.Sprintf("Someone else updated this case first (you had version %d, it is now %d). Review the latest version and try again.", want, have))}
}

// StaleVersion is the conflict UpdateCase answers when the caller's version is not the case's,
// for a command that checks the version itself (an approval checks it after the request's state).
func StaleVersion(have, want int64) error { return staleVersion(have, want) }

// ErrStale reports whether err is the stale-version conflict of UpdateCase.
func ErrStale(err error) bool {
	var e staleError
	return errors.As(err, &e)
}

// Now is the clock used for event times; microsecond precision because that is what timestamptz
// keeps, and the hash must be computed over exactly what is stored.
func Now(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// OpenCase creates a case in one transaction: it allocates the id and the yearly number, lets
// decide produce the opening events for a case with that id and number, stores the events with
// their hash chain, the projection and the registry entry.
func (s *Store) OpenCase(ctx context.Context, now time.Time, decide func(id int64, number string) (*incident.Case, []incident.Event, error)) (*incident.Case, error) {
	return s.OpenCaseTx(ctx, now, func(_ context.Context, id int64, number string) (*incident.Case, []incident.Event, error) {
		return decide(id, number)
	})
}

// OpenCaseTx is OpenCase whose decide gets a context carrying the transaction (see TxCaseFunc).
func (s *Store) OpenCaseTx(ctx context.Context, now time.Time, decide func(ctx context.Context, id int64, number string) (*incident.Case, []incident.Event, error)) (*incident.Case, error) {
	return s.openCase(ctx, now, decide, nil)
}

// openCase is OpenCaseTx that also writes, through with, rows that belong to the opening (a first
// report) in its transaction, before the case hooks run.
func (s *Store) openCase(ctx context.Context, now time.Time, decide func(ctx context.Context, id int64, number string) (*incident.Case, []incident.Event, error), with txFunc) (*incident.Case, error) {
	id, number, err := s.allocCaseNumber(ctx, now.In(jst).Year())
	if err != nil {
		return nil, err
	}
	var c *incident.Case
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var events []incident.Event
		var err error
		c, events, err = decide(withTx(ctx, tx), id, number)
		if err != nil {
			return err
		}
		rows, stored, err := chainEvents(c.ID, nil, events)
		if err != nil {
			return err
		}
		snap, err := incident.Replay(stored)
		if err != nil {
			return fmt.Errorf("store: snapshot of the opening: %w", err)
		}
		if err := writeCase(ctx, tx, snap, rows, true); err != nil {
			return err
		}
		if with != nil {
			if err := with(ctx, tx, c, events); err != nil {
				return err
			}
		}
		if err := s.runHooks(ctx, tx, c, events); err != nil {
			return err
		}
		if err := s.checkSnapshot(ctx, tx, c.ID); err != nil {
			return err
		}
		// Last, so that the registry's lock is held only over its own row and the commit, not
		// over the law assessment, the events and the hooks: concurrent opens overlap all of that.
		return registerCase(ctx, tx, c)
	})
	if err != nil {
		return nil, wrapCaseErr("open case", err)
	}
	return c, nil
}

// UpdateCase locks the case row, loads the case's snapshot stored with it, checks ifVersion (0 = no
// check), lets fn decide, appends the events and stores the new snapshot with the rest of the
// projection — all in one transaction, so a crash leaves either the whole change with its events
// or none of it. Two writers on one case queue on the row lock; the second sees the first's
// result. The history is not replayed: the new snapshot is the old one with the stored events
// applied, which is what a replay computes (checkSnapshot proves it in the tests).
func (s *Store) UpdateCase(ctx context.Context, caseID, ifVersion int64, fn CaseFunc) (*incident.Case, []incident.Event, error) {
	return s.updateCase(ctx, caseID, ifVersion, func(_ context.Context, c *incident.Case) ([]incident.Event, error) { return fn(c) }, nil)
}

// UpdateCaseTx is UpdateCase whose fn gets a context carrying the transaction (see TxCaseFunc).
func (s *Store) UpdateCaseTx(ctx context.Context, caseID, ifVersion int64, fn TxCaseFunc) (*incident.Case, []incident.Event, error) {
	return s.updateCase(ctx, caseID, ifVersion, fn, nil)
}

// txFunc writes rows that belong to a case change (evidence bytes) inside its transaction, after
// the events are appended.
type txFunc func(ctx context.Context, tx pgx.Tx, c *incident.Case, events []incident.Event) error

// snapshotFormat marks a cases.state written by this store from the stored events (migration
// 00110); older rows are replayed once.
const snapshotFormat = 1

// lockedCase is a case row locked for a write: the case to decide on, a second copy the stored
// events are applied to (the next snapshot), and the head of its chain.
type lockedCase struct {
	c, base *incident.Case
	head    *StoredEvent
}

// lockCase locks the case row and loads its snapshot with the hash of its newest event, in one
// round trip (a batch of two statements: the second gets its own snapshot, taken after the lock,
// so it sees the event of a writer the lock waited for — a join in the locking statement would
// not); a row from before snapshots is replayed instead.
func lockCase(ctx context.Context, tx pgx.Tx, caseID, ifVersion int64) (*lockedCase, error) {
	var version, headSeq int64
	var format int16
	var state, headHash []byte
	b := &pgx.Batch{}
	b.Queue(`SELECT version, state_format, state FROM cases WHERE id = $1 FOR UPDATE`, caseID)
	b.Queue(`SELECT seq, hash FROM case_events WHERE case_id = $1 ORDER BY seq DESC LIMIT 1`, caseID)
	br := tx.SendBatch(ctx, b)
	err := br.QueryRow().Scan(&version, &format, &state)
	if errors.Is(err, pgx.ErrNoRows) {
		br.Close()
		return nil, incident.NotFound("案件が見つかりません。", "Case not found.")
	}
	if err != nil {
		br.Close()
		return nil, fmt.Errorf("store: lock case: %w", err)
	}
	if err := br.QueryRow().Scan(&headSeq, &headHash); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		br.Close()
		return nil, fmt.Errorf("store: case head: %w", err)
	}
	if err := br.Close(); err != nil {
		return nil, fmt.Errorf("store: lock case: %w", err)
	}
	if ifVersion != 0 && ifVersion != version {
		return nil, staleVersion(version, ifVersion)
	}
	var lc lockedCase
	if format == snapshotFormat {
		if headHash == nil || headSeq != version {
			return nil, fmt.Errorf("store: case %d: the event of version %d is missing (newest stored: %d)", caseID, version, headSeq)
		}
		if lc.c, err = incident.DecodeSnapshot(state); err != nil {
			return nil, fmt.Errorf("store: case %d: %w", caseID, err)
		}
		if lc.base, err = incident.DecodeSnapshot(state); err != nil {
			return nil, fmt.Errorf("store: case %d: %w", caseID, err)
		}
		lc.head = &StoredEvent{Event: incident.Event{Seq: version}, Hash: headHash}
	} else {
		history, last, err := loadEvents(ctx, tx, caseID)
		if err != nil {
			return nil, err
		}
		if lc.c, err = incident.Replay(history); err != nil {
			return nil, err
		}
		if lc.base, err = incident.Replay(history); err != nil {
			return nil, err
		}
		lc.head = last
	}
	if lc.c.Version != version {
		return nil, fmt.Errorf("store: case %d projection at version %d but its state at %d", caseID, version, lc.c.Version)
	}
	return &lc, nil
}

func (s *Store) updateCase(ctx context.Context, caseID, ifVersion int64, fn TxCaseFunc, with txFunc) (*incident.Case, []incident.Event, error) {
	var c *incident.Case
	var events []incident.Event
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		lc, err := lockCase(ctx, tx, caseID, ifVersion)
		if err != nil {
			return err
		}
		c = lc.c
		events, err = fn(withTx(ctx, tx), c)
		if err != nil {
			return err
		}
		if len(events) == 0 {
			return nil
		}
		rows, stored, err := chainEvents(caseID, lc.head, events)
		if err != nil {
			return err
		}
		// The next snapshot is built from the events as stored (times truncated to microseconds,
		// payloads as read back), not from the case fn changed in memory.
		for _, e := range stored {
			if err := lc.base.Apply(e); err != nil {
				return fmt.Errorf("store: case %d: apply stored event: %w", caseID, err)
			}
		}
		if err := writeCase(ctx, tx, lc.base, rows, false); err != nil {
			return err
		}
		if with != nil {
			if err := with(ctx, tx, c, events); err != nil {
				return err
			}
		}
		if err := s.runHooks(ctx, tx, c, events); err != nil {
			return err
		}
		return s.checkSnapshot(ctx, tx, caseID)
	})
	if err != nil {
		return nil, nil, wrapCaseErr("update case", err)
	}
	return c, events, nil
}

func (s *Store) runHooks(ctx context.Context, tx pgx.Tx, c *incident.Case, events []incident.Event) error {
	for _, h := range s.CaseHooks {
		if err := h(ctx, tx, c, events); err != nil {
			return fmt.Errorf("store: case hook: %w", err)
		}
	}
	return nil
}

// wrapCaseErr keeps domain errors as they are (the web layer maps their codes) and wraps the rest.
func wrapCaseErr(op string, err error) error {
	var de *incident.Error
	if errors.As(err, &de) {
		return err
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// NextRequestID pre-allocates a request id (requests are addressed globally in the API).
func (s *Store) NextRequestID(ctx context.Context) (int64, error) {
	var id int64
	if err := s.Pool.QueryRow(ctx, `SELECT nextval('case_request_id_seq')`).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: request id: %w", err)
	}
	return id, nil
}

// CaseIDForRequest finds the case a request belongs to.
func (s *Store) CaseIDForRequest(ctx context.Context, requestID int64) (int64, error) {
	var id int64
	err := s.Pool.QueryRow(ctx, `SELECT case_id FROM case_requests WHERE id = $1`, requestID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, incident.NotFound("承認依頼が見つかりません。", "Request not found.")
	}
	if err != nil {
		return 0, fmt.Errorf("store: request case: %w", err)
	}
	return id, nil
}

// RecordAccess writes one row of the access log: who viewed which case page and, for the register,
// which persons decrypted and why. Call it for every response that shows decrypted data.
func (s *Store) RecordAccess(ctx context.Context, userID, caseID int64, page string, subjects []int64, reason string) error {
	if subjects == nil {
		subjects = []int64{}
	}
	var cid any
	if caseID != 0 {
		cid = caseID
	}
	_, err := s.Pool.Exec(ctx, `INSERT INTO access_log (user_id, case_id, page, subjects, reason) VALUES ($1, $2, $3, $4, $5)`,
		userID, cid, page, subjects, reason)
	if err != nil {
		return fmt.Errorf("store: record access: %w", err)
	}
	return nil
}

var jst = time.FixedZone("JST", 9*60*60)

// PendingRow is a pending request in the inbox index.
type PendingRow struct {
	ID, CaseID  int64
	RequestedAt time.Time
}

// PendingRequests lists pending requests, oldest first (the inbox), from the partial index.
func (s *Store) PendingRequests(ctx context.Context, limit int) ([]PendingRow, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, case_id, requested_at FROM case_requests WHERE state = 'pending' ORDER BY requested_at LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: pending requests: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (PendingRow, error) {
		var p PendingRow
		err := r.Scan(&p.ID, &p.CaseID, &p.RequestedAt)
		return p, err
	})
}
