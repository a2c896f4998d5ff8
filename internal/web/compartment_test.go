package web_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/chain"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// The HR compartment (domain.md §5, SEED000 第15–16条) as content, not status codes: a case whose
// discipline stage holds a dismissal and an accusation is rendered for every role on every surface
// it reaches (case page with its exit list, requests and timeline, the case and events API, the
// records API, the approvals inbox, the case search, the dashboard), and no restricted word, value
// or hash oracle may reach a role outside the compartment.

// compartmentSecrets are the words that tell the sanction, the accusation or the people.
var compartmentSecrets = []string{
	"懲戒解雇", "disciplinary_dismissal", "解雇", "dismissal", // the sanction (also "解雇相当")
	"reprimand", "譴責", // the lighter sanction fact
	"criminal_complaint", "刑事告発・告訴", "告発・告訴の記録", "accusation_filed", "刑事告発する", "告発日時", "告発先", // the accusation
	"霞が関警察署", "HR-SECRET-4471", "社員E-7731", "持出しの常習", "懲戒委員会で決定", "人事部長として承認", "本人へ告知済み",
}

type compartmentEnv struct {
	h       *harness
	svc     *casework.Service
	caseID  int64
	actors  map[string]incident.Actor
	tokens  map[string]string
	clients map[string]*client
}

// readers: who is in the compartment (may see everything) and who is not.
var compartmentReaders = map[string]bool{
	"staff": false, "exec": false, "involved": false,
	"manager": true, "privacy": true, "hr": true, "auditor": true,
}

func newCompartmentEnv(t *testing.T) *compartmentEnv {
	t.Helper()
	h := newHarness(t)
	e := &compartmentEnv{h: h, svc: casework.New(h.db.Store), actors: map[string]incident.Actor{}, tokens: map[string]string{}, clients: map[string]*client{}}
	roles := map[string]auth.Role{"staff": auth.RoleStaff, "exec": auth.RoleExecutive, "involved": auth.RoleManager, "manager": auth.RoleManager,
		"privacy": auth.RolePrivacyOfficer, "hr": auth.RoleHR, "hr2": auth.RoleHR, "auditor": auth.RoleAuditor, "manager2": auth.RoleManager}
	for k, r := range roles {
		e.actors[k] = actorOf(h.user(k, r))
		e.tokens[k] = h.token(k)
	}
	for k := range compartmentReaders {
		e.clients[k] = h.client().loginAs(k)
	}
	ctx := context.Background()
	staff, mgr, hr := e.actors["staff"], e.actors["manager2"], e.actors["hr"]
	c, err := e.svc.Open(ctx, staff, "USBメモリの紛失", map[string]any{
		"recognized_at": "2026-04-30T22:40", "reported_to_soumu_at": "2026-05-01T08:50",
		"containment_ordered_at": "2026-05-01T09:00", "prelim_screen": "suspected",
		"exec_notification_decision": "not_needed", "involves_my_number": "no",
		"suspected_route": "media_lost", "estimated_count_max": 3000,
	}, false)
	must := func(nc *incident.Case, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		c = nc
	}
	must(c, err)
	do := func(a incident.Actor, cmd incident.Command) {
		t.Helper()
		nc, _, err := e.svc.Do(ctx, c.ID, c.Version, a, cmd)
		must(nc, err)
	}
	submitApprove := func(st incident.Stage) {
		t.Helper()
		nc, req, err := e.svc.Submit(ctx, c.ID, c.Version, staff, incident.SubmitRequest{Kind: incident.KindComplete, Stage: st})
		must(nc, err)
		nc, _, err = e.svc.Approve(ctx, req.ID, mgr, "確認しました", 0)
		must(nc, err)
	}
	do(staff, incident.TickChecklist{ItemID: "discovery.evidence_preserved", Checked: true})
	submitApprove(incident.StageDiscovery)
	do(staff, incident.PatchFacts{Patch: map[string]any{
		"occurred_at": "2026-04-30T18:00", "event_types": []any{"leak", "loss"}, "certainty": "suspected",
		"route": "media_lost", "cause_category": "human_error", "cause_actor": "own_employee",
		"root_cause": "持出し規程に反しUSBで持ち帰った", "data_items": []any{"name", "address", "phone", "purchase_history"},
		"data_subject_types": []any{"customer"}, "medium": "usb", "affected_count": 3000,
		"secondary_damage_exists": "unknown", "impact_scope": "顧客3,000名", "reportability_finding": "reportable"}})
	for _, it := range []string{"investigation.basic_facts", "investigation.four_points", "investigation.cause_four_angles",
		"investigation.staff_interviews", "investigation.legal_definitions"} {
		do(staff, incident.TickChecklist{ItemID: it, Checked: true})
	}
	submitApprove(incident.StageInvestigation)
	if st := c.StateOf(incident.StageDiscipline); st != incident.StateInProgress {
		t.Fatalf("discipline stage is %s", st)
	}
	do(mgr, incident.MarkInvolved{UserID: e.actors["involved"].UserID, Involved: true, Reason: "持ち帰った社員の上長"})
	// HR records a dismissal for one employee, a lighter fact and a decided accusation without its
	// filing record: the exit list now names the dismissal and the accusation.
	do(hr, incident.PatchFacts{Patch: map[string]any{"sanction": "reprimand", "culpability": "intentional",
		"discipline_decided_at": "2026-06-01T10:00", "accusation_filed": true, "accusation_filed_at": "2026-06-02T10:00",
		"accusation_station": "霞が関警察署", "hr_case_id": "HR-SECRET-4471", "discipline_factors": "持出しの常習"}})
	do(hr, incident.AddRecord{Kind: incident.RecDiscipline, Values: map[string]any{"employee": "社員E-7731 山田",
		"culpability": "intentional", "sanction": "disciplinary_dismissal"}})
	do(hr, incident.TickChecklist{ItemID: "discipline.work_rules", Checked: true, Note: "懲戒委員会で決定"})
	e.caseID = c.ID
	return e
}

