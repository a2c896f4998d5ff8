package incident

// The HR compartment (domain.md §5, SEED000 第15–16条): who is sanctioned, how, and whether an
// accusation is brought are for HR and the readers CanSeeRestricted names. Every surface that shows
// a case (page, API, timeline, inbox, exports) asks the functions of this file, so the rule of what
// a reader without the right sees is written once.

// SaltKey is the payload member holding an event's random salt. The store adds one to every event
// it writes (see store.appendEvents), so that the hash of an event whose restricted values are
// redacted cannot be recomputed by guessing those values: the salt is part of the hashed payload
// and is shown only to readers who may see the event in full. Events written before salts existed
// have none and keep their original hash (the hash input is unchanged for them).
const SaltKey = "salt"

// CanSeeRestrictedIn reports whether the actor may see the restricted (discipline) content of
// case c: a CanSeeRestricted role, and not marked involved in c.
func CanSeeRestrictedIn(a Actor, c *Case) bool {
	return CanSeeRestricted(a) && !c.Involved[a.UserID]
}

// EventRestricted reports whether e, an event of c, carries HR-compartment content: restricted
// facts (in a change or in a request's snapshot), a restricted record or a discipline file, or
// anything done on the discipline stage (requests, approvals, send-backs, stage changes, ticks,
// reopening), whose notes, approvers and reasons tell the decision.
func (c *Case) EventRestricted(e Event) bool {
	if RestrictedRecordEvent(e) {
		return true
	}
	p := e.Payload
	switch e.Type {
	case EventFactsChanged:
		for _, ch := range pList(p, "changes") {
			if f, ok := fieldIndex[pStr(ch, "field")]; ok && f.Restricted {
				return true
			}
		}
	case EventRequestSubmitted:
		if Stage(pStr(p, "stage")) == StageDiscipline {
			return true
		}
		for k := range pMap(p, "facts") {
			if f, ok := fieldIndex[k]; ok && f.Restricted {
				return true
			}
		}
	case EventRequestApproved, EventRequestSentBack, EventRequestWithdrawn:
		if r := c.Request(pInt(p, "request_id")); r != nil && r.Stage == StageDiscipline {
			return true
		}
	case EventStageChanged, EventChecklistTicked, EventCaseReopened:
		return Stage(pStr(p, "stage")) == StageDiscipline
	}
	return false
}

// Opaque reports whether a reader without the right must not learn even the type and actor of
// the restricted event e: an approval, send-back or withdrawal of a discipline request. Who
// approved (the CEO approves exactly the dismissal-level sanctions, §5.3) and how often would
// tell the sanction.
func (c *Case) Opaque(e Event) bool {
	switch e.Type {
	case EventRequestApproved, EventRequestSentBack, EventRequestWithdrawn:
		return c.EventRestricted(e)
	}
	return false
}

// RedactedPayload is the payload of e a reader who may not see restricted data is shown: the
// event's own payload (without its salt) when it is not restricted, otherwise only what the stage
// board already shows (which stage, which state, which request kind) and "restricted": true.
// Restricted facts are dropped with their names (that accusation_filed_at was set tells that an
// accusation was filed), restricted records lose their kind (criminal_complaint tells it too).
func (c *Case) RedactedPayload(e Event) map[string]any {
	if !c.EventRestricted(e) {
		return e.Payload
	}
	p := e.Payload
	out := map[string]any{"restricted": true}
	keep := func(keys ...string) {
		for _, k := range keys {
			if v, ok := p[k]; ok {
				out[k] = v
			}
		}
	}
	switch e.Type {
	case EventFactsChanged:
		var open []any
		for _, ch := range pList(p, "changes") {
			if f, ok := fieldIndex[pStr(ch, "field")]; !ok || !f.Restricted {
				open = append(open, ch)
			}
		}
		out["changes"] = open
	case EventRequestSubmitted:
		keep("request_id", "kind", "stage")
		if Stage(pStr(p, "stage")) != StageDiscipline {
			keep("reason_code", "note", "review_by")
		}
		snap := map[string]any{}
		for k, v := range pMap(p, "facts") {
			if f, ok := fieldIndex[k]; !ok || !f.Restricted {
				snap[k] = v
			}
		}
		out["facts"] = snap
	case EventStageChanged:
		keep("stage", "from", "to")
	case EventChecklistTicked, EventCaseReopened:
		keep("stage")
	case EventRecordAdded, EventRecordUpdated, EventRecordWithdrawn:
		keep("record_id", "stage")
	case EventEvidenceAttached:
		keep("evidence_id", "stage")
	}
	return out
}

