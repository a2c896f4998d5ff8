package reminder_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/mail/mailtest"
	"github.com/leakdesk/leakdesk/internal/reminder"
)

// reviewEnv is newEnv with a privacy officer: the yearly review's recipients are the active
// managers (manager, deputy; not the disabled "retired") and privacy officers.
func reviewEnv(t *testing.T, start time.Time) *env {
	t.Helper()
	e := newEnv(t, start)
	u, err := e.db.Store.CreateUser(context.Background(), 0, "po@example.jp", "利用者 po", []auth.Role{auth.RolePrivacyOfficer}, "x")
	if err != nil {
		t.Fatal(err)
	}
	e.actors["po"] = incident.Actor{UserID: u.ID, Name: u.Name, Roles: []incident.Role{incident.RolePrivacyOfficer}}
	e.emails["po"] = u.Email
	return e
}

func (e *env) reviewMails() []mailtest.Message {
	var out []mailtest.Message
	for _, m := range e.smtp.Messages() {
		if strings.Contains(m.Subject, "規程の年次見直し") {
			out = append(out, m)
		}
	}
	return out
}

// TestRuleReview_RemindersOncePerLabelAcrossInstances drives a review year: the 30-day, 7-day and
// overdue reminders each go out once although two instances check twice at every step; recording
// 見直し済み・変更なし moves the due date a year on and its reminders start afresh; a mail server
// that is down delays a reminder, never drops or repeats it.
func TestRuleReview_RemindersOncePerLabelAcrossInstances(t *testing.T) {
	e := reviewEnv(t, jst(2026, 5, 1, 10, 0))
	ctx := context.Background()
	if _, err := e.svc.ReviewRules(ctx, e.actors["manager"], "初回の見直し"); err != nil {
		t.Fatal(err)
	}
	a, b := e.worker(e.db.Store, false), e.worker(e.secondStore(), false)
	check := func(want string) {
		t.Helper()
		var mu sync.Mutex
		var got []string
		var wg sync.WaitGroup
		for _, s := range []*reminder.Service{a, b, a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				label, err := s.RemindRuleReview(ctx)
				if err != nil {
					t.Errorf("remind: %v", err)
				}
				if label != "" {
					mu.Lock()
					got = append(got, label)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		wantN := 0
		if want != "" {
			wantN = 1
		}
		if len(got) != wantN || (wantN == 1 && got[0] != want) {
			t.Fatalf("at %s: sent %v, want %q once", e.clock.Now().In(time.FixedZone("JST", 9*3600)).Format(time.DateTime), got, want)
		}
	}
	steps := []struct {
		at   time.Time
		want string
	}{
		{jst(2026, 5, 2, 9, 0), ""},
		{jst(2027, 3, 31, 23, 59), ""}, // 31 days before 2027-05-01
		{jst(2027, 4, 1, 0, 0), "30d"}, // 30 days before
		{jst(2027, 4, 10, 9, 0), ""},   // already sent
		{jst(2027, 4, 24, 9, 0), "7d"}, // 7 days before
		{jst(2027, 5, 1, 23, 59), ""},  // the due date itself
		{jst(2027, 5, 2, 0, 0), "overdue"},
		{jst(2027, 6, 1, 0, 0), ""}, // overdue goes out once
	}
	for _, st := range steps {
		e.clock.Set(st.at)
		check(st.want)
	}
	mails := e.reviewMails()
	if len(mails) != 3 {
		t.Fatalf("%d review mails, want 3", len(mails))
	}
	want := []string{e.emails["manager"], e.emails["deputy"], e.emails["po"]}
	slices.Sort(want)
	for i, m := range mails {
		to := slices.Clone(m.To)
		slices.Sort(to)
		if !slices.Equal(to, want) {
			t.Errorf("mail %d to %v, want the active managers and the privacy officer %v", i, to, want)
		}
		if strings.Contains(m.Text, "利用者") || strings.Contains(m.Text, "初回の見直し") || strings.Contains(m.Text, "@example.jp") {
			t.Errorf("mail %d names people or the reviewer's note:\n%s", i, m.Text)
		}
		if !strings.Contains(m.Text, "2027-05-01") || !strings.Contains(m.Text, "https://leakdesk.example.jp/rules") ||
			!strings.Contains(m.Text, "総務部長・個人情報保護管理者") || strings.Index(m.Text, "期限:") > strings.Index(m.Text, "Due:") {
			t.Errorf("mail %d (Japanese first: due date, who acts, link):\n%s", i, m.Text)
		}
	}
	if !strings.Contains(mails[0].Subject, "残り30日") || !strings.Contains(mails[1].Subject, "残り7日") || !strings.Contains(mails[2].Subject, "1日超過") {
		t.Errorf("subjects %q, %q, %q", mails[0].Subject, mails[1].Subject, mails[2].Subject)
	}

	// Reviewed unchanged on 2027-06-02: due 2028-06-02, nothing is due now, the new year's
	// 30-day reminder goes out on its day, with the mail server down for its first try.
	e.clock.Set(jst(2027, 6, 2, 11, 0))
	if _, err := e.svc.ReviewRules(ctx, e.actors["po"], ""); err != nil {
		t.Fatal(err)
	}
	check("")
	e.clock.Set(jst(2028, 5, 3, 9, 0))
	e.smtp.SetDown(true)
	if label, err := a.RemindRuleReview(ctx); err == nil || label != "" {
		t.Fatalf("mail server down: %q, %v; want an error for River to retry", label, err)
	}
	e.smtp.SetDown(false)
	check("30d")
	sent, err := e.db.Store.RuleReviewRemindersSent(ctx, time.Date(2028, 6, 2, 0, 0, 0, 0, time.UTC))
	if err != nil || !slices.Equal(sent, []string{"30d"}) {
		t.Errorf("ledger for 2028-06-02: %v, %v", sent, err)
	}
	if n := len(e.reviewMails()); n != 4 {
		t.Errorf("%d review mails in all, want 4", n)
	}
}

// TestRuleReview_PeriodicJobTwoInstances: the River job (run on start by the leader, and inserted
// twice more by hand as a repeat would be) sends an overdue review's reminder once with two
// instances working the queue.
func TestRuleReview_PeriodicJobTwoInstances(t *testing.T) {
	e := reviewEnv(t, jst(2026, 5, 1, 10, 0))
	ctx := context.Background()
	if _, err := e.svc.ReviewRules(ctx, e.actors["po"], ""); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(jst(2027, 5, 10, 9, 0)) // overdue since 2027-05-02
	e.start(e.worker(e.db.Store, false))
	e.start(e.worker(e.secondStore(), false))
	ins, err := river.NewClient(riverpgxv5.New(e.db.Store.Pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := ins.Insert(ctx, reminder.RuleReviewArgs{}, &river.InsertOpts{Queue: reminder.Queue}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && len(e.reviewMails()) == 0 {
		time.Sleep(100 * time.Millisecond)
	}
	// Wait until the two inserted jobs and the leader's run on start are worked.
	var left, worked int
	for time.Now().Before(deadline) {
		if err := e.db.Store.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state NOT IN ('completed', 'discarded', 'cancelled')),
			count(*) FILTER (WHERE state = 'completed') FROM river_job WHERE kind = 'leakdesk_rule_review_reminder'`).Scan(&left, &worked); err != nil {
			t.Fatal(err)
		}
		if left == 0 && worked >= 3 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	mails := e.reviewMails()
	if len(mails) != 1 || !strings.Contains(mails[0].Subject, "期限を過ぎています") || left != 0 || worked < 3 {
		t.Fatalf("%d review mails (want 1 overdue), %d jobs left, %d worked (want ≥ 3)", len(mails), left, worked)
	}
}
