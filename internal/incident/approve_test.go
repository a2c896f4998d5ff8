package incident

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// g1Pending returns a case whose discovery completion, requested by
// requester, awaits approval.
func g1Pending(t *testing.T, requester Actor) (*harness, int64) {
	h := newHarness(t, discoveryFacts())
	h.ticks(staff, discoveryTicks...)
	return h, h.submit(requester, KindComplete, StageDiscovery, "", "")
}

func TestApprove_RequesterCannotApprove(t *testing.T) {
	for _, requester := range []Actor{
		{UserID: 10, Name: "部長", Roles: []Role{RoleManager}},
		{UserID: 12, Name: "部長兼管理者", Roles: []Role{RoleStaff, RoleManager, RoleAdmin}},
	} {
		h, id := g1Pending(t, requester)
		e := h.fail(requester, Approve{RequestID: id, Note: "確認しました"}, CodeForbidden)
		if e.JA == "" || e.EN == "" {
			t.Fatal("messages required")
		}
		h.fail(requester, SendBack{RequestID: id, Note: "x"}, CodeForbidden)
	}
}

func TestApprove_StageEditorCannotApprove(t *testing.T) {
	h := newHarness(t, discoveryFacts())
	h.patch(manager, map[string]any{"exec_notification_decision": "not_needed", "initial_description": "部長が補記"})
	h.ticks(staff, discoveryTicks...)
	id := h.submit(staff, KindComplete, StageDiscovery, "", "")
	h.fail(manager, Approve{RequestID: id, Note: "確認しました"}, CodeForbidden)
	h.do(deputy, Approve{RequestID: id, Note: "部長が当事者のため副部長が確認"})
	h.wantState(StageDiscovery, StateDone)
}

// TestApprove_Delegation: 代理承認 is allowed only to the deputy an admin registered for the absent
// principal, inside the period; the deputy fills the principal's slot with the principal's roles, the
// same separation rules bind both, and the approval records both people.
func TestApprove_Delegation(t *testing.T) {
	recurrence := func(t *testing.T) (*harness, int64) {
		h := newHarness(t, nil)
		h.passG1()
		h.patch(staff, merge(recurrenceFacts(), map[string]any{"root_cause": "誤送信"}))
		h.ticks(staff, recurrenceTicks...)
		h.records(staff, recurrenceRecords()...)
		return h, h.submit(staff, KindComplete, StageRecurrencePrevention, "", "")
	}
	reg := func(principal, dep Actor, from, until time.Time) *Delegation {
		return &Delegation{ID: 9, PrincipalID: principal.UserID, PrincipalName: principal.Name, PrincipalRoles: principal.Roles, DeputyID: dep.UserID, From: from, Until: until}
	}
	in := func(h *harness) (time.Time, time.Time) { return h.now.Add(-time.Hour), h.now.Add(24 * time.Hour) }
	for _, tt := range []struct {
		name  string
		actor Actor
		cmd   func(h *harness, id int64) Approve
		setup func(h *harness)
		want  Code
	}{
		{"no registration", deputy, func(h *harness, id int64) Approve {
			return Approve{RequestID: id, Note: "代理", OnBehalfOf: officer.UserID}
		}, nil, CodeForbidden},
		{"registered for another principal", deputy, func(h *harness, id int64) Approve {
			f, u := in(h)
			return Approve{RequestID: id, Note: "代理", OnBehalfOf: officer.UserID, Delegation: reg(ceo, deputy, f, u)}
		}, nil, CodeForbidden},
		{"another user's registration", staff2, func(h *harness, id int64) Approve {
			f, u := in(h)
			return Approve{RequestID: id, Note: "代理", OnBehalfOf: officer.UserID, Delegation: reg(officer, deputy, f, u)}
		}, nil, CodeForbidden},
		{"before the period", deputy, func(h *harness, id int64) Approve {
			return Approve{RequestID: id, Note: "代理", OnBehalfOf: officer.UserID, Delegation: reg(officer, deputy, h.now.Add(time.Hour), h.now.Add(48*time.Hour))}
		}, nil, CodeForbidden},
		{"after the period", deputy, func(h *harness, id int64) Approve {
			return Approve{RequestID: id, Note: "代理", OnBehalfOf: officer.UserID, Delegation: reg(officer, deputy, h.now.Add(-48*time.Hour), h.now.Add(-time.Minute))}
		}, nil, CodeForbidden},
		{"deputy is the requester", staff, func(h *harness, id int64) Approve {
			f, u := in(h)
			return Approve{RequestID: id, Note: "代理", OnBehalfOf: officer.UserID, Delegation: reg(officer, staff, f, u)}
		}, nil, CodeForbidden},
		{"principal is involved", deputy, func(h *harness, id int64) Approve {
			f, u := in(h)
			return Approve{RequestID: id, Note: "代理", OnBehalfOf: officer.UserID, Delegation: reg(officer, deputy, f, u)}
		}, func(h *harness) {
			h.do(manager, MarkInvolved{UserID: officer.UserID, Involved: true, Reason: "紛失者の上長"})
		}, CodeForbidden},
		{"no reason", deputy, func(h *harness, id int64) Approve {
			f, u := in(h)
			return Approve{RequestID: id, OnBehalfOf: officer.UserID, Delegation: reg(officer, deputy, f, u)}
		}, nil, CodeInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, id := recurrence(t)
			if tt.setup != nil {
				tt.setup(h)
			}
			e := h.fail(tt.actor, tt.cmd(h, id), tt.want)
			if e.JA == "" {
				t.Fatal("a Japanese reason is required")
			}
		})
	}
	t.Run("registered deputy inside the period", func(t *testing.T) {
		h, id := recurrence(t)
		f, u := in(h)
		evs := h.do(deputy, Approve{RequestID: id, Note: "管理者出張中のため代理承認", OnBehalfOf: officer.UserID, Delegation: reg(officer, deputy, f, u)})
		if !pBool(evs[0].Payload, "final") || pStr(evs[0].Payload, "role") != "privacy_officer" || pInt(evs[0].Payload, "on_behalf_of_id") != officer.UserID {
			t.Fatalf("payload %v", evs[0].Payload)
		}
		ap := h.c.Request(id).Approvals[0]
		if !ap.AsDeputy || ap.UserID != deputy.UserID || ap.Name != deputy.Name || ap.OnBehalfOfID != officer.UserID || ap.OnBehalfOfName != officer.Name || ap.RoleFilled != RolePrivacyOfficer {
			t.Fatalf("approval %+v", ap)
		}
		h.wantState(StageRecurrencePrevention, StateDone)
	})
}

