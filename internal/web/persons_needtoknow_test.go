package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/auth"
)

// TestPersons_NeedToKnow (issue 21): a decrypting role alone does not open another case's register.
// A staff user and a manager not assigned to the case see it masked and cannot export it or open a
// person's edit form; the case's handler, the privacy officer and an auditor can. A privacy officer's
// grant (with a reason, time-limited, logged) lets the staff user in; a grant to oneself, without a
// reason or beyond 7 days is refused, and a grant no longer counts once it has expired.
func TestPersons_NeedToKnow(t *testing.T) {
	h := newPersonsHarness(t)
	h.user("staff2", auth.RoleStaff)
	owner := h.client().loginAs("staff")
	if _, commit := h.importFile(owner, "utf8.csv", readTestdata(t, "utf8.csv")); commit.Status != http.StatusSeeOther {
		t.Fatalf("import: %d", commit.Status)
	}
	var pid int64
	if err := h.db.Store.Pool.QueryRow(context.Background(), `SELECT min(id) FROM affected_persons WHERE case_id = $1`, h.caseID).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	const email = "@example" // every sample row's e-mail has it; masked rows do not
	decrypts := func(key string) bool {
		r := h.client().loginAs(key).get(h.path(""))
		if r.Status != http.StatusOK {
			t.Fatalf("%s: persons page %d", key, r.Status)
		}
		return !strings.Contains(r.Body, `data-testid="persons-masked"`)
	}
	for key, want := range map[string]bool{"staff": true, "privacy": true, "auditor": true, "staff2": false, "manager": false, "exec": false, "hr": false} {
		if got := decrypts(key); got != want {
			t.Errorf("%s decrypts the register: %v, want %v", key, got, want)
		}
	}
	other := h.client().loginAs("staff2")
	if r := other.get(h.path("/export")); r.Status != http.StatusForbidden {
		t.Errorf("unassigned staff: export %d, want 403", r.Status)
	}
	if r := other.get(h.path("/" + strconvI(pid))); r.Status != http.StatusForbidden {
		t.Errorf("unassigned staff: edit form %d, want 403", r.Status)
	}
	api := h.api("GET", "/api/v1/cases/"+strconvI(h.caseID)+"/persons", h.token("staff2"), "")
	if api.Status != http.StatusOK || !strings.Contains(api.Body, `"masked":true`) {
		t.Errorf("unassigned staff: API %d %.200s, want masked", api.Status, api.Body)
	}

	// Grants: only the privacy officer gives them, with a reason and at most 7 days.
	priv := h.client().loginAs("privacy")
	grant := func(c *client, user, reason, hours string) resp {
		return c.postForm(h.path(""), h.path("/grants"), url.Values{"user_id": {user}, "reason": {reason}, "hours": {hours}})
	}
	staff2 := strconvI(h.users["staff2"].ID)
	if r := grant(other, staff2, "自分で", "8"); r.Status != http.StatusForbidden {
		t.Errorf("staff grants itself: %d, want 403", r.Status)
	}
	for _, bad := range []struct{ user, reason, hours string }{
		{strconvI(h.users["privacy"].ID), "自分に", "8"}, {staff2, " ", "8"}, {staff2, "理由", "200"}, {staff2, "理由", "x"}, {"999999", "理由", "8"},
	} {
		if r := grant(priv, bad.user, bad.reason, bad.hours); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("grant %+v: %d, want 422", bad, r.Status)
		}
	}
	if decrypts("staff2") {
		t.Fatal("a refused grant let staff2 in")
	}
	if r := grant(priv, staff2, "通知文の宛先確認のため（一時的）", "8"); r.Status != http.StatusSeeOther {
		t.Fatalf("grant: %d %s", r.Status, r.Body)
	}
	if !decrypts("staff2") {
		t.Fatal("staff2 with a grant still sees the register masked")
	}
	if r := other.get(h.path("/export?kind=list&enc=utf8bom&reason=" + url.QueryEscape("宛先確認"))); r.Status != http.StatusOK {
		t.Errorf("staff2 with a grant: export %d", r.Status)
	}
	if r := priv.get(h.path("")); !strings.Contains(r.Body, "通知文の宛先確認のため") || !strings.Contains(r.Body, `data-testid="register-grants"`) {
		t.Error("the privacy officer does not see the grant on the register page")
	}
	// The grant is the log; a later read names it.
	log := h.accessLog("staff2")
	if len(log) == 0 || !strings.Contains(log[len(log)-1].Reason, "許可") {
		t.Errorf("staff2's reads under the grant: %+v", log)
	}
	if _, err := h.db.Store.Pool.Exec(context.Background(), `UPDATE register_grants SET expires_at = now()`); err == nil {
		t.Error("a grant could be changed (register_grants must be append-only)")
	}
	id, err := h.db.Store.ActiveRegisterGrant(context.Background(), h.caseID, h.users["staff2"].ID, time.Now().Add(9*time.Hour))
	if err != nil || id != 0 {
		t.Errorf("the grant still holds after it expired: %d %v", id, err)
	}
}

// The API twin of the grant form (issue 17 parity) runs the same rule: the privacy officer alone,
// the same refusals (422, nothing written), and a grant that lets the user in.
func TestPersons_GrantThroughTheAPI(t *testing.T) {
	h := newPersonsHarness(t)
	h.user("staff2", auth.RoleStaff) // a decrypting role, not assigned to the case
	path := "/api/v1/cases/" + strconvI(h.caseID) + "/persons/grants"
	staff2 := h.users["staff2"].ID
	body := func(user int64, hours int, reason string) string {
		return `{"user_id":` + strconvI(user) + `,"hours":` + strconvI(int64(hours)) + `,"reason":"` + reason + `"}`
	}
	if r := h.api("POST", path, h.token("staff"), body(staff2, 8, "理由")); r.Status != http.StatusForbidden {
		t.Errorf("staff gives a grant: %d, want 403", r.Status)
	}
	for _, bad := range []string{body(h.users["privacy"].ID, 8, "自分に"), body(staff2, 8, " "), body(staff2, 200, "理由"), body(staff2, 0, "理由"), body(999999, 8, "理由")} {
		if r := h.api("POST", path, h.token("privacy"), bad); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "閲覧許可を与えられません") {
			t.Errorf("grant %s: %d %.200s, want 422 in Japanese", bad, r.Status, r.Body)
		}
	}
	if id, err := h.db.Store.ActiveRegisterGrant(context.Background(), h.caseID, staff2, time.Now()); err != nil || id != 0 {
		t.Fatalf("a refused grant was written: %d %v", id, err)
	}
	r := h.api("POST", path, h.token("privacy"), body(staff2, 8, "通知文の宛先確認のため"))
	if r.Status != http.StatusCreated || !strings.Contains(r.Body, `"expires_at"`) {
		t.Fatalf("grant: %d %s", r.Status, r.Body)
	}
	if id, err := h.db.Store.ActiveRegisterGrant(context.Background(), h.caseID, staff2, time.Now()); err != nil || id == 0 {
		t.Errorf("the API's grant does not hold: %d %v", id, err)
	}
}
