package web

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/csvimport"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// Who may do what in the affected-person register. Reading the list (masked) is for every case
// reader; seeing personal data decrypted, and exporting it, for personDecrypters; changing it for
// personWriters.
var (
	personDecrypters = []auth.Role{auth.RoleStaff, auth.RoleManager, auth.RolePrivacyOfficer, auth.RoleAuditor}
	personWriters    = []auth.Role{auth.RoleStaff, auth.RoleManager, auth.RolePrivacyOfficer}
)

var (
	noticeStatuses = []view.Option{
		{Value: "unnotified", JA: "未通知", EN: "Not notified"},
		{Value: "notified", JA: "通知済", EN: "Notified"},
		{Value: "undeliverable", JA: "不達", EN: "Undeliverable"},
		{Value: "returned", JA: "返送", EN: "Returned"},
	}
	noticeMethods = []view.Option{
		{Value: "post", JA: "郵送", EN: "Post"},
		{Value: "email", JA: "電子メール", EN: "E-mail"},
		{Value: "phone", JA: "電話", EN: "Phone"},
		{Value: "in_person", JA: "対面", EN: "In person"},
		{Value: "web", JA: "Web 掲載", EN: "Web notice"},
		{Value: "other", JA: "その他", EN: "Other"},
	}
	compensationKinds = []view.Option{
		{Value: "apology", JA: "お詫び状のみ", EN: "Apology only"},
		{Value: "gift_card", JA: "金券", EN: "Gift card"},
		{Value: "cash", JA: "現金", EN: "Cash"},
		{Value: "points", JA: "ポイント", EN: "Points"},
		{Value: "other", JA: "その他", EN: "Other"},
	}
)

var (
	errNoDataKey  = &uiError{Code: "not_ready", JA: "個人データの暗号鍵が設定されていないため、対象者一覧は使えません。管理者に連絡してください。", EN: "The personal-data key is not configured; the register is unavailable."}
	errUploadGone = &uiError{Code: "conflict", JA: "アップロードしたファイルの有効期限が切れたか、既に取り込み済みです。もう一度アップロードしてください。", EN: "The uploaded file expired or was already imported; upload it again."}
)

// personUploadMax is the body limit of the CSV upload route: the CSV limit plus room for the
// multipart envelope. The form is parsed in memory up to this size (see maxBody in middleware.go)
// so that no plaintext personal data is spilled to a temporary file.
const personUploadMax = csvimport.DefaultMaxBytes + 1<<20

var personUploadPath = regexp.MustCompile(`^(/api/v1)?/cases/[0-9]+/persons/import$`)

// personUploadLimit is the larger body limit of the upload route, or 0 for every other request.
func personUploadLimit(r *http.Request) int64 {
	if r.Method == http.MethodPost && personUploadPath.MatchString(r.URL.Path) {
		return personUploadMax
	}
	return 0
}

// personAccess decides whether the current user may open the register of caseID — incident.CanRead
// on the case: people involved in the incident must not read the list of those it harmed
// (domain.md §5.2) — and whether they see personal data decrypted (a decrypting role and need to
// know).
func (s *Server) personAccess(r *http.Request, caseID int64) (canDecrypt bool, err error) {
	u := currentUser(r.Context())
	if u == nil {
		return false, errUnauthenticated
	}
	a := actor(u)
	if err := incident.CanReadCases(a); err != nil {
		return false, err
	}
	c, err := s.store.GetCase(r.Context(), caseID)
	if err != nil {
		if incident.ErrorCode(err) == incident.CodeNotFound {
			return false, errNotFound
		}
		return false, err
	}
	if err := incident.CanRead(a, c); err != nil {
		return false, err
	}
	if !auth.Has(u.Roles, personDecrypters...) {
		return false, nil
	}
	// A role is not enough: the user must need to know (persons_grants.go).
	ok, grant, err := s.needToKnow(r.Context(), c, u)
	if err != nil {
		return false, err
	}
	withGrant(r, grant)
	return ok, nil
}

// personCase parses {id}, checks access and the data key; it answers the error itself.
func (s *Server) personCase(w http.ResponseWriter, r *http.Request) (caseID int64, canDecrypt bool, ok bool) {
	caseID, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || caseID <= 0 {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return 0, false, false
	}
	if s.keys == nil {
		s.fail(w, r, http.StatusServiceUnavailable, errNoDataKey)
		return 0, false, false
	}
	canDecrypt, err = s.personAccess(r, caseID)
	var ue *uiError
	switch {
	case errors.As(err, &ue):
		status := map[*uiError]int{errUnauthenticated: http.StatusUnauthorized, errForbidden: http.StatusForbidden, errNotFound: http.StatusNotFound}[ue]
		if status == 0 {
			status = http.StatusForbidden
		}
		s.fail(w, r, status, ue)
		return 0, false, false
	case err != nil:
		s.failErr(w, r, err) // incident.CanRead's refusal, or a plain 500
		return 0, false, false
	}
	// Register writes record who made them (person_history, by trigger).
	*r = *r.WithContext(store.WithPersonChange(r.Context(), currentUser(r.Context()).ID, ""))
	return caseID, canDecrypt, true
}

// logAccess records that decrypted data of subjects was shown; false (after answering 500) when
// the record could not be written: nothing is shown unrecorded.
func (s *Server) logAccess(w http.ResponseWriter, r *http.Request, caseID int64, page string, subjects []int64, reason string) bool {
	err := s.store.RecordAccess(r.Context(), currentUser(r.Context()).ID, caseID, page, subjects, reason+grantReason(r.Context()))
	if err != nil {
		s.serverError(w, r, err)
		return false
	}
	return true
}

