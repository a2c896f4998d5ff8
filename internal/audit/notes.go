package audit

import (
	"fmt"
	"time"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// NoteKind is the closed set of things in a history an auditor should look at.
type NoteKind string

// Note kinds.
const (
	NoteDeputy             NoteKind = "deputy_approval"      // approved by a deputy (代理承認)
	NoteTwoApprovers       NoteKind = "two_approvers"        // a decision that needed two approvers
	NoteSkipped            NoteKind = "stage_skipped"        // a stage skipped, with its reason
	NoteNotApplicable      NoteKind = "stage_not_applicable" // a stage closed as not applicable
	NoteClosedNotIncident  NoteKind = "closed_not_incident"  // the case closed as not an incident
	NoteDeadlineMissed     NoteKind = "deadline_missed"      // a deadline done late or still open past due
	NoteChangedAfterFiling NoteKind = "changed_after_filing" // facts changed after 速報/確報 was filed
	NoteSentBack           NoteKind = "request_sent_back"    // a request sent back with a comment
	NoteReopened           NoteKind = "reopened"             // a stage or the case reopened
)

// Note is one noteworthy event. Seq is the event it comes from (0 for a deadline still open).
type Note struct {
	Kind      NoteKind
	Seq       int64
	At        time.Time
	ActorID   int64
	Stage     incident.Stage
	RequestID int64
	JA, EN    string
	// Fields are the facts changed (changed_after_filing).
	Fields []string
	// Late is by how long a deadline was missed (deadline_missed).
	Late time.Duration
	// Names are the approvers (two_approvers, deputy_approval).
	Names []string
}

// Noteworthy walks a history (in seq order) and lists what an auditor should look at, in the
// order it happened, followed by the deadlines missed. Deadlines come from the law engine run on
// the facts at the end of the history, at now: a deadline met late is reported with its delay, one
// still open past its due time with the delay so far. It fails only when the history does not
// replay.
func Noteworthy(events []incident.Event, law appi.Options, now time.Time) ([]Note, error) {
	var out []Note
	c := &incident.Case{}
	for _, e := range events {
		prelimBefore, _ := appi.DateTime(appi.Facts(c.Facts), "prelim_submitted_at")
		finalBefore, _ := appi.DateTime(appi.Facts(c.Facts), "final_submitted_at")
		hadPrelim := c.Facts != nil && c.Facts["prelim_submitted_at"] != nil
		hadFinal := c.Facts != nil && c.Facts["final_submitted_at"] != nil
		if err := c.Apply(e); err != nil {
			return nil, err
		}
		p := e.Payload
		str := func(k string) string { s, _ := p[k].(string); return s }
		reqID := toInt(p["request_id"])
		base := Note{Seq: e.Seq, At: e.At, ActorID: e.ActorID, Stage: incident.Stage(str("stage")), RequestID: reqID}
		switch e.Type {
		case incident.EventRequestApproved:
			r := c.Request(reqID)
			if b, _ := p["as_deputy"].(bool); b {
				n := base
				n.Kind = NoteDeputy
				if r != nil {
					n.Stage = r.Stage
				}
				n.Names = []string{str("approver_name")}
				n.JA = fmt.Sprintf("%s が代理で承認しました（申請 #%d）。", str("approver_name"), reqID)
				n.EN = fmt.Sprintf("%s approved as deputy (request #%d).", str("approver_name"), reqID)
				if note := str("note"); note != "" {
					n.JA += "理由: " + note
					n.EN += " Note: " + note
				}
				out = append(out, n)
			}
			if final, _ := p["final"].(bool); final && r != nil && len(r.Approvals) >= 2 {
				n := base
				n.Kind, n.Stage = NoteTwoApprovers, r.Stage
				for _, ap := range r.Approvals {
					n.Names = append(n.Names, ap.Name)
				}
				n.JA = fmt.Sprintf("2名の承認を要した決定（%s%s、申請 #%d）: %v", stageLabelJA(r.Stage), kindJA(string(r.Kind)), reqID, n.Names)
				n.EN = fmt.Sprintf("Decision that needed two approvers (%s %s, request #%d): %v", r.Stage, r.Kind, reqID, n.Names)
				out = append(out, n)
			}
		case incident.EventStageChanged:
			switch incident.StageState(str("to")) {
			case incident.StateSkipped:
				n := base
				n.Kind = NoteSkipped
				n.JA = fmt.Sprintf("段階「%s」を省略（理由: %s）%s", stageLabelJA(n.Stage), str("reason_code"), str("note"))
				n.EN = fmt.Sprintf("Stage %s skipped (reason: %s) %s", n.Stage, str("reason_code"), str("note"))
				out = append(out, n)
			case incident.StateNotApplicable:
				n := base
				n.Kind = NoteNotApplicable
				why := str("reason")
				if why == "" {
					why = str("note")
				}
				n.JA = fmt.Sprintf("段階「%s」を対象外として終了（%s）", stageLabelJA(n.Stage), why)
				n.EN = fmt.Sprintf("Stage %s closed as not applicable (%s)", n.Stage, why)
				out = append(out, n)
			case incident.StateInProgress:
				if from := incident.StageState(str("from")); from == incident.StateDone || from == incident.StateSkipped {
					n := base
					n.Kind = NoteReopened
					n.JA = fmt.Sprintf("段階「%s」を再開（%s）", stageLabelJA(n.Stage), str("note"))
					n.EN = fmt.Sprintf("Stage %s reopened (%s)", n.Stage, str("note"))
					out = append(out, n)
				}
			}
		case incident.EventRequestSentBack:
			n := base
			n.Kind = NoteSentBack
			if r := c.Request(reqID); r != nil {
				n.Stage = r.Stage
			}
			n.JA = fmt.Sprintf("申請 #%d を差戻し: %s", reqID, str("note"))
			n.EN = fmt.Sprintf("Request #%d sent back: %s", reqID, str("note"))
			out = append(out, n)
		case incident.EventCaseClosed:
			if incident.CaseStatus(str("outcome")) == incident.StatusClosedNotIncident {
				n := base
				n.Kind = NoteClosedNotIncident
				n.JA = "「事案に該当せず」として終了: " + str("reason")
				n.EN = "Closed as not an incident: " + str("reason")
				out = append(out, n)
			}
		case incident.EventCaseReopened:
			n := base
			n.Kind = NoteReopened
			n.JA = "案件を再開: " + str("reason")
			n.EN = "Case reopened: " + str("reason")
			out = append(out, n)
		case incident.EventFactsChanged:
			if !hadPrelim && !hadFinal {
				break
			}
			// The report's items (overview, data, number, cause, secondary damage) are facts of the
			// discovery and investigation stages; a change there after filing may need a supplement.
			// Later stages (notice, discipline, the filings themselves) change as a matter of course.
			var fields []string
			for _, f := range changedFields(p) {
				if fd, ok := incident.LookupField(f); ok && (fd.Stage == incident.StageDiscovery || fd.Stage == incident.StageInvestigation) {
					fields = append(fields, f)
				}
			}
			if len(fields) == 0 {
				break
			}
			n := base
			n.Kind, n.Fields = NoteChangedAfterFiling, fields
			which, whichEN, filed := "速報", "preliminary report", prelimBefore
			if hadFinal {
				which, whichEN, filed = "確報", "final report", finalBefore
			}
			var ja, en string
			for i, f := range fields {
				fja, fen := fieldLabel(f)
				if i > 0 {
					ja += "、"
					en += ", "
				}
				ja += fja
				en += fen
			}
			n.JA = fmt.Sprintf("%s提出（%s）後に事実を変更: %s", which, filed.In(incident.JST()).Format("2006-01-02 15:04"), ja)
			n.EN = fmt.Sprintf("Facts changed after the %s was filed (%s): %s", whichEN, filed.In(incident.JST()).Format("2006-01-02 15:04"), en)
			out = append(out, n)
		}
	}
	if c.Version == 0 {
		return out, nil
	}
	a := appi.Assess(appi.Facts(c.Facts), law, now)
	for _, d := range a.Missed() {
		var late time.Duration
		if d.MissedBySeconds != nil {
			late = time.Duration(*d.MissedBySeconds) * time.Second
		}
		n := Note{Kind: NoteDeadlineMissed, Late: late}
		label := d.LabelJA
		if d.CompletedAt != nil {
			n.At = *d.CompletedAt
			n.JA = fmt.Sprintf("%s（期限 %s）を %s 遅れて完了", label, d.Due, DurationJA(late))
			n.EN = fmt.Sprintf("%s (due %s) done %s late", d.LabelEN, d.Due, DurationEN(late))
		} else {
			n.At = now
			n.JA = fmt.Sprintf("%s（期限 %s）が未了のまま %s 超過", label, d.Due, DurationJA(late))
			n.EN = fmt.Sprintf("%s (due %s) still open, %s overdue", d.LabelEN, d.Due, DurationEN(late))
		}
		out = append(out, n)
	}
	return out, nil
}

func stageLabelJA(s incident.Stage) string {
	if s.Valid() {
		return s.LabelJA()
	}
	return ""
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int:
		return int64(x)
	case float64:
		return int64(x)
	case interface{ Int64() (int64, error) }:
		n, _ := x.Int64()
		return n
	}
	return 0
}

// DurationJA writes a duration as days, hours and minutes in Japanese ("2日3時間", "45分").
func DurationJA(d time.Duration) string {
	days, h, m := split(d)
	switch {
	case days > 0 && h > 0:
		return fmt.Sprintf("%d日%d時間", days, h)
	case days > 0:
		return fmt.Sprintf("%d日", days)
	case h > 0 && m > 0:
		return fmt.Sprintf("%d時間%d分", h, m)
	case h > 0:
		return fmt.Sprintf("%d時間", h)
	}
	return fmt.Sprintf("%d分", m)
}

// DurationEN writes a duration as days, hours and minutes in English ("2d 3h", "45m").
func DurationEN(d time.Duration) string {
	days, h, m := split(d)
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, h)
	case h > 0:
		return fmt.Sprintf("%dh %dm", h, m)
	}
	return fmt.Sprintf("%dm", m)
}

func split(d time.Duration) (days, h, m int64) {
	if d < 0 {
		d = -d
	}
	mins := int64(d / time.Minute)
	return mins / (24 * 60), mins / 60 % 24, mins % 60
}
