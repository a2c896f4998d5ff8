package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/leakdesk/leakdesk/internal/auth"
)

const discoveryJSON = `{"recognized_at":"2026-04-30T22:40","reported_to_soumu_at":"2026-05-01T08:50",
	"containment_ordered_at":"2026-05-01T09:00","prelim_screen":"suspected","exec_notification_decision":"not_needed",
	"involves_my_number":"no","suspected_route":"media_lost","estimated_count_max":3000}`

type apiCaseOut struct {
	ID      int64          `json:"id"`
	Number  string         `json:"number"`
	Version int64          `json:"version"`
	Status  string         `json:"status"`
	Facts   map[string]any `json:"facts"`
	Stages  []struct {
		Stage string `json:"stage"`
		State string `json:"state"`
	} `json:"stages"`
}

type apiRequestOut struct {
	ID        int64            `json:"id"`
	State     string           `json:"state"`
	Approvals []map[string]any `json:"approvals"`
}

func decode[T any](t *testing.T, r resp) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		t.Fatalf("decode %d %s: %v", r.Status, r.Body, err)
	}
	return v
}

func problemDetail(t *testing.T, r resp) (string, []map[string]string) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q for %d: %s", ct, r.Status, r.Body)
	}
	var p struct {
		Detail string              `json:"detail"`
		Errors []map[string]string `json:"errors"`
	}
	if err := json.Unmarshal([]byte(r.Body), &p); err != nil {
		t.Fatal(err)
	}
	return p.Detail, p.Errors
}

// apiEnv has one token per role and a case opened through the API.
type apiEnv struct {
	*harness
	tok map[string]string
}

func newAPIEnv(t *testing.T) *apiEnv {
	h := newHarness(t)
	e := &apiEnv{harness: h, tok: map[string]string{}}
	for key, role := range map[string]auth.Role{"staff": auth.RoleStaff, "staff2": auth.RoleStaff, "manager": auth.RoleManager,
		"manager2": auth.RoleManager, "privacy": auth.RolePrivacyOfficer, "auditor": auth.RoleAuditor, "admin": auth.RoleAdmin, "hr": auth.RoleHR} {
		h.user(key, role)
		e.tok[key] = h.token(key)
	}
	return e
}

