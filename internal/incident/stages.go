package incident

// The stage machine of domain.md §1 as one table: for each stage, when it
// opens, what it needs to be completed, whether and why it may be skipped,
// and who records its data. Transitions between states are:
//
//	not_started --entry rule true--> in_progress            (stage_opened)
//	in_progress --complete/skip/defer submitted--> awaiting_approval
//	awaiting_approval --complete approved--> done
//	awaiting_approval --skip approved--> skipped
//	awaiting_approval --defer approved or sent back--> in_progress
//	done | skipped --Reopen{Stage}--> in_progress
//	any unfinished --close_not_incident approved--> not_applicable
//	not_applicable --case reopened--> not_started (then entry rules again)
//
// A stage becomes not_applicable only when the whole case is closed as "not
// an incident"; inside a stage, steps that do not apply (the legal
// escalation of containment) are recorded as facts with a reason.

// EntryInput is what an entry rule may look at.
type EntryInput struct {
	Facts  Facts
	States map[Stage]StageState
}

// ExitInput is what exit criteria may look at: the current facts, the
// checklist and the assigned case handler.
type ExitInput struct {
	Facts     Facts
	Checklist map[string]Tick
	OwnerID   int64
	// Records are the case's records that count (not withdrawn).
	Records []*Record
	// Rules is the case's rule set (nil = the default one); Extra the
	// checklist items its template added.
	Rules *Rules
	Extra []ChecklistItem
}

func (in ExitInput) rules() *Rules {
	if in.Rules == nil {
		return DefaultRules()
	}
	return in.Rules
}

// Reason is an allowed reason code for a skip or a deferral. Check, when
// set, states the facts the reason presupposes.
type Reason struct {
	Code  string
	JA    string
	EN    string
	Check func(Facts) []Missing `json:"-"`
}

// StageDef is one row of the stage table.
type StageDef struct {
	Stage   Stage
	LabelJA string
	LabelEN string
	// EntryJA/EntryEN describe the entry rule; Opens decides it.
	EntryJA, EntryEN string
	Opens            func(EntryInput) bool `json:"-"`
	// Exit returns the stage-specific unmet exit criteria. ExitCriteria adds
	// the unticked RequiredForExit checklist items.
	Exit func(ExitInput) []Missing `json:"-"`
	// SkipReasons empty = the stage can never be skipped. A skip always
	// needs a written note in addition to the code.
	SkipReasons []Reason
	// DeferReasons non-empty = the stage may be deferred (customer notice,
	// GL 3-5-4-2), with a review date at most the rule set's
	// notice_deferral_max_days ahead.
	DeferReasons []Reason
	// Writers may record the stage's facts, tick its checklist and submit
	// its requests.
	Writers []Role
}

// stageTable holds what the engine decides by code: labels, entry rules
// and exit criteria. The reasons and writers of each stage come from the
// rule set (Rules.Def).
var stageTable = []StageDef{
	{
		Stage: StageDiscovery, LabelJA: "発見・第一報", LabelEN: "Discovery and first report",
		EntryJA: "案件の登録時に開始", EntryEN: "Opens when the case is created",
		Opens: func(EntryInput) bool { return true },
		Exit:  exitDiscovery,
	},
	{
		Stage: StageInvestigation, LabelJA: "調査・原因究明・影響範囲", LabelEN: "Investigation, cause and scope",
		EntryJA: "第一報の承認（G1）後に開始", EntryEN: "Opens when discovery is approved (gate G1)",
		Opens: g1Passed, Exit: exitInvestigation,
	},
	{
		Stage: StagePoliceReport, LabelJA: "被害届・紛失届・捜査協力", LabelEN: "Police report and cooperation",
		EntryJA: "第一報の承認（G1）後に開始", EntryEN: "Opens when discovery is approved (gate G1)",
		Opens: g1Passed, Exit: exitPolice,
	},
	{
		Stage: StageContainment, LabelJA: "被害拡大防止・流出先特定・監視・返還請求・警告・差止め", LabelEN: "Containment, destination, monitoring and legal steps",
		EntryJA: "第一報の承認（G1）後に開始", EntryEN: "Opens when discovery is approved (gate G1)",
		Opens: g1Passed, Exit: exitContainment,
	},
	{
		Stage: StageCustomerNotice, LabelJA: "本人通知・謝罪・公表・問い合わせ窓口・賠償", LabelEN: "Customer notice, apology, publication, inquiry desk, compensation",
		EntryJA: "G1後、報告事項1・2・4・5（発生日時又は認知日時、情報項目、原因、二次被害）が一部でも記録されるか、調査が完了した時点で開始",
		EntryEN: "Opens after G1 once report items 1, 2, 4, 5 are partly recorded, or when the investigation is done",
		Opens:   opensCustomerNotice, Exit: exitCustomerNotice,
	},
	{
		Stage: StageRegulatorReport, LabelJA: "個人情報保護委員会への報告（速報・確報）", LabelEN: "Report to the Commission (preliminary and final)",
		EntryJA: "第一報の承認（G1）後に開始（期限は認知日から起算）", EntryEN: "Opens when discovery is approved (gate G1); the clock runs from recognized_at",
		Opens: g1Passed, Exit: exitRegulator,
	},
	{
		Stage: StageRecurrencePrevention, LabelJA: "再発防止策", LabelEN: "Recurrence prevention",
		EntryJA: "G1後、暫定的な原因（原因の記録又は「不明（調査中）」以外の原因分類）が記録されるか、調査が完了した時点で開始",
		EntryEN: "Opens after G1 once a preliminary cause is recorded, or when the investigation is done",
		Opens:   opensRecurrence, Exit: exitRecurrence,
	},
	{
		Stage: StageDiscipline, LabelJA: "懲戒処分・告発", LabelEN: "Discipline and accusation",
		EntryJA: "調査の完了（関与者の特定）後に開始", EntryEN: "Opens when the investigation is done (who was involved is known)",
		Opens: func(in EntryInput) bool { return in.States[StageInvestigation] == StateDone },
		Exit:  exitDiscipline,
	},
}

