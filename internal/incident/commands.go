package incident

import "time"

// Commands are the things a user can ask of a case. Each is decided by
// (*Case).Decide; the comment on each states who may issue it and which
// errors it returns besides the common ones (not_found for a case that does
// not exist yet, conflict for a closed case, forbidden for auditors and for
// users marked involved).

// Command is one of the command structs of this file.
type Command interface {
	decide(d *decider) error
}

// OpenCase creates a case (staff or manager). Facts is a merge patch of
// initial facts (usually discovery facts); Number is the display number
// (e.g. "2026-0007"); IDs come from the store. Errors: conflict if the case
// exists, invalid (fields) for a bad title or facts.
type OpenCase struct {
	ID      int64
	Number  string
	Title   string
	Facts   map[string]any
	OwnerID int64
	Drill   bool
	// Rules is the rule set in force now, which the case pins for its
	// whole life (nil = version 1). It must be registered (RegisterRules).
	Rules *Rules
	// Template is the ID of an incident-type template of Rules to start
	// from ("" = none); Facts override its presets.
	Template string
}

// PatchFacts applies a JSON merge patch to the facts. Discipline facts
// may be written only by hr, all others only by staff or manager. A patch
// that changes nothing produces no events. Errors: invalid (fields),
// forbidden.
type PatchFacts struct {
	Patch map[string]any
}

// TickChecklist checks or unchecks one checklist item, with an optional
// note. Same writers as the item's stage. Errors: invalid for an unknown
// item, forbidden.
type TickChecklist struct {
	ItemID  string
	Checked bool
	Note    string
}

// AssignOwner sets the case handler (staff or manager). The handler may
// not be a user marked involved. Errors: invalid, conflict, forbidden.
type AssignOwner struct {
	UserID int64
}

// MarkInvolved marks (or unmarks) a user as involved in the incident
// (manager, privacy_officer or hr; a reason is required). The current case
// handler must be replaced first. Errors: invalid, conflict, forbidden.
type MarkInvolved struct {
	UserID   int64
	Involved bool
	Reason   string
}

// SubmitRequest asks for approval to complete, skip or defer a stage, or
// to close the case. RequestID is pre-allocated by the store.
//
//   - complete: the stage is in progress and its exit criteria are met;
//   - skip: the stage allows skipping, ReasonCode is one of its reasons,
//     Note (the written rationale) is given and the reason's facts hold;
//   - defer: customer_notice only, ReasonCode takedown_in_progress or
//     facts_too_thin, ReviewBy a date (YYYY-MM-DD) from today to today+7
//     (JST); the decision is mirrored into the facts notice_decision,
//     defer_reason and defer_review_by;
//   - close: manager only; every stage done, skipped or not applicable;
//   - close_not_incident: staff or manager, any time while open, Note required;
//   - move_rules: staff or manager, RulesTo a registered version newer than
//     the case's, no other request pending (rulesmove.go).
//
// Errors: invalid (fields), forbidden, conflict (stage not in progress, a
// request already pending, duplicate ID), unmet_criteria (with Missing).
type SubmitRequest struct {
	RequestID  int64
	Kind       RequestKind
	Stage      Stage
	ReasonCode string
	Note       string
	ReviewBy   string
	// Doc is the frozen document version a KindFinalise request asks to
	// approve (documents.go); nil for every other kind.
	Doc *DocRef
	// RulesTo is the registered rule-set version a KindMoveRules request
	// asks the case to move to (rulesmove.go).
	RulesTo int
}

// Approve adds the actor's approval to a pending request. The request is
// approved, and its effect applied, once every required slot of the
// approval policy is filled by distinct approvers, in the route's order.
// OnBehalfOf records a registered deputy approving for an absent principal.
// Errors: not_found, already_decided, forbidden (see CanApprove),
// unmet_criteria when the criteria no longer hold on the current facts,
// invalid.
type Approve struct {
	RequestID int64
	Note      string // the reason (§5.2(8)): required
	// OnBehalfOf, when set, is the absent principal the actor approves for
	// (代理承認); Delegation is the admin's registration of the actor as that
	// principal's deputy, as found by the caller (nil: none registered).
	OnBehalfOf int64
	Delegation *Delegation
}

// Delegation is an administrator's registration of a deputy for an absent
// principal over a period [From, Until) (SEED003 Art. 3(2)): the deputy
// approves in the principal's slot, with the principal's roles.
type Delegation struct {
	ID             int64
	PrincipalID    int64
	PrincipalName  string
	PrincipalRoles []Role
	DeputyID       int64
	From, Until    time.Time
}

// SendBack returns a pending request to the requester with a required
// comment; the stage goes back to in_progress. Allowed for users who hold
// a role the request needs and pass the same separation rules as
// approvers. Errors: not_found, already_decided, forbidden, invalid.
type SendBack struct {
	RequestID int64
	Note      string
}

// Reopen (manager or privacy_officer; hr for the discipline stage) with a
// required reason either reopens a closed case — stages keep their states,
// except that stages closed as not applicable by a "not an incident"
// closure start again — or, with Stage set, returns a done or skipped stage
// to in_progress (e.g. police: the recipient refuses to delete). Errors:
// invalid, forbidden, conflict.
type Reopen struct {
	Stage  Stage
	Reason string
}
