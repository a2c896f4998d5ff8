package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/leakdesk/leakdesk/internal/archive"
	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/store"
)

// auditFixture is a harness with one user per role and a case with a pending request.
type auditFixture struct {
	h      *harness
	svc    *casework.Service
	c      *incident.Case
	reqID  int64
	actors map[string]incident.Actor
}

func newAuditFixture(t *testing.T) *auditFixture {
	t.Helper()
	h := newHarness(t)
	f := &auditFixture{h: h, svc: casework.New(h.db.Store), actors: map[string]incident.Actor{}}
	for key, roles := range map[string][]auth.Role{
		"auditor": {auth.RoleAuditor}, "staff": {auth.RoleStaff}, "manager": {auth.RoleManager},
		"privacy": {auth.RolePrivacyOfficer}, "admin": {auth.RoleAdmin}, "hr": {auth.RoleHR}, "ceo": {auth.RoleExecutive},
	} {
		u := h.user(key, roles...)
		a := incident.Actor{UserID: u.ID, Name: u.Name}
		for _, r := range roles {
			a.Roles = append(a.Roles, incident.Role(r))
		}
		f.actors[key] = a
	}
	ctx := context.Background()
	c, err := f.svc.Open(ctx, f.actors["staff"], "顧客リストの誤送信", map[string]any{
		"recognized_at": "2026-04-30T22:40", "reported_to_soumu_at": "2026-05-01T08:50",
		"containment_ordered_at": "2026-05-01T09:00", "prelim_screen": "suspected",
		"exec_notification_decision": "not_needed", "involves_my_number": "no",
		"suspected_route": "email_missend", "estimated_count_max": 3000,
		"initial_description": "取引先に顧客リストを誤送した。漏洩のおそれ。",
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	if c, _, err = f.svc.Do(ctx, c.ID, c.Version, f.actors["staff"], incident.TickChecklist{ItemID: "discovery.evidence_preserved", Checked: true}); err != nil {
		t.Fatal(err)
	}
	c, req, err := f.svc.Submit(ctx, c.ID, c.Version, f.actors["staff"], incident.SubmitRequest{Kind: incident.KindComplete, Stage: incident.StageDiscovery, Note: "第一報完了"})
	if err != nil {
		t.Fatal(err)
	}
	f.c, f.reqID = c, req.ID
	return f
}

func (f *auditFixture) version(t *testing.T) int64 {
	t.Helper()
	c, err := f.h.db.Store.GetCase(context.Background(), f.c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c.Version
}

// auditorMayPost are the only non-GET routes an auditor-only user gets through. Each is listed with
// why it changes no case data. Adding a route here needs the same justification.
var auditorMayPost = map[string]string{
	"POST /login":                            "signing in",
	"POST /logout":                           "signing out",
	"POST /lang":                             "the user's own language setting",
	"POST /login/mfa":                        "the second step of signing in",
	"POST /account/mfa":                      "enrolling one's own second factor",
	"POST /account/mfa/remove":               "removing one's own second factor",
	"POST /account/passkeys/begin":           "registering one's own passkey",
	"POST /account/passkeys/finish":          "registering one's own passkey",
	"POST /login/mfa/passkey/begin":          "the second step of signing in",
	"POST /account/password":                 "one's own password",
	"POST /scim/v2/Users":                    "provisioning by the identity provider's token, not a user's session (off in this harness: 404)",
	"PATCH /scim/v2/Users/{id}":              "provisioning by the identity provider's token, not a user's session (off in this harness: 404)",
	"DELETE /scim/v2/Users/{id}":             "provisioning by the identity provider's token, not a user's session (off in this harness: 404)",
	"POST /account/sessions/{id}/end":        "ending one's own session",
	"POST /login/mfa/passkey/finish":         "the second step of signing in",
	"POST /audit/cases/{id}/comments":        "review comments: the auditors' own chain, never the case",
	"POST /audit/cases/{id}/signoff":         "sign-offs: the auditors' own chain, never the case",
	"POST /audit/export":                     "an export of a selection reads; it only adds to the access and audit logs",
	"POST /audit/verify":                     "a verification of every chain reads; it only queues a job that records its own progress and verdict (audit_jobs)",
	"POST /audit/jobs/{jid}/cancel":          "stops one's desk's own verification job; no case data",
	"POST /cases/{id}/persons/search":        "a register search reads: the query travels in the body (no personal data in URLs); it adds only to the access log",
	"POST /api/v1/cases/{id}/persons/search": "the API's register search reads, like the page's",
	"POST /api/v1/cases/{id}/persons/export": "the API's register export reads, like the page's GET: the reason travels in the body; it adds only to the access log",
	// Their own API tokens (issue 17): an account matter, no case data.
	"POST /account/tokens":              "the user's own API token",
	"POST /account/tokens/{tid}/revoke": "the user's own API token",
	"POST /api/v1/me/tokens":            "the user's own API token",
	"DELETE /api/v1/me/tokens/{tid}":    "the user's own API token",
	// The API twins of the two (issue 17).
	"POST /api/v1/audit/cases/{id}/comments": "review comments: the auditors' own chain, never the case",
	"POST /api/v1/audit/cases/{id}/signoff":  "sign-offs: the auditors' own chain, never the case",
}

// apiWriteBody is a well-formed body for each API write of api.md, so that a refusal comes from
// the auditor rule and not from the body; any other route gets an empty object.
func apiWriteBody(route string) string {
	switch {
	case route == "/api/v1/cases":
		return `{"title":"監査人の案件","facts":{"recognized_at":"2026-04-30T22:40"}}`
	case strings.HasSuffix(route, "/requests"):
		return `{"stage":"discovery","kind":"complete","note":"監査人による操作"}`
	case strings.HasSuffix(route, "/checklist"):
		return `{"item":"discovery.report_to_soumu","checked":true}`
	case strings.HasSuffix(route, "/approve"), strings.HasSuffix(route, "/send-back"):
		return `{"note":"監査人による操作"}`
	case strings.HasPrefix(route, "/api/v1/cases/{id}") && !strings.Contains(strings.TrimPrefix(route, "/api/v1/cases/{id}"), "/"):
		return `{"facts":{"initial_description":"監査人が書き換えた"}}`
	}
	return `{}`
}

var routeParam = regexp.MustCompile(`\{([a-zA-Z_]+)(:[^}]*)?\}`)

// TestAudit_AuditorIsRefusedOnEveryWriteRoute enumerates every route of the router and sends each
// non-GET route an auditor-only user's request with a valid session and CSRF token (pages) or a
// valid bearer token (API), against a real case and request. Every one must refuse (401, 403, or 404
// for a sub-record that does not exist) except the few listed above, and the case must not change.
// A new write route that lets auditors through fails this test.
func TestAudit_AuditorIsRefusedOnEveryWriteRoute(t *testing.T) {
	f := newAuditFixture(t)
	h := f.h
	before := f.version(t)
	cl := h.client().loginAs("auditor")
	token := h.token("auditor")
	csrf := cl.csrf("/audit")
	routes, ok := h.srv.Router().(chi.Routes)
	if !ok {
		t.Fatal("router is not a chi.Routes")
	}
	checked := 0
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		switch method {
		case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodConnect:
			return nil
		}
		if strings.HasPrefix(route, "/static/") {
			return nil // files only
		}
		route = strings.TrimSuffix(route, "/*")
		if route != "/" {
			route = strings.TrimSuffix(route, "/")
		}
		key := method + " " + route
		if _, ok := auditorMayPost[key]; ok {
			return nil
		}
		path := routeParam.ReplaceAllStringFunc(route, func(p string) string {
			switch routeParam.FindStringSubmatch(p)[1] {
			case "id":
				return strconv.FormatInt(f.c.ID, 10)
			case "rid", "requestID", "request_id":
				return strconv.FormatInt(f.reqID, 10)
			}
			return "1"
		})
		var status int
		if strings.HasSuffix(route, "/api/v1/cases/{id}/evidence") {
			// A well-formed upload, so that only the auditor rule can refuse it.
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			_ = mw.WriteField("stage", "discovery")
			fw, _ := mw.CreateFormFile("file", "memo.pdf")
			_, _ = fw.Write([]byte("%PDF-1.4\n%%EOF\n"))
			_ = mw.Close()
			status = h.apiRaw(method, path, token, mw.FormDataContentType(), body.Bytes(), "If-Match", strconv.FormatInt(before, 10)).Status
		} else if strings.HasPrefix(route, "/api/") {
			r := h.api(method, path, token, apiWriteBody(route), "If-Match", strconv.FormatInt(before, 10))
			status = r.Status
		} else {
			// A form that would change something if the user were allowed: a real fact, a real
			// checklist item, a real user, so that only the auditor rule can refuse it.
			form := url.Values{"_csrf": {csrf}, "note": {"監査人による操作"}, "version": {strconv.FormatInt(before, 10)},
				"stage": {"discovery"}, "kind": {"complete"}, "initial_description": {"監査人が書き換えた"},
				"item": {"discovery.report_to_soumu"}, "checked": {"true"}, "user_id": {strconv.FormatInt(f.actors["staff"].UserID, 10)},
				"involved": {"true"}, "reason": {"監査人による操作"}, "title": {"監査人の案件"}}
			req, _ := http.NewRequest(method, h.ts.URL+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", h.ts.URL)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			req.Header.Set("X-CSRF-Token", csrf)
			status = cl.do(req).Status
		}
		checked++
		switch status {
		case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		default:
			t.Errorf("%s (as %s): an auditor-only user got %d; auditors change nothing but review comments and sign-offs", key, path, status)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 5 {
		t.Fatalf("only %d write routes found: the walk is broken", checked)
	}
	if got := f.version(t); got != before {
		t.Fatalf("the case changed from version %d to %d during the auditor's requests", before, got)
	}
	// The session was valid all along (a refusal by CSRF or login would prove nothing).
	if r := cl.get("/audit"); r.Status != http.StatusOK {
		t.Fatalf("auditor session lost: %d", r.Status)
	}
	t.Logf("%d write routes refuse an auditor-only user", checked)
}

func TestAudit_WhoMayOpenTheDesk(t *testing.T) {
	f := newAuditFixture(t)
	for who, want := range map[string]int{"auditor": 200, "manager": 200, "privacy": 200, "staff": 403, "admin": 403, "hr": 403, "ceo": 403} {
		cl := f.h.client().loginAs(who)
		for _, path := range []string{"/audit", "/audit/cases/" + strconv.FormatInt(f.c.ID, 10), "/audit/verify", "/audit/access", "/audit/review"} {
			if r := cl.get(path); r.Status != want {
				t.Errorf("%s GET %s: %d, want %d", who, path, r.Status, want)
			}
		}
	}
	// Only auditors comment, even among the desk's readers.
	cl := f.h.client().loginAs("manager")
	r := cl.postForm("/audit", "/audit/cases/"+strconv.FormatInt(f.c.ID, 10)+"/comments", url.Values{"body": {"x"}})
	if r.Status != http.StatusForbidden {
		t.Fatalf("manager commenting: %d", r.Status)
	}
	// The API verdict is for auditors only, in exactly the documented shape.
	if r := f.h.api("GET", "/api/v1/audit/verify", f.h.token("manager"), ""); r.Status != http.StatusForbidden {
		t.Fatalf("manager on the verify API: %d", r.Status)
	}
	r = f.h.api("GET", "/api/v1/audit/verify", f.h.token("auditor"), "")
	if r.Status != http.StatusOK {
		t.Fatalf("verify API: %d %s", r.Status, r.Body)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got["ok"] != true || got["first_bad"] != nil || got["checked"].(float64) != float64(f.c.Version) {
		t.Fatalf("verify API body: %s", r.Body)
	}
}

func TestAudit_SearchReplayDiffCommentExport(t *testing.T) {
	f := newAuditFixture(t)
	cl := f.h.client().loginAs("auditor")
	id := strconv.FormatInt(f.c.ID, 10)

	r := cl.get("/audit?q=" + url.QueryEscape("誤送"))
	if r.Status != 200 || !strings.Contains(r.Body, `data-testid="audit-row-`+f.c.Number+`"`) {
		t.Fatalf("search 誤送: %d\n%s", r.Status, r.Body)
	}
	if r := cl.get("/audit?q=" + url.QueryEscape("無関係")); !strings.Contains(r.Body, `data-testid="audit-empty"`) {
		t.Fatal("a search for an absent word found something")
	}

	// As of event 1 the case had only been opened: no checklist tick, no pending request.
	r = cl.get("/audit/cases/" + id + "?at=1")
	if r.Status != 200 || !strings.Contains(r.Body, `data-testid="asof-label"`) || !strings.Contains(r.Body, `data-testid="asof-no-pending"`) {
		t.Fatalf("as of 1: %d\n%s", r.Status, r.Body)
	}
	r = cl.get("/audit/cases/" + id)
	if !strings.Contains(r.Body, `data-testid="asof-pending"`) || !strings.Contains(r.Body, `data-testid="verify-ok"`) {
		t.Fatalf("latest: %s", r.Body)
	}
	if r := cl.get("/audit/cases/" + id + "?at=999"); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("as of 999: %d", r.Status)
	}
	r = cl.get("/audit/cases/" + id + "/diff?from=1&to=" + strconv.FormatInt(f.c.Version, 10))
	if r.Status != 200 || !strings.Contains(r.Body, `data-testid="diff-requests"`) {
		t.Fatalf("diff: %d\n%s", r.Status, r.Body)
	}

	// A comment and a sign-off: the case's version does not move.
	before := f.version(t)
	r = cl.postForm("/audit/cases/"+id, "/audit/cases/"+id+"/comments", url.Values{"body": {"第一報の時刻を確認した"}, "version": {strconv.FormatInt(before, 10)}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("comment: %d %s", r.Status, r.Body)
	}
	r = cl.postForm("/audit/cases/"+id, "/audit/cases/"+id+"/signoff", url.Values{"body": {"問題なし"}, "scope": {"発見段階"}, "reviewed_on": {"bad"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "field-error") {
		t.Fatalf("sign-off with a bad date: %d", r.Status)
	}
	r = cl.postForm("/audit/cases/"+id, "/audit/cases/"+id+"/signoff", url.Values{"body": {"問題なし"}, "scope": {"発見段階"}, "reviewed_on": {"2026-11-20"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("sign-off: %d", r.Status)
	}
	if r := cl.get("/audit/cases/" + id); !strings.Contains(r.Body, "第一報の時刻を確認した") || !strings.Contains(r.Body, "comments-verify-ok") {
		t.Fatal("the comment is not shown")
	}
	if got := f.version(t); got != before {
		t.Fatalf("comments changed the case version %d → %d", before, got)
	}

	// Export: a ZIP that verifies offline; the export is logged and is not a case change.
	r = cl.get("/audit/cases/" + id + "/export")
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("export: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	res, err := archive.Verify(bytes.NewReader([]byte(r.Body)), int64(len(r.Body)))
	if err != nil {
		t.Fatalf("the exported archive does not verify: %v", err)
	}
	if res.Events != int(before) || res.Comments != 2 || len(res.Manifest.Cases) != 1 || !res.Manifest.Verified {
		t.Fatalf("export result: %+v", res)
	}
	zr, _ := zip.NewReader(bytes.NewReader([]byte(r.Body)), int64(len(r.Body)))
	var hasReport bool
	for _, zf := range zr.File {
		hasReport = hasReport || strings.HasSuffix(zf.Name, "/report.pdf") || strings.HasSuffix(zf.Name, "/report.html")
	}
	if !hasReport {
		t.Fatal("no report in the archive")
	}
	if got := f.version(t); got != before {
		t.Fatal("the export changed the case version")
	}
	rows, err := f.h.db.Store.AccessLog(context.Background(), store.AccessFilter{UserID: f.actors["auditor"].UserID, CaseID: f.c.ID})
	if err != nil {
		t.Fatal(err)
	}
	var exported bool
	for _, a := range rows {
		exported = exported || a.Page == "export"
	}
	if !exported {
		t.Fatalf("the export is not in the access log: %+v", rows)
	}
	if r := cl.get("/audit/access?case=" + id); !strings.Contains(r.Body, "export") {
		t.Fatal("the access review does not show the export")
	}

	// A selection export through the form reads too.
	r = cl.postForm("/audit", "/audit/export", url.Values{"ids": {id}})
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("selection export: %d", r.Status)
	}
	if r := cl.postForm("/audit", "/audit/export", url.Values{}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("empty selection: %d", r.Status)
	}
	if got := f.version(t); got != before {
		t.Fatal("the selection export changed the case version")
	}

	// The review page draws SVG without inline styles and offers a CSV.
	r = cl.get("/audit/review?from=2026-04-01&to=2026-11-30")
	if r.Status != 200 || !strings.Contains(r.Body, "<svg") || strings.Contains(r.Body, "style=") {
		t.Fatalf("review: %d", r.Status)
	}
	r = cl.get("/audit/review.csv?from=2026-04-01&to=2026-11-30")
	if r.Status != 200 || !strings.HasPrefix(r.Body, "\ufeffsection,") || !strings.Contains(r.Body, "route,email_missend") {
		t.Fatalf("review CSV: %d\n%s", r.Status, r.Body)
	}
	// The global verification runs as a background job (TestAuditJobs_*); its verdict then shows on
	// the verify page.
	startJobs(t, f.h)
	if r := waitJob(t, cl, startVerify(t, cl), "done"); !strings.Contains(r.Body, `data-testid="verify-ok"`) {
		t.Fatal("global verify job")
	}
	if r := cl.get("/audit/verify"); !strings.Contains(r.Body, `data-testid="verify-ok"`) {
		t.Fatal("global verify page")
	}
}
