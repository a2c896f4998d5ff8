package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/documents"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// Finalisation requests of documents (issue 14). They run inside the case's command transaction
// (the context carries it, see q): the version is frozen in the same transaction as the
// request_submitted event that names it, so a version is frozen exactly when a request asks for it.

// DocumentVersion is the stored version a finalisation request freezes.
type DocumentVersion struct {
	ID      int64
	Version int
	Status  string
	Body    []byte // case_documents.body
	Editors []int64
}

// caseTx is the case command's transaction ctx carries: freezing a version outside it would split
// the version from the event that names it.
func caseTx(ctx context.Context) (pgx.Tx, error) {
	tx, ok := ctx.Value(txKey{}).(pgx.Tx)
	if !ok {
		return nil, errors.New("store: document finalisation outside a case transaction")
	}
	return tx, nil
}

var errNoDocumentVersion = incident.NotFound("この版の文書はありません。先に下書きを保存してください。", "No such document version; save a draft first.")

// LockDocumentVersion locks version v of a case's document of kind k for the request (0: the
// newest version) and reads who saved it. A version that is already final is a conflict: it was
// asked for before (approved or sent back); edit to start the next version.
func (s *Store) LockDocumentVersion(ctx context.Context, caseID int64, kind string, v int) (*DocumentVersion, error) {
	q, err := caseTx(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := q.Exec(ctx, `SELECT pg_advisory_xact_lock(7310005, hashtext($1))`, fmt.Sprintf("%d/%s", caseID, kind)); err != nil {
		return nil, fmt.Errorf("store: lock document: %w", err)
	}
	sql := `SELECT id, version, status, body FROM case_documents WHERE case_id = $1 AND kind = $2 AND version = $3 FOR UPDATE`
	args := []any{caseID, kind, v}
	if v == 0 {
		sql = `SELECT id, version, status, body FROM case_documents WHERE case_id = $1 AND kind = $2 ORDER BY version DESC LIMIT 1 FOR UPDATE`
		args = args[:2]
	}
	var d DocumentVersion
	err = q.QueryRow(ctx, sql, args...).Scan(&d.ID, &d.Version, &d.Status, &d.Body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errNoDocumentVersion
	}
	if err != nil {
		return nil, fmt.Errorf("store: read document version: %w", err)
	}
	if d.Status != "draft" {
		return nil, incident.Conflict("この版はすでに確定の申請がされています。内容を変更するには編集して新しい版を作成してください。",
			"This version was already submitted for finalisation; edit to start a new version.")
	}
	rows, err := q.Query(ctx, `SELECT user_id FROM case_document_editors WHERE document_id = $1 ORDER BY user_id`, d.ID)
	if err != nil {
		return nil, fmt.Errorf("store: document editors: %w", err)
	}
	if d.Editors, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
		return nil, fmt.Errorf("store: document editors: %w", err)
	}
	return &d, nil
}

