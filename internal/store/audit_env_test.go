package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/casework/docfixture"
	"github.com/leakdesk/leakdesk/internal/documents"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/testdb"
)

// auditEnv is a database with one user per role and a case service on a stepping clock.
type auditEnv struct {
	t      testing.TB
	db     *testdb.DB
	svc    *casework.Service
	actors map[string]incident.Actor
	now    time.Time
	keys   *pii.Keyring // the data key (evidence is sealed with it)
}

var auditJST = incident.JST()

func newAuditEnv(t testing.TB) *auditEnv {
	t.Helper()
	db := testdb.New(t)
	e := &auditEnv{t: t, db: db, svc: casework.New(db.Store), actors: map[string]incident.Actor{},
		now: time.Date(2026, 6, 10, 9, 0, 0, 0, auditJST)}
	e.svc.Now = func() time.Time { e.now = e.now.Add(time.Minute); return e.now }
	// The data key seals evidence files as in production (serve checks it at start).
	key, err := pii.NewKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e.keys = pii.NewKeyring(key)
	if err := db.Store.CheckDataKey(context.Background(), e.keys); err != nil {
		t.Fatal(err)
	}
	for key, roles := range map[string][]auth.Role{
		"staff": {auth.RoleStaff}, "staff2": {auth.RoleStaff}, "manager": {auth.RoleManager}, "deputy": {auth.RoleManager},
		"officer": {auth.RolePrivacyOfficer}, "hr": {auth.RoleHR}, "hrhead": {auth.RoleHR}, "auditor": {auth.RoleAuditor},
	} {
		u, err := db.Store.CreateUser(context.Background(), 0, key+"@audit.example.jp", key, roles, "x")
		if err != nil {
			t.Fatal(err)
		}
		a := incident.Actor{UserID: u.ID, Name: u.Name}
		for _, r := range roles {
			a.Roles = append(a.Roles, incident.Role(r))
		}
		e.actors[key] = a
	}
	return e
}

// step is one command of a scripted story: the live case the service returned after it.
type step struct {
	live *incident.Case
}

