package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/leakdesk/leakdesk/internal/auth"
)

// The new-case page offers the rule set's incident-type templates; choosing one shows its suggestion
// pre-filled, and the case opened from it names the template and the rule set and lists its items.
func TestTemplates_NewCasePageAndCasePage(t *testing.T) {
	h := newHarness(t)
	h.user("staff", auth.RoleStaff)
	cl := h.client().loginAs("staff")

	doc := parse(t, cl.get("/cases/new").Body)
	if n := doc.Find(`[data-testid="template-select"] option`).Length(); n != 8 { // "no template" + 7
		t.Fatalf("%d template options, want 8", n)
	}
	if doc.Find(`[data-testid="template-suggestion"]`).Length() != 0 {
		t.Fatal("a suggestion is shown before a template is chosen")
	}

	r := cl.get("/cases/new?template=missend")
	doc = parse(t, r.Body)
	sug := doc.Find(`[data-testid="template-suggestion"]`)
	if sug.Length() != 1 || !strings.Contains(sug.Text(), "メール・FAX誤送信") || !strings.Contains(sug.Text(), "削除") {
		t.Fatalf("suggestion: %q", sug.Text())
	}
	if v, _ := doc.Find(`select[name="suspected_route"] option[selected]`).Attr("value"); v != "email_missend" {
		t.Fatalf("suspected_route pre-filled with %q", v)
	}
	if v, _ := doc.Find(`[data-testid="new-case-form"] input[name="template"]`).Attr("value"); v != "missend" {
		t.Fatalf("hidden template %q", v)
	}

	// The opener changes a suggested value: the typed value is what the case records.
	form := url.Values{"title": {"見積書の誤送信"}, "template": {"missend"}, "suspected_route": {"fax_missend"}}
	r = cl.postForm("/cases/new?template=missend", "/cases", form)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("open: status %d", r.Status)
	}
	page := parse(t, cl.get(r.Header.Get("Location")).Body)
	if got := page.Find(`[data-testid="case-template"]`).Text(); !strings.Contains(got, "メール・FAX誤送信") {
		t.Fatalf("case page template badge %q", got)
	}
	if got := page.Find(`[data-testid="case-rules"]`).Text(); !strings.Contains(got, "第1版") {
		t.Fatalf("case page rule set %q", got)
	}
	if got := page.Find(`[data-testid="checklist"]`).Text(); !strings.Contains(got, "削除するよう依頼") {
		t.Fatalf("the template's discovery item is not on the checklist: %q", got)
	}
	if !strings.Contains(page.Text(), "FAX誤送信") {
		t.Fatal("the typed suspected route is not shown")
	}

	// An unknown template: 422 with the message, nothing opened.
	form = url.Values{"title": {"x"}, "template": {"meteor"}}
	r = cl.postForm("/cases/new", "/cases", form)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "事案の類型（雛形）が見つかりません。") {
		t.Fatalf("unknown template: status %d", r.Status)
	}
}

func TestTemplates_API(t *testing.T) {
	h := newHarness(t)
	h.user("staff", auth.RoleStaff)
	tok := h.token("staff")
	r := h.api(http.MethodPost, "/api/v1/cases", tok, `{"title":"ランサムウェア被害","template":"ransomware","facts":{"recognized_at":"2026-04-30T22:40"}}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("status %d %s", r.Status, r.Body)
	}
	var c struct {
		Template     string         `json:"template"`
		RulesVersion int            `json:"rules_version"`
		RulesHash    string         `json:"rules_hash"`
		Facts        map[string]any `json:"facts"`
	}
	if err := json.Unmarshal([]byte(r.Body), &c); err != nil {
		t.Fatal(err)
	}
	if c.Template != "ransomware" || c.RulesVersion != 1 || len(c.RulesHash) != 64 || c.Facts["wrongful_act"] != "yes" || c.Facts["route"] != "malware_ransomware" {
		t.Fatalf("created case %+v", c)
	}
	r = h.api(http.MethodPost, "/api/v1/cases", tok, `{"title":"x","template":"meteor"}`)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"field":"template"`) {
		t.Fatalf("unknown template: %d %s", r.Status, r.Body)
	}
}

func parse(t *testing.T, body string) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return d
}
