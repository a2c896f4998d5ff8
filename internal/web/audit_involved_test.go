package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/leakdesk/leakdesk/internal/incident"
)

// TestAudit_InvolvedViewerSeesNothingOfTheCase marks a manager and an auditor as involved in the
// fixture's case and walks every surface of the auditor's desk (issue 21): the list, its search, the
// access review and the management review (page and CSV) must leave the case out for them, and the
// review must say the case was withheld; an uninvolved auditor still sees it everywhere.
func TestAudit_InvolvedViewerSeesNothingOfTheCase(t *testing.T) {
	f := newAuditFixture(t)
	h := f.h
	ctx := context.Background()
	h.user("auditor2", "auditor")
	c := f.c
	for _, who := range []string{"manager", "auditor"} {
		var err error
		if c, _, err = f.svc.Do(ctx, c.ID, 0, f.actors["privacy"], incident.MarkInvolved{UserID: f.actors[who].UserID, Involved: true, Reason: "誤送信の当事者"}); err != nil {
			t.Fatalf("mark %s involved: %v", who, err)
		}
	}
	// The uninvolved auditor reads the case page so the access log has a row about it.
	other := h.client().loginAs("auditor2")
	if r := other.get("/audit/cases/" + strconvI(c.ID)); r.Status != 200 {
		t.Fatalf("uninvolved auditor: case page %d", r.Status)
	}
	number, title := c.Number, c.Title
	surfaces := []string{"/audit", "/audit?q=" + strings.ReplaceAll(title[:9], " ", "+"), "/audit?q=" + number, "/audit/access",
		"/audit/review?from=2026-04-01&to=2026-05-31", "/audit/review.csv?from=2026-04-01&to=2026-05-31"}
	for _, path := range surfaces {
		if r := other.get(path); r.Status != 200 || !strings.Contains(r.Body, number) {
			t.Errorf("uninvolved auditor: %s %d, case %s missing", path, r.Status, number)
		}
	}
	for _, who := range []string{"manager", "auditor"} {
		cl := h.client().loginAs(who)
		for _, path := range surfaces {
			r := cl.get(path)
			if r.Status != 200 {
				t.Errorf("%s: %s %d", who, path, r.Status)
				continue
			}
			if strings.Contains(r.Body, title) {
				t.Errorf("%s (involved) sees the case's title on %s", who, path)
			}
			review := strings.HasPrefix(path, "/audit/review")
			// The search box echoes a query by number; the case itself must not be listed.
			shown := strings.Contains(r.Body, number) && !strings.Contains(path, number) || strings.Contains(r.Body, "/audit/cases/"+strconvI(c.ID))
			if !review && shown {
				t.Errorf("%s (involved) sees case %s on %s", who, number, path)
			}
			if review && !strings.Contains(r.Body, "閲覧者が関係者") {
				t.Errorf("%s: %s does not say the case was withheld", who, path)
			}
		}
	}
}
