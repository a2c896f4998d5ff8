package incident

import (
	"strings"
	"time"
	"unicode/utf8"
)

// FirstReport is what an officer or employee (役職員, 派遣・委託先 staff included) tells 総務部 in the
// first minutes (SEED003 4条, SEED004 47条1項): what happened, when they noticed, what data, how
// many people, where it went and how to reach them. Its field names are the facts they become
// (Contact and the phone marks are kept with the report, not in the facts), so a field error names
// the same input on the form and in the API.
type FirstReport struct {
	InitialDescription string   `json:"initial_description"`  // what happened
	RecognizedAt       string   `json:"recognized_at"`        // when they noticed (JST)
	SuspectedDataItems []string `json:"suspected_data_items"` // what data
	EstimatedCountMax  *int64   `json:"estimated_count_max"`  // how many people, at most
	LeakDestination    string   `json:"leak_destination"`     // where it went
	InvolvesMyNumber   bool     `json:"involves_my_number"`   // ticked: My Number may be involved
	ReporterContact    string   `json:"reporter_contact"`     // phone extension, mail, desk
	// ByPhone marks a report 総務部 took by phone and entered itself; ReporterName and
	// ReporterDept then say who called (the reporter may have no account).
	ByPhone      bool   `json:"by_phone"`
	ReporterName string `json:"reporter_name"`
	ReporterDept string `json:"reporter_dept"`
}

// FileFirstReport opens a case in discovery from a first report. Any reporter may file one for
// themselves; general-affairs staff and managers also enter the reports they take by phone, which
// count as received by 総務部 at once (reported_to_soumu_at). ReporterName is the reporter's own
// name for a report filed by its reporter. OwnerID is the handler (0: not yet assigned).
// Errors: forbidden (role, or a phone report by a non-handler), invalid (fields).
type FileFirstReport struct {
	ID      int64
	Number  string
	Report  FirstReport
	OwnerID int64
}

func (cmd FileFirstReport) decide(d *decider) error {
	if d.sim.Version != 0 {
		return Conflict("この案件は既に登録されています。", "case already exists")
	}
	handler := d.actor.Has(RoleStaff) || d.actor.Has(RoleManager)
	if !handler && !d.actor.Has(RoleReporter) {
		return Forbidden("第一報を登録する権限がありません。", "you may not file a first report")
	}
	if cmd.Report.ByPhone && !handler {
		return Forbidden("電話で受けた第一報を登録できるのは総務部の担当者又は部長です。", "only general-affairs staff or managers enter phone reports")
	}
	if cmd.ID <= 0 {
		return Internal("file first report: id %d", cmd.ID)
	}
	facts, fes := cmd.Report.facts(d.now)
	if len(fes) > 0 {
		return Invalid("入力内容を確認してください。", "check the input", fes...)
	}
	if err := d.emit(EventCaseOpened, map[string]any{
		"case_id": cmd.ID, "number": cmd.Number, "title": cmd.Report.title(), "drill": false, "owner_id": cmd.OwnerID,
	}); err != nil {
		return err
	}
	return d.changeFacts(facts)
}

// facts checks the report and turns it into the case's opening facts, with every field error.
func (r FirstReport) facts(now time.Time) (Facts, []FieldError) {
	var fes []FieldError
	req := func(field, v, ja, en string) {
		if strings.TrimSpace(v) == "" {
			fes = append(fes, FieldError{Field: field, JA: ja, EN: en})
		}
	}
	req("initial_description", r.InitialDescription, "何が起きたかを入力してください。", "say what happened")
	req("recognized_at", r.RecognizedAt, "気づいた日時を入力してください。", "say when you noticed")
	req("reporter_contact", r.ReporterContact, "連絡先（内線・携帯・メールなど）を入力してください。", "give a contact (extension, mobile, mail)")
	if utf8.RuneCountInString(r.ReporterContact) > 200 {
		fes = append(fes, FieldError{Field: "reporter_contact", JA: "連絡先は200文字以内で入力してください。", EN: "contact: at most 200 characters"})
	}
	if r.ByPhone {
		req("reporter_name", r.ReporterName, "電話をかけてきた方の氏名を入力してください。", "name the caller")
	}
	patch := map[string]any{
		"initial_description": strings.TrimSpace(r.InitialDescription),
		"report_channel":      "system",
	}
	if strings.TrimSpace(r.RecognizedAt) != "" {
		patch["recognized_at"] = strings.TrimSpace(r.RecognizedAt)
	}
	if len(r.SuspectedDataItems) > 0 {
		items := make([]any, len(r.SuspectedDataItems))
		for i, v := range r.SuspectedDataItems {
			items[i] = v
		}
		patch["suspected_data_items"] = items
	}
	if r.EstimatedCountMax != nil {
		patch["estimated_count_max"] = *r.EstimatedCountMax
	}
	if v := strings.TrimSpace(r.LeakDestination); v != "" {
		patch["leak_destination"] = v
	}
	if r.InvolvesMyNumber {
		patch["involves_my_number"] = "yes"
	}
	if v := strings.TrimSpace(r.ReporterName); v != "" {
		patch["reporter_id"] = v
	}
	if v := strings.TrimSpace(r.ReporterDept); v != "" {
		patch["reporter_dept"] = v
	}
	if r.ByPhone {
		// 総務部 itself took the call: the report reached it now, directly (SEED003 4条2項).
		patch["report_channel"] = "phone"
		patch["reported_to_soumu_at"] = now.In(jst).Format("2006-01-02T15:04:05")
	}
	facts, nfes := NormalizePatch(patch, now)
	fes = append(fes, nfes...)
	if r.EstimatedCountMax != nil && *r.EstimatedCountMax < 0 {
		fes = append(fes, FieldError{Field: "estimated_count_max", JA: "人数は0以上の整数で入力してください。", EN: "count: a whole number, 0 or more"})
	}
	return facts, dedupFieldErrors(fes)
}

// title is the case's working title: the first line of what happened, shortened.
func (r FirstReport) title() string {
	line, _, _ := strings.Cut(strings.TrimSpace(r.InitialDescription), "\n")
	line = strings.TrimSpace(line)
	if utf8.RuneCountInString(line) > 60 {
		line = string([]rune(line)[:60]) + "…"
	}
	return "第一報: " + line
}

func dedupFieldErrors(fes []FieldError) []FieldError {
	seen := map[string]bool{}
	out := fes[:0]
	for _, fe := range fes {
		if seen[fe.Field] {
			continue
		}
		seen[fe.Field] = true
		out = append(out, fe)
	}
	return out
}

// ReportMessage checks a question to a reporter or their answer: 1 to 4000 characters once
// trimmed. It returns the trimmed text. Errors: invalid (field body).
func ReportMessage(body string) (string, error) {
	body = strings.TrimSpace(body)
	if body == "" || utf8.RuneCountInString(body) > 4000 {
		return "", Invalid("入力内容を確認してください。", "check the input",
			FieldError{Field: "body", JA: "本文を4000文字以内で入力してください。", EN: "body is required, at most 4000 characters"})
	}
	return body, nil
}
