package reminder_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/reminder"
)

// TestGrants_CaseReadingRoleGrantMailsThePrivacyOfficer (issue 21): an administrator's grant of a
// role that reads cases — a new account with one, a role added to an account — is mailed to the
// privacy officers, once, even with two worker instances; changes that add no such role (a new
// admin, a rename, a role taken away) are not.
func TestGrants_CaseReadingRoleGrantMailsThePrivacyOfficer(t *testing.T) {
	e := newEnv(t, time.Now())
	ctx := context.Background()
	st := e.db.Store
	po, err := st.CreateUser(ctx, 0, "po@example.jp", "個人情報 責任者", []auth.Role{auth.RolePrivacyOfficer}, "x")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := st.CreateUser(ctx, 0, "admin@example.jp", "管理者", []auth.Role{auth.RoleAdmin}, "x")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // two instances
		s, err := reminder.New(e.secondStore(), reminder.Config{SMTPURL: e.smtp.URL(), MailFrom: "leakdesk@example.jp", BaseURL: "https://leakdesk.example.jp",
			NoHook: true, FetchPollInterval: 100 * time.Millisecond, GrantNoticeInterval: 500 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		e.start(s)
	}
	// The events before the workers ran (the users above, newEnv's) are announced too when they add
	// case roles: po's own creation is not mailed to po, newEnv's staff/manager/auditor... are.
	base := len(e.waitMailsAtLeast(1, 15*time.Second))
	u, err := st.CreateUser(ctx, admin.ID, "new-auditor@example.jp", "新任 監査", []auth.Role{auth.RoleAuditor}, "x")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.UpdateUser(ctx, admin.ID, u.ID, u.Version, "新任 監査（改名）", []auth.Role{auth.RoleAuditor}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateUser(ctx, admin.ID, "admin2@example.jp", "管理者2", []auth.Role{auth.RoleAdmin}, "x"); err != nil {
		t.Fatal(err)
	}
	u2, _ := st.UserByID(ctx, u.ID)
	if err := st.UpdateUser(ctx, admin.ID, u.ID, u2.Version, "新任 監査（改名）", []auth.Role{auth.RoleAuditor, auth.RoleHR}); err != nil {
		t.Fatal(err)
	}
	got := e.waitMails(base+2, 20*time.Second)[base:]
	for i, m := range got {
		if len(m.To) != 1 || m.To[0] != po.Email {
			t.Errorf("mail %d to %v, want the privacy officer", i, m.To)
		}
	}
	if !strings.Contains(got[0].Text, "auditor") || !strings.Contains(got[1].Text, "hr") || strings.Contains(got[1].Text, "auditor）") {
		t.Errorf("mails name the wrong roles:\n%s\n---\n%s", got[0].Text, got[1].Text)
	}
	if strings.Contains(got[0].Text+got[1].Text, "new-auditor@example.jp") {
		t.Error("the mail carries the account's e-mail address")
	}
}

// waitMailsAtLeast waits until at least n mails arrived and the count stops moving.
func (e *env) waitMailsAtLeast(n int, within time.Duration) []string {
	e.t.Helper()
	deadline := time.Now().Add(within)
	last := -1
	for time.Now().Before(deadline) {
		c := len(e.smtp.Messages())
		if c >= n && c == last {
			break
		}
		last = c
		time.Sleep(700 * time.Millisecond)
	}
	var out []string
	for _, m := range e.smtp.Messages() {
		out = append(out, m.Subject)
	}
	if len(out) < n {
		e.t.Fatalf("want at least %d mails, got %d", n, len(out))
	}
	return out
}
