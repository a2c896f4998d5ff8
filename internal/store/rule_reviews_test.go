package store_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/testdb"
)

// TestRuleReviewClock: before anything is recorded the year runs from when migration 00160 was
// applied (a real time, not in the future); an approval into force or a review sets the last one.
func TestRuleReviewClock(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	last, base, err := db.Store.RuleReviewClock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !last.IsZero() {
		t.Errorf("last review %v on a new database, want none", last)
	}
	if base.IsZero() || base.After(time.Now().Add(time.Minute)) || base.Before(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("base %v: want when migration 00160 was applied", base)
	}
	u, err := db.Store.CreateUser(ctx, 0, "po@review.example.jp", "po", []auth.Role{auth.RolePrivacyOfficer}, "x")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC)
	if _, err := db.Store.RecordRuleEvent(ctx, store.RuleEvent{At: at, ActorID: u.ID, Kind: store.RuleEventReviewed, Version: 1,
		Detail: map[string]any{"role": "privacy_officer", "note": ""}}); err != nil {
		t.Fatal(err)
	}
	last2, base2, err := db.Store.RuleReviewClock(ctx)
	if err != nil || !last2.Equal(at) || !base2.Equal(base) {
		t.Fatalf("after a review: last %v base %v (%v); want %v and the same base", last2, base2, err, at)
	}
	if l, _ := db.Store.LastRuleReview(ctx); !l.Equal(last2) {
		t.Errorf("RuleReviewClock's last %v differs from LastRuleReview %v", last2, l)
	}
}

// TestSendRuleReviewReminderOnce: the ledger lets one of several concurrent claims send, to the
// active managers and privacy officers only; a failed send leaves nothing claimed; with nobody to
// receive it nothing is claimed either.
func TestSendRuleReviewReminderOnce(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	st := db.Store
	dueOn := time.Date(2027, 4, 10, 0, 0, 0, 0, time.UTC)
	now := time.Date(2027, 3, 11, 0, 0, 0, 0, time.UTC)

	never := func(context.Context, []string) error { t.Error("sent with no recipients"); return nil }
	if sent, _, err := st.SendRuleReviewReminderOnce(ctx, dueOn, "30d", now, never); err != nil || sent {
		t.Fatalf("no recipients: sent %v, %v", sent, err)
	}
	for _, u := range []struct {
		email string
		roles []auth.Role
		off   bool
	}{
		{"mgr@review.example.jp", []auth.Role{auth.RoleManager}, false},
		{"po@review.example.jp", []auth.Role{auth.RolePrivacyOfficer}, false},
		{"gone@review.example.jp", []auth.Role{auth.RoleManager}, true},
		{"staff@review.example.jp", []auth.Role{auth.RoleStaff, auth.RoleAuditor}, false},
	} {
		su, err := st.CreateUser(ctx, 0, u.email, u.email, u.roles, "x")
		if err != nil {
			t.Fatal(err)
		}
		if u.off {
			if err := st.SetDisabled(ctx, 0, su.ID, su.Version, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	down := errors.New("smtp down")
	if _, _, err := st.SendRuleReviewReminderOnce(ctx, dueOn, "30d", now, func(context.Context, []string) error { return down }); !errors.Is(err, down) {
		t.Fatalf("send error: %v", err)
	}
	if got, _ := st.RuleReviewRemindersSent(ctx, dueOn); len(got) != 0 {
		t.Fatalf("a failed send was recorded: %v", got)
	}

	var sends atomic.Int32
	var wg sync.WaitGroup
	var gotTo []string
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := st.SendRuleReviewReminderOnce(ctx, dueOn, "30d", now, func(_ context.Context, to []string) error {
				sends.Add(1)
				gotTo = to
				time.Sleep(200 * time.Millisecond) // the others queue on the claim meanwhile
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := sends.Load(); n != 1 {
		t.Fatalf("%d sends of one reminder, want 1", n)
	}
	if len(gotTo) != 2 || gotTo[0] != "mgr@review.example.jp" || gotTo[1] != "po@review.example.jp" {
		t.Errorf("recipients %v, want the active manager and the privacy officer", gotTo)
	}
	// Another label, and the same label for another due date, are other reminders.
	for _, k := range []struct {
		due   time.Time
		label string
	}{{dueOn, "7d"}, {dueOn.AddDate(1, 0, 0), "30d"}} {
		if sent, n, err := st.SendRuleReviewReminderOnce(ctx, k.due, k.label, now, func(context.Context, []string) error { return nil }); err != nil || !sent || n != 2 {
			t.Errorf("%s %s: sent %v to %d, %v", k.due.Format(time.DateOnly), k.label, sent, n, err)
		}
	}
	if got, _ := st.RuleReviewRemindersSent(ctx, dueOn); len(got) != 2 || got[0] != "30d" || got[1] != "7d" {
		t.Errorf("ledger for %s: %v", dueOn.Format(time.DateOnly), got)
	}
}
