package incident

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/leakdesk/leakdesk/internal/chain"
)

// storyS2a is domain.md §6 S2a: a USB stick with 3,000 customers' data,
// unencrypted, lost on a train; all eight stages run and finish.
func storyS2a(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, map[string]any{
		"recognized_at": "2026-04-30T22:40", "reported_to_soumu_at": "2026-05-01T08:50",
		"discovery_source": "internal_detection", "report_channel": "phone", "reporter_dept": "営業部",
		"initial_description": "帰宅後、顧客データ入りUSBメモリの紛失に気付いた", "suspected_route": "media_lost",
		"suspected_data_items": []any{"name", "address", "phone", "purchase_history"},
		"estimated_count_min":  3000, "estimated_count_max": 3000, "public_disclosure_possible": true,
		"insider_suspected": "no", "unauthorized_access_suspected": "no",
	})
	h.patch(staff, map[string]any{"containment_ordered_at": "2026-05-01T09:05", "prelim_screen": "reportable",
		"involves_my_number": "no", "exec_notification_decision": "notify_now", "exec_notified_at": "2026-05-01T09:30",
		"first_report_late_reason": "発覚が深夜で翌朝の報告になった"})
	h.ticks(staff, "discovery.report_to_soumu", "discovery.direct_report_30min", "discovery.evidence_preserved", "discovery.prelim_screen")
	g1 := h.submit(staff, KindComplete, StageDiscovery, "", "第一報の記録完了")
	h.do(manager, Approve{RequestID: g1, Note: "受理"})

	// Investigation, in several sittings by a second clerk.
	h.patch(staff2, map[string]any{"occurred_at": "2026-04-30T19:10", "occurred_at_precision": "exact",
		"event_types": []any{"leak"}, "certainty": "suspected", "route": "media_lost", "medium": "usb"})
	h.patch(staff2, map[string]any{"data_items": []any{"purchase_history", "name", "address", "phone", "name"},
		"data_subject_types": []any{"customer"}, "affected_count": 3000, "encryption": "none"})
	h.patch(staff2, map[string]any{"cause_category": "human_error", "cause_actor": "own_employee",
		"root_cause": "規程に反し暗号化なしのUSBで持ち帰った"}) // opens recurrence prevention
	h.patch(staff2, map[string]any{"secondary_damage_exists": "unknown", "impact_scope": "顧客3,000名の氏名・住所・電話・購買履歴",
		"reportability_finding": "reportable", "reportability_rationale": "1,000人超（規則7条4号）"}) // opens customer notice
	h.ticks(staff2, investigationTicks...)

	// Police: lost-property report.
	h.patch(staff, policeFacts())
	h.ticks(staff, "police_report.file_report")
	pol := h.submit(staff, KindComplete, StagePoliceReport, "", "")

	// Containment.
	h.patch(staff, containmentFacts())
	h.ticks(staff, containmentTicks...)
	h.records(staff, containmentRecords()...)
	con := h.submit(staff, KindComplete, StageContainment, "", "")
	h.do(manager, Approve{RequestID: pol, Note: "確認しました"})
	h.do(deputy, Approve{RequestID: con, Note: "部長出張中のため副部長が確認"})

	inv := h.submit(staff, KindComplete, StageInvestigation, "", "")
	h.do(manager, SendBack{RequestID: inv, Note: "発生時刻の根拠を追記してください"})
	h.patch(staff2, map[string]any{"cause_analysis_notes": "発生時刻は乗車記録から推定"})
	inv = h.submit(staff, KindComplete, StageInvestigation, "", "")
	h.do(manager, Approve{RequestID: inv, Note: "確認しました"}) // opens discipline

	// Regulator report and the plan it needs.
	h.patch(staff, regulatorFacts())
	h.ticks(staff, regulatorTicks...)
	reg := h.submit(staff, KindComplete, StageRegulatorReport, "", "")
	h.do(manager, Approve{RequestID: reg, Note: "確認しました"})
	h.do(officer, Approve{RequestID: reg, Note: "確報を確認"})

	h.patch(staff, noticeFacts())
	h.do(manager, Approve{RequestID: h.submit(staff, KindComplete, StageCustomerNotice, "", ""), Note: "確認しました"})

	h.patch(staff, recurrenceFacts())
	h.ticks(staff, recurrenceTicks...)
	h.records(staff, recurrenceRecords()...)
	h.do(officer, Approve{RequestID: h.submit(staff, KindComplete, StageRecurrencePrevention, "", ""), Note: "確認しました"})

	h.patch(hr, disciplineFacts())
	h.ticks(hr, disciplineTicks...)
	h.do(hrHead, Approve{RequestID: h.submit(hr, KindComplete, StageDiscipline, "", ""), Note: "確認しました"})
	return h
}

