package faults_test

// The write flow the fault tests drive through the API, its ledger of what was acknowledged, and the checks that nothing acknowledged was lost.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/mail/mailtest"
)

// jst formats t as the API's datetime facts expect (JST, minutes).
func jst(t time.Time) string { return t.In(appi.JST).Format("2006-01-02T15:04") }

// discoveryFacts are complete first-report facts recognised at recognized; a recent time keeps the
// case's reminders hours away, an old one makes every deadline already missed (reminders at once).
func discoveryFacts(recognized time.Time) string {
	return fmt.Sprintf(`{"recognized_at":%q,"reported_to_soumu_at":%q,"containment_ordered_at":%q,"prelim_screen":"suspected",`+
		`"exec_notification_decision":"not_needed","involves_my_number":"no","suspected_route":"media_lost","estimated_count_max":3000}`,
		jst(recognized), jst(recognized.Add(5*time.Minute)), jst(recognized.Add(6*time.Minute)))
}

type caseOut struct {
	ID      int64 `json:"id"`
	Version int64 `json:"version"`
}

type requestOut struct {
	ID    int64  `json:"id"`
	State string `json:"state"`
}

// ledger records every write the clients saw acknowledged (2xx, or 303 for a form).
type ledger struct {
	mu        sync.Mutex
	cases     map[int64]string // id → title
	patches   []ackPatch
	ticks     []int64         // case ids whose evidence_preserved tick was acknowledged
	requests  map[int64]int64 // request id → case id
	approvals map[int64]int64 // request id → approver user id
	failures  int             // writes not acknowledged (errors, 5xx, 503)
	reasons   map[string]int  // step and status of each failure, for the log
}

type ackPatch struct {
	caseID, version int64
	marker          string
}

func newLedger() *ledger {
	return &ledger{cases: map[int64]string{}, requests: map[int64]int64{}, approvals: map[int64]int64{}, reasons: map[string]int{}}
}

// fail counts a write that was not acknowledged: step names it, st is its status (0: no answer).
func (l *ledger) fail(step string, st int) {
	l.mu.Lock()
	l.failures++
	l.reasons[fmt.Sprintf("%s:%d", step, st)]++
	l.mu.Unlock()
}

func (l *ledger) writes() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.cases) + len(l.patches) + len(l.ticks) + len(l.requests) + len(l.approvals)
}

// flow is one client's walk through a case: open, patch, tick (page, session), request G1.
type flow struct {
	r     *rig
	l     *ledger
	b     *browser // logged in as staff
	csrf  string
	staff string
}

func (r *rig) newFlow(l *ledger, loginOn *instance) (*flow, error) {
	b := newBrowser()
	if err := b.login(loginOn, r.users["staff"].Email); err != nil {
		return nil, err
	}
	tok, err := b.csrf(loginOn, "/account")
	if err != nil {
		return nil, err
	}
	return &flow{r: r, l: l, b: b, csrf: tok, staff: r.users["staff"].Token}, nil
}

// openCase creates a case on in and returns it; ok is false when the write was not acknowledged.
func (f *flow) openCase(in *instance, title string, recognized time.Time) (caseOut, bool) {
	st, body, err := api(in, "POST", "/api/v1/cases", f.staff, fmt.Sprintf(`{"title":%q,"facts":%s}`, title, discoveryFacts(recognized)))
	if err != nil || st != http.StatusCreated {
		f.l.fail("open", st)
		return caseOut{}, false
	}
	var c caseOut
	if json.Unmarshal(body, &c) != nil || c.ID == 0 {
		f.l.fail("open-body", st)
		return caseOut{}, false
	}
	f.l.mu.Lock()
	f.l.cases[c.ID] = title
	f.l.mu.Unlock()
	return c, true
}

// patch records a marker in initial_description with If-Match.
func (f *flow) patch(in *instance, c caseOut, marker string) (caseOut, bool) {
	st, body, err := api(in, "PATCH", fmt.Sprintf("/api/v1/cases/%d", c.ID), f.staff,
		fmt.Sprintf(`{"facts":{"initial_description":%q}}`, marker), "If-Match", strconv.FormatInt(c.Version, 10))
	if err != nil || st != http.StatusOK {
		f.l.fail("patch", st)
		return c, false
	}
	var nc caseOut
	if json.Unmarshal(body, &nc) != nil || nc.ID != c.ID {
		f.l.fail("patch-body", st)
		return c, false
	}
	f.l.mu.Lock()
	f.l.patches = append(f.l.patches, ackPatch{caseID: c.ID, version: nc.Version, marker: marker})
	f.l.mu.Unlock()
	return nc, true
}