func TestApprove_InvolvedUserRefused(t *testing.T) {
	h, id := g1Pending(t, staff)
	h.do(officer, MarkInvolved{UserID: manager.UserID, Involved: true, Reason: "紛失者の上長"})
	h.fail(manager, Approve{RequestID: id, Note: "確認しました"}, CodeForbidden)
	h.fail(manager, PatchFacts{Patch: map[string]any{"initial_description": "x"}}, CodeForbidden)
	h.fail(officer, MarkInvolved{UserID: staff.UserID, Involved: true, Reason: "x"}, CodeConflict) // the handler: reassign first
	h.do(officer, MarkInvolved{UserID: staff2.UserID, Involved: true, Reason: "紛失者本人"})
	h.fail(staff2, PatchFacts{Patch: map[string]any{"initial_description": "x"}}, CodeForbidden)
	h.fail(manager, AssignOwner{UserID: staff2.UserID}, CodeForbidden)
	h.fail(staff, AssignOwner{UserID: staff2.UserID}, CodeConflict)
	if VisibleFacts(Actor{UserID: manager.UserID, Roles: []Role{RoleManager}}, h.c) == nil {
		t.Fatal("visible facts")
	}
	h.do(officer, MarkInvolved{UserID: manager.UserID, Involved: false, Reason: "誤りだった"})
	h.do(manager, Approve{RequestID: id, Note: "確認しました"})
}

