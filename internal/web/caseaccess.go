package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/rules"
	"github.com/leakdesk/leakdesk/internal/store"
)

// actor is the current user as the domain sees them.
func actor(u *store.User) incident.Actor {
	a := incident.Actor{UserID: u.ID, Name: u.Name}
	for _, r := range u.Roles {
		a.Roles = append(a.Roles, incident.Role(r))
	}
	return a
}

// domainStatus is the one table from domain error codes to HTTP statuses.
var domainStatus = map[incident.Code]int{
	incident.CodeInvalid:        http.StatusUnprocessableEntity,
	incident.CodeNotFound:       http.StatusNotFound,
	incident.CodeConflict:       http.StatusConflict,
	incident.CodeForbidden:      http.StatusForbidden,
	incident.CodeUnmetCriteria:  http.StatusUnprocessableEntity,
	incident.CodeAlreadyDecided: http.StatusConflict,
	incident.CodeInternal:       http.StatusInternalServerError,
}

// domainError turns a domain error into the user-facing error and its status; ok is false for
// anything else (an internal error, which must be logged, never shown).
func domainError(err error) (int, *uiError, bool) {
	var in *uiError
	if errors.As(err, &in) { // input refused by its shape check before it reached the domain
		return http.StatusUnprocessableEntity, in, true
	}
	var ri *rules.Invalid
	if errors.As(err, &ri) { // a rule set refused by the schema or the engine check: each problem at its path
		return http.StatusUnprocessableEntity, ruleSetProblems(ri), true
	}
	var de *incident.Error
	if !errors.As(err, &de) || de.Code == incident.CodeInternal {
		return 0, nil, false
	}
	ue := &uiError{Code: string(de.Code), JA: de.JA, EN: de.EN}
	for _, f := range de.Fields {
		ue.Fields = append(ue.Fields, fieldError{Field: f.Field, JA: f.JA, EN: f.EN})
	}
	for _, m := range de.Missing {
		ue.Fields = append(ue.Fields, fieldError{Field: m.Item, JA: m.JA, EN: m.EN})
	}
	return domainStatus[de.Code], ue, true
}

// ruleSetProblems is a refused rule set as the user reads it: how many problems, then each one
// at its JSON Pointer inside "document".
func ruleSetProblems(ri *rules.Invalid) *uiError {
	n := strconv.Itoa(len(ri.Problems))
	ue := &uiError{Code: string(incident.CodeInvalid), JA: "ルールセットに" + n + "件の問題があるため受け付けませんでした（何も保存していません）。",
		EN: "The rule set has " + n + " problem(s) and was refused (nothing was saved)."}
	for _, p := range ri.Problems {
		ue.Fields = append(ue.Fields, fieldError{Field: "document", Pointer: p.Path, InDocument: true, JA: p.JA, EN: p.EN})
	}
	return ue
}

// failErr answers with the domain error's status and message, or a plain 500 for anything else.
func (s *Server) failErr(w http.ResponseWriter, r *http.Request, err error) {
	if status, ue, ok := domainError(err); ok {
		s.fail(w, r, status, ue)
		return
	}
	s.serverError(w, r, err)
}

// caseID parses {id}.
func caseIDParam(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(chi.URLParam(r, name), 10, 64)
	return id, err == nil && id > 0
}

// caseWriter checks what a write to case {id} needs before the case is read — a signed-in user
// with a case-reading role and a well-formed id; incident.CanRead on the case itself is
// writeAccess's, run by the command on the locked case.
func (s *Server) caseWriter(w http.ResponseWriter, r *http.Request) (*store.User, int64, bool) {
	u := currentUser(r.Context())
	if u == nil {
		s.fail(w, r, http.StatusUnauthorized, errUnauthenticated)
		return nil, 0, false
	}
	if err := incident.CanReadCases(actor(u)); err != nil {
		s.failErr(w, r, err)
		return nil, 0, false
	}
	id, ok := caseIDParam(r, "id")
	if !ok {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return nil, 0, false
	}
	return u, id, true
}

// writeAccess is the request's context carrying incident.CanRead for casework to run on the case
// it locks, so that a write reads the case once.
func writeAccess(r *http.Request, u *store.User) context.Context {
	a := actor(u)
	return casework.WithAccessCheck(r.Context(), func(c *incident.Case) error { return incident.CanRead(a, c) })
}

// loadCase reads case {id} for the current user when incident.CanRead lets them (a case-reading
// role, not marked involved in the incident). Each successful load of a page is recorded in the
// access log under page.
func (s *Server) loadCase(w http.ResponseWriter, r *http.Request, page string) (*incident.Case, incident.Actor, bool) {
	c, _, a, ok := s.readCase(w, r, page, false)
	return c, a, ok
}

// readCase is loadCase that, when history is set, also returns the stored events the case was
// replayed from (the case page's timeline), so they are read once.
func (s *Server) readCase(w http.ResponseWriter, r *http.Request, page string, history bool) (*incident.Case, []store.StoredEvent, incident.Actor, bool) {
	u := currentUser(r.Context())
	if u == nil {
		s.fail(w, r, http.StatusUnauthorized, errUnauthenticated)
		return nil, nil, incident.Actor{}, false
	}
	a := actor(u)
	if err := incident.CanReadCases(a); err != nil { // before the case is read
		s.failErr(w, r, err)
		return nil, nil, incident.Actor{}, false
	}
	id, ok := caseIDParam(r, "id")
	if !ok {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return nil, nil, incident.Actor{}, false
	}
	var c *incident.Case
	var stored []store.StoredEvent
	var err error
	if history {
		c, stored, err = s.store.GetCaseHistory(r.Context(), id)
	} else {
		c, err = s.store.GetCase(r.Context(), id)
	}
	if err == nil {
		err = incident.CanRead(a, c)
	}
	if err == nil {
		// The approval slots shown must be those a decision would require (the register's totals).
		err = s.svc.FillOutside(r.Context(), c)
	}
	if err != nil {
		s.failErr(w, r, err)
		return nil, nil, incident.Actor{}, false
	}
	if page != "" {
		if err := s.store.RecordAccess(r.Context(), u.ID, c.ID, page, nil, ""); err != nil {
			s.serverError(w, r, err)
			return nil, nil, incident.Actor{}, false
		}
	}
	return c, stored, a, true
}
