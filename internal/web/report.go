package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// First reports (第一報): every officer and employee (reporter) files one at /report or through
// POST /api/v1/reports; 総務部 enters the ones it takes by phone through the same form. A reporter
// sees their own reports and the questions 総務部 asked about them — nothing else of any case: any
// other report is "not found", exactly as one that does not exist.
var (
	reportFilers   = []auth.Role{auth.RoleReporter, auth.RoleStaff, auth.RoleManager}
	reportHandlers = []auth.Role{auth.RoleStaff, auth.RoleManager}
)

// myReportsLimit bounds the reporter's list (a person files few reports).
const myReportsLimit = 100

func (s *Server) getReport(w http.ResponseWriter, r *http.Request) {
	values := map[string]string{"recognized_at": s.now().In(appi.JST).Format("2006-01-02T15:04")}
	s.renderReportForm(w, r, http.StatusOK, values, nil, nil)
}

func (s *Server) renderReportForm(w http.ResponseWriter, r *http.Request, status int, values map[string]string, items []string, errs map[string]string) {
	u := currentUser(r.Context())
	mine, err := s.store.FirstReportsBy(r.Context(), u.ID, myReportsLimit)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	rows := make([]view.ReportRow, 0, len(mine))
	for _, fr := range mine {
		msgs, err := s.store.ReportMessages(r.Context(), fr.CaseID)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		q := 0
		for _, m := range msgs {
			if m.Kind == "question" {
				q++
			}
		}
		rows = append(rows, view.ReportRow{CaseID: fr.CaseID, Number: fr.Number, ReceivedAt: fr.ReceivedAt, Questions: q})
	}
	f := view.ReportForm{Values: values, Items: items, Errors: errs, CanPhone: auth.Has(u.Roles, reportHandlers...)}
	if fd, ok := incident.LookupField("suspected_data_items"); ok {
		f.DataItems = fd.Options
	}
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	p := s.page(r, "第一報", "First report")
	s.render(w, r, status, p, view.ReportPage(p, f, rows))
}

// reportFormInput reads the posted form. A count that is not a whole number is refused here, by
// its shape; every other rule is the domain's (incident.FileFirstReport).
func reportFormInput(r *http.Request) (incident.FirstReport, []fieldError) {
	in := incident.FirstReport{
		InitialDescription: r.PostFormValue("initial_description"),
		RecognizedAt:       r.PostFormValue("recognized_at"),
		SuspectedDataItems: r.PostForm["suspected_data_items"],
		LeakDestination:    r.PostFormValue("leak_destination"),
		InvolvesMyNumber:   r.PostFormValue("involves_my_number") == "true",
		ReporterContact:    r.PostFormValue("reporter_contact"),
		ByPhone:            r.PostFormValue("by_phone") == "true",
		ReporterName:       r.PostFormValue("reporter_name"),
		ReporterDept:       r.PostFormValue("reporter_dept"),
	}
	var fes []fieldError
	if v := strings.TrimSpace(r.PostFormValue("estimated_count_max")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			fes = append(fes, fieldError{Field: "estimated_count_max", JA: "人数は0以上の整数で入力してください。", EN: "count: a whole number, 0 or more"})
		} else {
			in.EstimatedCountMax = &n
		}
	}
	return in, fes
}

func (s *Server) postReport(w http.ResponseWriter, r *http.Request) {
	lang := s.lang(r)
	in, shape := reportFormInput(r)
	errs := fieldMap(lang, shape)
	if len(errs) == 0 {
		c, err := s.svc.FileFirstReport(r.Context(), actor(currentUser(r.Context())), in)
		if err == nil {
			s.flash(r, flashSuccess, "総務部へ報告しました。受付番号: "+c.Number, "Reported to general affairs. Number: "+c.Number)
			if in.ByPhone {
				http.Redirect(w, r, fmt.Sprintf("/cases/%d", c.ID), http.StatusSeeOther)
			} else {
				http.Redirect(w, r, fmt.Sprintf("/report/%d", c.ID), http.StatusSeeOther)
			}
			return
		}
		if !s.fieldErrors(w, r, err, errs) {
			return
		}
	}
	values := map[string]string{}
	for k := range r.PostForm {
		if k != "_csrf" && k != "suspected_data_items" {
			values[k] = r.PostFormValue(k)
		}
	}
	s.renderReportForm(w, r, http.StatusUnprocessableEntity, values, in.SuspectedDataItems, errs)
}

// ownReport loads the report {id} when the current user filed it themselves; anything else —
// another person's report, a case opened without one, a bad id — is 404.
func (s *Server) ownReport(w http.ResponseWriter, r *http.Request) (store.FirstReport, bool) {
	u := currentUser(r.Context())
	id, ok := caseIDParam(r, "id")
	if !ok {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return store.FirstReport{}, false
	}
	fr, err := s.store.GetFirstReport(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && fr.ReporterID != u.ID) {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return store.FirstReport{}, false
	}
	if err != nil {
		s.serverError(w, r, err)
		return store.FirstReport{}, false
	}
	return fr, true
}

