package web

import (
	"errors"
	"net/http"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// Enrolling and removing the TOTP second factor on the account page. The secret being enrolled
// waits in the session (sessTOTPPending, as its otpauth:// URL) until a code from the app
// confirms it; only then is it stored.
const sessTOTPPending = "totp_pending"

func (s *Server) mfaView(r *http.Request) (view.MFAView, error) {
	ctx := r.Context()
	u := currentUser(ctx)
	var v view.MFAView
	set, err := s.store.GetAuthSettings(ctx)
	if err != nil {
		return v, err
	}
	v.Required = auth.Has(u.Roles, set.MFARoles...)
	v.WebAuthn = s.wa != nil
	if _, v.Passkeys, err = s.store.SecondFactors(ctx, u.ID); err != nil {
		return v, err
	}
	_, err = s.store.TOTP(ctx, u.ID)
	switch {
	case err == nil:
		v.Enrolled = true
		v.Left, err = s.store.RecoveryCodesLeft(ctx, u.ID)
		return v, err
	case !errors.Is(err, store.ErrNotFound):
		return v, err
	}
	keyURL := s.sessions.GetString(ctx, sessTOTPPending)
	if keyURL == "" {
		_, keyURL, err = auth.NewTOTP(u.Email)
		if err != nil {
			return v, err
		}
		s.sessions.Put(ctx, sessTOTPPending, keyURL)
	}
	v.Secret, err = auth.TOTPSecretOf(keyURL)
	return v, err
}

func (s *Server) renderMFA(w http.ResponseWriter, r *http.Request, status int, v view.MFAView) {
	p := s.page(r, "二要素認証", "Two-factor authentication")
	s.render(w, r, status, p, view.MFAPage(p, v))
}

func (s *Server) getAccountMFA(w http.ResponseWriter, r *http.Request) {
	v, err := s.mfaView(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.renderMFA(w, r, http.StatusOK, v)
}

// getAccountMFAQR is the QR code of the secret being enrolled, as a PNG from this origin (the
// page's CSP allows images from 'self' only).
func (s *Server) getAccountMFAQR(w http.ResponseWriter, r *http.Request) {
	if _, err := s.mfaView(r); err != nil { // makes the pending secret when the page has not yet
		s.serverError(w, r, err)
		return
	}
	keyURL := s.sessions.GetString(r.Context(), sessTOTPPending)
	if keyURL == "" { // enrolled already: there is no secret to show
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return
	}
	png, err := auth.TOTPQR(keyURL, 200)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(png)
}

func (s *Server) postAccountMFA(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := currentUser(ctx)
	keyURL := s.sessions.GetString(ctx, sessTOTPPending)
	if _, err := s.store.TOTP(ctx, u.ID); err == nil {
		http.Redirect(w, r, "/account/mfa", http.StatusSeeOther)
		return
	}
	// Without a secret being shown (the page was not opened in this session) no code can match:
	// the answer is the page with a new secret and the wrong-code message.
	secret, err := "", error(nil)
	if keyURL != "" {
		if secret, err = auth.TOTPSecretOf(keyURL); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	step, ok := auth.TOTPStep(secret, r.PostFormValue("code"), s.now())
	ok = ok && secret != ""
	if !ok {
		v, err := s.mfaView(r)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		v.Error = pick(s.lang(r), "確認コードが正しくありません。アプリに表示されている最新のコードを入力してください。", "The code is not correct. Enter the newest code the app shows.")
		s.renderMFA(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	codes, hashes := auth.NewRecoveryCodes()
	if err := s.store.EnrolTOTP(ctx, u.ID, secret, step, hashes); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.sessions.Remove(ctx, sessTOTPPending)
	s.sessions.Put(ctx, sessMFADone, true)
	s.log.Info("mfa enrolled", "user_id", u.ID, "request_id", requestID(ctx))
	// The recovery codes are on this response only; the database keeps their hashes.
	s.renderMFA(w, r, http.StatusOK, view.MFAView{Enrolled: true, Codes: codes})
}

// postAccountMFARemove turns the second factor off with a current code, unless a role requires it.
func (s *Server) postAccountMFARemove(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := currentUser(ctx)
	v, err := s.mfaView(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if !v.Enrolled {
		http.Redirect(w, r, "/account/mfa", http.StatusSeeOther)
		return
	}
	if v.Required {
		v.Error = pick(s.lang(r), "あなたの役割では二要素認証が必須のため、解除できません。", "Your role requires two-factor authentication.")
		s.renderMFA(w, r, http.StatusForbidden, v)
		return
	}
	secret, err := s.store.TOTP(ctx, u.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	step, ok := auth.TOTPStep(secret, r.PostFormValue("code"), s.now())
	fresh := false
	if ok {
		if fresh, err = s.store.UseTOTPStep(ctx, u.ID, step); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	if !fresh {
		v.Error = pick(s.lang(r), mfaFailJA, mfaFailEN)
		s.renderMFA(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	if err := s.store.RemoveTOTP(ctx, u.ID, u.ID); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.flash(r, flashSuccess, "二要素認証を解除しました。", "Two-factor authentication is off.")
	http.Redirect(w, r, "/account/mfa", http.StatusSeeOther)
}