func TestApprove_TwoApproverDecisions(t *testing.T) {
	newNotIncident := func(t *testing.T) (*harness, int64) {
		h := newHarness(t, discoveryFacts())
		return h, h.submit(staff, KindCloseNotIncident, "", "", "誤報：USBは机の中にあった")
	}
	t.Run("one person with both roles fills one slot only", func(t *testing.T) {
		h, id := newNotIncident(t)
		evs := h.do(mgrAndPO, Approve{RequestID: id, Note: "確認しました"})
		if pBool(evs[0].Payload, "final") || h.c.Status != StatusOpen {
			t.Fatal("a dual-role approver must not decide alone")
		}
		e := h.fail(mgrAndPO, Approve{RequestID: id, Note: "確認しました"}, CodeForbidden)
		if e.EN == "" {
			t.Fatal("message")
		}
		h.fail(Actor{UserID: 99, Roles: []Role{RoleExecutive}}, Approve{RequestID: id, Note: "確認しました"}, CodeForbidden)
		// The route's first slot (manager) is stamped; it now waits for the officer.
		h.fail(manager, Approve{RequestID: id, Note: "確認しました"}, CodeForbidden)
		h.do(officer, Approve{RequestID: id, Note: "確認しました"})
		if h.c.Status != StatusClosedNotIncident {
			t.Fatalf("status %s", h.c.Status)
		}
	})
	t.Run("the route's order: the officer stamps after the manager", func(t *testing.T) {
		h, id := newNotIncident(t)
		e := h.fail(officer, Approve{RequestID: id, Note: "確認しました"}, CodeForbidden)
		if !strings.Contains(e.JA, "総務部長・副部長") {
			t.Fatalf("message %q does not name the waiting slot", e.JA)
		}
		h.fail(officer, SendBack{RequestID: id, Note: "先に部長の確認を"}, CodeForbidden)
		h.do(manager, Approve{RequestID: id, Note: "確認しました"})
		route := RouteOf(h.c.Request(id), h.c)
		if len(route) != 2 || route[0].Approval == nil || route[0].Approval.UserID != manager.UserID || route[1].Approval != nil || NextStep(route) != 1 {
			t.Fatalf("route %+v", route)
		}
		h.do(officer, Approve{RequestID: id, Note: "確認しました"})
		if h.c.Status != StatusClosedNotIncident {
			t.Fatal("not closed")
		}
	})
	t.Run("two managers cannot replace the officer", func(t *testing.T) {
		h, id := newNotIncident(t)
		h.do(manager, Approve{RequestID: id, Note: "確認しました"})
		h.fail(deputy, Approve{RequestID: id, Note: "確認しました"}, CodeForbidden)
		h.do(officer, Approve{RequestID: id, Note: "確認しました"})
		if h.c.Status != StatusClosedNotIncident {
			t.Fatal("not closed")
		}
	})
	t.Run("not-reportable investigation needs the officer too", func(t *testing.T) {
		h := newHarness(t, nil)
		h.passG1()
		h.patch(staff, merge(investigationFacts(), map[string]any{"reportability_finding": "not_reportable"}))
		h.ticks(staff, investigationTicks...)
		id := h.submit(staff, KindComplete, StageInvestigation, "", "")
		h.do(manager, Approve{RequestID: id, Note: "確認しました"})
		h.wantState(StageInvestigation, StateAwaitingApproval)
		h.do(officer, Approve{RequestID: id, Note: "確認しました"})
		h.wantState(StageInvestigation, StateDone)
	})
	t.Run("publication adds the CEO after the fact", func(t *testing.T) {
		h := newHarness(t, nil)
		h.passG1()
		h.patch(staff, merge(investigationFacts(), noticeFacts()))
		id := h.submit(staff, KindComplete, StageCustomerNotice, "", "")
		h.patch(staff, map[string]any{"publication_done": true, "published_at": "2026-05-09T10:00", "publication_channels": []any{"website"}})
		if evs := h.do(manager, Approve{RequestID: id, Note: "確認しました"}); pBool(evs[0].Payload, "final") {
			t.Fatal("CEO slot missing")
		}
		h.do(ceo, Approve{RequestID: id, Note: "確認しました"})
		h.wantState(StageCustomerNotice, StateDone)
	})
	t.Run("dismissal needs the CEO, and HR decides", func(t *testing.T) {
		h := newHarness(t, nil)
		h.passG1()
		h.patch(staff, investigationFacts())
		h.ticks(staff, investigationTicks...)
		h.do(manager, Approve{RequestID: h.submit(staff, KindComplete, StageInvestigation, "", ""), Note: "確認しました"})
		h.fail(staff, PatchFacts{Patch: map[string]any{"sanction": "reprimand"}}, CodeForbidden)
		h.fail(manager, TickChecklist{ItemID: "discipline.work_rules", Checked: true}, CodeForbidden)
		h.fail(hr, PatchFacts{Patch: map[string]any{"root_cause": "x"}}, CodeForbidden)
		h.patch(hr, merge(disciplineFacts(), map[string]any{"sanction": "disciplinary_dismissal", "culpability": "intentional"}))
		h.ticks(hr, disciplineTicks...)
		id := h.submit(hr, KindComplete, StageDiscipline, "", "")
		h.fail(manager, Approve{RequestID: id, Note: "確認しました"}, CodeForbidden)
		h.fail(hr, Approve{RequestID: id, Note: "確認しました"}, CodeForbidden) // requester
		h.do(hrHead, Approve{RequestID: id, Note: "確認しました"})
		h.wantState(StageDiscipline, StateAwaitingApproval)
		h.do(ceo, Approve{RequestID: id, Note: "確認しました"})
		h.wantState(StageDiscipline, StateDone)
	})
}

