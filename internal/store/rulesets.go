package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/chain"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// The rule book's versions (issue 16, migration 00160): rule_versions holds each drafted version's
// canonical JSON, hash, effect date and state; rule_events is their history as one hash chain.
// What may happen (who approves, four eyes, the yearly review) is the caller's decide function's
// to say (casework/rulebook.go, deciding by incident/rulebook.go); this file only stores it, one
// transaction per change, under one advisory lock so the chain has one writer.

// Rule version states.
const (
	RuleStateDraft     = "draft"
	RuleStateApproved  = "approved"
	RuleStateWithdrawn = "withdrawn"
)

// Rule event kinds (rule_events.kind).
const (
	RuleEventDrafted   = "drafted"
	RuleEventApproved  = "approved"  // one approver's approval (detail.role)
	RuleEventInForce   = "in_force"  // the last approval: the version takes effect on its date
	RuleEventWithdrawn = "withdrawn" // a draft given up (detail.reason)
	RuleEventReviewed  = "reviewed"  // yearly review: 見直し済み・変更なし (detail.role, detail.note)
)

// RuleVersion is one stored version (2, 3, …; version 1 is built in and has no row).
type RuleVersion struct {
	Version     int
	EffectiveOn time.Time // a date (midnight UTC of that calendar date)
	Title       string
	Document    []byte // canonical JSON
	Hash        string
	BasedOn     int
	State       string
	DraftedBy   int64
	DrafterName string
	DraftedAt   time.Time
	DecidedAt   *time.Time
	Approvals   []RuleApproval
}

// RuleApproval is one approval of a version.
type RuleApproval struct {
	Role   string
	UserID int64
	Name   string
	At     time.Time
}

// RuleEvent is one link of the rule book's chain.
type RuleEvent struct {
	Seq       int64
	At        time.Time
	ActorID   int64
	ActorName string
	Kind      string
	Version   int
	Detail    map[string]any
	PrevHash  []byte
	Hash      []byte
}

// Canonical is the canonical JSON the event's hash covers: everything but the actor's name and the
// hashes themselves.
func (e RuleEvent) Canonical() ([]byte, error) {
	detail := e.Detail
	if detail == nil {
		detail = map[string]any{}
	}
	return chain.Canonical(map[string]any{"seq": e.Seq, "at": e.At.UTC().Format(time.RFC3339Nano), "actor_id": e.ActorID,
		"kind": e.Kind, "version": e.Version, "detail": detail})
}

// ErrRuleDateTaken is returned when another live version already takes effect on the date.
var ErrRuleDateTaken = incident.Conflict("同じ施行日の版がすでにあります。別の施行日にするか、その版を取り下げてください。",
	"Another version already takes effect on that date: choose another date or withdraw that version.")

const ruleLock = 7310016

func lockRules(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, ruleLock); err != nil {
		return fmt.Errorf("store: rules lock: %w", err)
	}
	return nil
}

