package view

import (
	"fmt"
	"time"

	"github.com/a-h/templ"

	"github.com/leakdesk/leakdesk/internal/incident"
)

// CaseView is everything the case page shows, prepared by the handler.
type CaseView struct {
	C          *incident.Case
	Stage      incident.Stage // the stage whose facts and checklist are open
	Board      []StageCard
	Fields     []FieldView
	CanEdit    bool // the viewer may record this stage's facts
	Checklist  []CheckView
	Missing    []incident.Missing // unmet exit criteria of the open stage
	Complete   *incident.Action
	Skip       *incident.Action
	Defer      *incident.Action
	ReopenSt   bool
	Requests   []RequestView // pending first, then decided
	History    []EventView
	Owner      string
	Users      []UserOption // candidates for handler / involvement
	CaseAct    CaseActions
	FormErrors map[string]string
	Conflict   *ConflictView
	Law        templ.Component // the law panel (assessment and clocks), may be nil
	Links      []NavItem
	Restricted bool // the viewer may see discipline data
	Verdict    *ChainVerdict
	// Stage records (records.go): the open stage's record kinds and files.
	Records     []RecordSection
	Evidence    []EvidenceRow
	CanUpload   bool
	UploadLimit int64
}

// StageCard is one stage on the board.
type StageCard struct {
	Stage     incident.Stage
	State     incident.StageState
	ChangedAt time.Time
	ChangedBy string
	Note      string
	Active    bool
	Pending   bool
}

// FieldView is one fact in the form or the read-only list.
type FieldView struct {
	F      incident.Field
	Value  string   // as typed or as stored, in the input's format
	Values []string // for sets
	Shown  string   // display text for read-only views
	Error  string
}

// CheckView is one checklist item with its tick.
type CheckView struct {
	Item incident.ChecklistItem
	Tick incident.Tick
	By   string
}

// RequestView is one request with what the viewer may do with it.
type RequestView struct {
	R           *incident.Request
	By          string
	DecidedBy   string
	CanApprove  bool
	CanSendBack bool
	Blocked     []incident.Missing
	Approvals   []ApprovalView
	Needs       string // the approval slots, in words
	Route       []RouteBox
	// OnBehalf are the absent principals the viewer is registered to stamp for now (代理承認).
	OnBehalf []UserOption
}

// RouteBox is one 印 box of a request's 稟議 route.
type RouteBox struct {
	Role     incident.Role
	State    string // approved, waiting, sent_back, later
	Name     string // the stamp: who approved
	At       time.Time
	Note     string
	AsDeputy bool
}

// ApprovalView is one recorded approval.
type ApprovalView struct {
	Name     string
	For      string // the absent principal of a 代理承認
	Role     incident.Role
	AsDeputy bool
	At       time.Time
	Note     string
}

// EventView is one line of the timeline.
type EventView struct {
	Seq    int64
	At     time.Time
	Actor  string
	Type   string
	Lines  []string
	Hash   string
	Marked bool
}

// UserOption is a user in a select box.
type UserOption struct {
	ID   int64
	Name string
}

// CaseActions are the case-level buttons the viewer may use.
type CaseActions struct {
	AssignOwner    bool
	MarkInvolved   bool
	Close          *incident.Action
	CloseNotIncide bool
	Reopen         bool
}

// ConflictView explains a refused stale write: what changed since the version the user saw.
type ConflictView struct {
	YourVersion int64
	NowVersion  int64
	Changes     []EventView
}

// ChainVerdict is the hash-chain check shown to auditors.
type ChainVerdict struct {
	OK      bool
	Checked int64
	Seq     int64
	Reason  string
}

// StateLabel names a stage state.
func (p Page) StateLabel(s incident.StageState) string {
	switch s {
	case incident.StateNotStarted:
		return p.T("未着手", "Not started")
	case incident.StateInProgress:
		return p.T("対応中", "In progress")
	case incident.StateAwaitingApproval:
		return p.T("承認待ち", "Awaiting approval")
	case incident.StateDone:
		return p.T("完了", "Done")
	case incident.StateSkipped:
		return p.T("省略（承認済）", "Skipped")
	case incident.StateNotApplicable:
		return p.T("対象外", "Not applicable")
	}
	return string(s)
}

// StatusLabel names a case status.
func (p Page) StatusLabel(s incident.CaseStatus) string {
	switch s {
	case incident.StatusOpen:
		return p.T("対応中", "Open")
	case incident.StatusClosed:
		return p.T("完了", "Closed")
	case incident.StatusClosedNotIncident:
		return p.T("事案に該当せず終了", "Closed: not an incident")
	}
	return string(s)
}

// KindLabel names a request kind.
func (p Page) KindLabel(k incident.RequestKind) string {
	switch k {
	case incident.KindComplete:
		return p.T("完了の承認依頼", "Request to complete")
	case incident.KindSkip:
		return p.T("省略の承認依頼", "Request to skip")
	case incident.KindDefer:
		return p.T("通知延期の承認依頼", "Request to defer notice")
	case incident.KindClose:
		return p.T("案件終了の承認依頼", "Request to close the case")
	case incident.KindCloseNotIncident:
		return p.T("「事案に該当せず」終了の承認依頼", "Request to close as not an incident")
	case incident.KindFinalise:
		return p.T("文書確定の承認依頼", "Request to finalise a document")
	}
	return string(k)
}

// RequestStateLabel names a request state.
func (p Page) RequestStateLabel(s incident.RequestState) string {
	return p.T(s.LabelJA(), s.LabelEN())
}

// RequestSubject is what a request is about: its stage, the whole case, or a document version.
func (p Page) RequestSubject(r *incident.Request) string {
	if r.Doc != nil {
		return r.Doc.Kind.LabelJA() + p.T(fmt.Sprintf(" 第%d版", r.Doc.Version), fmt.Sprintf(" (version %d)", r.Doc.Version))
	}
	return p.StageName(r.Stage)
}

// StageName names a stage in the page language.
func (p Page) StageName(s incident.Stage) string {
	if s == "" {
		return p.T("案件全体", "Whole case")
	}
	return p.T(s.LabelJA(), s.LabelEN())
}

// FieldLabel names a field.
func (p Page) FieldLabel(f incident.Field) string { return p.T(f.LabelJA, f.LabelEN) }

// OptLabel names an option.
func (p Page) OptLabel(o incident.Option) string { return p.T(o.JA, o.EN) }

// ReasonLabel names a skip or defer reason.
func (p Page) ReasonLabel(r incident.Reason) string { return p.T(r.JA, r.EN) }

// MissingText is an unmet criterion in the page language.
func (p Page) MissingText(m incident.Missing) string { return p.T(m.JA, m.EN) }

// IsChecked reports whether v is among vs.
func IsChecked(vs []string, v string) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

// CaseTab is the URL of the case page with a stage open.
func CaseTab(id int64, s incident.Stage) templ.SafeURL {
	return templ.SafeURL("/cases/" + itoa(id) + "?stage=" + string(s) + "#stage")
}

// CaseURL is the case page's URL with a suffix.
func CaseURL(id int64, suffix string) templ.SafeURL {
	return templ.SafeURL("/cases/" + itoa(id) + suffix)
}

// RequestURL is a request action's URL.
func RequestURL(id int64, action string) templ.SafeURL {
	return templ.SafeURL("/requests/" + itoa(id) + "/" + action)
}

// I64 formats an integer.
func I64(n int64) string { return itoa(n) }

// RoleLabelDomain names a domain role.
func (p Page) RoleLabelDomain(r incident.Role) string { return p.T(r.LabelJA(), r.LabelEN()) }
