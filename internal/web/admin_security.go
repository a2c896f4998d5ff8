package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// The administrator's sign-in policy: whether passwords may be used (beside single sign-on) and
// which administrator keeps one for when the identity provider is down.

func (s *Server) adminSecurityPage(w http.ResponseWriter, r *http.Request, status int, f view.SecurityForm) {
	users, err := s.store.ListUsers(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, u := range users {
		if auth.Has(u.Roles, auth.RoleAdmin) && !u.Disabled {
			f.Admins = append(f.Admins, view.AdminUser{ID: u.ID, Email: u.Email, Name: u.Name})
		}
	}
	f.SSO = s.sso != nil
	if f.SSO {
		f.Issuer = s.sso.Issuer()
	}
	p := s.page(r, "ログイン設定", "Sign-in settings")
	s.render(w, r, status, p, view.AdminSecurityPage(p, f))
}

func (s *Server) getAdminSecurity(w http.ResponseWriter, r *http.Request) {
	set, err := s.store.GetAuthSettings(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.adminSecurityPage(w, r, http.StatusOK, view.SecurityForm{PasswordLogin: set.PasswordLogin, BreakGlassUser: set.BreakGlassUser, MFARoles: set.MFARoles})
}

func (s *Server) postAdminSecurity(w http.ResponseWriter, r *http.Request) {
	bg, err := strconv.ParseInt(r.PostFormValue("break_glass"), 10, 64)
	if err != nil || bg < 0 {
		s.fail(w, r, http.StatusBadRequest, errMalformed)
		return
	}
	var mfaRoles []auth.Role
	if len(r.PostForm["mfa_roles"]) > 0 {
		var ok bool
		if mfaRoles, ok = auth.ParseRoles(r.PostForm["mfa_roles"]); !ok {
			s.fail(w, r, http.StatusBadRequest, errMalformed)
			return
		}
	}
	set := store.AuthSettings{PasswordLogin: r.PostFormValue("password_login") == "true", BreakGlassUser: bg, MFARoles: mfaRoles}
	err = s.store.SaveAuthSettings(r.Context(), currentUser(r.Context()).ID, set)
	if errors.Is(err, store.ErrNoBreakGlass) {
		s.adminSecurityPage(w, r, http.StatusUnprocessableEntity, view.SecurityForm{PasswordLogin: set.PasswordLogin, BreakGlassUser: bg, MFARoles: mfaRoles,
			Error: pick(s.lang(r), "パスワードでのログインを止めるには、有効な管理者を緊急用管理者に指定してください。",
				"To turn passwords off, name an enabled administrator as the break-glass account.")})
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.flash(r, flashSuccess, "ログイン設定を保存しました。", "Sign-in settings saved.")
	http.Redirect(w, r, "/admin/security", http.StatusSeeOther)
}