func TestApprove_DecidedRequestRefused(t *testing.T) {
	h, id := g1Pending(t, staff)
	h.do(manager, Approve{RequestID: id, Note: "確認しました"})
	h.fail(deputy, Approve{RequestID: id, Note: "確認しました"}, CodeAlreadyDecided)
	h.fail(deputy, SendBack{RequestID: id, Note: "x"}, CodeAlreadyDecided)
	h.fail(deputy, Approve{RequestID: 424242, Note: "確認しました"}, CodeNotFound)
}

func TestApprove_ReadOnlyRoles(t *testing.T) {
	h, id := g1Pending(t, staff)
	for _, a := range []Actor{auditor, admin, {UserID: 51, Roles: []Role{RoleAuditor, RoleManager}}} {
		h.fail(a, Approve{RequestID: id, Note: "確認しました"}, CodeForbidden)
		h.fail(a, PatchFacts{Patch: map[string]any{"initial_description": "x"}}, CodeForbidden)
		h.fail(a, TickChecklist{ItemID: "discovery.report_to_soumu", Checked: true}, CodeForbidden)
		h.fail(a, SubmitRequest{RequestID: 77, Kind: KindCloseNotIncident, Note: "x"}, CodeForbidden)
		if CanHandle(a, h.c) {
			t.Fatalf("%v can handle", a.Roles)
		}
		if len(AvailableActions(a, h.c)) != 0 {
			t.Fatalf("%v has actions %v", a.Roles, AvailableActions(a, h.c))
		}
	}
	if !CanSeeRestricted(auditor) || CanSeeRestricted(admin) || CanSeeRestricted(staff) {
		t.Fatal("restricted visibility")
	}
	c := &Case{Facts: Facts{"sanction": "none", "root_cause": "x"}}
	if _, ok := VisibleFacts(staff, c)["sanction"]; ok {
		t.Fatal("staff sees discipline data")
	}
	if _, ok := VisibleFacts(hr, c)["sanction"]; !ok {
		t.Fatal("hr cannot see discipline data")
	}
}

func TestApprove_RechecksCurrentFacts(t *testing.T) {
	h, id := g1Pending(t, staff)
	h.patch(staff2, map[string]any{"containment_ordered_at": nil})
	e := h.fail(manager, Approve{RequestID: id, Note: "確認しました"}, CodeUnmetCriteria)
	if !slices.Contains(missingItems(e.Missing), "containment_ordered_at") {
		t.Fatalf("missing %v", e.Missing)
	}
	if h.c.Request(id).Snapshot["containment_ordered_at"] == nil {
		t.Fatal("snapshot must keep the facts the request was made on")
	}
	h.patch(staff2, map[string]any{"containment_ordered_at": "2026-05-01T09:00"})
	h.do(manager, Approve{RequestID: id, Note: "確認しました"})
}

