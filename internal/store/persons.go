package store

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/pii"
)

// Errors of the data key check (CheckDataKey) and of the register.
var (
	ErrWrongDataKey = errors.New("store: the data key is not the key this database's personal data is encrypted with")
	ErrKeyRotating  = errors.New("store: a data key rotation is unfinished: run `leakdesk key rotate` again with the same keys before starting the server")
	ErrUploadGone   = errors.New("store: the uploaded file is no longer available (expired or already imported)")
)

// PersonData is what identifies a person and what leaked. Stored encrypted, except DataItems.
type PersonData struct {
	Name, Kana, Postal, Address, Phone, Email, CustomerID string
	DataItems                                             []string
}

// PersonNotice is the follow-up of one person: notice, compensation, inquiries.
type PersonNotice struct {
	Status             string     // unnotified, notified, undeliverable, returned
	Method             string     // "", post, email, phone, in_person, web, other
	Date               *time.Time // the day of the notice (a date; time of day is ignored)
	CompensationKind   string     // "", apology, gift_card, cash, points, other
	CompensationAmount int        // yen
	Inquiries          int
}

// Person is one row of the register, decrypted. It must not be logged.
type Person struct {
	ID, CaseID int64
	PersonData
	PersonNotice
	ImportID  *int64
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PersonFilter selects persons of one case. Search is an exact e-mail, phone or customer ID, or
// part of a name, kana or address (two characters or more), compared in pii.SearchNorm form:
// candidates are selected by blind index (never by scanning plaintext) and checked decrypted.
type PersonFilter struct {
	CaseID  int64
	Status  string
	Search  string
	IDs     []int64 // when not nil, only these
	AfterID int64   // keyset pagination
	Limit   int     // 0: no limit (exports)
}

// ImportMeta describes a committed CSV file.
type ImportMeta struct {
	CaseID      int64
	UserID      int64
	SHA256      [32]byte
	Encoding    string
	UploadToken string // the staged upload to delete in the same transaction, if any
}

// ImportOutcome counts what an import did.
type ImportOutcome struct {
	ImportID int64
	Added    int
	Present  int // already in the register: not added again
}

const personTable = "affected_persons"

const personCols = `id, case_id, name_enc, kana_enc, postal_enc, address_enc, phone_enc, email_enc, customer_id_enc,
	data_items, notice_status, notice_method, notice_date, compensation_kind, compensation_amount, inquiries,
	import_id, version, created_at, updated_at`

// sealed is a person's row as stored.
type sealed struct {
	enc                                      [7][]byte // name, kana, postal, address, phone, email, customer_id
	email, phone, customer, nameAddr, dedupe []byte
	text                                     [][]byte // the text index (name, kana, address pairs)
	keyID                                    string
}

var encFields = [7]string{"name", "kana", "postal_code", "address", "phone", "email", "customer_id"}

func (d PersonData) values() [7]string {
	return [7]string{d.Name, d.Kana, d.Postal, d.Address, d.Phone, d.Email, d.CustomerID}
}

func seal(kr *pii.Keyring, caseID, id int64, d PersonData) sealed {
	var s sealed
	for i, v := range d.values() {
		s.enc[i] = kr.SealString(pii.AAD(personTable, id, encFields[i]), v)
	}
	k := kr.Primary()
	s.keyID = k.ID()
	s.email = k.BlindIndex(pii.IndexEmail, pii.NormalizeEmail(d.Email))
	s.phone = k.BlindIndex(pii.IndexPhone, pii.NormalizePhone(d.Phone))
	s.customer = k.BlindIndex(pii.IndexCustomerID, pii.NormalizeCustomerID(d.CustomerID))
	s.nameAddr = k.BlindIndex(pii.IndexNameAddress, pii.NormalizeNameAddress(d.Name, d.Address))
	kind, norm := dedupeKey(d)
	s.dedupe = k.BlindIndex(kind, norm)
	s.text = textIndex(k, caseID, d)
	return s
}

// textIndex is the index of the pairs of d's name, kana and address (see PersonFilter.Search).
func textIndex(k *pii.Key, caseID int64, d PersonData) [][]byte {
	if ix := k.TextIndex(caseID, pii.TextGrams(d.Name, d.Kana, d.Address)); ix != nil {
		return ix
	}
	return [][]byte{} // indexed, with nothing to index (NULL means "not indexed yet")
}

// dedupeKey is the person's identity: customer ID, else e-mail, else phone, else name+address.
func dedupeKey(d PersonData) (kind, normalized string) {
	switch {
	case pii.NormalizeCustomerID(d.CustomerID) != "":
		return pii.IndexCustomerID, pii.NormalizeCustomerID(d.CustomerID)
	case pii.NormalizeEmail(d.Email) != "":
		return pii.IndexEmail, pii.NormalizeEmail(d.Email)
	case pii.NormalizePhone(d.Phone) != "":
		return pii.IndexPhone, pii.NormalizePhone(d.Phone)
	}
	return pii.IndexNameAddress, pii.NormalizeNameAddress(d.Name, d.Address)
}

// ErrNoIdentity is returned for a person with no name, e-mail, phone or customer ID.
var ErrNoIdentity = errors.New("store: a person needs a name, e-mail, phone or customer ID")

func scanPerson(kr *pii.Keyring, row pgx.Row) (Person, error) {
	var p Person
	var enc [7][]byte
	err := row.Scan(&p.ID, &p.CaseID, &enc[0], &enc[1], &enc[2], &enc[3], &enc[4], &enc[5], &enc[6],
		&p.DataItems, &p.Status, &p.Method, &p.Date, &p.CompensationKind, &p.CompensationAmount, &p.Inquiries,
		&p.ImportID, &p.Version, &p.CreatedAt, &p.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, ErrNotFound
	}
	if err != nil {
		return p, err
	}
	var vals [7]string
	for i := range enc {
		if vals[i], err = kr.OpenString(pii.AAD(personTable, p.ID, encFields[i]), enc[i]); err != nil {
			// The error names the row and field, never a value.
			return p, fmt.Errorf("store: person %d field %s: %w", p.ID, encFields[i], err)
		}
	}
	p.Name, p.Kana, p.Postal, p.Address, p.Phone, p.Email, p.CustomerID = vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6]
	return p, nil
}