func (e *apiEnv) open() apiCaseOut {
	e.t.Helper()
	r := e.api("POST", "/api/v1/cases", e.tok["staff"], `{"title":"USBメモリ紛失","facts":`+discoveryJSON+`}`)
	if r.Status != http.StatusCreated {
		e.t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	return decode[apiCaseOut](e.t, r)
}

// readyForG1 ticks the required discovery item and submits the G1 request.
func (e *apiEnv) readyForG1(c apiCaseOut) apiRequestOut {
	e.t.Helper()
	ctx := context.Background()
	id := c.ID
	// Checklist ticks are a page action; do it through the page as staff would.
	cl := e.client().loginAs("staff")
	r := cl.postForm(fmt.Sprintf("/cases/%d", id), fmt.Sprintf("/cases/%d/checklist", id),
		url.Values{"item": {"discovery.evidence_preserved"}, "checked": {"true"}, "version": {fmt.Sprint(e.version(id))}})
	if r.Status != http.StatusSeeOther {
		e.t.Fatalf("tick: %d", r.Status)
	}
	_ = ctx
	r = e.api("POST", fmt.Sprintf("/api/v1/cases/%d/requests", id), e.tok["staff"], `{"stage":"discovery","kind":"complete","note":"第一報完了"}`, "If-Match", fmt.Sprint(e.version(id)))
	if r.Status != http.StatusCreated {
		e.t.Fatalf("request: %d %s", r.Status, r.Body)
	}
	return decode[apiRequestOut](e.t, r)
}

func (e *apiEnv) version(id int64) int64 {
	e.t.Helper()
	r := e.api("GET", fmt.Sprintf("/api/v1/cases/%d", id), e.tok["staff"], "")
	return decode[apiCaseOut](e.t, r).Version
}

func TestAPI_CaseLifecycleAndRefusals(t *testing.T) {
	e := newAPIEnv(t)
	c := e.open()
	if c.Number == "" || c.Status != "open" || len(c.Stages) != 8 || c.Stages[0].State != "in_progress" {
		t.Fatalf("created case: %+v", c)
	}
	path := fmt.Sprintf("/api/v1/cases/%d", c.ID)

	// PATCH needs If-Match (428), refuses a stale version (409), validates facts (422).
	if r := e.api("PATCH", path, e.tok["staff"], `{"facts":{"initial_description":"x"}}`); r.Status != http.StatusPreconditionRequired {
		t.Fatalf("no If-Match: %d", r.Status)
	}
	r := e.api("PATCH", path, e.tok["staff"], `{"facts":{"initial_description":"最初の記述"}}`, "If-Match", fmt.Sprint(c.Version))
	if r.Status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	after := decode[apiCaseOut](t, r)
	if r := e.api("PATCH", path, e.tok["staff2"], `{"facts":{"initial_description":"上書き"}}`, "If-Match", fmt.Sprint(c.Version)); r.Status != http.StatusConflict {
		t.Fatalf("stale: %d", r.Status)
	}
	bad := []struct {
		name, body, field string
	}{
		{"future recognized_at", `{"facts":{"recognized_at":"2099-01-01T10:00"}}`, "recognized_at"},
		{"negative count", `{"facts":{"estimated_count_max":-5}}`, "estimated_count_max"},
		{"oversized text", `{"facts":{"initial_description":"` + strings.Repeat("あ", 20001) + `"}}`, "initial_description"},
		{"unknown fact", `{"facts":{"no_such_fact":"x"}}`, "no_such_fact"},
		{"bad enum", `{"facts":{"prelim_screen":"maybe"}}`, "prelim_screen"},
	}
	for _, tc := range bad {
		r := e.api("PATCH", path, e.tok["staff"], tc.body, "If-Match", fmt.Sprint(after.Version))
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
			continue
		}
		_, fields := problemDetail(t, r)
		if len(fields) == 0 || fields[0]["field"] != tc.field || fields[0]["message"] == "" {
			t.Errorf("%s: field errors %v", tc.name, fields)
		}
	}
	if r := e.api("PATCH", path, e.tok["staff"], `{"facts":`, "If-Match", fmt.Sprint(after.Version)); r.Status != http.StatusBadRequest {
		t.Errorf("malformed JSON: %d", r.Status)
	}
	if v := e.version(c.ID); v != after.Version {
		t.Fatalf("refused writes changed the case: version %d, want %d", v, after.Version)
	}

	// Requests: unknown stage, a kind the table forbids, unmet criteria.
	reqPath := path + "/requests"
	for name, body := range map[string]string{
		"unknown stage":        `{"stage":"nowhere","kind":"complete"}`,
		"skip never skippable": `{"stage":"discovery","kind":"skip","reason_code":"X","note":"n"}`,
		"stage not open":       `{"stage":"discipline","kind":"complete"}`,
	} {
		if r := e.api("POST", reqPath, e.tok["staff"], body, "If-Match", fmt.Sprint(e.version(c.ID))); r.Status < 400 || r.Status >= 500 {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	// Auditors and admins change nothing.
	if r := e.api("PATCH", path, e.tok["auditor"], `{"facts":{"initial_description":"監査"}}`, "If-Match", fmt.Sprint(after.Version)); r.Status != http.StatusForbidden {
		t.Errorf("auditor patch: %d", r.Status)
	}
	if r := e.api("GET", path, e.tok["admin"], ""); r.Status != http.StatusForbidden {
		t.Errorf("admin read: %d", r.Status)
	}

	// G1: the requester cannot approve; a manager can, once; a second approval is refused.
	rq := e.readyForG1(c)
	if rq.State != "pending" {
		t.Fatalf("request state %q", rq.State)
	}
	ap := fmt.Sprintf("/api/v1/requests/%d/approve", rq.ID)
	if r := e.api("POST", ap, e.tok["staff"], `{"note":"自己承認"}`, "If-Match", fmt.Sprint(e.version(c.ID))); r.Status != http.StatusForbidden {
		t.Fatalf("self-approval: %d", r.Status)
	}
	if r := e.api("POST", ap, e.tok["hr"], `{}`, "If-Match", fmt.Sprint(e.version(c.ID))); r.Status != http.StatusForbidden {
		t.Fatalf("wrong role: %d", r.Status)
	}
	// §5.2(8): no approval and no send-back without a reason; nothing is written.
	before := e.version(c.ID)
	for _, path := range []string{ap, fmt.Sprintf("/api/v1/requests/%d/send-back", rq.ID)} {
		for _, body := range []string{`{}`, `{"note":"  "}`} {
			r := e.api("POST", path, e.tok["manager"], body, "If-Match", fmt.Sprint(e.version(c.ID)))
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Header.Get("Content-Type"), "application/problem+json") ||
				!strings.Contains(r.Body, `"note"`) || !strings.Contains(r.Body, "理由") {
				t.Fatalf("%s without a reason %s: %d %s %s", path, body, r.Status, r.Header.Get("Content-Type"), r.Body)
			}
		}
	}
	if v := e.version(c.ID); v != before {
		t.Fatalf("a refused approval wrote: version %d → %d", before, v)
	}
	// The former free 代理承認 checkbox names no principal: refused.
	if r := e.api("POST", ap, e.tok["manager"], `{"note":"承認します","as_deputy":true}`, "If-Match", fmt.Sprint(e.version(c.ID))); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("as_deputy without a principal: %d %s", r.Status, r.Body)
	}
	r = e.api("POST", ap, e.tok["manager"], `{"note":"承認します"}`, "If-Match", fmt.Sprint(e.version(c.ID)))
	if r.Status != http.StatusOK || decode[apiRequestOut](t, r).State != "approved" {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	if r := e.api("POST", ap, e.tok["manager2"], `{}`, "If-Match", fmt.Sprint(e.version(c.ID))); r.Status != http.StatusConflict {
		t.Fatalf("second approval: %d", r.Status)
	}
	got := decode[apiCaseOut](t, e.api("GET", path, e.tok["staff"], ""))
	states := map[string]string{}
	for _, s := range got.Stages {
		states[s.Stage] = s.State
	}
	for _, st := range []string{"investigation", "containment", "police_report", "regulator_report"} {
		if states[st] != "in_progress" {
			t.Errorf("after G1 %s = %s", st, states[st])
		}
	}

	// Send back needs a note; then the stage returns to in progress.
	r = e.api("POST", reqPath, e.tok["staff"], `{"stage":"police_report","kind":"skip","reason_code":"NO_CRIME_SELF_CAUSED","note":"誤送信で犯罪なし"}`, "If-Match", fmt.Sprint(e.version(c.ID)))
	if r.Status != http.StatusCreated {
		t.Fatalf("skip request: %d %s", r.Status, r.Body)
	}
	skip := decode[apiRequestOut](t, r)
	sb := fmt.Sprintf("/api/v1/requests/%d/send-back", skip.ID)
	if r := e.api("POST", sb, e.tok["manager"], `{"note":""}`, "If-Match", fmt.Sprint(e.version(c.ID))); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("send back without note: %d", r.Status)
	}
	if r := e.api("POST", sb, e.tok["manager"], `{"note":"USBは社外で紛失しており紛失届が必要"}`, "If-Match", fmt.Sprint(e.version(c.ID))); r.Status != http.StatusOK || decode[apiRequestOut](t, r).State != "sent_back" {
		t.Fatalf("send back: %d %s", r.Status, r.Body)
	}

	// History: every change is an event with a hash chain.
	r = e.api("GET", path+"/events", e.tok["auditor"], "")
	events := decode[[]map[string]any](t, r)
	if int64(len(events)) != e.version(c.ID) || events[0]["prev_hash"] != "" || events[1]["prev_hash"] != events[0]["hash"] {
		t.Fatalf("events: %d, version %d", len(events), e.version(c.ID))
	}
}

