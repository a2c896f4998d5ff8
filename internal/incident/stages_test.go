package incident

import (
	"slices"
	"testing"
)

// fullCase returns a case in which every stage's exit criteria and every
// skip reason used below hold; stage states are set by the caller.
func fullCase(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, discoveryFacts())
	h.passG1()
	h.patch(staff, merge(investigationFacts(), policeFacts(), containmentFacts(), noticeFacts(), regulatorFacts(), recurrenceFacts(),
		map[string]any{"encryption": "high_level", "reportability_finding": "not_reportable", "voluntary_report": false}))
	h.ticks(staff, investigationTicks...)
	h.ticks(staff, containmentTicks...)
	h.ticks(staff, regulatorTicks...)
	h.ticks(staff, recurrenceTicks...)
	h.records(staff, containmentRecords()...)
	h.records(staff, recurrenceRecords()...)
	h.patch(hr, disciplineFacts())
	h.ticks(hr, disciplineTicks...)
	return h
}

var matrixReason = map[Stage]string{
	StagePoliceReport:    "NO_CRIME_SELF_CAUSED",
	StageCustomerNotice:  "high_level_encryption",
	StageRegulatorReport: "NOT_REPORTABLE",
	StageDiscipline:      "NO_INDIVIDUAL_FAULT",
}

func writerOf(s Stage) Actor {
	if s == StageDiscipline {
		return hr
	}
	return staff
}

// TestStageMatrix tries every request kind on every stage in every state,
// and for the accepted ones fills the policy's slots and checks the result.
func TestStageMatrix(t *testing.T) {
	base := fullCase(t)
	allStates := []StageState{StateNotStarted, StateInProgress, StateAwaitingApproval, StateDone, StateSkipped, StateNotApplicable}
	kinds := []RequestKind{KindComplete, KindSkip, KindDefer}
	wantAfter := map[RequestKind]StageState{KindComplete: StateDone, KindSkip: StateSkipped, KindDefer: StateInProgress}
	for _, s := range Stages {
		for _, k := range kinds {
			for _, st := range allStates {
				t.Run(string(s)+"/"+string(k)+"/"+string(st), func(t *testing.T) {
					h := &harness{t: t, c: base.c.clone(), now: base.now, nextID: 500}
					h.c.Stages[s].State = st
					_, allowed := policyRule(k, s)
					cmd := SubmitRequest{RequestID: 900, Kind: k, Stage: s, ReasonCode: matrixReason[s], Note: "理由"}
					if k == KindDefer {
						cmd.ReasonCode, cmd.ReviewBy = "takedown_in_progress", "2026-05-04"
					}
					switch {
					case !allowed:
						h.fail(writerOf(s), cmd, CodeUnmetCriteria)
						return
					case st != StateInProgress:
						h.fail(writerOf(s), cmd, CodeConflict)
						return
					}
					h.do(writerOf(s), cmd)
					h.wantState(s, StateAwaitingApproval)
					roles, _ := RequiredApprovals(k, s, h.c)
					for i, role := range roles {
						a := Actor{UserID: int64(300 + i), Name: string(role), Roles: []Role{role}}
						evs := h.do(a, Approve{RequestID: 900, Note: "確認しました"})
						final := pBool(evs[0].Payload, "final")
						if final != (i == len(roles)-1) {
							t.Fatalf("approval %d of %d: final=%v", i+1, len(roles), final)
						}
					}
					h.wantState(s, wantAfter[k])
					if r := h.c.Request(900); r.State != RequestApproved || len(r.Approvals) != len(roles) {
						t.Fatalf("request %+v", r)
					}
					if k == KindSkip && h.c.Stages[s].SkipReasonCode != matrixReason[s] {
						t.Fatalf("skip reason %q", h.c.Stages[s].SkipReasonCode)
					}
					if k == KindDefer && h.c.Stages[s].DeferredUntil != "2026-05-04" {
						t.Fatalf("deferred until %q", h.c.Stages[s].DeferredUntil)
					}
				})
			}
		}
	}
}

