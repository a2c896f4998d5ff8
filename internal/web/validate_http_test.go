package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The shape checks refuse bad input with a field error in Japanese on the page and in problem+json on
// the API, and change nothing.
func TestInputChecks_PageAndAPI(t *testing.T) {
	e := newAPIEnv(t)
	c := e.open()

	api := []struct {
		name, method, path, body, field string
	}{
		{"case title too long", "POST", "/api/v1/cases", `{"title":"` + strings.Repeat("漏", 201) + `"}`, "title"},
		{"case title missing", "POST", "/api/v1/cases", `{"facts":{}}`, "title"},
		{"request kind unknown", "POST", fmt.Sprintf("/api/v1/cases/%d/requests", c.ID), `{"stage":"discovery","kind":"approve_myself"}`, "kind"},
		{"request note too long", "POST", fmt.Sprintf("/api/v1/cases/%d/requests", c.ID), `{"stage":"discovery","kind":"complete","note":"` + strings.Repeat("あ", 2001) + `"}`, "note"},
		{"request review date", "POST", fmt.Sprintf("/api/v1/cases/%d/requests", c.ID), `{"stage":"customer_notice","kind":"defer","review_by":"来週"}`, "review_by"},
	}
	for _, tc := range api {
		r := e.api(tc.method, tc.path, e.tok["staff"], tc.body)
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d %s", tc.name, r.Status, r.Body)
			continue
		}
		_, fields := problemDetail(t, r)
		if len(fields) != 1 || fields[0]["field"] != tc.field || fields[0]["message"] == "" {
			t.Errorf("%s: field errors %v", tc.name, fields)
		}
	}
	if v := e.version(c.ID); v != c.Version {
		t.Fatalf("refused requests changed the case: version %d, want %d", v, c.Version)
	}

	// The page keeps what was typed and shows the message next to the field.
	cl := e.client().loginAs("staff")
	form := url.Values{"title": {"   "}, "initial_description": {"顧客名簿をメールで誤送信"}}
	r := cl.postForm("/cases/new", "/cases", form)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("blank title: status %d", r.Status)
	}
	if !strings.Contains(r.Body, "件名を入力してください。") || !strings.Contains(r.Body, "顧客名簿をメールで誤送信") {
		t.Fatalf("blank title page lacks the field message or the typed text")
	}
}
