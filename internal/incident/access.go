package incident

import "time"

// Segregation of duties (domain.md §5.2) and what the web layer may show.

var (
	errAuditorReadOnly = Forbidden("監査責任者は閲覧のみで、案件の記録や承認はできません。", "auditors can read but not change or approve")
	errInvolved        = Forbidden("事案への関与者として指定されているため、この案件の対応や承認はできません。", "users involved in the incident can neither handle nor approve it")
)

// CaseReaders are the roles that may open cases at all: everyone who handles, approves, decides
// discipline or audits. The administrator (accounts only) and the reporter (their own first reports)
// are not among them.
var CaseReaders = []Role{RoleStaff, RoleManager, RolePrivacyOfficer, RoleExecutive, RoleHR, RoleAuditor}

var (
	errNotCaseReader = Forbidden("この操作を行う権限がありません。", "You are not allowed to do this.")
	errInvolvedRead  = Forbidden("この案件の関係者として登録されているため、この案件を閲覧・操作できません。",
		"You are recorded as involved in this incident, so you cannot open or handle it.")
)

// CanReadCases returns nil when the actor holds a role that may open cases (CaseReaders), otherwise a
// forbidden *Error. It is CanRead's first half, for a caller that has no case yet (a list, or a check
// made before the case is read).
func CanReadCases(a Actor) error {
	for _, r := range CaseReaders {
		if a.Has(r) {
			return nil
		}
	}
	return errNotCaseReader
}

// CanRead is the only statement of "may this user read this case": a case-reading role, and not
// marked involved in the incident (domain.md §5.2 rule 2: those involved may neither open nor handle
// it). Every page, API route, export, register read and command calls it; it returns nil or a
// forbidden *Error whose message says which half refused.
func CanRead(a Actor, c *Case) error {
	if err := CanReadCases(a); err != nil {
		return err
	}
	if c.Involved[a.UserID] {
		return errInvolvedRead
	}
	return nil
}

// CanSeeRestricted reports whether the actor's roles allow seeing
// restricted (discipline) data: hr, manager, privacy_officer, auditor.
// Users marked involved in a case never see it there; use VisibleFacts.
func CanSeeRestricted(a Actor) bool {
	return a.Has(RoleHR) || a.Has(RoleManager) || a.Has(RolePrivacyOfficer) || a.Has(RoleAuditor)
}

// VisibleFacts returns the facts the actor may see in case c: restricted
// facts are removed unless CanSeeRestricted and the actor is not involved.
func VisibleFacts(a Actor, c *Case) Facts {
	show := CanSeeRestricted(a) && !c.Involved[a.UserID]
	out := make(Facts, len(c.Facts))
	for k, v := range c.Facts {
		if f, ok := fieldIndex[k]; ok && f.Restricted && !show {
			continue
		}
		out[k] = v
	}
	return out
}

// canWriteStage: the case is open, the actor is neither an auditor nor
// involved, and holds one of the stage's writer roles (hr for discipline,
// staff or manager otherwise). The admin role grants nothing on case data.
func canWriteStage(a Actor, c *Case, s Stage) error {
	if c.Version > 0 && c.Status != StatusOpen {
		return Conflict("この案件は終了しています。", "the case is closed")
	}
	if a.Has(RoleAuditor) {
		return errAuditorReadOnly
	}
	if c.Involved[a.UserID] {
		return errInvolved
	}
	def := c.Rules().Def(s)
	for _, r := range def.Writers {
		if a.Has(r) {
			return nil
		}
	}
	if s == StageDiscipline {
		return Forbidden("懲戒処分に関する記録は人事だけが行えます。", "only HR records discipline")
	}
	return Forbidden("「"+def.LabelJA+"」の記録は総務部の担当者又は部長が行います。", def.LabelEN+" is recorded by general-affairs staff or managers")
}

// CanWriteStage returns nil when the actor may record facts, tick the
// checklist and submit requests for stage s of c; otherwise a forbidden or
// conflict *Error.
func CanWriteStage(a Actor, c *Case, s Stage) error { return canWriteStage(a, c, s) }

// CanHandle reports whether the actor may handle the open case c at all
// (record facts or submit requests for at least one stage).
func CanHandle(a Actor, c *Case) bool {
	for _, s := range Stages {
		if canWriteStage(a, c, s) == nil {
			return true
		}
	}
	return false
}

type approvalDec struct {
	role  Role   // the slot role this approval fills
	final bool   // all required slots are now filled
	slots []Role // the slots required when approving (recorded: they may depend on the register)
}