func TestStageTable_SkipRulesMatchPolicy(t *testing.T) {
	wantSkippable := map[Stage]bool{StagePoliceReport: true, StageCustomerNotice: true, StageRegulatorReport: true, StageDiscipline: true}
	for _, s := range Stages {
		d := Def(s)
		if d.Skippable() != wantSkippable[s] {
			t.Errorf("%s skippable=%v", s, d.Skippable())
		}
		if _, ok := policyRule(KindSkip, s); ok != d.Skippable() {
			t.Errorf("%s: skip policy and skip reasons disagree", s)
		}
		if _, ok := policyRule(KindDefer, s); ok != (len(d.DeferReasons) > 0) {
			t.Errorf("%s: defer policy and defer reasons disagree", s)
		}
		if _, ok := policyRule(KindComplete, s); !ok {
			t.Errorf("%s has no completion rule", s)
		}
		if d.LabelJA == "" || d.EntryJA == "" || d.Exit == nil || d.Opens == nil || len(d.Writers) == 0 {
			t.Errorf("%s: incomplete row", s)
		}
	}
	codes := func(s Stage) []string {
		var out []string
		for _, r := range Def(s).SkipReasons {
			out = append(out, r.Code)
		}
		return out
	}
	if got := codes(StagePoliceReport); !slices.Equal(got, []string{"NO_CRIME_SELF_CAUSED", "ITEM_RECOVERED", "PURE_INTERNAL_LOSS"}) {
		t.Errorf("police codes %v", got)
	}
	if got := codes(StageCustomerNotice); !slices.Equal(got, []string{"recovered_unviewed", "high_level_encryption", "later_found_not_reportable", "not_reportable_low_risk"}) {
		t.Errorf("notice codes %v", got)
	}
	if got := codes(StageRegulatorReport); !slices.Equal(got, []string{"NOT_REPORTABLE"}) {
		t.Errorf("regulator codes %v", got)
	}
	if got := codes(StageDiscipline); !slices.Equal(got, []string{"NO_INDIVIDUAL_FAULT"}) {
		t.Errorf("discipline codes %v", got)
	}
}

func TestSkipReasons(t *testing.T) {
	tests := []struct {
		stage  Stage
		code   string
		facts  map[string]any // make the reason's facts hold
		unmet  map[string]any // make them fail (nil: the reason has no precondition)
		writer Actor
	}{
		{StagePoliceReport, "NO_CRIME_SELF_CAUSED", nil, nil, staff},
		{StagePoliceReport, "ITEM_RECOVERED", nil, nil, staff},
		{StagePoliceReport, "PURE_INTERNAL_LOSS", nil, nil, staff},
		{StageCustomerNotice, "recovered_unviewed", map[string]any{"recovered_unviewed": true}, map[string]any{"recovered_unviewed": false}, staff},
		{StageCustomerNotice, "high_level_encryption", map[string]any{"encryption": "high_level"}, map[string]any{"encryption": "password_only"}, staff},
		{StageCustomerNotice, "later_found_not_reportable", map[string]any{"reportability_finding": "not_reportable"}, map[string]any{"reportability_finding": "reportable"}, staff},
		{StageCustomerNotice, "not_reportable_low_risk", map[string]any{"reportability_finding": "not_reportable"}, map[string]any{"reportability_finding": nil}, staff},
		{StageRegulatorReport, "NOT_REPORTABLE", map[string]any{"reportability_finding": "not_reportable", "voluntary_report": true}, map[string]any{"voluntary_report": nil}, staff},
		{StageDiscipline, "NO_INDIVIDUAL_FAULT", nil, nil, hr},
	}
	for _, tt := range tests {
		t.Run(string(tt.stage)+"/"+tt.code, func(t *testing.T) {
			h := newHarness(t, nil)
			h.passG1()
			h.patch(staff, investigationFacts())
			h.ticks(staff, investigationTicks...)
			id := h.submit(staff, KindComplete, StageInvestigation, "", "")
			h.do(manager, Approve{RequestID: id, Note: "確認しました"})
			h.wantState(tt.stage, StateInProgress)
			cmd := SubmitRequest{RequestID: 800, Kind: KindSkip, Stage: tt.stage, ReasonCode: tt.code, Note: "理由を記載"}

			bad := cmd
			bad.ReasonCode = "NOT_A_CODE"
			if e := h.fail(tt.writer, bad, CodeInvalid); e.Fields[0].Field != "reason_code" {
				t.Fatalf("fields %v", e.Fields)
			}
			noNote := cmd
			noNote.Note = " "
			h.fail(tt.writer, noNote, CodeInvalid)
			if tt.unmet != nil {
				h.patch(fieldWriter(tt.unmet), merge(tt.facts, tt.unmet))
				h.fail(tt.writer, cmd, CodeUnmetCriteria)
			}
			if tt.facts != nil {
				h.patch(staff, tt.facts)
			}
			h.do(tt.writer, cmd)
			roles, _ := RequiredApprovals(KindSkip, tt.stage, h.c)
			for i, r := range roles {
				h.do(Actor{UserID: int64(600 + i), Roles: []Role{r}}, Approve{RequestID: 800, Note: "確認しました"})
			}
			h.wantState(tt.stage, StateSkipped)
			if st := h.c.Stages[tt.stage]; st.SkipReasonCode != tt.code || st.SkipReasonText != "理由を記載" {
				t.Fatalf("stage status %+v", st)
			}
		})
	}
}

