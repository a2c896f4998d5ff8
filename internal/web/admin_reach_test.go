package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/leakdesk/leakdesk/internal/auth"
)

// The administrator's reach (issue 20): an admin administers accounts and sees no case contents,
// so it may not give itself a case-reading role, grants of such roles need a second person, and a
// password it sets is temporary and ends the user's sessions.

func roleCount(t *testing.T, h *harness, email string, r auth.Role) bool {
	t.Helper()
	u, err := h.db.Store.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return auth.Has(u.Roles, r)
}

func userVersion(t *testing.T, h *harness, email string) string {
	t.Helper()
	u, err := h.db.Store.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return itoa(u.Version)
}

func TestAdminReach_SelfGrantRefused(t *testing.T) {
	h := newHarness(t)
	admin := h.user("admin", auth.RoleAdmin)
	c := h.client().loginAs("admin")
	for _, r := range []auth.Role{auth.RoleAuditor, auth.RoleHR} {
		c.postForm("/admin/users", "/admin/users/"+itoa(admin.ID)+"/roles", url.Values{"version": {userVersion(t, h, admin.Email)},
			"name": {admin.Name}, "roles": {"admin", string(r)}})
		if roleCount(t, h, admin.Email, r) {
			t.Fatalf("the admin granted itself %s", r)
		}
		if g, _ := h.db.Store.PendingGrants(context.Background()); len(g) != 0 {
			t.Fatalf("a self-grant was left pending: %+v", g)
		}
	}
	if page := c.get("/admin/users"); !strings.Contains(page.Body, "自分自身に役割を付与することはできません") {
		t.Error("the refusal is not explained")
	}
	if r := c.get("/cases"); r.Status != http.StatusForbidden {
		t.Errorf("the admin reads the case list: %d", r.Status)
	}
}

