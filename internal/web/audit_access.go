package web

// The access review: who read which case's personal data, when and why.

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

func (s *Server) getAuditAccess(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	vf := view.AuditAccessFilter{User: q.Get("user"), Case: q.Get("case"), From: q.Get("from"), To: q.Get("to")}
	f := store.AccessFilter{Limit: 100, ViewerID: currentUser(r.Context()).ID}
	if id, err := strconv.ParseInt(vf.User, 10, 64); err == nil && id > 0 {
		f.UserID = id
	} else {
		vf.User = ""
	}
	if id, err := strconv.ParseInt(vf.Case, 10, 64); err == nil && id > 0 {
		f.CaseID = id
	} else {
		vf.Case = ""
	}
	if t, ok := parseDay(vf.From); ok {
		f.From = t
	} else {
		vf.From = ""
	}
	if t, ok := parseDay(vf.To); ok {
		f.To = t.AddDate(0, 0, 1)
	} else {
		vf.To = ""
	}
	if c := q.Get("after"); c != "" {
		if at, id, ok := decodeCursor(c); ok {
			f.AfterAt, f.AfterID = at, id
		}
	}
	rows, err := s.store.AccessLog(r.Context(), f)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	users, err := s.store.ListUsers(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	var us []view.AuditUser
	for _, u := range users {
		us = append(us, view.AuditUser{ID: u.ID, Name: u.Name})
	}
	out := make([]view.AuditAccessRow, len(rows))
	for i, a := range rows {
		subjects := make([]string, len(a.Subjects))
		for j, id := range a.Subjects {
			subjects[j] = "#" + itoa64(id)
		}
		out[i] = view.AuditAccessRow{At: a.At, UserName: a.UserName, UserEmail: a.UserEmail, CaseID: a.CaseID, CaseNumber: a.CaseNumber,
			Drill: a.Drill, Page: a.Page, Subjects: strings.Join(subjects, ", "), Reason: a.Reason}
	}
	next := ""
	if len(rows) == f.Limit {
		nq := r.URL.Query()
		last := rows[len(rows)-1]
		nq.Set("after", encodeCursor(last.At, last.ID))
		next = "/audit/access?" + nq.Encode()
	}
	p := s.page(r, "閲覧記録のレビュー", "Access review")
	s.render(w, r, http.StatusOK, p, view.AuditAccessPage(p, vf, us, out, next))
}