// CheckDataKey verifies at start that kr's primary key is the key of this database: the first
// start records its key ID and check value in pii_keys; later starts compare. ErrWrongDataKey
// (with both key IDs) for another key; ErrKeyRotating while a rotation is unfinished.
func (s *Store) CheckDataKey(ctx context.Context, kr *pii.Keyring) error {
	k := kr.Primary()
	for attempt := 0; attempt < 2; attempt++ {
		rows, err := s.Pool.Query(ctx, `SELECT key_id, check_value, state FROM pii_keys WHERE state <> 'retired'`)
		if err != nil {
			return fmt.Errorf("store: check data key: %w", err)
		}
		type keyRow struct {
			ID    string
			Check []byte
			State string
		}
		list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[keyRow])
		if err != nil {
			return fmt.Errorf("store: check data key: %w", err)
		}
		for _, r := range list {
			if r.State == "rotating" {
				return ErrKeyRotating
			}
		}
		if len(list) == 0 {
			// First start: this key becomes the database's key. A concurrent first start of another
			// instance loses the unique index race and compares on the second pass.
			if _, err := s.Pool.Exec(ctx, `INSERT INTO pii_keys (key_id, check_value, state) VALUES ($1, $2, 'active') ON CONFLICT DO NOTHING`,
				k.ID(), k.CheckValue()); err != nil {
				return fmt.Errorf("store: record data key: %w", err)
			}
			continue
		}
		active := list[0]
		if active.ID != k.ID() || !hmac.Equal(active.Check, k.CheckValue()) {
			return fmt.Errorf("%w (database key ID %s, configured key ID %s): set LEAKDESK_DATA_KEY or LEAKDESK_DATA_KEY_FILE to the key in use", ErrWrongDataKey, active.ID, k.ID())
		}
		// The key of this database: evidence is sealed with it from now on.
		s.keys.Store(kr)
		return nil
	}
	return fmt.Errorf("store: check data key: no active key recorded")
}

// AffectedPersonCount is the number of persons in the case's register (the case's affected count).
// Called with a command's transaction context (TxCaseFunc) it reads on that transaction.
func (s *Store) AffectedPersonCount(ctx context.Context, caseID int64) (int64, error) {
	var n int64
	if err := s.q(ctx).QueryRow(ctx, `SELECT count(*) FROM affected_persons WHERE case_id = $1`, caseID).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count persons: %w", err)
	}
	return n, nil
}

// RegisterTotals are the register's head count and its compensation total (yen): what the
// approval policy reads from the register (a CEO slot above a set compensation amount).
func (s *Store) RegisterTotals(ctx context.Context, caseID int64) (count, compensation int64, err error) {
	if err := s.q(ctx).QueryRow(ctx, `SELECT count(*), coalesce(sum(compensation_amount), 0)::bigint FROM affected_persons WHERE case_id = $1`,
		caseID).Scan(&count, &compensation); err != nil {
		return 0, 0, fmt.Errorf("store: register totals: %w", err)
	}
	return count, compensation, nil
}

