package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"golang.org/x/text/unicode/norm"

	"github.com/leakdesk/leakdesk/internal/audit"
	"github.com/leakdesk/leakdesk/internal/chain"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// --- the auditor's case list ---

// AuditFilter narrows the auditor's list of every case. Zero values mean "any".
type AuditFilter struct {
	// Query is matched against number, title and the case's free text (search_text); terms
	// separated by spaces must all match. Any length works, also one or two Japanese characters.
	Query string
	// PeriodField chooses the date the period applies to: "recognized" (recognized_at, falling back
	// to created_at when not recorded) or "created".
	PeriodField string
	From, To    time.Time // [From, To); zero = open
	Status      string
	Stage       string   // current stage
	Route       string   // route, or suspected_route while route is not recorded
	DataItems   []string // any of these data items (or suspected items)
	Reportable  string   // "yes", "no", "undetermined"
	Missed      bool     // at least one deadline missed (done late or open past due) at Now
	Drills      bool     // include training cases (left out by default)
	// ViewerID leaves out the cases the viewer is recorded as involved in (domain.md §5.2): the
	// auditor's desk is a case surface like any other. 0 = no viewer (tools, tests).
	ViewerID int64
	Now      time.Time
	// Keyset cursor: (created_at, id) of the last row of the previous page.
	AfterCreated time.Time
	AfterID      int64
	Limit        int
}

// AuditCaseRow is one line of the auditor's list.
type AuditCaseRow struct {
	ID            int64
	Number        string
	Title         string
	Status        string
	Drill         bool
	Version       int64
	CurrentStage  string
	RecognizedAt  *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Route         string
	Reportability string // appi (or my-number) status of the latest assessment, "" when none
	Missed        int    // deadlines missed as of Now
}

// SearchTerms splits a query into normalised terms (NFKC, lower case), the form the search index
// holds. Empty terms are dropped; at most 8 terms are used.
func SearchTerms(q string) []string {
	q = strings.ToLower(norm.NFKC.String(q))
	terms := strings.FieldsFunc(q, unicode.IsSpace)
	if len(terms) > 8 {
		terms = terms[:8]
	}
	return terms
}

// searchWhere is the text search of the case list and the auditor's list: every word of q must
// occur in the case's search text. The GIN index on search_grams narrows to candidates (pg_trgm
// cannot answer a two-character word such as 漏洩); strpos on the normalised text makes the match
// exact.
func searchWhere(q string, arg func(any) string) []string {
	var where []string
	for _, t := range SearchTerms(q) {
		p := arg(t)
		where = append(where, fmt.Sprintf("c.search_grams @> leakdesk_query_grams(%s) AND strpos(leakdesk_search_norm(c.search_text), %s) > 0", p, p))
	}
	return where
}

