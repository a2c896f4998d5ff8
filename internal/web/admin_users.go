package web

import (
	"errors"
	"net/http"
	"net/mail"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

func (s *Server) adminUsersPage(w http.ResponseWriter, r *http.Request, status int, form view.UserForm, newPassword string) {
	users, err := s.store.ListUsers(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	rows := make([]view.AdminUser, len(users))
	for i, u := range users {
		rows[i] = view.AdminUser{ID: u.ID, Email: u.Email, Name: u.Name, Roles: u.Roles, Disabled: u.Disabled, CreatedAt: u.CreatedAt, Version: u.Version}
	}
	p := s.page(r, "ユーザー管理", "User administration")
	s.render(w, r, status, p, view.AdminUsersPage(p, rows, form, newPassword))
}

func (s *Server) getAdminUsers(w http.ResponseWriter, r *http.Request) {
	s.adminUsersPage(w, r, http.StatusOK, view.UserForm{}, "")
}

// userInput is the shape check of the new-user form.
type userInput struct {
	Email string   `form:"email" validate:"required,email,max=254" label:"メールアドレス|e-mail address"`
	Name  string   `form:"name" validate:"required,max=200" label:"氏名|name"`
	Roles []string `form:"roles" validate:"required,min=1" label:"役割|role"`
}

func (s *Server) postAdminUser(w http.ResponseWriter, r *http.Request) {
	lang := s.lang(r)
	form := view.UserForm{
		Email:  strings.TrimSpace(r.PostFormValue("email")),
		Name:   strings.TrimSpace(r.PostFormValue("name")),
		Errors: map[string]string{},
	}
	roles, rolesOK := auth.ParseRoles(r.PostForm["roles"])
	form.Roles = roles
	form.Errors = fieldMap(lang, checkInput(&userInput{Email: form.Email, Name: form.Name, Roles: r.PostForm["roles"]}))
	// The validator's e-mail rule accepts display names and comments; an account key must be the bare address.
	if a, err := mail.ParseAddress(form.Email); form.Errors["email"] == "" && (err != nil || a.Address != form.Email) {
		form.Errors["email"] = pick(lang, "メールアドレスの形式が正しくありません（例: taro@example.co.jp）。", "Enter a valid e-mail address.")
	}
	if !rolesOK && form.Errors["roles"] == "" {
		form.Errors["roles"] = pick(lang, "役割を一覧から選んでください。", "Choose roles from the list.")
	}
	if len(form.Errors) > 0 {
		s.adminUsersPage(w, r, http.StatusUnprocessableEntity, form, "")
		return
	}
	pw := auth.RandomPassword()
	hash, err := auth.HashPassword(pw, s.params)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	// The account starts without roles and with a temporary password; its roles wait for a second
	// administrator or the privacy officer (store.CreateUserPending).
	_, err = s.store.CreateUserPending(r.Context(), currentUser(r.Context()).ID, form.Email, form.Name, roles, hash)
	if errors.Is(err, store.ErrDuplicate) {
		form.Errors["email"] = pick(lang, "このメールアドレスは既に登録されています。", "This e-mail address is already registered.")
		s.adminUsersPage(w, r, http.StatusUnprocessableEntity, form, "")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	// The initial password is shown once on this response and never stored in plain text; the user
	// must change it at the first login.
	s.adminUsersPage(w, r, http.StatusCreated, view.UserForm{}, pw)
}

func (s *Server) userIDAndVersion(w http.ResponseWriter, r *http.Request) (id, version int64, ok bool) {
	id, err1 := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	version, err2 := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err1 != nil || err2 != nil {
		s.fail(w, r, http.StatusBadRequest, errMalformed)
		return 0, 0, false
	}
	return id, version, true
}

func (s *Server) afterUserChange(w http.ResponseWriter, r *http.Request, err error, okJA, okEN string) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, errNotFound)
	case errors.Is(err, store.ErrConflict):
		s.flash(r, flashError, "他の管理者が先にこのユーザーを変更しました。最新の内容を確認してください。", "Another administrator changed this user first. Check the latest values.")
		http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
	case err != nil:
		s.serverError(w, r, err)
	default:
		s.flash(r, flashSuccess, okJA, okEN)
		http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
	}
}