// tick checks the discovery evidence item through the case page's form, with the staff session.
func (f *flow) tick(in *instance, c caseOut) bool {
	st, err := f.b.post(in, fmt.Sprintf("/cases/%d/checklist", c.ID), url.Values{"_csrf": {f.csrf},
		"item": {"discovery.evidence_preserved"}, "checked": {"true"}, "version": {strconv.FormatInt(c.Version, 10)}})
	if err != nil || st != http.StatusSeeOther {
		f.l.fail("tick", st)
		return false
	}
	f.l.mu.Lock()
	f.l.ticks = append(f.l.ticks, c.ID)
	f.l.mu.Unlock()
	return true
}

// version reads case caseID's current version on in, which every write to it sends as If-Match;
// a failed read returns its status (0 on a transport error) and "".
func (f *flow) version(in *instance, token string, caseID int64) (string, int) {
	st, out, err := api(in, "GET", fmt.Sprintf("/api/v1/cases/%d", caseID), token, "")
	if err != nil {
		return "", 0
	}
	var c caseOut
	if st != http.StatusOK || json.Unmarshal(out, &c) != nil {
		return "", st
	}
	return strconv.FormatInt(c.Version, 10), st
}

// request submits a request on in: the G1 completion of discovery or the police-report skip.
func (f *flow) request(in *instance, c caseOut, body string) (int64, bool) {
	v, vst := f.version(in, f.staff, c.ID)
	if v == "" {
		f.l.fail("request", vst)
		return 0, false
	}
	st, out, err := api(in, "POST", fmt.Sprintf("/api/v1/cases/%d/requests", c.ID), f.staff, body, "If-Match", v)
	if err != nil || st != http.StatusCreated {
		f.l.fail("request", st)
		return 0, false
	}
	var rq requestOut
	if json.Unmarshal(out, &rq) != nil || rq.ID == 0 || rq.State != "pending" {
		f.l.fail("request-body", st)
		return 0, false
	}
	f.l.mu.Lock()
	f.l.requests[rq.ID] = c.ID
	f.l.mu.Unlock()
	return rq.ID, true
}

const (
	g1Request     = `{"stage":"discovery","kind":"complete","note":"第一報完了"}`
	policeSkipReq = `{"stage":"police_report","kind":"skip","reason_code":"ITEM_RECOVERED","note":"回収済み"}`
)

// approve posts one approval; it returns the status (0 on a transport error).
func (f *flow) approve(in *instance, requestID int64, approver string) int {
	u := f.r.users[approver]
	f.l.mu.Lock()
	caseID := f.l.requests[requestID]
	f.l.mu.Unlock()
	v, vst := f.version(in, u.Token, caseID)
	if v == "" {
		return vst
	}
	st, body, err := api(in, "POST", fmt.Sprintf("/api/v1/requests/%d/approve", requestID), u.Token, `{"note":"承認"}`, "If-Match", v)
	if err != nil {
		return 0
	}
	if st == http.StatusOK {
		var rq requestOut
		if json.Unmarshal(body, &rq) != nil || rq.State != "approved" {
			return -1
		}
		f.l.mu.Lock()
		f.l.approvals[requestID] = u.ID
		f.l.mu.Unlock()
	}
	return st
}

// checkLedger asserts that every acknowledged write is in the database.
func (r *rig) checkLedger(l *ledger) {
	r.t.Helper()
	t, ctx := r.t, context.Background()
	l.mu.Lock()
	defer l.mu.Unlock()
	missing := 0
	report := func(format string, args ...any) {
		missing++
		if missing <= 20 {
			t.Errorf(format, args...)
		}
	}
	for id, title := range l.cases {
		var got string
		var opened bool
		err := r.db.QueryRow(ctx, `SELECT c.title, EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.seq = 1 AND e.type = 'case_opened')
			FROM cases c WHERE c.id = $1`, id).Scan(&got, &opened)
		if err != nil || got != title || !opened {
			report("acknowledged case %d (%q): in db %q, opened event %v, err %v", id, title, got, opened, err)
		}
	}
	for _, p := range l.patches {
		var n int
		if err := r.db.QueryRow(ctx, `SELECT count(*) FROM case_events WHERE case_id = $1 AND seq <= $2 AND type = 'facts_changed'
			AND payload::text LIKE '%' || $3 || '%'`, p.caseID, p.version, p.marker).Scan(&n); err != nil || n != 1 {
			report("acknowledged patch %q of case %d (version %d): %d events, err %v", p.marker, p.caseID, p.version, n, err)
		}
		var v int64
		if err := r.db.QueryRow(ctx, `SELECT version FROM cases WHERE id = $1`, p.caseID).Scan(&v); err != nil || v < p.version {
			report("case %d at version %d, but version %d was acknowledged (err %v)", p.caseID, v, p.version, err)
		}
	}
	for _, id := range l.ticks {
		var n int
		if err := r.db.QueryRow(ctx, `SELECT count(*) FROM case_events WHERE case_id = $1 AND type = 'checklist_ticked'
			AND payload->>'item' = 'discovery.evidence_preserved'`, id).Scan(&n); err != nil || n < 1 {
			report("acknowledged tick of case %d: %d events, err %v", id, n, err)
		}
	}
	for rid, cid := range l.requests {
		var n int
		if err := r.db.QueryRow(ctx, `SELECT count(*) FROM case_requests q JOIN case_events e ON e.case_id = q.case_id
			AND e.type = 'request_submitted' AND (e.payload->>'request_id')::bigint = q.id WHERE q.id = $1 AND q.case_id = $2`, rid, cid).Scan(&n); err != nil || n != 1 {
			report("acknowledged request %d of case %d: %d rows with their event, err %v", rid, cid, n, err)
		}
	}
	// A 403 on a form post means the session's CSRF token, acknowledged with a 200 page, was lost.
	if n := l.reasons["tick:403"]; n > 0 {
		report("%d form posts refused with 403: an acknowledged session lost its CSRF token", n)
	}
	for rid, approver := range l.approvals {
		var state string
		var n int
		var by int64
		if err := r.db.QueryRow(ctx, `SELECT q.state, count(e.seq), coalesce(max((e.payload->>'approver_id')::bigint), 0) FROM case_requests q
			LEFT JOIN case_events e ON e.case_id = q.case_id AND e.type = 'request_approved' AND (e.payload->>'request_id')::bigint = q.id
			WHERE q.id = $1 GROUP BY q.state`, rid).Scan(&state, &n, &by); err != nil || state != "approved" || n != 1 || by != approver {
			report("acknowledged approval of request %d by user %d: state %q, %d approval events, by %d, err %v", rid, approver, state, n, by, err)
		}
	}
	if missing > 0 {
		t.Errorf("%d acknowledged writes missing or wrong in the database", missing)
	}
}

