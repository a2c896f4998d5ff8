package incident

// Requests and their decisions: SubmitRequest, Approve (with deputies) and SendBack.

import (
	"strconv"
	"time"
)

// --- SubmitRequest ---

func (cmd SubmitRequest) decide(d *decider) error {
	if err := d.requireOpen(); err != nil {
		return err
	}
	if cmd.RequestID <= 0 {
		return Internal("submit request: id %d", cmd.RequestID)
	}
	if d.sim.Request(cmd.RequestID) != nil {
		return Conflict("この申請は既に登録されています。", "request already exists")
	}
	if !cmd.Kind.Valid() {
		return Invalid("申請の種類が正しくありません。", "unknown request kind",
			FieldError{Field: "kind", JA: "申請の種類が正しくありません。", EN: "unknown kind"})
	}
	if err := noteField("note", cmd.Note, cmd.Kind == KindSkip || cmd.Kind == KindCloseNotIncident); err != nil {
		return err
	}
	if cmd.Kind == KindFinalise {
		if err := d.checkFinaliseRequest(cmd); err != nil {
			return err
		}
	} else if cmd.Kind == KindMoveRules {
		if err := d.checkMoveRequest(cmd); err != nil {
			return err
		}
	} else if cmd.Kind.CaseLevel() {
		if err := d.checkCaseRequest(cmd); err != nil {
			return err
		}
	} else if err := d.checkStageRequest(cmd); err != nil {
		return err
	}
	if cmd.Kind == KindDefer {
		// Mirror the deferral into the facts the law rules read.
		if err := d.changeFacts(Facts{"notice_decision": "defer", "defer_reason": cmd.ReasonCode, "defer_review_by": cmd.ReviewBy}); err != nil {
			return err
		}
	}
	stage := cmd.Stage
	if cmd.Kind.CaseLevel() || cmd.Kind == KindFinalise || cmd.Kind == KindMoveRules {
		stage = ""
	}
	snapshot := make(map[string]any, len(d.sim.Facts))
	for k, v := range d.sim.Facts.clone() {
		snapshot[k] = v
	}
	sp := map[string]any{
		"request_id": cmd.RequestID, "kind": string(cmd.Kind), "stage": string(stage),
		"reason_code": cmd.ReasonCode, "note": cmd.Note, "review_by": cmd.ReviewBy, "facts": snapshot,
	}
	if cmd.Kind == KindFinalise {
		sp["document"] = cmd.Doc.payload()
	}
	if cmd.Kind == KindMoveRules {
		to, _ := RulesOf(cmd.RulesTo)
		sp["rules_to_version"], sp["rules_to_hash"] = int64(to.Version), to.Hash
	}
	if err := d.emit(EventRequestSubmitted, sp); err != nil {
		return err
	}
	if stage == "" {
		return nil
	}
	return d.stageChanged(stage, StateAwaitingApproval, "requested", map[string]any{"request_id": cmd.RequestID})
}

func (d *decider) checkCaseRequest(cmd SubmitRequest) error {
	if cmd.Stage != "" {
		return Invalid("案件の終了申請には段階を指定しません。", "a case-level request has no stage",
			FieldError{Field: "stage", JA: "指定できません。", EN: "must be empty"})
	}
	if err := d.notReadOnlyOrInvolved(); err != nil {
		return err
	}
	for _, r := range d.sim.PendingRequests() {
		if r.Kind.CaseLevel() {
			return Conflict("案件の終了申請が既に承認待ちです。", "a closing request is already pending")
		}
	}
	if cmd.Kind == KindClose {
		if !d.actor.Has(RoleManager) {
			return Forbidden("案件の終了は総務部長が申請します。", "only the head of general affairs proposes closing")
		}
		if m := closeCriteria(d.sim); len(m) > 0 {
			return Unmet("案件を終了する条件を満たしていません。", "the case cannot be closed yet", m)
		}
		return nil
	}
	if !(d.actor.Has(RoleStaff) || d.actor.Has(RoleManager)) {
		return Forbidden("「事案に当たらない」との終了は総務部が申請します。", "only general affairs proposes closing as not an incident")
	}
	return nil
}

