package documents

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leakdesk/leakdesk/internal/incident"
)

// Record is one stored version of a document.
type Record struct {
	ID          int64
	CaseID      int64
	Kind        Kind
	Version     int
	Title       string
	Status      string // draft or final
	Edits       map[string]string
	Doc         *Doc   // the frozen document of a final version
	SHA256      []byte // of the frozen document's JSON (final only)
	CreatedBy   int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	FinalisedBy int64
	FinalisedAt *time.Time
}

// body is what case_documents.body holds.
type body struct {
	Edits    map[string]string `json:"edits"`
	Document json.RawMessage   `json:"document,omitempty"`
}

// Store keeps documents in case_documents and records finalisations in document_finalisations.
type Store struct{ Pool *pgxpool.Pool }

// ErrAlreadyFinal is returned by Finalise for a version that is already final.
var ErrAlreadyFinal = incident.Conflict("この版はすでに確定しています。内容を変更するには編集して新しい版を作成してください。",
	"This version is already final; edit to start a new version.")

// Latest returns the newest version of a case's document of kind k, or nil when none was saved.
func (s *Store) Latest(ctx context.Context, caseID int64, k Kind) (*Record, error) {
	return s.one(ctx, `WHERE case_id = $1 AND kind = $2 ORDER BY version DESC LIMIT 1`, caseID, string(k))
}

// Version returns one version, or a not-found domain error.
func (s *Store) Version(ctx context.Context, caseID int64, k Kind, v int) (*Record, error) {
	r, err := s.one(ctx, `WHERE case_id = $1 AND kind = $2 AND version = $3`, caseID, string(k), v)
	if err == nil && r == nil {
		return nil, incident.NotFound("この版の文書はありません。", "No such document version.")
	}
	return r, err
}

// Finals lists the final versions of a document, newest first.
func (s *Store) Finals(ctx context.Context, caseID int64, k Kind) ([]Record, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+cols+` FROM case_documents WHERE case_id = $1 AND kind = $2 AND status = 'final' ORDER BY version DESC`, caseID, string(k))
	if err != nil {
		return nil, fmt.Errorf("documents: finals: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Record, error) { return scan(r) })
}

const cols = `id, case_id, kind, version, title, status, body, sha256, created_by, created_at, updated_at, COALESCE(finalised_by, 0), finalised_at`

func scan(row pgx.Row) (Record, error) {
	var r Record
	var k string
	var raw []byte
	err := row.Scan(&r.ID, &r.CaseID, &k, &r.Version, &r.Title, &r.Status, &raw, &r.SHA256, &r.CreatedBy, &r.CreatedAt, &r.UpdatedAt, &r.FinalisedBy, &r.FinalisedAt)
	if err != nil {
		return r, err
	}
	r.Kind = Kind(k)
	var b body
	if err := json.Unmarshal(raw, &b); err != nil {
		return r, fmt.Errorf("documents: body of %d: %w", r.ID, err)
	}
	r.Edits = b.Edits
	if r.Edits == nil {
		r.Edits = map[string]string{}
	}
	if len(b.Document) > 0 {
		var d Doc
		if err := json.Unmarshal(b.Document, &d); err != nil {
			return r, fmt.Errorf("documents: document of %d: %w", r.ID, err)
		}
		r.Doc = &d
	}
	return r, nil
}

func (s *Store) one(ctx context.Context, where string, args ...any) (*Record, error) {
	r, err := scan(s.Pool.QueryRow(ctx, `SELECT `+cols+` FROM case_documents `+where, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("documents: read: %w", err)
	}
	return &r, nil
}

// SaveDraft stores the edits of the free-text parts: into the current draft, or into a new draft
// version after the last final one.
func (s *Store) SaveDraft(ctx context.Context, caseID int64, k Kind, title string, edits map[string]string, userID int64, now time.Time) (*Record, error) {
	raw, err := json.Marshal(body{Edits: edits})
	if err != nil {
		return nil, fmt.Errorf("documents: encode: %w", err)
	}
	var id int64
	err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		// Serialise drafts of one document (two first saves would both pick version 1).
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7310005, hashtext($1))`, fmt.Sprintf("%d/%s", caseID, k)); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `UPDATE case_documents SET body = $3, title = $4, updated_by = $5, updated_at = $6
			WHERE case_id = $1 AND kind = $2 AND status = 'draft' RETURNING id`, caseID, string(k), raw, title, userID, now).Scan(&id)
		if err == nil {
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO case_documents (case_id, kind, version, title, body, status, created_by, created_at, updated_by, updated_at)
			VALUES ($1, $2, COALESCE((SELECT max(version) FROM case_documents WHERE case_id = $1 AND kind = $2), 0) + 1, $3, $4, 'draft', $5, $6, $5, $6)
			RETURNING id`, caseID, string(k), title, raw, userID, now).Scan(&id)
	})
	if err != nil {
		return nil, fmt.Errorf("documents: save draft: %w", err)
	}
	return s.one(ctx, `WHERE id = $1`, id)
}

