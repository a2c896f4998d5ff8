package incident

import (
	"encoding/json"
	"strings"
	"testing"
)

// What a reader outside the HR compartment is shown of each kind of event (issue 20): the words of
// the decision never survive, the open part does.
func TestRedactedPayload(t *testing.T) {
	c := &Case{Requests: []*Request{{ID: 5, Stage: StageDiscipline}, {ID: 6, Stage: StageInvestigation}}}
	ev := func(typ string, p map[string]any) Event { return Event{Type: typ, Payload: p} }
	for _, tc := range []struct {
		name       string
		e          Event
		restricted bool
		opaque     bool
		keep       []string // substrings that must survive
	}{
		{"open facts", ev(EventFactsChanged, map[string]any{"changes": []any{map[string]any{"field": "root_cause", "old": nil, "new": "USB"}}}), false, false, []string{"USB"}},
		{"mixed facts", ev(EventFactsChanged, map[string]any{"changes": []any{
			map[string]any{"field": "root_cause", "old": nil, "new": "USB"},
			map[string]any{"field": "sanction", "old": nil, "new": "disciplinary_dismissal"},
			map[string]any{"field": "accusation_filed_at", "old": nil, "new": "2026-06-02T10:00"}}}), true, false, []string{"USB", "root_cause"}},
		{"discipline record", ev(EventRecordAdded, map[string]any{"record_id": 1, "kind": "criminal_complaint", "stage": "discipline",
			"values": map[string]any{"against": "山田"}}), true, false, []string{"discipline"}},
		{"discipline request", ev(EventRequestSubmitted, map[string]any{"request_id": 5, "kind": "complete", "stage": "discipline",
			"note": "懲戒解雇で決定", "facts": map[string]any{"sanction": "disciplinary_dismissal", "root_cause": "USB"}}), true, false, []string{"complete", "USB"}},
		{"other request after HR facts", ev(EventRequestSubmitted, map[string]any{"request_id": 6, "kind": "complete", "stage": "investigation",
			"note": "調査完了", "facts": map[string]any{"sanction": "disciplinary_dismissal"}}), true, false, []string{"調査完了"}},
		{"approval of a discipline request", ev(EventRequestApproved, map[string]any{"request_id": 5, "role": "executive", "note": "解雇を承認"}), true, true, nil},
		{"approval of another request", ev(EventRequestApproved, map[string]any{"request_id": 6, "role": "manager", "note": "承認"}), false, false, []string{"承認"}},
		{"discipline stage change", ev(EventStageChanged, map[string]any{"stage": "discipline", "from": "in_progress", "to": "skipped",
			"reason_code": "NO_INDIVIDUAL_FAULT", "note": "外部攻撃"}), true, false, []string{"skipped"}},
		{"discipline tick", ev(EventChecklistTicked, map[string]any{"stage": "discipline", "item": "discipline.work_rules", "note": "懲戒委員会"}), true, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.EventRestricted(tc.e); got != tc.restricted {
				t.Fatalf("EventRestricted = %v", got)
			}
			if got := c.Opaque(tc.e); got != tc.opaque {
				t.Errorf("Opaque = %v", got)
			}
			b, _ := json.Marshal(c.RedactedPayload(tc.e))
			shown := string(b)
			if tc.restricted {
				for _, w := range []string{"disciplinary_dismissal", "解雇", "criminal_complaint", "accusation_filed_at", "山田", "懲戒委員会", "NO_INDIVIDUAL_FAULT", "外部攻撃", "executive"} {
					if strings.Contains(shown, w) {
						t.Errorf("%q survives: %s", w, shown)
					}
				}
			}
			for _, w := range tc.keep {
				if !strings.Contains(shown, w) {
					t.Errorf("%q was dropped: %s", w, shown)
				}
			}
		})
	}
}

// ShownHashes: salted events never stop the hashes; an unsalted restricted event stops them for
// outsiders from there on; compartment readers get all.
func TestShownHashes(t *testing.T) {
	c := &Case{}
	open := Event{Type: EventFactsChanged, Payload: map[string]any{"changes": []any{map[string]any{"field": "root_cause"}}}}
	secret := Event{Type: EventFactsChanged, Payload: map[string]any{"changes": []any{map[string]any{"field": "sanction"}}}}
	salted := Event{Type: EventFactsChanged, Payload: map[string]any{"changes": []any{map[string]any{"field": "sanction"}}, SaltKey: "00"}}
	staff := Actor{UserID: 1, Roles: []Role{RoleStaff}}
	hr := Actor{UserID: 2, Roles: []Role{RoleHR}}
	for _, tc := range []struct {
		name   string
		a      Actor
		events []Event
		want   string
	}{
		{"salted history", staff, []Event{open, salted, open}, "yyy"},
		{"old history", staff, []Event{open, salted, secret, open}, "yynn"},
		{"hr", hr, []Event{open, secret, open}, "yyy"},
	} {
		var got strings.Builder
		for _, ok := range ShownHashes(tc.a, c, tc.events) {
			got.WriteString(map[bool]string{true: "y", false: "n"}[ok])
		}
		if got.String() != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got.String(), tc.want)
		}
	}
}
