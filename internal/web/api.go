package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/store"
)

// bearer authenticates API requests by token. Cookies are deliberately ignored on the API so that
// a browser session can never be ridden by a cross-site request to it.
func (s *Server) bearer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="leakdesk"`)
			s.fail(w, r, http.StatusUnauthorized, errUnauthenticated)
			return
		}
		u, err := s.store.UserByToken(r.Context(), auth.TokenHash(strings.TrimSpace(token)))
		if errors.Is(err, store.ErrNotFound) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="leakdesk", error="invalid_token"`)
			s.fail(w, r, http.StatusUnauthorized, errUnauthenticated)
			return
		}
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if info, ok := r.Context().Value(keyInfo).(*reqInfo); ok {
			info.userID = u.ID
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyUser, &u)))
	})
}

type apiUser struct {
	ID    int64    `json:"id"`
	Email string   `json:"email"`
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r.Context())
	roles := make([]string, len(u.Roles))
	for i, x := range u.Roles {
		roles[i] = string(x)
	}
	writeJSON(w, http.StatusOK, apiUser{ID: u.ID, Email: u.Email, Name: u.Name, Roles: roles})
}
