package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/leakdesk/leakdesk/internal/pii"
)

// The import's cost is cryptography, not the database: blind indexes (HMAC, one per pair of the
// text index) and the seven ciphertexts of each row were a single goroutine's work inside the
// COPY callback (docs/performance.md, "Verification and import profiles"). They are computed here
// on every core, before the COPY, which then only streams bytes.

// importProbe is what de-duplication needs of one row, computed ahead: its identity's blind
// indexes under every key (identitySet.has) and its four indexes under the primary key
// (identitySet.add).
type importProbe struct {
	kind       string
	under      [][]byte
	c, e, p, n []byte
}

func probeRow(kr *pii.Keyring, d PersonData) importProbe {
	kind, norm := dedupeKey(d)
	k := kr.Primary()
	return importProbe{kind: kind, under: kr.BlindIndexes(kind, norm),
		c: k.BlindIndex(pii.IndexCustomerID, pii.NormalizeCustomerID(d.CustomerID)), e: k.BlindIndex(pii.IndexEmail, pii.NormalizeEmail(d.Email)),
		p: k.BlindIndex(pii.IndexPhone, pii.NormalizePhone(d.Phone)), n: k.BlindIndex(pii.IndexNameAddress, pii.NormalizeNameAddress(d.Name, d.Address))}
}

// hasProbe is identitySet.has for a probe computed ahead.
func (set identitySet) hasProbe(pr importProbe) bool {
	for _, ix := range pr.under {
		if set[pr.kind][string(ix)] {
			return true
		}
	}
	return false
}

// inParallel runs fn(i) for every i < n on GOMAXPROCS goroutines, each taking contiguous blocks.
func inParallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), max(n/256, 1))
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	per := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

func probeRows(kr *pii.Keyring, rows []PersonData) []importProbe {
	out := make([]importProbe, len(rows))
	inParallel(len(rows), func(i int) { out[i] = probeRow(kr, rows[i]) })
	return out
}

func sealRows(kr *pii.Keyring, caseID int64, ids []int64, rows []PersonData) []sealed {
	out := make([]sealed, len(rows))
	inParallel(len(rows), func(i int) { out[i] = seal(kr, caseID, ids[i], rows[i]) })
	return out
}

