package incident

// The approval policy of domain.md §5.3 as data. Each rule lists approval
// slots; each slot names one role and is filled by one person. N slots need
// N DISTINCT approvers: a person holding two roles fills one slot only.
// A slot with a condition is required only while the condition holds on
// the CURRENT case (evaluated at each approval). Conditions are named (see
// conditions.go): each reads the case as a whole — facts, stage records,
// the notice decision, the register — so a record and a fact that mean the
// same thing cannot disagree about who must approve.
//
// Decision recorded here where domain.md leaves room: a "not reportable"
// finding is approved twice over — as the completion of the investigation
// (manager + privacy_officer when reportability_finding = not_reportable)
// and as the skip of the regulator report (NOT_REPORTABLE, manager +
// privacy_officer) — because the first is the finding and the second is the
// decision not to file.

// RequestKind is what a request asks for.
type RequestKind string

// Request kinds.
const (
	KindComplete         RequestKind = "complete"           // finish a stage (its exit criteria met)
	KindSkip             RequestKind = "skip"               // skip a stage with a reason code
	KindDefer            RequestKind = "defer"              // defer the customer notice (GL 3-5-4-2)
	KindClose            RequestKind = "close"              // close the case (§1.9)
	KindCloseNotIncident RequestKind = "close_not_incident" // close as a false alarm
)

// Valid reports whether k is a known request kind.
func (k RequestKind) Valid() bool {
	switch k {
	case KindComplete, KindSkip, KindDefer, KindClose, KindCloseNotIncident, KindFinalise, KindMoveRules:
		return true
	}
	return false
}

// CaseLevel reports whether the kind concerns the whole case, not a stage.
func (k RequestKind) CaseLevel() bool { return k == KindClose || k == KindCloseNotIncident }

// Slot is one required approval.
type Slot struct {
	Role Role
	When CondID // "" = always required
}

// PolicyRule gives the slots for one (kind, stage). Stage is "" for the
// case-level kinds.
type PolicyRule struct {
	Kind  RequestKind
	Stage Stage
	Slots []Slot
}

// The rows themselves are the rule set's (internal/rules, "approvals");
// Rules compiles them and the case's version decides (Case.Rules).

// Policy returns the approval policy rows of the default rule set.
func Policy() []PolicyRule { return DefaultRules().Policy() }

// RequiredSlot is one slot required on a case now, with the condition that
// makes it required (nil for a slot that is always required).
type RequiredSlot struct {
	Role Role
	Why  *Condition
}

// RequiredSlots returns the slots required for (kind, stage) on c now, in
// route order (the policy row's order). Two conditional slots of the same
// role (publication and compensation both asking for the CEO) are one slot:
// one person fills it. ok is false when the policy has no rule, i.e. the
// request kind is not allowed for the stage.
func RequiredSlots(kind RequestKind, stage Stage, c *Case) (slots []RequiredSlot, ok bool) {
	r, ok := c.Rules().policyRule(kind, stage)
	if !ok {
		return nil, false
	}
	return requiredOf(r.Slots, c), true
}

// requiredOf keeps the slots of a policy row whose condition holds on c,
// one per role, in the row's order.
func requiredOf(rule []Slot, c *Case) (slots []RequiredSlot) {
	seen := map[Role]bool{}
	for _, s := range rule {
		var why *Condition
		if s.When != "" {
			cond := conditionOf(s.When)
			if !cond.Holds(c) {
				continue
			}
			why = cond
		}
		if seen[s.Role] {
			continue
		}
		seen[s.Role] = true
		slots = append(slots, RequiredSlot{Role: s.Role, Why: why})
	}
	return slots
}

// RequiredApprovals returns the roles of the slots required for (kind,
// stage) on c now, one entry per slot, in route order; ok is false when the
// policy has no rule.
func RequiredApprovals(kind RequestKind, stage Stage, c *Case) (roles []Role, ok bool) {
	slots, ok := RequiredSlots(kind, stage, c)
	for _, s := range slots {
		roles = append(roles, s.Role)
	}
	return roles, ok
}

// policyRule is the default rule set's row for (kind, stage).
func policyRule(kind RequestKind, stage Stage) (PolicyRule, bool) {
	return DefaultRules().policyRule(kind, stage)
}
