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
	case KindComplete, KindSkip, KindDefer, KindClose, KindCloseNotIncident, KindFinalise:
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

func always(roles ...Role) []Slot {
	out := make([]Slot, len(roles))
	for i, r := range roles {
		out[i] = Slot{Role: r}
	}
	return out
}

func when(r Role, c CondID) Slot { return Slot{Role: r, When: c} }

var approvalPolicy = []PolicyRule{
	// G1: the head of general affairs, or the deputy when absent.
	{KindComplete, StageDiscovery, always(RoleManager)},
	{KindComplete, StageInvestigation, append(always(RoleManager), when(RolePrivacyOfficer, CondNotReportable))},
	{KindComplete, StagePoliceReport, append(always(RoleManager), when(RoleExecutive, CondAccusation))},
	{KindSkip, StagePoliceReport, always(RoleManager)},
	{KindComplete, StageContainment, append(always(RoleManager), when(RoleExecutive, CondInjunction))},
	{KindComplete, StageCustomerNotice, append(always(RoleManager), when(RoleExecutive, CondPublication), when(RoleExecutive, CondCompensationAbove))},
	{KindSkip, StageCustomerNotice, always(RoleManager, RolePrivacyOfficer)},
	{KindDefer, StageCustomerNotice, always(RoleManager, RolePrivacyOfficer)},
	// The final report is countersigned by the privacy officer.
	{KindComplete, StageRegulatorReport, always(RoleManager, RolePrivacyOfficer)},
	{KindSkip, StageRegulatorReport, always(RoleManager, RolePrivacyOfficer)},
	{KindComplete, StageRecurrencePrevention, always(RolePrivacyOfficer)},
	// HR decides sanctions; an accusation is general affairs' act (SEED003 Art. 10(2)) and needs
	// the CEO (§5.3), as does a dismissal-level sanction.
	{KindComplete, StageDiscipline, append(always(RoleHR), when(RoleManager, CondAccusation), when(RoleExecutive, CondAccusation), when(RoleExecutive, CondDismissal))},
	{KindSkip, StageDiscipline, always(RoleHR, RoleManager)},
	{KindClose, "", always(RolePrivacyOfficer)},
	{KindCloseNotIncident, "", always(RoleManager, RolePrivacyOfficer)},
}

// Policy returns the approval policy rules (a copy).
func Policy() []PolicyRule { return append([]PolicyRule(nil), approvalPolicy...) }

func policyRule(kind RequestKind, stage Stage) (PolicyRule, bool) {
	if kind.CaseLevel() {
		stage = ""
	}
	for _, r := range approvalPolicy {
		if r.Kind == kind && r.Stage == stage {
			return r, true
		}
	}
	return PolicyRule{}, false
}

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
	r, ok := policyRule(kind, stage)
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
