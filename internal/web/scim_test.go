package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/config"
)

const scimToken = "scim-test-token-0123456789abcdef0123456789"

func TestSCIM_CreateFindDeactivate(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.SCIMToken = scimToken })
	scim := func(method, path, body string, token ...string) resp {
		tok := scimToken
		if len(token) > 0 {
			tok = token[0]
		}
		return h.api(method, path, tok, body, "Content-Type", "application/scim+json")
	}
	if r := scim("GET", "/scim/v2/Users", "", "wrong-token"); r.Status != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", r.Status)
	}
	if r := scim("GET", "/scim/v2/Users", "", h.token2()); r.Status != http.StatusUnauthorized {
		t.Fatalf("a user's API token on SCIM: %d", r.Status)
	}
	r := scim("POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"taro@example.jp","name":{"formatted":"山田 太郎"},"active":true}`)
	if r.Status != http.StatusCreated || !strings.Contains(r.Header.Get("Content-Type"), "application/scim+json") {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var created struct {
		ID     string `json:"id"`
		Active bool   `json:"active"`
	}
	_ = json.Unmarshal([]byte(r.Body), &created)
	if created.ID == "" || !created.Active {
		t.Fatalf("created %s", r.Body)
	}
	if r := scim("POST", "/scim/v2/Users", `{"userName":"taro@example.jp"}`); r.Status != http.StatusConflict {
		t.Errorf("duplicate: %d", r.Status)
	}
	if r := scim("GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "taro@example.jp"`), ""); r.Status != 200 || !strings.Contains(r.Body, `"totalResults":1`) {
		t.Errorf("filter: %d %s", r.Status, r.Body)
	}
	// A provisioned user who signs in (here with a password an admin set) and holds a token loses
	// both the moment the provider deactivates them.
	u := h.user("staff", auth.RoleStaff)
	c := h.client().loginAs("staff")
	tok := h.token("staff")
	id := u.ID
	r = scim("PATCH", "/scim/v2/Users/"+itoa(id), `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `"active":false`) {
		t.Fatalf("deactivate: %d %s", r.Status, r.Body)
	}
	if signedIn(t, c) || h.api("GET", "/api/v1/me", tok, "").Status != 401 {
		t.Error("a deactivated user kept a session or token")
	}
	if r := scim("PATCH", "/scim/v2/Users/"+itoa(id), `{"Operations":[{"op":"replace","value":{"active":true}}]}`); !strings.Contains(r.Body, `"active":true`) {
		t.Errorf("reactivate: %s", r.Body)
	}
	if r := scim("DELETE", "/scim/v2/Users/"+created.ID, ""); r.Status != http.StatusNoContent {
		t.Errorf("delete: %d", r.Status)
	}
	if r := scim("GET", "/scim/v2/Users/"+created.ID, ""); !strings.Contains(r.Body, `"active":false`) {
		t.Errorf("after DELETE the user is kept, inactive: %s", r.Body)
	}
}

func (h *harness) token2() string {
	h.user("tokenholder", auth.RoleStaff)
	return h.token("tokenholder")
}