// approvalDecision applies §5.2 to an approval and works out which slot it
// fills: the request follows its route (RouteOf), so only a holder of the
// role of the first slot not yet stamped may stamp. The order of checks
// gives the most specific message first.
func approvalDecision(a Actor, r *Request, c *Case) (approvalDec, error) {
	if err := approverBasics(a, r, c); err != nil {
		return approvalDec{}, err
	}
	for _, ap := range r.Approvals {
		if ap.UserID == a.UserID || ap.OnBehalfOfID == a.UserID {
			return approvalDec{}, Forbidden("既にこの申請を承認しています。同じ人が2つの承認枠を埋めることはできません。", "you already approved this request; one person fills one slot")
		}
	}
	route := RouteOf(r, c)
	slots := make([]Role, len(route))
	for i, st := range route {
		slots[i] = st.Role
	}
	next := NextStep(route)
	if next < 0 {
		// The case changed since the stamps so that fewer slots are needed and
		// all are stamped: any holder of a slot's role decides.
		for _, st := range route {
			if a.Has(st.Role) {
				return approvalDec{role: st.Role, final: true, slots: slots}, nil
			}
		}
		return approvalDec{}, Forbidden("この申請に必要な承認者の役割を持っていません。", "you do not hold a role this request needs")
	}
	role := route[next].Role
	if !a.Has(role) {
		return approvalDec{}, Forbidden("この申請は今「"+role.LabelJA()+"」の承認を待っています（稟議の順序）。あなたの役割ではこの枠を承認できません。",
			"the request now waits for the "+role.LabelEN()+" slot of its route; your roles do not fill it")
	}
	final := true
	for i, st := range route {
		if i != next && st.Approval == nil {
			final = false
		}
	}
	return approvalDec{role: role, final: final, slots: slots}, nil
}

// RouteStep is one slot of a request's route (稟議の経路) and its stamp.
type RouteStep struct {
	Role     Role
	Why      *Condition // nil: always required
	Approval *Approval  // nil: not stamped yet
}

// RouteOf returns r's route on c now: the required slots in the policy
// row's order, each with the approval that filled it. Stamps fill slots in
// order by the role they filled; a stamp whose slot is no longer required
// (the case changed) fills none.
func RouteOf(r *Request, c *Case) []RouteStep {
	slots, _ := RequestSlots(r, c)
	used := make([]bool, len(r.Approvals))
	route := make([]RouteStep, len(slots))
	for i, s := range slots {
		route[i] = RouteStep{Role: s.Role, Why: s.Why}
		for j := range r.Approvals {
			if !used[j] && r.Approvals[j].RoleFilled == s.Role {
				used[j] = true
				route[i].Approval = &r.Approvals[j]
				break
			}
		}
	}
	return route
}

// NextStep is the index of the first slot of route not stamped yet, -1
// when every slot is stamped.
func NextStep(route []RouteStep) int {
	for i, st := range route {
		if st.Approval == nil {
			return i
		}
	}
	return -1
}

// approverBasics are the rules shared by approving and sending back.
func approverBasics(a Actor, r *Request, c *Case) error {
	if r.State != RequestPending {
		return AlreadyDecided("この申請は既に処理されています。", "the request was already decided")
	}
	if c.Status != StatusOpen {
		return Conflict("この案件は終了しています。", "the case is closed")
	}
	if a.Has(RoleAuditor) {
		return errAuditorReadOnly
	}
	if a.UserID == r.RequestedBy {
		return Forbidden("申請者本人は承認できません（作成者と承認者は別の人です）。", "the requester cannot approve their own request")
	}
	if c.Involved[a.UserID] {
		return errInvolved
	}
	if r.Doc != nil && containsID(r.Doc.Editors, a.UserID) {
		return Forbidden("この文書の版を作成・編集した人は、その確定を承認できません（作成者と承認者は別の人です）。",
			"a user who drafted or edited this document version cannot approve it")
	}
	if r.Stage != "" && c.StageEditors[r.Stage][a.UserID] {
		return Forbidden("この段階の記録を入力・変更した人は、その段階の承認はできません。", "a user who recorded this stage's data cannot approve its transition")
	}
	return nil
}

// CanApprove returns nil if the actor may add an approval to r now, else
// the *Error Decide would return: already_decided, conflict (case closed),
// forbidden (auditor, requester — whatever roles they hold, involved user,
// editor of the stage, second approval by the same person, no role filling
// a still-open slot). It does not re-check exit criteria.
func CanApprove(a Actor, r *Request, c *Case) error {
	_, err := approvalDecision(a, r, c)
	return err
}

// CanApproveAsDeputy returns nil if a may stamp r now as dl's deputy
// (代理承認), else the *Error Decide would return.
func CanApproveAsDeputy(a Actor, dl *Delegation, r *Request, c *Case, now time.Time) error {
	d := &decider{sim: c, actor: a, now: now}
	p, err := d.deputyFor(Approve{RequestID: r.ID, OnBehalfOf: dl.PrincipalID, Delegation: dl}, r)
	if err != nil {
		return err
	}
	_, err = approvalDecision(p, r, c)
	return err
}