func ids(ps []store.Person) []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// maskPerson replaces personal data by its mask (pii.Mask*).
func maskPerson(p store.Person) store.Person {
	p.Name, p.Kana = pii.MaskName(p.Name), pii.MaskName(p.Kana)
	p.Postal, p.Address = pii.MaskPostal(p.Postal), pii.MaskAddress(p.Address)
	p.Phone, p.Email, p.CustomerID = pii.MaskPhone(p.Phone), pii.MaskEmail(p.Email), pii.MaskCustomerID(p.CustomerID)
	return p
}

func dateString(d *time.Time) string {
	if d == nil {
		return ""
	}
	return d.Format("2006-01-02")
}

func personRow(p store.Person) view.PersonRow {
	sja, sen := optionLabel(noticeStatuses, p.Status)
	row := view.PersonRow{ID: p.ID, Name: p.Name, Kana: p.Kana, Postal: p.Postal, Address: p.Address, Phone: p.Phone, Email: p.Email,
		CustomerID: p.CustomerID, Items: strings.Join(p.DataItems, "、"), Status: p.Status, StatusJA: sja, StatusEN: sen,
		Date: dateString(p.Date), Amount: p.CompensationAmount, Inquiries: p.Inquiries}
	if p.Method != "" {
		row.MethodJA, row.MethodEN = optionLabel(noticeMethods, p.Method)
	}
	if p.CompensationKind != "" {
		row.CompJA, row.CompEN = optionLabel(compensationKinds, p.CompensationKind)
	}
	return row
}

func validOption(opts []view.Option, v string) bool {
	for _, o := range opts {
		if o.Value == v {
			return true
		}
	}
	return false
}

// personFilter reads status and q; an unknown status is ignored (it only narrows a read).
func personFilter(caseID int64, q url.Values, statusKey, searchKey string) store.PersonFilter {
	f := store.PersonFilter{CaseID: caseID, Search: strings.TrimSpace(q.Get(searchKey))}
	if st := q.Get(statusKey); validOption(noticeStatuses, st) {
		f.Status = st
	}
	if len(f.Search) > 254 {
		f.Search = f.Search[:254]
	}
	return f
}

const personPage = 100

func (s *Server) getPersons(w http.ResponseWriter, r *http.Request) {
	caseID, canDecrypt, ok := s.personCase(w, r)
	if !ok {
		return
	}
	s.personsPage(w, r, caseID, canDecrypt, http.StatusOK, view.PersonForm{Status: "unnotified"})
}

func (s *Server) personsPage(w http.ResponseWriter, r *http.Request, caseID int64, canDecrypt bool, status int, form view.PersonForm) {
	q := r.URL.Query()
	if q.Has("q") { // personal data stays out of URLs: the search form posts (persons_search.go)
		s.fail(w, r, http.StatusBadRequest, errSearchInURL)
		return
	}
	f := personFilter(caseID, q, "status", "q")
	if tok := q.Get("s"); tok != "" {
		sq, ok := s.openSearchToken(r, caseID, tok)
		if !ok {
			s.fail(w, r, http.StatusBadRequest, errSearchToken)
			return
		}
		f.Search = sq
	}
	f.Limit = personPage + 1
	f.AfterID, _ = strconv.ParseInt(q.Get("after"), 10, 64)
	list, err := s.store.ListPersons(r.Context(), s.keys, f)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	next := ""
	if len(list) > personPage {
		list = list[:personPage]
		q.Set("after", itoa64(list[len(list)-1].ID))
		next = "/cases/" + itoa64(caseID) + "/persons?" + q.Encode()
	}
	total, err := s.store.AffectedPersonCount(r.Context(), caseID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	counts, err := s.store.PersonStatusCounts(r.Context(), caseID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	// Decrypted pages are reads; so is every search that matches people, masked or not (issue 20).
	logPage := "persons.list"
	if f.Search != "" {
		logPage = "persons.search"
	}
	if len(list) > 0 && (canDecrypt || f.Search != "") && !s.logAccess(w, r, caseID, logPage, ids(list), searchReason(f, "対象者一覧の表示")) {
		return
	}
	u := currentUser(r.Context())
	grants, err := s.grantsView(r, caseID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v := view.PersonsView{CaseID: caseID, Masked: !canDecrypt, CanWrite: auth.Has(u.Roles, personWriters...), CanExport: canDecrypt,
		Status: f.Status, Q: f.Search, Total: total, Next: next, Statuses: noticeStatuses, Methods: noticeMethods, Comps: compensationKinds, Form: form,
		NeedToKnow: !canDecrypt && auth.Has(u.Roles, personDecrypters...), Grants: grants}
	for _, o := range noticeStatuses {
		v.Counts = append(v.Counts, view.StatusCount{Value: o.Value, JA: o.JA, EN: o.EN, N: counts[o.Value]})
	}
	for _, p := range list {
		if !canDecrypt {
			p = maskPerson(p)
		}
		v.Rows = append(v.Rows, personRow(p))
	}
	p := s.page(r, "対象者一覧", "Affected persons")
	s.render(w, r, status, p, view.PersonsPage(p, v))
}

// personForm reads and validates the add/edit form.
func (s *Server) reassess(r *http.Request, caseID int64) {
	if _, _, err := s.svc.Reassess(r.Context(), caseID); err != nil {
		s.log.Warn("reassessment after a register change failed", "request_id", requestID(r.Context()), "case_id", caseID, "err", err)
	}
}
