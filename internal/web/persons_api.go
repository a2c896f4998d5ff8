package web

// The JSON API's reads of the affected-person register: GET /api/v1/cases/{id}/persons.

import (
	"net/http"
	"strconv"

	"github.com/leakdesk/leakdesk/internal/store"
)

type apiPerson struct {
	ID                 int64    `json:"id"`
	Name               string   `json:"name"`
	Kana               string   `json:"kana"`
	PostalCode         string   `json:"postal_code"`
	Address            string   `json:"address"`
	Phone              string   `json:"phone"`
	Email              string   `json:"email"`
	CustomerID         string   `json:"customer_id"`
	DataItems          []string `json:"data_items"`
	NoticeStatus       string   `json:"notice_status"`
	NoticeMethod       string   `json:"notice_method"`
	NoticeDate         *string  `json:"notice_date"`
	CompensationKind   string   `json:"compensation_kind"`
	CompensationAmount int      `json:"compensation_amount"`
	Inquiries          int      `json:"inquiries"`
	Version            int64    `json:"version"`
}

type apiPersonList struct {
	CaseID    int64       `json:"case_id"`
	Masked    bool        `json:"masked"`
	Total     int64       `json:"total"`
	Persons   []apiPerson `json:"persons"`
	NextAfter int64       `json:"next_after,omitempty"`
}

func (s *Server) apiGetPersons(w http.ResponseWriter, r *http.Request) {
	caseID, canDecrypt, ok := s.personCase(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	if q.Has("q") { // personal data stays out of URLs: POST …/persons/search (persons_search.go)
		s.fail(w, r, http.StatusBadRequest, errSearchInURL)
		return
	}
	f := personFilter(caseID, q, "status", "q")
	f.AfterID, _ = strconv.ParseInt(q.Get("after"), 10, 64)
	s.apiPersonList(w, r, caseID, canDecrypt, f, "api.persons")
}

// apiPersonList answers one page of the register for f, recording the read under page.
func (s *Server) apiPersonList(w http.ResponseWriter, r *http.Request, caseID int64, canDecrypt bool, f store.PersonFilter, page string) {
	f.Limit = personPage + 1
	list, err := s.store.ListPersons(r.Context(), s.keys, f)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	out := apiPersonList{CaseID: caseID, Masked: !canDecrypt, Persons: []apiPerson{}}
	if len(list) > personPage {
		list = list[:personPage]
		out.NextAfter = list[len(list)-1].ID
	}
	if out.Total, err = s.store.AffectedPersonCount(r.Context(), caseID); err != nil {
		s.serverError(w, r, err)
		return
	}
	// Decrypted pages are reads; so is every search that matches people, masked or not (issue 20).
	if len(list) > 0 && (canDecrypt || f.Search != "") && !s.logAccess(w, r, caseID, page, ids(list), searchReason(f, "API による対象者一覧の取得")) {
		return
	}
	for _, p := range list {
		if !canDecrypt {
			p = maskPerson(p)
		}
		ap := apiPerson{ID: p.ID, Name: p.Name, Kana: p.Kana, PostalCode: p.Postal, Address: p.Address, Phone: p.Phone, Email: p.Email,
			CustomerID: p.CustomerID, DataItems: p.DataItems, NoticeStatus: p.Status, NoticeMethod: p.Method,
			CompensationKind: p.CompensationKind, CompensationAmount: p.CompensationAmount, Inquiries: p.Inquiries, Version: p.Version}
		if p.Date != nil {
			d := dateString(p.Date)
			ap.NoticeDate = &d
		}
		if ap.DataItems == nil {
			ap.DataItems = []string{}
		}
		out.Persons = append(out.Persons, ap)
	}
	writeJSON(w, http.StatusOK, out)
}

// reassess re-runs the law after the register grew: its count can make a case reportable (over
// 1,000 people) or contradict the recorded count. The register change is already committed; if
// the reassessment fails it is logged and the case's next change catches up.
