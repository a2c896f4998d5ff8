package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/text/encoding/japanese"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/config"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/testdb"
	"github.com/leakdesk/leakdesk/internal/web"
)

// personsHarness is the standard harness with a data key, one case and one user per role.
type personsHarness struct {
	*harness
	keys   *pii.Keyring
	caseID int64
}

func newPersonsHarness(t *testing.T, tune ...func(*web.Options)) *personsHarness {
	t.Helper()
	db := testdb.New(t)
	passwordsOnly(t, db)
	cfg, err := config.FromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	k, err := pii.NewKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	kr := pii.NewKeyring(k)
	if err := db.Store.CheckDataKey(context.Background(), kr); err != nil {
		t.Fatal(err)
	}
	opts := web.Options{PasswordParams: &cheap, Keys: kr}
	for _, f := range tune {
		f(&opts)
	}
	srv := web.New(cfg, db.Store, slog.New(slog.NewTextHandler(io.Discard, nil)), opts)
	srv.Ready().Check(context.Background())
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	h := &personsHarness{harness: &harness{t: t, db: db, srv: srv, ts: ts, users: map[string]store.User{}}, keys: kr}
	for key, role := range map[string]auth.Role{"staff": auth.RoleStaff, "manager": auth.RoleManager, "privacy": auth.RolePrivacyOfficer,
		"auditor": auth.RoleAuditor, "exec": auth.RoleExecutive, "hr": auth.RoleHR, "admin": auth.RoleAdmin} {
		h.user(key, role)
	}
	staff := h.users["staff"]
	c, err := casework.New(db.Store).Open(context.Background(), incident.Actor{UserID: staff.ID, Name: staff.Name, Roles: []incident.Role{incident.RoleStaff}},
		"USBメモリ紛失", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	h.caseID = c.ID
	return h
}

func (h *personsHarness) path(rest string) string {
	return fmt.Sprintf("/cases/%d/persons%s", h.caseID, rest)
}

// upload posts a file to the import form as a browser does (multipart, CSRF field).
func (c *client) upload(from, path, name string, content []byte) resp {
	c.h.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("_csrf", c.csrf(from))
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(content)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.h.ts.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", c.h.ts.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

var uploadTokenRe = regexp.MustCompile(`name="upload" value="([^"]+)"`)

// importFile uploads and commits; it returns the preview page.
func (h *personsHarness) importFile(c *client, name string, content []byte) (preview resp, commit resp) {
	h.t.Helper()
	preview = c.upload(h.path("/import"), h.path("/import"), name, content)
	if preview.Status != http.StatusOK {
		h.t.Fatalf("preview %s: status %d: %s", name, preview.Status, text(h.t, preview.Body, `[data-testid="import-errors"]`))
	}
	m := uploadTokenRe.FindStringSubmatch(preview.Body)
	if m == nil {
		h.t.Fatal("no upload token on the preview")
	}
	commit = c.postForm(h.path("/import"), h.path("/import/commit"), url.Values{"upload": {m[1]}})
	if commit.Status != http.StatusSeeOther {
		h.t.Fatalf("commit: status %d", commit.Status)
	}
	return preview, commit
}

func text(t *testing.T, body, sel string) string {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(doc.Find(sel).Text())
}

func (h *personsHarness) count() int64 {
	n, err := h.db.Store.AffectedPersonCount(context.Background(), h.caseID)
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

type accessRow struct {
	Page     string
	Subjects []int64
	Reason   string
}

func (h *personsHarness) accessLog(userKey string) []accessRow {
	h.t.Helper()
	rows, err := h.db.Store.Pool.Query(context.Background(), `SELECT page, subjects, reason FROM access_log WHERE user_id = $1 AND case_id = $2 ORDER BY id`,
		h.users[userKey].ID, h.caseID)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	var out []accessRow
	for rows.Next() {
		var a accessRow
		if err := rows.Scan(&a.Page, &a.Subjects, &a.Reason); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func readTestdata(t *testing.T, name string) []byte {
	b, err := os.ReadFile("../csvimport/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPersons_ImportEachEncodingIsIdempotent(t *testing.T) {
	for _, c := range []struct{ file, enc string }{{"utf8.csv", "UTF-8"}, {"bom.csv", "UTF-8 (BOM)"}, {"sjis.csv", "Shift_JIS (CP932)"}} {
		t.Run(c.file, func(t *testing.T) {
			h := newPersonsHarness(t)
			cl := h.client().loginAs("staff")
			preview, _ := h.importFile(cl, c.file, readTestdata(t, c.file))
			if got := text(t, preview.Body, `[data-testid="import-encoding"]`); got != c.enc {
				t.Errorf("encoding shown %q", got)
			}
			if text(t, preview.Body, `[data-testid="import-add"]`) != "3" || !strings.Contains(preview.Body, "髙橋 一郎") {
				t.Errorf("preview: add %q", text(t, preview.Body, `[data-testid="import-add"]`))
			}
			if h.count() != 3 {
				t.Fatalf("count %d", h.count())
			}
			// The same file again, in another encoding: previewed as already registered, adds nobody.
			again, _ := h.importFile(cl, "again.csv", readTestdata(t, "sjis.csv"))
			if text(t, again.Body, `[data-testid="import-add"]`) != "0" || text(t, again.Body, `[data-testid="import-present"]`) != "3" {
				t.Errorf("re-import preview: add %q present %q", text(t, again.Body, `[data-testid="import-add"]`), text(t, again.Body, `[data-testid="import-present"]`))
			}
			if h.count() != 3 {
				t.Fatalf("count after re-import %d", h.count())
			}
			list := cl.get(h.path(""))
			if !strings.Contains(list.Body, "0人を追加しました") || !strings.Contains(list.Body, "taro@example.jp") {
				t.Errorf("list after re-import lacks the flash or the data")
			}
		})
	}
}

func TestPersons_CommitTwiceAddsNothingMore(t *testing.T) {
	h := newPersonsHarness(t)
	cl := h.client().loginAs("staff")
	preview := cl.upload(h.path("/import"), h.path("/import"), "a.csv", readTestdata(t, "utf8.csv"))
	token := uploadTokenRe.FindStringSubmatch(preview.Body)[1]
	if r := cl.postForm(h.path("/import"), h.path("/import/commit"), url.Values{"upload": {token}}); r.Status != http.StatusSeeOther {
		t.Fatalf("commit %d", r.Status)
	}
	if r := cl.postForm(h.path("/import"), h.path("/import/commit"), url.Values{"upload": {token}}); r.Status != http.StatusConflict {
		t.Fatalf("second commit %d", r.Status)
	}
	if h.count() != 3 {
		t.Fatalf("count %d", h.count())
	}
}

func TestPersons_BadFilesAreReportedInJapaneseAndImportNothing(t *testing.T) {
	h := newPersonsHarness(t)
	cl := h.client().loginAs("staff")
	r := cl.upload(h.path("/import"), h.path("/import"), "errors.csv", readTestdata(t, "errors.csv"))
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", r.Status)
	}
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(r.Body))
	var lines []string
	doc.Find(`[data-testid="import-error-line"]`).Each(func(_ int, s *goquery.Selection) { lines = append(lines, strings.TrimSpace(s.Text())) })
	if strings.Join(lines, ",") != "2,3,4,5" {
		t.Errorf("error lines %v", lines)
	}
	errs := text(t, r.Body, `[data-testid="import-errors"]`)
	for _, want := range []string{"メールアドレスの形式", "郵便番号は7桁", "数式", "2行目と同じ人物"} {
		if !strings.Contains(errs, want) {
			t.Errorf("missing %q in %q", want, errs)
		}
	}
	if strings.Contains(r.Body, `name="upload"`) {
		t.Error("a file with errors can be committed")
	}
	for name, content := range map[string][]byte{
		"euc.csv":      {0xbb, 0xe1, 0xcc, 0xbe, 0x2c, 0xa0, 0x80, 0x0a},
		"noheader.csv": []byte("山田 太郎,taro@example.jp\n"),
		"formula.csv":  []byte("氏名,メールアドレス\n\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",a@example.jp\n"),
	} {
		r := cl.upload(h.path("/import"), h.path("/import"), name, content)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "取り込みません") {
			t.Errorf("%s: status %d", name, r.Status)
		}
	}
	if h.count() != 0 {
		t.Fatalf("count %d", h.count())
	}
}

func TestPersons_Import100kRowsThroughTheUploadForm(t *testing.T) {
	h := newPersonsHarness(t)
	cl := h.client().loginAs("staff")
	var b strings.Builder
	b.WriteString("氏名,フリガナ,郵便番号,住所,電話番号,メールアドレス,顧客番号,漏えい項目\r\n")
	for i := range 100_000 {
		fmt.Fprintf(&b, "山田 太郎%d,ヤマダ タロウ,100-0001,東京都千代田区千代田1-%d,03-%04d-%04d,user%d@example.jp,C%07d,氏名、住所\r\n", i, i, i/10000, i%10000, i, i)
	}
	if b.Len() < 1<<20 {
		t.Fatal("the file must exceed the global 1 MB body limit")
	}
	preview, _ := h.importFile(cl, "big.csv", []byte(b.String()))
	if text(t, preview.Body, `[data-testid="import-add"]`) != "100000" {
		t.Fatalf("preview add %q", text(t, preview.Body, `[data-testid="import-add"]`))
	}
	if h.count() != 100_000 {
		t.Fatalf("count %d", h.count())
	}
	// Other pages keep the global limit.
	big := url.Values{"name": {strings.Repeat("あ", 1<<20)}}
	if r := cl.postForm(h.path(""), h.path(""), big); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("large form on another route: %d", r.Status)
	}
}

func TestPersons_MaskedUnlessTheRoleMaySeeAndEveryDecryptedViewLogged(t *testing.T) {
	h := newPersonsHarness(t)
	ctx := context.Background()
	id, err := h.db.Store.CreatePerson(ctx, h.keys, h.caseID, h.users["staff"].ID, store.PersonData{Name: "山田 太郎", Kana: "ヤマダ タロウ",
		Postal: "100-0001", Address: "東京都千代田区千代田1-1", Phone: "090-1234-5678", Email: "taro@example.jp", CustomerID: "CUST-12345"}, store.PersonNotice{})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"exec", "hr"} {
		r := h.client().loginAs(key).get(h.path(""))
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d", key, r.Status)
		}
		row := fmt.Sprintf(`[data-testid="person-%d"]`, id)
		if got := text(t, r.Body, row+` [data-testid="person-name"]`); got != "山田 **" {
			t.Errorf("%s sees name %q", key, got)
		}
		if got := text(t, r.Body, row+` [data-testid="person-phone"]`); got != "***-****-5678" {
			t.Errorf("%s sees phone %q", key, got)
		}
		if got := text(t, r.Body, row+` [data-testid="person-email"]`); got != "t***@example.jp" {
			t.Errorf("%s sees e-mail %q", key, got)
		}
		for _, secret := range []string{"太郎", "千代田", "taro@", "1234-5678", "CUST-12345"} {
			if strings.Contains(r.Body, secret) {
				t.Errorf("%s sees %q", key, secret)
			}
		}
		if len(h.accessLog(key)) != 0 {
			t.Errorf("%s: a masked view was logged as a decrypted one", key)
		}
		if r := h.client().loginAs(key).get(h.path("/export?reason=x")); r.Status != http.StatusForbidden {
			t.Errorf("%s export: %d", key, r.Status)
		}
	}
	// The case's handler, the privacy officer and the auditor need to know; a manager not on the
	// case sees the list masked (TestPersons_NeedToKnow).
	for _, key := range []string{"staff", "privacy", "auditor"} {
		cl := h.client().loginAs(key)
		r := cl.get(h.path(""))
		if text(t, r.Body, fmt.Sprintf(`[data-testid="person-%d"] [data-testid="person-name"]`, id)) != "山田 太郎" {
			t.Errorf("%s does not see the name", key)
		}
		log := h.accessLog(key)
		if len(log) != 1 || log[0].Page != "persons.list" || len(log[0].Subjects) != 1 || log[0].Subjects[0] != id {
			t.Errorf("%s access log %+v", key, log)
		}
	}
	// Search by exact e-mail through the blind index.
	cl := h.client().loginAs("staff")
	search := func(q string) resp {
		return cl.get(cl.postForm(h.path(""), h.path("/search"), url.Values{"q": {q}}).Header.Get("Location"))
	}
	if r := search("TARO@example.jp"); !strings.Contains(r.Body, "山田 太郎") {
		t.Error("search by e-mail found nothing")
	}
	if r := search("taro"); strings.Contains(r.Body, "山田 太郎") {
		t.Error("a partial search matched")
	}
	// Role checks on writes and on other users.
	if r := h.client().loginAs("auditor").postForm(h.path(""), h.path("/bulk-notice"), url.Values{"status": {"notified"}, "scope": {"filtered"}}); r.Status != http.StatusForbidden {
		t.Errorf("auditor bulk update: %d", r.Status)
	}
	if r := h.client().loginAs("admin").get(h.path("")); r.Status != http.StatusForbidden {
		t.Errorf("admin: %d", r.Status)
	}
	if r := cl.get(fmt.Sprintf("/cases/%d/persons", h.caseID+999)); r.Status != http.StatusNotFound {
		t.Errorf("unknown case: %d", r.Status)
	}
}

func TestPersons_AddEditConflictAndBulkNotice(t *testing.T) {
	h := newPersonsHarness(t)
	cl := h.client().loginAs("staff")
	bad := cl.postForm(h.path(""), h.path(""), url.Values{"name": {"山田"}, "email": {"not-an-address"}, "postal_code": {"12-345"}})
	if bad.Status != http.StatusUnprocessableEntity || text(t, bad.Body, `[data-testid="error-email"]`) == "" || text(t, bad.Body, `[data-testid="error-postal_code"]`) == "" {
		t.Fatalf("invalid add: %d", bad.Status)
	}
	// A tampered notice status is refused next to its field, never turned into 未通知.
	tampered := cl.postForm(h.path(""), h.path(""), url.Values{"name": {"山田 次郎"}, "notice_status": {"delivered_by_hand"}, "notice_method": {"carrier_pigeon"}})
	if tampered.Status != http.StatusUnprocessableEntity || text(t, tampered.Body, `[data-testid="error-notice_status"]`) == "" ||
		text(t, tampered.Body, `[data-testid="error-notice_method"]`) == "" {
		t.Fatalf("tampered notice status: %d", tampered.Status)
	}
	formula := cl.postForm(h.path(""), h.path(""), url.Values{"name": {"=HYPERLINK(\"http://x\")"}})
	if formula.Status != http.StatusUnprocessableEntity {
		t.Fatalf("formula add: %d", formula.Status)
	}
	ok := cl.postForm(h.path(""), h.path(""), url.Values{"name": {"山田 太郎"}, "email": {"taro@example.jp"}, "data_items": {"氏名、メールアドレス"},
		"compensation_kind": {"gift_card"}, "compensation_amount": {"500"}})
	if ok.Status != http.StatusSeeOther {
		t.Fatalf("add: %d", ok.Status)
	}
	if dup := cl.postForm(h.path(""), h.path(""), url.Values{"name": {"別人"}, "email": {"TARO@example.jp"}}); dup.Status != http.StatusConflict {
		t.Fatalf("duplicate add: %d", dup.Status)
	}
	list, _ := h.db.Store.ListPersons(context.Background(), h.keys, store.PersonFilter{CaseID: h.caseID})
	p := list[0]
	if p.CompensationAmount != 500 || len(p.DataItems) != 2 {
		t.Fatalf("stored %+v", p)
	}
	edit := h.path(fmt.Sprintf("/%d", p.ID))
	page := cl.get(edit)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "taro@example.jp") {
		t.Fatalf("edit page: %d", page.Status)
	}
	if log := h.accessLog("staff"); len(log) == 0 || log[len(log)-1].Page != "persons.edit" {
		t.Errorf("edit view not logged: %+v", log)
	}
	form := url.Values{"version": {"1"}, "name": {"山田 太郎"}, "email": {"taro@example.jp"}, "inquiries": {"3"}, "notice_status": {"unnotified"}}
	if r := cl.postForm(edit, edit, form); r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Header.Get("Location"), "/persons") {
		t.Fatalf("edit: %d", r.Status)
	}
	if r := cl.postForm(edit, edit, form); r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Header.Get("Location"), edit) {
		t.Fatalf("stale edit: %d %s", r.Status, r.Header.Get("Location"))
	}
	if r := cl.get(edit); !strings.Contains(r.Body, "他の人が先に更新しました") {
		t.Error("conflict not explained")
	}
	if _, err := h.db.Store.ImportPersons(context.Background(), h.keys, store.ImportMeta{CaseID: h.caseID, UserID: h.users["staff"].ID},
		[]store.PersonData{{Name: "A", Email: "a@example.jp"}, {Name: "B", Email: "b@example.jp"}, {Name: "C", Email: "c@example.jp"}}); err != nil {
		t.Fatal(err)
	}
	all, _ := h.db.Store.ListPersons(context.Background(), h.keys, store.PersonFilter{CaseID: h.caseID})
	sel := url.Values{"scope": {"selected"}, "ids": {fmt.Sprint(all[1].ID), fmt.Sprint(all[2].ID)}, "status": {"notified"}, "method": {"post"}, "date": {"2026-05-01"}}
	if r := cl.postForm(h.path(""), h.path("/bulk-notice"), sel); r.Status != http.StatusSeeOther {
		t.Fatalf("bulk selected: %d", r.Status)
	}
	counts, _ := h.db.Store.PersonStatusCounts(context.Background(), h.caseID)
	if counts["notified"] != 2 || counts["unnotified"] != 2 {
		t.Fatalf("counts %v", counts)
	}
	filtered := url.Values{"scope": {"filtered"}, "f_status": {"unnotified"}, "status": {"undeliverable"}}
	if r := cl.postForm(h.path(""), h.path("/bulk-notice"), filtered); r.Status != http.StatusSeeOther {
		t.Fatalf("bulk filtered: %d", r.Status)
	}
	counts, _ = h.db.Store.PersonStatusCounts(context.Background(), h.caseID)
	if counts["undeliverable"] != 2 || counts["notified"] != 2 {
		t.Fatalf("counts %v", counts)
	}
	if r := cl.get(h.path("?status=undeliverable")); !strings.Contains(r.Body, "不達") {
		t.Error("status filter")
	}
}

