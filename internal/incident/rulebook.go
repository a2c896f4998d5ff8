package incident

import (
	"strings"
	"time"
)

// The rule book's four-eyes decision (issue 16, docs/rules.md "Approval"): who may draft a new
// version of the rule set, who approves it, and when the last approval puts it in force. The
// store keeps the versions and their hash chain; casework runs each decision in one transaction.

// Rule version states, as stored.
const (
	RuleDraft     = "draft"
	RuleApproved  = "approved"
	RuleWithdrawn = "withdrawn"
)

// RuleApprovers are the roles that approve a new version, each once: the 総務部長 and the
// 個人情報保護管理者 (SEED003 第3条4項: the rules are revised formally).
var RuleApprovers = []Role{RoleManager, RolePrivacyOfficer}

// RuleDrafters may draft a version: the two approvers (who revise the rules) and the system
// administrator (who uploads a file a group company or a consultant delivered). Drafting changes
// nothing until both approvers, neither of them the drafter, have approved.
var RuleDrafters = []Role{RoleManager, RolePrivacyOfficer, RoleAdmin}

// RuleVersionState is what the decision reads of a stored version.
type RuleVersionState struct {
	Version   int
	State     string
	DraftedBy int64
	Approvals []RuleApprovalBy
}

// RuleApprovalBy is one approval already given.
type RuleApprovalBy struct {
	Role   Role
	UserID int64
}

func hasAny(a Actor, roles []Role) bool {
	for _, r := range roles {
		if a.Has(r) {
			return true
		}
	}
	return false
}

// CanDraftRules says whether a may draft a new version.
func CanDraftRules(a Actor) error {
	if !hasAny(a, RuleDrafters) {
		return Forbidden("規程ルールセットの版を起案できるのは総務部長・個人情報保護管理者・システム管理者です。",
			"only the head of general affairs, the privacy officer or the administrator may draft a rule set version")
	}
	return nil
}

// CanDecideRules says whether a may approve versions or record the yearly review (for showing
// the buttons; ApproveRules decides a given version).
func CanDecideRules(a Actor) bool { return hasAny(a, RuleApprovers) }

// RuleApproval is the outcome of one approval: the role it fills, and whether it was the last
// one (the version is then approved and in force from its effect date).
type RuleApproval struct {
	Role Role
	Last bool
}

// ApproveRules decides a's approval of v: only a draft; an approver role a holds that is not yet
// filled (a holding both takes the manager's first); never the drafter; never the same person
// twice, so two people see every version. Errors: forbidden, already_decided, conflict.
func ApproveRules(v RuleVersionState, a Actor) (RuleApproval, error) {
	if v.State != RuleDraft {
		return RuleApproval{}, AlreadyDecided("この版はすでに決定されています（承認済みまたは取下げ）。", "this version is no longer a draft")
	}
	if !CanDecideRules(a) {
		return RuleApproval{}, Forbidden("規程ルールセットを承認できるのは総務部長と個人情報保護管理者です。",
			"only the head of general affairs and the privacy officer approve a rule set version")
	}
	if a.UserID == v.DraftedBy {
		return RuleApproval{}, Forbidden("起案者は自分の版を承認できません（起案者以外の2名が承認します）。",
			"the drafter cannot approve their own version")
	}
	filled := map[Role]bool{}
	for _, ap := range v.Approvals {
		if ap.UserID == a.UserID {
			return RuleApproval{}, Conflict("この版はすでにあなたが承認しています。もう一方の承認者の承認を待ってください。",
				"you have already approved this version; the other approver must approve")
		}
		filled[ap.Role] = true
	}
	for _, r := range RuleApprovers {
		if a.Has(r) && !filled[r] {
			return RuleApproval{Role: r, Last: len(filled)+1 == len(RuleApprovers)}, nil
		}
	}
	return RuleApproval{}, Conflict("あなたの役割の承認はすでにあります。もう一方の承認者の承認を待ってください。",
		"your role has already approved this version")
}

// WithdrawRules decides giving up a draft: the drafter or an approver, with a reason.
func WithdrawRules(v RuleVersionState, a Actor, reason string) error {
	if v.State != RuleDraft {
		return AlreadyDecided("この版はすでに決定されています（承認済みまたは取下げ）。", "this version is no longer a draft")
	}
	if a.UserID != v.DraftedBy && !CanDecideRules(a) {
		return Forbidden("取り下げられるのは起案者、総務部長、個人情報保護管理者です。",
			"only the drafter, the head of general affairs or the privacy officer may withdraw a draft")
	}
	if strings.TrimSpace(reason) == "" {
		return Invalid("取下げの理由を入力してください。", "give a reason",
			FieldError{Field: "reason", JA: "取下げの理由を入力してください。", EN: "required"})
	}
	return nil
}

// ReviewRules decides recording the yearly review "見直し済み・変更なし" (SEED003 第3条4項):
// the 総務部長 or the 個人情報保護管理者; the role it is recorded in is returned.
func ReviewRules(a Actor) (Role, error) {
	for _, r := range RuleApprovers {
		if a.Has(r) {
			return r, nil
		}
	}
	return "", Forbidden("年次見直しを記録できるのは総務部長と個人情報保護管理者です。",
		"only the head of general affairs or the privacy officer records the yearly review")
}

// RuleEffectDate checks a draft's effect date (a JST calendar date) against today in JST: never
// in the past, since the cases opened since then were already decided under another version.
func RuleEffectDate(day, now time.Time) error {
	today := JSTDate(now)
	if day.Before(today) {
		return Invalid("施行日は今日以降の日付にしてください。", "the effect date must be today or later",
			FieldError{Field: "effective_on", JA: "施行日は今日以降の日付にしてください。", EN: "today or later"})
	}
	return nil
}

// JSTDate is the calendar date of t in Japan, as midnight UTC of that date (how dates are
// stored).
func JSTDate(t time.Time) time.Time {
	y, m, d := t.In(jst).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
