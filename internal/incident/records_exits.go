package incident

// Stage exit criteria fed by records, and who may see a stage's records and evidence.

import (
	"strconv"
)

func recordsOf(in ExitInput, k RecordKind) []*Record {
	var out []*Record
	for _, r := range in.Records {
		if r.Kind == k && !r.Withdrawn {
			out = append(out, r)
		}
	}
	return out
}

func missingRecord(k RecordKind, ja, en string) Missing {
	return Missing{Item: "record:" + string(k), JA: ja, EN: en}
}

// exitContainmentRecords: monitoring was actually done (SEED000 Art. 6), and
// an escalation step marked done is backed by its record — a warning letter
// with its proof of delivery (Art. 8), a suit with its case number (Art. 9).
func exitContainmentRecords(in ExitInput) []Missing {
	var m []Missing
	if len(recordsOf(in, RecMonitoring)) == 0 {
		m = append(m, missingRecord(RecMonitoring, "監視記録（実施日・監視した場所・結果）が1件もありません。",
			"No monitoring log entry (date, where searched, result) is recorded."))
	}
	if in.Facts.Str("return_request_status") == "done" && len(recordsOf(in, RecReturnRequest)) == 0 {
		m = append(m, missingRecord(RecReturnRequest, "返還・削除請求を実施済みとするには請求の記録が必要です。",
			"A return request marked done needs its record."))
	}
	if in.Facts.Str("warning_letter_status") == "done" {
		ok := false
		for _, r := range recordsOf(in, RecWarningLetter) {
			ok = ok || r.Values.has("delivery_proof")
		}
		if !ok {
			m = append(m, missingRecord(RecWarningLetter, "警告を実施済みとするには配達証明のある内容証明郵便の記録が必要です。",
				"A warning marked done needs a certified-mail record with its delivery proof."))
		}
	}
	if in.Facts.Str("injunction_status") == "done" {
		ok := false
		for _, r := range recordsOf(in, RecInjunction) {
			ok = ok || r.Values.has("case_no")
		}
		if !ok {
			m = append(m, missingRecord(RecInjunction, "差止め訴訟を実施済みとするには事件番号のある訴訟の記録が必要です。",
				"An injunction marked done needs a suit record with its case number."))
		}
	}
	return m
}

// exitPoliceRecords: each filing (not a mere consultation) has its receipt
// number (domain.md Stage 3 exit).
func exitPoliceRecords(in ExitInput) []Missing {
	var m []Missing
	for _, r := range recordsOf(in, RecPoliceFiling) {
		if r.Values.Str("action") != "consultation" && !r.Values.has("receipt_no") {
			m = append(m, Missing{Item: "record:" + string(RecPoliceFiling) + ":" + itoa(r.ID),
				JA: "警察への届出（記録" + itoa(r.ID) + "）の受理番号が未入力です。", EN: "Police filing " + itoa(r.ID) + " has no receipt number."})
		}
	}
	return m
}

// exitNoticeRecords: every money claim is decided, accepted or refused with
// its reason (SEED000 Art. 13).
func exitNoticeRecords(in ExitInput) []Missing {
	var m []Missing
	for _, r := range recordsOf(in, RecMoneyClaim) {
		if r.Values.Str("decision") == "pending" {
			m = append(m, Missing{Item: "record:" + string(RecMoneyClaim) + ":" + itoa(r.ID),
				JA: "金銭の請求（記録" + itoa(r.ID) + "）の判断が未了です。", EN: "Money claim " + itoa(r.ID) + " is not decided."})
		}
	}
	return m
}

// exitRecurrenceRecords: at least one measure (skip is not allowed, a
// single reminder is the minimum), each done with evidence or planned with
// an owner and a due date (domain.md Stage 7 exit).
func exitRecurrenceRecords(in ExitInput) []Missing {
	ms := recordsOf(in, RecMeasure)
	if len(ms) == 0 {
		return []Missing{missingRecord(RecMeasure, "再発防止策が1件も登録されていません（区分・範囲・責任者・期限）。",
			"No recurrence measure is recorded (safeguard, scope, owner, due date).")}
	}
	var m []Missing
	for _, r := range ms {
		v := r.Values
		switch v.Str("status") {
		case "done", "verified":
			if !v.has("evidence") {
				m = append(m, Missing{Item: "record:" + string(RecMeasure) + ":" + itoa(r.ID),
					JA: "再発防止策（記録" + itoa(r.ID) + "）に完了の証跡がありません。", EN: "Measure " + itoa(r.ID) + " has no evidence of completion."})
			}
		default:
			if !v.has("owner") || !v.has("due_date") {
				m = append(m, Missing{Item: "record:" + string(RecMeasure) + ":" + itoa(r.ID),
					JA: "再発防止策（記録" + itoa(r.ID) + "）の責任者又は期限が未入力です。", EN: "Measure " + itoa(r.ID) + " has no owner or due date."})
			}
		}
	}
	return m
}

