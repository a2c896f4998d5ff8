package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"net/mail"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/store"
)

// A minimal SCIM 2.0 Users endpoint (RFC 7643/7644) for identity providers that push joiners and
// leavers (Entra ID provisioning, Okta): create a user, find one by userName, deactivate (or
// reactivate) one. Deactivating ends the user's sessions and tokens at once. Users are never
// deleted here (DELETE deactivates): the audit trail names them. Off unless LEAKDESK_SCIM_TOKEN is set.

const (
	scimUserSchema  = "urn:ietf:params:scim:schemas:core:2.0:User"
	scimListSchema  = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	scimErrorSchema = "urn:ietf:params:scim:api:messages:2.0:Error"
	scimPatchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

type scimUser struct {
	Schemas     []string    `json:"schemas"`
	ID          string      `json:"id,omitempty"`
	ExternalID  string      `json:"externalId,omitempty"`
	UserName    string      `json:"userName"`
	DisplayName string      `json:"displayName,omitempty"`
	Name        *scimName   `json:"name,omitempty"`
	Emails      []scimEmail `json:"emails,omitempty"`
	Active      *bool       `json:"active,omitempty"`
	Meta        *scimMeta   `json:"meta,omitempty"`
}

type scimName struct {
	Formatted  string `json:"formatted,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
	GivenName  string `json:"givenName,omitempty"`
}

type scimEmail struct {
	Value   string `json:"value"`
	Primary bool   `json:"primary,omitempty"`
}

type scimMeta struct {
	ResourceType string `json:"resourceType"`
	Location     string `json:"location"`
}

func (s *Server) scimJSON(w http.ResponseWriter, status int, v any) {
	writeJSONType(w, status, "application/scim+json", v)
}

func (s *Server) scimError(w http.ResponseWriter, status int, scimType, detail string) {
	s.scimJSON(w, status, map[string]any{"schemas": []string{scimErrorSchema}, "status": strconv.Itoa(status), "scimType": scimType, "detail": detail})
}

// scimAuth checks the provisioning bearer token (compared as SHA-256 digests in constant time).
func (s *Server) scimAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.SCIMToken == "" {
			s.scimError(w, http.StatusNotFound, "", "SCIM is not enabled")
			return
		}
		got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(s.cfg.SCIMToken))
		if got == "" || subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="leakdesk-scim"`)
			s.scimError(w, http.StatusUnauthorized, "", "invalid token")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) scimResource(u store.User) scimUser {
	active := !u.Disabled
	id := strconv.FormatInt(u.ID, 10)
	return scimUser{Schemas: []string{scimUserSchema}, ID: id, UserName: u.Email, DisplayName: u.Name,
		Name: &scimName{Formatted: u.Name}, Emails: []scimEmail{{Value: u.Email, Primary: true}}, Active: &active,
		Meta: &scimMeta{ResourceType: "User", Location: s.cfg.BaseURL + "/scim/v2/Users/" + id}}
}

// getSCIMUsers answers the provider's lookup: filter=userName eq "a@b" (the only filter providers need).
func (s *Server) getSCIMUsers(w http.ResponseWriter, r *http.Request) {
	var out []scimUser
	f := strings.TrimSpace(r.URL.Query().Get("filter"))
	if f != "" {
		attr, rest, _ := strings.Cut(f, " ")
		op, val, _ := strings.Cut(strings.TrimSpace(rest), " ")
		val = strings.Trim(strings.TrimSpace(val), `"`)
		if !strings.EqualFold(attr, "userName") || !strings.EqualFold(op, "eq") || val == "" {
			s.scimError(w, http.StatusBadRequest, "invalidFilter", `only filter=userName eq "…" is supported`)
			return
		}
		u, err := s.store.UserByEmail(r.Context(), val)
		if err == nil {
			out = append(out, s.scimResource(u))
		} else if !errors.Is(err, store.ErrNotFound) {
			s.serverError(w, r, err)
			return
		}
	} else {
		users, err := s.store.ListUsers(r.Context())
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		for _, u := range users {
			out = append(out, s.scimResource(u))
		}
	}
	if out == nil {
		out = []scimUser{}
	}
	s.scimJSON(w, http.StatusOK, map[string]any{"schemas": []string{scimListSchema}, "totalResults": len(out), "startIndex": 1, "itemsPerPage": len(out), "Resources": out})
}

