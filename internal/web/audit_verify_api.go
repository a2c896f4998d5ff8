package web

// GET /api/v1/audit/verify: the chain verdict over every case.

import (
	"net/http"
)

type apiBadLink struct {
	CaseID int64 `json:"case_id"`
	Seq    int64 `json:"seq"`
}

type apiVerdict struct {
	OK       bool        `json:"ok"`
	Checked  int64       `json:"checked"`
	FirstBad *apiBadLink `json:"first_bad"`
}

// apiAuditVerify is GET /api/v1/audit/verify (api.md): the store's verdict over every case.
func (s *Server) apiAuditVerify(w http.ResponseWriter, r *http.Request) {
	res, err := s.store.Verify(r.Context(), 0)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	out := apiVerdict{OK: res.OK, Checked: res.Checked}
	if res.FirstBad != nil {
		out.FirstBad = &apiBadLink{CaseID: res.FirstBad.CaseID, Seq: res.FirstBad.Seq}
	}
	writeJSON(w, http.StatusOK, out)
}
