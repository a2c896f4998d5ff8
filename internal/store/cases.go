package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/chain"
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

// GetCase reads a case from its snapshot: one row, no replay. The snapshot is what the replay of
// the history gives (the write path builds it from the stored events; CheckSnapshots proves it in
// the tests); a row from before snapshots is replayed. ReplayCase is the auditor's reading.
func (s *Store) GetCase(ctx context.Context, caseID int64) (*incident.Case, error) {
	var format int16
	var state []byte
	err := s.Pool.QueryRow(ctx, `SELECT state_format, state FROM cases WHERE id = $1`, caseID).Scan(&format, &state)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, incident.NotFound("案件が見つかりません。", "Case not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("store: read case: %w", err)
	}
	if format != snapshotFormat {
		return s.ReplayCase(ctx, caseID)
	}
	c, err := incident.DecodeSnapshot(state)
	if err != nil {
		return nil, fmt.Errorf("store: case %d: %w", caseID, err)
	}
	return c, nil
}

// ReplayCase rebuilds a case from its history (the source of truth; the snapshot in the case row
// is derived from it), for readers who must not trust the derived row.
func (s *Store) ReplayCase(ctx context.Context, caseID int64) (*incident.Case, error) {
	c, _, err := s.GetCaseHistory(ctx, caseID)
	return c, err
}

// GetCaseHistory is GetCase that also returns the events it replayed, with their hashes: the case
// page shows the timeline and would otherwise read and decode the same rows a second time.
func (s *Store) GetCaseHistory(ctx context.Context, caseID int64) (*incident.Case, []StoredEvent, error) {
	events, stored, err := loadStored(ctx, s.Pool, caseID)
	if err != nil {
		return nil, nil, err
	}
	if len(events) == 0 {
		return nil, nil, incident.NotFound("案件が見つかりません。", "Case not found.")
	}
	c, err := incident.Replay(events)
	if err != nil {
		return nil, nil, err
	}
	return c, stored, nil
}

// CaseEvents returns a case's whole history with hashes, for the timeline and the API.
func (s *Store) CaseEvents(ctx context.Context, caseID int64) ([]StoredEvent, error) {
	_, stored, err := loadStored(ctx, s.Pool, caseID)
	return stored, err
}

// StoredEvent is an event as stored, with its chain links. The embedded Event is what the domain
// replays: its payload without the salt, which is kept in Salt ("" for events stored before salts).
type StoredEvent struct {
	incident.Event
	PrevHash []byte
	Hash     []byte
	Salt     string
}

// Hashed is the event exactly as hashed: the payload with its salt, for verifiers and for readers
// who may recompute the hash (incident.ShownPayload decides who gets it).
func (e StoredEvent) Hashed() incident.Event {
	if e.Salt == "" {
		return e.Event
	}
	p := make(map[string]any, len(e.Payload)+1)
	for k, v := range e.Payload {
		p[k] = v
	}
	p[incident.SaltKey] = e.Salt
	out := e.Event
	out.Payload = p
	return out
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func scanStoredEvent(r pgx.CollectableRow) (StoredEvent, error) {
	var e StoredEvent
	var payload []byte
	if err := r.Scan(&e.Seq, &e.Type, &e.ActorID, &e.At, &payload, &e.PrevHash, &e.Hash); err != nil {
		return e, err
	}
	p, err := decodePayload(payload)
	if err != nil {
		return e, err
	}
	if salt, ok := p[incident.SaltKey].(string); ok {
		e.Salt = salt
		delete(p, incident.SaltKey)
	}
	e.Payload = p
	e.At = e.At.UTC()
	return e, nil
}

func loadEvents(ctx context.Context, q querier, caseID int64) ([]incident.Event, *StoredEvent, error) {
	events, stored, err := loadStored(ctx, q, caseID)
	if err != nil || len(stored) == 0 {
		return events, nil, err
	}
	return events, &stored[len(stored)-1], nil
}

// loadStored reads a case's events in order, as the domain replays them and as stored.
func loadStored(ctx context.Context, q querier, caseID int64) ([]incident.Event, []StoredEvent, error) {
	rows, err := q.Query(ctx, `SELECT seq, type, COALESCE(actor_id, 0), at, payload, prev_hash, hash
		FROM case_events WHERE case_id = $1 ORDER BY seq`, caseID)
	if err != nil {
		return nil, nil, fmt.Errorf("store: load events: %w", err)
	}
	stored, err := pgx.CollectRows(rows, scanStoredEvent)
	if err != nil {
		return nil, nil, fmt.Errorf("store: load events: %w", err)
	}
	events := make([]incident.Event, len(stored))
	for i := range stored {
		events[i] = stored[i].Event
	}
	return events, stored, nil
}

// decodePayload reads a stored payload with numbers kept exact (json.Number), the same form the
// canonical bytes were computed from when the event was written.
func decodePayload(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var p map[string]any
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("store: decode payload: %w", err)
	}
	if p == nil {
		p = map[string]any{}
	}
	return p, nil
}