// AuditCases lists every case (open and closed) newest first by keyset pagination; no COUNT(*).
func (s *Store) AuditCases(ctx context.Context, f AuditFilter) ([]AuditCaseRow, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	now := f.Now
	if now.IsZero() {
		now = time.Now()
	}
	nowArg := arg(now)
	where = append(where, searchWhere(f.Query, arg)...)
	period := "COALESCE(c.recognized_at, c.created_at)"
	if f.PeriodField == "created" {
		period = "c.created_at"
	}
	if !f.From.IsZero() {
		where = append(where, period+" >= "+arg(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, period+" < "+arg(f.To))
	}
	if f.Status != "" {
		where = append(where, "c.status = "+arg(f.Status))
	}
	if f.Stage != "" {
		where = append(where, "c.current_stage = "+arg(f.Stage))
	}
	if f.Route != "" {
		where = append(where, "COALESCE(c.state->'facts'->>'route', c.state->'facts'->>'suspected_route') = "+arg(f.Route))
	}
	if len(f.DataItems) > 0 {
		where = append(where, "COALESCE(c.state->'facts'->'data_items', c.state->'facts'->'suspected_data_items', '[]'::jsonb) ?| "+arg(f.DataItems))
	}
	const reportable = `(c.state->'assessment'->'appi'->>'status' = 'reportable' OR c.state->'assessment'->'mynumber'->>'status' = 'reportable')`
	switch f.Reportable {
	case "yes":
		where = append(where, reportable)
	case "no":
		where = append(where, "NOT "+reportable+" AND c.state->'assessment'->'appi'->>'status' = 'not_reportable'")
	case "undetermined":
		where = append(where, "NOT COALESCE("+reportable+", false) AND COALESCE(c.state->'assessment'->'appi'->>'status', 'undetermined') = 'undetermined'")
	}
	if f.Missed {
		where = append(where, "leakdesk_missed_deadlines(c.state, "+nowArg+") > 0")
	}
	if !f.Drills {
		where = append(where, "NOT c.drill")
	}
	if f.ViewerID != 0 {
		where = append(where, "NOT ("+arg(f.ViewerID)+"::bigint = ANY(c.involved_ids))")
	}
	if f.AfterID != 0 {
		where = append(where, fmt.Sprintf("(c.created_at, c.id) < (%s, %s)", arg(f.AfterCreated), arg(f.AfterID)))
	}
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	q := `SELECT c.id, c.number, c.title, c.status, c.drill, c.version, c.current_stage, c.recognized_at, c.created_at,
		c.updated_at, COALESCE(c.state->'facts'->>'route', c.state->'facts'->>'suspected_route', ''),
		CASE WHEN ` + reportable + ` THEN 'reportable' ELSE COALESCE(c.state->'assessment'->'appi'->>'status', '') END,
		leakdesk_missed_deadlines(c.state, ` + nowArg + `)
		FROM cases c`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY c.created_at DESC, c.id DESC LIMIT " + arg(limit)
	rows, err := s.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: audit cases: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditCaseRow, error) {
		var c AuditCaseRow
		err := r.Scan(&c.ID, &c.Number, &c.Title, &c.Status, &c.Drill, &c.Version, &c.CurrentStage, &c.RecognizedAt,
			&c.CreatedAt, &c.UpdatedAt, &c.Route, &c.Reportability, &c.Missed)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: audit cases: %w", err)
	}
	return out, nil
}

// AuditHistories loads the histories of the cases whose recognition date (or creation date, when
// not recorded) lies in [from, to), drills only when asked, in one query. Zero times are open ends.
func (s *Store) AuditHistories(ctx context.Context, from, to time.Time, drills bool) ([][]incident.Event, error) {
	hs, _, err := s.AuditHistoriesFor(ctx, from, to, drills, 0)
	return hs, err
}

// AuditHistoriesFor is AuditHistories for a viewer: the cases the viewer is recorded as involved in
// are left out of the histories and only their numbers are returned (withheld), so the review can
// say that a case was withheld without counting or showing it.
func (s *Store) AuditHistoriesFor(ctx context.Context, from, to time.Time, drills bool, viewerID int64) ([][]incident.Event, []string, error) {
	var where []string
	var args []any
	if !from.IsZero() {
		args = append(args, from)
		where = append(where, fmt.Sprintf("COALESCE(c.recognized_at, c.created_at) >= $%d", len(args)))
	}
	if !to.IsZero() {
		args = append(args, to)
		where = append(where, fmt.Sprintf("COALESCE(c.recognized_at, c.created_at) < $%d", len(args)))
	}
	if !drills {
		where = append(where, "NOT c.drill")
	}
	var withheld []string
	if viewerID != 0 {
		wq := `SELECT c.number FROM cases c WHERE ` + strings.Join(append(append([]string(nil), where...), fmt.Sprintf("$%d::bigint = ANY(c.involved_ids)", len(args)+1)), " AND ") + ` ORDER BY c.number`
		rows, err := s.Pool.Query(ctx, wq, append(append([]any(nil), args...), viewerID)...)
		if err != nil {
			return nil, nil, fmt.Errorf("store: audit histories: withheld: %w", err)
		}
		if withheld, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return nil, nil, fmt.Errorf("store: audit histories: withheld: %w", err)
		}
		args = append(args, viewerID)
		where = append(where, fmt.Sprintf("NOT ($%d::bigint = ANY(c.involved_ids))", len(args)))
	}
	q := `SELECT e.case_id, e.seq, e.type, COALESCE(e.actor_id, 0), e.at, e.payload, e.prev_hash, e.hash
		FROM cases c JOIN case_events e ON e.case_id = c.id`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.Pool.Query(ctx, q+" ORDER BY e.case_id, e.seq", args...)
	if err != nil {
		return nil, nil, fmt.Errorf("store: audit histories: %w", err)
	}
	defer rows.Close()
	var out [][]incident.Event
	var cur int64 = -1
	for rows.Next() {
		var cid int64
		var e StoredEvent
		var payload []byte
		if err := rows.Scan(&cid, &e.Seq, &e.Type, &e.ActorID, &e.At, &payload, &e.PrevHash, &e.Hash); err != nil {
			return nil, nil, fmt.Errorf("store: audit histories: %w", err)
		}
		p, err := decodePayload(payload)
		if err != nil {
			return nil, nil, err
		}
		e.Payload, e.At = p, e.At.UTC()
		if cid != cur {
			out = append(out, nil)
			cur = cid
		}
		out[len(out)-1] = append(out[len(out)-1], e.Event)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("store: audit histories: %w", err)
	}
	return out, withheld, nil
}

