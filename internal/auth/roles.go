package auth

import "slices"

// Role is one of the fixed roles of domain.md §5. A user may hold several.
type Role string

// The roles. admin administers accounts only and sees no case contents by default.
const (
	RoleStaff          Role = "staff"
	RoleManager        Role = "manager"
	RolePrivacyOfficer Role = "privacy_officer"
	RoleExecutive      Role = "executive"
	RoleHR             Role = "hr"
	RoleAuditor        Role = "auditor"
	RoleAdmin          Role = "admin"
	// RoleReporter is every officer and employee (派遣・委託先 staff included, SEED003 4条): they
	// file a first report and see only their own reports. SSO users get it by default.
	RoleReporter Role = "reporter"
)

// AllRoles in display order.
var AllRoles = []Role{RoleStaff, RoleManager, RolePrivacyOfficer, RoleExecutive, RoleHR, RoleAuditor, RoleAdmin, RoleReporter}

// Label returns the role's name in Japanese and English.
func (r Role) Label() (ja, en string) {
	switch r {
	case RoleStaff:
		return "総務部担当者", "General-affairs staff"
	case RoleManager:
		return "総務部長・副部長", "Head of general affairs"
	case RolePrivacyOfficer:
		return "個人情報保護管理者", "Privacy officer"
	case RoleExecutive:
		return "代表取締役", "Chief executive"
	case RoleHR:
		return "人事", "Human resources"
	case RoleAuditor:
		return "監査責任者", "Auditor"
	case RoleAdmin:
		return "システム管理者", "Administrator"
	case RoleReporter:
		return "役職員（第一報の報告者）", "Employee (files first reports)"
	}
	return string(r), string(r)
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(AllRoles, r) }

// ParseRoles parses "staff,manager"; it rejects unknown or empty lists.
func ParseRoles(s []string) ([]Role, bool) {
	var out []Role
	for _, v := range s {
		r := Role(v)
		if !r.Valid() {
			return nil, false
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, len(out) > 0
}

// Has reports whether roles contains any of want.
func Has(roles []Role, want ...Role) bool {
	for _, w := range want {
		if slices.Contains(roles, w) {
			return true
		}
	}
	return false
}
