package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/leakdesk/leakdesk/internal/auth"
)

// TestPersons_EveryChangeLeavesATrail (issue 21): adding a person, editing them with a reason,
// marking them notified in bulk and importing a file each write person_history rows — who, when,
// why, old → new as stored (ciphertext: no plaintext in the history) — that nobody can change; the
// auditor's case page lists them and the case export carries them as person_history.jsonl.
func TestPersons_EveryChangeLeavesATrail(t *testing.T) {
	h := newPersonsHarness(t)
	ctx := context.Background()
	h.user("auditor2", auth.RoleAuditor)
	staff := h.client().loginAs("staff")
	if r := staff.postForm(h.path(""), h.path(""), url.Values{"name": {"鈴木 一郎"}, "kana": {"スズキ イチロウ"}, "email": {"ichiro@example.jp"}, "notice_status": {"unnotified"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("add: %d", r.Status)
	}
	var pid, version int64
	if err := h.db.Store.Pool.QueryRow(ctx, `SELECT id, version FROM affected_persons WHERE case_id = $1`, h.caseID).Scan(&pid, &version); err != nil {
		t.Fatal(err)
	}
	if r := staff.postForm(h.path("/"+strconvI(pid)), h.path("/"+strconvI(pid)), url.Values{"version": {strconvI(version)}, "name": {"鈴木 一朗"},
		"kana": {"スズキ イチロウ"}, "email": {"ichiro@example.jp"}, "notice_status": {"unnotified"}, "compensation_kind": {"gift_card"},
		"compensation_amount": {"500"}, "change_reason": {"本人からの申し出で漢字を訂正"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", r.Status, r.Body)
	}
	if r := staff.postForm(h.path(""), h.path("/bulk-notice"), url.Values{"status": {"notified"}, "method": {"post"}, "date": {"2026-05-10"}, "ids": {strconvI(pid)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("bulk notice: %d", r.Status)
	}
	if _, commit := h.importFile(staff, "utf8.csv", readTestdata(t, "utf8.csv")); commit.Status != http.StatusSeeOther {
		t.Fatalf("import: %d", commit.Status)
	}
	type hrow struct {
		person, actor int64
		op, reason    string
		old, new      string
	}
	rows, err := h.db.Store.Pool.Query(ctx, `SELECT person_id, COALESCE(actor_id, 0), op, reason, COALESCE(old_row::text, ''), new_row::text
		FROM person_history WHERE case_id = $1 ORDER BY id`, h.caseID)
	if err != nil {
		t.Fatal(err)
	}
	var hist []hrow
	for rows.Next() {
		var x hrow
		if err := rows.Scan(&x.person, &x.actor, &x.op, &x.reason, &x.old, &x.new); err != nil {
			t.Fatal(err)
		}
		hist = append(hist, x)
	}
	rows.Close()
	// add, edit, bulk notice, and one insert per imported person
	want := 3 + int(h.count()) - 1
	if len(hist) != want {
		t.Fatalf("%d history rows, want %d", len(hist), want)
	}
	staffID := h.users["staff"].ID
	wantReasons := []string{"対象者の追加", "対象者の編集：本人からの申し出で漢字を訂正", "通知状況の一括更新", "CSV取り込み"}
	for i, x := range hist {
		if x.actor != staffID {
			t.Errorf("history %d: actor %d, want %d", i, x.actor, staffID)
		}
		if want := wantReasons[min(i, 3)]; x.reason != want {
			t.Errorf("history %d: reason %q, want %q", i, x.reason, want)
		}
		for _, plain := range []string{"鈴木", "一朗", "ichiro@", "山田"} {
			if strings.Contains(x.old+x.new, plain) {
				t.Errorf("history %d holds plaintext %q", i, plain)
			}
		}
	}
	if hist[1].op != "update" || hist[1].old == "" || !strings.Contains(hist[1].new, `"compensation_amount": 500`) || !strings.Contains(hist[1].old, `"compensation_amount": 0`) {
		t.Errorf("edit row: %+v", hist[1])
	}
	if !strings.Contains(hist[2].new, `"notice_status": "notified"`) || !strings.Contains(hist[2].old, `"notice_status": "unnotified"`) {
		t.Errorf("bulk notice row: %+v", hist[2])
	}
	for _, q := range []string{`UPDATE person_history SET reason = 'x'`, `DELETE FROM person_history`, `TRUNCATE person_history`} {
		if _, err := h.db.Store.Pool.Exec(ctx, q); err == nil {
			t.Errorf("%s succeeded: person_history must be append-only", q)
		}
	}
	// A change made without saying why is refused by the database.
	if _, err := h.db.Store.Pool.Exec(ctx, `UPDATE affected_persons SET inquiries = 3 WHERE id = $1`, pid); err == nil {
		t.Error("an unexplained change to the register went through")
	}

	aud := h.client().loginAs("auditor2")
	page := aud.get("/audit/cases/" + strconvI(h.caseID))
	if page.Status != http.StatusOK || !strings.Contains(page.Body, `data-testid="audit-person-history"`) || !strings.Contains(page.Body, "本人からの申し出で漢字を訂正") {
		t.Errorf("the auditor's case page does not list the register's changes (%d)", page.Status)
	}
	exp := aud.get("/audit/cases/" + strconvI(h.caseID) + "/export")
	if exp.Status != http.StatusOK {
		t.Fatalf("export: %d", exp.Status)
	}
	zr, err := zip.NewReader(bytes.NewReader([]byte(exp.Body)), int64(len(exp.Body)))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, "/person_history.jsonl") {
			continue
		}
		found = true
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != want {
			t.Errorf("person_history.jsonl has %d lines, want %d", len(lines), want)
		}
		var first map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || first["reason"] != "対象者の追加" || first["new"] == nil {
			t.Errorf("first line %v: %s", err, lines[0])
		}
		if strings.Contains(string(b), "鈴木") {
			t.Error("the exported history holds plaintext")
		}
	}
	if !found {
		t.Error("the case export has no person_history.jsonl")
	}
}
