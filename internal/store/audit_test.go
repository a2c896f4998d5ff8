package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/archive"
	"github.com/leakdesk/leakdesk/internal/audit"
	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/casework/docfixture"
	"github.com/leakdesk/leakdesk/internal/documents"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/pdf"
	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/store"
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
func TestAsOf_EqualsLiveCaseAfterEveryEvent(t *testing.T) {
	e := newAuditEnv(t)
	ctx := context.Background()
	live := map[int64]string{} // seq → JSON of the live case right after it
	var running *incident.Case
	var caseID int64
	final := e.auditStory("USBメモリ紛失（顧客3,000名）", false, func(c *incident.Case) {
		// The service returned c, the live case after its command. Events inside one command have no
		// moment of their own outside the transaction, so the live state after each of them is the
		// previous live case with the stored events folded in one by one; at the command's end it
		// must be exactly c.
		caseID = c.ID
		stored, err := e.db.Store.CaseEvents(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if running == nil {
			running = &incident.Case{}
		}
		for _, ev := range stored[running.Version:] {
			if err := running.Apply(ev.Event); err != nil {
				t.Fatalf("apply %d: %v", ev.Seq, err)
			}
			live[ev.Seq] = caseJSON(t, running)
		}
		if got, want := caseJSON(t, running), caseJSON(t, c); got != want {
			t.Fatalf("after version %d the folded case differs from the live case\n%s\n%s", c.Version, got, want)
		}
	})
	stored, err := e.db.Store.CaseEvents(ctx, caseID)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) < 30 || int64(len(stored)) != final.Version {
		t.Fatalf("%d events, version %d: want 30+", len(stored), final.Version)
	}
	events := make([]incident.Event, len(stored))
	for i := range stored {
		events[i] = stored[i].Event
	}
	for k := int64(1); k <= final.Version; k++ {
		past, err := audit.AsOf(events, k)
		if err != nil {
			t.Fatalf("as of %d: %v", k, err)
		}
		if got := caseJSON(t, past); got != live[k] {
			t.Fatalf("as of event %d differs from the live case after it\nreplayed: %s\nlive:     %s", k, got, live[k])
		}
	}
	if _, err := audit.AsOf(events, 0); incident.ErrorCode(err) != incident.CodeInvalid {
		t.Fatalf("as of 0: %v", err)
	}
	if _, err := audit.AsOf(events, final.Version+1); incident.ErrorCode(err) != incident.CodeInvalid {
		t.Fatalf("as of version+1: %v", err)
	}

	// The noteworthy events of the same history.
	notes, err := audit.Noteworthy(events, e.svc.Law, e.now)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[audit.NoteKind]int{}
	for _, n := range notes {
		kinds[n.Kind]++
		if n.Kind == audit.NoteChangedAfterFiling && (len(n.Fields) != 1 || n.Fields[0] != "impact_scope") {
			t.Errorf("changed after filing: %+v", n)
		}
	}
	for _, k := range []audit.NoteKind{audit.NoteDeputy, audit.NoteTwoApprovers, audit.NoteSentBack, audit.NoteChangedAfterFiling, audit.NoteDeadlineMissed} {
		if kinds[k] == 0 {
			t.Errorf("no %s note in %+v", k, kinds)
		}
	}
	// The first internal report (due 2026-04-30 23:10, made 05-01 08:50) was late by 9h40m.
	var late bool
	for _, n := range notes {
		if n.Kind == audit.NoteDeadlineMissed && n.Late == 9*time.Hour+40*time.Minute {
			late = true
		}
	}
	if !late {
		t.Errorf("the 30-minute report is not reported 9h40m late: %+v", notes)
	}

	// A diff between two points names the facts, stages and requests that changed.
	a, _ := audit.AsOf(events, 5)
	b, _ := audit.AsOf(events, final.Version)
	d := audit.Compare(a, b)
	if len(d.Facts) == 0 || len(d.Stages) == 0 || len(d.Requests) == 0 {
		t.Fatalf("diff 5→%d: %+v", final.Version, d)
	}
	if same := audit.Compare(b, b); !same.Empty() {
		t.Fatalf("a point differs from itself: %+v", same)
	}
}