var stageIndex = func() map[Stage]int {
	m := make(map[Stage]int, len(stageTable))
	for i, d := range stageTable {
		m[d.Stage] = i
	}
	return m
}()

func defOf(s Stage) *StageDef {
	i, ok := stageIndex[s]
	if !ok {
		return &StageDef{Stage: s, LabelJA: string(s), LabelEN: string(s)}
	}
	return &stageTable[i]
}

// StageTable returns the stage table under the default rule set.
func StageTable() []StageDef {
	out := make([]StageDef, len(stageTable))
	for i, d := range stageTable {
		out[i] = DefaultRules().Def(d.Stage)
	}
	return out
}

// Def returns the row of stage s under the default rule set.
func Def(s Stage) StageDef { return DefaultRules().Def(s) }

// Skippable reports whether the stage may be skipped at all.
func (d StageDef) Skippable() bool { return len(d.SkipReasons) > 0 }

func (d StageDef) reason(list []Reason, code string) (Reason, bool) {
	for _, r := range list {
		if r.Code == code {
			return r, true
		}
	}
	return Reason{}, false
}

// ExitCriteria returns what is still missing before stage s can be
// completed: the stage's own rule plus unticked RequiredForExit items of
// the rule set in.Rules (the default one when nil) and of the case's
// template items. An empty result means the criteria are met.
func ExitCriteria(s Stage, in ExitInput) []Missing {
	d := defOf(s)
	r := in.Rules
	if r == nil {
		r = DefaultRules()
	}
	var m []Missing
	if d.Exit != nil {
		m = d.Exit(in)
	}
	if rec := recordExits[s]; rec != nil {
		m = append(m, rec(in)...)
	}
	for _, it := range r.checklist {
		if it.Stage == s && it.RequiredForExit && !in.Checklist[it.ID].Checked {
			m = append(m, missingTick(it))
		}
	}
	for _, it := range in.Extra {
		if it.Stage == s && it.RequiredForExit && !in.Checklist[it.ID].Checked {
			m = append(m, missingTick(it))
		}
	}
	return m
}

// recordExits are the exit criteria fed by the stage's records (records.go).
var recordExits = map[Stage]func(ExitInput) []Missing{
	StagePoliceReport:         exitPoliceRecords,
	StageContainment:          exitContainmentRecords,
	StageCustomerNotice:       exitNoticeRecords,
	StageRecurrencePrevention: exitRecurrenceRecords,
	StageDiscipline:           exitDisciplineRecords,
}

// --- entry rules ---

func g1Passed(in EntryInput) bool { return in.States[StageDiscovery] == StateDone }

func opensCustomerNotice(in EntryInput) bool {
	if !g1Passed(in) {
		return false
	}
	if in.States[StageInvestigation] == StateDone {
		return true
	}
	f := in.Facts
	return (f.has("occurred_at") || f.has("recognized_at")) &&
		f.has("data_items") &&
		(f.has("cause_category") || f.has("root_cause")) &&
		f.has("secondary_damage_exists")
}