// fix completes what the exit list asked for and submits the discipline stage, so that a pending
// request that needs the CEO (dismissal-level) exists, with HR's note.
func (e *compartmentEnv) submitDismissal(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	c, err := e.h.db.Store.GetCase(ctx, e.caseID)
	if err != nil {
		t.Fatal(err)
	}
	hr := e.actors["hr"]
	if c, _, err = e.svc.Do(ctx, c.ID, c.Version, hr, incident.PatchFacts{Patch: map[string]any{"sanction": "disciplinary_dismissal"}}); err != nil {
		t.Fatal(err)
	}
	if c, _, err = e.svc.Do(ctx, c.ID, c.Version, hr, incident.AddRecord{Kind: incident.RecCriminalComplaint, Values: map[string]any{
		"kind": "accusation", "against": "社員E-7731 山田", "station": "霞が関警察署", "filed_on": "2026-06-02"}}); err != nil {
		t.Fatal(err)
	}
	c, req, err := e.svc.Submit(ctx, c.ID, c.Version, hr, incident.SubmitRequest{Kind: incident.KindComplete, Stage: incident.StageDiscipline, Note: "懲戒委員会で決定"})
	if err != nil {
		t.Fatal(err)
	}
	// A second HR user approves (the HR slot); the CEO's slot stays open.
	if _, _, err = e.svc.Approve(ctx, req.ID, e.actors["hr2"], "人事部長として承認", 0); err != nil {
		t.Fatal(err)
	}
}

// surfaces renders everything the reader can reach about the case.
func (e *compartmentEnv) surfaces(t *testing.T, who string) map[string]string {
	t.Helper()
	id := fmt.Sprint(e.caseID)
	out := map[string]string{}
	cl := e.clients[who]
	for name, path := range map[string]string{
		"page":      "/cases/" + id + "?stage=discipline",
		"page-inv":  "/cases/" + id + "?stage=investigation",
		"inbox":     "/approvals",
		"search":    "/cases?q=USB",
		"dashboard": "/dashboard",
	} {
		r := cl.get(path)
		if r.Status != http.StatusOK && !(who == "involved" && strings.HasPrefix(name, "page")) {
			t.Fatalf("%s %s: %d", who, path, r.Status)
		}
		out[name] = r.Body
	}
	for name, path := range map[string]string{
		"api-case":    "/api/v1/cases/" + id,
		"api-events":  "/api/v1/cases/" + id + "/events",
		"api-records": "/api/v1/cases/" + id + "/records",
		"api-list":    "/api/v1/cases",
	} {
		r := e.h.api("GET", path, e.tokens[who], "")
		if r.Status != http.StatusOK && !(who == "involved" && name != "api-list") {
			t.Fatalf("%s %s: %d %s", who, path, r.Status, r.Body)
		}
		out[name] = r.Body
	}
	return out
}

func (e *compartmentEnv) checkNoLeak(t *testing.T, phase string) {
	t.Helper()
	for who, inside := range compartmentReaders {
		if inside {
			continue
		}
		for surface, body := range e.surfaces(t, who) {
			for _, w := range compartmentSecrets {
				if strings.Contains(body, w) {
					i := strings.Index(body, w)
					t.Errorf("%s: %s sees %q on %s: …%s…", phase, who, w, surface, body[max(0, i-120):min(len(body), i+120)])
				}
			}
		}
	}
}

