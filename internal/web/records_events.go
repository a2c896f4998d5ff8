package web

// How record events read in the case timeline and on the auditor's desk.

import (
	"fmt"
	"strings"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

func recordEventLines(e incident.Event, lang string, restricted bool) []string {
	p := e.Payload
	str := func(k string) string { v, _ := p[k].(string); return v }
	st := incident.Stage(str("stage"))
	d, _ := incident.LookupRecordKind(incident.RecordKind(str("kind")))
	head := pick(lang, st.LabelJA(), st.LabelEN())
	if e.Type == incident.EventEvidenceAttached {
		head += " / " + pick(lang, "証跡ファイル", "evidence file")
	} else {
		head += " / " + pick(lang, d.LabelJA, d.LabelEN) + " #" + fmt.Sprint(p["record_id"])
	}
	lines := []string{head}
	if incident.RestrictedRecordEvent(e) && !restricted {
		return append(lines, pick(lang, "（閲覧権限がありません）", "(restricted)"))
	}
	switch e.Type {
	case incident.EventRecordAdded:
		vals, _ := p["values"].(map[string]any)
		for _, f := range d.Fields {
			if v, ok := vals[f.Name]; ok {
				lines = append(lines, pick(lang, f.LabelJA, f.LabelEN)+": "+shortValue(v))
			}
		}
	case incident.EventRecordUpdated:
		list, _ := p["changes"].([]any)
		for _, x := range list {
			m, _ := x.(map[string]any)
			name, _ := m["field"].(string)
			label := name
			if f, ok := d.Field(name); ok {
				label = pick(lang, f.LabelJA, f.LabelEN)
			}
			lines = append(lines, fmt.Sprintf("%s: %s → %s", label, shortValue(m["old"]), shortValue(m["new"])))
		}
	case incident.EventRecordWithdrawn:
		lines = append(lines, pick(lang, "理由", "Reason")+": "+str("reason"))
	case incident.EventEvidenceAttached:
		lines = append(lines, fmt.Sprintf("%s (%v B) SHA-256: %s", str("name"), p["size"], str("sha256")))
	}
	return lines
}

// auditRecordRows lists the records and files of the case as replayed to a point, for the
// auditor desk's "as of" view (restricted kinds only for viewers who may see them).
func auditRecordRows(a incident.Actor, c *incident.Case, lang string) []view.AuditLabelValue {
	var out []view.AuditLabelValue
	for _, r := range incident.VisibleRecords(a, c, "") {
		d, _ := incident.LookupRecordKind(r.Kind)
		label := fmt.Sprintf("%s / %s #%d", pick(lang, r.Stage.LabelJA(), r.Stage.LabelEN()), pick(lang, d.LabelJA, d.LabelEN), r.ID)
		var parts []string
		for _, cell := range recordCells(d, r, lang) {
			parts = append(parts, cell.Label+": "+cell.Value)
		}
		value := strings.Join(parts, "、")
		if r.Withdrawn {
			value = pick(lang, "【取下げ: ", "[withdrawn: ") + r.WithdrawReason + pick(lang, "】", "] ") + value
		}
		out = append(out, view.AuditLabelValue{Key: fmt.Sprintf("record-%d", r.ID), Label: label, Value: value})
	}
	for _, e := range incident.VisibleEvidence(a, c, "") {
		out = append(out, view.AuditLabelValue{Key: fmt.Sprintf("evidence-%d", e.ID),
			Label: fmt.Sprintf("%s / %s", pick(lang, e.Stage.LabelJA(), e.Stage.LabelEN()), pick(lang, "証跡ファイル", "Evidence file")),
			Value: fmt.Sprintf("%s (%d B) SHA-256: %s", e.Name, e.Size, e.SHA256)})
	}
	return out
}
