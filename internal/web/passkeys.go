package web

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/leakdesk/leakdesk/internal/store"
)

// Passkeys and security keys (WebAuthn) as a second factor: registered on the account page,
// asked for at the second step of a password login. The browser side is web/static/passkey.js;
// the ceremonies' challenges wait in the server-side session between begin and finish.
const (
	sessWARegister = "webauthn_register"
	sessWALogin    = "webauthn_login"
)

// newWebAuthn configures the relying party from LEAKDESK_BASE_URL: its host is the RP ID (a
// passkey works for that host only) and the URL its only allowed origin.
func newWebAuthn(s *Server) *webauthn.WebAuthn {
	u, err := url.Parse(s.cfg.BaseURL)
	if err != nil {
		return nil
	}
	wa, err := webauthn.New(&webauthn.Config{RPDisplayName: "leakdesk", RPID: u.Hostname(), RPOrigins: []string{s.cfg.BaseURL}})
	if err != nil {
		s.log.Warn("webauthn unavailable", "err", err) // an IP address cannot be an RP ID
		return nil
	}
	return wa
}

// waUser is a leakdesk user as go-webauthn sees it. The user handle is the account id: stable,
// and not personal data.
type waUser struct {
	u     store.User
	creds []webauthn.Credential
}

func (w waUser) WebAuthnID() []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, uint64(w.u.ID))
	return b
}
func (w waUser) WebAuthnName() string                       { return w.u.Email }
func (w waUser) WebAuthnDisplayName() string                { return w.u.Name }
func (w waUser) WebAuthnCredentials() []webauthn.Credential { return w.creds }

func (s *Server) loadWAUser(ctx context.Context, u store.User) (waUser, error) {
	raw, err := s.store.Passkeys(ctx, u.ID)
	if err != nil {
		return waUser{}, err
	}
	w := waUser{u: u}
	for _, b := range raw {
		var c webauthn.Credential
		if err := json.Unmarshal(b, &c); err != nil {
			return waUser{}, err
		}
		w.creds = append(w.creds, c)
	}
	return w, nil
}

func (s *Server) jsonError(w http.ResponseWriter, r *http.Request, status int, ja, en string) {
	writeJSON(w, status, map[string]string{"error": pick(s.lang(r), ja, en)})
}

func (s *Server) postPasskeyRegisterBegin(w http.ResponseWriter, r *http.Request) {
	if s.wa == nil {
		s.jsonError(w, r, http.StatusNotFound, "この環境ではパスキーを使えません（LEAKDESK_BASE_URL がホスト名ではありません）。", "Passkeys are unavailable here (LEAKDESK_BASE_URL has no host name).")
		return
	}
	wu, err := s.loadWAUser(r.Context(), *currentUser(r.Context()))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	opts, sd, err := s.wa.BeginRegistration(wu, webauthn.WithExclusions(webauthn.Credentials(wu.creds).CredentialDescriptors()))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	b, _ := json.Marshal(sd)
	s.sessions.Put(r.Context(), sessWARegister, string(b))
	writeJSON(w, http.StatusOK, opts)
}

func (s *Server) postPasskeyRegisterFinish(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var sd webauthn.SessionData
	raw := s.sessions.PopString(ctx, sessWARegister)
	if s.wa == nil || raw == "" || json.Unmarshal([]byte(raw), &sd) != nil {
		s.jsonError(w, r, http.StatusBadRequest, "登録をやり直してください。", "Please start the registration again.")
		return
	}
	u := *currentUser(ctx)
	wu, err := s.loadWAUser(ctx, u)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	cred, err := s.wa.FinishRegistration(wu, sd, r)
	if err != nil {
		s.log.Warn("passkey registration refused", "err", err, "request_id", requestID(ctx))
		s.jsonError(w, r, http.StatusBadRequest, "パスキーを登録できませんでした。もう一度お試しください。", "The passkey could not be registered. Please try again.")
		return
	}
	b, err := json.Marshal(cred)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if err := s.store.AddPasskey(ctx, u.ID, cred.ID, b); errors.Is(err, store.ErrDuplicate) {
		s.jsonError(w, r, http.StatusConflict, "このパスキーは登録済みです。", "This passkey is registered already.")
		return
	} else if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.sessions.Put(ctx, sessMFADone, true)
	s.flash(r, flashSuccess, "パスキーを登録しました。", "Passkey registered.")
	writeJSON(w, http.StatusOK, map[string]string{"redirect": "/account/mfa"})
}

// postPasskeyLoginBegin starts the passkey check of a pending password login.
func (s *Server) postPasskeyLoginBegin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := s.pendingMFAUser(ctx)
	if s.wa == nil || id == 0 {
		s.jsonError(w, r, http.StatusUnauthorized, "もう一度ログインしてください。", "Please log in again.")
		return
	}
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	wu, err := s.loadWAUser(ctx, u)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if len(wu.creds) == 0 {
		s.jsonError(w, r, http.StatusUnauthorized, mfaFailJA, mfaFailEN)
		return
	}
	opts, sd, err := s.wa.BeginLogin(wu)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	b, _ := json.Marshal(sd)
	s.sessions.Put(ctx, sessWALogin, string(b))
	writeJSON(w, http.StatusOK, opts)
}

// postPasskeyLoginFinish checks the assertion; a failure is logged and counted like a wrong code.
func (s *Server) postPasskeyLoginFinish(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := s.pendingMFAUser(ctx)
	raw := s.sessions.PopString(ctx, sessWALogin)
	var sd webauthn.SessionData
	if s.wa == nil || id == 0 || raw == "" || json.Unmarshal([]byte(raw), &sd) != nil {
		s.jsonError(w, r, http.StatusUnauthorized, "もう一度ログインしてください。", "Please log in again.")
		return
	}
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	ev := store.LoginEvent{EmailKey: strings.ToLower(u.Email), IP: s.clientIP(r), UserID: u.ID, Method: "password+webauthn"}
	attempt, locked, err := s.beginLogin(ctx, ev.EmailKey, ev.IP)
	if err != nil {
		s.serverError(w, r, err)
		return
	} else if locked || u.Disabled {
		s.clearPendingMFA(ctx)
		ev.Reason = "locked"
		if u.Disabled {
			ev.Reason = "disabled"
		}
		_ = s.store.FinishLoginEvent(ctx, attempt, ev)
		s.jsonError(w, r, http.StatusTooManyRequests, lockedJA, lockedEN)
		return
	}
	wu, err := s.loadWAUser(ctx, u)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	cred, err := s.wa.FinishLogin(wu, sd, r)
	if err == nil && cred.Authenticator.CloneWarning {
		err = errors.New("sign count went backwards: a cloned authenticator")
	}
	if err != nil {
		s.log.Warn("passkey login refused", "err", err, "request_id", requestID(ctx))
		ev.Reason = "webauthn"
		if err := s.store.FinishLoginEvent(ctx, attempt, ev); err != nil {
			s.serverError(w, r, err)
			return
		}
		s.jsonError(w, r, http.StatusUnauthorized, mfaFailJA, mfaFailEN)
		return
	}
	b, _ := json.Marshal(cred)
	if err := s.store.UsePasskey(ctx, u.ID, cred.ID, b); err != nil {
		s.serverError(w, r, err)
		return
	}
	next, err := s.finishSecondStep(r, u, attempt, ev)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"redirect": next})
}
