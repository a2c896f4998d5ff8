// Package incident is the domain core of leakdesk: a personal-data leak case
// (情報漏えい事案) carried through eight stages with manager approval.
//
// The package is pure: standard library only, no I/O, time passed in. A case
// is an event-sourced aggregate: Decide validates a command against the
// current state and returns the events it produces; Apply folds one event
// into the state; Replay rebuilds a case from its stored history.
//
// Where things are:
//   - stages.go: the stage machine as one declarative table (entry rules,
//     exit criteria, skip rules);
//   - policy.go: who approves which request, as data;
//   - fields.go / normalize.go: the fact registry and patch validation;
//   - checklist.go: each stage's checklist with its citations;
//   - case.go / events.go / commands.go / decide.go: the aggregate;
//   - access.go: segregation of duties and what the web layer may show.
package incident

import "time"

// Stage is one of the eight stages of a case. Its string is the API slug.
type Stage string

// The eight stages, in their display order.
const (
	StageDiscovery            Stage = "discovery"
	StageInvestigation        Stage = "investigation"
	StagePoliceReport         Stage = "police_report"
	StageContainment          Stage = "containment"
	StageCustomerNotice       Stage = "customer_notice"
	StageRegulatorReport      Stage = "regulator_report"
	StageRecurrencePrevention Stage = "recurrence_prevention"
	StageDiscipline           Stage = "discipline"
)

// Stages lists the stages in display order.
var Stages = []Stage{
	StageDiscovery, StageInvestigation, StagePoliceReport, StageContainment,
	StageCustomerNotice, StageRegulatorReport, StageRecurrencePrevention, StageDiscipline,
}

// Valid reports whether s is one of the eight slugs.
func (s Stage) Valid() bool { _, ok := stageIndex[s]; return ok }

// LabelJA returns the Japanese stage name shown to users.
func (s Stage) LabelJA() string { return defOf(s).LabelJA }

// LabelEN returns the English stage name.
func (s Stage) LabelEN() string { return defOf(s).LabelEN }

// StageState is the state of one stage of a case.
type StageState string

// Stage states (API names).
const (
	StateNotStarted       StageState = "not_started"
	StateInProgress       StageState = "in_progress"
	StateAwaitingApproval StageState = "awaiting_approval"
	StateDone             StageState = "done"
	StateSkipped          StageState = "skipped"
	StateNotApplicable    StageState = "not_applicable"
)

// Finished reports whether the state counts as finished for closing a case.
func (s StageState) Finished() bool {
	return s == StateDone || s == StateSkipped || s == StateNotApplicable
}

// CaseStatus is the status of the case as a whole.
type CaseStatus string

// Case statuses.
const (
	StatusOpen              CaseStatus = "open"
	StatusClosed            CaseStatus = "closed"
	StatusClosedNotIncident CaseStatus = "closed_not_incident"
)

// Role is a permission a user holds. A user may hold several.
type Role string

// Roles.
const (
	RoleStaff          Role = "staff"           // 総務部担当者: handles a case
	RoleManager        Role = "manager"         // 総務部長・副部長: head of general affairs or deputy
	RolePrivacyOfficer Role = "privacy_officer" // 個人情報保護管理者
	RoleExecutive      Role = "executive"       // 代表取締役
	RoleHR             Role = "hr"              // 人事
	RoleAuditor        Role = "auditor"         // 監査責任者: reads everything, changes nothing
	RoleAdmin          Role = "admin"           // システム管理者: no rights on case data
	RoleReporter       Role = "reporter"        // 役職員: files a first report, sees only their own
)

// Roles lists all roles.
var Roles = []Role{RoleStaff, RoleManager, RolePrivacyOfficer, RoleExecutive, RoleHR, RoleAuditor, RoleAdmin, RoleReporter}

var roleLabels = map[Role][2]string{
	RoleStaff:          {"総務部担当者", "General affairs staff"},
	RoleManager:        {"総務部長・副部長", "Head or deputy head of general affairs"},
	RolePrivacyOfficer: {"個人情報保護管理者", "Personal-information protection manager"},
	RoleExecutive:      {"代表取締役", "CEO"},
	RoleHR:             {"人事", "HR"},
	RoleAuditor:        {"監査責任者", "Audit lead"},
	RoleAdmin:          {"システム管理者", "System administrator"},
	RoleReporter:       {"役職員（第一報の報告者）", "Employee (files first reports)"},
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := roleLabels[r]; return ok }

// LabelJA returns the Japanese role name.
func (r Role) LabelJA() string { return roleLabels[r][0] }

// LabelEN returns the English role name.
func (r Role) LabelEN() string { return roleLabels[r][1] }

// Actor is the signed-in user a command is decided for.
type Actor struct {
	UserID int64
	Name   string
	Roles  []Role
}

// Has reports whether the actor holds role r.
func (a Actor) Has(r Role) bool {
	for _, x := range a.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// jst is Asia/Tokyo. Japan has no daylight saving time, so a fixed zone is
// exact and needs no tzdata on the host.
var jst = time.FixedZone("JST", 9*60*60)

// JST returns the Asia/Tokyo location used for all dates in facts.
func JST() *time.Location { return jst }
