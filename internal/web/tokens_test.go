package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/leakdesk/leakdesk/internal/auth"
)

// A user makes an API token on the account page (shown once), uses it, sees it listed, revokes it
// — and it stops working; the API twin does the same; nobody can revoke another's token.
func TestTokens_SelfServiceCreateListRevoke(t *testing.T) {
	h := newHarness(t)
	h.user("staff", auth.RoleStaff)
	h.user("other", auth.RoleStaff)
	c := h.client().loginAs("staff")
	if r := c.postForm("/account/tokens", "/account/tokens", url.Values{"label": {"  "}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `data-testid="error-label"`) {
		t.Errorf("empty label: %d", r.Status)
	}
	r := c.postForm("/account/tokens", "/account/tokens", url.Values{"label": {"SIEM 連携"}})
	m := regexp.MustCompile(`data-testid="new-token-value">([^<]+)<`).FindStringSubmatch(r.Body)
	if r.Status != http.StatusCreated || m == nil {
		t.Fatalf("create: %d", r.Status)
	}
	tok := m[1]
	if r := h.api(http.MethodGet, "/api/v1/me", tok, ""); r.Status != http.StatusOK {
		t.Fatalf("the new token does not work: %d", r.Status)
	}
	list := c.get("/account/tokens")
	if strings.Contains(list.Body, tok) || !strings.Contains(list.Body, "SIEM 連携") {
		t.Error("the list must show the label and never the token again")
	}
	// The API: create, list (no token values), and another user's token cannot be revoked.
	r = h.api(http.MethodPost, "/api/v1/me/tokens", tok, `{"label":"チャット"}`)
	var made struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(r.Body), &made); r.Status != http.StatusCreated || err != nil || made.Token == "" {
		t.Fatalf("API create: %d %s", r.Status, r.Body)
	}
	if r := h.api(http.MethodGet, "/api/v1/me/tokens", tok, ""); strings.Contains(r.Body, made.Token) || strings.Count(r.Body, `"label"`) != 2 {
		t.Errorf("API list: %s", r.Body)
	}
	otherTok := h.token("other")
	if r := h.api(http.MethodDelete, "/api/v1/me/tokens/"+itoa(made.ID), otherTok, ""); r.Status != http.StatusNotFound {
		t.Errorf("another user revokes: %d", r.Status)
	}
	if r := h.api(http.MethodDelete, "/api/v1/me/tokens/"+itoa(made.ID), tok, ""); r.Status != http.StatusNoContent {
		t.Errorf("API revoke: %d", r.Status)
	}
	if r := h.api(http.MethodGet, "/api/v1/me", made.Token, ""); r.Status != http.StatusUnauthorized {
		t.Errorf("a revoked token still works: %d", r.Status)
	}
	// The page revoke of the first.
	id := regexp.MustCompile(`/account/tokens/(\d+)/revoke`).FindStringSubmatch(list.Body)
	if id == nil {
		t.Fatal("no revoke button")
	}
	if r := c.postForm("/account/tokens", "/account/tokens/"+id[1]+"/revoke", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.Status)
	}
	if r := h.api(http.MethodGet, "/api/v1/me", tok, ""); r.Status != http.StatusUnauthorized {
		t.Errorf("a revoked token still works: %d", r.Status)
	}
}