// appendRuleEvent chains e after the newest event and inserts it (the caller holds the lock).
func appendRuleEvent(ctx context.Context, tx pgx.Tx, e RuleEvent) (RuleEvent, error) {
	var seq int64
	var prev []byte
	err := tx.QueryRow(ctx, `SELECT seq, hash FROM rule_events ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		seq, prev = 0, chain.GenesisPrev
	case err != nil:
		return e, fmt.Errorf("store: rule chain head: %w", err)
	}
	e.Seq, e.PrevHash, e.At = seq+1, prev, Now(e.At)
	// The detail goes through JSON once so that what is hashed is what is read back.
	raw, err := json.Marshal(e.Detail)
	if err != nil {
		return e, fmt.Errorf("store: rule event detail: %w", err)
	}
	if e.Detail, err = decodeDetail(raw); err != nil {
		return e, err
	}
	canon, err := e.Canonical()
	if err != nil {
		return e, fmt.Errorf("store: rule event canonical: %w", err)
	}
	e.Hash = chain.Hash(e.PrevHash, canon)
	if _, err := tx.Exec(ctx, `INSERT INTO rule_events (seq, at, actor_id, kind, version, detail, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, e.Seq, e.At, e.ActorID, e.Kind, e.Version, raw, e.PrevHash, e.Hash); err != nil {
		return e, fmt.Errorf("store: append rule event: %w", err)
	}
	return e, nil
}

func decodeDetail(raw []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("store: rule event detail: %w", err)
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// RuleDraft is what a new version is stored with; Build makes it once the number is known (a
// version's number is in its document, so its hash depends on it).
type RuleDraft struct {
	Document    []byte
	Hash        string
	Title       string
	EffectiveOn time.Time
	BasedOn     int
}

// DraftRuleVersion numbers the next version (the highest stored + 1, at least 2), lets build make
// it and stores it as a draft with its drafted event. A date another live version takes effect on
// returns ErrRuleDateTaken; build's error is returned as it is. Nothing is stored on any error.
func (s *Store) DraftRuleVersion(ctx context.Context, at time.Time, actorID int64, build func(version int) (RuleDraft, error)) (int, error) {
	var version int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockRules(ctx, tx); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT COALESCE(max(version), 1) + 1 FROM rule_versions`).Scan(&version); err != nil {
			return fmt.Errorf("store: next rule version: %w", err)
		}
		d, err := build(version)
		if err != nil {
			return err
		}
		at = Now(at)
		if _, err := tx.Exec(ctx, `INSERT INTO rule_versions (version, effective_on, title, document, hash, based_on, drafted_by, drafted_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, version, d.EffectiveOn, d.Title, d.Document, d.Hash, d.BasedOn, actorID, at); err != nil {
			// The only unique key a new row can break: one live version per effect date
			// (rule_versions_effective_on); the number is chosen under the lock.
			if isUniqueViolation(err) {
				return ErrRuleDateTaken
			}
			return fmt.Errorf("store: draft rule version: %w", err)
		}
		_, err = appendRuleEvent(ctx, tx, RuleEvent{At: at, ActorID: actorID, Kind: RuleEventDrafted, Version: version,
			Detail: map[string]any{"hash": d.Hash, "effective_on": d.EffectiveOn.Format(time.DateOnly), "title": d.Title, "based_on": d.BasedOn}})
		return err
	})
	if err != nil {
		return 0, err
	}
	return version, nil
}

// RuleDecision is what a decide function returns for a change to a version: the events to append
// (their At, ActorID and Version are filled in) and the new state ("" = unchanged).
type RuleDecision struct {
	Events []RuleEvent
	State  string
}

// DecideRuleVersion locks the rule book, loads version (with its approvals) and appends what
// decide returns, in one transaction. decide's error is returned as it is; nothing is stored then.
func (s *Store) DecideRuleVersion(ctx context.Context, at time.Time, actorID int64, version int, decide func(v RuleVersion) (RuleDecision, error)) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockRules(ctx, tx); err != nil {
			return err
		}
		v, err := ruleVersion(ctx, tx, version)
		if err != nil {
			return err
		}
		d, err := decide(v)
		if err != nil {
			return err
		}
		at = Now(at)
		for _, e := range d.Events {
			e.At, e.ActorID, e.Version = at, actorID, version
			if _, err := appendRuleEvent(ctx, tx, e); err != nil {
				return err
			}
		}
		if d.State != "" && d.State != v.State {
			if _, err := tx.Exec(ctx, `UPDATE rule_versions SET state = $2, decided_at = $3 WHERE version = $1`, version, d.State, at); err != nil {
				return fmt.Errorf("store: rule version state: %w", err)
			}
		}
		return nil
	})
}

// RecordRuleEvent appends one event that changes no version (the yearly review), under the lock.
func (s *Store) RecordRuleEvent(ctx context.Context, e RuleEvent) (RuleEvent, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockRules(ctx, tx); err != nil {
			return err
		}
		var err error
		e, err = appendRuleEvent(ctx, tx, e)
		return err
	})
	return e, err
}

const ruleVersionCols = `v.version, v.effective_on, v.title, v.document, v.hash, v.based_on, v.state, v.drafted_by, COALESCE(u.name, ''), v.drafted_at, v.decided_at`

