package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/web"
)

// Role groups used by the route table.
var (
	caseReaders = []auth.Role{auth.RoleStaff, auth.RoleManager, auth.RolePrivacyOfficer, auth.RoleExecutive, auth.RoleHR, auth.RoleAuditor}
)

// routes is the whole route table. Every route a user can reach is listed here, with the roles that
// may use it; the authorisation test enumerates this router.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(s.observe, s.recoverer, securityHeaders(s.cfg.Secure()))
	r.NotFound(func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, http.StatusNotFound, errNotFound) })
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, http.StatusMethodNotAllowed, errMethod) })

	// Operations: no session, no database needed for liveness.
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Method(http.MethodGet, "/metrics", s.metrics.handler())
	r.Handle("/static/*", http.StripPrefix("/static/", staticHandler()))
	r.Get("/api/openapi.json", s.openapi)

	// JSON API: bearer tokens, problem+json errors.
	r.Route("/api/v1", func(r chi.Router) {
		r.Use(s.requireReady, s.limitBody, s.bearer)
		r.NotFound(func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, http.StatusNotFound, errNotFound) })
		r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, http.StatusMethodNotAllowed, errMethod) })
		r.Get("/me", s.apiMe)
		// API ROUTES: persons
		// API ROUTES: cases
		// API ROUTES: law
		// API ROUTES: audit
	})

	// Pages: sessions, CSRF.
	r.Group(func(r chi.Router) {
		cop := http.NewCrossOriginProtection()
		cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, http.StatusForbidden, errCSRF) }))
		r.Use(s.requireReady, s.limitBody, cop.Handler, s.sessions.LoadAndSave, withSession, s.checkCSRF, s.loadUser)
		r.Get("/login", s.getLogin)
		r.Post("/login", s.postLogin)
		r.Post("/lang", s.postLang)
		r.Group(func(r chi.Router) {
			r.Use(s.requireLogin)
			r.Get("/", s.home)
			r.Post("/logout", s.postLogout)
			r.Get("/account", s.getAccount)
			r.With(s.requireRole(caseReaders...)).Get("/cases", s.getCases)
			// ROUTES: persons (affected-person register; see persons.go)
			// ROUTES: cases (case engine pages; see cases.go)
			// ROUTES: law (dashboard, documents; see dashboard.go, documents.go)
			// ROUTES: audit (auditor desk; see audit.go)
			r.Route("/admin", func(r chi.Router) {
				r.Use(s.requireRole(auth.RoleAdmin))
				r.Get("/users", s.getAdminUsers)
				r.Post("/users", s.postAdminUser)
				r.Post("/users/{id}/roles", s.postAdminUserRoles)
				r.Post("/users/{id}/disable", s.postAdminUserDisable)
				r.Post("/users/{id}/password", s.postAdminUserPassword)
				r.Get("/logins", s.getAdminLogins)
			})
		})
	})
	return r
}

func staticHandler() http.Handler {
	fs := http.FileServerFS(web.Static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fs.ServeHTTP(w, r)
	})
}