func (s *Server) reportView(r *http.Request, fr store.FirstReport) (view.ReportView, error) {
	msgs, err := s.store.ReportMessages(r.Context(), fr.CaseID)
	if err != nil {
		return view.ReportView{}, err
	}
	v := view.ReportView{CaseID: fr.CaseID, Number: fr.Number, Channel: fr.Channel, ReceivedAt: fr.ReceivedAt,
		ReporterName: fr.Report.ReporterName, Report: fr.Report, Errors: map[string]string{}}
	lang := s.lang(r)
	for _, it := range fr.Report.SuspectedDataItems {
		ja, en := incident.OptionLabel("suspected_data_items", it)
		v.DataItems = append(v.DataItems, pick(lang, ja, en))
	}
	for _, m := range msgs {
		v.Messages = append(v.Messages, view.ReportMessage{Kind: m.Kind, Author: m.AuthorName, Body: m.Body, At: m.At})
	}
	return v, nil
}

func (s *Server) getMyReport(w http.ResponseWriter, r *http.Request) {
	fr, ok := s.ownReport(w, r)
	if !ok {
		return
	}
	s.renderMyReport(w, r, http.StatusOK, fr, "", nil)
}

func (s *Server) renderMyReport(w http.ResponseWriter, r *http.Request, status int, fr store.FirstReport, body string, errs map[string]string) {
	v, err := s.reportView(r, fr)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v.Body = body
	for k, e := range errs {
		v.Errors[k] = e
	}
	p := s.page(r, "第一報 "+fr.Number, "First report "+fr.Number)
	s.render(w, r, status, p, view.MyReportPage(p, v))
}

func (s *Server) postReportAnswer(w http.ResponseWriter, r *http.Request) {
	fr, ok := s.ownReport(w, r)
	if !ok {
		return
	}
	if _, err := s.addReportMessage(r, fr.CaseID, "answer", r.PostFormValue("body")); err != nil {
		if status, ue, ok := domainError(err); ok && status == http.StatusUnprocessableEntity {
			s.renderMyReport(w, r, status, fr, r.PostFormValue("body"), fieldMap(s.lang(r), ue.Fields))
			return
		}
		s.failErr(w, r, err)
		return
	}
	s.flash(r, flashSuccess, "回答を送信しました。", "Answer sent.")
	http.Redirect(w, r, fmt.Sprintf("/report/%d", fr.CaseID), http.StatusSeeOther)
}

// addReportMessage checks and stores one question or answer; a case without a first report is
// not found.
func (s *Server) addReportMessage(r *http.Request, caseID int64, kind, body string) (store.ReportMessage, error) {
	body, err := incident.ReportMessage(body)
	if err != nil {
		return store.ReportMessage{}, err
	}
	m, err := s.store.AddReportMessage(r.Context(), caseID, currentUser(r.Context()).ID, kind, body, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return m, incident.NotFound("この案件には第一報がありません。", "this case has no first report")
	}
	return m, err
}

// caseReport loads the first report of a case the user may read (loadCase's rules); found is
// false when the case was not opened from one.
func (s *Server) caseReport(w http.ResponseWriter, r *http.Request, page string) (store.FirstReport, *incident.Case, incident.Actor, bool, bool) {
	c, a, ok := s.loadCase(w, r, page)
	if !ok {
		return store.FirstReport{}, nil, a, false, false
	}
	fr, err := s.store.GetFirstReport(r.Context(), c.ID)
	if errors.Is(err, store.ErrNotFound) {
		return store.FirstReport{CaseID: c.ID, Number: c.Number}, c, a, false, true
	}
	if err != nil {
		s.serverError(w, r, err)
		return store.FirstReport{}, nil, a, false, false
	}
	return fr, c, a, true, true
}

func canAskReporter(a incident.Actor) bool {
	return (a.Has(incident.RoleStaff) || a.Has(incident.RoleManager)) && !a.Has(incident.RoleAuditor)
}

func (s *Server) getCaseReport(w http.ResponseWriter, r *http.Request) {
	fr, _, a, found, ok := s.caseReport(w, r, "first_report")
	if !ok {
		return
	}
	s.renderCaseReport(w, r, http.StatusOK, fr, found, canAskReporter(a), "", nil)
}