// checkConsistency looks for half-written changes anywhere in the database: every case has its
// opening event and a version equal to its newest event, event sequences have no gaps, every
// request row has its event and the other way round, the registry covers exactly the cases, and
// no request was finally approved twice. Then `leakdesk audit verify` must pass.
func (r *rig) checkConsistency() {
	r.t.Helper()
	ctx := context.Background()
	for _, q := range []struct{ what, sql string }{
		{"cases without their case_opened event at seq 1", `SELECT count(*) FROM cases c WHERE NOT EXISTS
			(SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.seq = 1 AND e.type = 'case_opened')`},
		{"cases whose version is not their newest event", `SELECT count(*) FROM cases c WHERE c.version <>
			(SELECT max(seq) FROM case_events e WHERE e.case_id = c.id)`},
		{"cases with gaps in their event sequence", `SELECT count(*) FROM (SELECT case_id FROM case_events GROUP BY case_id
			HAVING count(*) <> max(seq)) g`},
		{"events of cases that do not exist", `SELECT count(*) FROM case_events e WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = e.case_id)`},
		{"request rows without their request_submitted event", `SELECT count(*) FROM case_requests q WHERE NOT EXISTS
			(SELECT 1 FROM case_events e WHERE e.case_id = q.case_id AND e.type = 'request_submitted' AND (e.payload->>'request_id')::bigint = q.id)`},
		{"request_submitted events without a request row", `SELECT count(*) FROM case_events e WHERE e.type = 'request_submitted' AND NOT EXISTS
			(SELECT 1 FROM case_requests q WHERE q.id = (e.payload->>'request_id')::bigint)`},
		{"approved request rows without a final approval event", `SELECT count(*) FROM case_requests q WHERE q.state = 'approved' AND NOT EXISTS
			(SELECT 1 FROM case_events e WHERE e.case_id = q.case_id AND e.type = 'request_approved'
			 AND (e.payload->>'request_id')::bigint = q.id AND (e.payload->>'final')::boolean)`},
		{"requests finally approved more than once", `SELECT count(*) FROM (SELECT payload->>'request_id' FROM case_events
			WHERE type = 'request_approved' AND (payload->>'final')::boolean GROUP BY 1 HAVING count(*) > 1) d`},
		{"cases missing from the case registry", `SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_registry g WHERE g.case_id = c.id)`},
		{"registry entries without a case", `SELECT count(*) FROM case_registry g WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = g.case_id)`},
	} {
		var n int
		if err := r.db.QueryRow(ctx, q.sql).Scan(&n); err != nil {
			r.t.Errorf("%s: %v", q.what, err)
		} else if n != 0 {
			r.t.Errorf("%d %s", n, q.what)
		}
	}
	out, err := r.runErr(nil, "audit", "verify")
	if err != nil {
		r.t.Errorf("leakdesk audit verify: %v\n%s", err, out)
	} else {
		r.t.Logf("audit verify: %s", strings.TrimSpace(out))
	}
}

// counts returns the number of cases and events in the database (for the log).
func (r *rig) counts() (cases, events int) {
	_ = r.db.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM case_events)`).Scan(&cases, &events)
	return
}

type mailMessage = mailtest.Message
