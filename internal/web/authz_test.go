package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/auditjob"
	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/documents"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/store"
)

// The authorisation matrix: every route of the router × every kind of user, with the expected
// status of each cell in one table (authzTable). A route added to the router without a row here
// fails TestAuthz_Matrix, and so does a row whose route no longer exists.
//
// Columns. "staff" opened the case (its owner); "other" is a second general-affairs user who
// opened another case and is neither owner nor involved in this one (the per-case rule is
// involvement, domain.md §5.2, not ownership: they get what "staff" gets); "involved" holds the
// widest handling role (manager) but is marked involved in the case, so every per-case refusal
// shows in that column while the same role's case-independent routes stay open.
const (
	colAnon = iota
	colStaff
	colOther
	colInvolved
	colManager
	colPrivacy
	colExec
	colHR
	colAuditor
	colAdmin
	colReporter
	nCols
)

var authzColumns = [nCols]string{"anon", "staff", "other", "involved", "manager", "privacy", "exec", "hr", "auditor", "admin", "reporter"}

// authzRoles are the roles of each column's user (anon has none).
var authzRoles = [nCols][]auth.Role{
	colStaff: {auth.RoleStaff}, colOther: {auth.RoleStaff}, colInvolved: {auth.RoleManager}, colManager: {auth.RoleManager},
	colPrivacy: {auth.RolePrivacyOfficer}, colExec: {auth.RoleExecutive}, colHR: {auth.RoleHR}, colAuditor: {auth.RoleAuditor}, colAdmin: {auth.RoleAdmin},
	colReporter: {auth.RoleReporter},
}

// fixture variants a row's cells run against.
type fixKind int

const (
	fixPending fixKind = iota // a case with discovery facts, a pending "complete discovery" request and one person
	fixPlain                  // the same without the pending request (a new request is allowed)
	fixDone                   // discovery completed (approved), so it can be reopened
	fixRecord                 // fixDone plus a monitoring record and an evidence file in containment
)

// authzRow is one route's row. want holds every column's status. Allowed writes send a body that
// succeeds (form or json), so an "allowed" cell proves the write really happens (303/200/201 and,
// for case writes, a new case version); refused cells must leave the case unchanged.
type authzRow struct {
	want     [nCols]int
	fix      fixKind
	query    string                      // added to the path
	form     func(e *cellEnv) url.Values // page body (CSRF token added)
	json     func(e *cellEnv) string     // API body
	upload   bool                        // multipart CSV upload
	evidence bool                        // multipart evidence upload (a small PDF) with the case version
	notes    string                      // why a cell is what it is, where not obvious
}

const (
	s200 = http.StatusOK
	s201 = http.StatusCreated
	s303 = http.StatusSeeOther
	s401 = http.StatusUnauthorized
	s403 = http.StatusForbidden
	s404 = http.StatusNotFound
)

func all(code int) [nCols]int {
	var w [nCols]int
	for i := range w {
		w[i] = code
	}
	return w
}

// row builds want from (anon, staff, other, involved, manager, privacy, exec, hr, auditor, admin[,
// reporter]). Without the reporter's cell it follows from the others: a reporter (every employee)
// holds no case role and administers nothing, so they get what both staff and admin get where
// those agree (sign-in, account, liveness) and 403 everywhere else.
func row(c ...int) [nCols]int {
	if len(c) != nCols && len(c) != nCols-1 {
		panic(fmt.Sprintf("authz row with %d cells, want %d", len(c), nCols))
	}
	var w [nCols]int
	copy(w[:], c)
	if len(c) == nCols-1 {
		w[colReporter] = s403
		if w[colStaff] == w[colAdmin] {
			w[colReporter] = w[colAdmin]
		}
	}
	return w
}

// Frequently used rows.
var (
	// every case reader, not the involved user, not admin.
	wCaseRead = row(s303, s200, s200, s403, s200, s200, s200, s200, s200, s403)
	// every case reader including the involved user (lists that do not open the case).
	wReaderList = row(s303, s200, s200, s200, s200, s200, s200, s200, s200, s403)
	// the auditor's desk: auditor, manager, privacy officer (involved manager for desk-wide pages).
	wDesk     = row(s303, s403, s403, s200, s200, s200, s403, s403, s200, s403)
	wDeskCase = row(s303, s403, s403, s403, s200, s200, s403, s403, s200, s403)
	// general-affairs handlers writing discovery (staff and managers; not involved, not auditor).
	wHandle = row(s303, s303, s303, s403, s303, s403, s403, s403, s403, s403)
	// register writers (staff, manager, privacy officer).
	wRegWrite = row(s303, s303, s303, s403, s303, s303, s403, s403, s403, s403)
	wRegPage  = row(s303, s200, s200, s403, s200, s200, s403, s403, s403, s403)
	// editing one person shows their data: a register writer who needs to know (the case's handler,
	// the privacy officer); "other" staff and a manager not on the case are refused.
	wRegEdit    = row(s303, s200, s403, s403, s403, s200, s403, s403, s403, s403)
	wRegEdit303 = row(s303, s303, s403, s403, s403, s303, s403, s403, s403, s403)
	// administrators only.
	wAdminPage = row(s303, s403, s403, s403, s403, s403, s403, s403, s403, s200)
	wAdminPost = row(s303, s403, s403, s403, s403, s403, s403, s403, s403, s303)
	// the manager alone decides a "complete discovery" request (G1).
	wApprove = row(s303, s403, s403, s403, s303, s403, s403, s403, s403, s403)
	// API: a case reader's read.
	aCaseRead = row(s401, s200, s200, s403, s200, s200, s200, s200, s200, s403)
	// API: the auditor alone.
	aAuditor = row(s401, s403, s403, s403, s403, s403, s403, s403, s200, s403)
	// signed-in users only (anon goes to the login page).
	wSignedIn = row(s303, s200, s200, s200, s200, s200, s200, s200, s200, s200)
)

func factsForm(e *cellEnv) url.Values {
	return url.Values{"version": {e.version()}, "stage": {"discovery"}, "initial_description": {"誤送信の宛先を確認した（" + e.col + "）"}}
}