// UserNames returns the display names of the given users (unknown ids are left out).
func (s *Store) UserNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.Pool.Query(ctx, `SELECT id, name FROM users WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("store: user names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, fmt.Errorf("store: user names: %w", err)
		}
		out[id] = name
	}
	return out, rows.Err()
}

// CaseDocuments returns the documents issued for a case when the documents table exists (it
// belongs to another part of the product), each row as a map without long values (contents);
// ok is false when there is no such table.
func (s *Store) CaseDocuments(ctx context.Context, caseID int64) (docs []map[string]any, ok bool, err error) {
	var exists bool
	if err := s.Pool.QueryRow(ctx, `SELECT to_regclass('case_documents') IS NOT NULL`).Scan(&exists); err != nil {
		return nil, false, fmt.Errorf("store: case documents: %w", err)
	}
	if !exists {
		return nil, false, nil
	}
	rows, err := s.Pool.Query(ctx, `SELECT (SELECT COALESCE(jsonb_object_agg(k, v), '{}'::jsonb) FROM jsonb_each(to_jsonb(d)) AS x(k, v)
			WHERE octet_length(v::text) <= 400)
		FROM case_documents d WHERE d.case_id = $1`, caseID)
	if err != nil {
		return nil, true, fmt.Errorf("store: case documents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, true, fmt.Errorf("store: case documents: %w", err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, true, fmt.Errorf("store: case documents: %w", err)
		}
		docs = append(docs, m)
	}
	return docs, true, rows.Err()
}

// RegisteredNumber returns the case number from the case registry ("" when the case was never
// registered), which still answers when the case row itself is gone.
func (s *Store) RegisteredNumber(ctx context.Context, caseID int64) (string, error) {
	var number string
	err := s.Pool.QueryRow(ctx, `SELECT number FROM case_registry WHERE case_id = $1`, caseID).Scan(&number)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: registered number: %w", err)
	}
	return number, nil
}

// --- review comments and sign-offs ---

// AddAuditComment appends c (validated by audit.NewComment) to its case's comment chain. It never
// touches the case or its history. Errors: not_found when the case does not exist.
func (s *Store) AddAuditComment(ctx context.Context, c audit.Comment) (audit.Comment, error) {
	c.At = Now(c.At)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// One writer per case chain at a time; the primary key catches anything that slips past.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7310003, ($1 % 2147483647)::int)`, c.CaseID); err != nil {
			return fmt.Errorf("store: comment lock: %w", err)
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM cases WHERE id = $1)`, c.CaseID).Scan(&exists); err != nil {
			return fmt.Errorf("store: comment case: %w", err)
		}
		if !exists {
			return incident.NotFound("案件が見つかりません。", "Case not found.")
		}
		var prev *audit.Comment
		var p audit.Comment
		err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_comments WHERE case_id = $1 ORDER BY seq DESC LIMIT 1`, c.CaseID).Scan(&p.Seq, &p.Hash)
		switch {
		case err == nil:
			prev = &p
		case !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("store: comment head: %w", err)
		}
		c, err = c.Chain(prev)
		if err != nil {
			return fmt.Errorf("store: comment canonical: %w", err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_comments (case_id, seq, kind, author_id, at, case_version, body, scope, reviewed_on, prev_hash, hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			c.CaseID, c.Seq, c.Kind, c.AuthorID, c.At, c.CaseVersion, c.Body, c.Scope, c.ReviewedOn, c.PrevHash, c.Hash)
		if err != nil {
			return fmt.Errorf("store: add comment: %w", err)
		}
		return nil
	})
	if err != nil {
		return audit.Comment{}, wrapCaseErr("add audit comment", err)
	}
	return c, nil
}