// PersonStatusCounts counts the persons of a case by notice status.
func (s *Store) PersonStatusCounts(ctx context.Context, caseID int64) (map[string]int64, error) {
	rows, err := s.q(ctx).Query(ctx, `SELECT notice_status, count(*) FROM affected_persons WHERE case_id = $1 GROUP BY 1`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store: person counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var st string
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("store: person counts: %w", err)
		}
		out[st] = n
	}
	return out, rows.Err()
}

// where is the SQL condition of f. recheck is true when the condition selects candidates only (a
// text search: the index of character pairs cannot tell "森1子" from "1子森"), and each row must
// then pass f.matches once decrypted.
func (f PersonFilter) where(kr *pii.Keyring) (cond string, args []any, recheck bool) {
	args = []any{f.CaseID}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	w := []string{"case_id = $1"}
	if f.Status != "" {
		w = append(w, "notice_status = "+arg(f.Status))
	}
	if q := strings.TrimSpace(f.Search); q != "" {
		// Exact match by blind index under every key of the ring (rows may still be on an old key).
		var or []string
		for _, c := range []struct{ col, field, v string }{
			{"email_bidx", pii.IndexEmail, pii.NormalizeEmail(q)},
			{"phone_bidx", pii.IndexPhone, pii.NormalizePhone(q)},
			{"customer_bidx", pii.IndexCustomerID, pii.NormalizeCustomerID(q)},
		} {
			if ix := kr.BlindIndexes(c.field, c.v); ix != nil {
				or = append(or, c.col+" = ANY("+arg(ix)+")")
			}
		}
		// Part of a name, kana or address: every pair of the term is among the row's pairs.
		if grams := pii.TextGrams(q); len(grams) > 0 {
			for _, k := range kr.Keys() {
				or = append(or, "text_bidx @> "+arg(k.TextIndex(f.CaseID, grams)))
			}
			recheck = true
		}
		if len(or) == 0 {
			or = []string{"false"}
		}
		w = append(w, "("+strings.Join(or, " OR ")+")")
	}
	if f.IDs != nil {
		w = append(w, "id = ANY("+arg(f.IDs)+")")
	}
	if f.AfterID > 0 {
		w = append(w, "id > "+arg(f.AfterID))
	}
	return strings.Join(w, " AND "), args, recheck
}

// matches is the exact form of f.Search for a decrypted person (see where).
func (f PersonFilter) matches(p Person) bool {
	q := strings.TrimSpace(f.Search)
	if q == "" {
		return true
	}
	eq := func(norm func(string) string, v string) bool { n := norm(q); return n != "" && norm(v) == n }
	return eq(pii.NormalizeEmail, p.Email) || eq(pii.NormalizePhone, p.Phone) || eq(pii.NormalizeCustomerID, p.CustomerID) ||
		pii.MatchText(q, p.Name, p.Kana, p.Address)
}

// ListPersons returns the persons matching f in register order (by id), decrypted.
func (s *Store) ListPersons(ctx context.Context, kr *pii.Keyring, f PersonFilter) ([]Person, error) {
	var out []Person
	for {
		where, args, recheck := f.where(kr)
		q := `SELECT ` + personCols + ` FROM affected_persons WHERE ` + where + ` ORDER BY id`
		want := f.Limit - len(out)
		if f.Limit > 0 {
			q += fmt.Sprintf(" LIMIT %d", want)
		}
		rows, err := s.Pool.Query(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("store: list persons: %w", err)
		}
		got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Person, error) { return scanPerson(kr, r) })
		if err != nil {
			return nil, fmt.Errorf("store: list persons: %w", err)
		}
		for _, p := range got {
			if !recheck || f.matches(p) {
				out = append(out, p)
			}
		}
		// A page short of its limit only because candidates were dropped reads on.
		if !recheck || f.Limit == 0 || len(got) < want || len(out) >= f.Limit {
			return out, nil
		}
		f.AfterID = got[len(got)-1].ID
	}
}

// GetPerson returns one person of the case; ErrNotFound otherwise.
func (s *Store) GetPerson(ctx context.Context, kr *pii.Keyring, caseID, id int64) (Person, error) {
	p, err := scanPerson(kr, s.Pool.QueryRow(ctx, `SELECT `+personCols+` FROM affected_persons WHERE case_id = $1 AND id = $2`, caseID, id))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return p, fmt.Errorf("store: get person: %w", err)
	}
	return p, err
}

