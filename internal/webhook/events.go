// Package webhook tells other systems (a company's chat, its SIEM) what happens to cases, following
// the Standard Webhooks convention (webhook-id, webhook-timestamp, webhook-signature: "v1," and the
// base64 HMAC-SHA256 of "id.timestamp.body" under the endpoint's secret).
//
// How it fits together:
//   - A store.CaseHook, run inside every case-change transaction, turns the change's events into
//     messages and inserts one River job per subscribed endpoint in the same transaction (queue
//     "webhooks"): a committed change always has its deliveries, a rolled-back one never does.
//     Deadline reminders (reminder package) add "deadline near / missed" the same way.
//   - A job is unique by (endpoint, message id) and River hands it to one worker of one instance at
//     a time; a failed attempt (no answer, a non-2xx status) is retried with capped backoff and
//     every attempt is logged in webhook_deliveries (/admin/webhooks).
//   - Payloads carry ids, the case number, stage, state and status — never personal data or case
//     text (titles and facts stay in leakdesk).
//   - Endpoints are https (http only to a loopback address, for tests and local relays); private,
//     link-local and other internal addresses are refused unless an administrator allowed them for
//     that endpoint, checked when it is registered and again at every connection, on the address
//     actually dialled (no DNS rebinding into the company's network).
package webhook

import (
	"fmt"
	"slices"
	"time"

	"github.com/leakdesk/leakdesk/internal/incident"
)

// Event types an endpoint may subscribe to.
const (
	CaseOpened     = "case.opened"
	StageChanged   = "case.stage_changed"
	RequestWaiting = "request.waiting"
	RequestDecided = "request.decided"
	DeadlineNear   = "deadline.near"
	DeadlineMissed = "deadline.missed"
	CaseClosed     = "case.closed"
)

// EventTypes in display order, with their labels.
var EventTypes = []string{CaseOpened, StageChanged, RequestWaiting, RequestDecided, DeadlineNear, DeadlineMissed, CaseClosed}

var eventLabels = map[string][2]string{
	CaseOpened:     {"案件の登録", "Case opened"},
	StageChanged:   {"段階の状態の変更", "Stage changed"},
	RequestWaiting: {"承認待ち", "Request waiting"},
	RequestDecided: {"承認・差戻し", "Request decided"},
	DeadlineNear:   {"期限が近い", "Deadline near"},
	DeadlineMissed: {"期限超過", "Deadline missed"},
	CaseClosed:     {"案件の終了", "Case closed"},
}

// Label returns an event type's name in Japanese and English.
func Label(t string) (ja, en string) {
	l, ok := eventLabels[t]
	if !ok {
		return t, t
	}
	return l[0], l[1]
}

// ValidType reports whether t is a known event type.
func ValidType(t string) bool { return slices.Contains(EventTypes, t) }

// Data is what a message says about a case: identifiers and states only. Every field is an id, a
// number, an enum or a time — there is deliberately no field that could carry a name or case text.
type Data struct {
	CaseID    int64  `json:"case_id"`
	Number    string `json:"number"`
	Status    string `json:"status"`
	Drill     bool   `json:"drill"`
	Stage     string `json:"stage,omitempty"`
	State     string `json:"state,omitempty"`
	RequestID int64  `json:"request_id,omitempty"`
	Kind      string `json:"kind,omitempty"`     // request kind, or deadline kind
	DueAt     string `json:"due_at,omitempty"`   // deadline due instant (RFC 3339)
	Reminder  string `json:"reminder,omitempty"` // deadline reminder: 24h, 2h, missed
}

// Message is one webhook message: the Standard Webhooks payload shape {type, timestamp, data}.
type Message struct {
	ID        string    `json:"-"`
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      Data      `json:"data"`
}

// FromEvents turns the events of one case change (already applied to c) into messages. Message ids
// are derived from the case and the event's sequence number, so inserting the same change twice
// gives the same ids.
func FromEvents(c *incident.Case, events []incident.Event) []Message {
	base := Data{CaseID: c.ID, Number: c.Number, Status: string(c.Status), Drill: c.Drill}
	var out []Message
	add := func(e incident.Event, typ string, d Data) {
		out = append(out, Message{ID: fmt.Sprintf("msg_c%d_s%d_%s", c.ID, e.Seq, typ), Type: typ, Timestamp: e.At.UTC(), Data: d})
	}
	for _, e := range events {
		switch e.Type {
		case incident.EventCaseOpened:
			add(e, CaseOpened, base)
		case incident.EventStageOpened, incident.EventStageChanged:
			st, _ := e.Payload["stage"].(string)
			d := base
			d.Stage, d.State = st, string(c.StateOf(incident.Stage(st)))
			add(e, StageChanged, d)
		case incident.EventRequestSubmitted, incident.EventRequestApproved, incident.EventRequestSentBack, incident.EventRequestWithdrawn:
			id, ok := payloadInt(e.Payload["request_id"])
			r := c.Request(id)
			if !ok || r == nil {
				continue
			}
			d := base
			d.RequestID, d.Kind, d.Stage, d.State = r.ID, string(r.Kind), string(r.Stage), string(r.State)
			typ := RequestDecided
			if e.Type == incident.EventRequestSubmitted {
				typ = RequestWaiting
			} else if r.State == incident.RequestPending {
				continue // one approval of several: still waiting
			}
			add(e, typ, d)
		case incident.EventCaseClosed:
			add(e, CaseClosed, base)
		}
	}
	return out
}

// DeadlineMessage is the message for a deadline reminder that went out (reminder label "missed"
// → deadline.missed, any other → deadline.near).
func DeadlineMessage(caseID int64, number string, drill bool, kind string, dueAt time.Time, reminder string, now time.Time) Message {
	typ := DeadlineNear
	if reminder == "missed" {
		typ = DeadlineMissed
	}
	return Message{
		ID:   fmt.Sprintf("msg_c%d_d%s_%d_%s", caseID, kind, dueAt.Unix(), reminder),
		Type: typ, Timestamp: now.UTC(),
		Data: Data{CaseID: caseID, Number: number, Status: string(incident.StatusOpen), Drill: drill, Kind: kind,
			DueAt: dueAt.UTC().Format(time.RFC3339), Reminder: reminder},
	}
}

func payloadInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		return int64(n), true
	case interface{ Int64() (int64, error) }:
		x, err := n.Int64()
		return x, err == nil
	}
	return 0, false
}