func TestSendBack_ReturnsStageWithComment(t *testing.T) {
	h, id := g1Pending(t, staff)
	h.fail(manager, SendBack{RequestID: id}, CodeInvalid)
	h.fail(officer, SendBack{RequestID: id, Note: "x"}, CodeForbidden) // not a role this request needs
	evs := h.do(manager, SendBack{RequestID: id, Note: "第一報の時刻を確認してください"})
	if len(evs) != 2 || evs[1].Type != EventStageChanged || pStr(evs[1].Payload, "to") != "in_progress" {
		t.Fatalf("events %+v", evs)
	}
	r := h.c.Request(id)
	if r.State != RequestSentBack || r.DecisionNote != "第一報の時刻を確認してください" || r.DecidedBy != manager.UserID {
		t.Fatalf("request %+v", r)
	}
	h.wantState(StageDiscovery, StateInProgress)
	if h.c.Stages[StageDiscovery].Note != "第一報の時刻を確認してください" {
		t.Fatal("comment not on the stage")
	}
	id2 := h.submit(staff, KindComplete, StageDiscovery, "", "")
	// The same request made again is round 2 of the 稟議, its route starting from the first slot.
	if r1, r2 := h.c.Request(id), h.c.Request(id2); r1.Round != 1 || r2.Round != 2 || NextStep(RouteOf(r2, h.c)) != 0 {
		t.Fatalf("rounds %d, %d", r1.Round, r2.Round)
	}
	h.do(manager, Approve{RequestID: id2, Note: "確認しました"})
}

func TestSubmit_Conflicts(t *testing.T) {
	h, id := g1Pending(t, staff)
	h.fail(staff, SubmitRequest{RequestID: id, Kind: KindCloseNotIncident, Note: "x"}, CodeConflict)
	h.fail(staff, SubmitRequest{RequestID: 1000, Kind: KindComplete, Stage: StageDiscovery}, CodeConflict)
	h.fail(staff, SubmitRequest{RequestID: 1000, Kind: "publish", Stage: StageDiscovery}, CodeInvalid)
	h.fail(staff, SubmitRequest{RequestID: 1000, Kind: KindComplete, Stage: "nope"}, CodeInvalid)
	h.fail(staff, SubmitRequest{RequestID: 1000, Kind: KindComplete, Stage: StageInvestigation}, CodeConflict)
	h.fail(staff, SubmitRequest{RequestID: 1000, Kind: KindClose}, CodeForbidden)
	e := h.fail(manager, SubmitRequest{RequestID: 1000, Kind: KindClose}, CodeUnmetCriteria)
	if len(e.Missing) != 8 {
		t.Fatalf("missing %v", missingItems(e.Missing))
	}
	h.fail(staff, SubmitRequest{RequestID: 1000, Kind: KindCloseNotIncident}, CodeInvalid)
}

func TestDefer_CustomerNotice(t *testing.T) {
	h := newHarness(t, nil)
	h.passG1()
	h.patch(staff, investigationFacts())
	h.wantState(StageCustomerNotice, StateInProgress)
	base := SubmitRequest{RequestID: 700, Kind: KindDefer, Stage: StageCustomerNotice, ReasonCode: "takedown_in_progress", ReviewBy: "2026-05-08"}
	tooLate := base
	tooLate.ReviewBy = "2026-05-09"
	h.fail(staff, tooLate, CodeInvalid)
	past := base
	past.ReviewBy = "2026-04-30"
	h.fail(staff, past, CodeInvalid)
	badReason := base
	badReason.ReasonCode = "busy"
	h.fail(staff, badReason, CodeInvalid)
	h.do(staff, base)
	if h.c.Facts.Str("notice_decision") != "defer" || h.c.Facts.Str("defer_review_by") != "2026-05-08" || h.c.Facts.Str("defer_reason") != "takedown_in_progress" {
		t.Fatalf("facts %v", h.c.Facts)
	}
	h.do(manager, Approve{RequestID: 700, Note: "確認しました"})
	h.wantState(StageCustomerNotice, StateAwaitingApproval)
	h.do(officer, Approve{RequestID: 700, Note: "確認しました"})
	h.wantState(StageCustomerNotice, StateInProgress)
	if h.c.Stages[StageCustomerNotice].DeferredUntil != "2026-05-08" {
		t.Fatal("deferral date")
	}
}