// authzTable is THE table. Keys are "METHOD pattern" as chi.Walk reports them (trailing "/" and
// "/*" trimmed).
var authzTable = map[string]authzRow{
	// Operations: public by design (liveness, readiness, metrics for the scraper, static files, the API description).
	"GET /healthz":          {want: all(s200)},
	"GET /readyz":           {want: all(s200)},
	"GET /metrics":          {want: all(s200), notes: "scraped without a session; it carries route patterns and counts, never personal data"},
	"GET /static":           {want: all(s200), query: "app.css"},
	"GET /api/openapi.json": {want: all(s200)},

	// JSON API (bearer token; anon sends none).
	"GET /api/v1/me":                 {want: row(s401, s200, s200, s200, s200, s200, s200, s200, s200, s200)},
	"GET /api/v1/cases/{id}/persons": {want: aCaseRead, notes: "exec and hr get the masked list"},
	"POST /api/v1/cases/{id}/persons/search": {want: aCaseRead, json: func(e *cellEnv) string { return `{"q":"taro@example.jp"}` },
		notes: "a read: the search's query in the body, never the URL"},
	"POST /api/v1/cases/{id}/persons/export": {want: row(s401, s200, s403, s403, s403, s200, s403, s403, s200, s403),
		json:  func(e *cellEnv) string { return `{"kind":"list","enc":"utf8bom","reason":"権限確認"}` },
		notes: "the page's export: decrypted data for a decrypting role with need-to-know; the reason in the body"},
	"POST /api/v1/cases": {want: row(s401, s201, s201, s201, s201, s403, s403, s403, s403, s403),
		json: func(e *cellEnv) string {
			return `{"title":"API で登録した案件（` + e.col + `）","facts":{"recognized_at":"2026-04-30T22:40"}}`
		}, notes: "opening a case is for staff and managers; the involved manager may open other cases"},
	"GET /api/v1/cases":      {want: row(s401, s200, s200, s200, s200, s200, s200, s200, s200, s403)},
	"GET /api/v1/cases/{id}": {want: aCaseRead},
	"PATCH /api/v1/cases/{id}": {want: row(s401, s200, s200, s403, s200, s403, s403, s403, s403, s403),
		json: func(e *cellEnv) string { return `{"facts":{"initial_description":"API で更新（` + e.col + `）"}}` }},
	"POST /api/v1/cases/{id}/requests": {want: row(s401, s201, s201, s403, s201, s403, s403, s403, s403, s403), fix: fixPlain,
		json: func(e *cellEnv) string { return `{"stage":"discovery","kind":"complete","note":"第一報完了"}` }},
	"GET /api/v1/cases/{id}/events":     {want: aCaseRead},
	"GET /api/v1/cases/{id}/assessment": {want: aCaseRead},
	"POST /api/v1/requests/{rid}/approve": {want: row(s401, s403, s403, s403, s200, s403, s403, s403, s403, s403),
		json:  func(e *cellEnv) string { return `{"note":"承認します"}` },
		notes: "staff is the requester; admin reaches the domain, which refuses a user without the slot's role"},
	"POST /api/v1/requests/{rid}/send-back": {want: row(s401, s403, s403, s403, s200, s403, s403, s403, s403, s403),
		json: func(e *cellEnv) string { return `{"note":"記載を補ってください"}` }},
	"GET /api/v1/audit/verify": {want: aAuditor},

	// Pages without login.
	"GET /login": {want: row(s200, s303, s303, s303, s303, s303, s303, s303, s303, s303), notes: "a signed-in user is sent home"},
	"POST /login": {want: row(s401, s303, s303, s303, s303, s303, s303, s303, s303, s303),
		form:  func(e *cellEnv) url.Values { return url.Values{"email": {e.email}, "password": {e.password}} },
		notes: "each user signs in with their own credentials; anon has none"},
	"GET /login/oidc":          {want: all(s404), notes: "single sign-on is not configured in this harness; login_oidc_test.go runs it against a real provider"},
	"GET /login/oidc/callback": {want: all(s404), notes: "as above"},
	"POST /lang":               {want: all(s303), form: func(e *cellEnv) url.Values { return url.Values{"lang": {"ja"}, "back": {"/account"}} }},

	// Signed in.
	"GET /":                   {want: all(s303), notes: "home redirects every role to its start page"},
	"POST /logout":            {want: all(s303), form: func(e *cellEnv) url.Values { return url.Values{} }},
	"GET /account":            {want: wSignedIn},
	"GET /account/mfa":        {want: wSignedIn},
	"GET /account/mfa/qr.png": {want: wSignedIn, notes: "the QR code of the secret this session is enrolling"},
	"POST /account/mfa": {want: row(s303, 422, 422, 422, 422, 422, 422, 422, 422, 422), form: func(e *cellEnv) url.Values { return url.Values{"code": {"000000"}} },
		notes: "each user's own enrolment; a wrong code is refused with the page again (nothing stored)"},
	"POST /account/mfa/remove": {want: all(s303), form: func(e *cellEnv) url.Values { return url.Values{"code": {"000000"}} },
		notes: "own second factor only; nobody here has one, so allowed cells go back to the page"},
	"POST /account/passkeys/begin": {want: row(s303, s404, s404, s404, s404, s404, s404, s404, s404, s404), form: func(e *cellEnv) url.Values { return url.Values{} },
		notes: "the harness serves on 127.0.0.1, which cannot be a WebAuthn RP ID, so passkeys are off (404 JSON); passkeys_browser_test.go runs them on localhost"},
	"POST /account/passkeys/finish": {want: row(s303, 400, 400, 400, 400, 400, 400, 400, 400, 400), form: func(e *cellEnv) url.Values { return url.Values{} },
		notes: "no registration begun: 400 for each signed-in user"},
	"POST /login/mfa/passkey/begin":  {want: all(s401), form: func(e *cellEnv) url.Values { return url.Values{} }, notes: "no pending password login"},
	"POST /login/mfa/passkey/finish": {want: all(s401), form: func(e *cellEnv) url.Values { return url.Values{} }, notes: "no pending password login"},
	"GET /scim/v2/Users":             {want: all(s404), notes: "SCIM is off without LEAKDESK_SCIM_TOKEN; scim_test.go runs it with its bearer token, which no user holds"},
	"GET /scim/v2/Users/{id}":        {want: all(s404)},
	"POST /scim/v2/Users":            {want: all(s404), form: func(e *cellEnv) url.Values { return url.Values{} }},
	"PATCH /scim/v2/Users/{id}":      {want: all(s404), form: func(e *cellEnv) url.Values { return url.Values{} }},
	"DELETE /scim/v2/Users/{id}":     {want: all(s404), form: func(e *cellEnv) url.Values { return url.Values{} }},
	"GET /account/sessions":          {want: wSignedIn},
	"GET /account/password":          {want: wSignedIn},
	"POST /account/password": {want: row(s303, 422, 422, 422, 422, 422, 422, 422, 422, 422), form: func(e *cellEnv) url.Values {
		return url.Values{"current": {"not the password"}, "new": {"a new password here"}, "confirm": {"a new password here"}}
	}, notes: "one's own password only; a wrong current password is refused (422) and recorded like a failed login, without changing the column's password"},
	"POST /account/sessions/{id}/end": {want: row(s303, s404, s404, s404, s404, s404, s404, s404, s404, s404), form: func(e *cellEnv) url.Values { return url.Values{} },
		notes: "one's own sessions only: the id here (a case id) is no session of the cell's user, so 404, and nothing ends"},
	"GET /login/mfa": {want: all(s303), notes: "without a pending password login anon goes back to /login; signed-in users go home"},
	"POST /login/mfa": {want: all(s303), form: func(e *cellEnv) url.Values { return url.Values{"code": {"000000"}} },
		notes: "no pending second step: back to the login page"},
	"GET /cases":     {want: wReaderList},
	"GET /approvals": {want: wReaderList},
	"GET /dashboard": {want: wReaderList},

	// The affected-person register.
	"GET /cases/{id}/persons": {want: wCaseRead},
	"POST /cases/{id}/persons/search": {want: row(s303, s303, s303, s403, s303, s303, s303, s303, s303, s403), form: func(e *cellEnv) url.Values {
		return url.Values{"q": {"taro@example.jp"}}
	}, notes: "a read: the query travels in the body and comes back as a search token"},
	"GET /cases/{id}/persons/export": {want: row(s303, s200, s403, s403, s403, s200, s403, s403, s200, s403),
		query: "?kind=list&enc=utf8bom&reason=" + url.QueryEscape("権限確認"), notes: "decrypted data: a decrypting role and need-to-know (the case's handler, the privacy officer, auditors; other staff and managers need a grant)"},
	"POST /cases/{id}/persons/grants": {want: row(s303, s403, s403, s403, s403, s303, s403, s403, s403, s403), form: func(e *cellEnv) url.Values {
		return url.Values{"user_id": {e.itoa(e.otherID)}, "reason": {"権限確認のため"}, "hours": {"2"}}
	}, notes: "need-to-know grants: the privacy officer alone"},
	"POST /cases/{id}/persons": {want: wRegWrite, form: func(e *cellEnv) url.Values {
		return url.Values{"name": {"山田 花子"}, "kana": {"ヤマダ ハナコ"}, "email": {"hanako+" + e.col + "@example.jp"}, "notice_status": {"unnotified"}}
	}},
	"GET /cases/{id}/persons/import":  {want: wRegPage},
	"POST /cases/{id}/persons/import": {want: row(s303, s200, s200, s403, s200, s200, s403, s403, s403, s403), upload: true},
	"POST /cases/{id}/persons/import/commit": {want: wRegWrite, form: func(e *cellEnv) url.Values {
		return url.Values{"upload": {e.uploadToken()}}
	}, notes: "the staged upload belongs to the cell's own user"},
	"POST /cases/{id}/persons/bulk-notice": {want: wRegWrite, form: func(e *cellEnv) url.Values {
		return url.Values{"status": {"notified"}, "method": {"post"}, "date": {"2026-05-10"}, "ids": {e.itoa(e.personID)}}
	}},
	"GET /cases/{id}/persons/{pid}": {want: wRegEdit, notes: "the edit form shows decrypted data: need-to-know"},
	"POST /cases/{id}/persons/{pid}": {want: wRegEdit303, form: func(e *cellEnv) url.Values {
		return url.Values{"version": {e.itoa(e.personVersion)}, "name": {"佐藤 一郎"}, "email": {"ichiro@example.jp"}, "notice_status": {"notified"}}
	}},

	// The case engine.
	"GET /cases/new": {want: row(s303, s200, s200, s200, s200, s403, s403, s403, s403, s403)},
	"POST /cases": {want: row(s303, s303, s303, s303, s303, s403, s403, s403, s403, s403), form: func(e *cellEnv) url.Values {
		return url.Values{"title": {"画面で登録した案件（" + e.col + "）"}, "recognized_at": {"2026-04-30T22:40"}}
	}},
	"GET /cases/{id}":        {want: wCaseRead},
	"POST /cases/{id}/facts": {want: wHandle, form: factsForm},
	"POST /cases/{id}/checklist": {want: wHandle, form: func(e *cellEnv) url.Values {
		return url.Values{"version": {e.version()}, "item": {"discovery.report_to_soumu"}, "checked": {"true"}}
	}},
	"POST /cases/{id}/requests": {want: wHandle, fix: fixPlain, form: func(e *cellEnv) url.Values {
		return url.Values{"version": {e.version()}, "stage": {"discovery"}, "kind": {"complete"}, "note": {"第一報完了"}}
	}},
	"POST /cases/{id}/owner": {want: wHandle, form: func(e *cellEnv) url.Values {
		return url.Values{"version": {e.version()}, "user_id": {e.itoa(e.otherID)}}
	}},
	"POST /cases/{id}/involved": {want: row(s303, s403, s403, s403, s303, s303, s403, s303, s403, s403), form: func(e *cellEnv) url.Values {
		return url.Values{"version": {e.version()}, "user_id": {e.itoa(e.victimID)}, "involved": {"true"}, "reason": {"送信者本人"}}
	}, notes: "managers, the privacy officer and HR mark involvement"},
	"POST /cases/{id}/reopen": {want: row(s303, s403, s403, s403, s303, s303, s403, s403, s403, s403), fix: fixDone, form: func(e *cellEnv) url.Values {
		return url.Values{"version": {e.version()}, "stage": {"discovery"}, "reason": {"事実の追加"}}
	}},
	"POST /requests/{rid}/approve": {want: wApprove, form: func(e *cellEnv) url.Values {
		return url.Values{"version": {e.version()}, "note": {"承認します"}}
	}},
	"POST /requests/{rid}/send-back": {want: wApprove, form: func(e *cellEnv) url.Values {
		return url.Values{"version": {e.version()}, "note": {"記載を補ってください"}}
	}},

	// Stage records and evidence files (containment is open: discovery was approved).
	"GET /api/v1/cases/{id}/records": {want: aCaseRead, notes: "discipline records are left out for readers who may not see them"},
	"POST /api/v1/cases/{id}/records": {want: row(s401, s201, s201, s403, s201, s403, s403, s403, s403, s403), fix: fixRecord,
		json: func(e *cellEnv) string {
			return `{"kind":"monitoring_entry","values":{"date":"2026-05-03","searched_where":"web","result":"nothing_found","query":"` + e.col + `"}}`
		}},
	"PATCH /api/v1/cases/{id}/records/{rid}": {want: row(s401, s200, s200, s403, s200, s403, s403, s403, s403, s403), fix: fixRecord,
		json: func(e *cellEnv) string { return `{"values":{"query":"更新（` + e.col + `）"}}` }},
	"POST /cases/{id}/records": {want: wHandle, fix: fixRecord, form: func(e *cellEnv) url.Values {
		return url.Values{"version": {e.version()}, "kind": {"monitoring_entry"}, "monitoring_entry.date": {"2026-05-03"}, "monitoring_entry.searched_where": {"web"},
			"monitoring_entry.result": {"nothing_found"}, "monitoring_entry.query": {e.col}}
	}},
	"GET /cases/{id}/records/{rid}": {want: wCaseRead},
	"POST /cases/{id}/records/{rid}": {want: wHandle, fix: fixRecord, form: func(e *cellEnv) url.Values {
		return url.Values{"version": {e.version()}, "record_version": {e.itoa(e.recordVersion)}, "monitoring_entry.date": {"2026-05-02"},
			"monitoring_entry.searched_where": {"web"}, "monitoring_entry.result": {"nothing_found"}, "monitoring_entry.query": {"更新（" + e.col + "）"}}
	}},
	"POST /cases/{id}/records/{rid}/withdraw": {want: wHandle, fix: fixRecord, form: func(e *cellEnv) url.Values {
		return url.Values{"version": {e.version()}, "reason": {"重複して登録した"}}
	}},
	"POST /cases/{id}/evidence":      {want: wHandle, fix: fixRecord, evidence: true},
	"GET /cases/{id}/evidence/{eid}": {want: wCaseRead, notes: "every download is written to the access log (custody log)"},

	// Documents.
	"GET /cases/{id}/documents":        {want: row(s303, s303, s303, s403, s303, s303, s303, s303, s303, s403), notes: "redirects to the first document"},
	"GET /cases/{id}/documents/{kind}": {want: wCaseRead},
	"POST /cases/{id}/documents/{kind}": {want: wRegWrite, form: func(e *cellEnv) url.Values {
		return url.Values{"edit_item4_text": {"概要（" + e.col + "）"}}
	}, notes: "drafts: staff, managers, privacy officer"},
	"POST /cases/{id}/documents/{kind}/finalise": {want: wRegWrite, form: func(e *cellEnv) url.Values {
		e.draft()
		return url.Values{"version": {e.version()}, "doc_version": {"0"}}
	}, notes: "asking for finalisation (an approval request): staff, managers, privacy officer; approved by the document's policy row (issue 14)"},
	"GET /cases/{id}/documents/{kind}/pdf": {want: row(s303, s404, s404, s403, s404, s404, s404, s404, s404, s403), query: "?version=999",
		notes: "404 = authorised, then no final version 999: the printer is not started 7 times (printing is covered by TestDocuments_RenderEditFinalisePDF)"},

	// The auditor's desk.
	"GET /audit":        {want: wDesk},
	"GET /audit/verify": {want: wDesk, notes: "the newest verdict of a background verification; starting, watching, cancelling and downloading one are the auditor's"},
	"POST /audit/verify": {want: row(s303, s403, s403, s403, s403, s403, s403, s403, s303, s403), form: func(*cellEnv) url.Values { return url.Values{} },
		notes: "queues a verification of every case (a background job; not worked in this test)"},
	"GET /audit/jobs/{jid}": {want: row(s303, s403, s403, s403, s403, s403, s403, s403, s200, s403)},
	"POST /audit/jobs/{jid}/cancel": {want: row(s303, s403, s403, s403, s403, s403, s403, s403, s303, s403), form: func(*cellEnv) url.Values { return url.Values{} },
		notes: "the job here has finished: the cancel changes nothing and says so"},
	"GET /audit/jobs/{jid}/result": {want: row(s303, s403, s403, s403, s403, s403, s403, s403, s200, s403)},
	"GET /audit/access":            {want: wDesk},
	"GET /audit/admin-events":      {want: wDesk, notes: "admin_events: what administrators did to accounts (issue 21)"},
	"GET /audit/review":            {want: wDesk},
	"GET /audit/review.csv":        {want: wDesk},
	"GET /audit/cases/{id}":        {want: wDeskCase},
	"GET /audit/cases/{id}/diff":   {want: wDeskCase},
	"GET /audit/cases/{id}/export": {want: wDeskCase},
	"POST /audit/export": {want: row(s303, s403, s403, s403, s404, s404, s403, s403, s404, s403),
		form:  func(e *cellEnv) url.Values { return url.Values{"ids": {e.itoa(e.caseID) + ",999999999"}} },
		notes: "a read posted as a form. The real case is checked first (the involved manager is refused it); 404 = authorised for it, then the second id does not exist, so no archive is built (GET .../export builds one)"},
	"POST /audit/cases/{id}/comments": {want: row(s303, s403, s403, s403, s403, s403, s403, s403, s303, s403), form: func(e *cellEnv) url.Values { return url.Values{"body": {"確認しました"}} }},
	"POST /audit/cases/{id}/signoff": {want: row(s303, s403, s403, s403, s403, s403, s403, s403, s303, s403), form: func(e *cellEnv) url.Values {
		return url.Values{"body": {"監査済み"}, "scope": {"第一報まで"}, "reviewed_on": {"2026-05-20"}}
	}},

	// First reports (第一報). A reporter sees only their own: the fixture case was opened by staff,
	// not from a report, so every filer gets 404 there (the reporter's own report is covered by
	// TestFirstReport_ReporterSeesOnlyOwn); 総務部 reads the case's report page like the case.
	"GET /report": {want: row(s303, s200, s200, s200, s200, s403, s403, s403, s403, s403, s200)},
	"POST /report": {want: row(s303, s303, s303, s303, s303, s403, s403, s403, s403, s403, s303), form: func(e *cellEnv) url.Values {
		return url.Values{"initial_description": {"顧客リストを誤送信した（" + e.col + "）"}, "recognized_at": {"2026-04-30T22:40"}, "reporter_contact": {"内線 1234"}}
	}, notes: "every employee (reporter) and 総務部 (which also enters phone reports)"},
	"GET /report/{id}": {want: row(s303, s404, s404, s404, s404, s403, s403, s403, s403, s403, s404)},
	"POST /report/{id}/answers": {want: row(s303, s404, s404, s404, s404, s403, s403, s403, s403, s403, s404),
		form: func(e *cellEnv) url.Values { return url.Values{"body": {"宛先は取引先A社です"}} }},
	"GET /cases/{id}/report": {want: wCaseRead, notes: "says the case was not opened from a first report"},
	"POST /cases/{id}/report/questions": {want: row(s303, s404, s404, s403, s404, s403, s403, s403, s403, s403, s403),
		form:  func(e *cellEnv) url.Values { return url.Values{"body": {"何件送りましたか"}} },
		notes: "404 = allowed, then the fixture case has no reporter to ask"},
	"POST /api/v1/reports": {want: row(s401, s201, s201, s201, s201, s403, s403, s403, s403, s403, s201),
		json: func(e *cellEnv) string {
			return `{"initial_description":"API で第一報（` + e.col + `）","recognized_at":"2026-04-30T22:40","reporter_contact":"内線 1234"}`
		}},
	"GET /api/v1/reports":      {want: row(s401, s200, s200, s200, s200, s403, s403, s403, s403, s403, s200)},
	"GET /api/v1/reports/{id}": {want: row(s401, s404, s404, s404, s404, s403, s403, s403, s403, s403, s404)},
	"POST /api/v1/reports/{id}/answers": {want: row(s401, s404, s404, s404, s404, s403, s403, s403, s403, s403, s404),
		json: func(e *cellEnv) string { return `{"body":"宛先は取引先A社です"}` }},
	"GET /api/v1/cases/{id}/report": {want: row(s401, s404, s404, s403, s404, s404, s404, s404, s404, s403, s403),
		notes: "404 = allowed, then the fixture case was not opened from a first report"},
	"POST /api/v1/cases/{id}/report/questions": {want: row(s401, s404, s404, s403, s404, s403, s403, s403, s403, s403, s403),
		json: func(e *cellEnv) string { return `{"body":"何件送りましたか"}` }},

	// Self-service API tokens (issue 17): every signed-in user, their own only ({tid} is nobody's).
	"GET /account/tokens":  {want: wSignedIn},
	"POST /account/tokens": {want: row(s303, s201, s201, s201, s201, s201, s201, s201, s201, s201), form: func(e *cellEnv) url.Values { return url.Values{"label": {"SIEM"}} }},
	"POST /account/tokens/{tid}/revoke": {want: row(s303, s404, s404, s404, s404, s404, s404, s404, s404, s404),
		form: func(e *cellEnv) url.Values { return url.Values{} }},
	"GET /api/v1/me/tokens":  {want: row(s401, s200, s200, s200, s200, s200, s200, s200, s200, s200)},
	"POST /api/v1/me/tokens": {want: row(s401, s201, s201, s201, s201, s201, s201, s201, s201, s201), json: func(e *cellEnv) string { return `{"label":"SIEM"}` }},
	"DELETE /api/v1/me/tokens/{tid}": {want: row(s401, s404, s404, s404, s404, s404, s404, s404, s404, s404),
		json: func(e *cellEnv) string { return `{}` }},

	// API twins of the case page's forms (issue 17): the same cells as the page rows.
	"POST /api/v1/cases/{id}/persons/import": {want: row(s401, s200, s200, s403, s200, s200, s403, s403, s403, s403),
		json: func(e *cellEnv) string { return "氏名,メールアドレス\n鈴木 次郎,jiro@example.jp\n" }, notes: "a CSV body: preview and stage"},
	"POST /api/v1/cases/{id}/persons/import/commit": {want: row(s401, s201, s201, s403, s201, s201, s403, s403, s403, s403),
		json: func(e *cellEnv) string { return `{"upload":"` + e.uploadToken() + `"}` }},
	"POST /api/v1/cases/{id}/evidence": {want: row(s401, s201, s201, s403, s201, s403, s403, s403, s403, s403), fix: fixRecord, evidence: true},
	"POST /api/v1/cases/{id}/persons/grants": {want: row(s401, s403, s403, s403, s403, s201, s403, s403, s403, s403), json: func(e *cellEnv) string {
		return `{"user_id":` + e.itoa(e.otherID) + `,"hours":2,"reason":"権限確認のため"}`
	}, notes: "need-to-know grants: the privacy officer alone, as on the page"},
	"POST /api/v1/cases/{id}/persons": {want: row(s401, s201, s201, s403, s201, s201, s403, s403, s403, s403), json: func(e *cellEnv) string {
		return `{"name":"山田 花子","kana":"ヤマダ ハナコ","email":"hanako+` + e.col + `@example.jp","notice_status":"unnotified"}`
	}},
	"POST /api/v1/cases/{id}/persons/bulk-notice": {want: row(s401, s200, s200, s403, s200, s200, s403, s403, s403, s403), json: func(e *cellEnv) string {
		return `{"ids":[` + e.itoa(e.personID) + `],"status":"notified","method":"post","date":"2026-05-10"}`
	}},
	"PATCH /api/v1/cases/{id}/persons/{pid}": {want: row(s401, 204, 204, s403, 204, 204, s403, s403, s403, s403), json: func(e *cellEnv) string {
		return `{"version":` + e.itoa(e.personVersion) + `,"name":"佐藤 一郎","email":"ichiro@example.jp","notice_status":"notified"}`
	}},
	"GET /api/v1/cases/{id}/evidence/{eid}": {want: aCaseRead},
	"GET /api/v1/audit/review.csv":          {want: row(s401, s403, s403, s200, s200, s200, s403, s403, s200, s403), notes: "the desk's review figures (counts only): auditor, manager, privacy officer"},
	"PUT /api/v1/cases/{id}/documents/{kind}": {want: row(s401, s200, s200, s403, s200, s200, s403, s403, s403, s403),
		json: func(e *cellEnv) string { return `{"edits":{"item4_text":"概要（` + e.col + `）"}}` }},
	"POST /api/v1/cases/{id}/documents/{kind}/finalise": {want: row(s401, s200, s200, s403, s200, s200, s403, s403, s403, s403),
		json: func(e *cellEnv) string { e.draft(); return `{"version":0}` }},
	"GET /api/v1/cases/{id}/documents/{kind}/pdf": {want: row(s401, s404, s404, s403, s404, s404, s404, s404, s404, s403), query: "?version=999",
		notes: "as the page row: 404 = authorised, then no final version 999"},
	"POST /api/v1/cases/{id}/checklist": {want: row(s401, s200, s200, s403, s200, s403, s403, s403, s403, s403),
		json: func(e *cellEnv) string { return `{"item":"discovery.report_to_soumu","checked":true}` }},
	"PUT /api/v1/cases/{id}/owner": {want: row(s401, s200, s200, s403, s200, s403, s403, s403, s403, s403),
		json: func(e *cellEnv) string { return `{"user_id":` + e.itoa(e.otherID) + `}` }},
	"POST /api/v1/cases/{id}/involved": {want: row(s401, s403, s403, s403, s200, s200, s403, s200, s403, s403),
		json: func(e *cellEnv) string {
			return `{"user_id":` + e.itoa(e.victimID) + `,"involved":true,"reason":"送信者本人"}`
		}},
	"POST /api/v1/cases/{id}/reopen": {want: row(s401, s403, s403, s403, s200, s200, s403, s403, s403, s403), fix: fixDone,
		json: func(e *cellEnv) string { return `{"stage":"discovery","reason":"事実の追加"}` }},
	"GET /api/v1/audit/cases/{id}/export": {want: row(s401, s403, s403, s403, s200, s200, s403, s403, s200, s403)},
	"POST /api/v1/audit/cases/{id}/comments": {want: row(s401, s403, s403, s403, s403, s403, s403, s403, s201, s403),
		json: func(e *cellEnv) string { return `{"body":"確認しました"}` }},
	"POST /api/v1/audit/cases/{id}/signoff": {want: row(s401, s403, s403, s403, s403, s403, s403, s403, s201, s403),
		json: func(e *cellEnv) string {
			return `{"body":"監査済み","scope":"第一報まで","reviewed_on":"2026-05-20"}`
		}},

	// Administration.
	"GET /admin/jobs":     {want: wAdminPage},
	"GET /admin/users":    {want: wAdminPage},
	"GET /admin/logins":   {want: wAdminPage},
	"GET /admin/security": {want: wAdminPage},
	"POST /admin/security": {want: wAdminPost, form: func(e *cellEnv) url.Values {
		return url.Values{"password_login": {"true"}, "break_glass": {"0"}}
	}},
	"GET /admin/delegations": {want: wAdminPage},
	"POST /admin/delegations": {want: wAdminPost, form: func(e *cellEnv) url.Values {
		return url.Values{"principal_id": {e.itoa(e.victimID)}, "deputy_id": {e.itoa(e.otherID)}, "valid_from": {"2026-05-01T09:00"},
			"valid_until": {"2026-05-08T18:00"}, "reason": {"出張"}}
	}},

	// Webhook endpoints (administrators).
	"GET /admin/webhooks": {want: wAdminPage},
	"POST /admin/webhooks": {want: row(s303, s403, s403, s403, s403, s403, s403, s403, s403, s201), form: func(e *cellEnv) url.Values {
		return url.Values{"url": {"https://hooks.example.com/leakdesk"}, "events": {"case.opened"}}
	}, notes: "the signing secret is shown once on the answer (201)"},
	"POST /admin/webhooks/{id}/disable": {want: row(s303, s403, s403, s403, s403, s403, s403, s403, s403, s404),
		form: func(e *cellEnv) url.Values { return url.Values{} }, notes: "404 = allowed, then no endpoint has the fixture case's id"},
	"POST /admin/users": {want: row(s303, s403, s403, s403, s403, s403, s403, s403, s403, http.StatusCreated), form: func(e *cellEnv) url.Values {
		return url.Values{"email": {"new-" + e.col + "-" + e.itoa(e.seq) + "@example.jp"}, "name": {"新規 利用者"}, "roles": {"staff"}}
	}},
	"POST /admin/users/{id}/roles": {want: wAdminPost, form: func(e *cellEnv) url.Values {
		return url.Values{"version": {e.itoa(e.victimVersion)}, "name": {"変更後の氏名"}, "roles": {"staff", "hr"}}
	}},
	"POST /admin/users/{id}/disable": {want: wAdminPost, form: func(e *cellEnv) url.Values {
		return url.Values{"version": {e.itoa(e.victimVersion)}, "disabled": {"true"}}
	}},
	"POST /admin/users/{id}/password": {want: row(s303, s403, s403, s403, s403, s403, s403, s403, s403, s200), form: func(e *cellEnv) url.Values {
		return url.Values{"version": {e.itoa(e.victimVersion)}}
	}, notes: "the new password is shown once on the answer (200)"},
	// Issue 20: the four-eyes approval of role grants (one's own password is above, with issue 18's
	// account routes: the one change form serves both; the forced change is
	// TestAdminReach_ResetIsTemporaryAndEndsSessions).
	"GET /role-grants": {want: row(s303, s403, s403, s403, s403, s200, s403, s403, s403, s200)},
	"POST /role-grants/{gid}": {want: row(s303, s403, s403, s403, s403, s404, s403, s403, s403, s404), form: func(e *cellEnv) url.Values {
		return url.Values{"decision": {"approve"}}
	}, notes: "404 = authorised, and no grant has that id; the decisions are TestAdminReach_GrantsNeedASecondPerson"},
}

