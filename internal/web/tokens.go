package web

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// Self-service API tokens (issue 17): every signed-in user makes, lists and revokes their own, on
// /account/tokens and through /api/v1/me/tokens. A token is shown once, when it is made; only its
// hash is stored.

// tokenLabel checks a token's label: 1 to 100 characters once trimmed.
func tokenLabel(label string) (string, []fieldError) {
	label = strings.TrimSpace(label)
	if label == "" || utf8.RuneCountInString(label) > 100 {
		return "", []fieldError{{Field: "label", JA: "用途を100文字以内で入力してください。", EN: "label: 1 to 100 characters"}}
	}
	return label, nil
}

// createToken makes a token for the current user; it returns the token (to show once).
func (s *Server) createToken(r *http.Request, label string) (string, store.Token, error) {
	tok, hash, err := auth.NewToken()
	if err != nil {
		return "", store.Token{}, err
	}
	t, err := s.store.CreateOwnToken(r.Context(), currentUser(r.Context()).ID, hash, label)
	return tok, t, err
}

func (s *Server) tokensPage(w http.ResponseWriter, r *http.Request, status int, label string, errs map[string]string, newToken string) {
	ts, err := s.store.Tokens(r.Context(), currentUser(r.Context()).ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	rows := make([]view.TokenRow, len(ts))
	for i, t := range ts {
		rows[i] = view.TokenRow{ID: t.ID, Label: t.Label, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, Revoked: t.RevokedAt != nil}
	}
	if errs == nil {
		errs = map[string]string{}
	}
	p := s.page(r, "API トークン", "API tokens")
	s.render(w, r, status, p, view.TokensPage(p, rows, label, errs, newToken))
}

func (s *Server) getTokens(w http.ResponseWriter, r *http.Request) {
	s.tokensPage(w, r, http.StatusOK, "", nil, "")
}

func (s *Server) postToken(w http.ResponseWriter, r *http.Request) {
	label, fes := tokenLabel(r.PostFormValue("label"))
	if fes != nil {
		s.tokensPage(w, r, http.StatusUnprocessableEntity, r.PostFormValue("label"), fieldMap(s.lang(r), fes), "")
		return
	}
	tok, _, err := s.createToken(r, label)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.tokensPage(w, r, http.StatusCreated, "", nil, tok)
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) bool {
	id, ok := caseIDParam(r, "tid")
	if !ok {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return false
	}
	err := s.store.RevokeToken(r.Context(), currentUser(r.Context()).ID, id)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return false
	}
	if err != nil {
		s.serverError(w, r, err)
		return false
	}
	return true
}

func (s *Server) postTokenRevoke(w http.ResponseWriter, r *http.Request) {
	if s.revokeToken(w, r) {
		s.flash(r, flashSuccess, "トークンを失効させました。", "Token revoked.")
		http.Redirect(w, r, "/account/tokens", http.StatusSeeOther)
	}
}

type apiTokenIn struct {
	Label string `json:"label"`
}

func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request) {
	var in apiTokenIn
	if status, ue := decodeJSON(r, &in); ue != nil {
		s.fail(w, r, status, ue)
		return
	}
	label, fes := tokenLabel(in.Label)
	if fes != nil {
		s.fail(w, r, http.StatusUnprocessableEntity, invalidInput(fes))
		return
	}
	tok, t, err := s.createToken(r, label)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": t.ID, "label": t.Label, "created_at": t.CreatedAt, "token": tok})
}

func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.store.Tokens(r.Context(), currentUser(r.Context()).ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if ts == nil {
		ts = []store.Token{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": ts})
}

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request) {
	if s.revokeToken(w, r) {
		w.WriteHeader(http.StatusNoContent)
	}
}
