package incident

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/leakdesk/leakdesk/internal/rules"
)

// Moving an open case to a newer rule-set version (issue 16). A case is
// decided under the version it pinned when it was opened (Case.Rules); the
// only way it changes version is a request of kind KindMoveRules, approved
// like every other request, whose approval records rules_moved: the versions
// and hashes from and to, and what changes for this case (RulesChanges).
//
// Decisions recorded here:
//
//   - Who requests: the case's handlers — general-affairs staff or managers
//     (the writers of the case's stages other than discipline under version
//     1), not auditors, not users involved in the incident; the same people
//     who may ask for the case to be closed as not an incident.
//   - Who approves: the 総務部長 (manager) and the 個人情報保護管理者
//     (privacy_officer), in that order, never the requester (approverBasics)
//     and one person per slot — the two who approve a rule-set version itself
//     (four eyes). This is a fixed code policy (moveRulesPolicy), not a row
//     of the rule set: the rule set's approvals name only the kinds version 1
//     knows, and adding a row would change version 1's pinned hash; and the
//     rules for leaving a version should not be set by the version left.
//   - While any other request of the case is pending (a stage, a document,
//     closing) the move is refused, on request and again on approval: the
//     pending request was made, and would be approved, under the old
//     version's slots and criteria, and a move beneath it would change them
//     halfway through a 稟議.
//   - Finished stages (done, skipped, not applicable) keep what was decided
//     under the old version; the new version's checklist, reasons and
//     writers apply to the stages not yet finished, and to a finished stage
//     only if it is reopened. Ticks of items the new version drops stay in
//     the history and no longer count.

// KindMoveRules asks for the case to be decided under a newer rule-set
// version (Request.RulesTo).
const KindMoveRules RequestKind = "move_rules"

// moveRulesPolicy is the fixed approval route of KindMoveRules.
var moveRulesPolicy = PolicyRule{Kind: KindMoveRules, Slots: []Slot{{Role: RoleManager}, {Role: RolePrivacyOfficer}}}

// EventRulesMoved records an approved move to another rule-set version:
// {request_id, from_version, from_hash, to_version, to_hash, changes:
// [{area, stage, key, op, ja, en}]}.
const EventRulesMoved EventType = "rules_moved"

func init() { eventTypes[EventRulesMoved] = true }

// CanRequestRulesMove returns nil when a may ask for c to move to rule-set
// version to now, otherwise the *Error SubmitRequest would return.
func CanRequestRulesMove(a Actor, c *Case, to int) error {
	if c.Status != StatusOpen {
		return Conflict("この案件は終了しています。", "the case is closed")
	}
	if a.Has(RoleAuditor) {
		return errAuditorReadOnly
	}
	if c.Involved[a.UserID] {
		return errInvolved
	}
	if !(a.Has(RoleStaff) || a.Has(RoleManager)) {
		return Forbidden("規程版の移行は総務部の担当者又は部長が申請します。", "only general-affairs staff or managers ask for a move to another rule-set version")
	}
	if err := moveTarget(c, to, ""); err != nil {
		return err
	}
	if p := c.PendingRequests(); len(p) > 0 {
		return Conflict("承認待ちの申請があるため、規程版を移行できません（"+requestListJA(p)+"）。承認又は差戻しの後に申請してください。",
			"a request of this case is pending; move the case once it is decided")
	}
	return nil
}

// moveTarget: version must be registered (with hash, when given) and newer
// than c's.
func moveTarget(c *Case, version int, hash string) error {
	r, ok := RulesOf(version)
	if version < 1 || !ok {
		return Invalid("移行先の規程版が登録されていません。", "the rule-set version is not registered",
			FieldError{Field: "rules_version", JA: "第" + strconv.Itoa(version) + "版は登録されていません。", EN: "version " + strconv.Itoa(version) + " is not registered"})
	}
	if cur := c.Rules().Version; version <= cur {
		return Invalid("この案件は既に第"+strconv.Itoa(cur)+"版です。新しい版にのみ移行できます。", "the case can only move to a newer version",
			FieldError{Field: "rules_version", JA: "第" + strconv.Itoa(cur) + "版より新しい版を指定してください。", EN: "must be newer than " + strconv.Itoa(cur)})
	}
	if hash != "" && r.Hash != hash {
		return Conflict("移行先の規程版の内容が申請時と異なります。", "the rule-set version's hash differs from the one asked for")
	}
	return nil
}

