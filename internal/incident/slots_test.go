package incident

import (
	"fmt"
	"testing"
)

// slotApprover is the person who fills a slot of each role in TestPolicySlots_EveryWayToReach:
// none of them records stage data in the set-ups, so maker ≠ checker never gets in the way.
var slotApprover = map[Role]Actor{
	RoleManager:        manager,
	RolePrivacyOfficer: officer,
	RoleExecutive:      ceo,
	RoleHR:             hrHead,
}

// pendingAt builds a case on which a request of kind for stage is pending, after set-up has
// recorded what the row is about; it returns the request id.
type pendingAt func(h *harness) int64

// stageRequest passes G1, records facts and records as staff (hr for discipline), ticks the
// stage's checklist and submits the request.
func stageRequest(kind RequestKind, st Stage, code string, facts map[string]any, ticks []string, recs ...AddRecord) pendingAt {
	return func(h *harness) int64 {
		maker := staff
		if st == StageDiscipline {
			h.patch(staff, investigationFacts())
			h.ticks(staff, investigationTicks...)
			h.do(manager, Approve{RequestID: h.submit(staff, KindComplete, StageInvestigation, "", ""), Note: "調査結果を確認した"})
			maker = hr
		}
		if len(facts) > 0 {
			h.patch(maker, facts)
		}
		h.ticks(maker, ticks...)
		h.records(maker, recs...)
		note := ""
		if kind == KindSkip {
			note = "理由は記録のとおり"
		}
		return h.submit(maker, kind, st, code, note)
	}
}

var (
	injunctionFiled = AddRecord{Kind: RecInjunction, Values: map[string]any{"court": "東京地方裁判所", "filed_at": "2026-05-10",
		"case_no": "令和8年(ヨ)第123号", "status": "pending", "counsel": "弁護士 甲"}}
	accusationRecord = AddRecord{Kind: RecCriminalComplaint, Values: map[string]any{"kind": "accusation", "against": "社員番号1234",
		"station": "新宿警察署", "filed_on": "2026-06-02"}}
	dismissalRecord = AddRecord{Kind: RecDiscipline, Values: map[string]any{"employee": "社員番号1234", "culpability": "intentional",
		"sanction": "disciplinary_dismissal"}}
)

func containmentCase(extra map[string]any, recs ...AddRecord) pendingAt {
	return stageRequest(KindComplete, StageContainment, "", merge(containmentFacts(), extra), containmentTicks,
		append(containmentRecords(), recs...)...)
}

func noticeCase(extra map[string]any) pendingAt {
	return stageRequest(KindComplete, StageCustomerNotice, "", merge(investigationFacts(), noticeFacts(), extra), nil)
}

func disciplineCase(extra map[string]any, recs ...AddRecord) pendingAt {
	return stageRequest(KindComplete, StageDiscipline, "", merge(disciplineFacts(), extra), disciplineTicks, recs...)
}