func TestPages_StaleFormShowsWhatChangedAndKeepsInput(t *testing.T) {
	e := newAPIEnv(t)
	c := e.open()
	page := fmt.Sprintf("/cases/%d", c.ID)
	alice := e.client().loginAs("staff")
	bob := e.client().loginAs("staff2")
	if r := bob.postForm(page, page+"/facts", url.Values{"stage": {"discovery"}, "version": {fmt.Sprint(c.Version)}, "initial_description": {"ボブの記述"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("bob: %d", r.Status)
	}
	r := alice.postForm(page, page+"/facts", url.Values{"stage": {"discovery"}, "version": {fmt.Sprint(c.Version)}, "initial_description": {"アリスの記述"}})
	if r.Status != http.StatusConflict {
		t.Fatalf("alice stale: %d", r.Status)
	}
	for _, want := range []string{`data-testid="conflict"`, "アリスの記述", "ボブの記述"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("conflict page lacks %q", want)
		}
	}
	// Field errors in Japanese next to the field, with the typed value kept.
	r = alice.postForm(page, page+"/facts", url.Values{"stage": {"discovery"}, "version": {fmt.Sprint(e.version(c.ID))}, "estimated_count_max": {"-3"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `data-testid="error-estimated_count_max"`) || !strings.Contains(r.Body, `value="-3"`) {
		t.Fatalf("field error page: %d", r.Status)
	}
}

func TestPages_AccessLogRecordsCaseViews(t *testing.T) {
	e := newAPIEnv(t)
	c := e.open()
	e.client().loginAs("auditor").get(fmt.Sprintf("/cases/%d", c.ID))
	var n int
	if err := e.db.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM access_log WHERE case_id = $1 AND user_id = $2 AND page = 'case'`,
		c.ID, e.users["auditor"].ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("access log rows: %d %v", n, err)
	}
	if v := e.version(c.ID); v != c.Version {
		t.Fatal("a read changed the case version")
	}
}
