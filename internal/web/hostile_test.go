package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/leakdesk/leakdesk/internal/auth"
)

// Hostile text stored through the real forms and shown on every page that displays it: markup
// must arrive escaped (never as live HTML), no link may carry a javascript: URL, and the text must
// come back exactly as typed (round trip), including bidi overrides, emoji, characters only CP932
// has, and very long input (stored when the field allows it, re-shown intact when it is refused).
const (
	hostileScript = `<script>alert("x")</script><img src=x onerror=alert(1)>`
	hostileJSURL  = `javascript:alert(document.cookie)`
	hostileRTL    = "請求書\u202Efdp.exe\u202C"
	hostileEmoji  = "😀👨‍👩‍👧 ＝1+1"
	hostileCP932  = "髙﨑①～∥－￢" // IBM/NEC extensions and the CP932 mappings of ～ ∥ － ￢
)

func TestHostile_StoredTextRendersEscapedAndIntact(t *testing.T) {
	if testing.Short() {
		t.Skip("database test")
	}
	h := newHarness(t)
	h.user("staff", auth.RoleStaff)
	h.user("auditor", auth.RoleAuditor)
	h.user("admin", auth.RoleAdmin)
	staff := h.client().loginAs("staff")
	auditor := h.client().loginAs("auditor")
	admin := h.client().loginAs("admin")

	title := hostileScript + " " + hostileRTL + " " + hostileEmoji + " " + hostileCP932
	long := strings.Repeat("長", 9_000) + hostileScript + strings.Repeat("ｱ", 1_000-len([]rune(hostileScript)))
	if n := len([]rune(long)); n != 10_000 {
		t.Fatalf("long text has %d characters", n)
	}
	r := staff.postForm("/cases/new", "/cases", url.Values{"title": {title}, "recognized_at": {"2026-04-30T22:40"}, "initial_description": {long}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("new case: %d %s", r.Status, stripTags(r.Body))
	}
	casePath := r.Header.Get("Location")
	var caseID int64
	if _, err := fmt.Sscanf(casePath, "/cases/%d", &caseID); err != nil {
		t.Fatalf("location %q", casePath)
	}
	c, err := h.db.Store.GetCase(context.Background(), caseID)
	if err != nil {
		t.Fatal(err)
	}
	r = staff.postForm(casePath, casePath+"/facts", url.Values{"version": {itoa(c.Version)}, "stage": {"discovery"},
		"reporter_dept": {hostileJSURL + " " + hostileEmoji}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("facts: %d %s", r.Status, stripTags(r.Body))
	}
	if got, _ := getFact(t, h, caseID, "initial_description"); got != long {
		t.Fatalf("the 10 000-character description was not stored intact (%d characters)", len([]rune(got)))
	}

	// The register: a hostile name is stored; a 10 000-character one is refused and re-shown as typed.
	persons := casePath + "/persons"
	personName := hostileCP932 + hostileRTL
	r = staff.postForm(persons, persons, url.Values{"name": {personName}, "address": {hostileScript}, "email": {"taro@example.jp"}, "notice_status": {"unnotified"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("add person: %d %s", r.Status, stripTags(r.Body))
	}
	longName := strings.Repeat("名", 10_000)
	r = staff.postForm(persons, persons, url.Values{"name": {longName}, "email": {"jiro@example.jp"}, "notice_status": {"unnotified"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("10 000-character name: %d, want 422", r.Status)
	}
	assertEscapedIntact(t, "refused person form", r, longName)

	// An auditor's comment and an account name carry hostile text too.
	r = auditor.postForm("/audit", "/audit/cases/"+itoa(caseID)+"/comments", url.Values{"body": {hostileScript + hostileJSURL + hostileRTL}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("comment: %d %s", r.Status, stripTags(r.Body))
	}
	userName := "利用者" + hostileScript[:20] + hostileEmoji
	r = admin.postForm("/admin/users", "/admin/users", url.Values{"email": {"hostile@example.jp"}, "name": {userName}, "roles": {"staff"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("create user: %d %s", r.Status, stripTags(r.Body))
	}
	r = admin.postForm("/admin/users", "/admin/users", url.Values{"email": {"long@example.jp"}, "name": {longName}, "roles": {"staff"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("10 000-character account name: %d, want 422", r.Status)
	}
	assertEscapedIntact(t, "refused user form", r, longName)

	pages := []struct {
		c     *client
		path  string
		texts []string
	}{
		{staff, "/cases", []string{title}},
		{staff, casePath, []string{title, long, hostileJSURL + " " + hostileEmoji}},
		// The register keeps the name as typed (issue 12): 髙, 﨑 and ① all stay; only the
		// comparisons (duplicates, search) use the NFKC form.
		{staff, persons, []string{personName, hostileScript}},
		{staff, "/dashboard", nil},
		{staff, casePath + "/documents/report_prelim", nil},
		{auditor, "/audit", []string{title}},
		{auditor, "/audit/cases/" + itoa(caseID), []string{title, hostileScript + hostileJSURL + hostileRTL}},
		{admin, "/admin/users", []string{userName}},
	}
	for _, p := range pages {
		r := p.c.get(p.path)
		if r.Status != http.StatusOK {
			t.Errorf("%s: %d", p.path, r.Status)
			continue
		}
		assertEscapedIntact(t, p.path, r, p.texts...)
	}

	// The API returns the same text unchanged (JSON escapes it; the client must too).
	tok := h.token("staff")
	r = h.api(http.MethodGet, "/api/v1/cases/"+itoa(caseID), tok, "")
	var got struct {
		Title string         `json:"title"`
		Facts map[string]any `json:"facts"`
	}
	if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Title != title || got.Facts["initial_description"] != long {
		t.Fatalf("API round trip changed the text: title %q", got.Title)
	}
	// The JSON is not HTML-escaped (writeJSON), which is safe only because it is never sniffed as HTML.
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") || r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("API answer with hostile text: Content-Type %q, nosniff %q", ct, r.Header.Get("X-Content-Type-Options"))
	}
}

// assertEscapedIntact: the hostile markup never appears raw, no href/src/action is a javascript:
// URL, no element got an event-handler attribute from the data, and each text is found intact in
// the page's text.
func assertEscapedIntact(t *testing.T, what string, r resp, texts ...string) {
	t.Helper()
	if strings.Contains(r.Body, "<script>alert") || strings.Contains(r.Body, "<img src=x") {
		t.Errorf("%s: hostile markup appears unescaped", what)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	doc.Find("[href],[src],[action],[formaction]").Each(func(_ int, s *goquery.Selection) {
		for _, a := range []string{"href", "src", "action", "formaction"} {
			if v, ok := s.Attr(a); ok && strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "javascript:") {
				t.Errorf("%s: %s=%q", what, a, v)
			}
		}
	})
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("%s: event handler attribute %s=%q", what, a.Key, a.Val)
			}
		}
	})
	if doc.Find("script:not([src])").Length() > 0 {
		t.Errorf("%s: an inline <script> element", what)
	}
	// Text as the user sees it, plus form values (a refused form re-shows what was typed).
	var all strings.Builder
	all.WriteString(doc.Text())
	doc.Find("input[value],textarea").Each(func(_ int, s *goquery.Selection) {
		v, _ := s.Attr("value")
		all.WriteString("\n" + v + "\n" + s.Text())
	})
	for _, want := range texts {
		if !strings.Contains(all.String(), want) {
			t.Errorf("%s: text not shown intact: %.80q…", what, want)
		}
	}
}

func getFact(t *testing.T, h *harness, caseID int64, name string) (string, bool) {
	t.Helper()
	c, err := h.db.Store.GetCase(context.Background(), caseID)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := c.Facts[name].(string)
	return v, ok
}

// TestHostile_RedirectTargetsStayOnSite: the language switch's "back" and the post-login target
// refuse what a browser would read as another site (see FuzzSafeNext).
func TestHostile_RedirectTargetsStayOnSite(t *testing.T) {
	if testing.Short() {
		t.Skip("database test")
	}
	h := newHarness(t)
	h.user("staff", auth.RoleStaff)
	cl := h.client().loginAs("staff")
	for _, back := range []string{"//evil.example/", "/\\evil.example", "/\t/evil.example", "/\n/evil.example", "https://evil.example/", "javascript:alert(1)"} {
		r := cl.postForm("/account", "/lang", url.Values{"lang": {"ja"}, "back": {back}})
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/" {
			t.Errorf("back=%q: %d Location %q, want 303 to /", back, r.Status, r.Header.Get("Location"))
		}
	}
	if r := cl.postForm("/account", "/lang", url.Values{"lang": {"ja"}, "back": {"/cases?q=a"}}); r.Header.Get("Location") != "/cases?q=a" {
		t.Errorf("a local target was not kept: %q", r.Header.Get("Location"))
	}
}
