package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/chain"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/pii"
)

// SeedCase is one generated case as `leakdesk dev seed` writes it: the aggregate after its events,
// the events themselves (decided by the real domain), and the projections the case hooks and the
// register would have written along the way.
type SeedCase struct {
	Case      *incident.Case
	Events    []incident.Event
	Deadlines []SeedDeadline
	// Persons of the affected-person register, with IDs allocated by SeedIDs (each ciphertext is
	// bound to its row ID).
	Persons []SeedPerson
	// Documents are the frozen document versions its finalisation requests name (IDs allocated by
	// SeedIDs), each drafted and asked for by one user.
	Documents []SeedDocument
}

// SeedDocument is one frozen version of a case document with its finalisation record.
type SeedDocument struct {
	ID      int64
	Kind    string
	Version int
	Title   string
	Body    []byte
	SHA256  []byte
	By      int64 // drafted and asked for by
	At      time.Time
}

// SeedDeadline is one row of case_deadlines as the reminder hook leaves it.
type SeedDeadline struct {
	Kind, Due        string
	DueAt            time.Time
	MetAt            *time.Time
	Basis            string
	LabelJA, LabelEN string
	Drill, CaseOpen  bool
	OwnerID          int64
	EventSeq         int64
	UpdatedAt        time.Time
}

// SeedPerson is one affected person with its follow-up.
type SeedPerson struct {
	ID        int64
	Data      PersonData
	Notice    PersonNotice
	CreatedBy int64
	At        time.Time
}

// SeedIDs allocates n values of a sequence in one round trip (case ids, request ids, person ids).
func (s *Store) SeedIDs(ctx context.Context, seq string, n int) ([]int64, error) {
	rows, err := s.Pool.Query(ctx, `SELECT nextval($1::regclass) FROM generate_series(1, $2)`, seq, n)
	if err != nil {
		return nil, fmt.Errorf("store: seed ids: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("store: seed ids: %w", err)
	}
	return ids, nil
}

// SeedNumbers allocates n consecutive case numbers of a year, as OpenCase would one by one.
func (s *Store) SeedNumbers(ctx context.Context, year, n int) ([]string, error) {
	var last int
	err := s.Pool.QueryRow(ctx, `INSERT INTO case_numbers (year, last) VALUES ($1, $2)
		ON CONFLICT (year) DO UPDATE SET last = case_numbers.last + $2 RETURNING last`, year, n).Scan(&last)
	if err != nil {
		return nil, fmt.Errorf("store: seed numbers: %w", err)
	}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%d-%04d", year, last-n+1+i)
	}
	return out, nil
}

// SeedYear is the year (JST) a case number counts in.
func SeedYear(t time.Time) int { return t.In(jst).Year() }