// auditorMayWrite are the non-GET routes the auditor column may pass. Issue 6: an auditor changes
// nothing but comments and sign-offs; the rest change no case data (see auditorMayPost).
func auditorMayWrite(key string) bool {
	_, ok := auditorMayPost[key]
	return ok
}

// authzEnv is the matrix's world: one harness, a user and a client per column.
type authzEnv struct {
	h       *harness
	svc     *casework.Service
	actors  [nCols]incident.Actor
	users   [nCols]store.User
	clients [nCols]*client
	tokens  [nCols]string
	setup   incident.Actor // a manager outside the columns: marks involvement, approves in fixtures
	seq     int64
	// the record and evidence file of the last fixRecord fixture
	lastRecord, lastRecordVersion, lastEvidence int64
	// auditJob is a finished verification job, for the /audit/jobs/{jid} routes (doneJob)
	auditJob int64
}

// doneJob records, once, a verification job that has finished with a verdict.
func (env *authzEnv) doneJob(t *testing.T) int64 {
	t.Helper()
	if env.auditJob != 0 {
		return env.auditJob
	}
	ctx := context.Background()
	st := env.h.db.Store
	id, err := st.CreateAuditJob(ctx, store.AuditJobVerify, env.setup.UserID, func(context.Context, pgx.Tx, int64) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.StartAuditJob(ctx, id, "test", time.Minute); err != nil {
		t.Fatal(err)
	}
	res, _ := json.Marshal(auditjob.VerifyResult{Job: id, History: store.VerifyResult{OK: true}, Comments: store.VerifyResult{OK: true}})
	if err := st.FinishAuditJob(ctx, id, "test", "done", 1, 1, res, ""); err != nil {
		t.Fatal(err)
	}
	env.auditJob = id
	return id
}

// cellEnv is what one cell's request is built from.
type cellEnv struct {
	env           *authzEnv
	t             *testing.T
	col           string
	colIdx        int
	email         string
	password      string
	caseID        int64
	requestID     int64
	personID      int64
	personVersion int64
	recordID      int64
	recordVersion int64
	evidenceID    int64
	otherID       int64
	victimID      int64
	victimVersion int64
	seq           int64
	// versionAs, when set, turns the case's current version into what the request sends as its
	// version (TestPrecondition_EveryCaseWrite: none, or a stale one).
	versionAs func(current int64) string
}

func (e *cellEnv) itoa(n int64) string { return strconv.FormatInt(n, 10) }

// draft saves a draft of the cell case's report_prelim (by the fixtures' manager), which a
// finalisation request then freezes.
func (e *cellEnv) draft() {
	e.t.Helper()
	if e.caseID == 0 {
		return
	}
	docs := &documents.Store{Pool: e.env.h.db.Store.Pool}
	if _, err := docs.SaveDraft(context.Background(), e.caseID, documents.ReportPrelim, "速報", map[string]string{"item9": "追完予定"}, e.env.setup.UserID, time.Now()); err != nil {
		e.t.Fatal(err)
	}
}

func (e *cellEnv) version() string {
	e.t.Helper()
	c, err := e.env.h.db.Store.GetCase(context.Background(), e.caseID)
	if err != nil {
		e.t.Fatal(err)
	}
	if e.versionAs != nil {
		return e.versionAs(c.Version)
	}
	return e.itoa(c.Version)
}

// uploadToken stages a one-person CSV for the cell's own user, as the preview page would.
func (e *cellEnv) uploadToken() string {
	e.t.Helper()
	if e.colIdx == colAnon {
		return "none"
	}
	csv := []byte("氏名,メールアドレス\n鈴木 次郎,jiro@example.jp\n")
	tok, err := e.env.h.db.Store.SaveImportUpload(context.Background(), e.env.h.keys, e.caseID, e.env.users[e.colIdx].ID, csv, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func newAuthzEnv(t *testing.T) *authzEnv {
	t.Helper()
	h := newHarness(t)
	e := &authzEnv{h: h, svc: casework.New(h.db.Store)}
	for i := colStaff; i < nCols; i++ {
		u := h.user(authzColumns[i], authzRoles[i]...)
		e.users[i] = u
		e.actors[i] = actorOf(u)
		e.tokens[i] = h.token(authzColumns[i])
	}
	e.setup = actorOf(h.user("setup-manager", auth.RoleManager))
	for i := range nCols {
		e.clients[i] = h.client()
		if i != colAnon {
			e.clients[i].loginAs(authzColumns[i])
		}
	}
	// "other" handles a case of their own.
	if _, err := e.svc.Open(context.Background(), e.actors[colOther], "別の案件", nil, false); err != nil {
		t.Fatal(err)
	}
	return e
}

func actorOf(u store.User) incident.Actor {
	a := incident.Actor{UserID: u.ID, Name: u.Name}
	for _, r := range u.Roles {
		a.Roles = append(a.Roles, incident.Role(r))
	}
	return a
}

// fixture opens a case as staff, marks the "involved" column involved, adds one person and, per
// kind, a pending request or a completed discovery stage.
func (e *authzEnv) fixture(t *testing.T, kind fixKind) (caseID, requestID, personID, personVersion int64) {
	t.Helper()
	ctx := context.Background()
	staff := e.actors[colStaff]
	c, err := e.svc.Open(ctx, staff, "顧客リストの誤送信", map[string]any{
		"recognized_at": "2026-04-30T22:40", "reported_to_soumu_at": "2026-05-01T08:50",
		"containment_ordered_at": "2026-05-01T09:00", "prelim_screen": "suspected",
		"exec_notification_decision": "not_needed", "involves_my_number": "no",
		"suspected_route": "email_missend", "estimated_count_max": 3000,
		"initial_description": "取引先に顧客リストを誤送した。漏洩のおそれ。",
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	if c, _, err = e.svc.Do(ctx, c.ID, c.Version, staff, incident.TickChecklist{ItemID: "discovery.evidence_preserved", Checked: true}); err != nil {
		t.Fatal(err)
	}
	if c, _, err = e.svc.Do(ctx, c.ID, c.Version, e.setup, incident.MarkInvolved{UserID: e.users[colInvolved].ID, Involved: true, Reason: "誤送信した本人"}); err != nil {
		t.Fatal(err)
	}
	if kind != fixPlain {
		var req *incident.Request
		c, req, err = e.svc.Submit(ctx, c.ID, c.Version, staff, incident.SubmitRequest{Kind: incident.KindComplete, Stage: incident.StageDiscovery, Note: "第一報完了"})
		if err != nil {
			t.Fatal(err)
		}
		requestID = req.ID
		if kind == fixDone || kind == fixRecord {
			if c, _, err = e.svc.Approve(ctx, req.ID, e.setup, "承認", 0); err != nil {
				t.Fatal(err)
			}
		}
		if kind == fixRecord {
			if c, _, err = e.svc.Do(ctx, c.ID, c.Version, staff, incident.AddRecord{Kind: incident.RecMonitoring,
				Values: map[string]any{"date": "2026-05-02", "searched_where": "web", "result": "nothing_found"}}); err != nil {
				t.Fatal(err)
			}
			rec := c.Records[len(c.Records)-1]
			e.lastRecord, e.lastRecordVersion = rec.ID, rec.Version
			var ev *incident.Evidence
			if c, ev, err = e.svc.AttachEvidence(ctx, c.ID, c.Version, staff, incident.StageContainment, "deletion.pdf", "application/pdf", "削除確認書",
				[]byte("%PDF-1.4\n削除確認書\n%%EOF\n")); err != nil {
				t.Fatal(err)
			}
			e.lastEvidence = ev.ID
		}
	}
	personID, err = e.h.db.Store.CreatePerson(ctx, e.h.keys, c.ID, staff.UserID,
		store.PersonData{Name: "田中 太郎", Kana: "タナカ タロウ", Email: "taro@example.jp"}, store.PersonNotice{Status: "unnotified"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.h.db.Store.GetPerson(ctx, e.h.keys, c.ID, personID)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID, requestID, personID, p.Version
}

func (e *authzEnv) victim(t *testing.T) store.User {
	t.Helper()
	e.seq++
	u, err := e.h.db.Store.CreateUser(context.Background(), 0, fmt.Sprintf("victim-%d@example.jp", e.seq), "対象 利用者", []auth.Role{auth.RoleStaff}, "x")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

var authzParam = regexp.MustCompile(`\{([a-zA-Z_]+)\}`)

// normRoute trims what chi.Walk reports for mounted sub-routers and wildcards.
func normRoute(route string) string {
	route = strings.TrimSuffix(route, "/*")
	if route != "/" {
		route = strings.TrimSuffix(route, "/")
	}
	return route
}

// walkRoutes lists every "METHOD pattern" of the router.
func walkRoutes(t *testing.T, h *harness) []string {
	t.Helper()
	routes, ok := h.srv.Router().(chi.Routes)
	if !ok {
		t.Fatal("router is not a chi.Routes")
	}
	var keys []string
	seen := map[string]bool{}
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		key := method + " " + normRoute(route)
		if !seen[key] {
			seen[key] = true
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestAuthz_TableIsComplete runs without a request: every route has a row, every row a route, and
// the table itself keeps the auditor rule (issue 6): no write other than comments and sign-offs
// (and the listed session/read-only posts) may be allowed to the auditor column.
func TestAuthz_TableIsComplete(t *testing.T) {
	h := newHarness(t)
	routes := walkRoutes(t, h)
	inRouter := map[string]bool{}
	for _, key := range routes {
		method, _, _ := strings.Cut(key, " ")
		if strings.HasSuffix(key, " /static") && method != http.MethodGet {
			continue // the file server answers every method; GET is the one row
		}
		inRouter[key] = true
		if _, ok := authzTable[key]; !ok {
			t.Errorf("route %q has no row in authzTable: add one with the expected status of every column", key)
		}
	}
	for key, r := range authzTable {
		if !inRouter[key] {
			t.Errorf("authzTable row %q matches no route of the router", key)
		}
		method, _, _ := strings.Cut(key, " ")
		if method != http.MethodGet && !auditorMayWrite(key) {
			if w := r.want[colAuditor]; w != s403 {
				t.Errorf("%s: the auditor column expects %d; auditors change nothing but comments and sign-offs (want 403)", key, w)
			}
		}
		if method != http.MethodGet && r.form == nil && r.json == nil && !r.upload && !r.evidence {
			t.Errorf("%s: a write row needs a body that would succeed where allowed", key)
		}
	}
	if len(inRouter) < 60 {
		t.Fatalf("only %d routes found: the walk is broken", len(inRouter))
	}
}

// isFileAnswer: a page route answered a file to keep (an attachment, or a file type no page is).
func isFileAnswer(path string, r resp) bool {
	if strings.HasPrefix(path, "/api/") || r.Status != http.StatusOK {
		return false
	}
	if strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
		return true
	}
	ct := r.Header.Get("Content-Type")
	for _, p := range []string{"text/csv", "application/zip", "application/pdf", "application/octet-stream", "image/"} {
		if strings.HasPrefix(ct, p) {
			return true
		}
	}
	return false
}

var securityHeaderWant = map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

// checkSecurityHeaders is the baseline every answer carries (pages, API, errors, redirects).
func checkSecurityHeaders(t *testing.T, what, path string, r resp) {
	t.Helper()
	csp := r.Header.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'none'", "frame-ancestors 'none'", "script-src 'self'", "base-uri 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("%s: CSP lacks %q: %q", what, d, csp)
		}
	}
	if strings.Contains(csp, "unsafe-") {
		t.Errorf("%s: CSP allows unsafe sources: %q", what, csp)
	}
	for k, v := range securityHeaderWant {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
	cc := r.Header.Get("Cache-Control")
	if strings.HasPrefix(path, "/static/") {
		if strings.Contains(cc, "no-store") || !strings.Contains(cc, "public") {
			t.Errorf("%s: static Cache-Control %q", what, cc)
		}
	} else if cc != "no-store" {
		t.Errorf("%s: Cache-Control = %q, want no-store", what, cc)
	}
	for _, sc := range r.Header.Values("Set-Cookie") {
		if !strings.HasPrefix(sc, "leakdesk_session=") {
			t.Errorf("%s: unexpected cookie %q", what, sc)
			continue
		}
		for _, flag := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
			if !strings.Contains(sc, flag) {
				t.Errorf("%s: session cookie lacks %s: %q", what, flag, sc)
			}
		}
	}
	if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/html") && (strings.Contains(r.Body, "<script>") || strings.Contains(r.Body, " style=")) {
		t.Errorf("%s: inline script or style", what)
	}
}

// TestAuthz_Matrix sends every cell's request and compares the status with the table. GET cells
// share one fixture; every write cell gets a fresh case (and, where the route names one, a fresh
// user or request) so an allowed write never changes what a later cell sees. A refused write must
// leave the case exactly as it was. Every answer also carries the security headers and cookie flags.
func TestAuthz_Matrix(t *testing.T) {
	if testing.Short() {
		t.Skip("database and browser test")
	}
	env := newAuthzEnv(t)
	h := env.h
	shared := struct{ c, rq, p, pv int64 }{}
	shared.c, shared.rq, shared.p, shared.pv = env.fixture(t, fixPending)
	// Record and evidence routes read a case whose containment stage holds a record and a file.
	sharedRec := struct{ c, rq, p, pv, rec, recV, ev int64 }{}
	sharedRec.c, sharedRec.rq, sharedRec.p, sharedRec.pv = env.fixture(t, fixRecord)
	sharedRec.rec, sharedRec.recV, sharedRec.ev = env.lastRecord, env.lastRecordVersion, env.lastEvidence
	cells, allowedWrites := 0, 0
	type slow struct {
		key string
		d   time.Duration
	}
	var slowest []slow
	filesServed := map[string]bool{} // page routes that answered a file (TestParity_EveryPageDownloadHasAnAPITwin)
	for _, key := range walkRoutes(t, h) {
		start := time.Now()
		rw, ok := authzTable[key]
		if !ok {
			continue // TestAuthz_TableIsComplete reports it
		}
		method, route, _ := strings.Cut(key, " ")
		if route == "/static" && method != http.MethodGet {
			continue
		}
		write := method != http.MethodGet
		for col := range nCols {
			e := &cellEnv{env: env, t: t, col: authzColumns[col], colIdx: col, otherID: env.users[colOther].ID, seq: env.seq}
			if col != colAnon {
				e.email, e.password = env.users[col].Email, testPassword
			}
			switch {
			case write && strings.Contains(route, "{") && !strings.HasPrefix(route, "/admin/"):
				e.caseID, e.requestID, e.personID, e.personVersion = env.fixture(t, rw.fix)
				e.recordID, e.recordVersion, e.evidenceID = env.lastRecord, env.lastRecordVersion, env.lastEvidence
			case recordRoute(route):
				e.caseID, e.requestID, e.personID, e.personVersion = sharedRec.c, sharedRec.rq, sharedRec.p, sharedRec.pv
				e.recordID, e.recordVersion, e.evidenceID = sharedRec.rec, sharedRec.recV, sharedRec.ev
			default:
				e.caseID, e.requestID, e.personID, e.personVersion = shared.c, shared.rq, shared.p, shared.pv
			}
			v := env.victim(t)
			e.victimID, e.victimVersion, e.seq = v.ID, v.Version, env.seq
			path := authzParam.ReplaceAllStringFunc(route, func(p string) string {
				switch authzParam.FindStringSubmatch(p)[1] {
				case "id":
					if strings.HasPrefix(route, "/admin/users/") {
						return e.itoa(e.victimID)
					}
					return e.itoa(e.caseID)
				case "rid":
					if recordRoute(route) {
						return e.itoa(e.recordID)
					}
					return e.itoa(e.requestID)
				case "eid":
					return e.itoa(e.evidenceID)
				case "gid":
					return "999999"
				case "pid":
					return e.itoa(e.personID)
				case "kind":
					return "report_prelim"
				case "tid":
					return "999999"
				case "jid":
					return e.itoa(env.doneJob(t))
				}
				t.Fatalf("%s: unknown path parameter %s", key, p)
				return ""
			})
			if route == "/static" {
				path = "/static/"
			}
			path += rw.query
			before := caseVersion(t, h, e.caseID)
			r := env.send(t, col, method, path, rw, e)
			what := fmt.Sprintf("%s [%s] (%s)", key, authzColumns[col], path)
			cells++
			if r.Status != rw.want[col] {
				t.Errorf("%s: status %d, want %d; body: %.300s", what, r.Status, rw.want[col], strings.TrimSpace(stripTags(r.Body)))
			}
			checkSecurityHeaders(t, what, path, r)
			if isFileAnswer(path, r) {
				filesServed[key] = true
			}
			after := caseVersion(t, h, e.caseID)
			refused := r.Status == s401 || r.Status == s403 || (col == colAnon && !strings.HasPrefix(path, "/api/") && route != "/login" && route != "/lang")
			if write && refused && after != before {
				t.Errorf("%s: refused (%d) but the case changed from version %d to %d", what, r.Status, before, after)
			}
			if write && !refused && r.Status < 400 {
				allowedWrites++
				if caseWriteRoute(route) && after == before {
					t.Errorf("%s: allowed (%d) but the case did not change (version %d)", what, r.Status, before)
				}
			}
			if route == "/logout" && col != colAnon {
				env.clients[col] = h.client().loginAs(authzColumns[col])
			}
		}
		slowest = append(slowest, slow{key, time.Since(start)})
	}
	for key := range filesServed {
		_, route, _ := strings.Cut(key, " ")
		if _, ok := pageDownloads[key]; !ok && noDownloadTwin[key] == "" {
			t.Errorf("%s answered a file: list it in pageDownloads with its API twin (or in noDownloadTwin with why)", key)
		} else if !downloadRoute.MatchString(route) && noDownloadTwin[key] == "" {
			t.Errorf("%s answered a file but downloadRoute does not match it: widen the rule", key)
		}
	}
	if len(filesServed) < len(pageDownloads) {
		t.Errorf("only %d page routes answered a file (%v): fewer than the %d downloads listed", len(filesServed), filesServed, len(pageDownloads))
	}
	sort.Slice(slowest, func(i, j int) bool { return slowest[i].d > slowest[j].d })
	t.Logf("%d cells checked, %d allowed writes carried out; slowest rows: %v", cells, allowedWrites, slowest[:min(5, len(slowest))])
}

// caseWriteRoute: routes whose success adds events to the case itself.
func caseWriteRoute(route string) bool {
	switch route {
	case "/api/v1/cases/{id}", "/api/v1/cases/{id}/requests", "/api/v1/requests/{rid}/approve", "/api/v1/requests/{rid}/send-back",
		"/cases/{id}/facts", "/cases/{id}/checklist", "/cases/{id}/requests", "/cases/{id}/owner", "/cases/{id}/involved",
		"/cases/{id}/reopen", "/requests/{rid}/approve", "/requests/{rid}/send-back",
		"/api/v1/cases/{id}/records", "/api/v1/cases/{id}/records/{rid}", "/cases/{id}/records", "/cases/{id}/records/{rid}",
		"/cases/{id}/records/{rid}/withdraw", "/cases/{id}/evidence",
		"/api/v1/cases/{id}/evidence", "/api/v1/cases/{id}/checklist", "/api/v1/cases/{id}/owner", "/api/v1/cases/{id}/involved", "/api/v1/cases/{id}/reopen":
		return true
	}
	return false
}

func caseVersion(t *testing.T, h *harness, id int64) int64 {
	t.Helper()
	if id == 0 {
		return 0
	}
	c, err := h.db.Store.GetCase(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c.Version
}

var tagRe = regexp.MustCompile(`(?s)<[^>]*>|\s+`)

func stripTags(s string) string { return tagRe.ReplaceAllString(s, " ") }

// send builds and sends one cell's request: bearer token on the API, session + CSRF token on pages.
func (env *authzEnv) send(t *testing.T, col int, method, path string, rw authzRow, e *cellEnv) resp {
	t.Helper()
	h := env.h
	if strings.HasPrefix(path, "/api/v1/") && rw.evidence {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("stage", "containment")
		fw, _ := mw.CreateFormFile("file", "takedown.pdf")
		_, _ = fw.Write([]byte("%PDF-1.4\n削除依頼の回答\n%%EOF\n"))
		_ = mw.Close()
		return h.apiRaw(method, path, env.tokens[col], mw.FormDataContentType(), body.Bytes(), "If-Match", e.version())
	}
	if strings.HasPrefix(path, "/api/v1/") {
		body := ""
		if rw.json != nil {
			body = rw.json(e)
		}
		var hdr []string
		if method != http.MethodGet { // the case version: required by case writes, ignored by the rest
			hdr = []string{"If-Match", e.version()}
		}
		return h.api(method, path, env.tokens[col], body, hdr...)
	}
	cl := env.clients[col]
	if method == http.MethodGet {
		return cl.get(path)
	}
	from := "/account"
	if col == colAnon {
		from = "/login"
	}
	token := cl.csrf(from)
	if rw.upload || rw.evidence {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("_csrf", token)
		if rw.evidence {
			_ = mw.WriteField("version", e.version())
			_ = mw.WriteField("stage", "containment")
			fw, _ := mw.CreateFormFile("file", "takedown.pdf")
			_, _ = fw.Write([]byte("%PDF-1.4\n削除依頼の回答\n%%EOF\n"))
		} else {
			fw, _ := mw.CreateFormFile("file", "persons.csv")
			_, _ = fw.Write([]byte("氏名,メールアドレス\n鈴木 次郎,jiro@example.jp\n"))
		}
		_ = mw.Close()
		req, _ := http.NewRequest(method, h.ts.URL+path, &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Origin", h.ts.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		return cl.do(req)
	}
	form := rw.form(e)
	form.Set("_csrf", token)
	req, _ := http.NewRequest(method, h.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", h.ts.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return cl.do(req)
}

// recordRoute: routes whose {rid} is a stage record (elsewhere {rid} is an approval request) and the
// evidence routes; they run against a case that holds a record and a file.
func recordRoute(route string) bool {
	return strings.Contains(route, "/cases/{id}/records") || strings.Contains(route, "/cases/{id}/evidence")
}