func fieldWriter(m map[string]any) Actor {
	for k := range m {
		if f, _ := LookupField(k); f.Stage == StageDiscipline {
			return hr
		}
	}
	return staff
}

func TestNeverSkippable(t *testing.T) {
	for _, s := range []Stage{StageDiscovery, StageInvestigation, StageContainment, StageRecurrencePrevention} {
		h := fullCase(t)
		h.c.Stages[s].State = StateInProgress
		e := h.fail(staff, SubmitRequest{RequestID: 1, Kind: KindSkip, Stage: s, ReasonCode: "X", Note: "n"}, CodeUnmetCriteria)
		if len(e.Missing) == 0 {
			t.Fatalf("%s: no missing item", s)
		}
	}
}

func TestEntry_G1OpensFourParallelStages(t *testing.T) {
	h := newHarness(t, discoveryFacts())
	h.wantState(StageDiscovery, StateInProgress)
	for _, s := range Stages[1:] {
		h.wantState(s, StateNotStarted)
	}
	h.ticks(staff, discoveryTicks...)
	id := h.submit(staff, KindComplete, StageDiscovery, "", "")
	evs := h.do(manager, Approve{RequestID: id, Note: "確認しました"})
	var got []string
	for _, e := range evs {
		got = append(got, e.Type+":"+pStr(e.Payload, "stage")+pStr(e.Payload, "to"))
	}
	want := []string{"request_approved:", "stage_changed:discoverydone", "stage_opened:investigation",
		"stage_opened:police_report", "stage_opened:containment", "stage_opened:regulator_report"}
	if !slices.Equal(got, want) {
		t.Fatalf("events\n got %v\nwant %v", got, want)
	}
	for _, s := range []Stage{StageCustomerNotice, StageRecurrencePrevention, StageDiscipline} {
		h.wantState(s, StateNotStarted)
	}
}

