package reminder_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/mail/mailtest"
	"github.com/leakdesk/leakdesk/internal/reminder"
)

// readyFacts: discovery is complete enough for its G1 request; the first internal report was made.
func readyFacts() map[string]any {
	return map[string]any{
		"recognized_at": "2026-04-30T22:40", "reported_to_soumu_at": "2026-05-01T08:50",
		"containment_ordered_at": "2026-05-01T09:00", "prelim_screen": "suspected",
		"exec_notification_decision": "not_needed", "involves_my_number": "no",
		"suspected_route": "media_lost", "estimated_count_max": 3000,
		"initial_description": "山田太郎様ほか顧客の氏名・住所を記録したUSBメモリを紛失",
	}
}

func (e *env) waitingMails() []mailtest.Message {
	var out []mailtest.Message
	for _, m := range e.smtp.Messages() {
		if strings.Contains(m.Subject, "承認待ち") {
			out = append(out, m)
		}
	}
	return out
}

// TestReminders_ApprovalWaitingOverFourWorkingHours: a request still pending after 4 business hours
// reminds the managers once, by link only; a request decided in time reminds nobody.
func TestReminders_ApprovalWaitingOverFourWorkingHours(t *testing.T) {
	// Friday 2026-05-01 10:00 JST: four business hours (9–18) end at 14:00 the same day.
	e := newEnv(t, jst(2026, 5, 1, 10, 0))
	ctx := context.Background()
	e.start(e.worker(e.db.Store, true))
	e.start(e.worker(e.secondStore(), false))

	submit := func(title string) (*incident.Case, int64) {
		c, err := e.svc.Open(ctx, e.actors["staff"], title, readyFacts(), false)
		if err != nil {
			t.Fatal(err)
		}
		if c, _, err = e.svc.Do(ctx, c.ID, c.Version, e.actors["staff"], incident.TickChecklist{ItemID: "discovery.evidence_preserved", Checked: true}); err != nil {
			t.Fatalf("tick: %v", err)
		}
		c, req, err := e.svc.Submit(ctx, c.ID, c.Version, e.actors["staff"], incident.SubmitRequest{Kind: incident.KindComplete, Stage: incident.StageDiscovery, Note: "第一報完了"})
		if err != nil {
			t.Fatalf("submit: %v", err)
		}
		return c, req.ID
	}
	waiting, waitingReq := submit("USBメモリ紛失（山田太郎様ほか）")
	decided, decidedReq := submit("誤送信（顧客名簿）")
	if _, _, err := e.svc.Approve(ctx, decidedReq, e.actors["manager"], "確認しました", 0); err != nil {
		t.Fatalf("approve: %v", err)
	}

	e.clock.Set(jst(2026, 5, 1, 13, 59))
	time.Sleep(3 * time.Second)
	if n := len(e.waitingMails()); n != 0 {
		t.Fatalf("%d waiting reminders before four business hours passed", n)
	}

	e.clock.Set(jst(2026, 5, 1, 14, 1))
	deadline := time.Now().Add(30 * time.Second)
	for len(e.waitingMails()) == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // a second instance must not send it again
	got := e.waitingMails()
	if len(got) != 1 {
		t.Fatalf("want exactly one waiting reminder, got %d", len(got))
	}
	m := got[0]
	if !strings.Contains(m.Subject, waiting.Number) || strings.Contains(m.Subject, decided.Number) {
		t.Errorf("subject %q names the wrong case", m.Subject)
	}
	wantTo := []string{e.emails["staff"], e.emails["manager"], e.emails["deputy"]}
	slices.Sort(wantTo)
	to := append([]string(nil), m.To...)
	slices.Sort(to)
	if !slices.Equal(to, wantTo) {
		t.Errorf("recipients %v, want the handler and the active managers %v", to, wantTo)
	}
	for _, forbidden := range []string{"山田", "USB", "紛失"} {
		if strings.Contains(m.Text, forbidden) || strings.Contains(m.Subject, forbidden) {
			t.Errorf("mail carries case contents %q", forbidden)
		}
	}
	if n := e.sentCount("request:"+strconv.FormatInt(waitingReq, 10), reminder.LabelWaiting); n != 1 {
		t.Errorf("reminders_sent rows for the waiting request: %d, want 1", n)
	}
	if n := e.sentCount("request:"+strconv.FormatInt(decidedReq, 10), reminder.LabelWaiting); n != 0 {
		t.Errorf("a request approved in time was reminded (%d)", n)
	}
}
