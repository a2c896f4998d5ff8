package web

import "net/http"

// apiAssessment is GET /api/v1/cases/{id}/assessment: the law applied to the case's current facts
// at this moment, in the shape of api.md's assessment object (appi.Assessment, with its documented
// additional fields). Access as for the case itself; each read is recorded as "api_assessment".
func (s *Server) apiAssessment(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.loadCase(w, r, "api_assessment")
	if !ok {
		return
	}
	a, err := s.svc.Assess(r.Context(), c, s.now())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}
