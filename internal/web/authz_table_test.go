package web_test

// The authorisation matrix as data: every route and the status each column expects (see authz_test.go).

import (
	"net/http"
	"net/url"
)

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