type apiEventOut struct {
	Seq      int64          `json:"seq"`
	Type     string         `json:"type"`
	Actor    *int64         `json:"actor"`
	At       string         `json:"at"`
	Payload  map[string]any `json:"payload"`
	PrevHash string         `json:"prev_hash"`
	Hash     string         `json:"hash"`
}

func (e *compartmentEnv) events(t *testing.T, who string) []apiEventOut {
	t.Helper()
	r := e.h.api("GET", fmt.Sprintf("/api/v1/cases/%d/events", e.caseID), e.tokens[who], "")
	if r.Status != http.StatusOK {
		t.Fatalf("%s events: %d", who, r.Status)
	}
	dec := json.NewDecoder(strings.NewReader(r.Body))
	dec.UseNumber()
	var out []apiEventOut
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkNoOracle plays the attacker of the issue: a reader outside the compartment gets the
// redacted events with their hashes and guesses the redacted payload. The test gives the attacker
// the true payload (as HR sees it) minus anything only HR is shown (the salt): if that reproduces
// a hash the reader was given, a guess over the option lists would have found it.
func (e *compartmentEnv) checkNoOracle(t *testing.T) {
	t.Helper()
	truth := e.events(t, "hr")
	// A compartment reader recomputes every link from what it is given (salt included).
	for _, full := range truth {
		if got := recompute(t, e.caseID, full, full.Payload, full.PrevHash); got != full.Hash {
			t.Fatalf("hr cannot recompute the hash of event %d", full.Seq)
		}
	}
	for who, inside := range compartmentReaders {
		if inside || who == "involved" {
			continue
		}
		seen := e.events(t, who)
		if len(seen) != len(truth) {
			t.Fatalf("%s sees %d events, hr %d", who, len(seen), len(truth))
		}
		for i, ev := range seen {
			if ev.Hash == "" {
				continue
			}
			full := truth[i]
			guess := map[string]any{}
			for k, v := range full.Payload {
				if _, shown := ev.Payload[k]; shown || k != incident.SaltKey {
					guess[k] = v
				}
			}
			prev := ev.PrevHash
			if prev == "" {
				prev = full.PrevHash
			}
			redacted := fmt.Sprint(ev.Payload) != fmt.Sprint(full.Payload)
			if redacted && recompute(t, e.caseID, full, guess, prev) == ev.Hash {
				t.Errorf("%s: event %d (%s) is redacted but its hash is recomputable from guessed values", who, ev.Seq, ev.Type)
			}
		}
	}
}

func TestCompartment_DismissalAndAccusationStayWithHR(t *testing.T) {
	e := newCompartmentEnv(t)
	// The compartment's readers do see it (the test would pass vacuously otherwise).
	for who, inside := range compartmentReaders {
		if !inside {
			continue
		}
		body := e.surfaces(t, who)["page"]
		if !strings.Contains(body, "懲戒解雇") || !strings.Contains(body, "告発・告訴の記録") {
			t.Errorf("%s does not see the exit list naming the dismissal and the accusation", who)
		}
	}
	e.checkNoLeak(t, "unmet exit criteria")
	e.checkNoOracle(t)
	// Search is no oracle either: a restricted value finds nothing for outsiders.
	for _, q := range []string{"霞が関警察署", "HR-SECRET-4471", "持出しの常習"} {
		if r := e.clients["staff"].get("/cases?q=" + url.QueryEscape(q)); strings.Contains(r.Body, "USBメモリの紛失") {
			t.Errorf("staff finds the case by the restricted value %q", q)
		}
	}

	e.submitDismissal(t)
	hrPage := e.surfaces(t, "hr")["page"]
	if !strings.Contains(hrPage, incident.RoleExecutive.LabelJA()) {
		t.Errorf("hr does not see that the request needs the CEO")
	}
	e.checkNoLeak(t, "pending dismissal request")
	e.checkNoOracle(t)
	// Outside the compartment, nothing on the page says the CEO must approve this request.
	needs := e.surfaces(t, "staff")["page"]
	for rest := needs; strings.Contains(rest, "必要な承認"); {
		rest = rest[strings.Index(rest, "必要な承認")+len("必要な承認"):]
		if strings.Contains(rest[:min(len(rest), 200)], incident.RoleExecutive.LabelJA()) {
			t.Errorf("staff sees that the discipline request needs the CEO")
		}
	}
	if false {
		t.Errorf("staff sees that the discipline request needs the CEO")
	}
}

// unsalt rewrites the case's history as it was stored before events had salts (the payloads
// without SaltKey, every hash recomputed in the old form), to check that such a chain still
// verifies and that its hashes are not handed out from the first restricted event on.
func (e *compartmentEnv) unsalt(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	events, err := e.h.db.Store.CaseEvents(ctx, e.caseID)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, e.h.db.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// As someone with direct database access: the append-only triggers off.
	if _, err := conn.Exec(ctx, `SET session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	prev := chain.GenesisPrev
	for _, ev := range events {
		delete(ev.Payload, incident.SaltKey)
		raw, err := json.Marshal(ev.Payload)
		if err != nil {
			t.Fatal(err)
		}
		canon, err := ev.Event.Canonical(e.caseID)
		if err != nil {
			t.Fatal(err)
		}
		hash := chain.Hash(prev, canon)
		// Unsalted histories predate the kept canonical bytes (migration 00115): canon is NULL.
		if _, err := conn.Exec(ctx, `UPDATE case_events SET payload = $3, prev_hash = $4, hash = $5, canon = NULL WHERE case_id = $1 AND seq = $2`,
			e.caseID, ev.Seq, raw, prev, hash); err != nil {
			t.Fatal(err)
		}
		prev = hash
	}
}

func TestCompartment_UnsaltedHistoryVerifiesAndHidesHashes(t *testing.T) {
	e := newCompartmentEnv(t)
	e.unsalt(t)
	res, err := e.h.db.Store.Verify(context.Background(), e.caseID)
	if err != nil || !res.OK {
		t.Fatalf("an unsalted (old-form) history does not verify: %+v %v", res, err)
	}
	truth := e.events(t, "hr")
	firstRestricted := int64(0)
	for _, ev := range e.events(t, "staff") {
		if ev.Payload["restricted"] == true && firstRestricted == 0 {
			firstRestricted = ev.Seq
		}
		if firstRestricted != 0 && (ev.Hash != "" || ev.PrevHash != "") {
			t.Errorf("staff gets the hash of event %d, at or after the unsalted restricted event %d", ev.Seq, firstRestricted)
		}
		if firstRestricted == 0 && ev.Hash != truth[ev.Seq-1].Hash {
			t.Errorf("staff does not get the hash of open event %d", ev.Seq)
		}
	}
	if firstRestricted == 0 {
		t.Fatal("no restricted event in the history")
	}
	for _, ev := range truth {
		if ev.Hash == "" {
			t.Errorf("hr does not get the hash of event %d", ev.Seq)
		}
	}
	e.checkNoOracle(t)
}

// recompute is the hash of event ev with the given payload after prevHex.
func recompute(t *testing.T, caseID int64, ev apiEventOut, payload map[string]any, prevHex string) string {
	t.Helper()
	var actor int64
	if ev.Actor != nil {
		actor = *ev.Actor
	}
	at, err := time.Parse(time.RFC3339Nano, ev.At)
	if err != nil {
		t.Fatal(err)
	}
	canon, err := incident.Event{Seq: ev.Seq, Type: ev.Type, ActorID: actor, At: at, Payload: payload}.Canonical(caseID)
	if err != nil {
		t.Fatal(err)
	}
	prev, err := hex.DecodeString(prevHex)
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(chain.Hash(prev, canon))
}

// Redaction takes only the restricted part: a request made after HR recorded discipline facts
// carries them in its snapshot, and outsiders still see the request itself.
func TestCompartment_OpenPartOfAMixedEventStaysVisible(t *testing.T) {
	e := newCompartmentEnv(t)
	ctx := context.Background()
	c, err := e.h.db.Store.GetCase(ctx, e.caseID)
	if err != nil {
		t.Fatal(err)
	}
	const note = "確認のため誤報扱いを申請"
	if _, _, err := e.svc.Submit(ctx, c.ID, c.Version, e.actors["staff"], incident.SubmitRequest{Kind: incident.KindCloseNotIncident, Note: note}); err != nil {
		t.Fatal(err)
	}
	page := e.clients["staff"].get(fmt.Sprintf("/cases/%d", e.caseID))
	if !strings.Contains(page.Body, note) {
		t.Error("staff does not see its own request in the timeline")
	}
	evs := e.events(t, "staff")
	last := evs[len(evs)-1]
	for _, ev := range evs {
		if ev.Type == "request_submitted" && ev.Payload["note"] == note {
			last = ev
		}
	}
	if last.Payload["note"] != note {
		t.Fatalf("staff's events API lost the request note: %v", last.Payload)
	}
	if facts, _ := last.Payload["facts"].(map[string]any); facts["sanction"] != nil || facts["initial_description"] == nil && facts["recognized_at"] == nil {
		t.Errorf("the snapshot is not redacted to its open facts: %v", facts)
	}
	e.checkNoLeak(t, "mixed request")
}