func TestReplay_EqualsStepByStep(t *testing.T) {
	h := storyS2a(t)
	if len(h.events) < 30 {
		t.Fatalf("story has %d events, want 30+", len(h.events))
	}
	if h.c.Version != int64(len(h.events)) {
		t.Fatalf("version %d, events %d", h.c.Version, len(h.events))
	}
	got, err := Replay(h.events)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, h.c) {
		a, _ := caseJSON(got)
		b, _ := caseJSON(h.c)
		t.Fatalf("replayed case differs\n%s\n%s", a, b)
	}

	// As loaded from storage: payloads decoded from JSON (numbers as
	// json.Number, lists as []any).
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
	got2, err := Replay(stored)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got2, h.c) {
		a, _ := caseJSON(got2)
		b, _ := caseJSON(h.c)
		t.Fatalf("case replayed from JSON differs\n%s\n%s", a, b)
	}
	if v := got2.Facts["data_items"]; !reflect.DeepEqual(v, []string{"address", "name", "phone", "purchase_history"}) {
		t.Fatalf("data_items %#v", v)
	}
	if v := got2.Facts["affected_count"]; v != int64(3000) {
		t.Fatalf("affected_count %#v", v)
	}
}

func TestReplay_RejectsUnknownTypeAndGaps(t *testing.T) {
	h := newHarness(t, discoveryFacts())
	evs := append([]Event(nil), h.events...)
	bad := append(evs, Event{Seq: int64(len(evs) + 1), Type: "teleported"})
	if _, err := Replay(bad); ErrorCode(err) != CodeInternal {
		t.Fatalf("unknown type: %v", err)
	}
	gap := append(append([]Event(nil), evs[:1]...), evs[2:]...)
	if _, err := Replay(gap); ErrorCode(err) != CodeInternal {
		t.Fatalf("gap: %v", err)
	}
	if _, err := Replay(nil); ErrorCode(err) != CodeNotFound {
		t.Fatalf("empty: %v", err)
	}
	ev := h.c.NewAssessmentEvent(0, t0, map[string]any{"appi": map[string]any{"status": "reportable"}})
	if err := h.c.Apply(ev); err != nil || h.c.Assessment == nil {
		t.Fatalf("assessment_changed: %v", err)
	}
}

func TestEventChain_DetectsTampering(t *testing.T) {
	h := storyS2a(t)
	links := func(evs []Event) []chain.Link {
		var out []chain.Link
		for i, e := range evs {
			c, err := e.Canonical(h.c.ID)
			if err != nil {
				t.Fatalf("canonical %d: %v", e.Seq, err)
			}
			var prev *chain.Link
			if i > 0 {
				prev = &out[i-1]
			}
			out = append(out, chain.Next(prev, c))
		}
		return out
	}
	good := links(h.events)
	if ok, _, reason := chain.Verify(good); !ok {
		t.Fatal(reason)
	}
	// Edit one stored payload after the fact: recompute its canonical form
	// but keep the stored hashes.
	edited := append([]chain.Link(nil), good...)
	e := h.events[5]
	e.Payload = map[string]any{"changes": []any{map[string]any{"field": "root_cause", "old": nil, "new": "改ざん"}}}
	edited[5].Canonical, _ = e.Canonical(h.c.ID)
	if ok, bad, _ := chain.Verify(edited); ok || bad != 6 {
		t.Fatalf("edit not detected at seq 6: %v %d", ok, bad)
	}
	deleted := append(append([]chain.Link(nil), good[:9]...), good[10:]...)
	if ok, bad, _ := chain.Verify(deleted); ok || bad != 11 {
		t.Fatalf("deletion not detected: %v %d", ok, bad)
	}
	reordered := append([]chain.Link(nil), good...)
	reordered[3], reordered[4] = reordered[4], reordered[3]
	if ok, bad, _ := chain.Verify(reordered); ok || bad != 5 {
		t.Fatalf("reorder not detected: %v %d", ok, bad)
	}
	// The canonical form depends on the case too.
	a, _ := h.events[0].Canonical(1)
	b, _ := h.events[0].Canonical(2)
	if bytes.Equal(a, b) {
		t.Fatal("case id not in the canonical event")
	}
}