func (d *decider) checkStageRequest(cmd SubmitRequest) error {
	if !cmd.Stage.Valid() {
		return Invalid("段階が正しくありません。", "unknown stage", FieldError{Field: "stage", JA: "段階が正しくありません。", EN: "unknown stage"})
	}
	def := d.sim.Rules().Def(cmd.Stage)
	if err := canWriteStage(d.actor, d.sim, cmd.Stage); err != nil {
		return err
	}
	if _, ok := d.sim.Rules().policyRule(cmd.Kind, cmd.Stage); !ok {
		what := map[RequestKind][2]string{KindSkip: {"スキップ", "skipped"}, KindDefer: {"延期", "deferred"}, KindComplete: {"完了", "completed"}}[cmd.Kind]
		return Unmet("「"+def.LabelJA+"」は"+what[0]+"できません。", def.LabelEN+" cannot be "+what[1]+".",
			[]Missing{{Item: string(cmd.Kind), JA: "この段階では" + what[0] + "できません。", EN: "not allowed for this stage"}})
	}
	switch st := d.sim.stateOf(cmd.Stage); st {
	case StateInProgress:
	case StateNotStarted:
		return Conflict("「"+def.LabelJA+"」はまだ開始されていません。", def.LabelEN+" has not started yet")
	case StateAwaitingApproval:
		return Conflict("「"+def.LabelJA+"」は既に承認待ちです。", def.LabelEN+" already awaits approval")
	default:
		return Conflict("「"+def.LabelJA+"」は既に終了しています。", def.LabelEN+" is already finished ("+string(st)+")")
	}
	switch cmd.Kind {
	case KindComplete:
		if m := ExitCriteria(cmd.Stage, d.sim.exitInput()); len(m) > 0 {
			return Unmet("「"+def.LabelJA+"」の完了条件を満たしていません。", def.LabelEN+": exit criteria not met", m)
		}
	case KindSkip:
		r, ok := def.reason(def.SkipReasons, cmd.ReasonCode)
		if !ok {
			return Invalid("スキップの理由を選んでください。", "choose a skip reason",
				FieldError{Field: "reason_code", JA: "この段階で使える理由ではありません。", EN: "not an allowed reason for this stage"})
		}
		if r.Check != nil {
			if m := r.Check(d.sim.Facts); len(m) > 0 {
				return Unmet("スキップの前提となる事実が記録されていません。", "the facts do not support this skip reason", m)
			}
		}
	case KindDefer:
		if _, ok := def.reason(def.DeferReasons, cmd.ReasonCode); !ok {
			return Invalid("延期の理由を選んでください。", "choose a deferral reason",
				FieldError{Field: "reason_code", JA: "延期できる理由ではありません（GL 3-5-4-2）。", EN: "not an allowed deferral reason"})
		}
		if fe := checkReviewBy(cmd.ReviewBy, d.now, d.sim.Rules().Law.NoticeDeferralMaxDays); fe != nil {
			return Invalid("見直し期限を確認してください。", "check the review date", *fe)
		}
	}
	return nil
}

// checkReviewBy: a deferral's review date is a JST date from today to
// today + maxDays (the rule set's notice_deferral_max_days).
func checkReviewBy(s string, now time.Time, maxDays int) *FieldError {
	d, err := time.ParseInLocation(time.DateOnly, s, jst)
	if err != nil {
		return &FieldError{Field: "review_by", JA: "見直し期限を日付（YYYY-MM-DD）で入力してください。", EN: "review date must be YYYY-MM-DD"}
	}
	n := now.In(jst)
	today := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, jst)
	if d.Before(today) || d.After(today.AddDate(0, 0, maxDays)) {
		n := strconv.Itoa(maxDays)
		return &FieldError{Field: "review_by", JA: "見直し期限は今日から" + n + "日以内にしてください。", EN: "review date must be within " + n + " days from today"}
	}
	return nil
}

// --- Approve / SendBack ---

func (cmd Approve) decide(d *decider) error {
	r := d.sim.Request(cmd.RequestID)
	if r == nil {
		return NotFound("申請が見つかりません。", "request not found")
	}
	// The slot is filled with the authority of the approver — or, for 代理承認,
	// of the absent principal, whom the same separation rules bind.
	authority := d.actor
	if cmd.OnBehalfOf != 0 {
		p, err := d.deputyFor(cmd, r)
		if err != nil {
			return err
		}
		authority = p
	}
	dec, err := approvalDecision(authority, r, d.sim)
	if err != nil {
		return err
	}
	// §5.2(8): every approval carries a reason.
	if err := noteField("note", cmd.Note, true); err != nil {
		return err
	}
	// Re-check against the CURRENT facts: they may have changed since the
	// request's snapshot.
	if m := requestCriteria(d.sim, r); len(m) > 0 {
		return Unmet("現在の記録では承認の条件を満たしていません。", "the criteria are no longer met on the current facts", m)
	}
	p := map[string]any{
		"request_id": r.ID, "approver_id": d.actor.UserID, "approver_name": d.actor.Name,
		"roles": rolesToStrings(authority.Roles), "role": string(dec.role), "as_deputy": cmd.OnBehalfOf != 0,
		"note": cmd.Note, "final": dec.final, "slots": rolesToStrings(dec.slots),
	}
	if cmd.OnBehalfOf != 0 {
		p["on_behalf_of_id"], p["on_behalf_of_name"], p["delegation_id"] = authority.UserID, authority.Name, cmd.Delegation.ID
	}
	if err := d.emit(EventRequestApproved, p); err != nil {
		return err
	}
	if !dec.final {
		return nil
	}
	return d.finish(r)
}