// lockRegister serialises writers of one case's register, so dedupe decisions do not race.
func lockRegister(ctx context.Context, tx pgx.Tx, caseID int64) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('affected_persons:' || $1::bigint::text, 0))`, caseID)
	return err
}

// identitySet holds the blind indexes present in a case's register, by kind.
type identitySet map[string]map[string]bool

func loadIdentities(ctx context.Context, tx pgx.Tx, caseID, exceptID int64) (identitySet, error) {
	set := identitySet{pii.IndexCustomerID: {}, pii.IndexEmail: {}, pii.IndexPhone: {}, pii.IndexNameAddress: {}}
	rows, err := tx.Query(ctx, `SELECT customer_bidx, email_bidx, phone_bidx, name_addr_bidx FROM affected_persons WHERE case_id = $1 AND id <> $2`, caseID, exceptID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c, e, p, n []byte
		if err := rows.Scan(&c, &e, &p, &n); err != nil {
			return nil, err
		}
		set.add(c, e, p, n)
	}
	return set, rows.Err()
}

// bidxColumn is the column holding each kind of blind index (each has an index on (case_id, col)).
var bidxColumn = map[string]string{
	pii.IndexCustomerID: "customer_bidx", pii.IndexEmail: "email_bidx", pii.IndexPhone: "phone_bidx", pii.IndexNameAddress: "name_addr_bidx",
}

// identityTaken reports whether another person of the case (not exceptID) has d's identity: the
// same question identitySet.has answers for an import, asked of the index for one person instead
// of reading every blind index of the register (a hand-entered person in a register of 100 000
// read 100 000 rows).
func identityTaken(ctx context.Context, tx pgx.Tx, kr *pii.Keyring, caseID, exceptID int64, d PersonData) (bool, error) {
	kind, norm := dedupeKey(d)
	col, ok := bidxColumn[kind]
	if !ok {
		return false, fmt.Errorf("store: no blind index column for %q", kind)
	}
	var taken bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM affected_persons WHERE case_id = $1 AND id <> $2 AND `+col+` = ANY($3))`,
		caseID, exceptID, kr.BlindIndexes(kind, norm)).Scan(&taken)
	return taken, err
}

func (set identitySet) add(c, e, p, n []byte) {
	for kind, v := range map[string][]byte{pii.IndexCustomerID: c, pii.IndexEmail: e, pii.IndexPhone: p, pii.IndexNameAddress: n} {
		if v != nil {
			set[kind][string(v)] = true
		}
	}
}

// has reports whether d is already in the set: its dedupe kind is looked up under every key.
func (set identitySet) has(kr *pii.Keyring, d PersonData) bool {
	kind, norm := dedupeKey(d)
	for _, ix := range kr.BlindIndexes(kind, norm) {
		if set[kind][string(ix)] {
			return true
		}
	}
	return false
}

func checkIdentity(d PersonData) error {
	if _, norm := dedupeKey(d); norm == "" {
		return ErrNoIdentity
	}
	return nil
}

func normNotice(n PersonNotice) PersonNotice {
	if n.Status == "" {
		n.Status = "unnotified"
	}
	return n
}

