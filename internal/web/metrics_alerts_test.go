package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/mail/mailtest"
	"github.com/leakdesk/leakdesk/internal/reminder"
)

// scrape reads /metrics and returns each series ("name{labels}") with its value.
func (h *harness) scrape() (map[string]float64, string) {
	h.t.Helper()
	r := h.client().get("/metrics")
	if r.Status != http.StatusOK {
		h.t.Fatalf("/metrics: %d", r.Status)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(r.Body, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			h.t.Fatalf("metric line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out, r.Body
}

// TestMetrics_AlertsOnWhatMustNotBeMissed (issue 17): a missed Commission deadline, a first-report
// alert that could not be mailed (SMTP down: the job is discarded, the mail failure counted) and an
// anchor loop that is behind are visible on a real scrape of /metrics, with no case number, title
// or address in it.
func TestMetrics_AlertsOnWhatMustNotBeMissed(t *testing.T) {
	h := newHarness(t)
	smtp, err := mailtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(smtp.Close)
	smtp.SetDown(true)
	// One attempt: the first failure discards the job, as the 2000th would in production.
	rem, err := reminder.New(h.db.Store, reminder.Config{SMTPURL: smtp.URL(), MailFrom: "leakdesk@example.jp", BaseURL: h.ts.URL,
		MaxAttempts: 1, Metrics: h.reg, FetchPollInterval: 100 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for key, role := range map[string]auth.Role{"reporter": auth.RoleReporter, "staff": auth.RoleStaff, "manager": auth.RoleManager} {
		h.user(key, role)
	}

	m, _ := h.scrape()
	if m[`leakdesk_alert_facts_up`] != 1 || m[`leakdesk_chain_last_anchor_age_seconds`] != -1 {
		t.Fatalf("empty system: up %v, anchor age %v (want 1, -1)", m[`leakdesk_alert_facts_up`], m[`leakdesk_chain_last_anchor_age_seconds`])
	}
	for _, k := range []string{appi.KindFirstInternalReport, appi.KindPrelimTarget, appi.KindFinalReport} {
		if v, ok := m[`leakdesk_deadlines_overdue{drill="false",kind="`+k+`"}`]; !ok || v != 0 {
			t.Errorf("empty system: overdue %s = %v (present %v), want a 0 series", k, v, ok)
		}
	}

	svc := casework.New(h.db.Store)
	staff := h.users["staff"]
	actor := incident.Actor{UserID: staff.ID, Name: staff.Name, Roles: []incident.Role{incident.Role(auth.RoleStaff)}}
	open := func(title string, known time.Duration, drill bool) *incident.Case {
		c, err := svc.Open(context.Background(), actor, title, map[string]any{
			"recognized_at": jstAgo(known), "reported_to_soumu_at": jstAgo(known - 10*time.Minute),
			"prelim_screen": "suspected", "involves_my_number": "no", "suspected_route": "media_lost",
			"estimated_count_max": 3000,
		}, drill)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cases := []*incident.Case{
		open("十日前に認知した案件", 10*24*time.Hour, false), // 速報 and the notice decision missed
		open("昨日認知した案件", 24*time.Hour, false),      // 速報 due on day 3: never overdue after one day, whatever the hour
		open("訓練: 十日前", 10*24*time.Hour, true),
	}
	// A first report through the API: its 30-minute clock runs, and 総務部's alert cannot be mailed.
	r := h.api(http.MethodPost, "/api/v1/reports", h.token("reporter"), `{"initial_description":"顧客名簿を送信","recognized_at":"`+jstIn(-5*time.Minute)+`","reporter_contact":"内線 5555"}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("report: %d %s", r.Status, r.Body)
	}
	id, _ := strconv.ParseInt(regexp.MustCompile(`"case_id":\s*(\d+)`).FindStringSubmatch(r.Body)[1], 10, 64)
	reported, err := h.db.Store.GetCase(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	cases = append(cases, reported)

	// What the law engine's deadlines say, counted here independently of the SQL behind /metrics.
	now := time.Now()
	type key struct {
		kind  string
		drill bool
	}
	overdue, dueDay := map[key]float64{}, map[key]float64{}
	for _, c := range cases {
		for _, d := range reminder.IndexRows(c, appi.DefaultOptions(), now) {
			if d.MetAt != nil {
				continue
			}
			switch k := (key{d.Kind, c.Drill}); {
			case d.DueAt.Before(now):
				overdue[k]++
			case d.DueAt.Before(now.Add(24 * time.Hour)):
				dueDay[k]++
			}
		}
	}
	if overdue[key{appi.KindPrelimTarget, false}] != 1 || dueDay[key{appi.KindFirstInternalReport, false}] != 1 {
		t.Fatalf("the fixture is not what this test needs: overdue %v, due within a day %v", overdue, dueDay)
	}

	if err := rem.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = rem.Stop(ctx)
	})
	var body string
	deadline := time.Now().Add(20 * time.Second)
	for {
		m, body = h.scrape()
		if m[`leakdesk_jobs{kind="leakdesk_first_report_alert",state="discarded"}`] == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if v := m[`leakdesk_jobs{kind="leakdesk_first_report_alert",state="discarded"}`]; v != 1 {
		t.Fatalf("discarded first-report alerts: %v, want 1\n%s", v, grepLines(body, "leakdesk_jobs"))
	}
	if v := m[`leakdesk_mail_send_failures_total`]; v < 1 {
		t.Errorf("mail send failures: %v, want ≥ 1 with the SMTP server down", v)
	}
	for k, want := range overdue {
		if got := m[`leakdesk_deadlines_overdue{drill="`+strconv.FormatBool(k.drill)+`",kind="`+k.kind+`"}`]; got != want {
			t.Errorf("overdue %s drill=%v: %v, want %v", k.kind, k.drill, got, want)
		}
	}
	for k, want := range dueDay {
		if got := m[`leakdesk_deadlines_due_within_24h{drill="`+strconv.FormatBool(k.drill)+`",kind="`+k.kind+`"}`]; got != want {
			t.Errorf("due within 24h %s drill=%v: %v, want %v", k.kind, k.drill, got, want)
		}
	}
	if v := m[`leakdesk_chain_unanchored_age_seconds`]; v <= 0 {
		t.Errorf("unanchored age before any anchor: %v, want > 0", v)
	}
	// Case numbers, titles, the reporter's address and contact are not in the scrape.
	for _, c := range cases {
		for _, s := range []string{c.Number, c.Title} {
			if strings.Contains(body, s) {
				t.Errorf("/metrics names case data %q", s)
			}
		}
	}
	for _, s := range []string{h.users["reporter"].Email, "内線", "顧客名簿"} {
		if strings.Contains(body, s) {
			t.Errorf("/metrics carries %q", s)
		}
	}

	// An anchor written an hour ago covers every change: nothing is behind, the anchor is an hour old.
	if _, err := h.db.Store.WriteAnchor(context.Background(), time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	m, _ = h.scrape()
	if v := m[`leakdesk_chain_unanchored_age_seconds`]; v != 0 {
		t.Errorf("unanchored age after the anchor: %v, want 0", v)
	}
	if v := m[`leakdesk_chain_last_anchor_age_seconds`]; v < 3500 || v > 3700 {
		t.Errorf("anchor age: %v, want about 3600", v)
	}
}

func grepLines(body, sub string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
