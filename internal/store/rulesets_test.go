package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/rules"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/testdb"
)

// TestRuleVersions_ChainDateAndFrozenDocument: drafts are numbered from 2, a second live version on
// the same effect date is refused with nothing stored, a decision appends chained events and moves
// the state once, the document of a drafted version cannot be changed, the chain verifies and an
// edited event is found at its seq.
func TestRuleVersions_ChainDateAndFrozenDocument(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	u, err := db.Store.CreateUser(ctx, 0, "drafter@rules.example.jp", "drafter", []auth.Role{auth.RoleAdmin}, "x")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC)
	day := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	build := func(v int) (store.RuleDraft, error) {
		rs := rules.V1()
		rs.Version = v
		return store.RuleDraft{Document: rs.Canonical(), Hash: rs.Hash(), Title: rs.Title, EffectiveOn: day, BasedOn: 1}, nil
	}
	v, err := db.Store.DraftRuleVersion(ctx, at, u.ID, build)
	if err != nil || v != 2 {
		t.Fatalf("first draft: version %d, %v; want 2", v, err)
	}
	if _, err := db.Store.DraftRuleVersion(ctx, at, u.ID, build); !errors.Is(err, store.ErrRuleDateTaken) {
		t.Fatalf("same effect date: %v, want ErrRuleDateTaken", err)
	}
	refused := errors.New("refused")
	if err := db.Store.DecideRuleVersion(ctx, at, u.ID, 2, func(store.RuleVersion) (store.RuleDecision, error) { return store.RuleDecision{}, refused }); !errors.Is(err, refused) {
		t.Fatalf("decide error: %v", err)
	}
	err = db.Store.DecideRuleVersion(ctx, at, u.ID, 2, func(rv store.RuleVersion) (store.RuleDecision, error) {
		if rv.State != store.RuleStateDraft || len(rv.Approvals) != 0 {
			t.Errorf("loaded %+v", rv)
		}
		return store.RuleDecision{Events: []store.RuleEvent{{Kind: store.RuleEventApproved, Detail: map[string]any{"role": "manager"}},
			{Kind: store.RuleEventInForce, Detail: map[string]any{"hash": rv.Hash}}}, State: store.RuleStateApproved}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.Store.RuleVersion(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.RuleStateApproved || got.DecidedAt == nil || len(got.Approvals) != 1 || got.Approvals[0].Role != "manager" {
		t.Fatalf("after decision: %+v", got)
	}
	r, err := incident.LoadRules(got.Document)
	if err != nil || r.Hash != got.Hash || r.Version != 2 {
		t.Fatalf("stored document does not load as version 2 with its hash: %v", err)
	}
	if last, err := db.Store.LastRuleReview(ctx); err != nil || !last.Equal(at) {
		t.Fatalf("last review %v, %v; want %v", last, err, at)
	}
	if _, err := db.Store.Pool.Exec(ctx, `UPDATE rule_versions SET document = 'x' WHERE version = 2`); err == nil {
		t.Fatal("a drafted document was changed")
	}
	if _, err := db.Store.Pool.Exec(ctx, `UPDATE rule_versions SET title = 'x' WHERE version = 2`); err == nil {
		t.Fatal("an approved version was changed")
	}
	evs, err := db.Store.RuleEvents(ctx)
	if err != nil || len(evs) != 3 || evs[0].Kind != store.RuleEventDrafted || evs[2].Kind != store.RuleEventInForce {
		t.Fatalf("events %+v, %v", evs, err)
	}
	if ok, bad, reason, err := db.Store.VerifyRuleEvents(ctx); err != nil || !ok {
		t.Fatalf("verify: %v %d %s %v", ok, bad, reason, err)
	}
	ownerExec(t, db.SuperURL, `ALTER TABLE rule_events DISABLE TRIGGER USER`)
	ownerExec(t, db.SuperURL, `UPDATE rule_events SET detail = '{"role":"privacy_officer"}' WHERE seq = 2`)
	if ok, bad, _, err := db.Store.VerifyRuleEvents(ctx); err != nil || ok || bad != 2 {
		t.Fatalf("edited event: ok=%v bad=%d err=%v; want bad 2", ok, bad, err)
	}
}