// canonicalForm turns a payload into what will be stored and read back (JSON with exact numbers),
// so that the hash computed now is the hash a verifier recomputes from the row later.
//
// Every event gets a fresh random salt in its payload (incident.SaltKey) before it is hashed: a
// reader shown a redacted payload and the hash could otherwise find the redacted value by hashing
// each option of its list. Events stored before salts keep their unsalted payloads and hashes.
func canonicalForm(e incident.Event) (incident.Event, []byte, error) {
	salted := make(map[string]any, len(e.Payload)+1)
	for k, v := range e.Payload {
		salted[k] = v
	}
	if _, ok := salted[incident.SaltKey]; !ok {
		salt := make([]byte, 16)
		if _, err := rand.Read(salt); err != nil {
			return e, nil, fmt.Errorf("store: event salt: %w", err)
		}
		salted[incident.SaltKey] = hex.EncodeToString(salt)
	}
	e.Payload = salted
	raw, err := json.Marshal(e.Payload)
	if err != nil {
		return e, nil, fmt.Errorf("store: encode payload of %s: %w", e.Type, err)
	}
	p, err := decodePayload(raw)
	if err != nil {
		return e, nil, err
	}
	e.Payload = p
	e.At = Now(e.At)
	return e, raw, nil
}

// eventInsertCols are the columns an event is written with: canon is the exact bytes hashed into
// the chain, kept so that verification hashes them instead of re-encoding the payload.
var eventInsertCols = []string{"case_id", "seq", "type", "actor_id", "at", "payload", "prev_hash", "hash", "canon"}

// chainEvents computes the stored form of new events after last (nil: the case's first events):
// the rows to copy into case_events, with their hash chain, and the events as a later read gives
// them back (payload decoded from the stored bytes, salt left out, times in microseconds) — what
// the next snapshot is built from.
func chainEvents(caseID int64, last *StoredEvent, events []incident.Event) ([][]any, []incident.Event, error) {
	prev := chain.GenesisPrev
	var prevSeq int64
	if last != nil {
		prev, prevSeq = last.Hash, last.Seq
	}
	rows := make([][]any, 0, len(events))
	stored := make([]incident.Event, 0, len(events))
	for _, e := range events {
		if e.Seq != prevSeq+1 {
			return nil, nil, fmt.Errorf("store: event seq %d does not follow %d", e.Seq, prevSeq)
		}
		ce, raw, err := canonicalForm(e)
		if err != nil {
			return nil, nil, err
		}
		canon, err := ce.Canonical(caseID)
		if err != nil {
			return nil, nil, fmt.Errorf("store: canonical event: %w", err)
		}
		hash := chain.Hash(prev, canon)
		var actor any
		if ce.ActorID != 0 {
			actor = ce.ActorID
		}
		rows = append(rows, []any{caseID, ce.Seq, ce.Type, actor, ce.At, raw, prev, hash, canon})
		prev, prevSeq = hash, ce.Seq
		// As scanStoredEvent reads it back: the payload decoded again (the salted map above is
		// the one that was hashed), without its salt.
		p, err := decodePayload(raw)
		if err != nil {
			return nil, nil, err
		}
		delete(p, incident.SaltKey)
		se := ce
		se.Payload = p
		se.At = ce.At.UTC()
		stored = append(stored, se)
	}
	return rows, stored, nil
}

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

// projection is the case row derived from the aggregate.
func projection(c *incident.Case) (cols []string, vals []any, err error) {
	state, err := incident.EncodeSnapshot(c)
	if err != nil {
		return nil, nil, fmt.Errorf("store: encode projection: %w", err)
	}
	var owner any
	if c.OwnerID != 0 {
		owner = c.OwnerID
	}
	var measureDue any // a date column: COPY needs a time, not text
	if d, perr := time.Parse(time.DateOnly, c.EarliestOpenMeasureDue()); perr == nil {
		measureDue = d
	}
	cols = []string{"number", "title", "status", "drill", "version", "owner_id", "created_by", "created_at", "updated_at",
		"recognized_at", "current_stage", "pending_requests", "next_due_at", "search_text", "state", "involved_ids", "measure_due"}
	vals = []any{c.Number, c.Title, string(c.Status), c.Drill, c.Version, owner, c.CreatedBy, Now(c.CreatedAt), Now(c.UpdatedAt),
		factTime(c.Facts, "recognized_at"), string(CurrentStage(c)), len(c.PendingRequests()), nextDue(c), searchText(c), state,
		c.InvolvedIDs(), measureDue}
	return cols, vals, nil
}

