package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/incident"
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

// A person recorded as involved in an incident does not find it in the case list (page or API):
// the title alone can name them or what they did.
func TestCaseList_HidesCasesTheViewerIsInvolvedIn(t *testing.T) {
	h := newLawHarness(t)
	hidden := h.openCase("誤送信（送信者: 山田）", time.Hour, false)
	shown := h.openCase("USBメモリ紛失", time.Hour, false)
	if _, _, err := h.svc.Do(context.Background(), hidden.ID, 0, h.actor("manager"), incident.MarkInvolved{UserID: h.users["staff2"].ID, Involved: true, Reason: "当事者"}); err != nil {
		t.Fatal(err)
	}
	page := h.client().loginAs("staff2").get("/cases").Body
	api := h.api("GET", "/api/v1/cases", h.token("staff2"), "").Body
	for name, body := range map[string]string{"page": page, "api": api} {
		if strings.Contains(body, hidden.Number) || strings.Contains(body, "山田") {
			t.Errorf("%s: the involved user sees the case", name)
		}
		if !strings.Contains(body, shown.Number) {
			t.Errorf("%s: the other case is missing", name)
		}
	}
	if !strings.Contains(h.client().loginAs("staff").get("/cases").Body, hidden.Number) {
		t.Error("a user who is not involved no longer sees the case")
	}
}

// The case list's search matches every word, anywhere, as the auditor's search does; two-character
// Japanese words included.
func TestCaseList_SearchMatchesEveryWord(t *testing.T) {
	h := newLawHarness(t)
	both := h.openCase("顧客名簿の漏洩（メール誤送信）", time.Hour, false)
	one := h.openCase("USBメモリ紛失による漏洩", time.Hour, false)
	for q, want := range map[string][]string{
		"漏洩 メール": {both.Number},
		"メール 漏洩": {both.Number},
		"漏洩":     {both.Number, one.Number},
		"漏洩 FAX": nil,
	} {
		body := h.client().loginAs("staff").get("/cases?q=" + url.QueryEscape(q)).Body
		for _, c := range []string{both.Number, one.Number} {
			if got, wanted := strings.Contains(body, c), slices.Contains(want, c); got != wanted {
				t.Errorf("search %q: case %s listed %v, want %v", q, c, got, wanted)
			}
		}
	}
}

// The law panel speaks the page's language: after switching to English the clocks are English too.
func TestCasePage_LawPanelFollowsTheLanguageSwitch(t *testing.T) {
	h := newLawHarness(t)
	c := h.openCase("USBメモリ紛失", time.Hour, false)
	cl := h.client().loginAs("staff")
	if body := cl.get(fmt.Sprintf("/cases/%d", c.ID)).Body; !strings.Contains(body, `id="clocks-title">期限<`) {
		t.Fatal("the Japanese page lacks the Japanese clocks heading")
	}
	if r := cl.postForm("/account", "/lang", url.Values{"lang": {"en"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("switch: %d", r.Status)
	}
	if body := cl.get(fmt.Sprintf("/cases/%d", c.ID)).Body; !strings.Contains(body, `id="clocks-title">Deadlines<`) {
		t.Fatal("after the switch the clocks are not in English")
	}
}
