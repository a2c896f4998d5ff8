package store

// Reading a case (its snapshot, or its replayed history) and the stored events: their canonical form, salts and hash chain.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/chain"
	"github.com/leakdesk/leakdesk/internal/incident"
)

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
