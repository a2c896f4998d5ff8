package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// The administrator's reach (domain.md §5: accounts only, no case contents): grants of roles that
// read cases wait for a second person, an admin-set password is temporary, and a reset or a change
// ends the user's other sessions (the session epoch, store.SessionGate).

// keyMustChange marks a request whose user logged in with a temporary password.
const keyMustChange ctxKey = 100

// grantDeciders may approve a role grant: another administrator or the privacy officer.
var grantDeciders = []auth.Role{auth.RoleAdmin, auth.RolePrivacyOfficer}

// sessionGate reports whether the session's epoch is the user's: a reset, a disable or a password
// change elsewhere moved the user's on and so ended the session.
func (s *Server) sessionGate(r *http.Request, g store.SessionGate) bool {
	return s.sessions.GetInt64(r.Context(), sessEpoch) == g.Epoch
}

func mustChange(ctx context.Context) bool { b, _ := ctx.Value(keyMustChange).(bool); return b }

// requireFreshPassword sends a user who logged in with a temporary password to the change form
// before anything else (logging out and switching language stay open).
func (s *Server) requireFreshPassword(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mustChange(r.Context()) && r.URL.Path != "/account/password" && r.URL.Path != "/logout" {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/account/password", http.StatusSeeOther)
				return
			}
			s.fail(w, r, http.StatusForbidden, errPasswordChange)
			return
		}
		next.ServeHTTP(w, r)
	})
}

var errPasswordChange = &uiError{Code: "password_change_required", JA: "仮パスワードでログインしています。先にパスワードを変更してください。", EN: "You logged in with a temporary password: change it first."}

// The change form itself is getAccountPassword / postAccountPassword (account_self.go): it shows
// the temporary-password notice (mustChange) and the change clears must_change_password.

func (s *Server) getRoleGrants(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r.Context())
	grants, err := s.store.PendingGrants(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	names, _, err := s.userNames(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	rows := make([]view.GrantRow, len(grants))
	for i, g := range grants {
		rows[i] = view.GrantRow{ID: g.ID, Email: g.TargetEmail, Name: g.Name, Before: g.Before, Roles: g.Roles,
			RequestedBy: names[g.RequestedBy], RequestedAt: g.RequestedAt, Mine: g.RequestedBy == u.ID || g.TargetID == u.ID}
	}
	p := s.page(r, "役割付与の承認", "Role grants")
	s.render(w, r, http.StatusOK, p, view.GrantsPage(p, rows))
}

func (s *Server) postRoleGrant(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(chi.URLParam(r, "gid"), 10, 64)
	decision := r.PostFormValue("decision")
	if err != nil || (decision != "approve" && decision != "reject") {
		s.fail(w, r, http.StatusBadRequest, errMalformed)
		return
	}
	err = s.store.DecideGrant(r.Context(), currentUser(r.Context()).ID, id, decision == "approve")
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, errNotFound)
	case errors.Is(err, store.ErrFourEyes):
		s.fail(w, r, http.StatusForbidden, &uiError{Code: "forbidden", JA: "ご自身が依頼した付与、又はご自身への付与は承認・却下できません。", EN: "You cannot decide a grant you requested or a grant to yourself."})
	case errors.Is(err, store.ErrConflict):
		s.flash(r, flashError, "依頼の後にこのユーザーが変更されたため、付与できません。却下して依頼し直してください。", "The user changed after the request; reject it and ask again.")
		http.Redirect(w, r, "/role-grants", http.StatusSeeOther)
	case err != nil:
		s.serverError(w, r, err)
	default:
		s.flash(r, flashSuccess, map[bool]string{true: "付与を承認しました。", false: "付与を却下しました。"}[decision == "approve"],
			map[bool]string{true: "Grant approved.", false: "Grant rejected."}[decision == "approve"])
		http.Redirect(w, r, "/role-grants", http.StatusSeeOther)
	}
}