const commentCols = `c.case_id, c.seq, c.kind, c.author_id, COALESCE(u.name, ''), c.at, c.case_version, c.body, c.scope, c.reviewed_on, c.prev_hash, c.hash`

func scanComment(r pgx.CollectableRow) (audit.Comment, error) {
	var c audit.Comment
	err := r.Scan(&c.CaseID, &c.Seq, &c.Kind, &c.AuthorID, &c.AuthorName, &c.At, &c.CaseVersion, &c.Body, &c.Scope, &c.ReviewedOn, &c.PrevHash, &c.Hash)
	c.At = c.At.UTC()
	return c, err
}

// AuditComments returns a case's comments and sign-offs in chain order.
func (s *Store) AuditComments(ctx context.Context, caseID int64) ([]audit.Comment, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+commentCols+` FROM audit_comments c LEFT JOIN users u ON u.id = c.author_id
		WHERE c.case_id = $1 ORDER BY c.seq`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store: audit comments: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanComment)
	if err != nil {
		return nil, fmt.Errorf("store: audit comments: %w", err)
	}
	return out, nil
}

// VerifyAuditComments recomputes the comment chains of every case (or of one), in one read-only
// snapshot, and stops at the first bad link (Seq is the comment's seq).
func (s *Store) VerifyAuditComments(ctx context.Context, caseID int64) (VerifyResult, error) {
	var res VerifyResult
	err := pgx.BeginTxFunc(ctx, s.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		q := `SELECT ` + commentCols + ` FROM audit_comments c LEFT JOIN users u ON u.id = c.author_id`
		var args []any
		if caseID != 0 {
			q += ` WHERE c.case_id = $1`
			args = append(args, caseID)
		}
		rows, err := tx.Query(ctx, q+` ORDER BY c.case_id, c.seq`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var cur int64 = -1
		var prev []byte
		var want int64
		for rows.Next() {
			c, err := scanComment(rows)
			if err != nil {
				return err
			}
			if c.CaseID != cur {
				cur, prev, want = c.CaseID, chain.GenesisPrev, 1
				res.Cases++
			}
			res.Checked++
			bad := func(reason string) {
				res.FirstBad = &BadLink{CaseID: c.CaseID, Seq: c.Seq, Reason: reason}
			}
			canon, err := c.Canonical()
			switch {
			case c.Seq != want:
				res.FirstBad = &BadLink{CaseID: c.CaseID, Seq: want, Reason: fmt.Sprintf("comment %d is missing (next stored is %d)", want, c.Seq)}
			case !bytes.Equal(c.PrevHash, prev):
				bad("prev hash does not match the previous comment")
			case err != nil:
				bad("comment cannot be canonicalised")
			case !bytes.Equal(c.Hash, chain.Hash(c.PrevHash, canon)):
				bad("hash does not match the comment (edited)")
			}
			if res.FirstBad != nil {
				return nil
			}
			prev, want = c.Hash, want+1
		}
		return rows.Err()
	})
	if err != nil {
		return res, fmt.Errorf("store: verify audit comments: %w", err)
	}
	res.OK = res.FirstBad == nil
	return res, nil
}

// --- exports and the access review ---