func scanRuleVersion(r pgx.CollectableRow) (RuleVersion, error) {
	var v RuleVersion
	err := r.Scan(&v.Version, &v.EffectiveOn, &v.Title, &v.Document, &v.Hash, &v.BasedOn, &v.State, &v.DraftedBy, &v.DrafterName, &v.DraftedAt, &v.DecidedAt)
	v.DraftedAt = v.DraftedAt.UTC()
	if v.DecidedAt != nil {
		t := v.DecidedAt.UTC()
		v.DecidedAt = &t
	}
	return v, err
}

func ruleVersion(ctx context.Context, q querier, version int) (RuleVersion, error) {
	rows, err := q.Query(ctx, `SELECT `+ruleVersionCols+` FROM rule_versions v LEFT JOIN users u ON u.id = v.drafted_by WHERE v.version = $1`, version)
	if err != nil {
		return RuleVersion{}, fmt.Errorf("store: rule version: %w", err)
	}
	v, err := pgx.CollectExactlyOneRow(rows, scanRuleVersion)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, incident.NotFound("その版は見つかりません。", "No such rule version.")
	}
	if err != nil {
		return v, fmt.Errorf("store: rule version: %w", err)
	}
	aps, err := ruleApprovals(ctx, q, version)
	v.Approvals = aps[version]
	return v, err
}

func ruleApprovals(ctx context.Context, q querier, version int) (map[int][]RuleApproval, error) {
	rows, err := q.Query(ctx, `SELECT e.version, e.detail->>'role', e.actor_id, COALESCE(u.name, ''), e.at FROM rule_events e
		LEFT JOIN users u ON u.id = e.actor_id WHERE e.kind = 'approved' AND ($1 = 0 OR e.version = $1) ORDER BY e.seq`, version)
	if err != nil {
		return nil, fmt.Errorf("store: rule approvals: %w", err)
	}
	out := map[int][]RuleApproval{}
	for rows.Next() {
		var v int
		var a RuleApproval
		if err := rows.Scan(&v, &a.Role, &a.UserID, &a.Name, &a.At); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: rule approvals: %w", err)
		}
		a.At = a.At.UTC()
		out[v] = append(out[v], a)
	}
	return out, rows.Err()
}

// RuleVersion returns one stored version with its approvals (not_found for none).
func (s *Store) RuleVersion(ctx context.Context, version int) (RuleVersion, error) {
	return ruleVersion(ctx, s.Pool, version)
}

