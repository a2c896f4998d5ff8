package reminder_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/mail/mailtest"
)

// noticeMails are the request notices among the mails (not deadline or waiting reminders).
func (e *env) noticeMails() []mailtest.Message {
	var out []mailtest.Message
	for _, m := range e.smtp.Messages() {
		if strings.Contains(m.Subject, "承認依頼") {
			out = append(out, m)
		}
	}
	return out
}

// waitNotices waits until n request notices arrived (or within passed), then watches a while
// longer for duplicates from the second instance; it returns the notices and how long the n-th took.
func (e *env) waitNotices(n int, within time.Duration) ([]mailtest.Message, time.Duration) {
	e.t.Helper()
	start := time.Now()
	for len(e.noticeMails()) < n && time.Since(start) < within {
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(start)
	time.Sleep(2 * time.Second) // a second instance must not send them again
	got := e.noticeMails()
	if len(got) != n {
		var subj []string
		for _, m := range got {
			subj = append(subj, m.Subject)
		}
		e.t.Fatalf("want %d request notices, got %d: %q", n, len(got), subj)
	}
	return got, took
}

// recipientsOf lists every address the mails went to, once per mail.
func recipientsOf(ms []mailtest.Message) []string {
	var to []string
	for _, m := range ms {
		to = append(to, m.To...)
	}
	slices.Sort(to)
	return to
}

// TestReminders_RequestNoticesAtOnceOncePerPerson: a request mails the people who may fill the first
// slot of its route at once — one mail each, across two worker instances — then the next slot's
// people after the first stamp, and the requester when it is decided (approved or sent back). The
// mails carry the case number, the request and the stage, never the case's contents.
func TestReminders_RequestNoticesAtOnceOncePerPerson(t *testing.T) {
	e := newEnv(t, jst(2026, 5, 1, 10, 0))
	ctx := context.Background()
	ou, err := e.db.Store.CreateUser(ctx, 0, "officer@example.jp", "利用者 officer", []auth.Role{auth.RolePrivacyOfficer}, "x")
	if err != nil {
		t.Fatal(err)
	}
	officer := incident.Actor{UserID: ou.ID, Name: ou.Name, Roles: []incident.Role{incident.RolePrivacyOfficer}}
	e.start(e.worker(e.db.Store, true))
	e.start(e.worker(e.secondStore(), false))

	c, err := e.svc.Open(ctx, e.actors["staff"], "USBメモリ紛失（山田太郎様ほか）", readyFacts(), false)
	if err != nil {
		t.Fatal(err)
	}
	_, req, err := e.svc.Submit(ctx, c.ID, 0, e.actors["staff"], incident.SubmitRequest{Kind: incident.KindCloseNotIncident, Note: "誤報：USBは机の中にあった"})
	if err != nil {
		t.Fatal(err)
	}
	got, took := e.waitNotices(1, 10*time.Second)
	t.Logf("first-slot notice delivered %s after the request (worker poll 200ms)", took.Round(time.Millisecond))
	if took > time.Second {
		t.Errorf("the first-slot notice took %s: not at once", took)
	}
	want := []string{e.emails["deputy"], e.emails["manager"]} // the first slot: head of general affairs; not the retired manager
	if to := recipientsOf(got); !slices.Equal(to, want) {
		t.Fatalf("first-slot notice went to %v, want one mail each to %v", to, want)
	}
	m := got[0]
	if !strings.Contains(m.Subject, c.Number) || !strings.Contains(m.Text, strconv.FormatInt(req.ID, 10)) || !strings.Contains(m.Text, "案件全体") {
		t.Errorf("notice does not name the case, request and stage: %q / %q", m.Subject, m.Text)
	}
	for _, forbidden := range []string{"山田", "USB", "紛失", "誤報"} {
		if strings.Contains(m.Text, forbidden) || strings.Contains(m.Subject, forbidden) {
			t.Errorf("notice carries case contents %q", forbidden)
		}
	}

	// The manager stamps: the officer (next slot) hears, once.
	if _, _, err := e.svc.Approve(ctx, req.ID, e.actors["manager"], "誤報であることを確認した", 0); err != nil {
		t.Fatal(err)
	}
	got, _ = e.waitNotices(2, 10*time.Second)
	if to := recipientsOf(got[1:]); !slices.Equal(to, []string{ou.Email}) {
		t.Fatalf("next-slot notice went to %v, want the officer", to)
	}
	// The officer decides: the requester hears, once.
	if _, _, err := e.svc.Approve(ctx, req.ID, officer, "誤報と判断する", 0); err != nil {
		t.Fatal(err)
	}
	got, _ = e.waitNotices(3, 10*time.Second)
	if to := recipientsOf(got[2:]); !slices.Equal(to, []string{e.emails["staff"]}) || !strings.Contains(got[2].Text, "承認されました") {
		t.Fatalf("decision notice went to %v: %q", to, got[2].Text)
	}

	// A send-back tells the requester too.
	c2, err := e.svc.Open(ctx, e.actors["staff"], "誤送信（顧客名簿）", readyFacts(), false)
	if err != nil {
		t.Fatal(err)
	}
	if c2, _, err = e.svc.Do(ctx, c2.ID, c2.Version, e.actors["staff"], incident.TickChecklist{ItemID: "discovery.evidence_preserved", Checked: true}); err != nil {
		t.Fatal(err)
	}
	_, req2, err := e.svc.Submit(ctx, c2.ID, 0, e.actors["staff"], incident.SubmitRequest{Kind: incident.KindComplete, Stage: incident.StageDiscovery, Note: "第一報完了"})
	if err != nil {
		t.Fatal(err)
	}
	e.waitNotices(4, 10*time.Second)
	if _, _, err := e.svc.SendBack(ctx, req2.ID, e.actors["deputy"], "認知の時刻を確認してください"); err != nil {
		t.Fatal(err)
	}
	got, _ = e.waitNotices(5, 10*time.Second)
	if to := recipientsOf(got[4:]); !slices.Equal(to, []string{e.emails["staff"]}) || !strings.Contains(got[4].Text, "差し戻されました") ||
		strings.Contains(got[4].Text, "認知の時刻") {
		t.Fatalf("send-back notice went to %v: %q", to, got[4].Text)
	}
	if n := e.sentCount("request:"+strconv.FormatInt(req.ID, 10), "next_slot:0"); n != 1 {
		t.Errorf("ledger rows for the first-slot notice: %d, want 1", n)
	}
}

// TestReminders_RequestNoticesReachRegisteredDeputies: the next-slot mail goes to the slot's
// approvers and to the deputies an admin registered for them for a period that includes now —
// exactly once each, across two worker instances — and not to a deputy whose period is over.
func TestReminders_RequestNoticesReachRegisteredDeputies(t *testing.T) {
	e := newEnv(t, jst(2026, 5, 1, 10, 0))
	ctx := context.Background()
	mk := func(key string, role auth.Role) incident.Actor {
		u, err := e.db.Store.CreateUser(ctx, 0, key+"@example.jp", "利用者 "+key, []auth.Role{role}, "x")
		if err != nil {
			t.Fatal(err)
		}
		e.emails[key] = u.Email
		return incident.Actor{UserID: u.ID, Name: u.Name, Roles: []incident.Role{incident.Role(role)}}
	}
	officer := mk("officer", auth.RolePrivacyOfficer)
	acting := mk("acting", auth.RoleStaff)   // registered for the officer now
	expired := mk("expired", auth.RoleStaff) // registered for the officer last month
	admin := mk("admin", auth.RoleAdmin)
	now := e.clock.Now()
	if _, err := e.db.Store.CreateDelegation(ctx, admin.UserID, officer.UserID, acting.UserID, now.Add(-time.Hour), now.Add(72*time.Hour), "出張中"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Store.CreateDelegation(ctx, admin.UserID, officer.UserID, expired.UserID, now.AddDate(0, -1, 0), now.AddDate(0, 0, -20), "休暇"); err != nil {
		t.Fatal(err)
	}
	e.start(e.worker(e.db.Store, true))
	e.start(e.worker(e.secondStore(), false))

	c, err := e.svc.Open(ctx, e.actors["staff"], "USBメモリ紛失", readyFacts(), false)
	if err != nil {
		t.Fatal(err)
	}
	_, req, err := e.svc.Submit(ctx, c.ID, 0, e.actors["staff"], incident.SubmitRequest{Kind: incident.KindCloseNotIncident, Note: "誤報"})
	if err != nil {
		t.Fatal(err)
	}
	e.waitNotices(1, 10*time.Second)
	// The head stamps; the officer's slot is next: the officer and the acting deputy hear.
	if _, _, err := e.svc.Approve(ctx, req.ID, e.actors["manager"], "誤報であることを確認した", 0); err != nil {
		t.Fatal(err)
	}
	got, _ := e.waitNotices(2, 10*time.Second)
	want := []string{e.emails["acting"], e.emails["officer"]}
	slices.Sort(want)
	if to := recipientsOf(got[1:]); !slices.Equal(to, want) {
		t.Fatalf("next-slot notice went to %v, want one mail each to %v (not the expired deputy)", to, want)
	}
	time.Sleep(time.Second) // a second worker poll: nothing more goes out
	if n := len(e.noticeMails()); n != 2 {
		t.Fatalf("%d request notices, want 2", n)
	}
	// The deputy can indeed stamp for the officer (the mail matches what the domain allows).
	if _, _, err := e.svc.Approve(ctx, req.ID, acting, "管理者出張中のため代理で確認", officer.UserID); err != nil {
		t.Fatal(err)
	}
}
