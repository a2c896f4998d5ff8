package reminder

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// indexRow is one deadline as the index stores it.
type indexRow struct {
	Kind, Due        string
	DueAt            time.Time
	MetAt            *time.Time
	Basis            string
	LabelJA, LabelEN string
}

// payloadDeadlines reads the deadlines of an assessment_changed payload (built by
// casework.AssessmentPayload, in memory or decoded from JSON): kind, due, due_at (RFC 3339), met.
func payloadDeadlines(p map[string]any) []indexRow {
	list, _ := p["deadlines"].([]any)
	var out []indexRow
	for _, x := range list {
		m, _ := x.(map[string]any)
		if m == nil {
			continue
		}
		kind, _ := m["kind"].(string)
		due, _ := m["due"].(string)
		dueAt, err := time.Parse(time.RFC3339, fmt.Sprint(m["due_at"]))
		if kind == "" || err != nil {
			continue
		}
		met, _ := m["met"].(bool)
		r := indexRow{Kind: kind, Due: due, DueAt: dueAt.UTC()}
		if met {
			t := time.Time{}
			r.MetAt = &t // filled below
		}
		out = append(out, r)
	}
	return out
}

// syncIndex rewrites the case's rows of case_deadlines from the latest recorded assessment (the
// payload of the newest assessment_changed event, c.Assessment). Due times come from that payload
// only — the index never computes a deadline the history does not hold (domain.md §3.6); the law
// engine is re-run on the same facts only for the texts the payload leaves out (legal basis,
// labels) and for the completion time of met deadlines. It reports whether rows were written.
func syncIndex(ctx context.Context, tx pgx.Tx, c *incident.Case, seq int64, law appi.Options, now time.Time) error {
	rows := indexRows(c, law, now)
	kinds := make([]string, 0, len(rows))
	for _, r := range rows {
		kinds = append(kinds, r.Kind)
		var owner any
		if c.OwnerID != 0 {
			owner = c.OwnerID
		}
		_, err := tx.Exec(ctx, `INSERT INTO case_deadlines (case_id, kind, due_at, due, met_at, basis, label_ja, label_en, drill, case_open, owner_id, event_seq, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (case_id, kind) DO UPDATE SET due_at = EXCLUDED.due_at, due = EXCLUDED.due, met_at = EXCLUDED.met_at,
				basis = EXCLUDED.basis, label_ja = EXCLUDED.label_ja, label_en = EXCLUDED.label_en, drill = EXCLUDED.drill,
				case_open = EXCLUDED.case_open, owner_id = EXCLUDED.owner_id, event_seq = EXCLUDED.event_seq, updated_at = EXCLUDED.updated_at`,
			c.ID, r.Kind, r.DueAt, r.Due, r.MetAt, r.Basis, r.LabelJA, r.LabelEN, c.Drill, c.Status == incident.StatusOpen, owner, seq, now.UTC())
		if err != nil {
			return fmt.Errorf("reminder: index deadline %s of case %d: %w", r.Kind, c.ID, err)
		}
	}
	// A deadline the latest assessment no longer has (the case was found not reportable, say) leaves
	// the index; its history stays in the assessment_changed events.
	if _, err := tx.Exec(ctx, `DELETE FROM case_deadlines WHERE case_id = $1 AND NOT (kind = ANY($2))`, c.ID, kinds); err != nil {
		return fmt.Errorf("reminder: prune deadlines of case %d: %w", c.ID, err)
	}
	return nil
}

// indexRows is what syncIndex writes for the case's latest assessment at now: the payload's due
// times, with the law engine's texts and completion times.
func indexRows(c *incident.Case, law appi.Options, now time.Time) []indexRow {
	rows := payloadDeadlines(c.Assessment)
	a := appi.Assess(c.Facts, law, now)
	for i := range rows {
		r := &rows[i]
		d, ok := a.Deadline(r.Kind)
		if ok {
			r.Basis, r.LabelJA, r.LabelEN = d.Basis, d.LabelJA, d.LabelEN
		} else {
			r.LabelJA, r.LabelEN = r.Kind, r.Kind
		}
		if r.MetAt != nil {
			t := now.UTC()
			if ok && d.CompletedAt != nil {
				t = d.CompletedAt.UTC()
			}
			r.MetAt = &t
		}
	}
	return rows
}

// IndexRow is one row of case_deadlines as the case hook writes it (for `leakdesk dev seed`, which
// writes the index with COPY instead of through the hook).
type IndexRow struct {
	Kind, Due        string
	DueAt            time.Time
	MetAt            *time.Time
	Basis            string
	LabelJA, LabelEN string
}

// IndexRows returns the rows the case hook would write for c's latest assessment at now.
func IndexRows(c *incident.Case, law appi.Options, now time.Time) []IndexRow {
	rows := indexRows(c, law, now)
	out := make([]IndexRow, len(rows))
	for i, r := range rows {
		out[i] = IndexRow(r)
	}
	return out
}

// syncCaseColumns keeps the per-case columns (open, owner, drill) current after changes that do not
// touch the assessment (closing, reopening, a new handler).
func syncCaseColumns(ctx context.Context, tx pgx.Tx, c *incident.Case) error {
	var owner any
	if c.OwnerID != 0 {
		owner = c.OwnerID
	}
	_, err := tx.Exec(ctx, `UPDATE case_deadlines SET case_open = $2, owner_id = $3, drill = $4
		WHERE case_id = $1 AND (case_open IS DISTINCT FROM $2 OR owner_id IS DISTINCT FROM $3 OR drill IS DISTINCT FROM $4)`,
		c.ID, c.Status == incident.StatusOpen, owner, c.Drill)
	if err != nil {
		return fmt.Errorf("reminder: sync case %d: %w", c.ID, err)
	}
	return nil
}

// openDeadlines returns the unmet deadlines of an open case, for scheduling.
func openDeadlines(ctx context.Context, tx pgx.Tx, caseID int64) ([]indexRow, error) {
	rows, err := tx.Query(ctx, `SELECT kind, due, due_at FROM case_deadlines WHERE case_id = $1 AND met_at IS NULL AND case_open`, caseID)
	if err != nil {
		return nil, fmt.Errorf("reminder: open deadlines: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (indexRow, error) {
		var x indexRow
		err := r.Scan(&x.Kind, &x.Due, &x.DueAt)
		x.DueAt = x.DueAt.UTC()
		return x, err
	})
}
