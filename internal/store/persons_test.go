package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/testdb"
)

func testKey(t testing.TB, seed byte) *pii.Key {
	t.Helper()
	k, err := pii.NewKey(bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newCase inserts a user and a case row directly (the case engine is not needed here).
func newCase(t testing.TB, db *testdb.DB) (caseID, userID int64) {
	t.Helper()
	ctx := context.Background()
	u, err := db.Store.CreateUser(ctx, 0, fmt.Sprintf("u%d@example.jp", time.Now().UnixNano()), "担当", []auth.Role{auth.RoleStaff}, "x")
	if err != nil {
		t.Fatal(err)
	}
	err = db.Store.Pool.QueryRow(ctx, `INSERT INTO cases (number, title, status, version, created_by, created_at, updated_at, state)
		VALUES ($1, 'テスト事案', 'open', 1, $2, now(), now(), '{}') RETURNING id`, fmt.Sprintf("T-%d", time.Now().UnixNano()), u.ID).Scan(&caseID)
	if err != nil {
		t.Fatal(err)
	}
	return caseID, u.ID
}

func people(n int) []store.PersonData {
	out := make([]store.PersonData, n)
	for i := range out {
		out[i] = store.PersonData{
			Name: fmt.Sprintf("山田 太郎%d", i), Kana: "ヤマダ タロウ", Postal: "100-0001",
			Address: fmt.Sprintf("東京都千代田区千代田1-%d", i), Phone: fmt.Sprintf("03-%04d-%04d", i/10000, i%10000),
			Email: fmt.Sprintf("user%d@example.jp", i), CustomerID: fmt.Sprintf("C%07d", i), DataItems: []string{"氏名", "住所"},
		}
	}
	return out
}

func TestPersons_EncryptedAtRestAndFoundByBlindIndex(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	kr := pii.NewKeyring(testKey(t, 1))
	caseID, userID := newCase(t, db)
	rows := []store.PersonData{
		{Name: "山田 太郎", Kana: "ヤマダ タロウ", Postal: "100-0001", Address: "東京都千代田区千代田1-1", Phone: "090-1234-5678", Email: "Taro@Example.jp", CustomerID: "CUST-77", DataItems: []string{"氏名"}},
		{Name: "佐藤 花子", Email: "hanako@example.jp"},
	}
	out, err := db.Store.ImportPersons(ctx, kr, store.ImportMeta{CaseID: caseID, UserID: userID, Encoding: "UTF-8"}, rows)
	if err != nil || out.Added != 2 {
		t.Fatalf("import: %+v %v", out, err)
	}
	// The whole row as text, as a dump would show it, holds none of the plaintext.
	var dump string
	if err := db.Store.Pool.QueryRow(ctx, `SELECT string_agg(p::text, E'\n') FROM affected_persons p`).Scan(&dump); err != nil {
		t.Fatal(err)
	}
	// Only secrets that cannot occur by chance in a hex dump of random bytes: a bare "5678" would
	// (four hex digits: about one row in a few thousand), so the phone number is checked with its dash.
	for _, secret := range []string{"山田", "ヤマダ", "100-0001", "千代田", "1234-5678", "taro", "Taro", "example", "CUST-77", "佐藤"} {
		hexed := fmt.Sprintf("%x", secret)
		if strings.Contains(dump, secret) || strings.Contains(dump, hexed) {
			t.Errorf("plaintext %q found in the stored row", secret)
		}
	}
	for _, q := range []string{"taro@example.jp", " TARO@EXAMPLE.JP ", "09012345678", "+81 90-1234-5678", "ＣＵＳＴ－７７"} {
		got, err := db.Store.ListPersons(ctx, kr, store.PersonFilter{CaseID: caseID, Search: q})
		if err != nil || len(got) != 1 || got[0].Name != "山田 太郎" || got[0].Phone != "090-1234-5678" {
			t.Errorf("search %q: %v %+v", q, err, got)
		}
	}
	if got, _ := db.Store.ListPersons(ctx, kr, store.PersonFilter{CaseID: caseID, Search: "nobody@example.jp"}); len(got) != 0 {
		t.Errorf("unexpected match %+v", got)
	}
	if n, err := db.Store.AffectedPersonCount(ctx, caseID); err != nil || n != 2 {
		t.Errorf("count %d %v", n, err)
	}
}

func TestPersons_CiphertextSwappedBetweenRowsDoesNotDecrypt(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	kr := pii.NewKeyring(testKey(t, 1))
	caseID, userID := newCase(t, db)
	if _, err := db.Store.ImportPersons(ctx, kr, store.ImportMeta{CaseID: caseID, UserID: userID}, people(2)); err != nil {
		t.Fatal(err)
	}
	// An attacker with write access moves row 1's name onto row 2, and row 2's e-mail into its name
	// (stating a reason, as the history trigger demands of every change).
	if _, err := db.Store.Pool.Exec(ctx, `SELECT set_config('leakdesk.person_reason', '改ざん試験', false); UPDATE affected_persons SET name_enc = (SELECT name_enc FROM affected_persons ORDER BY id LIMIT 1)
		WHERE id = (SELECT max(id) FROM affected_persons)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Store.Pool.Exec(ctx, `SELECT set_config('leakdesk.person_reason', '改ざん試験', false); UPDATE affected_persons SET kana_enc = email_enc WHERE id = (SELECT min(id) FROM affected_persons)`); err != nil {
		t.Fatal(err)
	}
	all, err := db.Store.ListPersons(ctx, kr, store.PersonFilter{CaseID: caseID})
	if !errors.Is(err, pii.ErrDecrypt) {
		t.Fatalf("moved ciphertexts decrypted: %v %d", err, len(all))
	}
}

func TestPersons_ReimportAddsNobodyTwice(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	kr := pii.NewKeyring(testKey(t, 1))
	caseID, userID := newCase(t, db)
	m := store.ImportMeta{CaseID: caseID, UserID: userID, Encoding: "UTF-8"}
	first, err := db.Store.ImportPersons(ctx, kr, m, people(50))
	if err != nil || first.Added != 50 {
		t.Fatalf("%+v %v", first, err)
	}
	again, err := db.Store.ImportPersons(ctx, kr, m, people(50))
	if err != nil || again.Added != 0 || again.Present != 50 {
		t.Fatalf("re-import: %+v %v", again, err)
	}
	// An overlapping file: 60 people, the first 50 known; one known person's e-mail now in upper
	// case and without customer ID (matched by e-mail); a person known only by name and address.
	more := people(60)
	more[3].CustomerID, more[3].Email = "", strings.ToUpper(more[3].Email)
	add, present, err := db.Store.PreviewPersonImport(ctx, kr, caseID, more)
	if err != nil || add != 10 || present != 50 {
		t.Fatalf("preview: %d %d %v", add, present, err)
	}
	third, err := db.Store.ImportPersons(ctx, kr, m, more)
	if err != nil || third.Added != 10 || third.Present != 50 {
		t.Fatalf("overlap: %+v %v", third, err)
	}
	byName := []store.PersonData{{Name: "鈴木 一", Address: "大阪府"}}
	if o, _ := db.Store.ImportPersons(ctx, kr, m, byName); o.Added != 1 {
		t.Fatalf("name+address: %+v", o)
	}
	byName[0].Name = "鈴木　一" // full-width space: the same person after normalisation
	if o, _ := db.Store.ImportPersons(ctx, kr, m, byName); o.Added != 0 {
		t.Fatalf("name+address again: %+v", o)
	}
	if n, _ := db.Store.AffectedPersonCount(ctx, caseID); n != 61 {
		t.Fatalf("count %d", n)
	}
	// One person by hand, against the register the imports built, by each kind of identity.
	manual := []struct {
		name string
		d    store.PersonData
		dup  bool
	}{
		{"customer id taken", store.PersonData{Name: "別名", CustomerID: "C0000001"}, true},
		{"name and address taken (normalised)", store.PersonData{Name: "鈴木  一", Address: "大阪府"}, true},
		{"same name, other address", store.PersonData{Name: "鈴木 一", Address: "京都府"}, false},
		{"new e-mail", store.PersonData{Name: "新規", Email: "new-person@example.jp"}, false},
		{"that e-mail again, other letter case", store.PersonData{Name: "新規", Email: "NEW-person@example.jp"}, true},
	}
	var manualID int64
	for _, m := range manual {
		id, err := db.Store.CreatePerson(ctx, kr, caseID, userID, m.d, store.PersonNotice{})
		if m.dup != errors.Is(err, store.ErrDuplicate) || (!m.dup && err != nil) {
			t.Fatalf("%s: %v (duplicate expected: %v)", m.name, err, m.dup)
		}
		if id != 0 {
			manualID = id
		}
	}
	// Editing a person keeps its own identity; taking another's is refused.
	p, err := db.Store.GetPerson(ctx, kr, caseID, manualID)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Store.UpdatePerson(ctx, kr, caseID, manualID, p.Version, p.PersonData, p.PersonNotice); err != nil {
		t.Fatalf("update keeping its own e-mail: %v", err)
	}
	taken := p.PersonData
	taken.Email, taken.CustomerID = "", "C0000001"
	if err := db.Store.UpdatePerson(ctx, kr, caseID, manualID, p.Version+1, taken, p.PersonNotice); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("update to a taken customer id: %v", err)
	}
	var imports int
	_ = db.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM person_imports WHERE case_id = $1`, caseID).Scan(&imports)
	if imports != 5 {
		t.Errorf("%d import records", imports)
	}
}

func TestPersons_EditNeedsCurrentVersionAndBulkNotice(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	kr := pii.NewKeyring(testKey(t, 1))
	caseID, userID := newCase(t, db)
	id, err := db.Store.CreatePerson(ctx, kr, caseID, userID, store.PersonData{Name: "山田 太郎", Email: "t@example.jp"}, store.PersonNotice{})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := db.Store.GetPerson(ctx, kr, caseID, id)
	p.Address = "東京都"
	p.Inquiries = 2
	if err := db.Store.UpdatePerson(ctx, kr, caseID, id, p.Version, p.PersonData, p.PersonNotice); err != nil {
		t.Fatal(err)
	}
	if err := db.Store.UpdatePerson(ctx, kr, caseID, id, p.Version, p.PersonData, p.PersonNotice); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale version: %v", err)
	}
	if err := db.Store.UpdatePerson(ctx, kr, caseID+1000, id, 2, p.PersonData, p.PersonNotice); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other case: %v", err)
	}
	if _, err := db.Store.ImportPersons(ctx, kr, store.ImportMeta{CaseID: caseID, UserID: userID}, people(10)); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	n, err := db.Store.BulkSetNotice(ctx, kr, store.PersonFilter{CaseID: caseID, Status: "unnotified", Search: "user3@example.jp"}, "notified", "post", &day)
	if err != nil || n != 1 {
		t.Fatalf("bulk by filter: %d %v", n, err)
	}
	n, err = db.Store.BulkSetNotice(ctx, kr, store.PersonFilter{CaseID: caseID, Status: "unnotified"}, "notified", "email", &day)
	if err != nil || n != 10 {
		t.Fatalf("bulk all: %d %v", n, err)
	}
	counts, _ := db.Store.PersonStatusCounts(ctx, caseID)
	if counts["notified"] != 11 {
		t.Fatalf("counts %v", counts)
	}
	got, _ := db.Store.GetPerson(ctx, kr, caseID, id)
	if got.Method != "email" || got.Date == nil || !got.Date.Equal(day) || got.Inquiries != 2 || got.Address != "東京都" {
		t.Fatalf("person %+v", got)
	}
}