func requestListJA(rs []*Request) string {
	var out []string
	for _, r := range rs {
		out = append(out, requestNameJA(r))
	}
	return strings.Join(out, "、")
}

func requestNameJA(r *Request) string {
	switch r.Kind {
	case KindComplete:
		return "「" + r.Stage.LabelJA() + "」の完了"
	case KindSkip:
		return "「" + r.Stage.LabelJA() + "」のスキップ"
	case KindDefer:
		return "「" + r.Stage.LabelJA() + "」の延期"
	case KindClose:
		return "案件の終了"
	case KindCloseNotIncident:
		return "事案に当たらないとの終了"
	case KindFinalise:
		if r.Doc != nil {
			return "「" + r.Doc.Kind.LabelJA() + "」の確定"
		}
		return "文書の確定"
	case KindMoveRules:
		return "規程第" + strconv.Itoa(r.RulesTo) + "版への移行"
	}
	return string(r.Kind)
}

func (d *decider) checkMoveRequest(cmd SubmitRequest) error {
	if cmd.Stage != "" {
		return Invalid("規程版の移行申請には段階を指定しません。", "a move request has no stage",
			FieldError{Field: "stage", JA: "指定できません。", EN: "must be empty"})
	}
	return CanRequestRulesMove(d.actor, d.sim, cmd.RulesTo)
}

// moveCriteria is what must hold when a move is approved: the target is
// still registered with the hash asked for and newer, and no other request
// is pending.
func moveCriteria(c *Case, r *Request) []Missing {
	var m []Missing
	if err := moveTarget(c, r.RulesTo, r.RulesToHash); err != nil {
		var ie *Error
		if errors.As(err, &ie) {
			m = append(m, Missing{Item: "rules_version", JA: ie.JA, EN: ie.EN})
		}
	}
	for _, o := range c.PendingRequests() {
		if o.ID != r.ID {
			m = append(m, Missing{Item: "pending_request", JA: requestNameJA(o) + "の申請が承認待ちです。", EN: "request " + strconv.FormatInt(o.ID, 10) + " is pending"})
		}
	}
	return m
}

// finishMove records the approved move and what changes for the case.
func (d *decider) finishMove(r *Request) error {
	to, ok := RulesOf(r.RulesTo)
	if !ok {
		return Internal("move request %d: version %d not registered", r.ID, r.RulesTo)
	}
	from := d.sim.Rules()
	changes := RulesChanges(d.sim, from, to)
	list := make([]any, len(changes))
	for i, ch := range changes {
		list[i] = ch.payload()
	}
	return d.emit(EventRulesMoved, map[string]any{
		"request_id": r.ID, "from_version": int64(from.Version), "from_hash": from.Hash,
		"to_version": int64(to.Version), "to_hash": to.Hash, "changes": list,
	})
}

// applyRulesMoved re-pins the case: from then on Case.Rules is the new
// version. The version must be registered with the recorded hash, as for
// case_opened.
func (c *Case) applyRulesMoved(e Event) error {
	p := e.Payload
	if fv := int(pInt(p, "from_version")); fv != c.Rules().Version {
		return Internal("apply event %d: rules_moved from version %d, the case is under %d", e.Seq, fv, c.Rules().Version)
	}
	if err := c.pinRules(int(pInt(p, "to_version")), pStr(p, "to_hash")); err != nil {
		return Internal("apply event %d: %v", e.Seq, err)
	}
	return nil
}

// RulesChange is one thing that changes for a case moved from one rule-set
// version to another. Area: checklist, reasons, writers, extra_facts,
// approvals, documents, amount, sanctions, first_report, deadlines,
// reminders, ciphers, inquiry_desk. Op: added, removed, changed.
type RulesChange struct {
	Area  string `json:"area"`
	Stage Stage  `json:"stage,omitempty"`
	Key   string `json:"key,omitempty"`
	Op    string `json:"op"`
	JA    string `json:"ja"`
	EN    string `json:"en"`
}

func (ch RulesChange) payload() map[string]any {
	return map[string]any{"area": ch.Area, "stage": string(ch.Stage), "key": ch.Key, "op": ch.Op, "ja": ch.JA, "en": ch.EN}
}

// RulesChangesOf reads the changes of a rules_moved payload.
func RulesChangesOf(p map[string]any) []RulesChange {
	var out []RulesChange
	for _, m := range pList(p, "changes") {
		out = append(out, RulesChange{Area: pStr(m, "area"), Stage: Stage(pStr(m, "stage")), Key: pStr(m, "key"), Op: pStr(m, "op"), JA: pStr(m, "ja"), EN: pStr(m, "en")})
	}
	return out
}

