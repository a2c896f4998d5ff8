package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"math"
	"net/http"
	"net/mail"
	"strings"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/sso"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// Session keys of single sign-on. The state, nonce and PKCE verifier live in the server-side
// session between the redirect to the provider and its callback, and are popped there, so each is
// good for one callback only.
const (
	sessOIDCState    = "oidc_state"
	sessOIDCNonce    = "oidc_nonce"
	sessOIDCVerifier = "oidc_verifier"
	sessIDToken      = "oidc_id_token" // the logout hint for the provider's end-session endpoint
	sessEpoch        = "epoch"         // the user's session epoch at login (store.EndSessions)
	sessMethod       = "login_method"  // "password" or "oidc"
)

// The single message for every failed single-sign-on login: a wrong state, a replayed code, an
// expired token or one for another client tell an attacker nothing apart.
const (
	ssoFailJA = "社内アカウントでログインできませんでした。もう一度お試しください。続く場合は管理者に連絡してください。"
	ssoFailEN = "Signing in with your company account failed. Please try again; if it keeps failing, contact an administrator."
)

// ssoAccountKey is the login log's account key of a failure before the provider has said who the
// person is (a bad state or code): such failures count against the client address only.
const ssoAccountKey = "(oidc)"

// newSSO builds the provider from the configuration; nil when single sign-on is off.
func newSSO(s *Server) *sso.Provider {
	if !s.cfg.OIDC() {
		return nil
	}
	return sso.New(sso.Config{
		Issuer: s.cfg.OIDCIssuer, ClientID: s.cfg.OIDCClientID, ClientSecret: s.cfg.OIDCClientSecret,
		RedirectURL: s.cfg.BaseURL + sso.CallbackPath, Scopes: s.cfg.OIDCScopes, GroupsClaim: s.cfg.OIDCGroupsClaim,
		Now: s.now,
	})
}

// getLoginOIDC sends the browser to the provider. It is a GET (a link on the login page): a form
// post redirected to another origin would need that origin in the CSP form-action, and what it
// writes (the login's secrets in the session) changes nothing a forged request could use, since
// the callback must come back to the same session.
func (s *Server) getLoginOIDC(w http.ResponseWriter, r *http.Request) {
	if s.sso == nil {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return
	}
	if currentUser(r.Context()) != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	st, err := s.sso.Begin(r.Context())
	if err != nil {
		s.log.Error("sso: begin", "err", err, "request_id", requestID(r.Context()))
		s.ssoFail(w, r, 0, store.LoginEvent{EmailKey: ssoAccountKey, Reason: "oidc_discovery"}, http.StatusServiceUnavailable)
		return
	}
	s.sessions.Put(r.Context(), sessOIDCState, st.State)
	s.sessions.Put(r.Context(), sessOIDCNonce, st.Nonce)
	s.sessions.Put(r.Context(), sessOIDCVerifier, st.Verifier)
	http.Redirect(w, r, st.URL, http.StatusSeeOther)
}

