package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/rules"
)

// v2Doc is version 1 with a new discovery checklist item and a higher compensation threshold
// (what the administrator drafts).
func v2Doc(t *testing.T) string {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(rules.V1().Canonical(), &d); err != nil {
		t.Fatal(err)
	}
	d["compensation_executive_above"] = 2000000
	st := d["stages"].(map[string]any)["discovery"].(map[string]any)
	st["checklist"] = append(st["checklist"].([]any), map[string]any{"id": "call_it_desk", "ja": "情報システム部に連絡した",
		"en": "Called the IT desk", "citation": "社内手順 1", "required_for_exit": false})
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The rule book's pages: a refused document (schema, then engine, then an unreadable upload) comes
// back 422 with each problem's JSON path in Japanese and nothing saved; a good draft shows its
// diff against the version in force; its drafter cannot approve it; the manager and the privacy
// officer do and it is in force; the same date twice is refused; the export is the canonical file;
// the yearly review is recorded.
func TestRulesPages_DraftRefuseDiffApproveExportReview(t *testing.T) {
	h := newHarness(t)
	h.user("admin", auth.RoleAdmin)
	h.user("mgr", auth.RoleManager)
	h.user("po", auth.RolePrivacyOfficer)
	admin, mgr, po := h.client().loginAs("admin"), h.client().loginAs("mgr"), h.client().loginAs("po")
	today := incident.JSTDate(time.Now()).Format(time.DateOnly)

	home := admin.get("/rules")
	if home.Status != http.StatusOK || !strings.Contains(home.Body, `data-testid="rules-in-force"`) || !strings.Contains(home.Body, "第1版") ||
		!strings.Contains(home.Body, `data-testid="nav-rules"`) || !strings.Contains(home.Body, "compensation_executive_above") {
		t.Fatalf("GET /rules: %d, want the version in force, the nav link and the editor with version 1", home.Status)
	}
	for _, tc := range []struct {
		name, doc, path string
	}{
		{"law-fixed key", strings.Replace(v2Doc(t), `{`, `{"report_threshold_persons":5000,`, 1), "report_threshold_persons"},
		{"unknown stage role", strings.Replace(v2Doc(t), `"writers":["staff","manager"]`, `"writers":["staff","janitor"]`, 1), "/writers"},
		{"not JSON", `{"version": 2,`, "/"},
	} {
		r := admin.postForm("/rules", "/rules", url.Values{"document": {tc.doc}, "effective_on": {today}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `data-testid="rules-problem"`) || !strings.Contains(r.Body, tc.path) ||
			!strings.Contains(r.Body, "何も保存していません") {
			t.Errorf("%s: %d, want 422 listing a problem at %q", tc.name, r.Status, tc.path)
		}
	}
	r := admin.uploadEvidence("/rules", "/rules", map[string]string{"effective_on": today}, "rules.json", []byte(`{"version":"two"}`))
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "/version") || !strings.Contains(r.Body, "&#34;two&#34;") {
		t.Errorf("bad upload: %d, want 422 with the path and the file back in the editor", r.Status)
	}
	if n := h.countRows("rule_versions"); n != 0 {
		t.Fatalf("%d versions stored by refused drafts", n)
	}

	r = admin.postForm("/rules", "/rules", url.Values{"document": {v2Doc(t)}, "effective_on": {today}, "title": {"2026年改訂"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/rules/2" {
		t.Fatalf("draft: %d %s", r.Status, r.Header.Get("Location"))
	}
	page := admin.get("/rules/2")
	for _, want := range []string{`data-testid="rule-diff"`, "/compensation_executive_above", "2000000", "call_it_desk", "起案中"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("draft page lacks %q", want)
		}
	}
	if strings.Contains(page.Body, `data-testid="rule-approve"`) {
		t.Error("the administrator is offered an approval")
	}
	if r := admin.postForm("/rules", "/rules", url.Values{"document": {v2Doc(t)}, "effective_on": {today}}); r.Status != http.StatusConflict ||
		!strings.Contains(r.Body, "同じ施行日") {
		t.Errorf("same date twice: %d, want 409", r.Status)
	}
	if !strings.Contains(mgr.get("/rules/2").Body, `data-testid="rule-approve"`) {
		t.Fatal("the manager is not offered the approval")
	}
	if r := mgr.postForm("/rules/2", "/rules/2/approve", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("manager approves: %d", r.Status)
	}
	if r := mgr.postForm("/rules/2", "/rules/2/approve", url.Values{}); r.Status != http.StatusConflict {
		t.Errorf("manager approves twice: %d, want 409", r.Status)
	}
	if r := po.postForm("/rules/2", "/rules/2/approve", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("privacy officer approves: %d", r.Status)
	}
	if home := admin.get("/rules"); !strings.Contains(home.Body, "第2版") || !strings.Contains(home.Body, `data-testid="rule-in-force-badge"`) {
		t.Error("version 2 is not shown in force after both approvals")
	}

	ex := admin.get("/rules/2/export")
	if ex.Status != http.StatusOK || !strings.Contains(ex.Header.Get("Content-Disposition"), "leakdesk-rules-v2.json") {
		t.Fatalf("export: %d %q", ex.Status, ex.Header.Get("Content-Disposition"))
	}
	rs, err := rules.Parse([]byte(ex.Body))
	if err != nil || rs.CompensationExecutiveAbove != 2000000 || rs.Version != 2 {
		t.Fatalf("export does not parse back as version 2: %v", err)
	}

	if r := admin.postForm("/rules", "/rules/review", url.Values{}); r.Status != http.StatusForbidden {
		t.Errorf("administrator records the review: %d, want 403", r.Status)
	}
	if r := po.postForm("/rules", "/rules/review", url.Values{"note": {"変更なし"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("review: %d", r.Status)
	}
	if home := po.get("/rules"); !strings.Contains(home.Body, `data-testid="rules-review-due"`) || strings.Contains(home.Body, "rules-review-overdue") {
		t.Error("the review's next due date is not shown, or shown overdue right after the review")
	}
}

// (Both tests draft the same version 2 — document and title — because the engine's registry of
// compiled versions is per process and keyed by the number: see docs/rules.md "Known limits".)
//
// The API twins: list, a refused document with JSON Pointers, a draft (201 with its changes), the
// two approvals and the withdrawal of another draft.
func TestRulesAPI_DraftRefuseApproveWithdraw(t *testing.T) {
	h := newHarness(t)
	h.user("admin", auth.RoleAdmin)
	h.user("mgr", auth.RoleManager)
	h.user("po", auth.RolePrivacyOfficer)
	adm, mgr, po := h.token("admin"), h.token("mgr"), h.token("po")
	day := incident.JSTDate(time.Now()).AddDate(0, 0, 3).Format(time.DateOnly)

	r := h.api(http.MethodGet, "/api/v1/rules", mgr, "")
	var book struct {
		InForce  int `json:"in_force"`
		Versions []struct {
			Version int    `json:"version"`
			State   string `json:"state"`
		} `json:"versions"`
	}
	if r.Status != http.StatusOK || json.Unmarshal([]byte(r.Body), &book) != nil || book.InForce != 1 || len(book.Versions) != 1 || book.Versions[0].State != "builtin" {
		t.Fatalf("GET /api/v1/rules: %d %s", r.Status, r.Body)
	}
	bad := `{"effective_on":"` + day + `","document":` + strings.Replace(v2Doc(t), `{`, `{"report_threshold_persons":5000,`, 1) + `}`
	r = h.api(http.MethodPost, "/api/v1/rules", adm, bad)
	var prob struct {
		Errors []struct {
			Field, Pointer, Message string
		} `json:"errors"`
	}
	if r.Status != http.StatusUnprocessableEntity || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") ||
		json.Unmarshal([]byte(r.Body), &prob) != nil || len(prob.Errors) == 0 || prob.Errors[0].Field != "document" ||
		!strings.Contains(r.Body, "report_threshold_persons") {
		t.Fatalf("refused document: %d %s", r.Status, r.Body)
	}
	r = h.api(http.MethodPost, "/api/v1/rules", adm, `{"effective_on":"`+day+`","title":"2026年改訂","document":`+v2Doc(t)+`}`)
	if r.Status != http.StatusCreated || !strings.Contains(r.Body, `"/compensation_executive_above"`) || !strings.Contains(r.Body, `"changes_against":1`) {
		t.Fatalf("draft: %d %s", r.Status, r.Body)
	}
	if r := h.api(http.MethodPost, "/api/v1/rules/2/approve", adm, `{}`); r.Status != http.StatusForbidden {
		t.Errorf("administrator approves: %d, want 403", r.Status)
	}
	if r := h.api(http.MethodPost, "/api/v1/rules/2/approve", mgr, `{}`); r.Status != http.StatusOK || !strings.Contains(r.Body, `"state":"draft"`) {
		t.Fatalf("first approval: %d %s", r.Status, r.Body)
	}
	if r := h.api(http.MethodPost, "/api/v1/rules/2/approve", po, `{}`); r.Status != http.StatusOK || !strings.Contains(r.Body, `"state":"approved"`) {
		t.Fatalf("second approval: %d %s", r.Status, r.Body)
	}
	later := incident.JSTDate(time.Now()).AddDate(0, 0, 9).Format(time.DateOnly)
	if r := h.api(http.MethodPost, "/api/v1/rules", adm, `{"effective_on":"`+later+`","document":`+v2Doc(t)+`}`); r.Status != http.StatusCreated {
		t.Fatalf("second draft: %d %s", r.Status, r.Body)
	}
	if r := h.api(http.MethodPost, "/api/v1/rules/3/withdraw", mgr, `{}`); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("withdraw without a reason: %d, want 422", r.Status)
	}
	if r := h.api(http.MethodPost, "/api/v1/rules/3/withdraw", adm, `{"reason":"誤り"}`); r.Status != http.StatusOK || !strings.Contains(r.Body, `"withdrawn"`) {
		t.Fatalf("drafter withdraws: %d %s", r.Status, r.Body)
	}
	if r := h.api(http.MethodGet, "/api/v1/rules/3", mgr, ""); r.Status != http.StatusOK || !strings.Contains(r.Body, `"state":"withdrawn"`) {
		t.Errorf("GET withdrawn version: %d", r.Status)
	}
}

// The dashboard shows the rule book's yearly review deadline, a year from when the versioned rule
// book was installed (nothing reviewed yet), with the way to meet it.
func TestDashboard_ShowsTheYearlyRuleReview(t *testing.T) {
	h := newHarness(t)
	h.user("mgr", auth.RoleManager)
	_, base, err := h.db.Store.RuleReviewClock(t.Context())
	if err != nil || base.IsZero() {
		t.Fatalf("no review base: %v", err)
	}
	want := incident.RuleReviewAt(time.Time{}, base, time.Now()).DueOn.Format(time.DateOnly)
	b := h.client().loginAs("mgr").get("/dashboard").Body
	if !strings.Contains(b, `data-testid="dashboard-rule-review"`) || !strings.Contains(b, want) || !strings.Contains(b, `href="/rules"`) ||
		strings.Contains(b, "dashboard-rule-review-overdue") {
		t.Fatalf("the dashboard does not show the yearly review due %s", want)
	}
}
