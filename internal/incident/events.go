package incident

import (
	"time"

	"github.com/leakdesk/leakdesk/internal/chain"
)

// EventType is the closed set of event types of a case's history. Apply
// refuses any other type, so a replay is a closed world.
type EventType = string

// Event types. To add one (the law engine's assessment_changed is the
// example): add the constant here, add it to eventTypes, and give it a case
// in (*Case).Apply.
const (
	EventCaseOpened        EventType = "case_opened"        // {case_id, number, title, drill, owner_id}
	EventFactsChanged      EventType = "facts_changed"      // {changes: [{field, old, new}]}
	EventChecklistTicked   EventType = "checklist_ticked"   // {item, stage, checked, note}
	EventOwnerAssigned     EventType = "owner_assigned"     // {owner_id, previous_owner_id}
	EventInvolvementMarked EventType = "involvement_marked" // {user_id, involved, reason}
	EventStageOpened       EventType = "stage_opened"       // {stage}
	EventRequestSubmitted  EventType = "request_submitted"  // {request_id, kind, stage, reason_code, note, review_by, facts}
	EventRequestApproved   EventType = "request_approved"   // {request_id, approver_id, approver_name, roles, role, as_deputy, note, final}
	EventRequestSentBack   EventType = "request_sent_back"  // {request_id, note}
	EventRequestWithdrawn  EventType = "request_withdrawn"  // {request_id, reason}
	EventStageChanged      EventType = "stage_changed"      // {stage, from, to, reason, reason_code?, note?, deferred_until?}
	EventCaseClosed        EventType = "case_closed"        // {outcome, request_id, reason}
	EventCaseReopened      EventType = "case_reopened"      // {reason, stage?}
	// EventAssessmentChanged is written by the law engine (internal/appi)
	// when the reportability assessment changes (domain.md §3.6); the case
	// only keeps the latest payload.
	EventAssessmentChanged EventType = "assessment_changed"
	// Stage records (records.go): repeatable entries of a stage, and files
	// attached to a stage (the bytes are stored outside the history).
	EventRecordAdded      EventType = "record_added"      // {record_id, kind, stage, values}
	EventRecordUpdated    EventType = "record_updated"    // {record_id, kind, stage, changes: [{field, old, new}]}
	EventRecordWithdrawn  EventType = "record_withdrawn"  // {record_id, kind, stage, reason}
	EventEvidenceAttached EventType = "evidence_attached" // {evidence_id, stage, name, size, content_type, sha256, note}
)

var eventTypes = map[EventType]bool{
	EventCaseOpened: true, EventFactsChanged: true, EventChecklistTicked: true, EventOwnerAssigned: true,
	EventInvolvementMarked: true, EventStageOpened: true, EventRequestSubmitted: true, EventRequestApproved: true,
	EventRequestSentBack: true, EventRequestWithdrawn: true, EventStageChanged: true, EventCaseClosed: true,
	EventCaseReopened: true, EventAssessmentChanged: true,
	EventRecordAdded: true, EventRecordUpdated: true, EventRecordWithdrawn: true, EventEvidenceAttached: true,
}

// KnownEventType reports whether t belongs to the closed set.
func KnownEventType(t string) bool { return eventTypes[t] }

// Event is one entry of a case's append-only history. Seq starts at 1 and
// equals the case's Version after the event is applied. Payload holds only
// JSON-canonicalisable values (strings, int64, bool, []string, []any, maps).
type Event struct {
	Seq     int64          `json:"seq"`
	Type    EventType      `json:"type"`
	ActorID int64          `json:"actor_id"`
	At      time.Time      `json:"at"`
	Payload map[string]any `json:"payload"`
}

// Canonical returns the canonical JSON of the event for the hash chain:
// {case_id, seq, type, actor_id, at (RFC 3339 UTC, nanoseconds), payload}.
// It fails only when the payload holds a value chain.Canonical refuses.
func (e Event) Canonical(caseID int64) ([]byte, error) {
	payload := e.Payload
	if payload == nil {
		payload = map[string]any{}
	}
	return chain.Canonical(map[string]any{
		"case_id":  caseID,
		"seq":      e.Seq,
		"type":     e.Type,
		"actor_id": e.ActorID,
		"at":       e.At.UTC().Format(time.RFC3339Nano),
		"payload":  payload,
	})
}

// NewAssessmentEvent builds the assessment_changed event that follows the
// case's current version; the law engine supplies the payload.
func (c *Case) NewAssessmentEvent(actorID int64, now time.Time, payload map[string]any) Event {
	return Event{Seq: c.Version + 1, Type: EventAssessmentChanged, ActorID: actorID, At: now.UTC(), Payload: payload}
}

// --- payload readers: accept values as built in memory and as decoded from
// JSON (numbers as float64 or json.Number, lists as []any). ---

func pStr(p map[string]any, k string) string { s, _ := p[k].(string); return s }

func pBool(p map[string]any, k string) bool { b, _ := p[k].(bool); return b }

func pInt(p map[string]any, k string) int64 { n, _ := toInt64(p[k]); return n }

func pStrs(p map[string]any, k string) []string { xs, _ := toStrings(p[k]); return xs }

func pMap(p map[string]any, k string) map[string]any { m, _ := p[k].(map[string]any); return m }

func pList(p map[string]any, k string) []map[string]any {
	var out []map[string]any
	switch xs := p[k].(type) {
	case []map[string]any:
		return xs
	case []any:
		for _, x := range xs {
			if m, ok := x.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

func rolesToStrings(rs []Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

func stringsToRoles(ss []string) []Role {
	out := make([]Role, len(ss))
	for i, s := range ss {
		out[i] = Role(s)
	}
	return out
}
