package incident

import (
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const maxNoteLen = 2000

// Decide validates cmd, issued by actor at now, against the current state
// and returns the events it produces, in order, with Seq continuing from
// c.Version. It does not modify c; the caller stores the events and then
// applies them (or replays). A valid command that changes nothing returns
// no events and no error. After the command's own events, Decide opens
// every not-yet-started stage whose entry rule has become true
// (stage_opened). Errors are *Error; see each command for its codes.
func (c *Case) Decide(cmd Command, actor Actor, now time.Time) ([]Event, error) {
	if cmd == nil {
		return nil, Invalid("操作が指定されていません。", "no command")
	}
	d := &decider{sim: c.clone(), actor: actor, now: now}
	_, open := cmd.(OpenCase)
	if _, reported := cmd.(FileFirstReport); reported {
		open = true
	}
	if !open && c.Version == 0 {
		return nil, NotFound("案件が見つかりません。", "case not found")
	}
	if err := cmd.decide(d); err != nil {
		return nil, err
	}
	if len(d.events) > 0 && d.sim.Status == StatusOpen {
		if err := d.openStages(); err != nil {
			return nil, err
		}
	}
	return d.events, nil
}

// decider carries one Decide call: sim is a private copy of the case that
// every emitted event is applied to, so later checks see earlier events.
type decider struct {
	sim    *Case
	actor  Actor
	now    time.Time
	events []Event
	// presets are the opening facts taken from the template (OpenCase).
	presets []string
}

func (d *decider) emit(t EventType, p map[string]any) error {
	e := Event{Seq: d.sim.Version + 1, Type: t, ActorID: d.actor.UserID, At: d.now.UTC(), Payload: p}
	if err := d.sim.Apply(e); err != nil {
		return err
	}
	d.events = append(d.events, e)
	return nil
}

func (d *decider) openStages() error {
	for changed := true; changed; {
		changed = false
		for _, s := range Stages {
			if d.sim.stateOf(s) != StateNotStarted {
				continue
			}
			if defOf(s).Opens(EntryInput{Facts: d.sim.Facts, States: d.sim.states()}) {
				if err := d.emit(EventStageOpened, map[string]any{"stage": string(s)}); err != nil {
					return err
				}
				changed = true
			}
		}
	}
	return nil
}

func (d *decider) stageChanged(s Stage, to StageState, reason string, extra map[string]any) error {
	p := map[string]any{"stage": string(s), "from": string(d.sim.stateOf(s)), "to": string(to), "reason": reason}
	for k, v := range extra {
		p[k] = v
	}
	return d.emit(EventStageChanged, p)
}

func noteField(name, note string, required bool) *Error {
	if required && strings.TrimSpace(note) == "" {
		return Invalid("理由・コメントを入力してください。", "a written reason is required",
			FieldError{Field: name, JA: "理由・コメントを入力してください。", EN: "required"})
	}
	if utf8.RuneCountInString(note) > maxNoteLen {
		return Invalid("コメントが長すぎます。", "comment too long",
			FieldError{Field: name, JA: "2000文字以内で入力してください。", EN: "at most 2000 characters"})
	}
	return nil
}

// --- OpenCase ---

func (cmd OpenCase) decide(d *decider) error {
	if d.sim.Version != 0 {
		return Conflict("この案件は既に登録されています。", "case already exists")
	}
	if d.actor.Has(RoleAuditor) || !(d.actor.Has(RoleStaff) || d.actor.Has(RoleManager)) {
		return Forbidden("案件を登録できるのは総務部の担当者又は部長です。", "only general-affairs staff or managers open cases")
	}
	var fes []FieldError
	if cmd.ID <= 0 {
		return Internal("open case: id %d", cmd.ID)
	}
	title := strings.TrimSpace(cmd.Title)
	if title == "" || utf8.RuneCountInString(title) > 200 {
		fes = append(fes, FieldError{Field: "title", JA: "件名を200文字以内で入力してください。", EN: "title is required, at most 200 characters"})
	}
	r := cmd.Rules
	if r == nil {
		r = DefaultRules()
	}
	given, kept := cmd.Facts, []string(nil)
	if cmd.Template != "" {
		t, ok := r.Template(cmd.Template)
		if !ok {
			fes = append(fes, FieldError{Field: "template", JA: "事案の類型（雛形）が見つかりません。", EN: "unknown template"})
		} else {
			given, kept = withPresets(t, cmd.Facts)
		}
	}
	facts, ferrs := NormalizePatch(given, d.now)
	fes = append(fes, ferrs...)
	if len(fes) > 0 {
		return Invalid("入力内容を確認してください。", "check the input", fes...)
	}
	if reg, ok := RulesOf(r.Version); !ok || reg.Hash != r.Hash {
		return Internal("open case: rule set version %d is not registered", r.Version)
	}
	// The case pins the rule set (version and hash, inside the hash chain):
	// it is decided under it until an approved move says otherwise.
	opened := map[string]any{
		"case_id": cmd.ID, "number": cmd.Number, "title": title, "drill": cmd.Drill, "owner_id": cmd.OwnerID,
		"rules_version": r.Version, "rules_hash": r.Hash,
	}
	if cmd.Template != "" {
		opened["template"] = cmd.Template
	}
	if err := d.emit(EventCaseOpened, opened); err != nil {
		return err
	}
	if err := d.canWriteFacts(facts); err != nil {
		return err
	}
	d.presets = kept
	defer func() { d.presets = nil }()
	return d.changeFacts(facts)
}

// --- PatchFacts ---

func (cmd PatchFacts) decide(d *decider) error {
	if err := d.requireOpen(); err != nil {
		return err
	}
	facts, fes := NormalizePatch(cmd.Patch, d.now)
	if len(fes) > 0 {
		return Invalid("入力内容を確認してください。", "check the input", fes...)
	}
	if err := d.canWriteFacts(facts); err != nil {
		return err
	}
	return d.changeFacts(facts)
}

func (d *decider) canWriteFacts(f Facts) error {
	seen := map[Stage]bool{}
	for name := range f {
		s := fieldIndex[name].Stage
		if seen[s] {
			continue
		}
		seen[s] = true
		if err := canWriteStage(d.actor, d.sim, s); err != nil {
			return err
		}
	}
	return nil
}

func (d *decider) changeFacts(f Facts) error {
	names := make([]string, 0, len(f))
	for n := range f {
		names = append(names, n)
	}
	sort.Strings(names)
	var changes []any
	for _, n := range names {
		old, had := d.sim.Facts[n]
		nv := f[n]
		if (nv == nil && !had) || (had && reflect.DeepEqual(old, nv)) {
			continue
		}
		changes = append(changes, map[string]any{"field": n, "old": old, "new": nv})
	}
	if len(changes) == 0 {
		return nil
	}
	p := map[string]any{"changes": changes}
	if len(d.presets) > 0 {
		// The opening facts that are the template's suggestion, untouched.
		p["template"], p["preset"] = d.sim.Template, d.presets
	}
	// A filing time names the approved document it filed (documents.go).
	docs, err := d.filingDocuments(changes)
	if err != nil {
		return err
	}
	if len(docs) > 0 {
		p["documents"] = docs
	}
	return d.emit(EventFactsChanged, p)
}

// --- TickChecklist ---

func (cmd TickChecklist) decide(d *decider) error {
	if err := d.requireOpen(); err != nil {
		return err
	}
	it, ok := d.sim.ChecklistItem(cmd.ItemID)
	if !ok {
		return Invalid("チェック項目が見つかりません。", "unknown checklist item",
			FieldError{Field: "item_id", JA: "チェック項目が見つかりません。", EN: "unknown checklist item"})
	}
	if err := noteField("note", cmd.Note, false); err != nil {
		return err
	}
	if err := canWriteStage(d.actor, d.sim, it.Stage); err != nil {
		return err
	}
	if cur, ok := d.sim.Checklist[it.ID]; ok && cur.Checked == cmd.Checked && cur.Note == cmd.Note {
		return nil
	}
	return d.emit(EventChecklistTicked, map[string]any{
		"item": it.ID, "stage": string(it.Stage), "checked": cmd.Checked, "note": cmd.Note,
	})
}

// --- AssignOwner ---

func (cmd AssignOwner) decide(d *decider) error {
	if err := d.requireOpen(); err != nil {
		return err
	}
	if err := canWriteStage(d.actor, d.sim, StageDiscovery); err != nil {
		return err
	}
	if cmd.UserID <= 0 {
		return Invalid("担当者を選んでください。", "choose a handler", FieldError{Field: "user_id", JA: "担当者を選んでください。", EN: "required"})
	}
	if d.sim.Involved[cmd.UserID] {
		return Conflict("事案への関与者は担当者になれません。", "a user involved in the incident cannot handle it")
	}
	if d.sim.OwnerID == cmd.UserID {
		return nil
	}
	return d.emit(EventOwnerAssigned, map[string]any{"owner_id": cmd.UserID, "previous_owner_id": d.sim.OwnerID})
}

// --- MarkInvolved ---

func (cmd MarkInvolved) decide(d *decider) error {
	if err := d.requireOpen(); err != nil {
		return err
	}
	if err := d.notReadOnlyOrInvolved(); err != nil {
		return err
	}
	if !(d.actor.Has(RoleManager) || d.actor.Has(RolePrivacyOfficer) || d.actor.Has(RoleHR)) {
		return Forbidden("関与者の指定は総務部長・個人情報保護管理者・人事が行います。", "only managers, the privacy officer or HR mark involvement")
	}
	if cmd.UserID <= 0 {
		return Invalid("対象者を選んでください。", "choose a user", FieldError{Field: "user_id", JA: "対象者を選んでください。", EN: "required"})
	}
	if err := noteField("reason", cmd.Reason, true); err != nil {
		return err
	}
	if cmd.Involved && d.sim.OwnerID == cmd.UserID {
		return Conflict("先に案件の担当者を変更してください。", "assign another handler first")
	}
	if d.sim.Involved[cmd.UserID] == cmd.Involved {
		return nil
	}
	return d.emit(EventInvolvementMarked, map[string]any{"user_id": cmd.UserID, "involved": cmd.Involved, "reason": cmd.Reason})
}

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
	if cmd.Kind.CaseLevel() || cmd.Kind == KindFinalise {
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

// --- Reopen ---

func (cmd Reopen) decide(d *decider) error {
	if err := d.notReadOnlyOrInvolved(); err != nil {
		return err
	}
	if !(d.actor.Has(RoleManager) || d.actor.Has(RolePrivacyOfficer) || (cmd.Stage == StageDiscipline && d.actor.Has(RoleHR))) {
		return Forbidden("再開できるのは総務部長又は個人情報保護管理者です。", "only a manager or the privacy officer can reopen")
	}
	if err := noteField("reason", cmd.Reason, true); err != nil {
		return err
	}
	if cmd.Stage != "" && !cmd.Stage.Valid() {
		return Invalid("段階が正しくありません。", "unknown stage", FieldError{Field: "stage", JA: "段階が正しくありません。", EN: "unknown stage"})
	}
	if d.sim.Status == StatusOpen && cmd.Stage == "" {
		return Conflict("案件は終了していません。", "the case is open")
	}
	if d.sim.Status != StatusOpen {
		wasNotIncident := d.sim.Status == StatusClosedNotIncident
		if err := d.emit(EventCaseReopened, map[string]any{"reason": cmd.Reason, "stage": string(cmd.Stage)}); err != nil {
			return err
		}
		if wasNotIncident {
			// The closure marked these stages not applicable; the incident
			// is real after all, so they start again under their entry rules.
			for _, s := range Stages {
				if d.sim.stateOf(s) == StateNotApplicable {
					if err := d.stageChanged(s, StateNotStarted, "case_reopened", map[string]any{"note": cmd.Reason}); err != nil {
						return err
					}
				}
			}
		}
	}
	if cmd.Stage == "" {
		return nil
	}
	if st := d.sim.stateOf(cmd.Stage); st != StateDone && st != StateSkipped {
		return Conflict("完了又はスキップした段階だけを再開できます。", "only a done or skipped stage can be reopened")
	}
	return d.stageChanged(cmd.Stage, StateInProgress, "reopened", map[string]any{"note": cmd.Reason})
}

// --- shared checks ---

func (d *decider) requireOpen() error {
	if d.sim.Status != StatusOpen {
		return Conflict("この案件は終了しています。変更するには再開してください。", "the case is closed; reopen it first")
	}
	return nil
}

func (d *decider) notReadOnlyOrInvolved() error {
	if d.actor.Has(RoleAuditor) {
		return errAuditorReadOnly
	}
	if d.sim.Involved[d.actor.UserID] {
		return errInvolved
	}
	return nil
}
