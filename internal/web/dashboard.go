package web

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/a-h/templ"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/reminder"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// dashboardHorizon is how far ahead the dashboard looks; missed deadlines are always shown.
const (
	dashboardHorizon = 7 * 24 * time.Hour
	dashboardLimit   = 300
)

// initLaw wires the law parts: deadline queries, documents, the case page's law panel and the
// documents link of every case.
func (s *Server) initLaw(opts Options) {
	s.deadlines = opts.Deadlines
	if s.deadlines == nil {
		r, err := reminder.NewReader(s.store)
		if err != nil {
			s.log.Error("deadline queries unavailable", "err", err)
		}
		s.deadlines = r
	}
	s.pdf = opts.PDF
	s.extraCaseLinks = append(s.extraCaseLinks, CaseLink{Suffix: "/documents", JA: "文書", EN: "Documents", TestID: "link-documents"})
}

// caseLawPanel is the assessment and the clocks of a case at the current time, in the page's
// language (lang comes from s.lang, which also honours the session's language switch).
func (s *Server) caseLawPanel(ctx context.Context, c *incident.Case, lang string) templ.Component {
	now := s.now()
	a, err := s.svc.Assess(ctx, c, now)
	if err != nil {
		s.log.Error("law panel", "case_id", c.ID, "err", err)
		return nil
	}
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		p := view.Page{Lang: lang}
		if err := view.CaseClocks(p, a, now).Render(ctx, w); err != nil {
			return err
		}
		return view.AssessmentPanel(p, a).Render(ctx, w)
	})
}

func (s *Server) getDashboard(w http.ResponseWriter, r *http.Request) {
	if s.deadlines == nil {
		s.serverError(w, r, errNoDeadlines)
		return
	}
	u := currentUser(r.Context())
	now := s.now()
	v := view.DashboardView{Now: now, HorizonDays: int(dashboardHorizon / (24 * time.Hour))}
	for _, drill := range []bool{false, true} {
		rows, err := s.deadlines.Board(r.Context(), reminder.BoardQuery{ViewerID: u.ID, Until: now.Add(dashboardHorizon), Drill: drill, Limit: dashboardLimit + 1})
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if len(rows) > dashboardLimit {
			rows = rows[:dashboardLimit]
			v.Truncated = true
		}
		out := make([]view.DashRow, len(rows))
		for i, b := range rows {
			out[i] = view.DashRow{CaseID: b.CaseID, Number: b.Number, Title: b.Title, LabelJA: b.LabelJA, LabelEN: b.LabelEN,
				Basis: b.Basis, Due: b.Due, DueAt: b.DueAt, Owner: b.Owner, Drill: b.Drill}
		}
		if drill {
			v.Drills = out
		} else {
			v.Rows = out
		}
	}
	measures, err := s.store.OverdueMeasures(r.Context(), now.In(jst).Format(time.DateOnly), u.ID, dashboardLimit)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, m := range measures {
		v.Measures = append(v.Measures, view.OverdueMeasure{CaseID: m.CaseID, Number: m.Number, Title: m.Title, RecordID: m.RecordID,
			Description: m.Description, Owner: m.Owner, DueDate: m.DueDate, Drill: m.Drill})
	}
	// The rule book's yearly review (SEED003 第3条4項) is the company's own deadline: one cheap query.
	last, base, err := s.store.RuleReviewClock(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	rv := incident.RuleReviewAt(last, base, now)
	v.RuleReview = view.RuleReview{Last: last, Due: rv.DueOn, DaysLeft: rv.DaysLeft, State: rv.State}
	p := s.page(r, "期限ダッシュボード", "Deadline dashboard")
	s.render(w, r, http.StatusOK, p, view.DashboardPage(p, v))
}

func (s *Server) getAdminJobs(w http.ResponseWriter, r *http.Request) {
	if s.deadlines == nil {
		s.serverError(w, r, errNoDeadlines)
		return
	}
	jobs, err := s.deadlines.Jobs(r.Context(), 300)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	out := make([]view.JobRow, len(jobs))
	for i, j := range jobs {
		out[i] = view.JobRow{ID: j.ID, Kind: j.Kind, State: j.State, Retrying: j.Retrying, CaseNumber: j.CaseNumber,
			Deadline: j.Deadline, Reminder: j.Reminder, DueAt: j.DueAt, ScheduledAt: j.ScheduledAt,
			Attempt: j.Attempt, MaxAttempts: j.MaxAttempts, LastError: j.LastError}
	}
	p := s.page(r, "リマインダーのジョブ", "Reminder jobs")
	s.render(w, r, http.StatusOK, p, view.AdminJobsPage(p, out))
}

type lawError string

func (e lawError) Error() string { return string(e) }

const errNoDeadlines = lawError("web: deadline queries are not configured")