func TestCheckDataKey_WrongKeyIsDetected(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	right, wrong := pii.NewKeyring(testKey(t, 1)), pii.NewKeyring(testKey(t, 2))
	if err := db.Store.CheckDataKey(ctx, right); err != nil {
		t.Fatalf("first start: %v", err)
	}
	if err := db.Store.CheckDataKey(ctx, right); err != nil {
		t.Fatalf("second start: %v", err)
	}
	err := db.Store.CheckDataKey(ctx, wrong)
	if !errors.Is(err, store.ErrWrongDataKey) || !strings.Contains(err.Error(), right.Primary().ID()) {
		t.Fatalf("wrong key: %v", err)
	}
}

func TestRotate_ReencryptsEveryRowAndSwitchesTheKey(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	oldKR, newKey := pii.NewKeyring(testKey(t, 1)), testKey(t, 2)
	if err := db.Store.CheckDataKey(ctx, oldKR); err != nil {
		t.Fatal(err)
	}
	caseID, userID := newCase(t, db)
	if _, err := db.Store.ImportPersons(ctx, oldKR, store.ImportMeta{CaseID: caseID, UserID: userID}, people(store.RotateBatch+7)); err != nil {
		t.Fatal(err)
	}
	if err := store.Rotate(ctx, db.Store, pii.NewKeyring(newKey), newKey); err == nil {
		t.Fatal("rotation with the wrong old key accepted")
	}
	if err := store.Rotate(ctx, db.Store, oldKR, newKey); err != nil {
		t.Fatal(err)
	}
	newKR := pii.NewKeyring(newKey)
	if err := db.Store.CheckDataKey(ctx, newKR); err != nil {
		t.Fatalf("new key after rotation: %v", err)
	}
	if err := db.Store.CheckDataKey(ctx, oldKR); !errors.Is(err, store.ErrWrongDataKey) {
		t.Fatalf("old key after rotation: %v", err)
	}
	all, err := db.Store.ListPersons(ctx, newKR, store.PersonFilter{CaseID: caseID})
	if err != nil || len(all) != store.RotateBatch+7 || all[5].Email != "user5@example.jp" {
		t.Fatalf("read with the new key: %v %d", err, len(all))
	}
	if _, err := db.Store.ListPersons(ctx, oldKR, store.PersonFilter{CaseID: caseID}); !errors.Is(err, pii.ErrUnknownKey) {
		t.Fatalf("old key still reads: %v", err)
	}
	if got, _ := db.Store.ListPersons(ctx, newKR, store.PersonFilter{CaseID: caseID, Search: "C0000009"}); len(got) != 1 {
		t.Fatalf("blind index after rotation: %d", len(got))
	}
	// Re-importing after rotation still finds everybody.
	if o, err := db.Store.ImportPersons(ctx, newKR, store.ImportMeta{CaseID: caseID, UserID: userID}, people(20)); err != nil || o.Added != 0 {
		t.Fatalf("re-import after rotation: %+v %v", o, err)
	}
}

