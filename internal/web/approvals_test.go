package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestApprovePage_ReasonRequired: on the case page an approval or a send-back without a reason is
// refused with 422 and the Japanese message naming the reason, and nothing is written (§5.2(8)).
func TestApprovePage_ReasonRequired(t *testing.T) {
	e := newAPIEnv(t)
	c := e.open()
	rq := e.readyForG1(c)
	before := e.version(c.ID)
	mgr := e.client().loginAs("manager")
	from := fmt.Sprintf("/cases/%d", c.ID)
	for _, action := range []string{"approve", "send-back"} {
		for _, note := range []string{"", "　 "} {
			r := mgr.postForm(from, fmt.Sprintf("/requests/%d/%s", rq.ID, action), url.Values{"note": {note}})
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "理由・コメントを入力してください。") {
				t.Fatalf("%s with note %q: %d", action, note, r.Status)
			}
		}
	}
	if v := e.version(c.ID); v != before {
		t.Fatalf("a refused decision wrote: version %d → %d", before, v)
	}
	if r := mgr.postForm(from, fmt.Sprintf("/requests/%d/approve", rq.ID), url.Values{"note": {"第一報の内容を確認した"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("approve with a reason: %d", r.Status)
	}
}
