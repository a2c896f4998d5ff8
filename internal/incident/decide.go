package incident

import (
	"reflect"
	"sort"
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