func (s *Store) SaveImportUpload(ctx context.Context, kr *pii.Keyring, caseID, userID int64, file []byte, ttl time.Duration) (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := fmt.Sprintf("%x", b)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM person_import_uploads WHERE expires_at < now()`); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('person_import_uploads', 'id'))`).Scan(&id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO person_import_uploads (id, token, case_id, created_by, expires_at, payload_enc)
			VALUES ($1, $2, $3, $4, now() + $5::interval, $6)`, id, uploadTokenHash(token), caseID, userID,
			fmt.Sprintf("%d seconds", int(ttl.Seconds())), kr.Seal(pii.AAD("person_import_uploads", id, "payload"), file))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("store: stage upload: %w", err)
	}
	return token, nil
}

// LoadImportUpload returns a staged file of this user and case; ErrUploadGone when expired or used.
func (s *Store) LoadImportUpload(ctx context.Context, kr *pii.Keyring, caseID, userID int64, token string) ([]byte, error) {
	var id int64
	var enc []byte
	err := s.Pool.QueryRow(ctx, `SELECT id, payload_enc FROM person_import_uploads WHERE token = $1 AND case_id = $2 AND created_by = $3 AND expires_at > now()`,
		uploadTokenHash(token), caseID, userID).Scan(&id, &enc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrUploadGone
	}
	if err != nil {
		return nil, fmt.Errorf("store: load upload: %w", err)
	}
	b, err := kr.Open(pii.AAD("person_import_uploads", id, "payload"), enc)
	if err != nil {
		return nil, fmt.Errorf("store: load upload: %w", err)
	}
	return b, nil
}

func ids(ps []Person) []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func uploadTokenHash(token string) []byte {
	h := sha256.Sum256([]byte("leakdesk upload\x00" + token))
	return h[:]
}

// PreviewPersonImport counts how many rows would be added and how many are already present.
func (s *Store) PreviewPersonImport(ctx context.Context, kr *pii.Keyring, caseID int64, rows []PersonData) (added, present int, err error) {
	err = pgx.BeginTxFunc(ctx, s.Pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		set, err := loadIdentities(ctx, tx, caseID, 0)
		if err != nil {
			return err
		}
		for _, pr := range probeRows(kr, rows) {
			if set.hasProbe(pr) {
				present++
			} else {
				added++
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("store: preview import: %w", err)
	}
	return added, present, nil
}

// ImportPersons adds the rows not yet in the case's register, all in one transaction (all or
// nothing), and records the import. Re-importing the same rows adds nobody.
func (s *Store) ImportPersons(ctx context.Context, kr *pii.Keyring, m ImportMeta, rows []PersonData) (ImportOutcome, error) {
	var out ImportOutcome
	for _, d := range rows {
		if err := checkIdentity(d); err != nil {
			return out, err
		}
	}
	probes := probeRows(kr, rows) // in parallel, before the transaction and its lock
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if m.UploadToken != "" {
			tag, err := tx.Exec(ctx, `DELETE FROM person_import_uploads WHERE token = $1 AND case_id = $2 AND created_by = $3 AND expires_at > now()`,
				uploadTokenHash(m.UploadToken), m.CaseID, m.UserID)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return ErrUploadGone
			}
		}
		if err := lockRegister(ctx, tx, m.CaseID); err != nil {
			return err
		}
		if err := stampPersonChange(ctx, tx, m.UserID, "CSV取り込み"); err != nil {
			return err
		}
		set, err := loadIdentities(ctx, tx, m.CaseID, 0)
		if err != nil {
			return err
		}
		var fresh []PersonData
		for i, d := range rows {
			if set.hasProbe(probes[i]) {
				out.Present++
				continue
			}
			fresh = append(fresh, d)
			set.add(probes[i].c, probes[i].e, probes[i].p, probes[i].n)
		}
		out.Added = len(fresh)
		if err := tx.QueryRow(ctx, `INSERT INTO person_imports (case_id, file_sha256, encoding, rows_total, rows_added, rows_present, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, m.CaseID, m.SHA256[:], m.Encoding, len(rows), out.Added, out.Present, m.UserID).Scan(&out.ImportID); err != nil {
			return err
		}
		if len(fresh) == 0 {
			return nil
		}
		// IDs first: each ciphertext is bound to its row ID.
		idRows, err := tx.Query(ctx, `SELECT nextval(pg_get_serial_sequence('affected_persons', 'id')) FROM generate_series(1, $1)`, len(fresh))
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(idRows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		now := time.Now()
		seals := sealRows(kr, m.CaseID, ids, fresh) // in parallel; the COPY below only streams
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"affected_persons"}, []string{"id", "case_id", "key_id",
			"name_enc", "kana_enc", "postal_enc", "address_enc", "phone_enc", "email_enc", "customer_id_enc",
			"email_bidx", "phone_bidx", "customer_bidx", "name_addr_bidx", "dedupe_bidx", "text_bidx", "data_items",
			"import_id", "created_by", "created_at", "updated_at"},
			pgx.CopyFromSlice(len(fresh), func(i int) ([]any, error) {
				d, sl := fresh[i], seals[i]
				items := d.DataItems
				if items == nil {
					items = []string{}
				}
				return []any{ids[i], m.CaseID, sl.keyID, sl.enc[0], sl.enc[1], sl.enc[2], sl.enc[3], sl.enc[4], sl.enc[5], sl.enc[6],
					sl.email, sl.phone, sl.customer, sl.nameAddr, sl.dedupe, sl.text, items, out.ImportID, m.UserID, now, now}, nil
			}))
		return err
	})
	if errors.Is(err, ErrUploadGone) {
		return ImportOutcome{}, ErrUploadGone
	}
	if isUniqueViolation(err) {
		return ImportOutcome{}, ErrDuplicate
	}
	if err != nil {
		return ImportOutcome{}, fmt.Errorf("store: import persons: %w", err)
	}
	return out, nil
}
