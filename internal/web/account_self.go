package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// Self-service: one's own password, sessions and sign-in history.

func (s *Server) getAccountSessions(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := currentUser(ctx)
	list, err := s.store.UserSessions(ctx, u.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	current := s.sessions.Token(ctx)
	rows := make([]view.SessionRow, len(list))
	for i, x := range list {
		rows[i] = view.SessionRow{ID: x.ID, CreatedAt: x.CreatedAt, IP: x.IP, UserAgent: x.UserAgent, Method: x.Method, Current: x.Token == current}
	}
	logins, err := s.store.UserLogins(ctx, u.ID, u.Email, 20)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	lrows := make([]view.LoginRow, len(logins))
	for i, l := range logins {
		lrows[i] = view.LoginRow{At: l.At, IP: l.IP, Success: l.Success, Reason: l.Reason, Method: l.Method, AMR: l.AMR}
	}
	p := s.page(r, "ログイン中の端末と履歴", "Sessions and sign-in history")
	s.render(w, r, http.StatusOK, p, view.AccountSessionsPage(p, rows, lrows))
}

func (s *Server) postAccountSessionEnd(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, errMalformed)
		return
	}
	err = s.store.EndUserSession(r.Context(), currentUser(r.Context()).ID, id)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, errNotFound) // another user's session is not found either
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.flash(r, flashSuccess, "そのセッションをログアウトさせました。", "That session has ended.")
	http.Redirect(w, r, "/account/sessions", http.StatusSeeOther)
}

func (s *Server) getAccountPassword(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "パスワードの変更", "Change password")
	s.render(w, r, http.StatusOK, p, view.AccountPasswordPage(p, view.PasswordForm{SSO: currentUser(r.Context()).PasswordHash == "", Forced: mustChange(r.Context())}))
}

func (s *Server) postAccountPassword(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := currentUser(ctx)
	lang := s.lang(r)
	cur, pw, confirm := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("confirm")
	f := view.PasswordForm{Errors: map[string]string{}, SSO: u.PasswordHash == "", Forced: mustChange(ctx)}
	if f.SSO {
		s.fail(w, r, http.StatusBadRequest, errMalformed)
		return
	}
	// The current password is checked like a login: a wrong one is recorded and counts towards the
	// account's lockout, so a left-open session cannot be used to guess it.
	// Checked and counted in one step like the login (store.BeginLogin); a locked attempt is
	// refused before hashing.
	key := strings.ToLower(u.Email)
	ev := store.LoginEvent{EmailKey: key, IP: s.clientIP(r), Method: "password", UserID: u.ID}
	attempt, locked, err := s.beginLogin(ctx, key, ev.IP)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if locked {
		ev.Reason = "locked"
		f.Errors["current"] = pick(lang, lockedJA, lockedEN)
	} else if err := auth.VerifyPassword(cur, u.PasswordHash); err != nil {
		ev.Reason = "password_change"
		f.Errors["current"] = pick(lang, "現在のパスワードが正しくありません。", "The current password is incorrect.")
	} else {
		// The right current password is not a login: it neither counts nor resets the count.
		ev.Reason = "password_verified"
	}
	if err := s.store.FinishLoginEvent(ctx, attempt, ev); err != nil {
		s.serverError(w, r, err)
		return
	}
	if ja, en, ok := auth.CheckPasswordPolicy(pw); !ok {
		f.Errors["new"] = pick(lang, ja, en)
	} else if pw == cur {
		f.Errors["new"] = pick(lang, "現在と異なるパスワードにしてください。", "Choose a password different from the current one.")
	}
	if confirm != pw {
		f.Errors["confirm"] = pick(lang, "確認用のパスワードが一致しません。", "The two new passwords differ.")
	}
	if len(f.Errors) > 0 {
		p := s.page(r, "パスワードの変更", "Change password")
		s.render(w, r, http.StatusUnprocessableEntity, p, view.AccountPasswordPage(p, f))
		return
	}
	hash, err := auth.HashPassword(pw, s.params)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	epoch, err := s.store.ChangeOwnPassword(ctx, u.ID, hash, s.sessions.Token(ctx))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.sessions.Put(ctx, sessEpoch, epoch) // this session stays; every other one is over
	s.log.Info("password changed", "user_id", u.ID, "request_id", requestID(ctx))
	s.flash(r, flashSuccess, "パスワードを変更しました。他の端末のログインと API トークンは無効になりました。", "Password changed. Your other sessions and API tokens have ended.")
	if f.Forced {
		http.Redirect(w, r, "/", http.StatusSeeOther) // the temporary password is gone: on to the app
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}