// SeedWrite stores a batch of generated cases in one transaction with COPY: events with their hash
// chains, the case rows, requests, deadlines and persons, and finally the registry entries, which
// are chained under the same advisory lock OpenCase takes (held only from there to the commit, so
// several writers overlap everything else).
func (s *Store) SeedWrite(ctx context.Context, kr *pii.Keyring, batch []SeedCase) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := stampPersonChange(ctx, tx, 0, "開発用データの投入"); err != nil {
			return err
		}
		var cases, events, requests, deadlines, persons, docs, editors, finals [][]any
		for _, sc := range batch {
			c := sc.Case
			_, vals, err := projection(c)
			if err != nil {
				return err
			}
			cases = append(cases, append([]any{c.ID}, vals...))
			prev := chain.GenesisPrev
			for _, e := range sc.Events {
				ce, raw, err := canonicalForm(e)
				if err != nil {
					return err
				}
				canon, err := ce.Canonical(c.ID)
				if err != nil {
					return fmt.Errorf("store: canonical event: %w", err)
				}
				hash := chain.Hash(prev, canon)
				var actor any
				if ce.ActorID != 0 {
					actor = ce.ActorID
				}
				events = append(events, []any{c.ID, ce.Seq, ce.Type, actor, ce.At, raw, prev, hash, canon})
				prev = hash
			}
			for _, r := range c.Requests {
				var decided any
				if !r.DecidedAt.IsZero() {
					decided = Now(r.DecidedAt)
				}
				requests = append(requests, []any{r.ID, c.ID, string(r.Stage), string(r.Kind), string(r.State), r.RequestedBy, Now(r.RequestedAt), decided})
			}
			for _, d := range sc.Documents {
				docs = append(docs, []any{d.ID, c.ID, d.Kind, d.Version, d.Title, d.Body, "final", d.SHA256, d.By, d.At, d.By, d.At, d.By, d.At})
				editors = append(editors, []any{d.ID, d.By, d.At})
				finals = append(finals, []any{d.ID, c.ID, d.Kind, d.Version, d.SHA256, d.By, d.At})
			}
			for _, d := range sc.Deadlines {
				var owner any
				if d.OwnerID != 0 {
					owner = d.OwnerID
				}
				deadlines = append(deadlines, []any{c.ID, d.Kind, d.DueAt, d.Due, d.MetAt, d.Basis, d.LabelJA, d.LabelEN, d.Drill, d.CaseOpen, owner, d.EventSeq, d.UpdatedAt})
			}
			for _, p := range sc.Persons {
				sl := seal(kr, c.ID, p.ID, p.Data)
				items := p.Data.DataItems
				if items == nil {
					items = []string{}
				}
				n := normNotice(p.Notice)
				persons = append(persons, []any{p.ID, c.ID, sl.keyID, sl.enc[0], sl.enc[1], sl.enc[2], sl.enc[3], sl.enc[4], sl.enc[5], sl.enc[6],
					sl.email, sl.phone, sl.customer, sl.nameAddr, sl.dedupe, items,
					n.Status, n.Method, n.Date, n.CompensationKind, n.CompensationAmount, n.Inquiries, p.CreatedBy, p.At, p.At, sl.text})
			}
		}
		copies := []struct {
			table string
			cols  []string
			rows  [][]any
		}{
			{"cases", append([]string{"id"}, projectionCols...), cases},
			{"case_events", eventInsertCols, events},
			{"case_requests", []string{"id", "case_id", "stage", "kind", "state", "requested_by", "requested_at", "decided_at"}, requests},
			{"case_deadlines", []string{"case_id", "kind", "due_at", "due", "met_at", "basis", "label_ja", "label_en", "drill", "case_open", "owner_id", "event_seq", "updated_at"}, deadlines},
			{"affected_persons", []string{"id", "case_id", "key_id", "name_enc", "kana_enc", "postal_enc", "address_enc", "phone_enc",
				"email_enc", "customer_id_enc", "email_bidx", "phone_bidx", "customer_bidx", "name_addr_bidx", "dedupe_bidx", "data_items",
				"notice_status", "notice_method", "notice_date", "compensation_kind", "compensation_amount", "inquiries", "created_by",
				"created_at", "updated_at", "text_bidx"}, persons},
			{"case_documents", []string{"id", "case_id", "kind", "version", "title", "body", "status", "sha256", "created_by", "created_at",
				"updated_by", "updated_at", "finalised_by", "finalised_at"}, docs},
			{"case_document_editors", []string{"document_id", "user_id", "first_at"}, editors},
			{"document_finalisations", []string{"document_id", "case_id", "kind", "version", "sha256", "finalised_by", "finalised_at"}, finals},
		}
		for _, cp := range copies {
			if len(cp.rows) == 0 {
				continue
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{cp.table}, cp.cols, pgx.CopyFromRows(cp.rows)); err != nil {
				return fmt.Errorf("store: seed %s: %w", cp.table, err)
			}
		}
		return seedRegistry(ctx, tx, batch)
	})
	if err != nil {
		return fmt.Errorf("store: seed write: %w", err)
	}
	return nil
}

// projectionCols are the columns projection returns, in its order.
var projectionCols = func() []string {
	cols, _, _ := projection(&incident.Case{})
	return cols
}()

func seedRegistry(ctx context.Context, tx pgx.Tx, batch []SeedCase) error {
	seq, prev, err := lockRegistryHead(ctx, tx)
	if err != nil {
		return err
	}
	rows := make([][]any, 0, len(batch))
	for _, sc := range batch {
		seq++
		at := Now(sc.Case.CreatedAt)
		canon, err := registryCanonical(seq, sc.Case.ID, sc.Case.Number, at)
		if err != nil {
			return err
		}
		hash := chain.Hash(prev, canon)
		rows = append(rows, []any{seq, sc.Case.ID, sc.Case.Number, at, prev, hash})
		prev = hash
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"case_registry"}, []string{"seq", "case_id", "number", "created_at", "prev_hash", "hash"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("store: seed registry: %w", err)
	}
	return nil
}
