package casework_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/rules"
	"github.com/leakdesk/leakdesk/internal/store"
)

// TestRuleBook_DraftApproveInForce: a bad document is refused with its paths and nothing stored;
// a version drafted for today is not in force until the manager and the privacy officer (neither
// the drafter) have approved it; then a new case pins it and an older case keeps version 1; a
// second draft on the same date is refused, a withdrawn one frees its date; the yearly review is
// recorded; the chain verifies and the approved version registers.
func TestRuleBook_DraftApproveInForce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u, err := e.db.Store.CreateUser(ctx, 0, "admin@example.jp", "admin", []auth.Role{auth.RoleAdmin}, "x")
	if err != nil {
		t.Fatal(err)
	}
	admin := incident.Actor{UserID: u.ID, Name: u.Name, Roles: []incident.Role{incident.RoleAdmin}}
	today := incident.JSTDate(time.Now())
	code := func(err error) incident.Code { return incident.ErrorCode(err) }

	// Refused, nothing stored: staff drafting; a document with problems; a date in the past.
	if _, err := e.svc.DraftRules(ctx, e.actors["staff"], casework.RuleDraftInput{Document: version2Doc(t), EffectiveOn: today}); code(err) != incident.CodeForbidden {
		t.Fatalf("staff drafted: %v", err)
	}
	bad := []byte(`{"version": 2, "title": "x", "thousand_person_threshold": 2000}`)
	_, err = e.svc.DraftRules(ctx, admin, casework.RuleDraftInput{Document: bad, EffectiveOn: today})
	var inv *rules.Invalid
	if !errors.As(err, &inv) || !hasPath(inv.Problems, "/thousand_person_threshold") || !hasPath(inv.Problems, "/stages") {
		t.Fatalf("bad document: %v", err)
	}
	if _, err := e.svc.DraftRules(ctx, admin, casework.RuleDraftInput{Document: version2Doc(t), EffectiveOn: today.AddDate(0, 0, -1)}); code(err) != incident.CodeInvalid {
		t.Fatalf("past date: %v", err)
	}
	if vs, err := e.db.Store.RuleVersions(ctx); err != nil || len(vs) != 0 {
		t.Fatalf("stored after refusals: %d versions, %v", len(vs), err)
	}

	old, err := e.svc.Open(ctx, e.actors["staff"], "v1の案件", discoveryFacts(), false)
	if err != nil {
		t.Fatal(err)
	}
	v, err := e.svc.DraftRules(ctx, admin, casework.RuleDraftInput{Document: version2Doc(t), EffectiveOn: today})
	if err != nil || v != 2 {
		t.Fatalf("draft: %d, %v", v, err)
	}
	if _, err := e.svc.DraftRules(ctx, admin, casework.RuleDraftInput{Document: version2Doc(t), EffectiveOn: today}); !errors.Is(err, store.ErrRuleDateTaken) || code(err) != incident.CodeConflict {
		t.Fatalf("same date: %v", err)
	}
	inForce := func() int {
		r, err := e.svc.RulesInForce(ctx, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return r.Version
	}
	if inForce() != 1 {
		t.Fatal("a draft is in force")
	}
	for _, step := range []struct {
		who      string
		actor    incident.Actor
		wantCode incident.Code
		last     bool
	}{
		{"admin (the drafter, and no approver)", admin, incident.CodeForbidden, false},
		{"manager", e.actors["manager"], "", false},
		{"manager again", e.actors["manager"], incident.CodeConflict, false},
		{"second manager", e.actors["manager2"], incident.CodeConflict, false},
		{"privacy officer", e.actors["privacy"], "", true},
		{"after approval", e.actors["privacy"], incident.CodeAlreadyDecided, false},
	} {
		ap, err := e.svc.ApproveRules(ctx, step.actor, 2)
		if step.wantCode != "" {
			if code(err) != step.wantCode {
				t.Fatalf("%s: %v, want %s", step.who, err, step.wantCode)
			}
			continue
		}
		if err != nil || ap.Last != step.last {
			t.Fatalf("%s: %+v, %v", step.who, ap, err)
		}
		if want := map[bool]int{false: 1, true: 2}[step.last]; inForce() != want {
			t.Fatalf("%s: version %d in force, want %d", step.who, inForce(), want)
		}
	}

	fresh, err := e.svc.Open(ctx, e.actors["staff"], "v2の案件", discoveryFacts(), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id      int64
		version int
		item    bool
	}{{old.ID, 1, false}, {fresh.ID, 2, true}} {
		c, err := e.db.Store.ReplayCase(ctx, tc.id)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := c.ChecklistItem("discovery.board_briefed"); c.RulesVersion != tc.version || ok != tc.item {
			t.Fatalf("case %d: version %d, new item %v", tc.id, c.RulesVersion, ok)
		}
	}

	// Withdrawing: a reason is needed; the date is free again afterwards.
	day := today.AddDate(0, 1, 0)
	v3, err := e.svc.DraftRules(ctx, e.actors["manager"], casework.RuleDraftInput{Document: rules.V1JSON(), EffectiveOn: day, Title: "第3版"})
	if err != nil || v3 != 3 {
		t.Fatalf("draft 3: %d, %v", v3, err)
	}
	if err := e.svc.WithdrawRules(ctx, e.actors["manager"], v3, " "); code(err) != incident.CodeInvalid {
		t.Fatalf("withdraw without reason: %v", err)
	}
	if err := e.svc.WithdrawRules(ctx, e.actors["staff"], v3, "誤り"); code(err) != incident.CodeForbidden {
		t.Fatalf("staff withdrew: %v", err)
	}
	if err := e.svc.WithdrawRules(ctx, e.actors["manager"], v3, "施行日を誤った"); err != nil {
		t.Fatal(err)
	}
	if got, err := e.db.Store.RuleVersion(ctx, v3); err != nil || got.State != store.RuleStateWithdrawn || got.Title != "第3版" {
		t.Fatalf("withdrawn: %+v %v", got, err)
	}
	if _, err := e.svc.ApproveRules(ctx, e.actors["privacy"], v3); code(err) != incident.CodeAlreadyDecided {
		t.Fatalf("approved a withdrawn draft: %v", err)
	}
	if v4, err := e.svc.DraftRules(ctx, e.actors["manager"], casework.RuleDraftInput{Document: rules.V1JSON(), EffectiveOn: day}); err != nil || v4 != 4 {
		t.Fatalf("the withdrawn date is not free: %d, %v", v4, err)
	}

	// The yearly review.
	if _, err := e.svc.ReviewRules(ctx, e.actors["staff"], ""); code(err) != incident.CodeForbidden {
		t.Fatalf("staff reviewed: %v", err)
	}
	ev, err := e.svc.ReviewRules(ctx, e.actors["privacy"], "2026年度見直し、変更なし")
	if err != nil || ev.Version != 2 || ev.Kind != store.RuleEventReviewed {
		t.Fatalf("review: %+v %v", ev, err)
	}
	if last, err := e.db.Store.LastRuleReview(ctx); err != nil || !last.Equal(ev.At) {
		t.Fatalf("last review %v, want %v (%v)", last, ev.At, err)
	}
	if ok, bad, why, err := e.db.Store.VerifyRuleEvents(ctx); err != nil || !ok {
		t.Fatalf("rule chain: bad %d %s %v", bad, why, err)
	}
	if n, err := e.db.Store.RegisterRuleVersions(ctx); err != nil || n != 1 {
		t.Fatalf("register: %d, %v", n, err)
	}
}

func hasPath(ps []rules.Problem, path string) bool {
	for _, p := range ps {
		if p.Path == path {
			return true
		}
	}
	return false
}