func TestRotate_InterruptedRotationBlocksStart(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	oldKR, newKey := pii.NewKeyring(testKey(t, 1)), testKey(t, 2)
	if err := db.Store.CheckDataKey(ctx, oldKR); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Store.Pool.Exec(ctx, `INSERT INTO pii_keys (key_id, check_value, state) VALUES ($1, $2, 'rotating')`, newKey.ID(), newKey.CheckValue()); err != nil {
		t.Fatal(err)
	}
	if err := db.Store.CheckDataKey(ctx, oldKR); !errors.Is(err, store.ErrKeyRotating) {
		t.Fatalf("start during rotation: %v", err)
	}
	if err := store.Rotate(ctx, db.Store, oldKR, newKey); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if err := db.Store.CheckDataKey(ctx, pii.NewKeyring(newKey)); err != nil {
		t.Fatal(err)
	}
}

func TestPersons_Import100k(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	kr := pii.NewKeyring(testKey(t, 1))
	caseID, userID := newCase(t, db)
	rows := people(100_000)
	start := time.Now()
	out, err := db.Store.ImportPersons(ctx, kr, store.ImportMeta{CaseID: caseID, UserID: userID}, rows)
	if err != nil || out.Added != 100_000 {
		t.Fatalf("%+v %v", out, err)
	}
	t.Logf("imported 100k rows in %v", time.Since(start))
	start = time.Now()
	again, err := db.Store.ImportPersons(ctx, kr, store.ImportMeta{CaseID: caseID, UserID: userID}, rows)
	if err != nil || again.Added != 0 || again.Present != 100_000 {
		t.Fatalf("%+v %v", again, err)
	}
	t.Logf("re-import of 100k rows (all present) in %v", time.Since(start))
}

