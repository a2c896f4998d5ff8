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

func TestAccount_ChangePasswordEndsOtherSessions(t *testing.T) {
	h := newHarness(t)
	u := h.user("staff", auth.RoleStaff)
	c1 := h.client().loginAs("staff")
	c2 := h.client().loginAs("staff")
	tok := h.token("staff")
	const newPW = "a brand new passphrase"
	for _, tc := range []struct {
		name string
		form url.Values
		err  string
	}{
		{"wrong current", url.Values{"current": {"wrong one here"}, "new": {newPW}, "confirm": {newPW}}, "error-current"},
		{"too short", url.Values{"current": {testPassword}, "new": {"short"}, "confirm": {"short"}}, "error-new"},
		{"confirm differs", url.Values{"current": {testPassword}, "new": {newPW}, "confirm": {newPW + "x"}}, "error-confirm"},
	} {
		r := c1.postForm("/account/password", "/account/password", tc.form)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `data-testid="`+tc.err+`"`) {
			t.Errorf("%s: %d", tc.name, r.Status)
		}
	}
	if !signedIn(t, c2) || h.api("GET", "/api/v1/me", tok, "").Status != 200 {
		t.Fatal("a refused change ended something")
	}
	r := c1.postForm("/account/password", "/account/password", url.Values{"current": {testPassword}, "new": {newPW}, "confirm": {newPW}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("change: %d %.300s", r.Status, stripTags(r.Body))
	}
	if !signedIn(t, c1) {
		t.Error("the session that changed the password was ended")
	}
	if signedIn(t, c2) {
		t.Error("another session survived the password change")
	}
	if h.api("GET", "/api/v1/me", tok, "").Status != 401 {
		t.Error("an API token survived the password change")
	}
	if r := h.client().login(u.Email, testPassword); r.Status != http.StatusUnauthorized {
		t.Errorf("old password: %d", r.Status)
	}
	if r := h.client().login(u.Email, newPW); r.Status != http.StatusSeeOther {
		t.Errorf("new password: %d", r.Status)
	}
	var reason string
	_ = h.db.Store.Pool.QueryRow(context.Background(), `SELECT reason FROM login_attempts WHERE NOT success AND reason = 'password_change'`).Scan(&reason)
	if reason == "" {
		t.Error("the wrong current password was not recorded")
	}
}

var sessionEndRe = regexp.MustCompile(`action="/account/sessions/(\d+)/end"`)

func TestAccount_SeeAndEndOwnSessions(t *testing.T) {
	h := newHarness(t)
	h.user("staff", auth.RoleStaff)
	h.user("other", auth.RoleStaff)
	c1 := h.client().loginAs("staff")
	c2 := h.client().loginAs("staff")
	page := c1.get("/account/sessions")
	ids := sessionEndRe.FindAllStringSubmatch(page.Body, -1)
	if page.Status != http.StatusOK || len(ids) != 1 || !strings.Contains(page.Body, "この端末") {
		t.Fatalf("sessions page %d lists %d other sessions", page.Status, len(ids))
	}
	if !strings.Contains(page.Body, `data-testid="my-logins-table"`) || strings.Count(page.Body, "成功") < 2 {
		t.Error("recent logins are not listed")
	}
	// Another user cannot end it.
	if r := h.client().loginAs("other").postForm("/account", "/account/sessions/"+ids[0][1]+"/end", nil); r.Status != http.StatusNotFound {
		t.Errorf("another user's session: %d", r.Status)
	}
	if !signedIn(t, c2) {
		t.Fatal("another user ended the session")
	}
	if r := c1.postForm("/account/sessions", "/account/sessions/"+ids[0][1]+"/end", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("end: %d", r.Status)
	}
	if signedIn(t, c2) {
		t.Error("the ended session still works")
	}
	if !signedIn(t, c1) {
		t.Error("ending the other session ended this one")
	}
}
