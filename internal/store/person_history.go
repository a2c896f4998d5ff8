package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Every change to the register writes person_history rows (migration 00071, by trigger): the row
// before and after as stored — ciphertext and keyed hashes, never plaintext — who, when and why.
// The writer states who and why in its transaction; the trigger refuses a change that does not.

type personChangeKey struct{}

type personChange struct {
	actorID int64
	reason  string
}

// WithPersonChange names who changes the register in ctx and, optionally, why in their own words;
// the store's register writes record it in person_history (with what the write was).
func WithPersonChange(ctx context.Context, actorID int64, reason string) context.Context {
	return context.WithValue(ctx, personChangeKey{}, personChange{actorID: actorID, reason: strings.TrimSpace(reason)})
}

// stampPersonChange tells the history trigger who (actorID, else the one ctx names; 0 = the
// system) makes the transaction's register changes and why (what, plus the reason ctx carries).
func stampPersonChange(ctx context.Context, tx pgx.Tx, actorID int64, what string) error {
	pc, _ := ctx.Value(personChangeKey{}).(personChange)
	if actorID == 0 {
		actorID = pc.actorID
	}
	reason := what
	if pc.reason != "" {
		reason += "：" + pc.reason
	}
	actor := ""
	if actorID != 0 {
		actor = strconv.FormatInt(actorID, 10)
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('leakdesk.actor', $1, true), set_config('leakdesk.person_reason', $2, true)`, actor, reason); err != nil {
		return fmt.Errorf("store: person history: %w", err)
	}
	return nil
}

// PersonChange is one row of person_history.
type PersonChange struct {
	ID        int64           `json:"id"`
	PersonID  int64           `json:"person_id"`
	CaseID    int64           `json:"case_id"`
	Op        string          `json:"op"` // insert, update
	ActorID   int64           `json:"actor_id"`
	ActorName string          `json:"actor_name"`
	At        time.Time       `json:"at"`
	Reason    string          `json:"reason"`
	Changed   []string        `json:"changed"` // the columns that differ (all of them for an insert)
	Old       json.RawMessage `json:"old,omitempty"`
	New       json.RawMessage `json:"new"`
}

// bookkeeping columns that change with every write and say nothing on their own.
var historyNoise = map[string]bool{"version": true, "updated_at": true}

// PersonHistory returns a case's register changes, oldest first (at most limit; 0 = all).
func (s *Store) PersonHistory(ctx context.Context, caseID int64, limit int) ([]PersonChange, error) {
	q := `SELECT h.id, h.person_id, h.case_id, h.op, COALESCE(h.actor_id, 0), COALESCE(u.name, ''), h.at, h.reason, h.old_row, h.new_row
		FROM person_history h LEFT JOIN users u ON u.id = h.actor_id WHERE h.case_id = $1 ORDER BY h.id`
	args := []any{caseID}
	if limit > 0 {
		q += ` LIMIT $2`
		args = append(args, limit)
	}
	rows, err := s.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: person history: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PersonChange, error) {
		var c PersonChange
		var oldRow, newRow []byte
		if err := r.Scan(&c.ID, &c.PersonID, &c.CaseID, &c.Op, &c.ActorID, &c.ActorName, &c.At, &c.Reason, &oldRow, &newRow); err != nil {
			return c, err
		}
		c.At = c.At.UTC()
		c.New = newRow
		if oldRow != nil {
			c.Old = oldRow
		}
		var o, n map[string]json.RawMessage
		if err := json.Unmarshal(newRow, &n); err != nil {
			return c, err
		}
		if oldRow != nil {
			if err := json.Unmarshal(oldRow, &o); err != nil {
				return c, err
			}
		}
		for k, v := range n {
			if historyNoise[k] || (o != nil && string(o[k]) == string(v)) {
				continue
			}
			c.Changed = append(c.Changed, k)
		}
		sort.Strings(c.Changed)
		return c, nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: person history: %w", err)
	}
	return out, nil
}