// ShownPayload is the payload of e as the actor may see it: in full (with its salt, which the
// reader needs to recompute the hash) for readers of the compartment, RedactedPayload otherwise.
func (c *Case) ShownPayload(a Actor, e Event) map[string]any {
	if CanSeeRestrictedIn(a, c) {
		return e.Payload
	}
	p := c.RedactedPayload(e)
	if _, ok := p[SaltKey]; ok {
		q := make(map[string]any, len(p))
		for k, v := range p {
			if k != SaltKey {
				q[k] = v
			}
		}
		p = q
	}
	return p
}

// ShownHashes decides, event by event in seq order, whether a reader without the right may be
// given the event's hash and prev_hash. A salted event's hash reveals nothing; an unsalted
// restricted event (written before salts) can be brute-forced over its option lists, from its own
// hash or from any later one (each hash covers the one before), so from the first such event on
// no hash is shown. Readers of the compartment get every hash.
func ShownHashes(a Actor, c *Case, events []Event) []bool {
	out := make([]bool, len(events))
	full := CanSeeRestrictedIn(a, c)
	open := true
	for i, e := range events {
		if !full && open && c.EventRestricted(e) {
			if _, salted := e.Payload[SaltKey]; !salted {
				open = false
			}
		}
		out[i] = full || open
	}
	return out
}

// VisibleExitCriteria is ExitCriteria of stage s as the actor may read it: the discipline stage's
// list names the sanction and tells whether an accusation was decided, so a reader outside the
// compartment learns only that something is still missing.
func VisibleExitCriteria(a Actor, c *Case, s Stage) []Missing {
	m := ExitCriteria(s, c.exitInput())
	if s != StageDiscipline || CanSeeRestrictedIn(a, c) || len(m) == 0 {
		return m
	}
	return []Missing{restrictedMissing}
}

var restrictedMissing = Missing{Item: "restricted",
	JA: "人事が記録する事項が残っています（内容は閲覧権限のある人だけが確認できます）。",
	EN: "Items recorded by HR are still missing (only readers with access see which)."}

// VisibleMissing hides a list of unmet criteria of a request on the discipline stage from a
// reader outside the compartment, as VisibleExitCriteria does.
func VisibleMissing(a Actor, c *Case, s Stage, m []Missing) []Missing {
	if s != StageDiscipline || CanSeeRestrictedIn(a, c) || len(m) == 0 {
		return m
	}
	return []Missing{restrictedMissing}
}

// VisibleRequest is r as the actor may see it. Outside the compartment a discipline request keeps
// its kind, stage, state, requester and times; its notes, reason code and approvals go (the
// approvers, and how many there are, tell whether the CEO had to approve a dismissal, §5.3). The
// snapshot of any request loses its restricted facts.
func VisibleRequest(a Actor, c *Case, r *Request) *Request {
	if CanSeeRestrictedIn(a, c) {
		return r
	}
	out := *r
	out.Snapshot = Facts{}
	for k, v := range r.Snapshot {
		if f, ok := fieldIndex[k]; !ok || !f.Restricted {
			out.Snapshot[k] = v
		}
	}
	if r.Stage == StageDiscipline {
		out.Note, out.ReasonCode, out.DecisionNote, out.Approvals = "", "", "", nil
	}
	return &out
}

// VisibleNeeds is RequiredApprovals of r as the actor may read it: outside the compartment the
// slots of a discipline request are not told (the CEO's slot exists exactly for dismissal-level
// sanctions), except to the CEO who is asked to fill one.
func VisibleNeeds(a Actor, c *Case, r *Request) ([]Role, bool) {
	slots, ok := RequestSlots(r, c)
	var roles []Role
	for _, s := range slots {
		roles = append(roles, s.Role)
	}
	if r.Stage != StageDiscipline || CanSeeRestrictedIn(a, c) || CanApprove(a, r, c) == nil {
		return roles, ok
	}
	return nil, false
}

// VisibleStageStatus is the status of stage s as the actor may see it: outside the compartment the
// discipline stage shows its state and when it changed, not the reasons or notes.
func VisibleStageStatus(a Actor, c *Case, s Stage) *StageStatus {
	ss := c.Stages[s]
	if ss == nil || s != StageDiscipline || CanSeeRestrictedIn(a, c) {
		return ss
	}
	out := *ss
	out.SkipReasonCode, out.SkipReasonText, out.Note = "", "", ""
	return &out
}