func TestAdminReach_GrantsNeedASecondPerson(t *testing.T) {
	h := newHarness(t)
	h.user("admin", auth.RoleAdmin)
	h.user("admin2", auth.RoleAdmin)
	h.user("privacy", auth.RolePrivacyOfficer)
	target := h.user("target", auth.RoleStaff)
	admin := h.client().loginAs("admin")
	r := admin.postForm("/admin/users", "/admin/users/"+itoa(target.ID)+"/roles", url.Values{"version": {userVersion(t, h, target.Email)},
		"name": {target.Name}, "roles": {"staff", "auditor"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("grant request: %d", r.Status)
	}
	if roleCount(t, h, target.Email, auth.RoleAuditor) {
		t.Fatal("one admin alone granted auditor")
	}
	grants, err := h.db.Store.PendingGrants(context.Background())
	if err != nil || len(grants) != 1 {
		t.Fatalf("pending grants: %+v %v", grants, err)
	}
	gid := itoa(grants[0].ID)
	// The requester cannot decide it.
	if r := admin.postForm("/role-grants", "/role-grants/"+gid, url.Values{"decision": {"approve"}}); r.Status != http.StatusForbidden {
		t.Fatalf("the requester approved its own grant: %d", r.Status)
	}
	// The target (were it an approver) cannot either; the privacy officer can.
	privacy := h.client().loginAs("privacy")
	if page := privacy.get("/role-grants"); !strings.Contains(page.Body, `data-testid="grant-`+gid+`"`) {
		t.Fatalf("the privacy officer does not see the grant: %d", page.Status)
	}
	if r := privacy.postForm("/role-grants", "/role-grants/"+gid, url.Values{"decision": {"approve"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("privacy officer approval: %d", r.Status)
	}
	if !roleCount(t, h, target.Email, auth.RoleAuditor) {
		t.Fatal("the approved grant did not take effect")
	}
	// A second grant, rejected by the second admin, changes nothing.
	admin.postForm("/admin/users", "/admin/users/"+itoa(target.ID)+"/roles", url.Values{"version": {userVersion(t, h, target.Email)},
		"name": {target.Name}, "roles": {"staff", "auditor", "hr"}})
	grants, _ = h.db.Store.PendingGrants(context.Background())
	if len(grants) != 1 {
		t.Fatalf("second grant: %+v", grants)
	}
	admin2 := h.client().loginAs("admin2")
	if r := admin2.postForm("/role-grants", "/role-grants/"+itoa(grants[0].ID), url.Values{"decision": {"reject"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("reject: %d", r.Status)
	}
	if roleCount(t, h, target.Email, auth.RoleHR) {
		t.Fatal("a rejected grant took effect")
	}
	// Every step is in admin_events.
	var actions []string
	rows, err := h.db.Store.Pool.Query(context.Background(), `SELECT action FROM admin_events WHERE target_id = $1 ORDER BY id`, target.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var a string
		_ = rows.Scan(&a)
		actions = append(actions, a)
	}
	if got := strings.Join(actions, ","); !strings.Contains(got, "grant_requested,grant_approved,grant_requested,grant_rejected") {
		t.Errorf("admin_events: %s", got)
	}
}

var newPasswordRe = regexp.MustCompile(`data-testid="new-password">[^<]*<code>([^<]+)</code>`)

func TestAdminReach_ResetIsTemporaryAndEndsSessions(t *testing.T) {
	h := newHarness(t)
	h.user("admin", auth.RoleAdmin)
	staff := h.user("staff", auth.RoleStaff)
	victim := h.client().loginAs("staff")
	second := h.client().loginAs("staff")
	if r := victim.get("/cases"); r.Status != http.StatusOK {
		t.Fatalf("before reset: %d", r.Status)
	}
	admin := h.client().loginAs("admin")
	r := admin.postForm("/admin/users", "/admin/users/"+itoa(staff.ID)+"/password", url.Values{"version": {userVersion(t, h, staff.Email)}})
	m := newPasswordRe.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil {
		t.Fatalf("reset: %d", r.Status)
	}
	temp := m[1]
	// Every session of the user ended, not only its API tokens.
	for i, c := range []*client{victim, second} {
		if r := c.get("/cases"); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
			t.Errorf("session %d still works after the reset: %d %s", i, r.Status, r.Header.Get("Location"))
		}
	}
	// The temporary password logs in, but nothing opens until it is changed.
	c := h.client()
	if r := c.login(staff.Email, temp); r.Status != http.StatusSeeOther {
		t.Fatalf("login with the temporary password: %d", r.Status)
	}
	if r := c.get("/cases"); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account/password" {
		t.Fatalf("a temporary password opens the case list: %d %s", r.Status, r.Header.Get("Location"))
	}
	if r := c.postForm("/account/password", "/cases", url.Values{"title": {"x"}}); r.Status != http.StatusForbidden {
		t.Errorf("a write with a temporary password: %d", r.Status)
	}
	bad := c.postForm("/account/password", "/account/password", url.Values{"current": {temp}, "new": {"short"}, "confirm": {"short"}})
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, "12文字以上") {
		t.Fatalf("short password: %d", bad.Status)
	}
	other := h.client()
	if r := other.login(staff.Email, temp); r.Status != http.StatusSeeOther {
		t.Fatalf("second login: %d", r.Status)
	}
	const chosen = "a new long passphrase 2026"
	if r := c.postForm("/account/password", "/account/password", url.Values{"current": {temp}, "new": {chosen}, "confirm": {chosen}}); r.Status != http.StatusSeeOther {
		t.Fatalf("change: %d", r.Status)
	}
	if r := c.get("/cases"); r.Status != http.StatusOK {
		t.Fatalf("after the change: %d", r.Status)
	}
	if r := other.get("/cases"); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
		t.Errorf("another session survived the change: %d", r.Status)
	}
	if r := h.client().login(staff.Email, temp); r.Status != http.StatusUnauthorized {
		t.Errorf("the temporary password still works: %d", r.Status)
	}
	if r := h.client().login(staff.Email, chosen); r.Status != http.StatusSeeOther {
		t.Errorf("the chosen password does not work: %d", r.Status)
	}
}