// deputyFor checks a 代理承認: the actor is registered as the principal's
// deputy for a period that includes now, and the deputy passes the
// separation rules in person (not the requester, an editor, involved, or
// already a stamp on the route). It returns the principal as the authority.
func (d *decider) deputyFor(cmd Approve, r *Request) (Actor, error) {
	dl := cmd.Delegation
	if dl == nil || dl.PrincipalID != cmd.OnBehalfOf || dl.DeputyID != d.actor.UserID {
		return Actor{}, Forbidden("あなたはこの承認者の代理として登録されていません（代理の登録は管理者が行います）。",
			"you are not registered as this approver's deputy")
	}
	if d.now.Before(dl.From) || !d.now.Before(dl.Until) {
		period := dl.From.In(jst).Format("2006-01-02 15:04") + "〜" + dl.Until.In(jst).Format("2006-01-02 15:04")
		return Actor{}, Forbidden("代理の期間外です（登録された期間: "+period+"）。", "outside the registered deputy period")
	}
	if err := approverBasics(d.actor, r, d.sim); err != nil {
		return Actor{}, err
	}
	for _, ap := range r.Approvals {
		if ap.UserID == d.actor.UserID || ap.OnBehalfOfID == d.actor.UserID || ap.OnBehalfOfID == dl.PrincipalID {
			return Actor{}, Forbidden("既にこの申請を承認しています。同じ人が2つの承認枠を埋めることはできません。", "one person fills one slot")
		}
	}
	return Actor{UserID: dl.PrincipalID, Name: dl.PrincipalName, Roles: dl.PrincipalRoles}, nil
}

// requestCriteria is what must hold when a request is approved.
func requestCriteria(c *Case, r *Request) []Missing {
	switch r.Kind {
	case KindComplete:
		return ExitCriteria(r.Stage, c.exitInput())
	case KindSkip:
		def := c.Rules().Def(r.Stage)
		if rs, ok := def.reason(def.SkipReasons, r.ReasonCode); ok && rs.Check != nil {
			return rs.Check(c.Facts)
		}
	case KindClose:
		return closeCriteria(c)
	case KindMoveRules:
		return moveCriteria(c, r)
	}
	return nil
}

// finish applies the effect of a request that has all its approvals.
func (d *decider) finish(r *Request) error {
	switch r.Kind {
	case KindComplete:
		return d.stageChanged(r.Stage, StateDone, "approved", map[string]any{"request_id": r.ID})
	case KindSkip:
		return d.stageChanged(r.Stage, StateSkipped, "approved", map[string]any{"request_id": r.ID, "reason_code": r.ReasonCode, "note": r.Note})
	case KindDefer:
		return d.stageChanged(r.Stage, StateInProgress, "deferred", map[string]any{"request_id": r.ID, "reason_code": r.ReasonCode, "deferred_until": r.ReviewBy})
	case KindClose:
		return d.emit(EventCaseClosed, map[string]any{"outcome": string(StatusClosed), "request_id": r.ID, "reason": r.Note})
	case KindMoveRules:
		return d.finishMove(r)
	case KindFinalise:
		// The version was frozen when requested; the approval events are the record.
		return nil
	case KindCloseNotIncident:
		for _, o := range d.sim.PendingRequests() {
			if o.ID != r.ID {
				if err := d.emit(EventRequestWithdrawn, map[string]any{"request_id": o.ID, "reason": "closed_not_incident"}); err != nil {
					return err
				}
			}
		}
		for _, s := range Stages {
			if !d.sim.stateOf(s).Finished() {
				if err := d.stageChanged(s, StateNotApplicable, "closed_not_incident", map[string]any{"request_id": r.ID}); err != nil {
					return err
				}
			}
		}
		return d.emit(EventCaseClosed, map[string]any{"outcome": string(StatusClosedNotIncident), "request_id": r.ID, "reason": r.Note})
	}
	return Internal("finish request %d: kind %q", r.ID, r.Kind)
}

func (cmd SendBack) decide(d *decider) error {
	r := d.sim.Request(cmd.RequestID)
	if r == nil {
		return NotFound("申請が見つかりません。", "request not found")
	}
	if err := sendBackCheck(d.actor, r, d.sim); err != nil {
		return err
	}
	if err := noteField("note", cmd.Note, true); err != nil {
		return err
	}
	if err := d.emit(EventRequestSentBack, map[string]any{"request_id": r.ID, "note": cmd.Note}); err != nil {
		return err
	}
	if r.Stage == "" {
		return nil
	}
	return d.stageChanged(r.Stage, StateInProgress, "sent_back", map[string]any{"request_id": r.ID, "note": cmd.Note})
}
