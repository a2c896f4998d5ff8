package incident

// The approval policy of domain.md §5.3 as data. Each rule lists approval
// slots; each slot names one role and is filled by one person. N slots need
// N DISTINCT approvers: a person holding two roles fills one slot only.
// A slot with a condition is required only while the condition holds on
// the case's CURRENT facts (evaluated at each approval).
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
	case KindComplete, KindSkip, KindDefer, KindClose, KindCloseNotIncident:
		return true
	}
	return false
}

// CaseLevel reports whether the kind concerns the whole case, not a stage.
func (k RequestKind) CaseLevel() bool { return k == KindClose || k == KindCloseNotIncident }

// CondOp is the comparison of a slot condition.
type CondOp string

// Condition operators.
const (
	OpEquals   CondOp = "equals"   // fact == one of Values
	OpContains CondOp = "contains" // set fact contains one of Values
	OpIsTrue   CondOp = "is_true"  // bool fact is true
	OpRecorded CondOp = "recorded" // fact has a value
)

// Condition is a test on one fact.
type Condition struct {
	Fact   string
	Op     CondOp
	Values []string
	JA, EN string // why the slot is needed, for the approval screen
}

// Holds evaluates the condition on facts.
func (c Condition) Holds(f Facts) bool {
	switch c.Op {
	case OpEquals:
		for _, v := range c.Values {
			if f.Str(c.Fact) == v {
				return true
			}
		}
	case OpContains:
		for _, v := range c.Values {
			if f.setHas(c.Fact, v) {
				return true
			}
		}
	case OpIsTrue:
		return f.isTrue(c.Fact)
	case OpRecorded:
		return f.has(c.Fact)
	}
	return false
}

// Slot is one required approval.
type Slot struct {
	Role Role
	When *Condition // nil = always required
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

func when(r Role, c Condition) Slot { return Slot{Role: r, When: &c} }

var approvalPolicy = []PolicyRule{
	// G1: the head of general affairs, or the deputy when absent.
	{KindComplete, StageDiscovery, always(RoleManager)},
	{KindComplete, StageInvestigation, append(always(RoleManager),
		when(RolePrivacyOfficer, Condition{Fact: "reportability_finding", Op: OpEquals, Values: []string{"not_reportable"},
			JA: "「報告対象外」の判断は個人情報保護管理者の承認も必要です。", EN: "A not-reportable finding also needs the privacy officer."}))},
	{KindComplete, StagePoliceReport, append(always(RoleManager),
		when(RoleExecutive, Condition{Fact: "police_actions", Op: OpContains, Values: []string{"accusation"},
			JA: "告発は代表取締役の承認も必要です。", EN: "An accusation also needs the CEO."}))},
	{KindSkip, StagePoliceReport, always(RoleManager)},
	{KindComplete, StageContainment, append(always(RoleManager),
		when(RoleExecutive, Condition{Fact: "injunction_filed_at", Op: OpRecorded,
			JA: "差止め訴訟は代表取締役の承認も必要です。", EN: "An injunction suit also needs the CEO."}))},
	{KindComplete, StageCustomerNotice, append(always(RoleManager),
		when(RoleExecutive, Condition{Fact: "publication_done", Op: OpIsTrue,
			JA: "公表は代表取締役の承認も必要です。", EN: "Publication also needs the CEO."}))},
	{KindSkip, StageCustomerNotice, always(RoleManager, RolePrivacyOfficer)},
	{KindDefer, StageCustomerNotice, always(RoleManager, RolePrivacyOfficer)},
	// The final report is countersigned by the privacy officer.
	{KindComplete, StageRegulatorReport, always(RoleManager, RolePrivacyOfficer)},
	{KindSkip, StageRegulatorReport, always(RoleManager, RolePrivacyOfficer)},
	{KindComplete, StageRecurrencePrevention, always(RolePrivacyOfficer)},
	{KindComplete, StageDiscipline, append(always(RoleHR),
		when(RoleExecutive, Condition{Fact: "sanction", Op: OpEquals, Values: []string{"advised_resignation", "disciplinary_dismissal"},
			JA: "解雇相当の処分は代表取締役の承認も必要です。", EN: "A dismissal-level sanction also needs the CEO."}))},
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

// RequiredApprovals returns the roles of the slots required for (kind,
// stage) on the given facts, one entry per slot; ok is false when the
// policy has no rule, i.e. the request kind is not allowed for the stage.
func RequiredApprovals(kind RequestKind, stage Stage, f Facts) (roles []Role, ok bool) {
	r, ok := policyRule(kind, stage)
	if !ok {
		return nil, false
	}
	for _, s := range r.Slots {
		if s.When == nil || s.When.Holds(f) {
			roles = append(roles, s.Role)
		}
	}
	return roles, true
}

// matchSlots returns the largest number of slots that distinct approvers
// can fill, each approver filling at most one slot whose role they held
// when approving, and one such assignment (approver index → slot index,
// -1 for none). Slots are few (≤ 3), so simple augmenting paths suffice;
// matching (rather than first-fit) means the order in which people with
// several roles approve never blocks a later approver.
func matchSlots(slots []Role, approvers [][]Role) (int, []int) {
	slotOwner := make([]int, len(slots))
	for i := range slotOwner {
		slotOwner[i] = -1
	}
	var try func(a int, seen []bool) bool
	try = func(a int, seen []bool) bool {
		for s, role := range slots {
			if seen[s] || !hasRole(approvers[a], role) {
				continue
			}
			seen[s] = true
			if slotOwner[s] == -1 || try(slotOwner[s], seen) {
				slotOwner[s] = a
				return true
			}
		}
		return false
	}
	n := 0
	for a := range approvers {
		if try(a, make([]bool, len(slots))) {
			n++
		}
	}
	assign := make([]int, len(approvers))
	for i := range assign {
		assign[i] = -1
	}
	for s, a := range slotOwner {
		if a >= 0 {
			assign[a] = s
		}
	}
	return n, assign
}

func hasRole(roles []Role, r Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}