func opensRecurrence(in EntryInput) bool {
	if !g1Passed(in) {
		return false
	}
	if in.States[StageInvestigation] == StateDone {
		return true
	}
	f := in.Facts
	return f.has("root_cause") || (f.has("cause_category") && f.Str("cause_category") != "unknown_pending")
}

// --- exit criteria ---

func exitDiscovery(in ExitInput) []Missing {
	f := in.Facts
	m := need(f, "recognized_at", "reported_to_soumu_at", "containment_ordered_at", "prelim_screen",
		"exec_notification_decision", "involves_my_number")
	if in.OwnerID == 0 {
		m = append(m, Missing{Item: "owner", JA: "案件の担当者が決まっていません。", EN: "No case handler is assigned."})
	}
	if f.Str("exec_notification_decision") == "notify_now" {
		m = append(m, need(f, "exec_notified_at")...)
	}
	if mn := f.Str("involves_my_number"); mn == "yes" || mn == "unknown" {
		m = append(m, need(f, "mynumber_officer_notified_at")...)
	}
	if id := StageDiscovery.item("customer_interview"); f.Str("discovery_source") == "customer_complaint" && !in.Checklist[id].Checked {
		if it, ok := in.rules().LookupChecklistItem(id); ok {
			m = append(m, missingTick(it))
		}
	}
	return m
}

func exitInvestigation(in ExitInput) []Missing {
	f := in.Facts
	var m []Missing
	// Report item 1: the date of occurrence, or an explicit "unknown".
	if !f.has("occurred_at") && f.Str("occurred_at_precision") != "unknown" {
		m = append(m, Missing{Item: "occurred_at", JA: "「発生日時」が未入力です（不明の場合は精度を「不明」にしてください）。",
			EN: "Occurred at is not recorded (set its precision to unknown if it cannot be known)."})
	}
	m = append(m, need(f, "event_types", "certainty", "route", "data_items", "data_subject_types", "medium",
		"cause_category", "cause_actor", "secondary_damage_exists", "impact_scope", "reportability_finding")...)
	if !f.has("affected_count") && !f.has("affected_count_upper_bound") {
		m = append(m, Missing{Item: "affected_count", JA: "「本人の数」又はその最大の可能性が未入力です。",
			EN: "Neither the number of people nor its upper bound is recorded."})
	}
	// "Cause unknown" only as pending, with follow-up (SEED001 Q10).
	if f.Str("cause_category") == "unknown_pending" {
		m = append(m, need(f, "open_questions")...)
	} else {
		m = append(m, need(f, "root_cause")...)
	}
	if f.has("open_questions") {
		m = append(m, need(f, "followup_owner", "followup_due_date")...)
	}
	if forensicNeeded(f) && !f.isTrue("forensic_vendor_engaged") {
		m = append(m, Missing{Item: "forensic_vendor_engaged", JA: "不正アクセス等の事案では外部のフォレンジック業者への依頼が必要です。",
			EN: "Unauthorized access requires an outside forensic vendor."})
	}
	return m
}

func forensicNeeded(f Facts) bool {
	switch f.Str("route") {
	case "unauthorized_access", "malware_ransomware", "web_form_tampering":
		return true
	}
	return f.Str("unauthorized_access_suspected") == "yes"
}

func exitPolice(in ExitInput) []Missing {
	f := in.Facts
	m := need(f, "police_actions")
	if len(m) > 0 {
		return m
	}
	m = need(f, "police_station", "police_filed_at")
	for _, a := range f.Set("police_actions") {
		if a != "consultation" { // a consultation gets no receipt number
			m = append(m, need(f, "police_receipt_no")...)
			break
		}
	}
	return m
}

func exitContainment(in ExitInput) []Missing {
	f := in.Facts
	m := need(f, "exposure_ended_at")
	switch f.Str("destination_status") {
	case "identified":
		if !f.has("destination_who") && !f.has("destination_where") {
			m = append(m, need(f, "destination_who")...)
		}
	case "unidentifiable":
	default:
		m = append(m, Missing{Item: "destination_status", JA: "流出先を「特定済み」又は「特定不能」として記録してください。",
			EN: "Record the destination as identified or as unidentifiable."})
	}
	m = append(m, need(f, "monitoring_method", "monitoring_end_date")...)
	anyNA := false
	for _, step := range []string{"return_request_status", "warning_letter_status", "injunction_status"} {
		switch f.Str(step) {
		case "done":
		case "not_applicable":
			anyNA = true
		default:
			ja, en := labelOf(step)
			m = append(m, Missing{Item: step, JA: "「" + ja + "」を実施済み又は不要として記録してください。",
				EN: en + " must be done or marked not applicable."})
		}
	}
	if anyNA {
		m = append(m, need(f, "escalation_na_reason")...)
	}
	return m
}