func (s *Server) postAdminUserRoles(w http.ResponseWriter, r *http.Request) {
	id, version, ok := s.userIDAndVersion(w, r)
	if !ok {
		return
	}
	roles, rolesOK := auth.ParseRoles(r.PostForm["roles"])
	name := strings.TrimSpace(r.PostFormValue("name"))
	if !rolesOK || name == "" {
		s.flash(r, flashError, "役割を1つ以上選んでください。", "Choose at least one role.")
		http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
		return
	}
	if id == currentUser(r.Context()).ID && !auth.Has(roles, auth.RoleAdmin) {
		// Removing one's own admin role could leave nobody able to administer accounts.
		s.flash(r, flashError, "自分自身の管理者権限は外せません。", "You cannot remove your own administrator role.")
		http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
		return
	}
	target, err := s.store.UserByID(r.Context(), id)
	if err != nil {
		s.afterUserChange(w, r, err, "", "")
		return
	}
	if !store.GrantNeedsApproval(target.Roles, roles) {
		err = s.store.UpdateUser(r.Context(), currentUser(r.Context()).ID, id, version, name, roles)
		s.afterUserChange(w, r, err, "役割を保存しました。", "Roles saved.")
		return
	}
	if id == currentUser(r.Context()).ID {
		// An administrator who could give itself auditor or HR would read every case.
		s.flash(r, flashError, "自分自身に役割を付与することはできません。", "You cannot grant roles to yourself.")
		http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
		return
	}
	err = s.store.RequestGrant(r.Context(), currentUser(r.Context()).ID, id, version, name, roles)
	if errors.Is(err, store.ErrConflict) {
		s.flash(r, flashError, "このユーザーには承認待ちの付与があるか、他の管理者が先に変更しました。", "A grant for this user is already waiting, or another administrator changed the user first.")
		http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
		return
	}
	s.afterUserChange(w, r, err, "役割の付与を依頼しました。他の管理者又は個人情報保護管理者の承認で有効になります。",
		"Grant requested: it takes effect when another administrator or the privacy officer approves.")
}

func (s *Server) postAdminUserDisable(w http.ResponseWriter, r *http.Request) {
	id, version, ok := s.userIDAndVersion(w, r)
	if !ok {
		return
	}
	disable := r.PostFormValue("disabled") == "true"
	if disable && id == currentUser(r.Context()).ID {
		s.flash(r, flashError, "自分自身を無効にはできません。", "You cannot disable yourself.")
		http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
		return
	}
	err := s.store.SetDisabled(r.Context(), currentUser(r.Context()).ID, id, version, disable)
	s.afterUserChange(w, r, err, "ユーザーの状態を変更しました。", "User state changed.")
}

func (s *Server) postAdminUserPassword(w http.ResponseWriter, r *http.Request) {
	id, version, ok := s.userIDAndVersion(w, r)
	if !ok {
		return
	}
	pw := auth.RandomPassword()
	hash, err := auth.HashPassword(pw, s.params)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	// A temporary password: the user changes it at the next login; every session and token ends.
	if err := s.store.ResetPassword(r.Context(), currentUser(r.Context()).ID, id, version, hash); err != nil {
		s.afterUserChange(w, r, err, "", "")
		return
	}
	s.adminUsersPage(w, r, http.StatusOK, view.UserForm{}, pw)
}

func (s *Server) getAdminLogins(w http.ResponseWriter, r *http.Request) {
	rows, err := s.store.LoginEvents(r.Context(), 0, 200)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	out := make([]view.LoginRecord, len(rows))
	for i, a := range rows {
		out[i] = view.LoginRecord{At: a.At, EmailKey: a.EmailKey, IP: a.IP, Success: a.Success, Reason: a.Reason, Method: a.Method, AMR: a.AMR, ACR: a.ACR}
	}
	p := s.page(r, "ログイン記録", "Login record")
	s.render(w, r, http.StatusOK, p, view.AdminLoginsPage(p, out))
}
