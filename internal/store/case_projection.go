package store

// The case row (cases) is a projection of the aggregate: the columns lists, filters and the dashboard read, derived from the case, and the batched statements that write it with the events.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/incident"
)

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
		"recognized_at", "current_stage", "pending_requests", "next_due_at", "search_text", "state", "involved_ids", "measure_due", "rules_version"}
	vals = []any{c.Number, c.Title, string(c.Status), c.Drill, c.Version, owner, c.CreatedBy, Now(c.CreatedAt), Now(c.UpdatedAt),
		factTime(c.Facts, "recognized_at"), string(CurrentStage(c)), len(c.PendingRequests()), nextDue(c), searchText(c), state,
		c.InvolvedIDs(), measureDue, c.Rules().Version}
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
