// Package view holds leakdesk's templ components: the page frame, pages and fragments. It is
// presentation only: it receives ready data and never queries anything.
package view

import (
	"strconv"
	"time"

	"github.com/leakdesk/leakdesk/internal/auth"
)

// Viewer is the logged-in user as the frame shows them.
type Viewer struct {
	ID    int64
	Name  string
	Email string
	Roles []auth.Role
}

// Has reports whether the viewer holds any of roles.
func (v *Viewer) Has(roles ...auth.Role) bool { return v != nil && auth.Has(v.Roles, roles...) }

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind string // info, success, error
	Text string
}

// Page is what every page passes to Layout.
type Page struct {
	Title   string
	Lang    string // "ja" or "en"
	User    *Viewer
	CSRF    string
	Flashes []Flash
	Path    string
	// Refresh, when above zero, reloads the page after that many seconds (a progress page that
	// works without JavaScript; the strict CSP allows a meta refresh, not an inline script).
	Refresh int
}

// T picks the Japanese or English text. Japanese is the default language of the product; the
// English text is carried beside it in the same call so that a missing translation cannot happen.
func (p Page) T(ja, en string) string {
	if p.Lang == "en" {
		return en
	}
	return ja
}

// jst is the zone every time is shown in.
var jst = time.FixedZone("JST", 9*60*60)

// JST formats t in Japan time, e.g. 2026-04-30 22:40 JST.
func JST(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(jst).Format("2006-01-02 15:04") + " JST"
}

// RoleLabel is the role's name in the page language.
func (p Page) RoleLabel(r auth.Role) string {
	ja, en := r.Label()
	return p.T(ja, en)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// NavItem is one entry of the top navigation.
type NavItem struct {
	Href, JA, EN string
	TestID       string
}

// Nav returns the navigation for the viewer's roles: each role sees only what it may use.
func (p Page) Nav() []NavItem {
	u := p.User
	if u == nil {
		return nil
	}
	var items []NavItem
	if u.Has(auth.RoleStaff, auth.RoleManager, auth.RolePrivacyOfficer, auth.RoleExecutive, auth.RoleHR, auth.RoleAuditor) {
		items = append(items, NavItem{"/cases", "案件一覧", "Cases", "nav-cases"})
		items = append(items, NavItem{"/dashboard", "期限", "Deadlines", "nav-dashboard"})
	}
	if u.Has(auth.RoleManager, auth.RolePrivacyOfficer, auth.RoleExecutive, auth.RoleHR) && !u.Has(auth.RoleAuditor) {
		items = append(items, NavItem{"/approvals", "承認待ち", "Approvals", "nav-approvals"})
	}
	if u.Has(auth.RoleReporter, auth.RoleStaff, auth.RoleManager) {
		items = append(items, NavItem{"/report", "第一報", "First report", "nav-report"})
	}
	if u.Has(auth.RoleAuditor) {
		items = append(items, NavItem{"/audit", "監査", "Audit", "nav-audit"})
	}
	if u.Has(auth.RoleStaff, auth.RoleManager, auth.RolePrivacyOfficer, auth.RoleExecutive, auth.RoleHR, auth.RoleAuditor, auth.RoleAdmin) {
		items = append(items, NavItem{"/rules", "規程", "Rule book", "nav-rules"})
	}
	if u.Has(auth.RoleAdmin) {
		items = append(items, NavItem{"/admin/users", "ユーザー管理", "Users", "nav-admin-users"})
		items = append(items, NavItem{"/admin/logins", "ログイン記録", "Login record", "nav-admin-logins"})
		items = append(items, NavItem{"/admin/security", "ログイン設定", "Sign-in settings", "nav-admin-security"})
		items = append(items, NavItem{"/admin/delegations", "代理承認の登録", "Deputies", "nav-admin-delegations"})
		items = append(items, NavItem{"/admin/jobs", "リマインダー", "Reminder jobs", "nav-admin-jobs"})
		items = append(items, NavItem{"/admin/webhooks", "Webhook", "Webhooks", "nav-admin-webhooks"})
	}
	if u.Has(auth.RoleAdmin, auth.RolePrivacyOfficer) {
		items = append(items, NavItem{"/role-grants", "役割付与の承認", "Role grants", "nav-role-grants"})
	}
	items = append(items, NavItem{"/account", "アカウント", "Account", "nav-account"})
	return items
}

// FormTime shows a date-time as typed into a form ("2006-01-02T15:04", read as JST) or stored
// (RFC 3339) the way JST does; anything else as it is.
func FormTime(s string) string {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, jst); err == nil {
			return JST(t)
		}
	}
	return s
}