func TestAuditCases_ShortJapaneseWordsFoundThroughTheGramIndex(t *testing.T) {
	e := newAuditEnv(t)
	ctx := context.Background()
	open := func(title, desc string, drill bool) *incident.Case {
		c, err := e.svc.Open(ctx, e.actors["staff"], title, map[string]any{"initial_description": desc}, drill)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	leak := open("顧客名簿の漏洩", "営業部のUSBメモリ紛失", false)
	miss := open("請求書の誤送信", "ＦＡＸで誤送した", false)
	drill := open("訓練: 漏洩対応", "年次訓練", true)
	open("無関係な案件", "問い合わせ対応", false)
	find := func(q string, drills bool) []int64 {
		t.Helper()
		rows, err := e.db.Store.AuditCases(ctx, store.AuditFilter{Query: q, Drills: drills, Now: e.now})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, r := range rows {
			ids = append(ids, r.ID)
		}
		return ids
	}
	same := func(got []int64, want ...int64) bool {
		if len(got) != len(want) {
			return false
		}
		m := map[int64]bool{}
		for _, id := range got {
			m[id] = true
		}
		for _, id := range want {
			if !m[id] {
				return false
			}
		}
		return true
	}
	for _, tc := range []struct {
		q      string
		drills bool
		want   []int64
	}{
		{"漏洩", false, []int64{leak.ID}},
		{"漏洩", true, []int64{leak.ID, drill.ID}},
		{"誤送", false, []int64{miss.ID}},
		{"誤", false, []int64{miss.ID}},
		{"誤送信", false, []int64{miss.ID}},
		{"fax", false, []int64{miss.ID}}, // full-width ＦＡＸ in the text, NFKC + lower case
		{"ＵＳＢ", false, []int64{leak.ID}}, // full-width query, half-width text
		{"漏洩 USB", false, []int64{leak.ID}},
		{"漏洩 請求書", false, nil},
		{leak.Number, false, []int64{leak.ID}},
		{"送誤", false, nil}, // the pairs must be adjacent in that order
		{"%", false, nil},
	} {
		if got := find(tc.q, tc.drills); !same(got, tc.want...) {
			t.Errorf("search %q (drills %v): %v, want %v", tc.q, tc.drills, got, tc.want)
		}
	}
	// The plan uses the gram index for a two-character word.
	conn, err := e.db.Store.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	var plan strings.Builder
	rows, err := conn.Query(ctx, `EXPLAIN SELECT id FROM cases c WHERE c.search_grams @> leakdesk_query_grams($1)
		AND strpos(leakdesk_search_norm(c.search_text), $1) > 0`, "漏洩")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var line string
		rows.Scan(&line)
		plan.WriteString(line + "\n")
	}
	if !strings.Contains(plan.String(), "cases_search_grams_idx") {
		t.Fatalf("the search does not use the gram index:\n%s", plan.String())
	}
	conn.Exec(ctx, `RESET enable_seqscan`)
}