// CreatePerson adds one person by hand; ErrDuplicate when the case already has this person
// (same customer ID, else e-mail, else phone, else name and address).
func (s *Store) CreatePerson(ctx context.Context, kr *pii.Keyring, caseID, userID int64, d PersonData, n PersonNotice) (int64, error) {
	if err := checkIdentity(d); err != nil {
		return 0, err
	}
	n = normNotice(n)
	var id int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockRegister(ctx, tx, caseID); err != nil {
			return err
		}
		taken, err := identityTaken(ctx, tx, kr, caseID, 0, d)
		if err != nil {
			return err
		}
		if taken {
			return ErrDuplicate
		}
		if err := stampPersonChange(ctx, tx, userID, "対象者の追加"); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('affected_persons', 'id'))`).Scan(&id); err != nil {
			return err
		}
		sl := seal(kr, caseID, id, d)
		items := d.DataItems
		if items == nil {
			items = []string{}
		}
		_, err = tx.Exec(ctx, `INSERT INTO affected_persons (id, case_id, key_id, name_enc, kana_enc, postal_enc, address_enc, phone_enc,
			email_enc, customer_id_enc, email_bidx, phone_bidx, customer_bidx, name_addr_bidx, dedupe_bidx, data_items,
			notice_status, notice_method, notice_date, compensation_kind, compensation_amount, inquiries, created_by, text_bidx)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24)`,
			id, caseID, sl.keyID, sl.enc[0], sl.enc[1], sl.enc[2], sl.enc[3], sl.enc[4], sl.enc[5], sl.enc[6],
			sl.email, sl.phone, sl.customer, sl.nameAddr, sl.dedupe, items,
			n.Status, n.Method, n.Date, n.CompensationKind, n.CompensationAmount, n.Inquiries, userID, sl.text)
		return err
	})
	switch {
	case errors.Is(err, ErrDuplicate), isUniqueViolation(err):
		return 0, ErrDuplicate
	case err != nil:
		return 0, fmt.Errorf("store: create person: %w", err)
	}
	return id, nil
}

// UpdatePerson replaces a person's data and follow-up if the row is still at version:
// ErrConflict when someone changed it first, ErrNotFound, ErrDuplicate when the new identity
// is another person's.
func (s *Store) UpdatePerson(ctx context.Context, kr *pii.Keyring, caseID, id, version int64, d PersonData, n PersonNotice) error {
	if err := checkIdentity(d); err != nil {
		return err
	}
	n = normNotice(n)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockRegister(ctx, tx, caseID); err != nil {
			return err
		}
		var cur int64
		err := tx.QueryRow(ctx, `SELECT version FROM affected_persons WHERE case_id = $1 AND id = $2 FOR UPDATE`, caseID, id).Scan(&cur)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if cur != version {
			return ErrConflict
		}
		taken, err := identityTaken(ctx, tx, kr, caseID, id, d)
		if err != nil {
			return err
		}
		if taken {
			return ErrDuplicate
		}
		if err := stampPersonChange(ctx, tx, 0, "対象者の編集"); err != nil {
			return err
		}
		sl := seal(kr, caseID, id, d)
		items := d.DataItems
		if items == nil {
			items = []string{}
		}
		_, err = tx.Exec(ctx, `UPDATE affected_persons SET key_id = $3, name_enc = $4, kana_enc = $5, postal_enc = $6, address_enc = $7,
			phone_enc = $8, email_enc = $9, customer_id_enc = $10, email_bidx = $11, phone_bidx = $12, customer_bidx = $13,
			name_addr_bidx = $14, dedupe_bidx = $15, data_items = $16, notice_status = $17, notice_method = $18, notice_date = $19,
			compensation_kind = $20, compensation_amount = $21, inquiries = $22, text_bidx = $23, version = version + 1, updated_at = now()
			WHERE case_id = $1 AND id = $2`,
			caseID, id, sl.keyID, sl.enc[0], sl.enc[1], sl.enc[2], sl.enc[3], sl.enc[4], sl.enc[5], sl.enc[6],
			sl.email, sl.phone, sl.customer, sl.nameAddr, sl.dedupe, items,
			n.Status, n.Method, n.Date, n.CompensationKind, n.CompensationAmount, n.Inquiries, sl.text)
		return err
	})
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrConflict), errors.Is(err, ErrDuplicate):
		return err
	case isUniqueViolation(err):
		return ErrDuplicate
	case err != nil:
		return fmt.Errorf("store: update person %d: %w", id, err)
	}
	return nil
}

// BulkSetNotice sets the notice status, method and date of every person matching f (a filter, or
// f.IDs for a selection) in one statement, and returns how many rows changed.
func (s *Store) BulkSetNotice(ctx context.Context, kr *pii.Keyring, f PersonFilter, status, method string, date *time.Time) (int64, error) {
	f.AfterID, f.Limit = 0, 0
	if _, _, recheck := f.where(kr); recheck {
		// A text search selects candidates only: the rows that really match are named by ID, so
		// that a bulk change never reaches a row the list did not show.
		list, err := s.ListPersons(ctx, kr, f)
		if err != nil {
			return 0, fmt.Errorf("store: bulk notice: %w", err)
		}
		f = PersonFilter{CaseID: f.CaseID, Status: f.Status, IDs: ids(list)}
	}
	where, args, _ := f.where(kr)
	n := len(args)
	args = append(args, status, method, date)
	var changed int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := stampPersonChange(ctx, tx, 0, "通知状況の一括更新"); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, fmt.Sprintf(`UPDATE affected_persons SET notice_status = $%d, notice_method = $%d, notice_date = $%d,
		version = version + 1, updated_at = now() WHERE `+where, n+1, n+2, n+3), args...)
		changed = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: bulk notice: %w", err)
	}
	return changed, nil
}

// SaveImportUpload stages an uploaded file, encrypted, between preview and commit; it returns the
// token the commit form carries. Expired uploads are removed on the way.
