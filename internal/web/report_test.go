package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/mail/mailtest"
	"github.com/leakdesk/leakdesk/internal/reminder"
)

// reportHarness is the HTTP harness with the reminder workers running against a local SMTP server,
// as in production: the first-report alert is a River job inserted with the case.
type reportHarness struct {
	*harness
	smtp *mailtest.Server
}

func newReportHarness(t *testing.T, officers ...string) *reportHarness {
	t.Helper()
	h := newHarness(t)
	smtp, err := mailtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(smtp.Close)
	rem, err := reminder.New(h.db.Store, reminder.Config{SMTPURL: smtp.URL(), MailFrom: "leakdesk@example.jp", BaseURL: h.ts.URL,
		MyNumberOfficers: officers, FetchPollInterval: 100 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := rem.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = rem.Stop(ctx)
	})
	for key, role := range map[string]auth.Role{
		"reporter": auth.RoleReporter, "reporter2": auth.RoleReporter, "staff": auth.RoleStaff, "manager": auth.RoleManager,
		"auditor": auth.RoleAuditor, "hr": auth.RoleHR,
	} {
		h.user(key, role)
	}
	return &reportHarness{harness: h, smtp: smtp}
}

// waitMail waits for the first message whose subject contains sub.
func (h *reportHarness) waitMail(sub string) mailtest.Message {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range h.smtp.Messages() {
			if strings.Contains(m.Subject, sub) {
				return m
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	h.t.Fatalf("no mail with %q in its subject; got %d messages", sub, len(h.smtp.Messages()))
	return mailtest.Message{}
}

func (h *harness) countRows(table string) int {
	h.t.Helper()
	var n int
	if err := h.db.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func jstIn(d time.Duration) string { return time.Now().Add(d).In(appi.JST).Format("2006-01-02T15:04") }

// A first report with nothing filled in, or noticed in the future, is refused with every field's
// message — in Japanese on the page, as problem+json on the API — and writes nothing.
func TestFirstReport_BadInputWritesNothing(t *testing.T) {
	h := newReportHarness(t)
	c := h.client().loginAs("reporter")
	tok := h.token("reporter")

	r := c.postForm("/report", "/report", url.Values{"initial_description": {""}, "recognized_at": {""}, "reporter_contact": {""}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("empty form: status %d, want 422", r.Status)
	}
	for _, want := range []string{`data-testid="error-initial_description"`, "何が起きたかを入力してください。", `data-testid="error-recognized_at"`, `data-testid="error-reporter_contact"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("empty form: page lacks %q", want)
		}
	}
	r = c.postForm("/report", "/report", url.Values{"initial_description": {"USBメモリを紛失"}, "recognized_at": {jstIn(24 * time.Hour)},
		"reporter_contact": {"内線 1234"}, "estimated_count_max": {"十人"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `data-testid="error-estimated_count_max"`) {
		t.Fatalf("bad count: status %d", r.Status)
	}
	r = c.postForm("/report", "/report", url.Values{"initial_description": {"USBメモリを紛失"}, "recognized_at": {jstIn(24 * time.Hour)}, "reporter_contact": {"内線 1234"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `data-testid="error-recognized_at"`) {
		t.Fatalf("future date: status %d, want 422 with the recognized_at error", r.Status)
	}
	if !strings.Contains(r.Body, "USBメモリを紛失") {
		t.Error("the form is not shown again as typed")
	}

	for _, tc := range []struct {
		body   string
		fields []string
	}{
		{`{}`, []string{"initial_description", "recognized_at", "reporter_contact"}},
		{`{"initial_description":"USBメモリを紛失","recognized_at":"` + jstIn(24*time.Hour) + `","reporter_contact":"内線 1234"}`, []string{"recognized_at"}},
		{`{"initial_description":"紛失","recognized_at":"` + jstIn(-time.Hour) + `","reporter_contact":"内線 1234","suspected_data_items":["no_such_item"]}`, []string{"suspected_data_items"}},
	} {
		r := h.api(http.MethodPost, "/api/v1/reports", tok, tc.body)
		if r.Status != http.StatusUnprocessableEntity || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
			t.Fatalf("API %s: status %d %s", tc.body, r.Status, r.Header.Get("Content-Type"))
		}
		var p struct {
			Errors []struct{ Field, Message string } `json:"errors"`
		}
		if err := json.Unmarshal([]byte(r.Body), &p); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range p.Errors {
			got = append(got, e.Field)
			if e.Message == "" || e.Message == e.Field {
				t.Errorf("API %s: field %s has no message", tc.body, e.Field)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.fields) {
			t.Errorf("API %s: error fields %v, want %v", tc.body, got, tc.fields)
		}
	}
	// A reporter may not pass a report off as one 総務部 took by phone.
	if r := h.api(http.MethodPost, "/api/v1/reports", tok, `{"initial_description":"紛失","recognized_at":"`+jstIn(-time.Hour)+`","reporter_contact":"内線","by_phone":true,"reporter_name":"誰か"}`); r.Status != http.StatusForbidden {
		t.Errorf("reporter by_phone: status %d, want 403", r.Status)
	}
	if n := h.countRows("cases"); n != 0 {
		t.Errorf("%d cases written by refused reports", n)
	}
	if n := h.countRows("first_reports"); n != 0 {
		t.Errorf("%d first reports written by refused reports", n)
	}
	if n := len(h.smtp.Messages()); n != 0 {
		t.Errorf("%d mails sent for refused reports", n)
	}
}

// A reporter files a report and sees it with 総務部's question; another reporter gets 404 for it
// on page and API, and neither reaches the case itself. 総務部 alerted by mail asks, the reporter
// answers, 総務部 reads the answer.
func TestFirstReport_ReporterSeesOnlyOwn(t *testing.T) {
	h := newReportHarness(t)
	rep := h.client().loginAs("reporter")
	noticed := jstIn(-5 * time.Minute)
	r := rep.postForm("/report", "/report", url.Values{
		"initial_description": {"顧客3名分の見積書を別の取引先へメールで誤送信した"}, "recognized_at": {noticed},
		"suspected_data_items": {"name", "email"}, "estimated_count_max": {"3"}, "leak_destination": {"取引先B社の担当者"},
		"reporter_contact": {"内線 4321"}, "reporter_dept": {"営業部"},
	})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/report/") {
		t.Fatalf("file: status %d, location %q", r.Status, r.Header.Get("Location"))
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(r.Header.Get("Location"), "/report/"), 10, 64)
	path := "/report/" + strconv.FormatInt(id, 10)
	if r := rep.get(path); r.Status != http.StatusOK || !strings.Contains(r.Body, "取引先B社の担当者") {
		t.Fatalf("own report: status %d", r.Status)
	}
	if r := rep.get("/report"); !strings.Contains(r.Body, `data-testid="report-`+strconv.FormatInt(id, 10)+`"`) {
		t.Error("own report not in the reporter's list")
	}

	// The case: in discovery, recognized_at as noticed, the reporter recorded, no handler yet, and
	// not yet reported by phone or in person (reported_to_soumu_at empty).
	c, err := h.db.Store.GetCase(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Facts["recognized_at"]; !strings.HasPrefix(got.(string), noticed) {
		t.Errorf("recognized_at = %v, want %s", got, noticed)
	}
	if c.Facts["reporter_id"] != h.users["reporter"].Name || c.Facts["report_channel"] != "system" || c.Facts["reporter_dept"] != "営業部" {
		t.Errorf("reporter facts: %v %v %v", c.Facts["reporter_id"], c.Facts["report_channel"], c.Facts["reporter_dept"])
	}
	if _, ok := c.Facts["reported_to_soumu_at"]; ok {
		t.Error("a form report must not count as the direct report by phone or in person")
	}
	if c.OwnerID != 0 || c.StateOf("discovery") != "in_progress" {
		t.Errorf("owner %d, discovery %s", c.OwnerID, c.StateOf("discovery"))
	}

	// Another reporter: 404 for the report everywhere, 403 for the case (no case role at all).
	other := h.client().loginAs("reporter2")
	otherTok := h.token("reporter2")
	for _, tc := range []struct {
		status int
		r      resp
	}{
		{404, other.get(path)},
		{404, other.postForm("/report", path+"/answers", url.Values{"body": {"見ました"}})},
		{404, h.api(http.MethodGet, "/api/v1/reports/"+strconv.FormatInt(id, 10), otherTok, "")},
		{404, h.api(http.MethodPost, "/api/v1/reports/"+strconv.FormatInt(id, 10)+"/answers", otherTok, `{"body":"見ました"}`)},
		{403, other.get("/cases/" + strconv.FormatInt(id, 10))},
		{403, rep.get("/cases/" + strconv.FormatInt(id, 10))},
		{403, h.api(http.MethodGet, "/api/v1/cases/"+strconv.FormatInt(id, 10), h.token("reporter"), "")},
		{403, h.api(http.MethodGet, "/api/v1/cases", h.token("reporter"), "")},
	} {
		if tc.r.Status != tc.status {
			t.Errorf("status %d, want %d: %.200s", tc.r.Status, tc.status, tc.r.Body)
		}
	}
	if r := h.api(http.MethodGet, "/api/v1/reports", otherTok, ""); r.Status != 200 || strings.Contains(r.Body, "取引先B社") {
		t.Errorf("another reporter's list: %d %.200s", r.Status, r.Body)
	}

	// 総務部 got the alert, reads the report and asks; the reporter sees the question and answers.
	m := h.waitMail("第一報を受け付けました")
	if !slices.Contains(m.To, h.users["staff"].Email) || !slices.Contains(m.To, h.users["manager"].Email) {
		t.Errorf("alert to %v: want staff and manager", m.To)
	}
	for _, who := range []string{"reporter", "reporter2", "auditor", "hr"} {
		if slices.Contains(m.To, h.users[who].Email) {
			t.Errorf("alert also went to %s", who)
		}
	}
	for _, pii := range []string{"見積書", "取引先B社", "内線 4321", h.users["reporter"].Name, "営業部"} {
		if strings.Contains(m.Raw, pii) {
			t.Errorf("alert mail carries report text %q", pii)
		}
	}
	if !strings.Contains(m.Text, c.Number) || !strings.Contains(m.Text, "/cases/"+strconv.FormatInt(id, 10)) {
		t.Errorf("alert lacks the number or link: %s", m.Text)
	}
	staff := h.client().loginAs("staff")
	if r := staff.get("/cases/" + strconv.FormatInt(id, 10) + "/report"); r.Status != 200 || !strings.Contains(r.Body, "内線 4321") {
		t.Fatalf("staff's report page: %d", r.Status)
	}
	cr := "/cases/" + strconv.FormatInt(id, 10) + "/report"
	if r := staff.postForm(cr, cr+"/questions", url.Values{"body": {"  "}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `data-testid="error-body"`) {
		t.Errorf("empty question: %d", r.Status)
	}
	if r := staff.postForm(cr, cr+"/questions", url.Values{"body": {"誤送信したメールの送信時刻を教えてください"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("question: %d", r.Status)
	}
	if r := rep.get(path); !strings.Contains(r.Body, "誤送信したメールの送信時刻を教えてください") {
		t.Error("the reporter does not see the question")
	}
	if r := h.api(http.MethodPost, "/api/v1/reports/"+strconv.FormatInt(id, 10)+"/answers", h.token("reporter"), `{"body":"10時15分です"}`); r.Status != http.StatusCreated {
		t.Fatalf("answer: %d %s", r.Status, r.Body)
	}
	if r := h.api(http.MethodGet, "/api/v1/cases/"+strconv.FormatInt(id, 10)+"/report", h.token("staff"), ""); r.Status != 200 || !strings.Contains(r.Body, "10時15分です") {
		t.Errorf("staff reads the answer: %d %.300s", r.Status, r.Body)
	}
	// The auditor reads the report and thread but may not ask.
	if r := h.api(http.MethodPost, "/api/v1/cases/"+strconv.FormatInt(id, 10)+"/report/questions", h.token("auditor"), `{"body":"?"}`); r.Status != http.StatusForbidden {
		t.Errorf("auditor asks: %d", r.Status)
	}
	var logged int
	if err := h.db.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM access_log WHERE case_id = $1 AND page = 'first_report'`, id).Scan(&logged); err != nil {
		t.Fatal(err)
	}
	if logged < 2 {
		t.Errorf("reads of the first report recorded %d times, want 2", logged)
	}
}

// A phone report taken by 総務部 is the same record, marked "by phone": received by 総務部 now (so
// the direct report is on time), the person who took it handles the case; My Number ticked alerts
// the 事務取扱責任者 too.
func TestFirstReport_PhoneByStaffAlertsMyNumberOfficer(t *testing.T) {
	h := newReportHarness(t, "mynumber-officer@example.jp")
	tok := h.token("staff")
	r := h.api(http.MethodPost, "/api/v1/reports", tok, `{"initial_description":"給与明細（マイナンバー記載）を誤って配布","recognized_at":"`+jstIn(-10*time.Minute)+
		`","involves_my_number":true,"reporter_contact":"携帯 090-0000-0000","by_phone":true,"reporter_name":"派遣社員 佐藤","reporter_dept":"人事部"}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("phone report: %d %s", r.Status, r.Body)
	}
	var out struct {
		CaseID  int64  `json:"case_id"`
		Channel string `json:"channel"`
	}
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
		t.Fatal(err)
	}
	if out.Channel != "phone" {
		t.Errorf("channel %q", out.Channel)
	}
	c, err := h.db.Store.GetCase(context.Background(), out.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Facts["report_channel"] != "phone" || c.Facts["reported_to_soumu_at"] == nil || c.Facts["involves_my_number"] != "yes" || c.Facts["reporter_id"] != "派遣社員 佐藤" {
		t.Errorf("facts: %v", c.Facts)
	}
	if c.OwnerID != h.users["staff"].ID {
		t.Errorf("owner %d, want the staff member who took the call", c.OwnerID)
	}
	m := h.waitMail("第一報を受け付けました")
	if !slices.Contains(m.To, "mynumber-officer@example.jp") {
		t.Errorf("My Number officer not alerted: %v", m.To)
	}
	if !strings.Contains(m.Text, "電話") || strings.Contains(m.Raw, "佐藤") || strings.Contains(m.Raw, "給与明細") {
		t.Errorf("phone alert text: %s", m.Text)
	}
	// Nobody filed it themselves: it is in no one's list.
	if r := h.api(http.MethodGet, "/api/v1/reports", tok, ""); !strings.Contains(r.Body, `"items":[]`) {
		t.Errorf("staff's own list: %s", r.Body)
	}
}
