package web_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/leakdesk/leakdesk/internal/auth"
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
				case "ver":
					return e.itoa(env.ruleDraft(t))
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
