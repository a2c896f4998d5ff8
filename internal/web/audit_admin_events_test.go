package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/leakdesk/leakdesk/internal/auth"
)

// TestAudit_AdminEventsAreListed (issue 21): role grants, resets and disables, logged in
// admin_events, are shown on the auditor's desk, with the case-reading roles a grant added.
func TestAudit_AdminEventsAreListed(t *testing.T) {
	h := newHarness(t)
	h.user("admin", auth.RoleAdmin)
	h.user("auditor", auth.RoleAuditor)
	u := h.user("clerk", auth.RoleStaff)
	admin := h.client().loginAs("admin")
	got, err := h.db.Store.UserByID(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r := admin.postForm("/admin/users", "/admin/users/"+strconvI(u.ID)+"/roles", url.Values{"version": {strconvI(got.Version)}, "name": {got.Name}, "roles": {"staff", "hr"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("grant: %d %.300s", r.Status, stripTags(r.Body))
	}
	r := h.client().loginAs("auditor").get("/audit/admin-events")
	if r.Status != http.StatusOK {
		t.Fatalf("/audit/admin-events: %d", r.Status)
	}
	if !strings.Contains(r.Body, `data-testid="admin-events"`) || !strings.Contains(r.Body, "テスト clerk") || !strings.Contains(r.Body, "<td>hr</td>") {
		t.Errorf("the grant of hr to clerk is not listed: %.2000s", stripTags(r.Body))
	}
	if r := h.client().loginAs("clerk").get("/audit/admin-events"); r.Status != http.StatusForbidden {
		t.Errorf("staff on /audit/admin-events: %d", r.Status)
	}
}
