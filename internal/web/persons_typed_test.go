package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"golang.org/x/text/encoding/japanese"

	"github.com/leakdesk/leakdesk/internal/store"
)

// Issue 12: a person imported from a CP932 file as 森 ①子 at みなとみらい2-2-1 ㈱ビル３階 is shown,
// exported in UTF-8 and exported in Shift_JIS exactly so (① and ㈱ and 髙 and 﨑 are all in CP932),
// while a search for the normalised spelling (1子, (株)) still finds them. Before the fix the
// register stored 森 1子 and (株)ビル3階 and the search knew no names at all.
func TestPersons_KeepWhatWasTypedAndStillFindIt(t *testing.T) {
	h := newPersonsHarness(t)
	name, addr := "森 ①子", "みなとみらい2-2-1 ㈱ビル３階"
	csv := "氏名,郵便番号,住所,メールアドレス\r\n" + name + ",220-0012,神奈川県横浜市西区" + addr + ",mori@example.jp\r\n" +
		"髙﨑 花子,100-0001,東京都千代田区千代田1-1,hanako@example.jp\r\n" + "山田 太郎,100-0002,東京都千代田区皇居外苑1,taro@example.jp\r\n"
	sjis, err := japanese.ShiftJIS.NewEncoder().String(csv)
	if err != nil {
		t.Fatal(err)
	}
	staff := h.client().loginAs("staff")
	preview, _ := h.importFile(staff, "customers.csv", []byte(sjis))
	if !strings.Contains(preview.Body, name) {
		t.Error("the preview rewrote the name")
	}
	list := staff.get(h.path(""))
	for _, want := range []string{name, addr, "髙﨑 花子"} {
		if !strings.Contains(list.Body, want) {
			t.Errorf("the register page lacks %q", want)
		}
	}
	if strings.Contains(list.Body, "森 1子") || strings.Contains(list.Body, "(株)ビル3階") {
		t.Error("the register page shows the normalised text")
	}
	// A search posts its query (no personal data in URLs) and follows the redirect to its token.
	search := func(q string) resp {
		t.Helper()
		r := staff.postForm(h.path(""), h.path("/search"), url.Values{"q": {q}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("search %q: %d", q, r.Status)
		}
		return staff.get(r.Header.Get("Location"))
	}
	for _, q := range []string{"1子", "(株)", "①子", "㈱ビル", "株)ビル3", "ﾋﾞﾙ３階", "森1子", "mori@example.jp"} {
		page := search(q)
		if !strings.Contains(page.Body, name) || strings.Contains(page.Body, "山田 太郎") {
			t.Errorf("search %q: want 森 ①子 only", q)
		}
	}
	for _, q := range []string{"子森", "2子", "ビル4"} { // all pairs present or not: checked decrypted
		if page := search(q); strings.Contains(page.Body, name) {
			t.Errorf("search %q found 森 ①子", q)
		}
	}

	privacy := h.client().loginAs("privacy")
	utf8 := privacy.get(h.path("/export?kind=list&enc=utf8bom&reason=" + url.QueryEscape("通知書の発送準備")))
	if utf8.Status != 200 || !strings.Contains(utf8.Body, ","+name+",") || !strings.Contains(utf8.Body, addr) || !strings.Contains(utf8.Body, "髙﨑 花子") {
		t.Errorf("UTF-8 export %d: %q", utf8.Status, utf8.Body)
	}
	sj := privacy.get(h.path("/export?kind=mailmerge&enc=sjis&reason=x"))
	if sj.Status != 200 || sj.Header.Get("X-Leakdesk-Replaced-Characters") != "0" {
		t.Fatalf("Shift_JIS export: %d (replaced %q): every character is in CP932", sj.Status, sj.Header.Get("X-Leakdesk-Replaced-Characters"))
	}
	decoded, err := japanese.ShiftJIS.NewDecoder().String(sj.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{name + ",220-0012,神奈川県横浜市西区" + addr + ",", "髙﨑 花子,100-0001,"} {
		if !strings.Contains(decoded, want) {
			t.Errorf("Shift_JIS export lacks %q: %q", want, decoded)
		}
	}
	// The search finds the person in the export and in a bulk change, and only them.
	if f := privacy.get(h.path("/export?kind=mailmerge&enc=utf8bom&reason=x&q=" + url.QueryEscape("(株)"))); !strings.Contains(f.Body, name) || strings.Contains(f.Body, "山田") {
		t.Errorf("filtered export: %q", f.Body)
	}
	n, err := h.db.Store.BulkSetNotice(context.Background(), h.keys, store.PersonFilter{CaseID: h.caseID, Search: "1子"}, "notified", "post", nil)
	if err != nil || n != 1 {
		t.Errorf("bulk notice by search: %d %v", n, err)
	}
}

// Rows written before the text index existed (NULL) are found once IndexPersonText has run.
func TestPersons_TextIndexBackfill(t *testing.T) {
	h := newPersonsHarness(t)
	ctx := context.Background()
	id, err := h.db.Store.CreatePerson(ctx, h.keys, h.caseID, h.users["staff"].ID, store.PersonData{Name: "森 1子", Address: "(株)ビル3階"}, store.PersonNotice{})
	if err != nil {
		t.Fatal(err)
	}
	// A row as it was before migration 00015; the register's history trigger wants a reason.
	if err := pgx.BeginFunc(ctx, h.db.Store.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('leakdesk.person_reason', 'test: a row from before 00015', true)`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE affected_persons SET text_bidx = NULL WHERE id = $1`, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	find := func() int {
		l, err := h.db.Store.ListPersons(ctx, h.keys, store.PersonFilter{CaseID: h.caseID, Search: "①子"})
		if err != nil {
			t.Fatal(err)
		}
		return len(l)
	}
	if find() != 0 {
		t.Fatal("an unindexed row was found")
	}
	if n, err := h.db.Store.IndexPersonText(ctx, h.keys); err != nil || n != 1 {
		t.Fatalf("indexed %d: %v", n, err)
	}
	if find() != 1 {
		t.Error("not found after the backfill")
	}
	if n, _ := h.db.Store.IndexPersonText(ctx, h.keys); n != 0 {
		t.Errorf("second run indexed %d", n)
	}
}