func (s *Server) scimUserParam(w http.ResponseWriter, r *http.Request) (store.User, bool) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err == nil {
		var u store.User
		if u, err = s.store.UserByID(r.Context(), id); err == nil {
			return u, true
		}
		if !errors.Is(err, store.ErrNotFound) {
			s.serverError(w, r, err)
			return u, false
		}
	}
	s.scimError(w, http.StatusNotFound, "", "no such user")
	return store.User{}, false
}

func (s *Server) getSCIMUser(w http.ResponseWriter, r *http.Request) {
	if u, ok := s.scimUserParam(w, r); ok {
		s.scimJSON(w, http.StatusOK, s.scimResource(u))
	}
}

// postSCIMUser creates a user (no password: they sign in through the provider) with
// auth.DefaultSSORoles; roles are granted in leakdesk or by the group table at login.
func (s *Server) postSCIMUser(w http.ResponseWriter, r *http.Request) {
	var in scimUser
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		s.scimError(w, http.StatusBadRequest, "invalidSyntax", "the body is not a SCIM user")
		return
	}
	email := strings.TrimSpace(in.UserName)
	for _, e := range in.Emails {
		if e.Primary {
			email = strings.TrimSpace(e.Value)
		}
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		s.scimError(w, http.StatusBadRequest, "invalidValue", "userName must be an e-mail address")
		return
	}
	name := strings.TrimSpace(in.DisplayName)
	if name == "" && in.Name != nil {
		name = strings.TrimSpace(in.Name.Formatted)
		if name == "" {
			name = strings.TrimSpace(in.Name.FamilyName + " " + in.Name.GivenName)
		}
	}
	if name == "" || len(name) > 200 {
		name, _, _ = strings.Cut(email, "@")
	}
	u, err := s.store.CreateUser(r.Context(), 0, email, name, auth.DefaultSSORoles, "")
	if errors.Is(err, store.ErrDuplicate) {
		s.scimError(w, http.StatusConflict, "uniqueness", "a user with this userName exists")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if in.Active != nil && !*in.Active {
		if err := s.scimSetActive(r, u, false); err != nil {
			s.serverError(w, r, err)
			return
		}
		u.Disabled = true
	}
	w.Header().Set("Location", s.cfg.BaseURL+"/scim/v2/Users/"+strconv.FormatInt(u.ID, 10))
	s.scimJSON(w, http.StatusCreated, s.scimResource(u))
}

// scimSetActive disables (ending every session and token) or re-enables the user.
func (s *Server) scimSetActive(r *http.Request, u store.User, active bool) error {
	if active == !u.Disabled {
		return nil
	}
	return s.store.SetDisabled(r.Context(), 0, u.ID, u.Version, !active)
}

// patchSCIMUser applies PatchOp "replace" of active (the way Entra ID and Okta deactivate).
func (s *Server) patchSCIMUser(w http.ResponseWriter, r *http.Request) {
	u, ok := s.scimUserParam(w, r)
	if !ok {
		return
	}
	var in struct {
		Operations []struct {
			Op    string          `json:"op"`
			Path  string          `json:"path"`
			Value json.RawMessage `json:"value"`
		} `json:"Operations"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.Operations) == 0 {
		s.scimError(w, http.StatusBadRequest, "invalidSyntax", "the body is not a SCIM PatchOp")
		return
	}
	for _, op := range in.Operations {
		if !strings.EqualFold(op.Op, "replace") && !strings.EqualFold(op.Op, "add") {
			continue
		}
		var active *bool
		if strings.EqualFold(op.Path, "active") {
			var b bool
			if json.Unmarshal(op.Value, &b) == nil {
				active = &b
			} else if str := strings.Trim(string(op.Value), `"`); strings.EqualFold(str, "true") || strings.EqualFold(str, "false") {
				b = strings.EqualFold(str, "true") // Entra ID sends "False" as a string
				active = &b
			}
		} else if op.Path == "" {
			var v struct {
				Active *bool `json:"active"`
			}
			if json.Unmarshal(op.Value, &v) == nil {
				active = v.Active
			}
		}
		if active != nil {
			if err := s.scimSetActive(r, u, *active); err != nil {
				s.serverError(w, r, err)
				return
			}
			u.Disabled = !*active
		}
	}
	s.scimJSON(w, http.StatusOK, s.scimResource(u))
}

// deleteSCIMUser deactivates: leakdesk keeps every account its records name.
func (s *Server) deleteSCIMUser(w http.ResponseWriter, r *http.Request) {
	u, ok := s.scimUserParam(w, r)
	if !ok {
		return
	}
	if err := s.scimSetActive(r, u, false); err != nil {
		s.serverError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
