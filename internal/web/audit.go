package web

// The auditor's desk (docs/audit.md): every case with filters and Japanese search, a case replayed
// "as of" any event, the difference between two points, noteworthy events, the chain verdict,
// review comments and sign-offs, case-file exports, the access review and the management-review
// figures. Auditors change nothing here but their own comments and sign-offs.

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/audit"
	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// auditReaders may open the auditor's desk; the auditor is its main user. Admins never.
var auditReaders = []auth.Role{auth.RoleAuditor, auth.RoleManager, auth.RolePrivacyOfficer}

// maxExportCases bounds one selection export.
const maxExportCases = 50

var jstLoc = incident.JST()

// parseDay reads YYYY-MM-DD as the start of that JST day; ok is false for anything else.
func parseDay(s string) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), jstLoc)
	return t, err == nil
}

func (s *Server) lawNoRegister() appi.Options {
	law := s.svc.Law
	law.RegisterCount = -1
	return law
}

// --- the list of every case ---

func fieldOptions(name string) []view.Option {
	f, _ := incident.LookupField(name)
	out := make([]view.Option, len(f.Options))
	for i, o := range f.Options {
		out[i] = view.Option{Value: o.Value, JA: o.JA, EN: o.EN}
	}
	return out
}

func (s *Server) parseAuditFilter(q url.Values) (view.AuditFilter, store.AuditFilter) {
	vf := view.AuditFilter{Q: strings.TrimSpace(q.Get("q")), Period: q.Get("period"), From: q.Get("from"), To: q.Get("to"),
		Status: q.Get("status"), Stage: q.Get("stage"), Route: q.Get("route"), Reportable: q.Get("reportable"),
		Missed: q.Get("missed") == "true", Drills: q.Get("drills") == "true"}
	if len([]rune(vf.Q)) > 200 {
		vf.Q = string([]rune(vf.Q)[:200])
	}
	sf := store.AuditFilter{Query: vf.Q, PeriodField: "recognized", Missed: vf.Missed, Drills: vf.Drills, Now: s.now(), Limit: 50}
	if vf.Period == "created" {
		sf.PeriodField = "created"
	}
	if t, ok := parseDay(vf.From); ok {
		sf.From = t
	} else {
		vf.From = ""
	}
	if t, ok := parseDay(vf.To); ok {
		sf.To = t.AddDate(0, 0, 1) // the "to" day is included
	} else {
		vf.To = ""
	}
	valid := func(opts []view.Option, v string) bool {
		for _, o := range opts {
			if o.Value == v {
				return true
			}
		}
		return false
	}
	if valid(caseStatuses, vf.Status) {
		sf.Status = vf.Status
	}
	if valid(stageOptions, vf.Stage) {
		sf.Stage = vf.Stage
	}
	if valid(fieldOptions("route"), vf.Route) {
		sf.Route = vf.Route
	}
	items := fieldOptions("data_items")
	for _, d := range q["data"] {
		if valid(items, d) && len(sf.DataItems) < 40 {
			sf.DataItems = append(sf.DataItems, d)
			vf.Data = append(vf.Data, d)
		}
	}
	switch vf.Reportable {
	case "yes", "no", "undetermined":
		sf.Reportable = vf.Reportable
	default:
		vf.Reportable = ""
	}
	if c := q.Get("after"); c != "" {
		if at, id, ok := decodeCursor(c); ok {
			sf.AfterCreated, sf.AfterID = at, id
		}
	}
	return vf, sf
}

func (s *Server) getAuditHome(w http.ResponseWriter, r *http.Request) {
	vf, sf := s.parseAuditFilter(r.URL.Query())
	sf.ViewerID = currentUser(r.Context()).ID
	rows, err := s.store.AuditCases(r.Context(), sf)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	out := make([]view.AuditRow, len(rows))
	for i, c := range rows {
		sja, sen := optionLabel(caseStatuses, c.Status)
		stja, sten := optionLabel(stageOptions, c.CurrentStage)
		routeJA, _ := incident.OptionLabel("route", c.Route)
		out[i] = view.AuditRow{ID: c.ID, Number: c.Number, Title: c.Title, StatusJA: sja, StatusEN: sen, Drill: c.Drill,
			StageJA: stja, StageEN: sten, RouteJA: routeJA, Reportability: audit.ReportabilityJA(c.Reportability),
			Missed: c.Missed, RecognizedAt: c.RecognizedAt, CreatedAt: c.CreatedAt}
	}
	next := ""
	if len(rows) == sf.Limit {
		q := r.URL.Query()
		last := rows[len(rows)-1]
		q.Set("after", encodeCursor(last.CreatedAt, last.ID))
		next = "/audit?" + q.Encode()
	}
	opts := view.AuditOptions{Statuses: caseStatuses, Stages: stageOptions, Routes: fieldOptions("route"), DataItems: fieldOptions("data_items")}
	p := s.page(r, "監査: 全案件", "Audit: all cases")
	s.render(w, r, http.StatusOK, p, view.AuditHomePage(p, vf, opts, out, next, p.CSRF))
}
