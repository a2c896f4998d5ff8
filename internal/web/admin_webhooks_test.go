package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/leakdesk/leakdesk/internal/auth"
)

// An administrator registers an endpoint (the secret shown once), sees it listed and disables it;
// a plain-http or internal URL and an unknown event type are refused with Japanese field errors
// and nothing is registered.
func TestAdminWebhooks_RegisterRefuseDisable(t *testing.T) {
	h := newHarness(t)
	h.user("admin", auth.RoleAdmin)
	c := h.client().loginAs("admin")
	for _, tc := range []struct {
		form  url.Values
		field string
		msg   string
	}{
		{url.Values{"url": {"http://hooks.example.com/x"}, "events": {"case.opened"}}, "url", "https でない URL です"},
		{url.Values{"url": {"https://192.168.10.20/x"}, "events": {"case.opened"}}, "url", "プライベートアドレス"},
		{url.Values{"url": {"https://hooks.example.com/x"}, "events": {"case.deleted"}}, "events", "不明なイベントの種類です"},
		{url.Values{"url": {"https://hooks.example.com/x"}}, "events", "1つ以上選んでください"},
	} {
		r := c.postForm("/admin/webhooks", "/admin/webhooks", tc.form)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `data-testid="error-`+tc.field+`"`) || !strings.Contains(r.Body, tc.msg) {
			t.Errorf("%v: status %d, want 422 with %s error %q", tc.form, r.Status, tc.field, tc.msg)
		}
	}
	if n := h.countRows("webhook_endpoints"); n != 0 {
		t.Fatalf("%d endpoints registered by refused forms", n)
	}
	r := c.postForm("/admin/webhooks", "/admin/webhooks", url.Values{"url": {"https://hooks.example.com/leakdesk"}, "events": {"case.opened", "deadline.missed"}})
	if r.Status != http.StatusCreated || !strings.Contains(r.Body, `data-testid="webhook-secret"`) || !strings.Contains(r.Body, "whsec_") {
		t.Fatalf("register: status %d", r.Status)
	}
	secret := regexp.MustCompile(`<code>(whsec_[A-Za-z0-9+/=]+)</code>`).FindStringSubmatch(r.Body)
	if secret == nil {
		t.Fatal("no secret shown")
	}
	if r := c.get("/admin/webhooks"); strings.Contains(r.Body, secret[1]) || !strings.Contains(r.Body, "https://hooks.example.com/leakdesk") {
		t.Error("the list must show the endpoint and never its secret again")
	}
	var id string
	if err := h.db.Store.Pool.QueryRow(t.Context(), `SELECT id::text FROM webhook_endpoints`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if r := c.postForm("/admin/webhooks", "/admin/webhooks/"+id+"/disable", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("disable: %d", r.Status)
	}
	if r := c.postForm("/admin/webhooks", "/admin/webhooks/"+id+"/disable", url.Values{}); r.Status != http.StatusNotFound {
		t.Errorf("disable twice: %d, want 404", r.Status)
	}
}