func exitCustomerNotice(in ExitInput) []Missing {
	f := in.Facts
	var m []Missing
	switch f.Str("notice_decision") {
	case "notify_individually":
		m = need(f, "notice_method", "notice_started_at", "notice_completed_at")
	case "alternative_measure":
		m = need(f, "alternative_reason", "alternative_measure")
	case "omit":
		m = append(m, Missing{Item: "notice_decision", JA: "通知しない場合は完了ではなく「省略」（スキップ）を申請してください。",
			EN: "To omit the notice, submit a skip request instead."})
	case "defer":
		m = append(m, Missing{Item: "notice_decision", JA: "延期中は完了できません。通知を行ってから申請してください。",
			EN: "A deferred notice cannot be completed; notify first."})
	default:
		m = need(f, "notice_decision")
	}
	if pub, ok := f.Bool("publication_done"); !ok {
		m = append(m, need(f, "publication_done")...)
	} else if pub {
		m = append(m, need(f, "published_at", "publication_channels")...)
	} else {
		m = append(m, need(f, "publication_omission_reason")...)
	}
	return append(m, need(f, "inquiry_desk_opened_at", "inquiry_desk_close_date", "compensation_form", "unjust_claims_procedure")...)
}

func exitRegulator(in ExitInput) []Missing {
	f := in.Facts
	m := need(f, "report_destination")
	if f.Str("report_destination") == "delegated_ministry" {
		m = append(m, need(f, "ministry_name")...)
	}
	if !f.isTrue("single_combined_report") {
		m = append(m, need(f, "prelim_submitted_at")...)
	}
	m = append(m, need(f, "final_submitted_at", "final_receipt_no", "supplement_status")...)
	// Report item 8 needs the prevention plan (done vs planned) before the
	// final report is filed (domain.md Stage 7 note).
	return append(m, need(f, "recurrence_plan_summary")...)
}

func exitRecurrence(in ExitInput) []Missing {
	return need(in.Facts, "recurrence_plan_summary", "effectiveness_review_at")
}

func exitDiscipline(in ExitInput) []Missing {
	f := in.Facts
	m := need(f, "sanction", "discipline_decided_at", "accusation_filed")
	if f.isTrue("accusation_filed") {
		m = append(m, need(f, "accusation_filed_at")...)
	}
	return m
}

// closeCriteria is §1.9: every stage finished and monitoring has an end
// date. (A filed final report is part of the regulator stage's exit; a
// skipped regulator stage carries an approved not-reportable finding.)
func closeCriteria(c *Case) []Missing {
	var m []Missing
	for _, s := range Stages {
		st := c.stateOf(s)
		if !st.Finished() {
			m = append(m, Missing{Item: "stage:" + string(s),
				JA: "「" + s.LabelJA() + "」が完了・スキップしていません。",
				EN: s.LabelEN() + " is not done or skipped."})
		}
	}
	if c.stateOf(StageContainment) == StateDone {
		m = append(m, need(c.Facts, "monitoring_end_date")...)
	}
	return m
}

// --- helpers ---

func (s Stage) item(slug string) string { return string(s) + "." + slug }

func labelOf(name string) (ja, en string) {
	if f, ok := fieldIndex[name]; ok {
		return f.LabelJA, f.LabelEN
	}
	return name, name
}

func need(f Facts, names ...string) []Missing {
	var m []Missing
	for _, n := range names {
		if !f.has(n) {
			ja, en := labelOf(n)
			m = append(m, Missing{Item: n, JA: "「" + ja + "」が未入力です。", EN: en + " is not recorded."})
		}
	}
	return m
}

func missingTick(it ChecklistItem) Missing {
	return Missing{Item: it.ID, JA: "チェック項目「" + it.JA + "」が未完了です。", EN: "Checklist item not ticked: " + it.EN}
}

func factIsTrue(name, ja, en string) func(Facts) []Missing {
	return func(f Facts) []Missing {
		if f.isTrue(name) {
			return nil
		}
		return []Missing{{Item: name, JA: ja, EN: en}}
	}
}

func factEquals(name, want, ja, en string) func(Facts) []Missing {
	return func(f Facts) []Missing {
		if f.Str(name) == want {
			return nil
		}
		return []Missing{{Item: name, JA: ja, EN: en}}
	}
}

func findingNotReportable(f Facts) []Missing {
	if f.Str("reportability_finding") == "not_reportable" {
		return nil
	}
	return []Missing{{Item: "reportability_finding", JA: "「報告対象かどうかの判断」が「報告対象外」と記録されていません。",
		EN: "The reportability finding is not recorded as not reportable."}}
}
