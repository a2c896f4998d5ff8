package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// The second step of a password login. After the password the session holds only the pending
// user's id (sessMFAUser), not sessUserID: nothing but this step can use it, and it lapses after
// mfaPendingFor.
const (
	sessMFAUser = "mfa_user"
	sessMFAAt   = "mfa_at"
	sessMFADone = "mfa_done" // this session passed a second factor (or enrolled one)

	mfaPendingFor = 5 * time.Minute
)

// The one message for a wrong, reused or unknown code or recovery code.
const (
	mfaFailJA = "確認コードが正しくありません。"
	mfaFailEN = "The code is not correct."
)

// beginSecondFactor is the password login's hook: when the user has a second factor, the session
// waits for it instead of signing in. It reports whether it took over the response.
func (s *Server) beginSecondFactor(w http.ResponseWriter, r *http.Request, u store.User) (bool, error) {
	hasTOTP, passkeys, err := s.store.SecondFactors(r.Context(), u.ID)
	if err != nil || (!hasTOTP && passkeys == 0) {
		return false, err
	}
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		return false, err
	}
	s.sessions.Put(r.Context(), sessMFAUser, u.ID)
	s.sessions.Put(r.Context(), sessMFAAt, s.now().Unix())
	http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
	return true, nil
}

// pendingMFAUser is the user waiting for the second step, or 0 (none, or lapsed).
func (s *Server) pendingMFAUser(ctx context.Context) int64 {
	id := s.sessions.GetInt64(ctx, sessMFAUser)
	at := s.sessions.GetInt64(ctx, sessMFAAt)
	if id == 0 || s.now().Sub(time.Unix(at, 0)) > mfaPendingFor {
		return 0
	}
	return id
}

func (s *Server) clearPendingMFA(ctx context.Context) {
	s.sessions.Remove(ctx, sessMFAUser)
	s.sessions.Remove(ctx, sessMFAAt)
}

