package web

import (
	"net/http"

	"github.com/leakdesk/leakdesk/internal/auth"
)

// canOpenCase: staff and managers open cases; an auditor who also holds one of those roles does not.
func (s *Server) canOpenCase(r *http.Request) bool {
	u := currentUser(r.Context())
	return u != nil && auth.Has(u.Roles, auth.RoleStaff, auth.RoleManager) && !auth.Has(u.Roles, auth.RoleAuditor)
}
