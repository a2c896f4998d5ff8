package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/store"
)

// No personal data in URLs (issue 21): a register search by e-mail, phone or customer ID is posted
// (form or JSON), never sent as a query string, which browsers keep in their history and proxies in
// their logs. The page then redirects to a URL that carries only a search token: the query sealed
// with the data key (AES-GCM), bound to the user and the case, valid for an hour — opaque to
// everyone on the way, useless to another user. The access log records the search as a read of
// the people it matched (issue 20), never the query itself.

const searchTokenTTL = time.Hour

var (
	errSearchInURL = &uiError{Code: "malformed", JA: "個人情報を含む検索はURLに入れられません。検索フォーム（POST）を使ってください。",
		EN: "Searches with personal data cannot travel in the URL; use the search form (POST, or POST /api/v1/cases/{id}/persons/search)."}
	errSearchToken = &uiError{Code: "malformed", JA: "検索の有効期限が切れたか、正しくありません。もう一度検索してください。",
		EN: "The search expired or is not valid; search again."}
)

type searchClaims struct {
	Q   string `json:"q"`
	Exp int64  `json:"exp"`
}

func searchAAD(userID, caseID int64) []byte {
	return pii.AAD("person_search", userID, strconv.FormatInt(caseID, 10))
}

// searchToken seals q for the current user and the case.
func (s *Server) searchToken(r *http.Request, caseID int64, q string) string {
	b, _ := json.Marshal(searchClaims{Q: q, Exp: s.now().Add(searchTokenTTL).Unix()})
	return base64.RawURLEncoding.EncodeToString(s.keys.Seal(searchAAD(currentUser(r.Context()).ID, caseID), b))
}

// openSearchToken returns the query of a token made for this user and case that has not expired.
func (s *Server) openSearchToken(r *http.Request, caseID int64, tok string) (string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) > 2048 {
		return "", false
	}
	b, err := s.keys.Open(searchAAD(currentUser(r.Context()).ID, caseID), raw)
	if err != nil {
		return "", false
	}
	var c searchClaims
	if json.Unmarshal(b, &c) != nil || s.now().Unix() >= c.Exp {
		return "", false
	}
	return c.Q, true
}

// searchReason is the access log's reason for a list read: a search says so, without the query.
func searchReason(f store.PersonFilter, plain string) string {
	if f.Search != "" {
		return "対象者の検索（完全一致）"
	}
	return plain
}

// postPersonsSearch takes the search form and redirects to the list with a search token.
func (s *Server) postPersonsSearch(w http.ResponseWriter, r *http.Request) {
	caseID, _, ok := s.personCase(w, r)
	if !ok {
		return
	}
	q := url.Values{}
	if st := r.PostFormValue("status"); validOption(noticeStatuses, st) {
		q.Set("status", st)
	}
	if term := strings.TrimSpace(r.PostFormValue("q")); term != "" {
		if len(term) > 254 {
			term = term[:254]
		}
		q.Set("s", s.searchToken(r, caseID, term))
	}
	target := "/cases/" + itoa64(caseID) + "/persons"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// apiSearchPersons is the API's register search: the filter travels in the JSON body.
func (s *Server) apiSearchPersons(w http.ResponseWriter, r *http.Request) {
	caseID, canDecrypt, ok := s.personCase(w, r)
	if !ok {
		return
	}
	var in struct {
		Q      string `json:"q" validate:"max=254"`
		Status string `json:"status"`
		After  int64  `json:"after" validate:"min=0"`
	}
	if st, ue := decodeJSON(r, &in); ue != nil {
		s.fail(w, r, st, ue)
		return
	}
	f := store.PersonFilter{CaseID: caseID, Search: strings.TrimSpace(in.Q), AfterID: in.After}
	if validOption(noticeStatuses, in.Status) {
		f.Status = in.Status
	}
	s.apiPersonList(w, r, caseID, canDecrypt, f, "api.persons.search")
}
