// Package audit is the auditor's logic, pure: a case "as of" any event of its history, the
// difference between two points, the events an auditor should look at, and the management-review
// figures. It reads histories (incident.Event) and never writes; the only source of a past state is
// incident.Replay over a prefix of the stored events, so the past cannot disagree with the history.
//
// Standard library, incident, appi and chain only; time is passed in.
package audit

import (
	"fmt"
	"strings"
	"time"

	"github.com/leakdesk/leakdesk/internal/incident"
)

// AsOf rebuilds the case exactly as it was right after event seq, by replaying the first seq events
// of its history (events in seq order, starting at 1). Errors: CodeInvalid when seq is outside
// 1..len(events); CodeInternal when the history does not replay.
func AsOf(events []incident.Event, seq int64) (*incident.Case, error) {
	if seq < 1 || seq > int64(len(events)) {
		return nil, incident.Invalid(
			fmt.Sprintf("時点の指定が正しくありません（1〜%dの番号を指定してください）。", len(events)),
			fmt.Sprintf("the point in history must be between 1 and %d", len(events)),
			incident.FieldError{Field: "at", JA: "履歴の範囲外です。", EN: "outside the history"})
	}
	return incident.Replay(events[:seq])
}

// Point is one event of a history with the time it happened, for choosing a point to replay to.
type Point struct {
	Seq     int64
	Type    string
	At      time.Time
	ActorID int64
	JA, EN  string // one-line summary
}

// Points summarises each event of a history in order.
func Points(events []incident.Event) []Point {
	out := make([]Point, len(events))
	for i, e := range events {
		ja, en := Summary(e)
		out[i] = Point{Seq: e.Seq, Type: e.Type, At: e.At, ActorID: e.ActorID, JA: ja, EN: en}
	}
	return out
}

// Summary describes one event in a line, in Japanese and English.
func Summary(e incident.Event) (ja, en string) {
	p := e.Payload
	str := func(k string) string { s, _ := p[k].(string); return s }
	stageJA := func() string {
		if s := incident.Stage(str("stage")); s.Valid() {
			return s.LabelJA()
		}
		return str("stage")
	}
	stageEN := func() string {
		if s := incident.Stage(str("stage")); s.Valid() {
			return s.LabelEN()
		}
		return str("stage")
	}
	switch e.Type {
	case incident.EventCaseOpened:
		return "案件登録: " + str("title"), "Case opened: " + str("title")
	case incident.EventFactsChanged:
		names := changedFields(p)
		ja, en := "", ""
		for i, n := range names {
			fja, fen := fieldLabel(n)
			if i > 0 {
				ja += "、"
				en += ", "
			}
			ja += fja
			en += fen
		}
		return "事実の記録: " + ja, "Facts recorded: " + en
	case incident.EventChecklistTicked:
		if b, _ := p["checked"].(bool); !b {
			return "チェック解除: " + str("item"), "Checklist item unticked: " + str("item")
		}
		return "チェック: " + str("item"), "Checklist item ticked: " + str("item")
	case incident.EventOwnerAssigned:
		return "担当者の変更", "Case handler changed"
	case incident.EventInvolvementMarked:
		return "関与者の指定・解除", "Involvement marked or cleared"
	case incident.EventStageOpened:
		return "段階開始: " + stageJA(), "Stage opened: " + stageEN()
	case incident.EventStageChanged:
		return fmt.Sprintf("段階「%s」: %s → %s", stageJA(), stateJA(str("from")), stateJA(str("to"))),
			fmt.Sprintf("Stage %s: %s → %s", stageEN(), str("from"), str("to"))
	case incident.EventRequestSubmitted:
		return fmt.Sprintf("承認申請 #%v（%s %s）", p["request_id"], kindJA(str("kind")), stageJA()),
			fmt.Sprintf("Request #%v submitted (%s %s)", p["request_id"], str("kind"), stageEN())
	case incident.EventRequestApproved:
		ja := fmt.Sprintf("承認 #%v（%s）", p["request_id"], str("approver_name"))
		en := fmt.Sprintf("Request #%v approved by %s", p["request_id"], str("approver_name"))
		if b, _ := p["as_deputy"].(bool); b {
			ja += "【代理承認】"
			en += " (as deputy)"
		}
		return ja, en
	case incident.EventRequestSentBack:
		return fmt.Sprintf("差戻し #%v", p["request_id"]), fmt.Sprintf("Request #%v sent back", p["request_id"])
	case incident.EventRequestWithdrawn:
		return fmt.Sprintf("申請の取下げ #%v", p["request_id"]), fmt.Sprintf("Request #%v withdrawn", p["request_id"])
	case incident.EventCaseClosed:
		return "案件終了（" + str("outcome") + "）", "Case closed (" + str("outcome") + ")"
	case incident.EventCaseReopened:
		return "案件の再開", "Case reopened"
	case incident.EventAssessmentChanged:
		st := ""
		if m, ok := p["appi"].(map[string]any); ok {
			st, _ = m["status"].(string)
		}
		return "法的評価の更新（" + reportabilityJA(st) + "）", "Assessment updated (" + st + ")"
	case incident.EventRecordAdded, incident.EventRecordUpdated, incident.EventRecordWithdrawn:
		d, _ := incident.LookupRecordKind(incident.RecordKind(str("kind")))
		verb := map[string][2]string{incident.EventRecordAdded: {"記録の追加", "Record added"},
			incident.EventRecordUpdated: {"記録の変更", "Record updated"}, incident.EventRecordWithdrawn: {"記録の取下げ", "Record withdrawn"}}[e.Type]
		return fmt.Sprintf("%s: %s「%s」#%v", verb[0], stageJA(), d.LabelJA, p["record_id"]),
			fmt.Sprintf("%s: %s, %s #%v", verb[1], stageEN(), d.LabelEN, p["record_id"])
	case incident.EventEvidenceAttached:
		// The file name stays out of the one-line summary: for the discipline stage it may be restricted.
		return fmt.Sprintf("証跡ファイルの添付: %s（SHA-256 %.12s…）", stageJA(), str("sha256")),
			fmt.Sprintf("Evidence attached: %s (SHA-256 %.12s…)", stageEN(), str("sha256"))
	}
	return e.Type, e.Type
}