// writeCase sends the fixed statements of a case write as one batch, one round trip instead of one
// per statement: the events (rows from chainEvents), the projection with its snapshot c (inserted
// for an opening, updated otherwise), and the approvals inbox index of c's requests. Their results
// are read in order, so the first failure is reported as the statement's own error and the
// transaction rolls back as before.
func writeCase(ctx context.Context, tx pgx.Tx, c *incident.Case, events [][]any, opening bool) error {
	cols, vals, err := projection(c)
	if err != nil {
		return err
	}
	b := &pgx.Batch{}
	if opening {
		// The case row first: the events refer to it.
		queueInsertProjection(b, c.ID, cols, vals)
	}
	for _, row := range events {
		b.Queue(insertEventSQL, row...)
	}
	if !opening {
		queueUpdateProjection(b, c.ID, cols, vals)
	}
	queueSyncRequests(b, c)
	br := tx.SendBatch(ctx, b)
	if opening {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return fmt.Errorf("store: insert case: %w", err)
		}
	}
	for range events {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return fmt.Errorf("store: append events: %w", err)
		}
	}
	if !opening {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return fmt.Errorf("store: update case: %w", err)
		}
	}
	for _, r := range c.Requests {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return fmt.Errorf("store: sync request %d: %w", r.ID, err)
		}
	}
	if err := br.Close(); err != nil {
		return fmt.Errorf("store: write case: %w", err)
	}
	return nil
}

// insertEventSQL appends one event with the columns of eventInsertCols.
var insertEventSQL = func() string {
	ph := make([]string, len(eventInsertCols))
	for i := range ph {
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	return `INSERT INTO case_events (` + strings.Join(eventInsertCols, ", ") + `) VALUES (` + strings.Join(ph, ", ") + `)`
}()

func queueInsertProjection(b *pgx.Batch, id int64, cols []string, vals []any) {
	ph := make([]string, len(cols)+1)
	for i := range ph {
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	b.Queue(`INSERT INTO cases (state_format, id, `+strings.Join(cols, ", ")+`) VALUES ($`+fmt.Sprint(len(ph)+1)+`, `+strings.Join(ph, ", ")+`)`,
		append(append([]any{id}, vals...), snapshotFormat)...)
}

func queueUpdateProjection(b *pgx.Batch, id int64, cols []string, vals []any) {
	set := make([]string, len(cols))
	for i, col := range cols {
		set[i] = fmt.Sprintf("%s = $%d", col, i+2)
	}
	b.Queue(`UPDATE cases SET state_format = `+fmt.Sprint(snapshotFormat)+`, `+strings.Join(set, ", ")+` WHERE id = $1`, append([]any{id}, vals...)...)
}

// queueSyncRequests keeps the approvals inbox index in step with the aggregate's requests: one
// statement per request, a no-op for those whose state did not change.
func queueSyncRequests(b *pgx.Batch, c *incident.Case) {
	for _, r := range c.Requests {
		var decided any
		if !r.DecidedAt.IsZero() {
			decided = Now(r.DecidedAt)
		}
		b.Queue(`INSERT INTO case_requests (id, case_id, stage, kind, state, requested_by, requested_at, decided_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, decided_at = EXCLUDED.decided_at
			WHERE case_requests.state IS DISTINCT FROM EXCLUDED.state`,
			r.ID, c.ID, string(r.Stage), string(r.Kind), string(r.State), r.RequestedBy, Now(r.RequestedAt), decided)
	}
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

// CurrentStage is the stage shown for a case in lists: the first stage in display order still being
// worked on, or the last stage when all are finished.
func CurrentStage(c *incident.Case) incident.Stage {
	for _, st := range incident.Stages {
		switch c.StateOf(st) {
		case incident.StateInProgress, incident.StateAwaitingApproval:
			return st
		}
	}
	return incident.Stages[len(incident.Stages)-1]
}

func factTime(f incident.Facts, key string) any {
	s, _ := f[key].(string)
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil
	}
	return t
}

// nextDue reads the earliest open deadline from the latest assessment payload (written by the law
// engine as {"deadlines": [{"due_at": RFC3339, "met": bool}, ...]}).
func nextDue(c *incident.Case) any {
	if c.Status != incident.StatusOpen || c.Assessment == nil {
		return nil
	}
	list, _ := c.Assessment["deadlines"].([]any)
	var best time.Time
	for _, x := range list {
		m, _ := x.(map[string]any)
		if m == nil {
			continue
		}
		if met, _ := m["met"].(bool); met {
			continue
		}
		s, _ := m["due_at"].(string)
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			continue
		}
		if best.IsZero() || t.Before(best) {
			best = t
		}
	}
	if best.IsZero() {
		return nil
	}
	return best
}

// searchText is what the case search matches: number, title and the free-text facts.
func searchText(c *incident.Case) string {
	parts := []string{c.Number, c.Title}
	for _, f := range incident.Fields() {
		if f.Kind != incident.KindText && f.Kind != incident.KindLongText {
			continue
		}
		if f.Restricted {
			continue // discipline notes must not become findable by everyone who can search
		}
		if s, ok := c.Facts[f.Name].(string); ok && s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "\n")
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