// RuleVersions returns every stored version, newest first, with their approvals.
func (s *Store) RuleVersions(ctx context.Context) ([]RuleVersion, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+ruleVersionCols+` FROM rule_versions v LEFT JOIN users u ON u.id = v.drafted_by ORDER BY v.version DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: rule versions: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanRuleVersion)
	if err != nil {
		return nil, fmt.Errorf("store: rule versions: %w", err)
	}
	aps, err := ruleApprovals(ctx, s.Pool, 0)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Approvals = aps[out[i].Version]
	}
	return out, nil
}

// RuleEvents returns the rule book's chain in order.
func (s *Store) RuleEvents(ctx context.Context) ([]RuleEvent, error) {
	rows, err := s.Pool.Query(ctx, `SELECT e.seq, e.at, e.actor_id, COALESCE(u.name, ''), e.kind, e.version, e.detail, e.prev_hash, e.hash
		FROM rule_events e LEFT JOIN users u ON u.id = e.actor_id ORDER BY e.seq`)
	if err != nil {
		return nil, fmt.Errorf("store: rule events: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RuleEvent, error) {
		var e RuleEvent
		var raw []byte
		if err := r.Scan(&e.Seq, &e.At, &e.ActorID, &e.ActorName, &e.Kind, &e.Version, &raw, &e.PrevHash, &e.Hash); err != nil {
			return e, err
		}
		e.At = e.At.UTC()
		var err error
		e.Detail, err = decodeDetail(raw)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: rule events: %w", err)
	}
	return out, nil
}

// VerifyRuleEvents recomputes the rule book's chain (chain.Verify): ok, or the first bad seq and why.
func (s *Store) VerifyRuleEvents(ctx context.Context) (ok bool, firstBad int64, reason string, err error) {
	evs, err := s.RuleEvents(ctx)
	if err != nil {
		return false, 0, "", err
	}
	links := make([]chain.Link, 0, len(evs))
	for _, e := range evs {
		canon, err := e.Canonical()
		if err != nil {
			return false, e.Seq, "event cannot be canonicalised", nil
		}
		links = append(links, chain.Link{Seq: e.Seq, Canonical: canon, PrevHash: e.PrevHash, Hash: e.Hash})
	}
	ok, firstBad, reason = chain.Verify(links)
	return ok, firstBad, reason, nil
}

// LastRuleReview is when the rule book was last approved or reviewed unchanged (the yearly
// review's clock starts there); zero when never.
func (s *Store) LastRuleReview(ctx context.Context) (time.Time, error) {
	var at *time.Time
	if err := s.Pool.QueryRow(ctx, `SELECT max(at) FROM rule_events WHERE kind IN ('in_force', 'reviewed')`).Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("store: last rule review: %w", err)
	}
	if at == nil {
		return time.Time{}, nil
	}
	return at.UTC(), nil
}

// RuleVersionInForce returns the approved version with the latest effect date on or before day (a
// calendar date); ok is false when none is (version 1 is then in force).
func (s *Store) RuleVersionInForce(ctx context.Context, day time.Time) (v RuleVersion, ok bool, err error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+ruleVersionCols+` FROM rule_versions v LEFT JOIN users u ON u.id = v.drafted_by
		WHERE v.state = 'approved' AND v.effective_on <= $1 ORDER BY v.effective_on DESC LIMIT 1`, day)
	if err != nil {
		return v, false, fmt.Errorf("store: rule version in force: %w", err)
	}
	v, err = pgx.CollectExactlyOneRow(rows, scanRuleVersion)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, false, nil
	}
	if err != nil {
		return v, false, fmt.Errorf("store: rule version in force: %w", err)
	}
	return v, true, nil
}

// CompileRuleVersion compiles a stored version for the engine and registers it
// (incident.RegisterRules), checking that its document still has the hash it was approved with.
func CompileRuleVersion(v RuleVersion) (*incident.Rules, error) {
	r, err := incident.LoadRules(v.Document)
	if err != nil {
		return nil, fmt.Errorf("store: rule version %d does not compile: %w", v.Version, err)
	}
	if r.Version != v.Version || r.Hash != v.Hash {
		return nil, fmt.Errorf("store: rule version %d: document is version %d with hash %s, stored hash %s", v.Version, r.Version, r.Hash, v.Hash)
	}
	if err := incident.RegisterRules(r); err != nil {
		return nil, fmt.Errorf("store: register rule version %d: %w", v.Version, err)
	}
	return r, nil
}

// RegisterRuleVersions compiles and registers every approved version, so that cases pinning them
// load and replay (serve at start-up, the command-line tools that read cases). It returns how
// many versions it registered. Before migration 00160 has run there is nothing to register.
func (s *Store) RegisterRuleVersions(ctx context.Context) (int, error) {
	var exists bool
	if err := s.Pool.QueryRow(ctx, `SELECT to_regclass('rule_versions') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("store: rule versions table: %w", err)
	}
	if !exists {
		return 0, nil
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+ruleVersionCols+` FROM rule_versions v LEFT JOIN users u ON u.id = v.drafted_by
		WHERE v.state = 'approved' ORDER BY v.version`)
	if err != nil {
		return 0, fmt.Errorf("store: approved rule versions: %w", err)
	}
	vs, err := pgx.CollectRows(rows, scanRuleVersion)
	if err != nil {
		return 0, fmt.Errorf("store: approved rule versions: %w", err)
	}
	for _, v := range vs {
		if _, err := CompileRuleVersion(v); err != nil {
			return 0, err
		}
	}
	return len(vs), nil
}