func TestClose_And_Reopen(t *testing.T) {
	h := storyS2a(t)
	for _, s := range Stages {
		if !h.state(s).Finished() {
			t.Fatalf("%s is %s", s, h.state(s))
		}
	}
	if h.c.Status != StatusOpen {
		t.Fatal("must not auto-close")
	}
	id := h.submit(manager, KindClose, "", "", "全段階完了")
	h.fail(manager, Approve{RequestID: id, Note: "確認しました"}, CodeForbidden)
	h.do(officer, Approve{RequestID: id, Note: "確認しました"})
	if h.c.Status != StatusClosed || h.c.Outcome != StatusClosed {
		t.Fatalf("status %s", h.c.Status)
	}
	h.fail(staff, PatchFacts{Patch: map[string]any{"root_cause": "x"}}, CodeConflict)
	h.fail(staff, Reopen{Reason: "x"}, CodeForbidden)
	h.fail(manager, Reopen{}, CodeInvalid)
	h.do(manager, Reopen{Reason: "拾得者がデータを公開した", Stage: StageContainment})
	if h.c.Status != StatusOpen {
		t.Fatal("not reopened")
	}
	h.wantState(StageContainment, StateInProgress)
	h.wantState(StageDiscovery, StateDone)
	h.fail(manager, Reopen{Reason: "x"}, CodeConflict)
	h.fail(manager, Reopen{Reason: "x", Stage: StageContainment}, CodeConflict)
	h.do(manager, Reopen{Reason: "拒否された", Stage: StagePoliceReport})
	h.wantState(StagePoliceReport, StateInProgress)
}

func TestCloseNotIncident_MarksUnfinishedNotApplicable(t *testing.T) {
	h := newHarness(t, nil)
	h.passG1()
	h.patch(staff, policeFacts())
	pol := h.submit(staff, KindComplete, StagePoliceReport, "", "")
	id := h.submit(staff2, KindCloseNotIncident, "", "", "USBは社内で発見。持出しの事実なし")
	h.do(manager, Approve{RequestID: id, Note: "確認しました"})
	evs := h.do(officer, Approve{RequestID: id, Note: "確認しました"})
	if evs[len(evs)-1].Type != EventCaseClosed {
		t.Fatalf("last event %s", evs[len(evs)-1].Type)
	}
	if h.c.Status != StatusClosedNotIncident || h.c.CloseReason == "" {
		t.Fatalf("status %s", h.c.Status)
	}
	h.wantState(StageDiscovery, StateDone)
	for _, s := range Stages[1:] {
		h.wantState(s, StateNotApplicable)
	}
	if h.c.Request(pol).State != RequestWithdrawn {
		t.Fatal("pending request not withdrawn")
	}
	if len(AvailableActions(staff, h.c)) != 0 || len(AvailableActions(manager, h.c)) != 1 {
		t.Fatal("actions on a closed case")
	}
	h.do(officer, Reopen{Reason: "別のUSBの紛失が判明"})
	h.wantState(StageDiscovery, StateDone)
	for _, s := range []Stage{StageInvestigation, StagePoliceReport, StageContainment, StageRegulatorReport} {
		h.wantState(s, StateInProgress)
	}
	h.wantState(StageDiscipline, StateNotStarted)
}

func TestAvailableActions(t *testing.T) {
	h, id := g1Pending(t, staff)
	kinds := func(a Actor) []string {
		var out []string
		for _, x := range AvailableActions(a, h.c) {
			out = append(out, string(x.Kind)+":"+string(x.Stage))
		}
		return out
	}
	if got := kinds(manager); !slices.Contains(got, "approve:discovery") || !slices.Contains(got, "send_back:discovery") {
		t.Fatalf("manager %v", got)
	}
	if got := kinds(staff); slices.Contains(got, "approve:discovery") || !slices.Contains(got, "edit:discovery") || !slices.Contains(got, "close_not_incident:") {
		t.Fatalf("staff %v", got)
	}
	if got := kinds(hr); !slices.Equal(got, []string{"edit:discipline", "mark_involved:"}) {
		t.Fatalf("hr %v", got)
	}
	h.do(manager, Approve{RequestID: id, Note: "確認しました"})
	for _, a := range AvailableActions(staff, h.c) {
		if a.Kind == ActionComplete && a.Stage == StageInvestigation && len(a.Blocked) == 0 {
			t.Fatal("investigation completion must be blocked")
		}
	}
}