// sendBackCheck: the same separation rules as approving, and the actor
// holds the role of the slot the route waits for now (any slot's role once
// all are stamped).
func sendBackCheck(a Actor, r *Request, c *Case) error {
	if err := approverBasics(a, r, c); err != nil {
		return err
	}
	route := RouteOf(r, c)
	for i, st := range route {
		if (i == NextStep(route) || NextStep(route) < 0) && a.Has(st.Role) {
			return nil
		}
	}
	return Forbidden("この申請を差し戻せる役割を持っていません。", "you do not hold a role that decides this request")
}

// ActionKind names a button the web layer may show.
type ActionKind string

// Action kinds.
const (
	ActionEdit             ActionKind = "edit"               // record facts / tick checklist of Stage
	ActionComplete         ActionKind = "complete"           // request completion of Stage
	ActionSkip             ActionKind = "skip"               // request skipping Stage
	ActionDefer            ActionKind = "defer"              // request deferral of Stage
	ActionApprove          ActionKind = "approve"            // approve RequestID
	ActionSendBack         ActionKind = "send_back"          // send RequestID back
	ActionReopenStage      ActionKind = "reopen_stage"       // reopen a done/skipped Stage
	ActionAssignOwner      ActionKind = "assign_owner"       // set the case handler
	ActionMarkInvolved     ActionKind = "mark_involved"      // mark a user involved
	ActionClose            ActionKind = "close"              // request closing the case
	ActionCloseNotIncident ActionKind = "close_not_incident" // request closing as not an incident
	ActionReopen           ActionKind = "reopen"             // reopen the closed case
)

// Action is one thing the actor may do now. Blocked lists unmet criteria:
// the button is shown disabled with these reasons.
type Action struct {
	Kind      ActionKind `json:"kind"`
	Stage     Stage      `json:"stage,omitempty"`
	RequestID int64      `json:"request_id,omitempty"`
	Reasons   []Reason   `json:"reasons,omitempty"` // allowed skip/defer reasons
	Blocked   []Missing  `json:"blocked,omitempty"`
}

// AvailableActions lists what the actor may do on c now, stage by stage in
// display order, then requests, then case-level actions.
func AvailableActions(a Actor, c *Case) []Action {
	var out []Action
	readOnly := a.Has(RoleAuditor) || c.Involved[a.UserID]
	if c.Status == StatusOpen {
		for _, s := range Stages {
			if canWriteStage(a, c, s) != nil {
				continue
			}
			def := c.Rules().Def(s)
			out = append(out, Action{Kind: ActionEdit, Stage: s})
			switch c.stateOf(s) {
			case StateInProgress:
				if _, ok := c.Rules().policyRule(KindComplete, s); ok {
					out = append(out, Action{Kind: ActionComplete, Stage: s, Blocked: ExitCriteria(s, c.exitInput())})
				}
				if def.Skippable() {
					out = append(out, Action{Kind: ActionSkip, Stage: s, Reasons: def.SkipReasons})
				}
				if len(def.DeferReasons) > 0 {
					out = append(out, Action{Kind: ActionDefer, Stage: s, Reasons: def.DeferReasons})
				}
			case StateDone, StateSkipped:
				if !readOnly && (a.Has(RoleManager) || a.Has(RolePrivacyOfficer) || (s == StageDiscipline && a.Has(RoleHR))) {
					out = append(out, Action{Kind: ActionReopenStage, Stage: s})
				}
			}
		}
		for _, r := range c.PendingRequests() {
			if CanApprove(a, r, c) == nil {
				out = append(out, Action{Kind: ActionApprove, Stage: r.Stage, RequestID: r.ID, Blocked: requestCriteria(c, r)})
			}
			if sendBackCheck(a, r, c) == nil {
				out = append(out, Action{Kind: ActionSendBack, Stage: r.Stage, RequestID: r.ID})
			}
		}
		if canWriteStage(a, c, StageDiscovery) == nil {
			out = append(out, Action{Kind: ActionAssignOwner})
		}
		if !readOnly && (a.Has(RoleManager) || a.Has(RolePrivacyOfficer) || a.Has(RoleHR)) {
			out = append(out, Action{Kind: ActionMarkInvolved})
		}
		caseLevelPending := false
		for _, r := range c.PendingRequests() {
			caseLevelPending = caseLevelPending || r.Kind.CaseLevel()
		}
		if !readOnly && !caseLevelPending {
			if a.Has(RoleManager) {
				out = append(out, Action{Kind: ActionClose, Blocked: closeCriteria(c)})
			}
			if a.Has(RoleStaff) || a.Has(RoleManager) {
				out = append(out, Action{Kind: ActionCloseNotIncident})
			}
		}
	} else if !readOnly && (a.Has(RoleManager) || a.Has(RolePrivacyOfficer)) {
		out = append(out, Action{Kind: ActionReopen})
	}
	return out
}