// Finalise freezes version v of the document as doc (generated from the draft's edits), storing the
// SHA-256 of its JSON, and appends the finalisation record. Version 0 means "the current draft, or
// a first version made now when nothing was saved yet". A version that is already final gives
// ErrAlreadyFinal.
func (s *Store) Finalise(ctx context.Context, caseID int64, k Kind, v int, render func(edits map[string]string) Doc, userID int64, now time.Time) (*Record, error) {
	var id int64
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7310005, hashtext($1))`, fmt.Sprintf("%d/%s", caseID, k)); err != nil {
			return err
		}
		var status string
		var raw []byte
		q := `SELECT id, status, body, version FROM case_documents WHERE case_id = $1 AND kind = $2 AND version = $3 FOR UPDATE`
		args := []any{caseID, string(k), v}
		if v == 0 {
			q = `SELECT id, status, body, version FROM case_documents WHERE case_id = $1 AND kind = $2 ORDER BY version DESC LIMIT 1 FOR UPDATE`
			args = args[:2]
		}
		err := tx.QueryRow(ctx, q, args...).Scan(&id, &status, &raw, &v)
		switch {
		case errors.Is(err, pgx.ErrNoRows) && len(args) == 2:
			raw, _ = json.Marshal(body{Edits: map[string]string{}})
			status, v = "draft", 1
			d := render(nil)
			if err := tx.QueryRow(ctx, `INSERT INTO case_documents (case_id, kind, version, title, body, status, created_by, created_at, updated_by, updated_at)
				VALUES ($1, $2, 1, $3, $4, 'draft', $5, $6, $5, $6) RETURNING id`, caseID, string(k), d.Title, raw, userID, now).Scan(&id); err != nil {
				return err
			}
		case errors.Is(err, pgx.ErrNoRows):
			return incident.NotFound("この版の文書はありません。", "No such document version.")
		case err != nil:
			return err
		}
		if status == "final" {
			return ErrAlreadyFinal
		}
		var b body
		if err := json.Unmarshal(raw, &b); err != nil {
			return err
		}
		d := render(b.Edits)
		frozen, err := json.Marshal(d)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(frozen)
		nb, err := json.Marshal(body{Edits: b.Edits, Document: frozen})
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE case_documents SET status = 'final', body = $2, title = $3, sha256 = $4, finalised_by = $5, finalised_at = $6, updated_at = $6
			WHERE id = $1 AND status = 'draft'`, id, nb, d.Title, sum[:], userID, now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return ErrAlreadyFinal
		}
		_, err = tx.Exec(ctx, `INSERT INTO document_finalisations (document_id, case_id, kind, version, sha256, finalised_by, finalised_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, caseID, string(k), v, sum[:], userID, now)
		return err
	})
	var de *incident.Error
	if errors.As(err, &de) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("documents: finalise: %w", err)
	}
	return s.one(ctx, `WHERE id = $1`, id)
}

// Verify recomputes the SHA-256 of a final version's frozen document.
func Verify(r *Record) bool {
	if r == nil || r.Doc == nil || r.Status != "final" {
		return false
	}
	b, err := json.Marshal(r.Doc)
	if err != nil {
		return false
	}
	sum := sha256.Sum256(b)
	return string(sum[:]) == string(r.SHA256)
}
