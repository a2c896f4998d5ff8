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