// TestPolicySlots_EveryWayToReach names every slot of domain.md §5.3 and every way the case can
// reach the decision the slot guards — a fact, a stage record, the notice decision, the
// compensation total — and checks that exactly the slots of the row are needed: each approver but
// the last leaves the request pending, the last one decides it. The approvals carry reasons
// (§5.2(8)); an approval without one is refused.
func TestPolicySlots_EveryWayToReach(t *testing.T) {
	tests := []struct {
		slot  string // the §5.3 row
		way   string // how the case reaches it
		setup pendingAt
		want  []Role // in route order
	}{
		{"G1: accept the case", "discovery complete", func(h *harness) int64 {
			h.patch(staff, discoveryFacts())
			h.ticks(staff, discoveryTicks...)
			return h.submit(staff, KindComplete, StageDiscovery, "", "")
		}, []Role{RoleManager}},
		{"close as not an incident", "close_not_incident request", func(h *harness) int64 {
			h.patch(staff, discoveryFacts())
			return h.submit(staff, KindCloseNotIncident, "", "", "誤報：USBは机の中にあった")
		}, []Role{RoleManager, RolePrivacyOfficer}},
		{"exit investigation / reportable", "fact reportability_finding=reportable",
			stageRequest(KindComplete, StageInvestigation, "", investigationFacts(), investigationTicks), []Role{RoleManager}},
		{"reportability: not reportable", "fact reportability_finding=not_reportable",
			stageRequest(KindComplete, StageInvestigation, "", merge(investigationFacts(), map[string]any{"reportability_finding": "not_reportable"}), investigationTicks),
			[]Role{RoleManager, RolePrivacyOfficer}},
		{"police filing", "fact police_actions without accusation",
			stageRequest(KindComplete, StagePoliceReport, "", policeFacts(), nil), []Role{RoleManager}},
		{"police accusation", "fact police_actions contains accusation",
			stageRequest(KindComplete, StagePoliceReport, "", merge(policeFacts(), map[string]any{"police_actions": []any{"accusation"}}), nil),
			[]Role{RoleManager, RoleExecutive}},
		{"skip police stage", "skip request",
			stageRequest(KindSkip, StagePoliceReport, "ITEM_RECOVERED", nil, nil), []Role{RoleManager}},
		{"warning letter / injunction: none", "no legal step", containmentCase(nil), []Role{RoleManager}},
		{"injunction suit", "fact injunction_filed_at", containmentCase(map[string]any{"injunction_filed_at": "2026-05-10T10:00"}),
			[]Role{RoleManager, RoleExecutive}},
		{"injunction suit", "injunction record without the fact (bypass 1)", containmentCase(nil, injunctionFiled),
			[]Role{RoleManager, RoleExecutive}},
		{"injunction suit", "fact injunction_status=done with its record",
			containmentCase(map[string]any{"injunction_status": "done", "escalation_na_reason": "警告・返還請求は不要"}, injunctionFiled),
			[]Role{RoleManager, RoleExecutive}},
		{"individual-notice content and start", "individual notice, no publication, no compensation", noticeCase(nil), []Role{RoleManager}},
		{"publication", "fact publication_done", noticeCase(map[string]any{"publication_done": true, "published_at": "2026-05-09T10:00",
			"publication_channels": []any{"website"}}), []Role{RoleManager, RoleExecutive}},
		{"publication", "alternative measure containing publication (bypass 2)", noticeCase(map[string]any{
			"notice_decision": "alternative_measure", "alternative_reason": "no_contact_info", "alternative_measure": []any{"publication"}}),
			[]Role{RoleManager, RoleExecutive}},
		{"compensation policy", "¥300 × 3,000 people: at or below the amount", noticeCase(map[string]any{
			"compensation_form": "gift_card", "compensation_amount_per_person": 300}), []Role{RoleManager}},
		{"compensation policy", "¥50,000 × 3,000 people: above the amount (bypass 4)", noticeCase(map[string]any{
			"compensation_form": "cash", "compensation_amount_per_person": 50000}), []Role{RoleManager, RoleExecutive}},
		{"compensation policy", "register total above the amount, no per-person amount", func(h *harness) int64 {
			h.c.Outside = Outside{RegisterCount: 3000, RegisterCompensationTotal: 1_500_000}
			return noticeCase(map[string]any{"compensation_form": "other"})(h)
		}, []Role{RoleManager, RoleExecutive}},
		{"compensation policy", "¥300 × 3,000 people above a company amount of ¥500,000", func(h *harness) int64 {
			h.c.Outside = Outside{CompensationExecutiveAbove: 500_000}
			return noticeCase(map[string]any{"compensation_form": "gift_card", "compensation_amount_per_person": 300})(h)
		}, []Role{RoleManager, RoleExecutive}},
		{"compensation policy", "¥500 × register of 3,000 when the investigated count is lower", func(h *harness) int64 {
			h.c.Outside = Outside{RegisterCount: 3000}
			return noticeCase(map[string]any{"affected_count": 100, "compensation_form": "gift_card", "compensation_amount_per_person": 500})(h)
		}, []Role{RoleManager, RoleExecutive}},
		{"omit individual notice", "skip request",
			stageRequest(KindSkip, StageCustomerNotice, "later_found_not_reportable", merge(investigationFacts(), map[string]any{"reportability_finding": "not_reportable"}), nil),
			[]Role{RoleManager, RolePrivacyOfficer}},
		{"defer individual notice", "defer request", func(h *harness) int64 {
			h.patch(staff, investigationFacts())
			h.nextID++
			h.do(staff, SubmitRequest{RequestID: h.nextID, Kind: KindDefer, Stage: StageCustomerNotice, ReasonCode: "takedown_in_progress", ReviewBy: "2026-05-08"})
			return h.nextID
		}, []Role{RoleManager, RolePrivacyOfficer}},
		{"final report filing", "regulator report complete (privacy officer countersigns)",
			stageRequest(KindComplete, StageRegulatorReport, "", regulatorFacts(), regulatorTicks), []Role{RoleManager, RolePrivacyOfficer}},
		{"not reportable: no filing", "regulator skip NOT_REPORTABLE",
			stageRequest(KindSkip, StageRegulatorReport, "NOT_REPORTABLE", map[string]any{"reportability_finding": "not_reportable", "voluntary_report": false}, nil),
			[]Role{RoleManager, RolePrivacyOfficer}},
		{"recurrence-prevention plan / completion", "recurrence complete",
			stageRequest(KindComplete, StageRecurrencePrevention, "", merge(recurrenceFacts(), map[string]any{"root_cause": "誤送信"}), recurrenceTicks, recurrenceRecords()...),
			[]Role{RolePrivacyOfficer}},
		{"discipline decision", "reprimand", disciplineCase(nil), []Role{RoleHR}},
		{"discipline: dismissal level", "fact sanction=disciplinary_dismissal",
			disciplineCase(map[string]any{"sanction": "disciplinary_dismissal", "culpability": "intentional"}), []Role{RoleHR, RoleExecutive}},
		{"discipline: dismissal level", "fact and per-employee record of dismissal",
			disciplineCase(map[string]any{"sanction": "disciplinary_dismissal", "culpability": "intentional"}, dismissalRecord), []Role{RoleHR, RoleExecutive}},
		{"accusation against an employee", "discipline accusation_filed + criminal_complaint record (bypass 3)",
			disciplineCase(map[string]any{"accusation_filed": true, "accusation_filed_at": "2026-06-02T10:00", "accusation_station": "新宿警察署"}, accusationRecord),
			[]Role{RoleHR, RoleManager, RoleExecutive}},
		{"skip discipline", "skip NO_INDIVIDUAL_FAULT", stageRequest(KindSkip, StageDiscipline, "NO_INDIVIDUAL_FAULT", nil, nil), []Role{RoleHR, RoleManager}},
		{"case closure", "close request", func(h *harness) int64 {
			h2 := storyS2a(h.t)
			*h = *h2
			return h.submit(manager, KindClose, "", "", "全段階完了")
		}, []Role{RolePrivacyOfficer}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s", tt.slot, tt.way), func(t *testing.T) {
			build := func() (*harness, int64) {
				h := newHarness(t, nil)
				if tt.slot != "G1: accept the case" && tt.slot != "close as not an incident" && tt.slot != "case closure" {
					h.passG1()
				}
				id := tt.setup(h)
				if r := h.c.Request(id); r == nil || r.State != RequestPending {
					t.Fatalf("request %d is not pending", id)
				}
				return h, id
			}
			// §5.2(8): every approval carries a reason (bypass 5).
			if h, id := build(); true {
				if _, err := h.try(slotApprover[tt.want[0]], Approve{RequestID: id}); ErrorCode(err) != CodeInvalid {
					t.Errorf("approval without a reason by %s: %v, want %s", tt.want[0], err, CodeInvalid)
				}
			}
			h, id := build()
			for i, role := range tt.want {
				a := slotApprover[role]
				if _, err := h.try(a, Approve{RequestID: id, Note: role.LabelJA() + "として確認した"}); err != nil {
					t.Fatalf("slot %d (%s): %v", i+1, role, err)
				}
				last := i == len(tt.want)-1
				if st := h.c.Request(id).State; last != (st == RequestApproved) {
					t.Fatalf("after slot %d of %v (%s) the request is %s: the case needs other slots than %v", i+1, tt.want, role, st, tt.want)
				}
			}
		})
	}
}