func TestPersons_ExportNeutralisesFormulasReportsShiftJISAndIsLogged(t *testing.T) {
	h := newPersonsHarness(t)
	ctx := context.Background()
	// Stored directly (the forms refuse it): the export must still be harmless.
	evil, err := h.db.Store.CreatePerson(ctx, h.keys, h.caseID, h.users["staff"].ID, store.PersonData{Name: "=HYPERLINK(\"http://evil.example\",\"x\")",
		Email: "evil@example.jp", Address: "@SUM(1)", DataItems: []string{"氏名"}}, store.PersonNotice{})
	if err != nil {
		t.Fatal(err)
	}
	kichi, err := h.db.Store.CreatePerson(ctx, h.keys, h.caseID, h.users["staff"].ID, store.PersonData{Name: "𠮷田 太郎", Postal: "100-0001", Address: "東京都〜1", Email: "y@example.jp"}, store.PersonNotice{})
	if err != nil {
		t.Fatal(err)
	}
	cl := h.client().loginAs("privacy")
	if r := cl.get(h.path("/export?kind=list&enc=utf8bom")); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("export without a reason: %d", r.Status)
	}
	r := cl.get(h.path("/export?kind=list&enc=utf8bom&reason=" + url.QueryEscape("通知書の発送準備")))
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Body, "\ufeff") || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %q", r.Status, r.Header.Get("Content-Type"))
	}
	if !strings.Contains(r.Body, `"'=HYPERLINK(""http://evil.example"",""x"")"`) || !strings.Contains(r.Body, "'@SUM(1)") || !strings.Contains(r.Body, "𠮷田 太郎") {
		t.Errorf("export body: %q", r.Body)
	}
	log := h.accessLog("privacy")
	if len(log) != 1 || log[0].Page != "persons.export.list.utf8bom" || log[0].Reason != "通知書の発送準備" || len(log[0].Subjects) != 2 {
		t.Fatalf("export log %+v", log)
	}
	// Shift_JIS: 𠮷 is not in CP932. Reported first, replaced by 〓 only when chosen; 〜 maps to ～.
	sj := cl.get(h.path("/export?kind=mailmerge&enc=sjis&reason=x"))
	if sj.Status != http.StatusUnprocessableEntity || !strings.Contains(text(t, sj.Body, `[data-testid="export-problems"]`), "𠮷") {
		t.Fatalf("sjis report: %d", sj.Status)
	}
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(sj.Body))
	replace, _ := doc.Find(`[data-testid="export-replace"]`).Attr("href")
	rr := cl.get(replace)
	if rr.Status != http.StatusOK || rr.Header.Get("X-Leakdesk-Replaced-Characters") != "1" || !strings.Contains(rr.Header.Get("Content-Type"), "shift_jis") {
		t.Fatalf("replace: %d %v", rr.Status, rr.Header)
	}
	decoded, _ := japanese.ShiftJIS.NewDecoder().String(rr.Body)
	lines := strings.Split(strings.TrimSpace(decoded), "\r\n")
	if lines[0] != "氏名,郵便番号,住所,漏えい項目" || !strings.Contains(decoded, "〓田 太郎,100-0001,東京都～1,") || !strings.Contains(decoded, "'=HYPERLINK") {
		t.Fatalf("mail merge: %q", decoded)
	}
	log = h.accessLog("privacy")
	if len(log) != 3 || log[1].Page != "persons.export.check" || log[1].Subjects[0] != kichi || log[2].Page != "persons.export.mailmerge.sjis" {
		t.Fatalf("log %+v", log)
	}
	_ = evil
}

