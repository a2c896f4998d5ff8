package reminder_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/reminder"
)

// TestPruneLogins_PeriodicJobDeletesOldAttempts (issue 18): the reminder workers' periodic job
// deletes login attempts older than the retention once the workers start, and keeps recent ones.
func TestPruneLogins_PeriodicJobDeletesOldAttempts(t *testing.T) {
	e := newEnv(t, time.Now())
	ctx := context.Background()
	if _, err := e.db.Store.Pool.Exec(ctx, `INSERT INTO login_attempts (at, email_key, ip, success, reason) VALUES
		(now() - interval '100 days', 'old@example.jp', '192.0.2.1', false, 'password'),
		(now() - interval '1 hour', 'new@example.jp', '192.0.2.2', false, 'password')`); err != nil {
		t.Fatal(err)
	}
	s, err := reminder.New(e.db.Store, reminder.Config{SMTPURL: e.smtp.URL(), MailFrom: "leakdesk@example.jp", BaseURL: "https://leakdesk.example.jp",
		NoHook: true, FetchPollInterval: 100 * time.Millisecond, LoginRetention: 90 * 24 * time.Hour, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	e.start(s)
	deadline := time.Now().Add(20 * time.Second)
	for {
		var old, recent int
		if err := e.db.Store.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE email_key = 'old@example.jp'), count(*) FILTER (WHERE email_key = 'new@example.jp') FROM login_attempts`).Scan(&old, &recent); err != nil {
			t.Fatal(err)
		}
		if recent != 1 {
			t.Fatalf("a recent attempt was pruned")
		}
		if old == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the 100-day-old attempt is still there 20 s after the workers started")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