func (s *Server) getLoginMFA(w http.ResponseWriter, r *http.Request) {
	if currentUser(r.Context()) != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if s.pendingMFAUser(r.Context()) == 0 {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.renderLoginMFA(w, r, http.StatusOK, "")
}

// renderLoginMFA shows the second step with the factors the pending user has.
func (s *Server) renderLoginMFA(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	v := view.LoginMFAView{Error: errMsg}
	if id := s.pendingMFAUser(r.Context()); id != 0 {
		hasTOTP, passkeys, err := s.store.SecondFactors(r.Context(), id)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		v.TOTP, v.Passkey = hasTOTP, passkeys > 0 && s.wa != nil
	}
	p := s.page(r, "二要素認証", "Two-factor authentication")
	s.render(w, r, status, p, view.LoginMFAPage(p, v))
}

func (s *Server) postLoginMFA(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := s.pendingMFAUser(ctx)
	if id == 0 || currentUser(ctx) != nil {
		s.clearPendingMFA(ctx)
		s.flash(r, flashInfo, "もう一度ログインしてください。", "Please log in again.")
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	ev := store.LoginEvent{EmailKey: strings.ToLower(u.Email), IP: s.clientIP(r), UserID: u.ID, Method: "password+totp"}
	// The second step counts like the password (the same account key and address), checked and
	// counted in one step (store.BeginLogin): wrong codes add up with wrong passwords.
	attempt, locked, err := s.beginLogin(ctx, ev.EmailKey, ev.IP)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	fail := func(status int, reason, ja, en string) {
		ev.Reason = reason
		if err := s.store.FinishLoginEvent(ctx, attempt, ev); err != nil {
			s.serverError(w, r, err)
			return
		}
		s.renderLoginMFA(w, r, status, pick(s.lang(r), ja, en))
	}
	if locked {
		s.clearPendingMFA(ctx)
		fail(http.StatusTooManyRequests, "locked", lockedJA, lockedEN)
		return
	}
	if u.Disabled {
		s.clearPendingMFA(ctx)
		fail(http.StatusUnauthorized, "disabled", mfaFailJA, mfaFailEN)
		return
	}
	if rc := strings.TrimSpace(r.PostFormValue("recovery")); rc != "" {
		ev.Method = "password+recovery"
		ok, err := s.store.UseRecoveryCode(ctx, u.ID, auth.RecoveryHash(rc))
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if !ok {
			fail(http.StatusUnauthorized, "recovery", mfaFailJA, mfaFailEN)
			return
		}
	} else {
		secret, err := s.store.TOTP(ctx, u.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.serverError(w, r, err)
			return
		}
		step, ok := auth.TOTPStep(secret, r.PostFormValue("code"), s.now())
		ok = ok && secret != "" // a user with passkeys only has no code to give
		if !ok {
			fail(http.StatusUnauthorized, "totp", mfaFailJA, mfaFailEN)
			return
		}
		if fresh, err := s.store.UseTOTPStep(ctx, u.ID, step); err != nil {
			s.serverError(w, r, err)
			return
		} else if !fresh {
			fail(http.StatusUnauthorized, "totp_reused", mfaFailJA, mfaFailEN)
			return
		}
	}
	next, err := s.finishSecondStep(r, u, attempt, ev)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// beginLogin is store.BeginLogin with the configured limits: every sign-in step that counts
// failures (the password, the second step, a passkey, the current password on the account page)
// checks and counts in one step, so concurrent attempts cannot all pass one check.
func (s *Server) beginLogin(ctx context.Context, key, ip string) (attempt int64, locked bool, err error) {
	return s.store.BeginLogin(ctx, key, ip, s.now(), store.LoginLimits{
		PerAccount: s.cfg.LoginMaxFails, PerAddress: s.cfg.LoginIPMaxFails, Window: s.cfg.LoginWindow})
}

// finishSecondStep signs the pending user in and returns where to go.
func (s *Server) finishSecondStep(r *http.Request, u store.User, attempt int64, ev store.LoginEvent) (string, error) {
	ctx := r.Context()
	s.clearPendingMFA(ctx)
	if err := s.establish(r, u, "password"); err != nil {
		return "", err
	}
	s.sessions.Put(ctx, sessMFADone, true)
	ev.Success, ev.Reason = true, ""
	if err := s.store.FinishLoginEvent(ctx, attempt, ev); err != nil {
		return "", err
	}
	s.log.Info("login", "user_id", u.ID, "method", ev.Method, "request_id", requestID(ctx))
	next := s.sessions.PopString(ctx, sessNext)
	if !safeNext(next) {
		next = "/"
	}
	return next, nil
}

// establish makes the signed-in session: a new token (no fixation), the user, the login time, the
// epoch (store.EndSessions) and the method, and a fresh CSRF token.
func (s *Server) establish(r *http.Request, u store.User, method string) error {
	ctx := r.Context()
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessUserID, u.ID)
	s.sessions.Put(ctx, sessLoginAt, s.now().Unix())
	s.sessions.Put(ctx, sessEpoch, u.SessionEpoch)
	s.sessions.Put(ctx, sessMethod, method)
	s.sessions.Remove(ctx, sessCSRF)
	return s.trackSession(r, u.ID, method)
}

// trackSession lists the new session under the user (account_self.go), so it can be seen and ended.
func (s *Server) trackSession(r *http.Request, userID int64, method string) error {
	return s.store.TrackSession(r.Context(), userID, s.sessions.Token(r.Context()), s.clientIP(r), r.UserAgent(), method)
}

// requireMFAEnrolment sends a password user whose role must use a second factor, and who has
// none, to enrol before anything else. Single-sign-on sessions rely on the provider's MFA.
func (s *Server) requireMFAEnrolment(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		u := currentUser(ctx)
		if u == nil || s.sessions.GetBool(ctx, sessMFADone) || s.sessions.GetString(ctx, sessMethod) == "oidc" ||
			strings.HasPrefix(r.URL.Path, "/account/mfa") || strings.HasPrefix(r.URL.Path, "/account/passkeys") || r.URL.Path == "/logout" {
			next.ServeHTTP(w, r)
			return
		}
		due, err := s.store.MFAEnrolmentDue(ctx, u.ID)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if !due {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodGet {
			http.Redirect(w, r, "/account/mfa", http.StatusSeeOther)
			return
		}
		s.fail(w, r, http.StatusForbidden, &uiError{Code: "mfa_required", JA: "二要素認証の設定が必要です。アカウント画面で設定してください。", EN: "Set up two-factor authentication on the account page first."})
	})
}