func TestPersons_APIMasksAndLogs(t *testing.T) {
	h := newPersonsHarness(t)
	id, err := h.db.Store.CreatePerson(context.Background(), h.keys, h.caseID, h.users["staff"].ID, store.PersonData{Name: "山田 太郎", Email: "taro@example.jp", Phone: "03-1234-5678"}, store.PersonNotice{})
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Masked  bool `json:"masked"`
		Total   int  `json:"total"`
		Persons []struct {
			ID    int64  `json:"id"`
			Name  string `json:"name"`
			Email string `json:"email"`
			Phone string `json:"phone"`
		} `json:"persons"`
	}
	r := h.api(http.MethodGet, fmt.Sprintf("/api/v1/cases/%d/persons", h.caseID), h.token("staff"), "")
	if r.Status != http.StatusOK || json.Unmarshal([]byte(r.Body), &out) != nil || out.Masked || out.Persons[0].Email != "taro@example.jp" || out.Total != 1 {
		t.Fatalf("staff: %d %s", r.Status, r.Body)
	}
	if log := h.accessLog("staff"); len(log) != 1 || log[0].Page != "api.persons" || log[0].Subjects[0] != id {
		t.Fatalf("log %+v", log)
	}
	r = h.api(http.MethodGet, fmt.Sprintf("/api/v1/cases/%d/persons", h.caseID), h.token("exec"), "")
	out.Persons = nil
	if r.Status != http.StatusOK || json.Unmarshal([]byte(r.Body), &out) != nil || !out.Masked || out.Persons[0].Email != "t***@example.jp" || out.Persons[0].Phone != "***-****-5678" {
		t.Fatalf("exec: %d %s", r.Status, r.Body)
	}
	if len(h.accessLog("exec")) != 0 {
		t.Error("masked API read logged")
	}
	if r := h.api(http.MethodGet, fmt.Sprintf("/api/v1/cases/%d/persons", h.caseID), h.token("admin"), ""); r.Status != http.StatusForbidden {
		t.Errorf("admin: %d", r.Status)
	}
}

