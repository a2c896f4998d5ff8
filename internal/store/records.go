package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/incident"
)

// EvidenceFile is an uploaded file with what identifies it. Data is the whole file: uploads are
// size-limited before they reach the store.
type EvidenceFile struct {
	ID          int64
	CaseID      int64
	Stage       incident.Stage
	Name        string
	ContentType string
	Size        int64
	SHA256      []byte
	Data        []byte
	UploadedBy  int64
	UploadedAt  time.Time
}

// NextEvidenceID allocates the id of an evidence file (before the command that attaches it is decided).
func (s *Store) NextEvidenceID(ctx context.Context) (int64, error) {
	var id int64
	if err := s.Pool.QueryRow(ctx, `SELECT nextval('case_evidence_id_seq')`).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: evidence id: %w", err)
	}
	return id, nil
}

// AttachEvidence runs fn (which decides the AttachEvidence command) like UpdateCase and, in the same
// transaction, stores the file's bytes: either the evidence_attached event and the bytes are both
// stored, or neither. The bytes must match the event's size and hash.
func (s *Store) AttachEvidence(ctx context.Context, caseID, ifVersion int64, f EvidenceFile, fn TxCaseFunc) (*incident.Case, []incident.Event, error) {
	return s.updateCase(ctx, caseID, ifVersion, fn, func(ctx context.Context, tx pgx.Tx, c *incident.Case, events []incident.Event) error {
		var attached *incident.Event
		for i := range events {
			if events[i].Type == incident.EventEvidenceAttached {
				attached = &events[i]
			}
		}
		if attached == nil {
			return fmt.Errorf("store: attach evidence: no evidence_attached event")
		}
		sum := sha256.Sum256(f.Data)
		ev := c.EvidenceByID(f.ID)
		if ev == nil || ev.SHA256 != hex.EncodeToString(sum[:]) || ev.Size != int64(len(f.Data)) {
			return fmt.Errorf("store: attach evidence %d: event does not describe the bytes", f.ID)
		}
		keys := s.keys.Load()
		if keys == nil {
			return errNoDataKey
		}
		_, err := tx.Exec(ctx, `INSERT INTO case_evidence (id, case_id, stage, name, content_type, size, sha256, uploaded_by, uploaded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			f.ID, caseID, string(ev.Stage), ev.Name, ev.ContentType, ev.Size, sum[:], attached.ActorID, Now(attached.At))
		if err != nil {
			return fmt.Errorf("store: insert evidence: %w", err)
		}
		// Hashed before encryption (the event and case_evidence hold the plaintext's SHA-256).
		_, err = tx.Exec(ctx, `INSERT INTO case_evidence_blobs (evidence_id, key_id, data) VALUES ($1, $2, $3)`,
			f.ID, keys.Primary().ID(), keys.Seal(evidenceAAD(f.ID), f.Data))
		if err != nil {
			return fmt.Errorf("store: insert evidence bytes: %w", err)
		}
		return nil
	})
}

// ErrEvidenceCorrupt is returned when stored bytes no longer match their recorded SHA-256.
var ErrEvidenceCorrupt = errors.New("store: evidence bytes do not match their SHA-256")

// Evidence reads one file of a case, recomputes its hash, and writes the custody log entry (who
// downloaded which file, with its hash) in the same transaction: a download that is not logged
// does not happen. A file whose bytes no longer match the hash is refused.
func (s *Store) Evidence(ctx context.Context, caseID, id, userID int64) (EvidenceFile, error) {
	var f EvidenceFile
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var keyID *string
		var stored []byte
		err := tx.QueryRow(ctx, `SELECT e.id, e.case_id, e.stage, e.name, e.content_type, e.size, e.sha256, b.key_id, b.data, e.uploaded_by, e.uploaded_at
			FROM case_evidence e JOIN case_evidence_blobs b ON b.evidence_id = e.id WHERE e.case_id = $1 AND e.id = $2`, caseID, id).
			Scan(&f.ID, &f.CaseID, &f.Stage, &f.Name, &f.ContentType, &f.Size, &f.SHA256, &keyID, &stored, &f.UploadedBy, &f.UploadedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return incident.NotFound("ファイルが見つかりません。", "File not found.")
		}
		if err != nil {
			return fmt.Errorf("store: read evidence: %w", err)
		}
		if f.Data, err = s.openEvidence(f.ID, keyID, stored); err != nil {
			return fmt.Errorf("%w: case %d file %d: %v", ErrEvidenceCorrupt, caseID, id, err)
		}
		sum := sha256.Sum256(f.Data)
		if !bytes.Equal(sum[:], f.SHA256) || int64(len(f.Data)) != f.Size {
			return fmt.Errorf("%w: case %d file %d", ErrEvidenceCorrupt, caseID, id)
		}
		_, err = tx.Exec(ctx, `INSERT INTO access_log (user_id, case_id, page, subjects, reason) VALUES ($1, $2, 'evidence_download', '[]', $3)`,
			userID, caseID, fmt.Sprintf("evidence %d sha256 %x", f.ID, f.SHA256))
		if err != nil {
			return fmt.Errorf("store: custody log: %w", err)
		}
		return nil
	})
	if err != nil {
		return EvidenceFile{}, err
	}
	return f, nil
}

// EvidenceCount is the number of stored files of a case (for tests and checks: an upload refused
// must leave none behind).
func (s *Store) EvidenceCount(ctx context.Context, caseID int64) (int, error) {
	var n int
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM case_evidence WHERE case_id = $1`, caseID).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count evidence: %w", err)
	}
	return n, nil
}

// OverdueMeasure is a recurrence measure past its due date and not done, for the dashboard.
type OverdueMeasure struct {
	CaseID      int64
	Number      string
	Title       string
	Drill       bool
	RecordID    int64
	Description string
	Owner       string
	DueDate     string
}

// OverdueMeasures lists the recurrence measures of open cases whose due date (a JST date) is
// before today's JST date and whose status is not done, oldest first, from the case projection.
// Cases where viewerID is marked involved are left out, as everywhere else.
func (s *Store) OverdueMeasures(ctx context.Context, today string, viewerID int64, limit int) ([]OverdueMeasure, error) {
	// The candidate cases come first, by their earliest open measure and limited: every one has at
	// least one overdue measure, so the first `limit` of them hold the `limit` oldest measures (a
	// case outside them has none older than the last of theirs). Without the inner LIMIT the
	// planner estimated many rows and started parallel workers for what is usually an empty
	// answer (≈ 0.25 s at 1 M cases).
	rows, err := s.Pool.Query(ctx, `
		SELECT c.id, c.number, c.title, c.drill, (r->>'id')::bigint,
			COALESCE(r->'values'->>'description', ''), COALESCE(r->'values'->>'owner', ''), r->'values'->>'due_date'
		FROM (SELECT id, number, title, drill, state FROM cases
			WHERE status = 'open' AND measure_due < $1::text::date -- cases_measure_due_idx; $1 stays text for the comparison below
			  AND NOT ($2::bigint = ANY(involved_ids))
			ORDER BY measure_due, id LIMIT $3) c
		CROSS JOIN LATERAL jsonb_array_elements(COALESCE(c.state->'records', '[]'::jsonb)) r
		WHERE r->>'kind' = 'recurrence_measure'
			AND NOT COALESCE((r->>'withdrawn')::boolean, false)
			AND r->'values'->>'status' NOT IN ('done', 'verified')
			AND r->'values'->>'due_date' < $1
		ORDER BY r->'values'->>'due_date', c.id, (r->>'id')::bigint
		LIMIT $3`, today, viewerID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: overdue measures: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (OverdueMeasure, error) {
		var m OverdueMeasure
		err := row.Scan(&m.CaseID, &m.Number, &m.Title, &m.Drill, &m.RecordID, &m.Description, &m.Owner, &m.DueDate)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: overdue measures: %w", err)
	}
	return out, nil
}