func TestEntry_LaterStages(t *testing.T) {
	t.Run("customer notice opens on partial report items 1,2,4,5", func(t *testing.T) {
		h := newHarness(t, discoveryFacts())
		h.patch(staff, map[string]any{"data_items": []any{"name"}, "cause_category": "human_error", "secondary_damage_exists": "unknown"})
		h.wantState(StageCustomerNotice, StateNotStarted) // not before G1
		h.passG1()
		h.wantState(StageCustomerNotice, StateInProgress)
	})
	t.Run("customer notice waits for secondary damage", func(t *testing.T) {
		h := newHarness(t, discoveryFacts())
		h.passG1()
		h.patch(staff, map[string]any{"data_items": []any{"name"}, "root_cause": "誤送信"})
		h.wantState(StageCustomerNotice, StateNotStarted)
		evs := h.do(staff, PatchFacts{Patch: map[string]any{"secondary_damage_exists": "no"}})
		if len(evs) != 2 || evs[1].Type != EventStageOpened || pStr(evs[1].Payload, "stage") != "customer_notice" {
			t.Fatalf("events %+v", evs)
		}
	})
	t.Run("recurrence opens on a preliminary cause, not on unknown_pending", func(t *testing.T) {
		h := newHarness(t, discoveryFacts())
		h.passG1()
		h.patch(staff, map[string]any{"cause_category": "unknown_pending"})
		h.wantState(StageRecurrencePrevention, StateNotStarted)
		h.patch(staff, map[string]any{"cause_category": "process_gap"})
		h.wantState(StageRecurrencePrevention, StateInProgress)
	})
	t.Run("investigation done opens notice, recurrence and discipline", func(t *testing.T) {
		h := newHarness(t, discoveryFacts())
		h.passG1()
		f := investigationFacts()
		f["cause_category"], f["open_questions"], f["followup_owner"], f["followup_due_date"] = "unknown_pending", "経路", "担当 一郎", "2026-06-01"
		delete(f, "secondary_damage_exists")
		f["occurred_at_precision"] = "unknown"
		delete(f, "occurred_at")
		h.patch(staff, f)
		h.ticks(staff, investigationTicks...)
		// secondary_damage_exists is needed for the exit, so record it
		// after checking notice did not open on partial items.
		h.wantState(StageCustomerNotice, StateNotStarted)
		h.wantState(StageRecurrencePrevention, StateInProgress) // root_cause recorded
		h.patch(staff, map[string]any{"secondary_damage_exists": "no", "root_cause": nil})
		id := h.submit(staff, KindComplete, StageInvestigation, "", "")
		h.do(manager, Approve{RequestID: id, Note: "確認しました"})
		h.wantState(StageDiscipline, StateInProgress)
		h.wantState(StageCustomerNotice, StateInProgress)
	})
}

func missingItems(m []Missing) []string {
	var out []string
	for _, x := range m {
		out = append(out, x.Item)
	}
	return out
}