// auditStory is domain.md §6 S2a driven through casework.Service: a USB stick with 3,000
// customers' data lost; every stage runs, a deputy approves, the final report needs two approvers,
// a request is sent back, and facts change after the preliminary report was filed. onStep sees the
// live case after every command.
func (e *auditEnv) auditStory(title string, drill bool, onStep func(*incident.Case)) *incident.Case {
	e.t.Helper()
	ctx := context.Background()
	a := e.actors
	var c *incident.Case
	check := func(got *incident.Case, err error) {
		e.t.Helper()
		if err != nil {
			e.t.Fatalf("story step after version %d: %v", c.Version, err)
		}
		c = got
		if onStep != nil {
			onStep(got)
		}
	}
	do := func(who string, cmd incident.Command) {
		e.t.Helper()
		got, _, err := e.svc.Do(ctx, c.ID, 0, a[who], cmd)
		check(got, err)
	}
	patch := func(who string, f map[string]any) { e.t.Helper(); do(who, incident.PatchFacts{Patch: f}) }
	ticks := func(who string, ids ...string) {
		e.t.Helper()
		for _, id := range ids {
			do(who, incident.TickChecklist{ItemID: id, Checked: true})
		}
	}
	submit := func(who string, st incident.Stage, note string) int64 {
		e.t.Helper()
		got, req, err := e.svc.Submit(ctx, c.ID, 0, a[who], incident.SubmitRequest{Kind: incident.KindComplete, Stage: st, Note: note})
		check(got, err)
		return req.ID
	}
	approve := func(who string, id int64, note string) {
		e.t.Helper()
		got, _, err := e.svc.Approve(ctx, id, a[who], note, 0)
		check(got, err)
	}
	// Filing times need an approved document (issue 14): drafted by staff, approved by the roles.
	fileDoc := func(k documents.Kind, approvers ...string) {
		e.t.Helper()
		var as []incident.Actor
		for _, who := range approvers {
			as = append(as, a[who])
		}
		got, _, err := docfixture.Approve(ctx, e.svc, c.ID, k, a["staff"], as...)
		check(got, err)
	}
	got, err := e.svc.Open(ctx, a["staff"], title, map[string]any{
		"recognized_at": "2026-04-30T22:40", "reported_to_soumu_at": "2026-05-01T08:50",
		"discovery_source": "internal_detection", "report_channel": "phone", "reporter_dept": "営業部",
		"initial_description": "帰宅後、顧客データ入りUSBメモリの紛失に気付いた。漏洩のおそれ。", "suspected_route": "media_lost",
		"suspected_data_items": []any{"name", "address", "phone", "purchase_history"},
		"estimated_count_min":  3000, "estimated_count_max": 3000, "public_disclosure_possible": true,
		"insider_suspected": "no", "unauthorized_access_suspected": "no",
	}, drill)
	c = got
	check(got, err)
	patch("staff", map[string]any{"containment_ordered_at": "2026-05-01T09:05", "prelim_screen": "reportable",
		"involves_my_number": "no", "exec_notification_decision": "notify_now", "exec_notified_at": "2026-05-01T09:30",
		"first_report_late_reason": "発覚が深夜で翌朝の報告になった"})
	ticks("staff", "discovery.report_to_soumu", "discovery.direct_report_30min", "discovery.evidence_preserved", "discovery.prelim_screen")
	approve("manager", submit("staff", incident.StageDiscovery, "第一報の記録完了"), "受理")

	patch("staff2", map[string]any{"occurred_at": "2026-04-30T19:10", "occurred_at_precision": "exact",
		"event_types": []any{"leak"}, "certainty": "suspected", "route": "media_lost", "medium": "usb"})
	patch("staff2", map[string]any{"data_items": []any{"purchase_history", "name", "address", "phone"},
		"data_subject_types": []any{"customer"}, "affected_count": 3000, "encryption": "none"})
	patch("staff2", map[string]any{"cause_category": "human_error", "cause_actor": "own_employee",
		"root_cause": "規程に反し暗号化なしのUSBで持ち帰った"})
	patch("staff2", map[string]any{"secondary_damage_exists": "unknown", "impact_scope": "顧客3,000名の氏名・住所・電話・購買履歴",
		"reportability_finding": "reportable", "reportability_rationale": "1,000人超（規則7条4号）"})
	ticks("staff2", "investigation.basic_facts", "investigation.four_points", "investigation.cause_four_angles",
		"investigation.staff_interviews", "investigation.legal_definitions")

	patch("staff", map[string]any{"police_actions": []any{"lost_property_report"}, "police_station": "新宿警察署",
		"police_filed_at": "2026-05-01T11:00", "police_receipt_no": "R-123"})
	ticks("staff", "police_report.file_report")
	pol := submit("staff", incident.StagePoliceReport, "")
	patch("staff", map[string]any{"exposure_ended_at": "2026-05-01T10:00", "destination_status": "unidentifiable",
		"monitoring_method": "web_search", "monitoring_end_date": "2026-08-01",
		"return_request_status": "not_applicable", "warning_letter_status": "not_applicable",
		"injunction_status": "not_applicable", "escalation_na_reason": "拾得者不明のため"})
	ticks("staff", "containment.provisional_measures", "containment.identify_destination", "containment.prevent_further_damage")
	do("staff", incident.AddRecord{Kind: incident.RecMonitoring, Values: map[string]any{"date": "2026-05-02", "searched_where": "web", "result": "nothing_found"}})
	con := submit("staff", incident.StageContainment, "")
	approve("manager", pol, "内容を確認した")
	// 代理承認: the head is away; the deputy head is registered as his deputy for the period.
	if _, err := e.db.Store.CreateDelegation(ctx, a["officer"].UserID, a["manager"].UserID, a["deputy"].UserID,
		e.now.Add(-time.Hour), e.now.Add(90*24*time.Hour), "部長出張中"); err != nil {
		e.t.Fatal(err)
	}
	got, _, err = e.svc.Approve(ctx, con, a["deputy"], "部長出張中", a["manager"].UserID)
	check(got, err)

	inv := submit("staff", incident.StageInvestigation, "")
	got, _, err = e.svc.SendBack(ctx, inv, a["manager"], "発生時刻の根拠を追記してください")
	check(got, err)
	patch("staff2", map[string]any{"cause_analysis_notes": "発生時刻は乗車記録から推定"})
	approve("manager", submit("staff", incident.StageInvestigation, ""), "内容を確認した")

	fileDoc(documents.ReportPrelim, "manager")
	patch("staff", map[string]any{"report_destination": "PPC", "prelim_submitted_at": "2026-05-02T10:00"})
	// Changed after the preliminary report was filed: an auditor must see this.
	patch("staff2", map[string]any{"impact_scope": "顧客3,012名の氏名・住所・電話・購買履歴（再集計）"})
	fileDoc(documents.ReportFinal, "manager", "officer")
	patch("staff", map[string]any{"final_submitted_at": "2026-05-20T10:00", "final_receipt_no": "PPC-999", "supplement_status": "none_needed",
		"recurrence_plan_summary": "実施済み: 注意喚起。予定: USB暗号化（6月末、情報システム部）"})
	ticks("staff", "regulator_report.web_form")
	reg := submit("staff", incident.StageRegulatorReport, "")
	approve("manager", reg, "内容を確認した")
	approve("officer", reg, "確報を確認")

	fileDoc(documents.Notice, "manager")
	patch("staff", map[string]any{"notice_decision": "notify_individually", "notice_method": []any{"letter"},
		"notice_started_at": "2026-05-08T10:00", "notice_completed_at": "2026-05-12T10:00",
		"publication_done": false, "publication_omission_reason": "個別通知で足りる",
		"inquiry_desk_opened_at": "2026-05-08T09:00", "inquiry_desk_close_date": "2026-08-31",
		"compensation_form": "none", "unjust_claims_procedure": "弁護士に相談の上で拒否"})
	approve("manager", submit("staff", incident.StageCustomerNotice, ""), "内容を確認した")
	patch("staff", map[string]any{"effectiveness_review_at": "2026-10-01"})
	ticks("staff", "recurrence_prevention.measures_four_points", "recurrence_prevention.corrective_action_cycle")
	do("staff", incident.AddRecord{Kind: incident.RecMeasure, Values: map[string]any{"description": "USBメモリの暗号化", "safeguard": "technical",
		"scope": "company_wide", "owner": "情報システム部長", "due_date": "2026-06-30", "status": "planned"}})
	do("staff2", incident.UpdateRecord{RecordID: 2, Version: 1, Values: map[string]any{"status": "in_progress"}})
	approve("officer", submit("staff", incident.StageRecurrencePrevention, ""), "内容を確認した")
	patch("hr", map[string]any{"sanction": "reprimand", "culpability": "negligence", "discipline_decided_at": "2026-06-01T10:00", "accusation_filed": false})
	ticks("hr", "discipline.work_rules")
	approve("hrhead", submit("hr", incident.StageDiscipline, ""), "内容を確認した")
	return c
}

func caseJSON(t testing.TB, c *incident.Case) string {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAsOf_EqualsLiveCaseAfterEveryEvent scripts a case through every stage with the case service
// and checks, for every event k, that the case replayed from the first k stored events is exactly
// the live case as it stood right after event k.
