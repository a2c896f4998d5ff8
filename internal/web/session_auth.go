package web

import (
	"errors"
	"net/http"
	"net/mail"
	"strings"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

func (s *Server) getLogin(w http.ResponseWriter, r *http.Request) {
	if currentUser(r.Context()) != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	p := s.page(r, "ログイン", "Log in")
	s.render(w, r, http.StatusOK, p, view.LoginPage(p, s.loginForm(r, view.LoginForm{})))
}

// The single message for every failed login: it must not tell an attacker whether the address
// exists, is disabled or is locked.
const (
	loginFailJA = "メールアドレスまたはパスワードが正しくありません。"
	loginFailEN = "The e-mail or password is incorrect."
	lockedJA    = "ログインの失敗が続いたため、一時的にログインできません。しばらく（約15分）待ってから再度お試しください。急ぎの場合は管理者にパスワードの再発行を依頼してください。"
	lockedEN    = "Too many failed attempts: logins are paused for a while (about 15 minutes). If it is urgent, ask an administrator to reset your password."
)

func (s *Server) postLogin(w http.ResponseWriter, r *http.Request) {
	email := strings.TrimSpace(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	key := strings.ToLower(email)
	if len(key) > 254 {
		key = key[:254]
	}
	ip := s.clientIP(r)
	lang := s.lang(r)
	// The count and the check are one step, and a refused attempt is refused before any hashing and
	// without extending the lock (store.BeginLogin).
	attempt, locked, err := s.beginLogin(r.Context(), key, ip)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	fail := func(status int, msgJA, msgEN, reason string) {
		if reason != "locked" {
			if err := s.store.FinishLogin(r.Context(), attempt, false, reason); err != nil {
				s.serverError(w, r, err)
				return
			}
		}
		p := s.page(r, "ログイン", "Log in")
		s.render(w, r, status, p, view.LoginPage(p, s.loginForm(r, view.LoginForm{Email: email, Error: pick(lang, msgJA, msgEN)})))
	}
	if locked {
		s.log.Warn("login refused: rate limit", "request_id", requestID(r.Context()))
		fail(http.StatusTooManyRequests, lockedJA, lockedEN, "locked")
		return
	}
	if _, err := mail.ParseAddress(email); err != nil || password == "" {
		auth.BurnTime(password)
		fail(http.StatusUnauthorized, loginFailJA, loginFailEN, "malformed")
		return
	}
	u, err := s.store.UserByEmail(r.Context(), email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		auth.BurnTime(password)
		fail(http.StatusUnauthorized, loginFailJA, loginFailEN, "unknown")
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	if err := auth.VerifyPassword(password, u.PasswordHash); err != nil {
		fail(http.StatusUnauthorized, loginFailJA, loginFailEN, "password")
		return
	}
	if u.Disabled {
		fail(http.StatusUnauthorized, loginFailJA, loginFailEN, "disabled")
		return
	}
	if off, err := s.passwordRefused(r.Context(), u); err != nil || off {
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		fail(http.StatusUnauthorized, loginFailJA, loginFailEN, "password_off")
		return
	}
	if pending, err := s.beginSecondFactor(w, r, u); err != nil || pending {
		if err != nil {
			s.serverError(w, r, err)
		}
		// The password was right; the second step is an attempt of its own (store.BeginLogin).
		if err := s.store.FinishLogin(r.Context(), attempt, false, "second_step"); err != nil {
			s.log.Error("login: record", "err", err, "request_id", requestID(r.Context()))
		}
		return // the session waits for the second factor (login_mfa.go)
	}
	// A new session token on login defeats session fixation.
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		s.serverError(w, r, err)
		return
	}
	next := s.sessions.PopString(r.Context(), sessNext)
	s.sessions.Put(r.Context(), sessUserID, u.ID)
	s.sessions.Put(r.Context(), sessLoginAt, s.now().Unix())
	s.sessions.Put(r.Context(), sessEpoch, u.SessionEpoch) // a later reset, disable or password change ends this session
	if err := s.trackSession(r, u.ID, "password"); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.sessions.Remove(r.Context(), sessCSRF) // a fresh CSRF token for the authenticated session
	if err := s.store.FinishLogin(r.Context(), attempt, true, ""); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log.Info("login", "user_id", u.ID, "request_id", requestID(r.Context()))
	if !safeNext(next) {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// safeNext allows only local paths, so the login redirect cannot be turned into an open redirect.
// Control characters are refused anywhere: browsers drop tabs and newlines from a URL, so
// "/\t/evil.example" would be read as "//evil.example" (found by FuzzSafeNext).
func safeNext(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "/\\") &&
		!strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

func (s *Server) postLogout(w http.ResponseWriter, r *http.Request) {
	if u := currentUser(r.Context()); u != nil {
		s.log.Info("logout", "user_id", u.ID, "request_id", requestID(r.Context()))
	}
	target := s.logoutTarget(r)
	if err := s.sessions.Destroy(r.Context()); err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func (s *Server) postLang(w http.ResponseWriter, r *http.Request) {
	l := r.PostFormValue("lang")
	if l != "ja" && l != "en" {
		s.fail(w, r, http.StatusUnprocessableEntity, &uiError{Code: "invalid", JA: "言語の指定が正しくありません。", EN: "Unknown language.",
			Fields: []fieldError{{Field: "lang", JA: "ja か en を選んでください。", EN: "ja or en"}}})
		return
	}
	s.sessions.Put(r.Context(), sessLang, l)
	if u := currentUser(r.Context()); u != nil {
		if err := s.store.SetLang(r.Context(), u.ID, l); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	back := "/"
	if currentUser(r.Context()) == nil {
		back = "/login"
	} else if ref := r.PostFormValue("back"); safeNext(ref) {
		back = ref
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "アカウント", "Account")
	s.render(w, r, http.StatusOK, p, view.AccountPage(p, p.Lang))
}

// home sends each role to its starting page.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r.Context())
	if auth.Has(u.Roles, auth.RoleStaff, auth.RoleManager, auth.RolePrivacyOfficer, auth.RoleExecutive, auth.RoleHR, auth.RoleAuditor) {
		http.Redirect(w, r, "/cases", http.StatusSeeOther)
		return
	}
	if auth.Has(u.Roles, auth.RoleAdmin) {
		http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
		return
	}
	if auth.Has(u.Roles, auth.RoleReporter) {
		http.Redirect(w, r, "/report", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}