func TestPersons_WithoutADataKeyTheRegisterIsUnavailable(t *testing.T) {
	h := newHarness(t)
	cfg, _ := config.FromEnv(func(string) string { return "" })
	h.srv = web.New(cfg, h.db.Store, slog.New(slog.NewTextHandler(io.Discard, nil)), web.Options{PasswordParams: &cheap})
	h.srv.Ready().Check(context.Background())
	h.ts.Config.Handler = h.srv.Handler()
	h.user("staff", auth.RoleStaff)
	r := h.client().loginAs("staff").get("/cases/1/persons")
	if r.Status != http.StatusServiceUnavailable || !strings.Contains(r.Body, "暗号鍵") {
		t.Fatalf("status %d", r.Status)
	}
}

// An import that grows the register past 1,000 people is reassessed at once: the case becomes
// reportable (規則7条4号) by an assessment_changed event, without waiting for its next change.
func TestPersons_ImportReassessesTheCase(t *testing.T) {
	h := newPersonsHarness(t)
	ctx := context.Background()
	staff := h.users["staff"]
	actor := incident.Actor{UserID: staff.ID, Name: staff.Name, Roles: []incident.Role{incident.RoleStaff}}
	if _, _, err := casework.New(h.db.Store).Do(ctx, h.caseID, 0, actor, incident.PatchFacts{Patch: map[string]any{
		"recognized_at": "2026-04-30T22:40", "estimated_count_max": 10}}); err != nil {
		t.Fatal(err)
	}
	assessments := func() int {
		var n int
		if err := h.db.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM case_events WHERE case_id = $1 AND type = 'assessment_changed'`, h.caseID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := assessments()
	h.importFile(h.client().loginAs("staff"), "customers.csv", sjisRegister(t, 1001))
	if got := assessments(); got != before+1 {
		t.Fatalf("assessment_changed events: %d after the import, want %d", got, before+1)
	}
	var payload string
	if err := h.db.Store.Pool.QueryRow(ctx, `SELECT payload::text FROM case_events WHERE case_id = $1 AND type = 'assessment_changed' ORDER BY seq DESC LIMIT 1`, h.caseID).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(payload, "R7_4_over_1000") {
		t.Errorf("the new assessment is not category 4 (over 1,000 people): %.600s", payload)
	}
	// A second import of the same people adds nobody and writes no further assessment.
	h.importFile(h.client().loginAs("staff"), "again.csv", sjisRegister(t, 1001))
	if got := assessments(); got != before+1 {
		t.Errorf("a re-import that added nobody wrote an assessment (%d events)", got)
	}
	if res, err := h.db.Store.Verify(ctx, h.caseID); err != nil || !res.OK {
		t.Fatalf("chain after the reassessment: %+v %v", res, err)
	}
}