// FreezeDocumentVersion makes the locked version final with its frozen body, title and SHA-256,
// and appends the finalisation record; by is the requester (who asked for it to be final).
func (s *Store) FreezeDocumentVersion(ctx context.Context, caseID int64, kind string, d *DocumentVersion, body []byte, title string, sum []byte, by int64, now time.Time) error {
	q, err := caseTx(ctx)
	if err != nil {
		return err
	}
	tag, err := q.Exec(ctx, `UPDATE case_documents SET status = 'final', body = $2, title = $3, sha256 = $4, finalised_by = $5, finalised_at = $6, updated_at = $6
		WHERE id = $1 AND status = 'draft'`, d.ID, body, title, sum, by, Now(now))
	if err != nil {
		return fmt.Errorf("store: freeze document: %w", err)
	}
	if tag.RowsAffected() != 1 {
		return incident.Conflict("この版はすでに確定の申請がされています。", "This version was already submitted.")
	}
	if _, err := q.Exec(ctx, `INSERT INTO document_finalisations (document_id, case_id, kind, version, sha256, finalised_by, finalised_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, d.ID, caseID, kind, d.Version, sum, by, Now(now)); err != nil {
		return fmt.Errorf("store: finalisation record: %w", err)
	}
	return nil
}

// DocumentEditors lists the users who saved a document version.
func (s *Store) DocumentEditors(ctx context.Context, documentID int64) ([]int64, error) {
	rows, err := s.q(ctx).Query(ctx, `SELECT user_id FROM case_document_editors WHERE document_id = $1 ORDER BY user_id`, documentID)
	if err != nil {
		return nil, fmt.Errorf("store: document editors: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("store: document editors: %w", err)
	}
	return ids, nil
}

// Document drafts and reads (case_documents). Editing a draft is not a case command — the draft
// is not the record; freezing it is (above) — so a save is its own transaction, serialised per
// document so two first saves do not both pick version 1.

const documentCols = `id, case_id, kind, version, title, status, body, sha256, created_by, created_at, updated_at, COALESCE(finalised_by, 0), finalised_at`

func scanDocument(row pgx.Row) (documents.Record, error) {
	var r documents.Record
	var k string
	var raw []byte
	err := row.Scan(&r.ID, &r.CaseID, &k, &r.Version, &r.Title, &r.Status, &raw, &r.SHA256, &r.CreatedBy, &r.CreatedAt, &r.UpdatedAt, &r.FinalisedBy, &r.FinalisedAt)
	if err != nil {
		return r, err
	}
	r.Kind = documents.Kind(k)
	return r, r.SetBody(raw)
}

func (s *Store) oneDocument(ctx context.Context, where string, args ...any) (*documents.Record, error) {
	r, err := scanDocument(s.Pool.QueryRow(ctx, `SELECT `+documentCols+` FROM case_documents `+where, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: read document: %w", err)
	}
	return &r, nil
}

// LatestDocument returns the newest version of a case's document of kind k, or nil when none was
// saved.
func (s *Store) LatestDocument(ctx context.Context, caseID int64, k documents.Kind) (*documents.Record, error) {
	return s.oneDocument(ctx, `WHERE case_id = $1 AND kind = $2 ORDER BY version DESC LIMIT 1`, caseID, string(k))
}

// Document returns one version, or a not-found domain error.
func (s *Store) Document(ctx context.Context, caseID int64, k documents.Kind, v int) (*documents.Record, error) {
	r, err := s.oneDocument(ctx, `WHERE case_id = $1 AND kind = $2 AND version = $3`, caseID, string(k), v)
	if err == nil && r == nil {
		return nil, incident.NotFound("この版の文書はありません。", "No such document version.")
	}
	return r, err
}

// FinalDocuments lists the final versions of a document, newest first.
func (s *Store) FinalDocuments(ctx context.Context, caseID int64, k documents.Kind) ([]documents.Record, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+documentCols+` FROM case_documents WHERE case_id = $1 AND kind = $2 AND status = 'final' ORDER BY version DESC`, caseID, string(k))
	if err != nil {
		return nil, fmt.Errorf("store: final documents: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (documents.Record, error) { return scanDocument(r) })
	if err != nil {
		return nil, fmt.Errorf("store: final documents: %w", err)
	}
	return out, nil
}

// SaveDocumentDraft stores the edits of the free-text parts: into the current draft, or into a
// new draft version after the last final one.
func (s *Store) SaveDocumentDraft(ctx context.Context, caseID int64, k documents.Kind, title string, edits map[string]string, userID int64, now time.Time) (*documents.Record, error) {
	raw, err := documents.DraftBody(edits)
	if err != nil {
		return nil, err
	}
	var id int64
	err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
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
		return nil, fmt.Errorf("store: save document draft: %w", err)
	}
	return s.oneDocument(ctx, `WHERE id = $1`, id)
}