func TestAuditCases_FiltersAndKeysetPages(t *testing.T) {
	e := newAuditEnv(t)
	ctx := context.Background()
	full := e.auditStory("USBメモリ紛失", false, nil)
	var ids []int64
	for i := 0; i < 4; i++ {
		c, err := e.svc.Open(ctx, e.actors["staff"], "軽微な誤送信", map[string]any{"suspected_route": "email_missend",
			"recognized_at": "2026-06-01T10:00", "reported_to_soumu_at": "2026-06-01T10:05", "estimated_count_max": 3}, i == 3)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	list := func(f store.AuditFilter) []store.AuditCaseRow {
		t.Helper()
		f.Now = e.now
		rows, err := e.db.Store.AuditCases(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	if got := list(store.AuditFilter{}); len(got) != 4 {
		t.Fatalf("default list (drills hidden): %d rows", len(got))
	}
	if got := list(store.AuditFilter{Drills: true}); len(got) != 5 {
		t.Fatalf("with drills: %d rows", len(got))
	}
	if got := list(store.AuditFilter{Reportable: "yes"}); len(got) != 1 || got[0].ID != full.ID || got[0].Reportability != "reportable" {
		t.Fatalf("reportable: %+v", got)
	}
	if got := list(store.AuditFilter{Route: "email_missend"}); len(got) != 3 {
		t.Fatalf("route: %d", len(got))
	}
	if got := list(store.AuditFilter{DataItems: []string{"purchase_history"}}); len(got) != 1 || got[0].ID != full.ID {
		t.Fatalf("data items: %+v", got)
	}
	if got := list(store.AuditFilter{Status: "closed"}); len(got) != 0 {
		t.Fatalf("status closed: %+v", got)
	}
	// The full story's first internal report was late: a missed deadline.
	if got := list(store.AuditFilter{Missed: true}); len(got) != 1 || got[0].ID != full.ID || got[0].Missed == 0 {
		t.Fatalf("missed: %+v", got)
	}
	from := time.Date(2026, 5, 15, 0, 0, 0, 0, auditJST)
	if got := list(store.AuditFilter{From: from}); len(got) != 3 {
		t.Fatalf("recognised from 05-15: %d", len(got))
	}
	// Keyset pages of 2 cover every row once.
	seen := map[int64]bool{}
	f := store.AuditFilter{Drills: true, Limit: 2}
	for page := 0; page < 5; page++ {
		rows := list(f)
		for _, r := range rows {
			if seen[r.ID] {
				t.Fatalf("case %d on two pages", r.ID)
			}
			seen[r.ID] = true
		}
		if len(rows) < 2 {
			break
		}
		f.AfterCreated, f.AfterID = rows[len(rows)-1].CreatedAt, rows[len(rows)-1].ID
	}
	if len(seen) != 5 {
		t.Fatalf("pages covered %d of 5 cases", len(seen))
	}
}

func TestAuditComments_ChainedAppendOnlyAndNeverTouchTheCase(t *testing.T) {
	e := newAuditEnv(t)
	ctx := context.Background()
	c, err := e.svc.Open(ctx, e.actors["staff"], "誤送信", map[string]any{"suspected_route": "email_missend"}, false)
	if err != nil {
		t.Fatal(err)
	}
	aud := e.actors["auditor"]
	for i, kind := range []string{audit.KindComment, audit.KindSignoff, audit.KindComment} {
		cm, err := audit.NewComment(c.ID, c.Version, aud.UserID, kind, "所見 "+string(rune('A'+i)), "全段階の記録", "2026-06-30", e.now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.Store.AddAuditComment(ctx, cm); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := audit.NewComment(c.ID, c.Version, aud.UserID, audit.KindSignoff, "x", "", "30/06/2026", e.now); incident.ErrorCode(err) != incident.CodeInvalid {
		t.Fatalf("sign-off without scope and date: %v", err)
	}
	missing, _ := audit.NewComment(999999, 1, aud.UserID, audit.KindComment, "x", "", "", e.now)
	if _, err := e.db.Store.AddAuditComment(ctx, missing); incident.ErrorCode(err) != incident.CodeNotFound {
		t.Fatalf("comment on a missing case: %v", err)
	}
	cs, err := e.db.Store.AuditComments(ctx, c.ID)
	if err != nil || len(cs) != 3 || cs[1].Kind != audit.KindSignoff || cs[1].AuthorName != "auditor" {
		t.Fatalf("comments: %+v %v", cs, err)
	}
	after, err := e.db.Store.GetCase(ctx, c.ID)
	if err != nil || after.Version != c.Version {
		t.Fatalf("comments changed the case: version %d → %d", c.Version, after.Version)
	}
	if res, err := e.db.Store.VerifyAuditComments(ctx, 0); err != nil || !res.OK || res.Checked != 3 {
		t.Fatalf("verify: %+v %v", res, err)
	}
	if err := e.db.Store.RecordExport(ctx, aud.UserID, []int64{c.ID}, e.now, nil); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE audit_comments SET body = 'x'`, `DELETE FROM audit_comments`, `TRUNCATE audit_comments`,
		`UPDATE audit_log SET action = 'x'`, `DELETE FROM audit_log`} {
		if _, err := e.db.Store.Pool.Exec(ctx, q); err == nil {
			t.Errorf("%s succeeded as the app role", q)
		}
	}
	// Someone with superuser rights and the triggers off edits a comment: the chain names it.
	superExec(t, e, `UPDATE audit_comments SET body = '改ざん' WHERE case_id = $1 AND seq = 2`, c.ID)
	res, err := e.db.Store.VerifyAuditComments(ctx, c.ID)
	if err != nil || res.OK || res.FirstBad == nil || res.FirstBad.Seq != 2 {
		t.Fatalf("tampered comment: %+v %v", res, err)
	}
}

func TestRecordExport_LogsWithoutChangingTheCase(t *testing.T) {
	e := newAuditEnv(t)
	ctx := context.Background()
	c, err := e.svc.Open(ctx, e.actors["staff"], "誤送信", map[string]any{"suspected_route": "email_missend"}, false)
	if err != nil {
		t.Fatal(err)
	}
	aud := e.actors["auditor"]
	if err := e.db.Store.RecordExport(ctx, aud.UserID, []int64{c.ID}, e.now, map[string]any{"seal": "abc"}); err != nil {
		t.Fatal(err)
	}
	after, _ := e.db.Store.GetCase(ctx, c.ID)
	if after.Version != c.Version {
		t.Fatal("an export changed the case version")
	}
	rows, err := e.db.Store.AccessLog(ctx, store.AccessFilter{UserID: aud.UserID})
	if err != nil || len(rows) != 1 || rows[0].Page != "export" || rows[0].CaseID != c.ID || rows[0].UserName != "auditor" {
		t.Fatalf("access log: %+v %v", rows, err)
	}
	log, err := e.db.Store.AuditLog(ctx, 10)
	if err != nil || len(log) != 1 || log[0].Action != "export" || log[0].CaseIDs[0] != c.ID || log[0].Detail["seal"] != "abc" {
		t.Fatalf("audit log: %+v %v", log, err)
	}
}

// BenchmarkAudit_ReplayAndExport10k measures, on a case with 10 000 events, the replay "as of" the
// last event (read the history + incident.Replay) and a full case-file export (history, verdict,
// comments, noteworthy events, report, JSONL, CSV, manifest, ZIP; the report as HTML, and as PDF
// when Chromium is installed), each beside the time of reading the same rows with one plain query
// in the same run: replay_ms / plain_query_ms is the cost of the domain over the raw read.
func BenchmarkAudit_ReplayAndExport10k(b *testing.B) {
	e := newAuditEnv(b)
	ctx := context.Background()
	const n = 10000
	staff := e.actors["staff"]
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, auditJST)
	c, err := e.db.Store.OpenCase(ctx, at, func(id int64, number string) (*incident.Case, []incident.Event, error) {
		c := &incident.Case{}
		var all []incident.Event
		apply := func(cmd incident.Command) error {
			at = at.Add(time.Second)
			evs, err := c.Decide(cmd, staff, store.Now(at))
			if err != nil {
				return err
			}
			for _, ev := range evs {
				if err := c.Apply(ev); err != nil {
					return err
				}
			}
			all = append(all, evs...)
			return nil
		}
		if err := apply(incident.OpenCase{ID: id, Number: number, Title: "大量履歴の案件", OwnerID: staff.UserID,
			Facts: map[string]any{"recognized_at": "2026-04-30T22:40", "suspected_route": "email_missend"}}); err != nil {
			return nil, nil, err
		}
		for i := 0; len(all) < n; i++ {
			if err := apply(incident.PatchFacts{Patch: map[string]any{"initial_description": "経過メモ 第" + strconv.Itoa(i) + "版: 顧客からの問い合わせに対応した。"}}); err != nil {
				return nil, nil, err
			}
		}
		return c, all, nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if c.Version != n {
		b.Fatalf("case has %d events", c.Version)
	}
	var printer archive.Renderer
	if p, err := pdf.New(); err == nil {
		defer p.Close()
		printer = p
	}
	exportOnce := func(r archive.Renderer) int {
		stored, err := e.db.Store.CaseEvents(ctx, c.ID)
		if err != nil {
			b.Fatal(err)
		}
		events := make([]incident.Event, len(stored))
		f := archive.CaseFile{CaseID: c.ID, Number: c.Number, Title: c.Title}
		for i, s := range stored {
			events[i] = s.Event
			f.Events = append(f.Events, archive.Event{Event: s.Hashed(), PrevHash: s.PrevHash, Hash: s.Hash})
		}
		if f.Case, err = audit.AsOf(events, int64(len(events))); err != nil {
			b.Fatal(err)
		}
		res, err := e.db.Store.Verify(ctx, c.ID)
		if err != nil || !res.OK {
			b.Fatalf("verify: %+v %v", res, err)
		}
		f.Verdict = archive.Verdict{OK: true, Checked: res.Checked}
		f.CommentsVerdict = archive.Verdict{OK: true}
		if f.Notes, err = audit.Noteworthy(events, e.svc.Law, e.now); err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := archive.Build(ctx, &buf, []archive.CaseFile{f}, archive.Options{At: e.now, ByName: "bench", Renderer: r}); err != nil {
			b.Fatal(err)
		}
		return buf.Len()
	}
	var plain, replay, export, exportPDF time.Duration
	var zipBytes int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		rows, err := e.db.Store.Pool.Query(ctx, `SELECT seq, type, actor_id, at, payload, prev_hash, hash FROM case_events WHERE case_id = $1 ORDER BY seq`, c.ID)
		if err != nil {
			b.Fatal(err)
		}
		count := 0
		for rows.Next() {
			var seq int64
			var typ string
			var actor *int64
			var when time.Time
			var payload, prev, hash []byte
			if err := rows.Scan(&seq, &typ, &actor, &when, &payload, &prev, &hash); err != nil {
				b.Fatal(err)
			}
			count++
		}
		if rows.Err() != nil || count != n {
			b.Fatalf("plain read: %d rows, %v", count, rows.Err())
		}
		t1 := time.Now()
		stored, err := e.db.Store.CaseEvents(ctx, c.ID)
		if err != nil {
			b.Fatal(err)
		}
		events := make([]incident.Event, len(stored))
		for j := range stored {
			events[j] = stored[j].Event
		}
		past, err := audit.AsOf(events, n)
		if err != nil || past.Version != n {
			b.Fatalf("replay: %v", err)
		}
		t2 := time.Now()
		zipBytes = exportOnce(nil)
		t3 := time.Now()
		plain += t1.Sub(t0)
		replay += t2.Sub(t1)
		export += t3.Sub(t2)
		if printer != nil {
			exportOnce(printer)
			exportPDF += time.Since(t3)
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(ms(plain), "plain_query_ms")
	b.ReportMetric(ms(replay), "replay_ms")
	b.ReportMetric(ms(export), "export_ms")
	if printer != nil {
		b.ReportMetric(ms(exportPDF), "export_pdf_ms")
	}
	b.ReportMetric(float64(replay)/float64(plain), "replay/plain")
	b.ReportMetric(float64(zipBytes)/1024, "zip_KiB")
}
