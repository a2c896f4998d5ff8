package reminder_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/casework/docfixture"
	"github.com/leakdesk/leakdesk/internal/documents"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/mail/mailtest"
	"github.com/leakdesk/leakdesk/internal/reminder"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/testdb"
)

// testClock is the injected clock shared by the case service and both worker instances.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

type env struct {
	t      *testing.T
	db     *testdb.DB
	clock  *testClock
	smtp   *mailtest.Server
	svc    *casework.Service
	actors map[string]incident.Actor
	emails map[string]string
}

func jst(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, appi.JST)
}

func newEnv(t *testing.T, start time.Time) *env {
	t.Helper()
	db := testdb.New(t)
	smtp, err := mailtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(smtp.Close)
	e := &env{t: t, db: db, clock: &testClock{t: start}, smtp: smtp, actors: map[string]incident.Actor{}, emails: map[string]string{}}
	e.svc = casework.New(db.Store)
	e.svc.Now = e.clock.Now
	ctx := context.Background()
	for _, u := range []struct {
		key   string
		roles []auth.Role
	}{
		{"staff", []auth.Role{auth.RoleStaff}}, {"manager", []auth.Role{auth.RoleManager}},
		{"deputy", []auth.Role{auth.RoleManager}}, {"retired", []auth.Role{auth.RoleManager}},
		{"auditor", []auth.Role{auth.RoleAuditor}},
	} {
		su, err := db.Store.CreateUser(ctx, 0, u.key+"@example.jp", "利用者 "+u.key, u.roles, "x")
		if err != nil {
			t.Fatal(err)
		}
		if u.key == "retired" {
			if err := db.Store.SetDisabled(ctx, 0, su.ID, su.Version, true); err != nil {
				t.Fatal(err)
			}
		}
		a := incident.Actor{UserID: su.ID, Name: su.Name}
		for _, r := range u.roles {
			a.Roles = append(a.Roles, incident.Role(r))
		}
		e.actors[u.key] = a
		e.emails[u.key] = su.Email
	}
	return e
}