func changedFields(p map[string]any) []string {
	var out []string
	add := func(m map[string]any) {
		if f, ok := m["field"].(string); ok {
			out = append(out, f)
		}
	}
	switch xs := p["changes"].(type) {
	case []any:
		for _, x := range xs {
			if m, ok := x.(map[string]any); ok {
				add(m)
			}
		}
	case []map[string]any:
		for _, m := range xs {
			add(m)
		}
	}
	return out
}

func fieldLabel(name string) (ja, en string) {
	if f, ok := incident.LookupField(name); ok {
		return f.LabelJA, f.LabelEN
	}
	return name, name
}

var stateLabels = map[string]string{
	"not_started": "未着手", "in_progress": "対応中", "awaiting_approval": "承認待ち",
	"done": "完了", "skipped": "省略", "not_applicable": "対象外",
}

func stateJA(s string) string {
	if l, ok := stateLabels[s]; ok {
		return l
	}
	return s
}

// StateJA is the Japanese name of a stage state.
func StateJA(s incident.StageState) string { return stateJA(string(s)) }

var kindLabels = map[string]string{
	"complete": "完了", "skip": "省略", "defer": "延期", "close": "案件終了", "close_not_incident": "事案に該当せず終了",
}

func kindJA(k string) string {
	if l, ok := kindLabels[k]; ok {
		return l
	}
	return k
}

// KindJA is the Japanese name of a request kind.
func KindJA(k incident.RequestKind) string { return kindJA(string(k)) }

func reportabilityJA(s string) string {
	switch s {
	case "reportable":
		return "報告対象"
	case "not_reportable":
		return "報告対象外"
	case "undetermined":
		return "判定未了"
	}
	return "評価なし"
}

// ReportabilityJA is the Japanese name of an assessment status ("" = no assessment yet).
func ReportabilityJA(s string) string { return reportabilityJA(s) }

// Reportability reads the APPI status (or the My Number status when that one is reportable) from an
// assessment_changed payload: "reportable", "not_reportable", "undetermined" or "" when none.
func Reportability(assessment map[string]any) string {
	if assessment == nil {
		return ""
	}
	status := func(k string) string {
		m, _ := assessment[k].(map[string]any)
		s, _ := m["status"].(string)
		return s
	}
	if status("appi") == "reportable" || status("mynumber") == "reportable" {
		return "reportable"
	}
	return status("appi")
}

// FactText shows a fact value in Japanese: option labels for enums and sets, はい/いいえ for
// booleans, "（未記録）" for a fact not recorded.
func FactText(name string, v any) string {
	switch x := v.(type) {
	case nil:
		return "（未記録）"
	case string:
		ja, _ := incident.OptionLabel(name, x)
		return ja
	case []string:
		parts := make([]string, len(x))
		for i, s := range x {
			parts[i], _ = incident.OptionLabel(name, s)
		}
		return strings.Join(parts, "、")
	case []any:
		parts := make([]string, len(x))
		for i, s := range x {
			parts[i] = FactText(name, s)
		}
		return strings.Join(parts, "、")
	case bool:
		if x {
			return "はい"
		}
		return "いいえ"
	}
	return fmt.Sprint(v)
}