// exitDisciplineRecords: a decided accusation is backed by its filing
// record (SEED000 Art. 16).
func exitDisciplineRecords(in ExitInput) []Missing {
	var m []Missing
	if in.Facts.isTrue("accusation_filed") && len(recordsOf(in, RecCriminalComplaint)) == 0 {
		m = append(m, missingRecord(RecCriminalComplaint, "告発する場合は告発・告訴の記録（提出先・提出日）が必要です。",
			"A decided accusation needs its filing record."))
	}
	// The approval policy reads the stage's sanction fact (a dismissal needs the CEO, §5.3), so the
	// fact must be at least as heavy as the heaviest sanction decided for any one employee:
	// otherwise recording 懲戒解雇 per employee and a lighter fact would bypass the CEO.
	heaviest := -1
	for _, r := range recordsOf(in, RecDiscipline) {
		heaviest = max(heaviest, sanctionRank(r.Values.Str("sanction")))
	}
	if heaviest > sanctionRank(in.Facts.Str("sanction")) {
		o := sanctionOptions[heaviest]
		m = append(m, Missing{Item: "sanction",
			JA: "「処分」が従業員ごとの記録のうち最も重い処分（" + o.JA + "）より軽くなっています。最も重い処分を記録してください。",
			EN: "The sanction fact is lighter than the heaviest sanction recorded for an employee (" + o.EN + "); record the heaviest."})
	}
	return m
}

// sanctionRank orders sanctions from none to dismissal (the order of sanctionOptions); -1 when
// none is recorded.
func sanctionRank(v string) int {
	for i, o := range sanctionOptions {
		if o.Value == v {
			return i
		}
	}
	return -1
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// CanSeeStageContents reports whether the actor may see the records and
// files of stage s: everyone for the open stages; for discipline only
// CanSeeRestricted actors not involved in c. Others see that the stage
// exists and its state, not its contents.
func CanSeeStageContents(a Actor, c *Case, s Stage) bool {
	return s != StageDiscipline || (CanSeeRestricted(a) && !c.Involved[a.UserID])
}

// VisibleEvidence returns the files of stage s ("" = all) the actor may see.
func VisibleEvidence(a Actor, c *Case, s Stage) []*Evidence {
	var out []*Evidence
	for _, e := range c.Evidence {
		if (s == "" || e.Stage == s) && CanSeeStageContents(a, c, e.Stage) {
			out = append(out, e)
		}
	}
	return out
}

// RestrictedRecordEvent reports whether e carries restricted content: a
// record event of a restricted kind, or a file attached to the discipline
// stage. Timelines and the events API redact such payloads for viewers
// who may not see restricted data (the hash still covers them).
func RestrictedRecordEvent(e Event) bool {
	switch e.Type {
	case EventRecordAdded, EventRecordUpdated, EventRecordWithdrawn:
		d, ok := recordKindIndex[RecordKind(pStr(e.Payload, "kind"))]
		return ok && d.Restricted
	case EventEvidenceAttached:
		return Stage(pStr(e.Payload, "stage")) == StageDiscipline
	}
	return false
}

// EarliestOpenMeasureDue is the earliest due date (a JST date, "2006-01-02") of the case's
// recurrence measures that are neither withdrawn nor done, "" when there is none. The store keeps
// it in a column so that the dashboard finds overdue measures by index instead of reading every
// open case's records.
func (c *Case) EarliestOpenMeasureDue() string {
	min := ""
	for _, r := range c.Records {
		if r.Kind != RecMeasure || r.Withdrawn {
			continue
		}
		if s := r.Values.Str("status"); s == "done" || s == "verified" {
			continue
		}
		if due := r.Values.Str("due_date"); due != "" && (min == "" || due < min) {
			min = due
		}
	}
	return min
}