func TestExitCriteria(t *testing.T) {
	tests := []struct {
		name  string
		stage Stage
		facts map[string]any
		owner int64
		ticks []string
		want  []string // exactly these missing items
	}{
		{"discovery empty", StageDiscovery, nil, 0, nil, []string{"recognized_at", "reported_to_soumu_at", "containment_ordered_at",
			"prelim_screen", "exec_notification_decision", "involves_my_number", "owner", "discovery.evidence_preserved"}},
		{"discovery met", StageDiscovery, discoveryFacts(), 1, discoveryTicks, nil},
		{"discovery exec notified now", StageDiscovery, merge(discoveryFacts(), map[string]any{"exec_notification_decision": "notify_now"}), 1, discoveryTicks, []string{"exec_notified_at"}},
		{"discovery my number unknown", StageDiscovery, merge(discoveryFacts(), map[string]any{"involves_my_number": "unknown"}), 1, discoveryTicks, []string{"mynumber_officer_notified_at"}},
		{"discovery customer complaint", StageDiscovery, merge(discoveryFacts(), map[string]any{"discovery_source": "customer_complaint"}), 1, discoveryTicks, []string{"discovery.customer_interview"}},
		{"investigation met", StageInvestigation, investigationFacts(), 0, investigationTicks, nil},
		{"investigation cause unknown needs follow-up", StageInvestigation, merge(investigationFacts(), map[string]any{"cause_category": "unknown_pending", "root_cause": nil}), 0, investigationTicks, []string{"open_questions"}},
		{"investigation open questions need owner", StageInvestigation, merge(investigationFacts(), map[string]any{"open_questions": "流出先"}), 0, investigationTicks, []string{"followup_owner", "followup_due_date"}},
		{"investigation unauthorized access needs forensics", StageInvestigation, merge(investigationFacts(), map[string]any{"route": "unauthorized_access"}), 0, investigationTicks, []string{"forensic_vendor_engaged"}},
		{"investigation count by upper bound", StageInvestigation, merge(investigationFacts(), map[string]any{"affected_count": nil, "affected_count_upper_bound": 5000}), 0, investigationTicks, nil},
		{"investigation no count", StageInvestigation, merge(investigationFacts(), map[string]any{"affected_count": nil}), 0, investigationTicks, []string{"affected_count"}},
		{"police empty", StagePoliceReport, nil, 0, nil, []string{"police_actions"}},
		{"police met", StagePoliceReport, policeFacts(), 0, nil, nil},
		{"police consultation needs no receipt", StagePoliceReport, map[string]any{"police_actions": []any{"consultation"}, "police_station": "署", "police_filed_at": "2026-05-01T10:00"}, 0, nil, nil},
		{"police report needs receipt", StagePoliceReport, merge(policeFacts(), map[string]any{"police_receipt_no": nil}), 0, nil, []string{"police_receipt_no"}},
		{"containment met", StageContainment, containmentFacts(), 0, containmentTicks, nil},
		{"containment identified needs who", StageContainment, merge(containmentFacts(), map[string]any{"destination_status": "identified"}), 0, containmentTicks, []string{"destination_who"}},
		{"containment steps open", StageContainment, merge(containmentFacts(), map[string]any{"warning_letter_status": "in_progress", "destination_status": "unknown"}), 0, containmentTicks, []string{"destination_status", "warning_letter_status"}},
		{"containment all done needs no na reason", StageContainment, merge(containmentFacts(), map[string]any{"return_request_status": "done", "warning_letter_status": "done", "injunction_status": "done", "escalation_na_reason": nil}), 0, containmentTicks, nil},
		{"notice met", StageCustomerNotice, noticeFacts(), 0, nil, nil},
		{"notice omit must skip", StageCustomerNotice, merge(noticeFacts(), map[string]any{"notice_decision": "omit"}), 0, nil, []string{"notice_decision"}},
		{"notice alternative", StageCustomerNotice, merge(noticeFacts(), map[string]any{"notice_decision": "alternative_measure"}), 0, nil, []string{"alternative_reason", "alternative_measure"}},
		{"notice published", StageCustomerNotice, merge(noticeFacts(), map[string]any{"publication_done": true}), 0, nil, []string{"published_at", "publication_channels"}},
		{"regulator met", StageRegulatorReport, regulatorFacts(), 0, regulatorTicks, nil},
		{"regulator needs plan and ministry", StageRegulatorReport, merge(regulatorFacts(), map[string]any{"recurrence_plan_summary": nil, "report_destination": "delegated_ministry"}), 0, regulatorTicks, []string{"ministry_name", "recurrence_plan_summary"}},
		{"regulator combined report needs no prelim", StageRegulatorReport, merge(regulatorFacts(), map[string]any{"prelim_submitted_at": nil, "single_combined_report": true}), 0, regulatorTicks, nil},
		{"recurrence empty", StageRecurrencePrevention, nil, 0, nil, []string{"recurrence_plan_summary", "effectiveness_review_at",
			"recurrence_prevention.measures_four_points", "recurrence_prevention.corrective_action_cycle"}},
		{"discipline met", StageDiscipline, disciplineFacts(), 0, disciplineTicks, nil},
		{"discipline accusation", StageDiscipline, merge(disciplineFacts(), map[string]any{"accusation_filed": true}), 0, disciplineTicks, []string{"accusation_filed_at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			facts, fes := NormalizePatch(tt.facts, t0)
			if len(fes) > 0 {
				t.Fatal(fes)
			}
			for k, v := range facts {
				if v == nil {
					delete(facts, k)
				}
			}
			ticks := map[string]Tick{}
			for _, id := range tt.ticks {
				ticks[id] = Tick{Checked: true}
			}
			got := missingItems(ExitCriteria(tt.stage, ExitInput{Facts: facts, Checklist: ticks, OwnerID: tt.owner, Records: stageRecordsMet(t, tt.stage)}))
			if !slices.Equal(got, tt.want) {
				t.Fatalf("missing\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestChecklist_EveryStageHasItemsWithCitations(t *testing.T) {
	want := map[Stage]int{StageDiscovery: 9, StageInvestigation: 9, StagePoliceReport: 4, StageContainment: 6,
		StageCustomerNotice: 9, StageRegulatorReport: 7, StageRecurrencePrevention: 7, StageDiscipline: 4}
	for _, s := range Stages {
		items := Checklist(s)
		if len(items) != want[s] {
			t.Errorf("%s: %d items, want %d", s, len(items), want[s])
		}
		for _, it := range items {
			if it.Citation == "" || it.JA == "" || it.EN == "" || !slices.Contains([]string{"[P]", "[V]"}, it.Citation[len(it.Citation)-3:]) {
				t.Errorf("%s: incomplete or unmarked citation %q", it.ID, it.Citation)
			}
		}
	}
}
