package incident

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/leakdesk/leakdesk/internal/rules"
)

var moveV2 struct {
	once sync.Once
	r    *Rules
}

// rulesV2 is version 1 with a new required discovery item, investigation's
// 再スクリーニング item dropped, a new containment item, the privacy officer
// added to containment's completion and a higher CEO compensation amount;
// registered once for the package's tests.
func rulesV2(t *testing.T) *Rules {
	t.Helper()
	moveV2.once.Do(func() {
		var m map[string]any
		if err := json.Unmarshal(rules.V1JSON(), &m); err != nil {
			t.Fatal(err)
		}
		m["version"] = 2
		m["compensation_executive_above"] = 5_000_000
		stages := m["stages"].(map[string]any)
		disc := stages["discovery"].(map[string]any)
		disc["checklist"] = append(disc["checklist"].([]any), map[string]any{
			"id": "board_briefed", "ja": "取締役会に概要を報告する", "en": "Brief the board", "citation": "第2版 4条3項 [P]", "required_for_exit": true})
		inv := stages["investigation"].(map[string]any)
		var kept []any
		for _, it := range inv["checklist"].([]any) {
			if it.(map[string]any)["id"] != "rescreen" {
				kept = append(kept, it)
			}
		}
		inv["checklist"] = kept
		cont := stages["containment"].(map[string]any)
		cont["checklist"] = append(cont["checklist"].([]any), map[string]any{
			"id": "vendor_notified", "ja": "委託先に封じ込めを指示する", "en": "Instruct the contractor", "citation": "第2版 6条 [P]", "required_for_exit": true})
		for _, a := range m["approvals"].([]any) {
			row := a.(map[string]any)
			if row["kind"] == "complete" && row["stage"] == "containment" {
				row["slots"] = append(row["slots"].([]any), map[string]any{"role": "privacy_officer"})
			}
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		r, err := LoadRules(b)
		if err != nil {
			t.Fatalf("version 2: %v", err)
		}
		if err := RegisterRules(r); err != nil {
			t.Fatal(err)
		}
		moveV2.r = r
	})
	if moveV2.r == nil {
		t.Fatal("version 2 did not compile")
	}
	return moveV2.r
}

func hasChange(chs []RulesChange, area, key, op string) bool {
	for _, ch := range chs {
		if ch.Area == area && ch.Op == op && (key == "" || ch.Key == key) {
			return true
		}
	}
	return false
}

func TestMoveRules_RequestedApprovedByOthersAndRecorded(t *testing.T) {
	v2 := rulesV2(t)
	h := newHarness(t, nil)
	h.passG1() // discovery done under version 1

	// A v1 case keeps v1's checklist and approvals while v2 exists.
	if h.c.Rules().Version != 1 {
		t.Fatalf("case under version %d", h.c.Rules().Version)
	}
	if _, ok := h.c.ChecklistItem("containment.vendor_notified"); ok {
		t.Fatal("a version 1 case has version 2's item")
	}
	if got, _ := RequiredApprovals(KindComplete, StageContainment, h.c); !reflect.DeepEqual(got, []Role{RoleManager}) {
		t.Fatalf("containment approvals under v1: %v", got)
	}

	// Who may ask.
	for _, a := range []Actor{auditor, hr, officer, ceo} {
		h.nextID++
		h.fail(a, SubmitRequest{RequestID: h.nextID, Kind: KindMoveRules, RulesTo: 2}, CodeForbidden)
	}
	for _, tc := range []struct {
		to   int
		want Code
	}{{0, CodeInvalid}, {1, CodeInvalid}, {99, CodeInvalid}} {
		h.nextID++
		h.fail(staff, SubmitRequest{RequestID: h.nextID, Kind: KindMoveRules, RulesTo: tc.to}, tc.want)
	}
	h.nextID++
	h.fail(staff, SubmitRequest{RequestID: h.nextID, Kind: KindMoveRules, RulesTo: 2, Stage: StageDiscovery}, CodeInvalid)

	// While a stage request is pending the move is refused, naming it.
	h.patch(staff, investigationFacts())
	h.ticks(staff, investigationTicks...)
	pending := h.submit(staff, KindComplete, StageInvestigation, "", "")
	h.nextID++
	if e := h.fail(manager, SubmitRequest{RequestID: h.nextID, Kind: KindMoveRules, RulesTo: 2}, CodeConflict); !strings.Contains(e.JA, "の完了") {
		t.Fatalf("message %q does not name the pending request", e.JA)
	}
	h.do(manager, SendBack{RequestID: pending, Note: "移行の後に"})

	// The manager asks; the requester cannot approve, whatever roles; another manager and the
	// privacy officer do, in that order.
	h.nextID++
	move := h.nextID
	h.do(manager, SubmitRequest{RequestID: move, Kind: KindMoveRules, RulesTo: 2, Note: "第2版へ"})
	if r := h.c.Request(move); r.RulesTo != 2 || r.RulesToHash != v2.Hash || r.Stage != "" {
		t.Fatalf("request %+v", r)
	}
	if got := RouteOf(h.c.Request(move), h.c); len(got) != 2 || got[0].Role != RoleManager || got[1].Role != RolePrivacyOfficer {
		t.Fatalf("route %+v", got)
	}
	h.fail(manager, Approve{RequestID: move, Note: "自分で"}, CodeForbidden)
	h.fail(officer, Approve{RequestID: move, Note: "順序違い"}, CodeForbidden)
	h.do(deputy, Approve{RequestID: move, Note: "差分を確認"})

	// A request made meanwhile blocks the approval until it is decided.
	again := h.submit(staff, KindComplete, StageInvestigation, "", "")
	h.fail(officer, Approve{RequestID: move, Note: "確認"}, CodeUnmetCriteria)
	h.do(manager, SendBack{RequestID: again, Note: "移行の後に"})
	if h.c.Rules().Version != 1 {
		t.Fatal("moved before the last approval")
	}
	evs := h.do(officer, Approve{RequestID: move, Note: "確認しました"})

	last := evs[len(evs)-1]
	if last.Type != EventRulesMoved {
		t.Fatalf("last event %s", last.Type)
	}
	p := last.Payload
	if p["from_version"] != int64(1) || p["to_version"] != int64(2) || p["from_hash"] != DefaultRules().Hash || p["to_hash"] != v2.Hash || p["request_id"] != move {
		t.Fatalf("payload %v", p)
	}
	chs := RulesChangesOf(p)
	for _, want := range []struct{ area, key, op string }{
		{"checklist", "investigation.rescreen", "removed"},
		{"checklist", "containment.vendor_notified", "added"},
		{"approvals", "complete", "changed"},
		{"amount", "compensation_executive_above", "changed"},
	} {
		if !hasChange(chs, want.area, want.key, want.op) {
			t.Errorf("changes lack %v: %+v", want, chs)
		}
	}
	// Discovery was finished under version 1: its new item is not this case's change.
	if hasChange(chs, "checklist", "discovery.board_briefed", "added") {
		t.Error("a finished stage's new item is listed")
	}
	for _, ch := range chs {
		if ch.JA == "" || ch.EN == "" {
			t.Errorf("change without wording: %+v", ch)
		}
	}

	// From now on the case is decided under version 2.
	if h.c.Rules() != v2 || h.c.RulesVersion != 2 || h.c.RulesHash != v2.Hash {
		t.Fatalf("case under %d (%s)", h.c.Rules().Version, h.c.RulesHash)
	}
	if _, ok := h.c.ChecklistItem("containment.vendor_notified"); !ok {
		t.Fatal("version 2's item missing after the move")
	}
	if _, ok := h.c.ChecklistItem("investigation.rescreen"); ok {
		t.Fatal("version 1's dropped item still on the checklist")
	}
	if got, _ := RequiredApprovals(KindComplete, StageContainment, h.c); !reflect.DeepEqual(got, []Role{RoleManager, RolePrivacyOfficer}) {
		t.Fatalf("containment approvals under v2: %v", got)
	}
	if got := CompensationLimit(h.c); got != 5_000_000 {
		t.Fatalf("compensation amount %d", got)
	}
	h.nextID++
	h.fail(staff, SubmitRequest{RequestID: h.nextID, Kind: KindMoveRules, RulesTo: 2}, CodeInvalid)

	// Replay, also from stored JSON, gives the same case.
	raw, err := json.Marshal(h.events)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var stored []Event
	if err := dec.Decode(&stored); err != nil {
		t.Fatal(err)
	}
	for _, evs := range [][]Event{h.events, stored} {
		got, err := Replay(evs)
		if err != nil {
			t.Fatal(err)
		}
		if !equalCases(got, h.c) {
			a, _ := caseJSON(got)
			b, _ := caseJSON(h.c)
			t.Fatalf("replayed case differs\n%s\n%s", a, b)
		}
	}
}

func TestMoveRules_ChangesAreThoseOfTheCasesOpenStages(t *testing.T) {
	v2 := rulesV2(t)
	h := newHarness(t, nil)
	chs := RulesChanges(h.c, DefaultRules(), v2)
	if !hasChange(chs, "checklist", "discovery.board_briefed", "added") {
		t.Fatalf("an open discovery's new item is not listed: %+v", chs)
	}
	if len(RulesChanges(h.c, v2, v2)) != 0 {
		t.Fatal("a version compared with itself has changes")
	}
	// Back from v2 to v1 the same items are removed, the amount changes back.
	back := RulesChanges(h.c, v2, DefaultRules())
	if !hasChange(back, "checklist", "discovery.board_briefed", "removed") || !hasChange(back, "checklist", "investigation.rescreen", "added") {
		t.Fatalf("reverse changes %+v", back)
	}
}

func TestMoveRules_ReplayRefusesAMoveToAnUnregisteredVersion(t *testing.T) {
	rulesV2(t)
	h := newHarness(t, nil)
	e := Event{Seq: h.c.Version + 1, Type: EventRulesMoved, At: h.now, Payload: map[string]any{
		"request_id": int64(1), "from_version": int64(1), "to_version": int64(77), "to_hash": "x"}}
	if err := h.c.clone().Apply(e); ErrorCode(err) != CodeInternal {
		t.Fatalf("unregistered target applied: %v", err)
	}
	e.Payload["to_version"], e.Payload["to_hash"] = int64(2), "not-its-hash"
	if err := h.c.clone().Apply(e); ErrorCode(err) != CodeInternal {
		t.Fatalf("wrong hash applied: %v", err)
	}
}
