package incident

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

var t0 = time.Date(2026, 5, 1, 9, 0, 0, 0, jst)

var (
	staff    = Actor{UserID: 1, Name: "担当 一郎", Roles: []Role{RoleStaff}}
	staff2   = Actor{UserID: 2, Name: "担当 二郎", Roles: []Role{RoleStaff}}
	manager  = Actor{UserID: 10, Name: "総務 部長", Roles: []Role{RoleManager}}
	deputy   = Actor{UserID: 11, Name: "総務 副部長", Roles: []Role{RoleManager}}
	officer  = Actor{UserID: 20, Name: "保護 管理者", Roles: []Role{RolePrivacyOfficer}}
	ceo      = Actor{UserID: 30, Name: "代表 取締役", Roles: []Role{RoleExecutive}}
	hr       = Actor{UserID: 40, Name: "人事 担当", Roles: []Role{RoleHR}}
	hrHead   = Actor{UserID: 41, Name: "人事 部長", Roles: []Role{RoleHR}}
	auditor  = Actor{UserID: 50, Name: "監査 責任者", Roles: []Role{RoleAuditor}}
	admin    = Actor{UserID: 60, Name: "システム 管理者", Roles: []Role{RoleAdmin}}
	mgrAndPO = Actor{UserID: 70, Name: "兼務 役員", Roles: []Role{RoleManager, RolePrivacyOfficer}}
)

// harness drives one case through Decide + Apply, keeping every event.
type harness struct {
	t      *testing.T
	c      *Case
	events []Event
	now    time.Time
	nextID int64
}

func newHarness(t *testing.T, facts map[string]any) *harness {
	t.Helper()
	h := &harness{t: t, c: &Case{}, now: t0, nextID: 100}
	h.do(staff, OpenCase{ID: 7, Number: "2026-0007", Title: "USBメモリの紛失", Facts: facts, OwnerID: staff.UserID})
	return h
}

func (h *harness) tick() { h.now = h.now.Add(time.Minute) }

// try decides and, on success, applies.
func (h *harness) try(a Actor, cmd Command) ([]Event, error) {
	h.t.Helper()
	h.tick()
	before := h.c.clone()
	evs, err := h.c.Decide(cmd, a, h.now)
	if !equalCases(before, h.c) {
		h.t.Fatalf("Decide mutated the case for %T", cmd)
	}
	if err != nil {
		return nil, err
	}
	for _, e := range evs {
		if err := h.c.Apply(e); err != nil {
			h.t.Fatalf("Apply %s: %v", e.Type, err)
		}
	}
	h.events = append(h.events, evs...)
	return evs, nil
}

func (h *harness) do(a Actor, cmd Command) []Event {
	h.t.Helper()
	evs, err := h.try(a, cmd)
	if err != nil {
		h.t.Fatalf("%T by %s: %v", cmd, a.Name, err)
	}
	return evs
}

func (h *harness) fail(a Actor, cmd Command, want Code) *Error {
	h.t.Helper()
	_, err := h.try(a, cmd)
	if got := ErrorCode(err); got != want {
		h.t.Fatalf("%T by %s: code %q (%v), want %q", cmd, a.Name, got, err, want)
	}
	var e *Error
	errors.As(err, &e)
	return e
}

func (h *harness) patch(a Actor, facts map[string]any) {
	h.t.Helper()
	h.fileDocuments(facts)
	h.do(a, PatchFacts{Patch: facts})
}

// fileDocuments is the fixtures' way through the filing rule (documents.go): for every filing time
// the patch sets whose document has no approved version yet, staff asks for a version (drafted by
// staff) to be finalised and the holders of its route's slots approve it, in order.
func (h *harness) fileDocuments(facts map[string]any) {
	h.t.Helper()
	for field, v := range facts {
		k, ok := FilingFacts[field]
		if !ok || v == nil || h.c.ApprovedDocument(k) != nil {
			continue
		}
		h.approvedDocument(k)
	}
}

// approvedDocument has version 1 (or the next) of a document of kind k drafted by staff, requested
// and approved through its route; it returns the request id.
func (h *harness) approvedDocument(k DocKind) int64 {
	h.t.Helper()
	h.nextID++
	id := h.nextID
	version := 1
	for _, r := range h.c.Requests {
		if r.Doc != nil && r.Doc.Kind == k && r.Doc.Version >= version {
			version = r.Doc.Version + 1
		}
	}
	h.do(staff, SubmitRequest{RequestID: id, Kind: KindFinalise, Doc: &DocRef{Kind: k, ID: 9000 + id, Version: version,
		SHA256: "5e3f", Editors: []int64{staff.UserID}}})
	by := map[Role]Actor{RoleManager: manager, RolePrivacyOfficer: officer, RoleExecutive: ceo}
	for {
		r := h.c.Request(id)
		if r.State != RequestPending {
			break
		}
		route := RouteOf(r, h.c)
		next := NextStep(route)
		if next < 0 {
			h.t.Fatalf("document request %d: pending with every slot stamped", id)
		}
		h.do(by[route[next].Role], Approve{RequestID: id, Note: "文書を確認しました"})
	}
	return id
}

func (h *harness) ticks(a Actor, ids ...string) {
	h.t.Helper()
	for _, id := range ids {
		h.do(a, TickChecklist{ItemID: id, Checked: true})
	}
}

func (h *harness) submit(a Actor, kind RequestKind, st Stage, code, note string) int64 {
	h.t.Helper()
	h.nextID++
	h.do(a, SubmitRequest{RequestID: h.nextID, Kind: kind, Stage: st, ReasonCode: code, Note: note})
	return h.nextID
}