// worker starts one reminder instance ("app instance") on its own pool. The first one registers
// the case hook on the store the case service uses.
func (e *env) worker(st *store.Store, hook bool) *reminder.Service {
	e.t.Helper()
	s, err := reminder.New(st, reminder.Config{
		SMTPURL: e.smtp.URL(), MailFrom: "leakdesk@example.jp", BaseURL: "https://leakdesk.example.jp",
		Now: e.clock.Now, NoHook: !hook, FetchPollInterval: 200 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(logOut(), &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) start(s *reminder.Service) func() {
	e.t.Helper()
	if err := s.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			e.t.Errorf("stop: %v", err)
		}
	}
	e.t.Cleanup(stop)
	return stop
}

func (e *env) secondStore() *store.Store {
	e.t.Helper()
	st, err := store.Open(context.Background(), e.db.URL)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(st.Close)
	return st
}

// facts: known 2026-05-01 10:00 JST, 3,000 people (category 4), not yet reported internally.
func facts() map[string]any {
	return map[string]any{
		"recognized_at": "2026-05-01T10:00", "prelim_screen": "suspected", "involves_my_number": "no",
		"suspected_route": "media_lost", "estimated_count_max": 3000,
		"initial_description": "山田太郎様ほか顧客の氏名・住所を記録したUSBメモリを紛失",
	}
}

// waitMails waits until the server holds n messages, then a little longer to catch extras.
// waitNoticesWorked waits until River has worked every request-notice job.
func (e *env) waitNoticesWorked() {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var left int
		if err := e.db.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'leakdesk_request_notice'
			AND state NOT IN ('completed', 'discarded', 'cancelled')`).Scan(&left); err != nil {
			e.t.Fatal(err)
		}
		if left == 0 {
			time.Sleep(500 * time.Millisecond)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatal("request notices not worked within 30s")
}

func (e *env) waitMails(n int, within time.Duration) []mailtest.Message {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if len(e.smtp.Messages()) >= n {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(700 * time.Millisecond)
	got := e.smtp.Messages()
	if len(got) != n {
		var subj []string
		for _, m := range got {
			subj = append(subj, m.Subject)
		}
		e.t.Fatalf("want %d mails, got %d: %q", n, len(got), subj)
	}
	return got
}

func (e *env) sentCount(kind, label string) int {
	e.t.Helper()
	var n int
	if err := e.db.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM reminders_sent WHERE kind = $1 AND reminder = $2`, kind, label).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestReminders_FireAtOffsetsOnceAcrossInstancesAndRestart drives one case through its deadlines
// with two worker instances on the same database, a restart, and a deadline met before its
// reminders are due.
func TestReminders_FireAtOffsetsOnceAcrossInstancesAndRestart(t *testing.T) {
	e := newEnv(t, jst(2026, 5, 1, 10, 5))
	ctx := context.Background()
	a := e.worker(e.db.Store, true)
	b := e.worker(e.secondStore(), false)
	stopA, stopB := e.start(a), e.start(b)

	c, err := e.svc.Open(ctx, e.actors["staff"], "USBメモリ紛失（山田太郎様ほか）", facts(), false)
	if err != nil {
		t.Fatal(err)
	}

	// The 30-minute first report is due at 10:30, inside every window: its 2-hour reminder goes at once.
	got := e.waitMails(1, 20*time.Second)
	m := got[0]
	if !strings.Contains(m.Subject, c.Number) || !strings.Contains(m.Subject, "総務部への第一報") {
		t.Errorf("subject %q", m.Subject)
	}
	wantTo := []string{e.emails["staff"], e.emails["manager"], e.emails["deputy"]}
	slices.Sort(wantTo)
	to := append([]string(nil), m.To...)
	slices.Sort(to)
	if !slices.Equal(to, wantTo) {
		t.Errorf("recipients %v, want owner and active managers %v", to, wantTo)
	}
	for _, forbidden := range []string{"山田", "USB", "紛失"} {
		if strings.Contains(m.Text, forbidden) || strings.Contains(m.Subject, forbidden) {
			t.Errorf("mail carries case contents %q:\n%s", forbidden, m.Text)
		}
	}
	if !strings.Contains(m.Text, "https://leakdesk.example.jp/cases/") || strings.Index(m.Text, "期限") > strings.Index(m.Text, "Due:") {
		t.Errorf("mail body (Japanese first, then English, with the link):\n%s", m.Text)
	}

	// 10:30 passes unreported: the missed reminder.
	e.clock.Set(jst(2026, 5, 1, 10, 31))
	got = e.waitMails(2, 30*time.Second)
	if !strings.Contains(got[1].Subject, "期限を過ぎました") {
		t.Errorf("second mail %q", got[1].Subject)
	}

	// The preliminary report is filed on 5/2 morning: the 速報 deadlines are met, and their 24h and
	// 2h reminders (5/2 23:59:59, 5/3 21:59:59, 5/5 ...) must never go out.
	e.clock.Set(jst(2026, 5, 2, 9, 0))
	// Filing needs the approved 速報 (issue 14): its request and decision notices are mails of their
	// own, counted apart from the reminders.
	if _, _, err := docfixture.Approve(ctx, e.svc, c.ID, documents.ReportPrelim, e.actors["staff"], e.actors["manager"]); err != nil {
		t.Fatal(err)
	}
	e.waitNoticesWorked()
	notices := len(e.smtp.Messages()) - 2
	if _, _, err := e.svc.Do(ctx, c.ID, 0, e.actors["staff"], incident.PatchFacts{Patch: map[string]any{"prelim_submitted_at": "2026-05-02T09:00"}}); err != nil {
		t.Fatalf("record prelim: %v", err)
	}
	e.clock.Set(jst(2026, 5, 3, 23, 0))
	time.Sleep(7 * time.Second) // more than one River scheduler pass
	if n := len(e.smtp.Messages()) - notices; n != 2 {
		t.Fatalf("after the 速報 was filed: %d reminder mails, want still 2", n)
	}

	// Restart: both instances stop, a new pair starts; nothing pending is lost or repeated.
	stopA()
	stopB()
	e.start(e.worker(e.secondStore(), false))
	e.start(e.worker(e.secondStore(), false))
	// 5/5 00:30: the notice decision (due 5/5 23:59:59) enters its 24-hour window.
	e.clock.Set(jst(2026, 5, 5, 0, 30))
	got = e.waitMails(3+notices, 30*time.Second)
	if !strings.Contains(got[2+notices].Subject, "本人通知の方針決定") {
		t.Errorf("third reminder mail %q", got[2+notices].Subject)
	}
	for _, k := range []string{"prelim_target", "prelim_outer"} {
		for _, l := range []string{"24h", "2h", "missed"} {
			if n := e.sentCount(k, l); n != 0 {
				t.Errorf("%s %s sent %d times after the deadline was met", k, l, n)
			}
		}
	}
	if e.sentCount("first_internal_report", "2h") != 1 || e.sentCount("first_internal_report", "missed") != 1 || e.sentCount("notice_decision", "24h") != 1 {
		t.Error("reminders_sent does not hold exactly one row per reminder sent")
	}
}

// TestReminders_LedgerStopsARepeatAfterJobCleanup re-inserts a reminder whose job River's cleaner
// would have removed: the reminders_sent row keeps it from going out twice.
func TestReminders_LedgerStopsARepeatAfterJobCleanup(t *testing.T) {
	e := newEnv(t, jst(2026, 5, 1, 10, 5))
	ctx := context.Background()
	a := e.worker(e.db.Store, true)
	e.start(a)
	c, err := e.svc.Open(ctx, e.actors["staff"], "訓練ではない案件", facts(), false)
	if err != nil {
		t.Fatal(err)
	}
	e.waitMails(1, 20*time.Second)
	if _, err := e.db.Store.Pool.Exec(ctx, `DELETE FROM river_job WHERE state = 'completed'`); err != nil {
		t.Fatal(err)
	}
	ins, err := river.NewClient(riverpgxv5.New(e.db.Store.Pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	dueAt := jst(2026, 5, 1, 10, 30).UTC()
	if _, err := ins.Insert(ctx, reminder.DeadlineArgs{CaseID: c.ID, Deadline: "first_internal_report", DueAt: dueAt, Reminder: "2h"}, &river.InsertOpts{Queue: reminder.Queue}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	if n := len(e.smtp.Messages()); n != 1 {
		t.Fatalf("%d mails after the re-insert, want 1", n)
	}
}

// TestReminders_MailServerDownRetriesNotDrops: the first attempt fails, the job is retryable and
// listed for the admin; when the server is back the reminder goes out once.
func TestReminders_MailServerDownRetriesNotDrops(t *testing.T) {
	e := newEnv(t, jst(2026, 5, 1, 10, 5))
	ctx := context.Background()
	e.smtp.SetDown(true)
	a := e.worker(e.db.Store, true)
	e.start(a)
	if _, err := e.svc.Open(ctx, e.actors["staff"], "案件", facts(), false); err != nil {
		t.Fatal(err)
	}
	var failed *reminder.JobInfo
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && failed == nil; time.Sleep(200 * time.Millisecond) {
		jobs, err := a.Jobs(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		for i, j := range jobs {
			if j.Retrying && j.Attempt >= 1 {
				failed = &jobs[i]
			}
		}
	}
	if failed == nil {
		t.Fatal("no retrying job after the mail server refused")
	}
	if failed.LastError == "" || failed.CaseNumber == "" || failed.Deadline != "first_internal_report" {
		t.Errorf("admin view of the failed job: %+v", *failed)
	}
	if e.sentCount("first_internal_report", "2h") != 0 {
		t.Fatal("a reminder that was not delivered is recorded as sent")
	}
	e.smtp.SetDown(false)
	e.clock.Set(jst(2026, 5, 1, 10, 6)) // past the first retry's backoff
	got := e.waitMails(1, 30*time.Second)
	if !strings.Contains(got[0].Subject, "総務部への第一報") || e.sentCount("first_internal_report", "2h") != 1 {
		t.Errorf("after recovery: %q", got[0].Subject)
	}
}

// TestReminders_DrillRemindsOnlyItsHandler: managers never get drill reminders.
func TestReminders_DrillRemindsOnlyItsHandler(t *testing.T) {
	e := newEnv(t, jst(2026, 5, 1, 10, 5))
	ctx := context.Background()
	e.start(e.worker(e.db.Store, true))
	if _, err := e.svc.Open(ctx, e.actors["staff"], "訓練", facts(), true); err != nil {
		t.Fatal(err)
	}
	got := e.waitMails(1, 20*time.Second)
	if !slices.Equal(got[0].To, []string{e.emails["staff"]}) || !strings.HasPrefix(got[0].Subject, "【訓練】") {
		t.Errorf("drill mail to %v: %q", got[0].To, got[0].Subject)
	}
}

func TestAddWorkingHours(t *testing.T) {
	for _, tc := range []struct {
		name       string
		from, want time.Time
	}{
		{"inside one day", jst(2026, 5, 12, 9, 30), jst(2026, 5, 12, 13, 30)},
		{"over the evening", jst(2026, 5, 12, 16, 0), jst(2026, 5, 13, 11, 0)},
		{"before opening", jst(2026, 5, 12, 7, 0), jst(2026, 5, 12, 13, 0)},
		{"after closing", jst(2026, 5, 12, 19, 0), jst(2026, 5, 13, 13, 0)},
		{"friday to monday", jst(2026, 5, 15, 16, 0), jst(2026, 5, 18, 11, 0)},
		{"over golden week (5/2–5/6 closed)", jst(2026, 5, 1, 17, 0), jst(2026, 5, 7, 12, 0)},
		{"year end", jst(2026, 12, 28, 17, 0), jst(2027, 1, 4, 12, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := reminder.AddWorkingHours(tc.from, 4*time.Hour, appi.JapanCalendar{}); !got.Equal(tc.want) {
				t.Errorf("got %s, want %s", got.In(appi.JST), tc.want)
			}
		})
	}
}

func logOut() io.Writer {
	if os.Getenv("REMINDER_DEBUG") != "" {
		return os.Stderr
	}
	return io.Discard
}