// RecordExport records one export: an access_log row (page "export") per case and one audit_log
// entry with the detail (e.g. the manifest digest), in one transaction. It does not touch the cases.
func (s *Store) RecordExport(ctx context.Context, userID int64, caseIDs []int64, at time.Time, detail map[string]any) error {
	raw, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("store: record export: %w", err)
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		for _, id := range caseIDs {
			if _, err := tx.Exec(ctx, `INSERT INTO access_log (at, user_id, case_id, page, subjects, reason) VALUES ($1, $2, $3, 'export', '[]', '')`,
				Now(at), userID, id); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO audit_log (at, user_id, action, case_ids, detail) VALUES ($1, $2, 'export', $3, $4)`,
			Now(at), userID, caseIDs, raw)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: record export: %w", err)
	}
	return nil
}

// AccessFilter narrows the access review. Zero values mean "any".
type AccessFilter struct {
	// ViewerID leaves out reads of cases the viewer is recorded as involved in. 0 = no viewer.
	ViewerID int64
	UserID   int64
	CaseID   int64
	From, To time.Time // [From, To)
	// Keyset cursor: (at, id) of the last row of the previous page.
	AfterAt time.Time
	AfterID int64
	Limit   int
}

// AccessRow is one read of a case page (or an export) by one user.
type AccessRow struct {
	ID         int64
	At         time.Time
	UserID     int64
	UserName   string
	UserEmail  string
	CaseID     int64 // 0 when the page was not about one case
	CaseNumber string
	Drill      bool
	Page       string
	Subjects   []int64 // affected persons whose data was shown decrypted
	Reason     string
}

// AccessLog pages through the access log, newest first, by keyset pagination.
func (s *Store) AccessLog(ctx context.Context, f AccessFilter) ([]AccessRow, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.UserID != 0 {
		where = append(where, "a.user_id = "+arg(f.UserID))
	}
	if f.ViewerID != 0 {
		where = append(where, "NOT COALESCE("+arg(f.ViewerID)+"::bigint = ANY(c.involved_ids), false)")
	}
	if f.CaseID != 0 {
		where = append(where, "a.case_id = "+arg(f.CaseID))
	}
	if !f.From.IsZero() {
		where = append(where, "a.at >= "+arg(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "a.at < "+arg(f.To))
	}
	if f.AfterID != 0 {
		where = append(where, fmt.Sprintf("(a.at, a.id) < (%s, %s)", arg(f.AfterAt), arg(f.AfterID)))
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	q := `SELECT a.id, a.at, a.user_id, u.name, u.email, COALESCE(a.case_id, 0), COALESCE(c.number, ''), COALESCE(c.drill, false),
		a.page, a.subjects, a.reason
		FROM access_log a JOIN users u ON u.id = a.user_id LEFT JOIN cases c ON c.id = a.case_id`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY a.at DESC, a.id DESC LIMIT " + arg(limit)
	rows, err := s.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: access log: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AccessRow, error) {
		var a AccessRow
		var subjects []byte
		if err := r.Scan(&a.ID, &a.At, &a.UserID, &a.UserName, &a.UserEmail, &a.CaseID, &a.CaseNumber, &a.Drill, &a.Page, &subjects, &a.Reason); err != nil {
			return a, err
		}
		// Subjects are person ids; anything else in the column is ignored rather than failing the page.
		_ = json.Unmarshal(subjects, &a.Subjects)
		return a, nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: access log: %w", err)
	}
	return out, nil
}

// AuditLogEntry is one entry of the auditors' own log (exports).
type AuditLogEntry struct {
	ID       int64
	At       time.Time
	UserID   int64
	UserName string
	Action   string
	CaseIDs  []int64
	Detail   map[string]any
}

// AuditLog returns the newest entries of the auditors' log.
func (s *Store) AuditLog(ctx context.Context, limit int) ([]AuditLogEntry, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := s.Pool.Query(ctx, `SELECT l.id, l.at, l.user_id, COALESCE(u.name, ''), l.action, l.case_ids, l.detail
		FROM audit_log l LEFT JOIN users u ON u.id = l.user_id ORDER BY l.at DESC, l.id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditLogEntry, error) {
		var e AuditLogEntry
		err := r.Scan(&e.ID, &e.At, &e.UserID, &e.UserName, &e.Action, &e.CaseIDs, &e.Detail)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	return out, nil
}
