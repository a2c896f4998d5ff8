package web_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// apiCall is the API-only test's request: it fails the test unless the status is want.
type apiCall func(method, path, tok, body string, want int, hdr ...string) resp

// apiOnlyToClosure takes the case of TestAPIOnly_FirstReportToClosure from its filed 速報 to
// closure through the API alone: investigation, police report and containment (a monitoring
// record), the 確報 drafted, finalised and approved by the manager and the privacy officer, then
// filed; the notice drafted and approved before the notice facts; recurrence prevention (a
// measure record) and discipline (HR, approved by a second HR member); the register exported with
// a reason; the close request approved; the case closed.
func apiOnlyToClosure(t *testing.T, call apiCall, version func(string) string, id string, tok map[string]string) {
	t.Helper()
	base := "/api/v1/cases/" + id
	at := func(ago time.Duration) string { return time.Now().Add(-ago).Format(time.RFC3339) }
	day := func(in time.Duration) string { return time.Now().Add(in).Format("2006-01-02") }
	patch := func(who string, facts map[string]any) {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"facts": facts})
		call(http.MethodPatch, base, tok[who], string(b), 200, "If-Match", version(id))
	}
	tick := func(who string, items ...string) {
		t.Helper()
		for _, it := range items {
			call(http.MethodPost, base+"/checklist", tok[who], `{"item":"`+it+`","checked":true}`, 200, "If-Match", version(id))
		}
	}
	record := func(kind string, values map[string]any) {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"kind": kind, "values": values})
		call(http.MethodPost, base+"/records", tok["staff"], string(b), 201, "If-Match", version(id))
	}
	type request struct {
		ID    int64    `json:"id"`
		State string   `json:"state"`
		Needs []string `json:"needs"`
	}
	submit := func(who, stage, kind, note string) int64 {
		t.Helper()
		in := map[string]string{"kind": kind, "note": note}
		if stage != "" { // the case-level kinds (close) name no stage
			in["stage"] = stage
		}
		b, _ := json.Marshal(in)
		var rq request
		_ = json.Unmarshal([]byte(call(http.MethodPost, base+"/requests", tok[who], string(b), 201, "If-Match", version(id)).Body), &rq)
		return rq.ID
	}
	// approve has each approver in turn decide the request; it must be approved after the last.
	approve := func(rid int64, approvers ...string) {
		t.Helper()
		var rq request
		for _, who := range approvers {
			rq = request{}
			_ = json.Unmarshal([]byte(call(http.MethodPost, "/api/v1/requests/"+strconv.FormatInt(rid, 10)+"/approve", tok[who], `{"note":"内容を確認した"}`,
				200, "If-Match", version(id)).Body), &rq)
		}
		if rq.State != "approved" {
			t.Fatalf("request %d after %v: %s, still needs %v", rid, approvers, rq.State, rq.Needs)
		}
	}
	// document drafts the case's document of kind, asks for it to be finalised and has it approved.
	document := func(kind, item, text string, approvers ...string) {
		t.Helper()
		doc := base + "/documents/" + kind
		call(http.MethodPut, doc, tok["staff"], `{"edits":{"`+item+`":"`+text+`"}}`, 200)
		var d struct {
			Status    string `json:"status"`
			Version   int    `json:"version"`
			RequestID int64  `json:"request_id"`
		}
		_ = json.Unmarshal([]byte(call(http.MethodPost, doc+"/finalise", tok["staff"], `{"version":0,"note":"確認をお願いします"}`, 200, "If-Match", version(id)).Body), &d)
		if d.Status != "final" || d.RequestID == 0 {
			t.Fatalf("finalise %s: %+v", kind, d)
		}
		approve(d.RequestID, approvers...)
		if pdf := call(http.MethodGet, doc+"/pdf?version="+strconv.Itoa(d.Version), tok["staff"], "", 200); !strings.HasPrefix(pdf.Body, "%PDF") {
			t.Errorf("%s: not a PDF", kind)
		}
	}

	// Investigation (the law's facts), police report, containment.
	patch("staff", map[string]any{"occurred_at": at(time.Hour), "occurred_at_precision": "exact", "event_types": []string{"leak"},
		"certainty": "suspected", "route": "email_missend", "medium": "email",
		"data_items": []string{"name", "email"}, "data_subject_types": []string{"customer"}, "affected_count": 3, "encryption": "none",
		"cause_category": "human_error", "cause_actor": "own_employee", "root_cause": "宛先の確認を省いた",
		"secondary_damage_exists": "unknown", "impact_scope": "顧客3名の氏名・メールアドレス",
		"reportability_finding": "reportable", "reportability_rationale": "不正の目的のおそれは否定できないが、件数は3名（規則7条の判断）"})
	tick("staff", "investigation.basic_facts", "investigation.four_points", "investigation.cause_four_angles",
		"investigation.staff_interviews", "investigation.legal_definitions")
	patch("staff", map[string]any{"police_actions": []string{"consultation"}, "police_station": "新宿警察署",
		"police_filed_at": at(4 * time.Minute), "police_receipt_no": "R-000123"})
	tick("staff", "police_report.file_report")
	pol := submit("staff", "police_report", "complete", "")
	patch("staff", map[string]any{"exposure_ended_at": at(3 * time.Minute), "destination_status": "unidentifiable",
		"monitoring_method": "web_search", "monitoring_end_date": day(90 * 24 * time.Hour),
		"return_request_status": "not_applicable", "warning_letter_status": "not_applicable", "injunction_status": "not_applicable",
		"escalation_na_reason": "送信先が特定できないため"})
	tick("staff", "containment.provisional_measures", "containment.identify_destination", "containment.prevent_further_damage")
	record("monitoring_entry", map[string]any{"date": day(0), "searched_where": "web", "query": "社名 顧客 流出", "result": "nothing_found"})
	con := submit("staff", "containment", "complete", "")
	approve(pol, "manager")
	approve(con, "manager")
	approve(submit("staff", "investigation", "complete", ""), "manager")

	// The 確報: approved (manager and privacy officer), then filed; the regulator stage.
	document("report_final", "item9", "再発防止策は実施済み。", "manager", "privacy")
	patch("staff", map[string]any{"report_destination": "PPC", "final_submitted_at": at(2 * time.Minute), "final_receipt_no": "PPC-00042",
		"supplement_status": "none_needed", "recurrence_plan_summary": "実施済み: 宛先確認の二重化。予定: 誤送信防止ツールの導入"})
	tick("staff", "regulator_report.web_form")
	approve(submit("staff", "regulator_report", "complete", ""), "manager", "privacy")

	// The notice to the people: the document approved before the notice facts.
	document("notice", "body", "このたびは、お客様の個人情報を誤って送信いたしました。", "manager")
	patch("staff", map[string]any{"notice_decision": "notify_individually", "notice_method": []string{"email"},
		"notice_started_at": at(90 * time.Second), "notice_completed_at": at(time.Minute),
		"publication_done": false, "publication_omission_reason": "個別通知で足りる",
		"inquiry_desk_opened_at": at(90 * time.Second), "inquiry_desk_close_date": day(120 * 24 * time.Hour),
		"compensation_form": "none", "unjust_claims_procedure": "弁護士に相談の上で拒否"})
	approve(submit("staff", "customer_notice", "complete", ""), "manager")

	// Recurrence prevention and discipline.
	patch("staff", map[string]any{"effectiveness_review_at": day(150 * 24 * time.Hour)})
	tick("staff", "recurrence_prevention.measures_four_points", "recurrence_prevention.corrective_action_cycle")
	record("recurrence_measure", map[string]any{"description": "宛先確認の二重化と誤送信防止ツール", "safeguard": "technical",
		"scope": "company_wide", "owner": "情報システム部長", "due_date": day(60 * 24 * time.Hour), "status": "planned"})
	approve(submit("staff", "recurrence_prevention", "complete", ""), "privacy")
	patch("hr", map[string]any{"sanction": "reprimand", "culpability": "negligence", "discipline_decided_at": at(30 * time.Second), "accusation_filed": false})
	tick("hr", "discipline.work_rules")
	approve(submit("hr", "discipline", "complete", ""), "hr2")

	// The register leaves leakdesk once more, with a reason, before closing.
	if csv := call(http.MethodPost, base+"/persons/export", tok["staff"], `{"kind":"mailmerge","reason":"通知結果の保管"}`, 200); !strings.Contains(csv.Body, "鈴木 次郎") {
		t.Errorf("register export: %.200s", csv.Body)
	}

	approve(submit("manager", "", "close", "全段階完了"), "privacy")
	var c struct {
		Status string `json:"status"`
	}
	_ = json.Unmarshal([]byte(call(http.MethodGet, base, tok["staff"], "", 200).Body), &c)
	if c.Status != "closed" {
		t.Fatalf("case status after the close request: %q, want closed", c.Status)
	}
}
