package casework_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/rules"
)

// version2 is version 1 with one more discovery item required for exit and a higher compensation
// amount for the CEO, registered once for the package's tests.
func version2(t *testing.T) *incident.Rules {
	t.Helper()
	r, err := incident.LoadRules(version2Doc(t))
	if err != nil {
		t.Fatalf("version 2: %v", err)
	}
	if err := incident.RegisterRules(r); err != nil {
		t.Fatal(err)
	}
	return r
}

// version2Doc is version 2's document (the package's tests share one version 2: the registry holds
// one hash per version number).
func version2Doc(t *testing.T) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rules.V1JSON(), &m); err != nil {
		t.Fatal(err)
	}
	m["version"] = 2
	m["title"] = "規程 第2版（取締役会への報告を追加）"
	m["compensation_executive_above"] = 5_000_000
	disc := m["stages"].(map[string]any)["discovery"].(map[string]any)
	disc["checklist"] = append(disc["checklist"].([]any), map[string]any{
		"id": "board_briefed", "ja": "取締役会に概要を報告する", "en": "Brief the board", "citation": "第2版 4条3項 [P]", "required_for_exit": true})
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRules_CaseKeepsTheVersionItWasOpenedUnder(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	v2 := version2(t)
	staff := e.actors["staff"]

	// Opened while version 1 is in force.
	old, _ := e.openReady()

	// Version 2 takes effect; a case opened now pins it.
	e.svc.RulesAt = func(context.Context, time.Time) (*incident.Rules, error) { return v2, nil }
	fresh, err := e.svc.Open(ctx, staff, "誤送信（顧客1名）", discoveryFacts(), false)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name    string
		id      int64
		version int
		limit   int64
		hasItem bool
	}{{"opened under v1", old.ID, 1, 1_000_000, false}, {"opened under v2", fresh.ID, 2, 5_000_000, true}} {
		t.Run(tc.name, func(t *testing.T) {
			for _, load := range []struct {
				how string
				get func(context.Context, int64) (*incident.Case, error)
			}{{"snapshot", e.db.Store.GetCase}, {"replay", e.db.Store.ReplayCase}} {
				c, err := load.get(ctx, tc.id)
				if err != nil {
					t.Fatal(err)
				}
				if c.Rules().Version != tc.version || c.RulesVersion != tc.version {
					t.Fatalf("%s: rules version %d (pinned %d), want %d", load.how, c.Rules().Version, c.RulesVersion, tc.version)
				}
				if c.RulesHash != c.Rules().Hash {
					t.Fatalf("%s: pinned hash %s, rule set %s", load.how, c.RulesHash, c.Rules().Hash)
				}
				if _, ok := c.ChecklistItem("discovery.board_briefed"); ok != tc.hasItem {
					t.Fatalf("%s: board_briefed on the checklist = %v", load.how, ok)
				}
				if got := incident.CompensationLimit(c); got != tc.limit {
					t.Fatalf("%s: CEO compensation amount %d, want %d", load.how, got, tc.limit)
				}
			}
			var col int
			if err := e.db.Store.Pool.QueryRow(ctx, `SELECT rules_version FROM cases WHERE id = $1`, tc.id).Scan(&col); err != nil || col != tc.version {
				t.Fatalf("projection rules_version = %d, %v", col, err)
			}
		})
	}

	// The v1 case is not bound by v2's new item: it has already asked for G1 without it. The v2 case
	// cannot complete discovery until the item is ticked, and the v1 case cannot tick it at all.
	c, _, err := e.svc.Do(ctx, fresh.ID, fresh.Version, staff, incident.TickChecklist{ItemID: "discovery.evidence_preserved", Checked: true})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = e.svc.Submit(ctx, c.ID, c.Version, staff, incident.SubmitRequest{Kind: incident.KindComplete, Stage: incident.StageDiscovery, Note: "第一報完了"})
	var ie *incident.Error
	if !errors.As(err, &ie) || !missingHas(ie.Missing, "discovery.board_briefed") {
		t.Fatalf("v2 case completed discovery without its new item: %v", err)
	}
	c, _, err = e.svc.Do(ctx, c.ID, c.Version, staff, incident.TickChecklist{ItemID: "discovery.board_briefed", Checked: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Submit(ctx, c.ID, c.Version, staff, incident.SubmitRequest{Kind: incident.KindComplete, Stage: incident.StageDiscovery, Note: "第一報完了"}); err != nil {
		t.Fatalf("v2 case with the item ticked: %v", err)
	}
	cur, err := e.db.Store.GetCase(ctx, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Do(ctx, old.ID, cur.Version, staff, incident.TickChecklist{ItemID: "discovery.board_briefed", Checked: true}); err == nil {
		t.Fatal("a v1 case ticked an item only version 2 has")
	}

	// The pin is in the hash chain: case_opened names version and hash.
	events, err := e.db.Store.CaseEvents(ctx, fresh.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p := events[0].Payload; events[0].Type != incident.EventCaseOpened || p["rules_hash"] != v2.Hash {
		t.Fatalf("case_opened payload %v", p)
	}
	if res, err := e.db.Store.Verify(ctx, 0); err != nil || !res.OK {
		t.Fatalf("verify: %+v %v", res, err)
	}
}

func TestRules_UnregisteredVersionIsNotPinned(t *testing.T) {
	e := newEnv(t)
	var m map[string]any
	if err := json.Unmarshal(rules.V1JSON(), &m); err != nil {
		t.Fatal(err)
	}
	m["version"] = 99
	b, _ := json.Marshal(m)
	r, err := incident.LoadRules(b)
	if err != nil {
		t.Fatal(err)
	}
	e.svc.RulesAt = func(context.Context, time.Time) (*incident.Rules, error) { return r, nil }
	if _, err := e.svc.Open(context.Background(), e.actors["staff"], "未登録の版", discoveryFacts(), false); err == nil {
		t.Fatal("a case pinned a rule set version no one registered")
	}
}

func missingHas(m []incident.Missing, item string) bool {
	for _, x := range m {
		if x.Item == item {
			return true
		}
	}
	return false
}

// A case opened under version 1 keeps it after version 2 takes effect until a move to version 2 is
// requested and approved by two others; the move is in the history with what changed for the case,
// the projection and the snapshot follow it and a replay agrees.
func TestRules_MoveAnOpenCaseToANewerVersion(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	v2 := version2(t)
	staff, manager, privacy := e.actors["staff"], e.actors["manager"], e.actors["privacy"]

	c, err := e.svc.Open(ctx, staff, "誤送信（顧客2名）", discoveryFacts(), false)
	if err != nil {
		t.Fatal(err)
	}
	if mv, err := e.svc.RulesMoveFor(ctx, c); err != nil || mv != nil {
		t.Fatalf("a move offered while version 1 is in force: %+v %v", mv, err)
	}
	// Version 2 is registered but not in force: no move to it.
	if _, _, err := e.svc.Submit(ctx, c.ID, c.Version, staff, incident.SubmitRequest{Kind: incident.KindMoveRules, RulesTo: 2}); incident.ErrorCode(err) != incident.CodeInvalid {
		t.Fatalf("moved to a version not in force: %v", err)
	}

	e.svc.RulesAt = func(context.Context, time.Time) (*incident.Rules, error) { return v2, nil }
	c, err = e.db.Store.GetCase(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Rules().Version != 1 || incident.CompensationLimit(c) != 1_000_000 {
		t.Fatalf("the v1 case changed rules when v2 took effect: %d", c.Rules().Version)
	}
	mv, err := e.svc.RulesMoveFor(ctx, c)
	if err != nil || mv == nil || mv.To != v2 || len(mv.Changes) == 0 {
		t.Fatalf("move offered: %+v %v", mv, err)
	}

	// A stale version is refused as for every write.
	if _, _, err := e.svc.Submit(ctx, c.ID, c.Version-1, staff, incident.SubmitRequest{Kind: incident.KindMoveRules, RulesTo: 2}); err == nil {
		t.Fatal("a move on a stale version was accepted")
	}
	c, req, err := e.svc.Submit(ctx, c.ID, c.Version, staff, incident.SubmitRequest{Kind: incident.KindMoveRules, RulesTo: 2, Note: "第2版へ"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Approve(ctx, req.ID, staff, "自分で", 0); incident.ErrorCode(err) != incident.CodeForbidden {
		t.Fatalf("the requester approved: %v", err)
	}
	if _, _, err := e.svc.Approve(ctx, req.ID, manager, "差分を確認しました", 0); err != nil {
		t.Fatal(err)
	}
	c, req, err = e.svc.Approve(ctx, req.ID, privacy, "差分を確認しました", 0)
	if err != nil {
		t.Fatal(err)
	}
	if req.State != incident.RequestApproved {
		t.Fatalf("request %s", req.State)
	}
	for _, load := range []struct {
		how string
		get func(context.Context, int64) (*incident.Case, error)
	}{{"snapshot", e.db.Store.GetCase}, {"replay", e.db.Store.ReplayCase}} {
		got, err := load.get(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Rules() != v2 || got.RulesHash != v2.Hash {
			t.Fatalf("%s: under version %d", load.how, got.Rules().Version)
		}
		if _, ok := got.ChecklistItem("discovery.board_briefed"); !ok || incident.CompensationLimit(got) != 5_000_000 {
			t.Fatalf("%s: version 2's item or amount missing", load.how)
		}
	}
	var col int
	if err := e.db.Store.Pool.QueryRow(ctx, `SELECT rules_version FROM cases WHERE id = $1`, c.ID).Scan(&col); err != nil || col != 2 {
		t.Fatalf("projection rules_version = %d, %v", col, err)
	}
	events, err := e.db.Store.CaseEvents(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	if last.Type != incident.EventRulesMoved || last.Payload["to_hash"] != v2.Hash {
		t.Fatalf("last event %s %v", last.Type, last.Payload)
	}
	chs := incident.RulesChangesOf(last.Payload)
	found := map[string]bool{}
	for _, ch := range chs {
		found[ch.Area+":"+ch.Key] = true
	}
	if !found["checklist:discovery.board_briefed"] || !found["amount:compensation_executive_above"] {
		t.Fatalf("changes recorded: %+v", chs)
	}
	if res, err := e.db.Store.Verify(ctx, 0); err != nil || !res.OK {
		t.Fatalf("verify: %+v %v", res, err)
	}
	if mv, err := e.svc.RulesMoveFor(ctx, c); err != nil || mv != nil {
		t.Fatalf("a move offered after moving: %+v %v", mv, err)
	}
}
