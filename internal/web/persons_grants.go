package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// Need-to-know for the register (issue 21). A decrypting role is necessary but not enough: the
// user must also work on the case — its handler or a writer of one of its stages
// (incident.Case.AssignedTo) — or hold a role whose task is every case's register (the privacy
// officer, auditors), or have a grant: an explicit, time-limited permission a privacy officer gives
// one user for one case, with a reason (register_grants, append-only). Reads under a grant name it
// in the access log.

// registerOverseers see every case's register decrypted by their function.
var registerOverseers = []auth.Role{auth.RolePrivacyOfficer, auth.RoleAuditor}

// maxGrant is the longest grant; the table refuses longer ones too.
const maxGrant = 7 * 24 * time.Hour

type grantKey struct{}

// needToKnow decides whether u, who holds a decrypting role, may decrypt c's register, and the
// grant that lets them (0 when the assignment or the role does).
func (s *Server) needToKnow(ctx context.Context, c *incident.Case, u *store.User) (bool, int64, error) {
	if auth.Has(u.Roles, registerOverseers...) || c.AssignedTo(u.ID) {
		return true, 0, nil
	}
	id, err := s.store.ActiveRegisterGrant(ctx, c.ID, u.ID, s.now())
	if err != nil {
		return false, 0, err
	}
	return id != 0, id, nil
}

// withGrant remembers on the request which grant let the user decrypt, for logAccess. The request
// is updated in place because personCase's callers keep using the *http.Request they passed.
func withGrant(r *http.Request, grantID int64) {
	if grantID != 0 {
		*r = *r.WithContext(context.WithValue(r.Context(), grantKey{}, grantID))
	}
}

// grantReason is the access log's note for a read made under a grant ("" otherwise).
func grantReason(ctx context.Context) string {
	if id, ok := ctx.Value(grantKey{}).(int64); ok {
		return "（閲覧許可 #" + strconv.FormatInt(id, 10) + " による）"
	}
	return ""
}

var (
	errGrantInvalid = &uiError{Code: "invalid", JA: "閲覧許可を与えられません。対象者（自分以外の、復号できる役割の利用者）、理由、期間（1〜168時間）を確認してください。",
		EN: "The grant cannot be given: choose a user other than yourself who holds a decrypting role, give a reason and a duration of 1 to 168 hours."}
	errNeedToKnow = &uiError{Code: "forbidden", JA: "この案件の担当者ではないため、対象者の個人情報を表示できません。個人情報保護責任者の閲覧許可が必要です。",
		EN: "You are not assigned to this case, so its affected persons' data cannot be shown. A privacy officer's grant is needed."}
)

// giveRegisterGrant is the one rule for a privacy officer's grant (the routes check the role): a
// user other than the giver who holds a decrypting role and is not disabled, a reason of at most 500
// characters, 1–168 hours. Refused input is errGrantInvalid (422), nothing written.
func (s *Server) giveRegisterGrant(r *http.Request, caseID, userID int64, hours int, reason string) (store.RegisterGrant, error) {
	u := currentUser(r.Context())
	reason = strings.TrimSpace(reason)
	d := time.Duration(hours) * time.Hour
	if userID == u.ID || reason == "" || len([]rune(reason)) > 500 || d <= 0 || d > maxGrant {
		return store.RegisterGrant{}, errGrantInvalid
	}
	target, err := s.store.UserByID(r.Context(), userID)
	if errors.Is(err, store.ErrNotFound) || err == nil && (target.Disabled || !auth.Has(target.Roles, personDecrypters...)) {
		return store.RegisterGrant{}, errGrantInvalid
	}
	if err != nil {
		return store.RegisterGrant{}, err
	}
	g, err := s.store.AddRegisterGrant(r.Context(), caseID, userID, u.ID, reason, s.now(), d)
	if err != nil {
		return store.RegisterGrant{}, err
	}
	s.log.Info("register grant", "request_id", requestID(r.Context()), "case_id", caseID, "user_id", userID, "by", u.ID, "hours", hours)
	return g, nil
}

// postRegisterGrant gives a grant from the register page's form.
func (s *Server) postRegisterGrant(w http.ResponseWriter, r *http.Request) {
	caseID, _, ok := s.personCase(w, r)
	if !ok {
		return
	}
	userID, err1 := strconv.ParseInt(r.PostFormValue("user_id"), 10, 64)
	hours, err2 := strconv.Atoi(strings.TrimSpace(r.PostFormValue("hours")))
	if err1 != nil || err2 != nil {
		s.fail(w, r, http.StatusUnprocessableEntity, errGrantInvalid)
		return
	}
	if _, err := s.giveRegisterGrant(r, caseID, userID, hours, r.PostFormValue("reason")); err != nil {
		s.grantFailed(w, r, err)
		return
	}
	s.flash(r, flashSuccess, "閲覧許可を与えました。", "Grant given.")
	http.Redirect(w, r, "/cases/"+itoa64(caseID)+"/persons", http.StatusSeeOther)
}

// apiRegisterGrant is postRegisterGrant's twin: {"user_id", "hours", "reason"} → 201 with the grant.
func (s *Server) apiRegisterGrant(w http.ResponseWriter, r *http.Request) {
	caseID, _, ok := s.personCase(w, r)
	if !ok {
		return
	}
	var in struct {
		UserID int64  `json:"user_id"`
		Hours  int    `json:"hours"`
		Reason string `json:"reason"`
	}
	if status, ue := decodeJSON(r, &in); ue != nil {
		s.fail(w, r, status, ue)
		return
	}
	g, err := s.giveRegisterGrant(r, caseID, in.UserID, in.Hours, in.Reason)
	if err != nil {
		s.grantFailed(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": g.ID, "case_id": caseID, "user_id": in.UserID,
		"granted_at": g.GrantedAt, "expires_at": g.ExpiresAt})
}

func (s *Server) grantFailed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errGrantInvalid) {
		s.fail(w, r, http.StatusUnprocessableEntity, errGrantInvalid)
		return
	}
	s.serverError(w, r, err)
}

// grantsView is the grant form and list on the register page, for privacy officers (nil otherwise).
func (s *Server) grantsView(r *http.Request, caseID int64) (*view.RegisterGrants, error) {
	u := currentUser(r.Context())
	if !auth.Has(u.Roles, auth.RolePrivacyOfficer) {
		return nil, nil
	}
	gs, err := s.store.RegisterGrants(r.Context(), caseID)
	if err != nil {
		return nil, err
	}
	users, err := s.store.ListUsers(r.Context())
	if err != nil {
		return nil, err
	}
	v := &view.RegisterGrants{CaseID: caseID}
	for _, x := range users {
		if x.ID != u.ID && !x.Disabled && auth.Has(x.Roles, personDecrypters...) && !auth.Has(x.Roles, registerOverseers...) {
			v.Users = append(v.Users, view.Option{Value: itoa64(x.ID), JA: x.Name, EN: x.Name})
		}
	}
	now := s.now()
	for _, g := range gs {
		v.Rows = append(v.Rows, view.RegisterGrantRow{User: g.UserName, By: g.ByName, Reason: g.Reason, GrantedAt: g.GrantedAt, ExpiresAt: g.ExpiresAt, Active: g.ExpiresAt.After(now)})
	}
	return v, nil
}