func (h *harness) state(s Stage) StageState { return h.c.StateOf(s) }

func (h *harness) wantState(s Stage, want StageState) {
	h.t.Helper()
	if got := h.state(s); got != want {
		h.t.Fatalf("stage %s is %s, want %s", s, got, want)
	}
}

func equalCases(a, b *Case) bool {
	ja, _ := caseJSON(a)
	jb, _ := caseJSON(b)
	return ja == jb
}

// --- fixtures: facts and ticks that meet each stage's exit criteria ---

func discoveryFacts() map[string]any {
	return map[string]any{
		"recognized_at": "2026-04-30T22:40", "reported_to_soumu_at": "2026-05-01T08:50",
		"containment_ordered_at": "2026-05-01T09:00", "prelim_screen": "suspected",
		"exec_notification_decision": "not_needed", "involves_my_number": "no",
		"suspected_route": "media_lost", "estimated_count_max": 3000,
	}
}

var discoveryTicks = []string{"discovery.evidence_preserved"}

func investigationFacts() map[string]any {
	return map[string]any{
		"occurred_at": "2026-04-30T18:00", "event_types": []any{"leak", "loss"}, "certainty": "suspected",
		"route": "media_lost", "cause_category": "human_error", "cause_actor": "own_employee",
		"root_cause": "持出し規程に反しUSBで持ち帰った", "data_items": []any{"name", "address", "phone", "purchase_history"},
		"data_subject_types": []any{"customer"}, "medium": "usb", "affected_count": 3000,
		"secondary_damage_exists": "unknown", "impact_scope": "顧客3,000名", "reportability_finding": "reportable",
	}
}

var investigationTicks = []string{"investigation.basic_facts", "investigation.four_points",
	"investigation.cause_four_angles", "investigation.staff_interviews", "investigation.legal_definitions"}

func policeFacts() map[string]any {
	return map[string]any{"police_actions": []any{"lost_property_report"}, "police_station": "新宿警察署",
		"police_filed_at": "2026-05-01T11:00", "police_receipt_no": "R-123"}
}

func containmentFacts() map[string]any {
	return map[string]any{"exposure_ended_at": "2026-05-01T10:00", "destination_status": "unidentifiable",
		"monitoring_method": "web_search", "monitoring_end_date": "2026-08-01",
		"return_request_status": "not_applicable", "warning_letter_status": "not_applicable",
		"injunction_status": "not_applicable", "escalation_na_reason": "拾得者不明のため"}
}

// containmentRecords meet the record-fed exit criteria of containment:
// a monitoring entry (and the escalation records, for rows that mark the
// steps done).
func containmentRecords() []AddRecord {
	return []AddRecord{
		{Kind: RecMonitoring, Values: map[string]any{"date": "2026-05-02", "searched_where": "web", "result": "nothing_found"}},
	}
}

func recurrenceRecords() []AddRecord {
	return []AddRecord{{Kind: RecMeasure, Values: map[string]any{"description": "USBメモリの暗号化", "safeguard": "technical",
		"scope": "company_wide", "owner": "情報システム部長", "due_date": "2026-06-30", "status": "planned"}}}
}

func (h *harness) records(a Actor, rs ...AddRecord) {
	h.t.Helper()
	for _, r := range rs {
		h.do(a, r)
	}
}

var containmentTicks = []string{"containment.provisional_measures", "containment.identify_destination", "containment.prevent_further_damage"}

func noticeFacts() map[string]any {
	return map[string]any{"notice_decision": "notify_individually", "notice_method": []any{"letter"},
		"notice_started_at": "2026-05-08T10:00", "notice_completed_at": "2026-05-12T10:00",
		"publication_done": false, "publication_omission_reason": "個別通知で足りる",
		"inquiry_desk_opened_at": "2026-05-08T09:00", "inquiry_desk_close_date": "2026-08-31",
		"compensation_form": "none", "unjust_claims_procedure": "弁護士に相談の上で拒否"}
}

func regulatorFacts() map[string]any {
	return map[string]any{"report_destination": "PPC", "prelim_submitted_at": "2026-05-02T10:00",
		"final_submitted_at": "2026-05-20T10:00", "final_receipt_no": "PPC-999", "supplement_status": "none_needed",
		"recurrence_plan_summary": "実施済み: 注意喚起。予定: USB暗号化（6月末、情報システム部）"}
}

var regulatorTicks = []string{"regulator_report.web_form"}

func recurrenceFacts() map[string]any {
	return map[string]any{"recurrence_plan_summary": "実施済み: 注意喚起。予定: USB暗号化（6月末、情報システム部）",
		"effectiveness_review_at": "2026-10-01"}
}

var recurrenceTicks = []string{"recurrence_prevention.measures_four_points", "recurrence_prevention.corrective_action_cycle"}

func disciplineFacts() map[string]any {
	return map[string]any{"sanction": "reprimand", "culpability": "negligence", "discipline_decided_at": "2026-06-01T10:00", "accusation_filed": false}
}

var disciplineTicks = []string{"discipline.work_rules"}

func merge(ms ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// passG1 records discovery, has staff request completion and the manager
// approve it.
func (h *harness) passG1() {
	h.t.Helper()
	h.patch(staff, discoveryFacts())
	h.ticks(staff, discoveryTicks...)
	id := h.submit(staff, KindComplete, StageDiscovery, "", "")
	h.do(manager, Approve{RequestID: id, Note: "確認しました"})
}

func caseJSON(c *Case) (string, error) {
	b, err := json.Marshal(c)
	return string(b), err
}