func (s *Server) renderCaseReport(w http.ResponseWriter, r *http.Request, status int, fr store.FirstReport, found, canAsk bool, body string, errs map[string]string) {
	v := view.ReportView{CaseID: fr.CaseID, Number: fr.Number, Errors: map[string]string{}}
	if found {
		var err error
		if v, err = s.reportView(r, fr); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	v.Body = body
	for k, e := range errs {
		v.Errors[k] = e
	}
	p := s.page(r, "第一報 "+fr.Number, "First report "+fr.Number)
	s.render(w, r, status, p, view.CaseReportPage(p, v, found, canAsk))
}

func (s *Server) postReportQuestion(w http.ResponseWriter, r *http.Request) {
	fr, _, a, found, ok := s.caseReport(w, r, "")
	if !ok {
		return
	}
	if !canAskReporter(a) {
		s.fail(w, r, http.StatusForbidden, errForbidden)
		return
	}
	if !found {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return
	}
	if _, err := s.addReportMessage(r, fr.CaseID, "question", r.PostFormValue("body")); err != nil {
		if status, ue, ok := domainError(err); ok && status == http.StatusUnprocessableEntity {
			s.renderCaseReport(w, r, status, fr, true, true, r.PostFormValue("body"), fieldMap(s.lang(r), ue.Fields))
			return
		}
		s.failErr(w, r, err)
		return
	}
	s.flash(r, flashSuccess, "報告者へ質問を送りました。", "Question sent to the reporter.")
	http.Redirect(w, r, fmt.Sprintf("/cases/%d/report", fr.CaseID), http.StatusSeeOther)
}

// --- API ---

type apiReport struct {
	CaseID     int64                 `json:"case_id"`
	Number     string                `json:"number"`
	Channel    string                `json:"channel"`
	ReceivedAt time.Time             `json:"received_at"`
	Report     incident.FirstReport  `json:"report"`
	Messages   []store.ReportMessage `json:"messages"`
}

func (s *Server) apiReportOf(r *http.Request, fr store.FirstReport) (apiReport, error) {
	msgs, err := s.store.ReportMessages(r.Context(), fr.CaseID)
	if err != nil {
		return apiReport{}, err
	}
	if msgs == nil {
		msgs = []store.ReportMessage{}
	}
	if fr.Report.SuspectedDataItems == nil {
		fr.Report.SuspectedDataItems = []string{}
	}
	return apiReport{CaseID: fr.CaseID, Number: fr.Number, Channel: fr.Channel, ReceivedAt: fr.ReceivedAt, Report: fr.Report, Messages: msgs}, nil
}

func (s *Server) writeAPIReport(w http.ResponseWriter, r *http.Request, status int, fr store.FirstReport) {
	out, err := s.apiReportOf(r, fr)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, status, out)
}

func (s *Server) apiFileReport(w http.ResponseWriter, r *http.Request) {
	var in incident.FirstReport
	if status, ue := decodeJSON(r, &in); ue != nil {
		s.fail(w, r, status, ue)
		return
	}
	c, err := s.svc.FileFirstReport(r.Context(), actor(currentUser(r.Context())), in)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	fr, err := s.store.GetFirstReport(r.Context(), c.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/reports/%d", c.ID))
	s.writeAPIReport(w, r, http.StatusCreated, fr)
}

func (s *Server) apiMyReports(w http.ResponseWriter, r *http.Request) {
	mine, err := s.store.FirstReportsBy(r.Context(), currentUser(r.Context()).ID, myReportsLimit)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	items := make([]apiReport, 0, len(mine))
	for _, fr := range mine {
		out, err := s.apiReportOf(r, fr)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		items = append(items, out)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) apiMyReport(w http.ResponseWriter, r *http.Request) {
	if fr, ok := s.ownReport(w, r); ok {
		s.writeAPIReport(w, r, http.StatusOK, fr)
	}
}

type apiMessageIn struct {
	Body string `json:"body"`
}

func (s *Server) apiAddMessage(w http.ResponseWriter, r *http.Request, caseID int64, kind string) {
	var in apiMessageIn
	if status, ue := decodeJSON(r, &in); ue != nil {
		s.fail(w, r, status, ue)
		return
	}
	m, err := s.addReportMessage(r, caseID, kind, in.Body)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, m)
}

func (s *Server) apiReportAnswer(w http.ResponseWriter, r *http.Request) {
	if fr, ok := s.ownReport(w, r); ok {
		s.apiAddMessage(w, r, fr.CaseID, "answer")
	}
}

func (s *Server) apiCaseReport(w http.ResponseWriter, r *http.Request) {
	fr, _, _, found, ok := s.caseReport(w, r, "first_report")
	if !ok {
		return
	}
	if !found {
		s.fail(w, r, http.StatusNotFound, &uiError{Code: "not_found", JA: "この案件には第一報がありません。", EN: "This case has no first report."})
		return
	}
	s.writeAPIReport(w, r, http.StatusOK, fr)
}

func (s *Server) apiReportQuestion(w http.ResponseWriter, r *http.Request) {
	fr, _, a, found, ok := s.caseReport(w, r, "")
	if !ok {
		return
	}
	if !canAskReporter(a) {
		s.fail(w, r, http.StatusForbidden, errForbidden)
		return
	}
	if !found {
		s.fail(w, r, http.StatusNotFound, &uiError{Code: "not_found", JA: "この案件には第一報がありません。", EN: "This case has no first report."})
		return
	}
	s.apiAddMessage(w, r, fr.CaseID, "question")
}