// BenchmarkImport100k imports 100 000 persons (encrypt, blind-index, dedupe, COPY, one
// transaction) and, in the same run, COPYs the same rows as plaintext into a plain table: the
// difference is the cost of the protection.
func BenchmarkImport100k(b *testing.B) {
	db := testdb.New(b)
	ctx := context.Background()
	kr := pii.NewKeyring(testKey(b, 1))
	rows := people(100_000)
	// The owner creates the reference table (the app role creates none); default privileges let
	// the app write it like any working table.
	ownerExec(b, db.OwnerURL, `CREATE TABLE plain_persons (name text, kana text, postal text, address text, phone text,
		email text, customer_id text, data_items text[])`)
	var importDur, copyDur time.Duration
	for b.Loop() {
		caseID, userID := newCase(b, db)
		start := time.Now()
		if _, err := db.Store.ImportPersons(ctx, kr, store.ImportMeta{CaseID: caseID, UserID: userID}, rows); err != nil {
			b.Fatal(err)
		}
		importDur += time.Since(start)
		start = time.Now()
		err := pgx.BeginFunc(ctx, db.Store.Pool, func(tx pgx.Tx) error {
			_, err := tx.CopyFrom(ctx, pgx.Identifier{"plain_persons"}, []string{"name", "kana", "postal", "address", "phone", "email", "customer_id", "data_items"},
				pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
					r := rows[i]
					return []any{r.Name, r.Kana, r.Postal, r.Address, r.Phone, r.Email, r.CustomerID, r.DataItems}, nil
				}))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		copyDur += time.Since(start)
	}
	n := float64(b.N) * 100_000
	b.ReportMetric(n/importDur.Seconds(), "import-rows/s")
	b.ReportMetric(n/copyDur.Seconds(), "plain-copy-rows/s")
}

// BenchmarkCreatePerson: adding one person by hand to a case whose register already holds n
// people, beside the same into an empty register (the reference, same run). The duplicate check
// is an index lookup, so the ratio should stay near 1 as the register grows.
func BenchmarkCreatePerson(b *testing.B) {
	db := testdb.New(b)
	ctx := context.Background()
	kr := pii.NewKeyring(testKey(b, 1))
	big, userID := newCase(b, db)
	if _, err := db.Store.ImportPersons(ctx, kr, store.ImportMeta{CaseID: big, UserID: userID}, people(100_000)); err != nil {
		b.Fatal(err)
	}
	empty, _ := newCase(b, db)
	for _, c := range []struct {
		name   string
		caseID int64
	}{{"empty-register", empty}, {"register-100k", big}} {
		b.Run(c.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				d := store.PersonData{Name: "手入力 太郎", Email: fmt.Sprintf("hand-%s-%d@example.jp", c.name, i)}
				if _, err := db.Store.CreatePerson(ctx, kr, c.caseID, userID, d, store.PersonNotice{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
