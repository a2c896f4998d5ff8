package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/leakdesk/leakdesk/internal/store"
)

// TestPersons_SearchIsAPostAndARead (issue 21 "no personal data in URLs", issue 20 "searches are
// reads"): a register search by e-mail, phone or customer ID travels in a POST body — the page
// redirects to a URL carrying only an opaque, user-bound token, and a query string with q is
// refused (page and API) — and every search that matches people is written to the access log, also
// for roles that see the list masked (executive, HR).
func TestPersons_SearchIsAPostAndARead(t *testing.T) {
	h := newPersonsHarness(t)
	ctx := context.Background()
	id, err := h.db.Store.CreatePerson(ctx, h.keys, h.caseID, h.users["staff"].ID, store.PersonData{Name: "山田 太郎", Kana: "ヤマダ タロウ",
		Phone: "090-1234-5678", Email: "taro@example.jp", CustomerID: "CUST-12345"}, store.PersonNotice{})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"taro", "example.jp", "1234-5678", "CUST-12345", "12345678"}
	for _, key := range []string{"exec", "hr", "staff"} {
		cl := h.client().loginAs(key)
		for _, q := range []string{"TARO@example.jp", "09012345678", "CUST-12345"} {
			before := len(h.accessLog(key))
			r := cl.postForm(h.path(""), h.path("/search"), url.Values{"q": {q}})
			if r.Status != http.StatusSeeOther {
				t.Fatalf("%s: search %d", key, r.Status)
			}
			loc := r.Header.Get("Location")
			for _, sec := range secrets {
				if strings.Contains(strings.ToLower(loc), strings.ToLower(sec)) {
					t.Errorf("%s: the redirect %q carries the query", key, loc)
				}
			}
			page := cl.get(loc)
			if page.Status != http.StatusOK || !strings.Contains(page.Body, fmt.Sprintf(`data-testid="person-%d"`, id)) {
				t.Errorf("%s: search %q did not find the person (%d)", key, q, page.Status)
			}
			log := h.accessLog(key)
			if len(log) <= before || log[len(log)-1].Page != "persons.search" || len(log[len(log)-1].Subjects) != 1 || log[len(log)-1].Subjects[0] != id {
				t.Errorf("%s: search %q not in the access log: %+v", key, q, log)
			}
		}
		// Another user cannot replay the token.
		r := cl.postForm(h.path(""), h.path("/search"), url.Values{"q": {"taro@example.jp"}})
		if other := h.client().loginAs("manager").get(r.Header.Get("Location")); other.Status != http.StatusBadRequest {
			t.Errorf("%s's search token worked for another user: %d", key, other.Status)
		}
		if r := cl.get(h.path("?q=taro%40example.jp")); r.Status != http.StatusBadRequest {
			t.Errorf("%s: a query string search answered %d, want 400", key, r.Status)
		}
	}
	// A search that matches nobody reads nobody.
	cl := h.client().loginAs("hr")
	before := len(h.accessLog("hr"))
	r := cl.postForm(h.path(""), h.path("/search"), url.Values{"q": {"nobody@example.jp"}})
	cl.get(r.Header.Get("Location"))
	if len(h.accessLog("hr")) != before {
		t.Error("a search without matches was logged as a read")
	}
	// The API: POST …/persons/search with a JSON body; GET with q is refused.
	tok := h.token("hr")
	if r := h.api("GET", fmt.Sprintf("/api/v1/cases/%d/persons?q=taro%%40example.jp", h.caseID), tok, ""); r.Status != http.StatusBadRequest {
		t.Errorf("API GET with q: %d, want 400", r.Status)
	}
	before = len(h.accessLog("hr"))
	api := h.api("POST", fmt.Sprintf("/api/v1/cases/%d/persons/search", h.caseID), tok, `{"q":"taro@example.jp"}`)
	if api.Status != http.StatusOK || !strings.Contains(api.Body, fmt.Sprintf(`"id":%d`, id)) || !strings.Contains(api.Body, `"masked":true`) {
		t.Errorf("API search: %d %.300s", api.Status, api.Body)
	}
	if log := h.accessLog("hr"); len(log) != before+1 || log[len(log)-1].Page != "api.persons.search" {
		t.Errorf("API search not in the access log: %+v", log)
	}
}