// RulesChanges compares from and to for case c in its current state and
// lists what changes for it: for the stages not yet finished their
// checklist items (with the case's template's), skip and defer reasons,
// writers and company facts; the approval rows of those stages, of the
// case-level requests and of the documents; the compensation amount that
// needs the CEO, the sanctions while discipline is open, the first-report
// rule, the policy deadlines, reminder offsets, approved ciphers and the
// inquiry desk. Pure: it reads c, from and to only.
func RulesChanges(c *Case, from, to *Rules) []RulesChange {
	var out []RulesChange
	add := func(ch RulesChange) { out = append(out, ch) }
	open := func(s Stage) bool { return !c.stateOf(s).Finished() }
	for _, s := range Stages {
		if !open(s) {
			continue
		}
		sl := "「" + s.LabelJA() + "」"
		a, b := checklistUnder(from, c.Template, s), checklistUnder(to, c.Template, s)
		for _, it := range b {
			old, ok := findItem(a, it.ID)
			switch {
			case !ok:
				req := ""
				if it.RequiredForExit {
					req = "（完了に必須）"
				}
				add(RulesChange{Area: "checklist", Stage: s, Key: it.ID, Op: "added",
					JA: sl + "のチェック項目に「" + it.JA + "」が加わります" + req + "。", EN: s.LabelEN() + ": checklist item added: " + it.EN})
			case old.RequiredForExit != it.RequiredForExit:
				ja, en := "完了に必須になります", "becomes required for exit"
				if !it.RequiredForExit {
					ja, en = "完了に必須でなくなります", "is no longer required for exit"
				}
				add(RulesChange{Area: "checklist", Stage: s, Key: it.ID, Op: "changed", JA: sl + "のチェック項目「" + it.JA + "」が" + ja + "。", EN: s.LabelEN() + ": " + it.EN + " " + en})
			case old.JA != it.JA:
				add(RulesChange{Area: "checklist", Stage: s, Key: it.ID, Op: "changed", JA: sl + "のチェック項目の文言が変わります: 「" + old.JA + "」→「" + it.JA + "」。", EN: s.LabelEN() + ": checklist item reworded: " + it.EN})
			}
		}
		for _, it := range a {
			if _, ok := findItem(b, it.ID); !ok {
				ticked := ""
				if c.Checklist[it.ID].Checked {
					ticked = "記録済みのチェックは履歴に残ります。"
				}
				add(RulesChange{Area: "checklist", Stage: s, Key: it.ID, Op: "removed",
					JA: sl + "のチェック項目「" + it.JA + "」がなくなります。" + ticked, EN: s.LabelEN() + ": checklist item removed: " + it.EN})
			}
		}
		da, db := from.Def(s), to.Def(s)
		for _, k := range []struct {
			kind   string
			ja, en string
			a, b   []Reason
		}{{"skip", "スキップ", "skip", da.SkipReasons, db.SkipReasons}, {"defer", "延期", "deferral", da.DeferReasons, db.DeferReasons}} {
			for _, r := range k.b {
				if !hasReason(k.a, r.Code) {
					add(RulesChange{Area: "reasons", Stage: s, Key: k.kind + ":" + r.Code, Op: "added", JA: sl + "の" + k.ja + "理由に「" + r.JA + "」が加わります。", EN: s.LabelEN() + ": " + k.en + " reason added: " + r.EN})
				}
			}
			for _, r := range k.a {
				if !hasReason(k.b, r.Code) {
					add(RulesChange{Area: "reasons", Stage: s, Key: k.kind + ":" + r.Code, Op: "removed", JA: sl + "の" + k.ja + "理由「" + r.JA + "」がなくなります。", EN: s.LabelEN() + ": " + k.en + " reason removed: " + r.EN})
				}
			}
		}
		if !slices.Equal(da.Writers, db.Writers) {
			add(RulesChange{Area: "writers", Stage: s, Op: "changed", JA: sl + "を記録できる役割: " + rolesJA(da.Writers) + " → " + rolesJA(db.Writers) + "。",
				EN: s.LabelEN() + ": writers " + rolesEN(da.Writers) + " → " + rolesEN(db.Writers)})
		}
		fa, fb := extraFactNames(from, s), extraFactNames(to, s)
		for _, n := range fb {
			if !slices.Contains(fa, n) {
				add(RulesChange{Area: "extra_facts", Stage: s, Key: n, Op: "added", JA: sl + "に社内項目「" + n + "」が加わります。", EN: s.LabelEN() + ": company fact added: " + n})
			}
		}
		for _, n := range fa {
			if !slices.Contains(fb, n) {
				add(RulesChange{Area: "extra_facts", Stage: s, Key: n, Op: "removed", JA: sl + "の社内項目「" + n + "」がなくなります。", EN: s.LabelEN() + ": company fact removed: " + n})
			}
		}
	}
	// Approval rows of the requests still to come: case-level, and the stages not finished.
	type rowKey struct {
		kind  RequestKind
		stage Stage
	}
	var keys []rowKey
	seen := map[rowKey]bool{}
	for _, p := range append(from.Policy(), to.Policy()...) {
		k := rowKey{p.Kind, p.Stage}
		if seen[k] || (k.stage != "" && !open(k.stage)) {
			continue
		}
		seen[k] = true
		keys = append(keys, k)
	}
	for _, k := range keys {
		a, _ := from.policyRule(k.kind, k.stage)
		b, _ := to.policyRule(k.kind, k.stage)
		if slices.Equal(a.Slots, b.Slots) {
			continue
		}
		name := rowNameJA(k.kind, k.stage)
		add(RulesChange{Area: "approvals", Stage: k.stage, Key: string(k.kind), Op: "changed",
			JA: name + "の承認の経路: 〔" + slotsJA(a.Slots) + "〕から〔" + slotsJA(b.Slots) + "〕へ。", EN: string(k.kind) + " " + string(k.stage) + ": approvals " + slotsEN(a.Slots) + " to " + slotsEN(b.Slots)})
	}
	for _, dk := range DocKinds {
		a, _ := from.documentRule(dk)
		b, _ := to.documentRule(dk)
		if !slices.Equal(a.Slots, b.Slots) {
			add(RulesChange{Area: "documents", Key: string(dk), Op: "changed", JA: "「" + dk.LabelJA() + "」の確定の承認の経路: 〔" + slotsJA(a.Slots) + "〕から〔" + slotsJA(b.Slots) + "〕へ。",
				EN: string(dk) + ": finalisation approvals " + slotsEN(a.Slots) + " to " + slotsEN(b.Slots)})
		}
	}
	if a, b := from.CompensationExecutiveAbove, to.CompensationExecutiveAbove; a != b {
		add(RulesChange{Area: "amount", Key: "compensation_executive_above", Op: "changed",
			JA: "代表取締役の承認が要る補償総額: " + yen(a) + "超 → " + yen(b) + "超。", EN: "compensation total that needs the CEO: above " + strconv.FormatInt(a, 10) + " → above " + strconv.FormatInt(b, 10) + " yen"})
	}
	fs, ts := from.Set, to.Set
	if fs == nil || ts == nil {
		return out
	}
	if open(StageDiscipline) {
		var sa, sb []string
		for _, x := range fs.Sanctions {
			sa = append(sa, x.JA+dismissalMark(x.DismissalLevel))
		}
		for _, x := range ts.Sanctions {
			sb = append(sb, x.JA+dismissalMark(x.DismissalLevel))
		}
		if !slices.Equal(sa, sb) {
			add(RulesChange{Area: "sanctions", Stage: StageDiscipline, Op: "changed", JA: "懲戒処分の種類: " + strings.Join(sa, "・") + " → " + strings.Join(sb, "・") + "。", EN: "sanctions changed"})
		}
	}
	if fs.FirstReport != ts.FirstReport {
		a, b := fs.FirstReport, ts.FirstReport
		add(RulesChange{Area: "first_report", Op: "changed",
			JA: "社内の第一報の規則: " + strconv.Itoa(a.DirectWindowMinutes) + "分以内・" + a.ToJA + " → " + strconv.Itoa(b.DirectWindowMinutes) + "分以内・" + b.ToJA + "（この案件で既にした報告はそのままです）。",
			EN: "internal first-report rule: " + strconv.Itoa(a.DirectWindowMinutes) + " min to " + a.ToEN + " → " + strconv.Itoa(b.DirectWindowMinutes) + " min to " + b.ToEN})
	}
	for _, d := range []struct {
		key, ja string
		a, b    int
	}{
		{"prelim_target_offset", "速報の社内目標（認知日を1日目として）", fs.Deadlines.PrelimTargetOffset + 1, ts.Deadlines.PrelimTargetOffset + 1},
		{"notice_decision_offset", "本人通知の判断期限（認知日を1日目として）", fs.Deadlines.NoticeDecisionOffset + 1, ts.Deadlines.NoticeDecisionOffset + 1},
		{"notice_deferral_max_days", "本人通知の延期の上限（日数）", fs.Deadlines.NoticeDeferralMaxDays, ts.Deadlines.NoticeDeferralMaxDays},
		{"entrustor_notice_offset", "委託元への通知期限（認知日を1日目として）", fs.Deadlines.EntrustorNoticeOffset + 1, ts.Deadlines.EntrustorNoticeOffset + 1},
	} {
		if d.a != d.b {
			add(RulesChange{Area: "deadlines", Key: d.key, Op: "changed", JA: d.ja + ": " + strconv.Itoa(d.a) + " → " + strconv.Itoa(d.b) + "。", EN: d.key + ": " + strconv.Itoa(d.a) + " → " + strconv.Itoa(d.b)})
		}
	}
	for _, l := range []struct {
		area, ja string
		a, b     []string
	}{
		{"reminders", "期限前の通知", fs.ReminderOffsets, ts.ReminderOffsets},
		{"ciphers", "高度な暗号化として認める方式", fs.ApprovedCiphers, ts.ApprovedCiphers},
		{"inquiry_desk", "問合せ窓口の種類", optionNames(fs.InquiryDesk.Types), optionNames(ts.InquiryDesk.Types)},
	} {
		if !slices.Equal(l.a, l.b) {
			add(RulesChange{Area: l.area, Op: "changed", JA: l.ja + ": " + strings.Join(l.a, "・") + " → " + strings.Join(l.b, "・") + "。", EN: l.area + ": " + strings.Join(l.a, ", ") + " → " + strings.Join(l.b, ", ")})
		}
	}
	return out
}

