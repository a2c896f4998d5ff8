package web

import (
	"net/http"
	"strings"

	"github.com/leakdesk/leakdesk/web"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz tells the truth about the database: 200 only when it answers and the schema is current.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ok, reason := s.ready.State()
	if !ok {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not_ready", "reason": reason})
		return
	}
	if ps := s.ready.Problems(); len(ps) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not_ready", "reason": strings.Join(ps, "; ")})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(web.OpenAPI)
}
