package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/leakdesk/leakdesk/internal/auditjob"
	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// The auditor's "verify all" runs as a background job (internal/auditjob): at 100 k cases it takes
// longer than the server lets a request run. The verify page lists the jobs and shows the newest
// verdict; the auditor starts one, watches its progress page (it reloads itself: no script needed),
// may cancel it, and downloads its result. Starting, watching, cancelling and downloading are the
// auditor's alone; the desk's other readers see the newest verdict on the verify page.

// AuditJobs is the service behind the auditor's background jobs (serve and tests start it).
func (s *Server) AuditJobs() *auditjob.Service { return s.auditJobs }

// auditJobsShown is how many jobs the verify page lists.
const auditJobsShown = 20

// auditJobRefresh is the progress page's reload interval in seconds.
const auditJobRefresh = 2

func jobRow(j store.AuditJob) view.AuditJobRow {
	row := view.AuditJobRow{ID: j.ID, By: j.RequestedByName, Created: view.JST(j.CreatedAt), State: j.State,
		Done: j.Done, Total: j.Total, CancelRequested: j.CancelRequested, Error: j.Error}
	if j.FinishedAt != nil {
		row.Finished = view.JST(*j.FinishedAt)
	}
	return row
}

// jobVerdict is the verdict a finished verification kept, as the page shows it.
func (s *Server) jobVerdict(r *http.Request, j store.AuditJob) (*view.AuditVerdict, error) {
	if j.State != "done" || j.Result == nil {
		return nil, nil
	}
	var res auditjob.VerifyResult
	if err := json.Unmarshal(j.Result, &res); err != nil {
		return nil, err
	}
	v, err := s.verdictView(r.Context(), res.History, res.Comments)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func (s *Server) getAuditVerify(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r.Context())
	jobs, err := s.store.ListAuditJobs(r.Context(), store.AuditJobVerify, auditJobsShown)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	h := view.AuditVerifyHome{CanRun: slices.Contains(u.Roles, auth.RoleAuditor)}
	for _, j := range jobs {
		h.Jobs = append(h.Jobs, jobRow(j))
	}
	if i := slices.IndexFunc(jobs, func(j store.AuditJob) bool { return j.State == "done" }); i >= 0 {
		j, err := s.store.GetAuditJob(r.Context(), jobs[i].ID)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if h.Verdict, err = s.jobVerdict(r, j); err != nil {
			s.serverError(w, r, err)
			return
		}
		if j.FinishedAt != nil {
			h.At = view.JST(*j.FinishedAt)
		}
	}
	k, err := s.signingKeys(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	p := s.page(r, "改ざん検証", "Chain verification")
	s.render(w, r, http.StatusOK, p, view.AuditVerifyPage(p, h, k))
}

// postAuditVerify queues a verification of every case and shows its progress page.
func (s *Server) postAuditVerify(w http.ResponseWriter, r *http.Request) {
	id, err := s.auditJobs.StartVerify(r.Context(), currentUser(r.Context()).ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/audit/jobs/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// auditJob reads the job of the URL; false when it answered already (404 for a job that is not there).
func (s *Server) auditJob(w http.ResponseWriter, r *http.Request) (store.AuditJob, bool) {
	id, err := strconv.ParseInt(chi.URLParam(r, "jid"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return store.AuditJob{}, false
	}
	j, err := s.store.GetAuditJob(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return j, false
	}
	if err != nil {
		s.serverError(w, r, err)
		return j, false
	}
	return j, true
}

func (s *Server) getAuditJob(w http.ResponseWriter, r *http.Request) {
	j, ok := s.auditJob(w, r)
	if !ok {
		return
	}
	v, err := s.jobVerdict(r, j)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	p := s.page(r, "改ざん検証 #"+strconv.FormatInt(j.ID, 10), "Chain verification #"+strconv.FormatInt(j.ID, 10))
	if j.Running() {
		p.Refresh = auditJobRefresh
	}
	s.render(w, r, http.StatusOK, p, view.AuditJobPage(p, jobRow(j), v))
}

// postAuditJobCancel asks the job to stop: a queued job never starts, a running one stops at its
// next progress report (within a second or two).
func (s *Server) postAuditJobCancel(w http.ResponseWriter, r *http.Request) {
	j, ok := s.auditJob(w, r)
	if !ok {
		return
	}
	stopped, err := s.store.CancelAuditJob(r.Context(), j.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if stopped {
		s.flash(r, "ok", "検証の中止を受け付けました。", "The verification is being cancelled.")
	} else {
		s.flash(r, "error", "この検証は既に終わっています。", "This verification has already finished.")
	}
	http.Redirect(w, r, "/audit/jobs/"+strconv.FormatInt(j.ID, 10), http.StatusSeeOther)
}

// getAuditJobResult downloads a finished verification's result as JSON (404 until it is done).
func (s *Server) getAuditJobResult(w http.ResponseWriter, r *http.Request) {
	j, ok := s.auditJob(w, r)
	if !ok {
		return
	}
	if j.State != "done" || j.Result == nil {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="leakdesk-verify-`+strconv.FormatInt(j.ID, 10)+`.json"`)
	_, _ = w.Write(j.Result)
}