// getOIDCCallback finishes the login: state, code with PKCE, ID token, nonce; then finds or makes
// the user. Every failure answers with the same page and is recorded with its reason.
func (s *Server) getOIDCCallback(w http.ResponseWriter, r *http.Request) {
	if s.sso == nil {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return
	}
	ctx := r.Context()
	state := s.sessions.PopString(ctx, sessOIDCState)
	nonce := s.sessions.PopString(ctx, sessOIDCNonce)
	verifier := s.sessions.PopString(ctx, sessOIDCVerifier)
	ev := store.LoginEvent{EmailKey: ssoAccountKey}
	// Checked and counted in one step (store.BeginLogin), first against the client address only
	// (who it is is not known yet), then, once the provider has said, against the account too.
	attempt, locked, err := s.ssoBegin(ctx, ev.EmailKey, s.clientIP(r))
	if err != nil {
		s.serverError(w, r, err)
		return
	} else if locked {
		ev.Reason = "locked"
		s.ssoFail(w, r, attempt, ev, http.StatusTooManyRequests)
		return
	}
	q := r.URL.Query()
	got := q.Get("state")
	switch {
	case state == "" || got == "" || subtle.ConstantTimeCompare([]byte(state), []byte(got)) != 1:
		ev.Reason = "oidc_state"
	case q.Get("error") != "":
		ev.Reason = "oidc_idp_error" // the provider refused (the user cancelled, or has no access)
	case q.Get("code") == "":
		ev.Reason = "oidc_no_code"
	}
	if ev.Reason != "" {
		s.ssoFail(w, r, attempt, ev, http.StatusUnauthorized)
		return
	}
	id, err := s.sso.Finish(ctx, q.Get("code"), verifier, nonce)
	if err != nil {
		ev.Reason = ssoReason(err)
		s.log.Warn("sso: login refused", "reason", ev.Reason, "err", err, "request_id", requestID(ctx))
		s.ssoFail(w, r, attempt, ev, http.StatusUnauthorized)
		return
	}
	ev.AMR, ev.ACR = id.AMR, id.ACR
	if a, err := mail.ParseAddress(id.Email); err == nil && a.Address == id.Email {
		ev.EmailKey = strings.ToLower(id.Email)
	}
	// The provider's answer is verified: that attempt is over without counting, and the account's
	// own begins.
	verified := ev
	verified.Reason = "oidc_verified"
	if err := s.store.FinishLoginEvent(ctx, attempt, s.loginEvent(r, verified)); err != nil {
		s.serverError(w, r, err)
		return
	}
	if attempt, locked, err = s.ssoBegin(ctx, ev.EmailKey, s.clientIP(r)); err != nil {
		s.serverError(w, r, err)
		return
	} else if locked {
		ev.Reason = "locked"
		s.ssoFail(w, r, attempt, ev, http.StatusTooManyRequests)
		return
	}
	u, reason, err := s.ssoUser(ctx, id)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	ev.UserID = u.ID
	if reason != "" {
		ev.Reason = reason
		s.ssoFail(w, r, attempt, ev, http.StatusUnauthorized)
		return
	}
	if err := s.sso2Session(r, u, id.IDToken); err != nil {
		s.serverError(w, r, err)
		return
	}
	ev.Success, ev.Method = true, "oidc"
	if err := s.store.FinishLoginEvent(ctx, attempt, s.loginEvent(r, ev)); err != nil {
		s.serverError(w, r, err)
		return
	}
	if err := s.store.TouchIdentity(ctx, id.Issuer, id.Subject); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log.Info("login", "user_id", u.ID, "method", "oidc", "request_id", requestID(ctx))
	next := s.sessions.PopString(ctx, sessNext)
	if !safeNext(next) {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// ssoReason names a Finish error for the login log.
func ssoReason(err error) string {
	switch {
	case errors.Is(err, sso.ErrExchange):
		return "oidc_code" // replayed, expired or redeemed without the right PKCE verifier
	case errors.Is(err, sso.ErrExpired):
		return "oidc_expired"
	case errors.Is(err, sso.ErrNonce):
		return "oidc_nonce"
	case errors.Is(err, sso.ErrDiscovery):
		return "oidc_discovery"
	}
	return "oidc_token" // signature, issuer, audience, missing claims
}

// ssoUser resolves the verified identity to a user: by (issuer, subject); else, on the first
// login, by e-mail (linking the account an administrator made); else a new account with
// auth.DefaultSSORoles. A non-empty reason refuses the login. A disabled account loses every
// session and token it still has: its owner has left.
func (s *Server) ssoUser(ctx context.Context, id sso.Identity) (store.User, string, error) {
	u, err := s.store.UserByIdentity(ctx, id.Issuer, id.Subject)
	switch {
	case errors.Is(err, store.ErrNotFound):
		u, err = s.ssoFirstLogin(ctx, id)
		if errors.Is(err, errSSONoEmail) {
			return u, "oidc_no_email", nil
		}
		if errors.Is(err, store.ErrDuplicate) {
			// The address belongs to an account linked to another identity (or a race with a second
			// tab's first login): never hand one person's account to another subject.
			return u, "oidc_conflict", nil
		}
		if err != nil {
			return u, "", err
		}
	case err != nil:
		return u, "", err
	}
	if u.Disabled {
		if err := s.store.EndSessions(ctx, 0, u.ID, "sso_login_disabled"); err != nil {
			return u, "", err
		}
		return u, "disabled", nil
	}
	if len(s.cfg.OIDCGroupRoles) > 0 {
		// With a mapping configured the IdP's groups are the truth for SSO users' roles, so
		// removing someone from a group takes the access away at their next login.
		if u, err = s.store.SetRolesFromIdP(ctx, u, s.cfg.OIDCGroupRoles.For(id.Groups)); err != nil {
			return u, "", err
		}
	}
	return u, "", nil
}

var errSSONoEmail = errors.New("sso: no usable e-mail address")

func (s *Server) ssoFirstLogin(ctx context.Context, id sso.Identity) (store.User, error) {
	a, err := mail.ParseAddress(id.Email)
	if err != nil || a.Address != id.Email || len(id.Email) > 254 || (id.EmailVerified != nil && !*id.EmailVerified) {
		// An address the provider says it has not verified could be anyone's: it neither links
		// nor creates an account. A provider that sends no email_verified claim (Entra ID) is
		// trusted for its own tenant's addresses (docs/operations.md: single-tenant issuer only).
		return store.User{}, errSSONoEmail
	}
	u, err := s.store.UserByEmail(ctx, id.Email)
	if err == nil {
		// An account already linked to another subject stays with it (the address was reused for
		// a different person at the provider, or it is a second identity of the same issuer).
		if has, err := s.store.HasIdentity(ctx, u.ID); err != nil {
			return u, err
		} else if has {
			return u, store.ErrDuplicate
		}
		return u, s.store.LinkIdentity(ctx, u.ID, id.Issuer, id.Subject)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return u, err
	}
	name := strings.TrimSpace(id.Name)
	if name == "" || len(name) > 200 {
		name, _, _ = strings.Cut(id.Email, "@")
	}
	roles := auth.DefaultSSORoles
	if len(s.cfg.OIDCGroupRoles) > 0 {
		roles = s.cfg.OIDCGroupRoles.For(id.Groups)
	}
	return s.store.CreateSSOUser(ctx, id.Email, name, roles, id.Issuer, id.Subject)
}

// sso2Session makes the signed-in session (establish) and keeps the ID token as the logout hint.
func (s *Server) sso2Session(r *http.Request, u store.User, idToken string) error {
	if err := s.establish(r, u, "oidc"); err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessIDToken, idToken)
	return nil
}

// ssoBegin applies the password login's limits (store.BeginLogin): failures per account key and
// per client address within the window, counted together with password failures. The key of a
// failure before the provider has said who it is (ssoAccountKey) counts against the address only.
func (s *Server) ssoBegin(ctx context.Context, key, ip string) (attempt int64, locked bool, err error) {
	lim := store.LoginLimits{PerAccount: s.cfg.LoginMaxFails, PerAddress: s.cfg.LoginIPMaxFails, Window: s.cfg.LoginWindow}
	if key == ssoAccountKey {
		lim.PerAccount = math.MaxInt
	}
	return s.store.BeginLogin(ctx, key, ip, s.now(), lim)
}

func (s *Server) loginEvent(r *http.Request, ev store.LoginEvent) store.LoginEvent {
	ev.IP = s.clientIP(r)
	if ev.Method == "" {
		ev.Method = "oidc"
	}
	return ev
}

// ssoFail records the failure as the outcome of the attempt (0: a failure before any attempt
// began, recorded on its own) and shows the login page with the one message.
func (s *Server) ssoFail(w http.ResponseWriter, r *http.Request, attempt int64, ev store.LoginEvent, status int) {
	record := func() error { return s.store.RecordLoginEvent(r.Context(), s.loginEvent(r, ev)) }
	if attempt != 0 {
		record = func() error { return s.store.FinishLoginEvent(r.Context(), attempt, s.loginEvent(r, ev)) }
	}
	if err := record(); err != nil {
		s.serverError(w, r, err)
		return
	}
	msgJA, msgEN := ssoFailJA, ssoFailEN
	if ev.Reason == "locked" {
		msgJA, msgEN = lockedJA, lockedEN
	}
	p := s.page(r, "ログイン", "Log in")
	s.render(w, r, status, p, view.LoginPage(p, s.loginForm(r, view.LoginForm{Error: pick(s.lang(r), msgJA, msgEN)})))
}

// loginForm adds the sign-in options to the login page: the company-account button when single
// sign-on is configured, and whether passwords are off (the form then folds away for the
// break-glass administrator).
func (s *Server) loginForm(r *http.Request, f view.LoginForm) view.LoginForm {
	f.SSO = s.sso != nil
	if set, err := s.store.GetAuthSettings(r.Context()); err == nil {
		f.PasswordsOff = !set.PasswordLogin
	}
	return f
}

// passwordRefused is the password login's hook for the admin setting: with passwords off only the
// break-glass administrator may use one. It runs after the password was verified, so the answer
// (the same message as a wrong password) reveals nothing to someone who does not know it.
func (s *Server) passwordRefused(ctx context.Context, u store.User) (bool, error) {
	set, err := s.store.GetAuthSettings(ctx)
	if err != nil {
		return false, err
	}
	return !set.PasswordLogin && u.ID != set.BreakGlassUser, nil
}

// logoutTarget is where logout sends the browser: the provider's end-session endpoint for a
// single-sign-on session when it has one (so the company account is signed out too), else the
// login page. Read before the session is destroyed.
func (s *Server) logoutTarget(r *http.Request) string {
	if s.sso == nil || s.sessions.GetString(r.Context(), sessMethod) != "oidc" {
		return "/login"
	}
	if u := s.sso.EndSessionURL(s.sessions.GetString(r.Context(), sessIDToken), s.cfg.BaseURL+"/login"); u != "" {
		return u
	}
	return "/login"
}

// formActionOrigins are the provider origins logout's form may be redirected to (CSP form-action).
func (s *Server) formActionOrigins() []string {
	if s.sso == nil {
		return nil
	}
	return s.sso.Origins()
}
