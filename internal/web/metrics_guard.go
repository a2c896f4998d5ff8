package web

import (
	"crypto/subtle"
	"net/http"
)

// Metrics that cannot be flooded (issue 21): every label comes from a known set — the route is the
// chi pattern (or "unmatched"), the method one of the standard ones or OTHER — so no request can
// add a series; and the endpoint can move off the public listener (LEAKDESK_METRICS_ADDR, served by
// `leakdesk serve` on its own listener) or require a token (LEAKDESK_METRICS_TOKEN).

// methodLabel bounds the method label.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// MetricsHandler is /metrics, behind the token when one is configured. `leakdesk serve` mounts it
// on LEAKDESK_METRICS_ADDR when that is set; otherwise the main router serves it.
func (s *Server) MetricsHandler() http.Handler {
	h := s.metrics.handler()
	token := s.cfg.MetricsToken
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