// checklistUnder is stage s's checklist under r for a case opened with
// template tpl: the rule set's items, then the template's (if r has it).
func checklistUnder(r *Rules, tpl string, s Stage) []ChecklistItem {
	out := r.Checklist(s)
	if t, ok := r.Template(tpl); ok && tpl != "" {
		for _, it := range t.Items {
			if it.Stage == s {
				out = append(out, it)
			}
		}
	}
	return out
}

func findItem(list []ChecklistItem, id string) (ChecklistItem, bool) {
	for _, it := range list {
		if it.ID == id {
			return it, true
		}
	}
	return ChecklistItem{}, false
}

func hasReason(list []Reason, code string) bool {
	for _, r := range list {
		if r.Code == code {
			return true
		}
	}
	return false
}

func extraFactNames(r *Rules, s Stage) []string {
	if r.Set == nil {
		return nil
	}
	var out []string
	for _, f := range r.Set.Stages[string(s)].ExtraFacts {
		out = append(out, f.Name+"（"+f.LabelJA+"）")
	}
	return out
}

func optionNames(os []rules.Option) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.JA)
	}
	return out
}

func rowNameJA(kind RequestKind, s Stage) string {
	switch kind {
	case KindComplete:
		return "「" + s.LabelJA() + "」の完了"
	case KindSkip:
		return "「" + s.LabelJA() + "」のスキップ"
	case KindDefer:
		return "「" + s.LabelJA() + "」の延期"
	case KindClose:
		return "案件の終了"
	case KindCloseNotIncident:
		return "「事案に当たらない」との終了"
	}
	return string(kind)
}

func slotsJA(slots []Slot) string {
	if len(slots) == 0 {
		return "（なし）"
	}
	var out []string
	for _, s := range slots {
		x := s.Role.LabelJA()
		if s.When != "" {
			x += "（条件付き）"
		}
		out = append(out, x)
	}
	return strings.Join(out, " → ")
}

func slotsEN(slots []Slot) string {
	if len(slots) == 0 {
		return "(none)"
	}
	var out []string
	for _, s := range slots {
		x := string(s.Role)
		if s.When != "" {
			x += " (when " + string(s.When) + ")"
		}
		out = append(out, x)
	}
	return strings.Join(out, " → ")
}

func rolesJA(rs []Role) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.LabelJA())
	}
	return strings.Join(out, "・")
}

func rolesEN(rs []Role) string {
	var out []string
	for _, r := range rs {
		out = append(out, string(r))
	}
	return strings.Join(out, ", ")
}

func dismissalMark(b bool) string {
	if b {
		return "（代表取締役承認）"
	}
	return ""
}

// yen formats n as 1,000,000円.
func yen(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String() + "円"
}
