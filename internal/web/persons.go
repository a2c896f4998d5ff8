package web

import (
	"bytes"
	"errors"
	"fmt"
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
func (s *Server) personForm(r *http.Request) (view.PersonForm, store.PersonData, store.PersonNotice, bool) {
	lang := s.lang(r)
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := view.PersonForm{Name: v("name"), Kana: v("kana"), Postal: v("postal_code"), Address: v("address"), Phone: v("phone"),
		Email: v("email"), CustomerID: v("customer_id"), Items: v("data_items"), Status: v("notice_status"), Method: v("notice_method"),
		Date: v("notice_date"), CompKind: v("compensation_kind"), Amount: v("compensation_amount"), Inquiries: v("inquiries"),
		Errors: map[string]string{}}
	f.Version, _ = strconv.ParseInt(v("version"), 10, 64)
	row, errs := csvimport.ValidateFields(map[csvimport.Field]string{
		csvimport.FieldName: f.Name, csvimport.FieldKana: f.Kana, csvimport.FieldPostal: f.Postal, csvimport.FieldAddress: f.Address,
		csvimport.FieldPhone: f.Phone, csvimport.FieldEmail: f.Email, csvimport.FieldCustomerID: f.CustomerID, csvimport.FieldDataItems: f.Items,
	})
	for _, e := range errs {
		key := string(e.Field)
		if key == "" {
			key = "_"
		}
		if _, dup := f.Errors[key]; !dup {
			f.Errors[key] = pick(lang, e.JA, e.EN)
		}
	}
	n := store.PersonNotice{Status: f.Status, Method: f.Method, CompensationKind: f.CompKind}
	switch {
	case n.Status == "":
		n.Status, f.Status = "unnotified", "unnotified"
	case !validOption(noticeStatuses, n.Status):
		// Never reset a notified person silently: the value was tampered with or is stale.
		f.Errors["notice_status"] = pick(lang, "通知状況を一覧から選んでください。", "Choose a notice status from the list.")
	}
	if n.Method != "" && !validOption(noticeMethods, n.Method) {
		f.Errors["notice_method"] = pick(lang, "通知方法を選んでください。", "Choose a notice method.")
	}
	if n.CompensationKind != "" && !validOption(compensationKinds, n.CompensationKind) {
		f.Errors["compensation_kind"] = pick(lang, "補償の種類を選んでください。", "Choose a kind of compensation.")
	}
	if f.Date != "" {
		d, err := time.Parse("2006-01-02", f.Date)
		if err != nil {
			f.Errors["notice_date"] = pick(lang, "日付は YYYY-MM-DD で入力してください。", "Enter the date as YYYY-MM-DD.")
		} else {
			n.Date = &d
		}
	}
	num := func(key, val string, max int) int {
		if val == "" {
			return 0
		}
		x, err := strconv.Atoi(val)
		if err != nil || x < 0 || x > max {
			f.Errors[key] = pick(lang, fmt.Sprintf("0 から %d までの整数で入力してください。", max), fmt.Sprintf("Enter a whole number from 0 to %d.", max))
		}
		return x
	}
	n.CompensationAmount = num("compensation_amount", f.Amount, 10_000_000)
	n.Inquiries = num("inquiries", f.Inquiries, 100_000)
	d := store.PersonData{Name: row.Name, Kana: row.Kana, Postal: row.Postal, Address: row.Address, Phone: row.Phone,
		Email: row.Email, CustomerID: row.CustomerID, DataItems: row.DataItems}
	return f, d, n, len(f.Errors) == 0
}

var errPersonDuplicate = [2]string{"同じ人物（顧客番号・メールアドレス・電話番号、または氏名と住所が同じ）が既に登録されています。", "This person (same customer ID, e-mail, phone, or name and address) is already registered."}

func (s *Server) postPersonAdd(w http.ResponseWriter, r *http.Request) {
	caseID, canDecrypt, ok := s.personCase(w, r)
	if !ok {
		return
	}
	form, d, n, valid := s.personForm(r)
	if !valid {
		s.personsPage(w, r, caseID, canDecrypt, http.StatusUnprocessableEntity, form)
		return
	}
	_, err := s.store.CreatePerson(r.Context(), s.keys, caseID, currentUser(r.Context()).ID, d, n)
	if errors.Is(err, store.ErrDuplicate) {
		form.Errors["_"] = pick(s.lang(r), errPersonDuplicate[0], errPersonDuplicate[1])
		s.personsPage(w, r, caseID, canDecrypt, http.StatusConflict, form)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.reassess(r, caseID)
	s.flash(r, flashSuccess, "対象者を追加しました。", "Person added.")
	http.Redirect(w, r, "/cases/"+itoa64(caseID)+"/persons", http.StatusSeeOther)
}

func (s *Server) personID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(chi.URLParam(r, "pid"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return 0, false
	}
	return id, true
}

func (s *Server) getPersonEdit(w http.ResponseWriter, r *http.Request) {
	caseID, canDecrypt, ok := s.personCase(w, r)
	if !ok {
		return
	}
	if !canDecrypt { // the form shows the person's data decrypted
		s.fail(w, r, http.StatusForbidden, errNeedToKnow)
		return
	}
	id, ok := s.personID(w, r)
	if !ok {
		return
	}
	p, err := s.store.GetPerson(r.Context(), s.keys, caseID, id)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if !s.logAccess(w, r, caseID, "persons.edit", []int64{id}, "対象者の編集") {
		return
	}
	f := view.PersonForm{ID: p.ID, Version: p.Version, Name: p.Name, Kana: p.Kana, Postal: p.Postal, Address: p.Address, Phone: p.Phone,
		Email: p.Email, CustomerID: p.CustomerID, Items: strings.Join(p.DataItems, "、"), Status: p.Status, Method: p.Method,
		Date: dateString(p.Date), CompKind: p.CompensationKind, Amount: strconv.Itoa(p.CompensationAmount), Inquiries: strconv.Itoa(p.Inquiries)}
	s.personEditPage(w, r, caseID, http.StatusOK, f)
}

func (s *Server) personEditPage(w http.ResponseWriter, r *http.Request, caseID int64, status int, f view.PersonForm) {
	pg := s.page(r, "対象者の編集", "Edit person")
	s.render(w, r, status, pg, view.PersonEditPage(pg, caseID, f, noticeStatuses, noticeMethods, compensationKinds))
}

func (s *Server) postPersonEdit(w http.ResponseWriter, r *http.Request) {
	caseID, canDecrypt, ok := s.personCase(w, r)
	if !ok {
		return
	}
	if !canDecrypt { // an edit answers with the person's data (form, conflict)
		s.fail(w, r, http.StatusForbidden, errNeedToKnow)
		return
	}
	id, ok := s.personID(w, r)
	if !ok {
		return
	}
	form, d, n, valid := s.personForm(r)
	form.ID = id
	if !valid {
		s.personEditPage(w, r, caseID, http.StatusUnprocessableEntity, form)
		return
	}
	why := strings.TrimSpace(r.PostFormValue("change_reason"))
	if len([]rune(why)) > 200 {
		why = string([]rune(why)[:200])
	}
	ctx := store.WithPersonChange(r.Context(), currentUser(r.Context()).ID, why)
	err := s.store.UpdatePerson(ctx, s.keys, caseID, id, form.Version, d, n)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, errNotFound)
	case errors.Is(err, store.ErrConflict):
		s.flash(r, flashError, errConflict.JA, errConflict.EN)
		http.Redirect(w, r, "/cases/"+itoa64(caseID)+"/persons/"+itoa64(id), http.StatusSeeOther)
	case errors.Is(err, store.ErrDuplicate):
		form.Errors["_"] = pick(s.lang(r), errPersonDuplicate[0], errPersonDuplicate[1])
		s.personEditPage(w, r, caseID, http.StatusConflict, form)
	case err != nil:
		s.serverError(w, r, err)
	default:
		s.flash(r, flashSuccess, "対象者を保存しました。", "Person saved.")
		http.Redirect(w, r, "/cases/"+itoa64(caseID)+"/persons", http.StatusSeeOther)
	}
}

func (s *Server) postPersonsBulkNotice(w http.ResponseWriter, r *http.Request) {
	caseID, _, ok := s.personCase(w, r)
	if !ok {
		return
	}
	back := "/cases/" + itoa64(caseID) + "/persons"
	st, method, date := r.PostFormValue("status"), r.PostFormValue("method"), strings.TrimSpace(r.PostFormValue("date"))
	var day *time.Time
	if date != "" {
		d, err := time.Parse("2006-01-02", date)
		if err != nil {
			s.flash(r, flashError, "日付は YYYY-MM-DD で入力してください。", "Enter the date as YYYY-MM-DD.")
			http.Redirect(w, r, back, http.StatusSeeOther)
			return
		}
		day = &d
	}
	if !validOption(noticeStatuses, st) || (method != "" && !validOption(noticeMethods, method)) {
		s.fail(w, r, http.StatusUnprocessableEntity, errMalformed)
		return
	}
	f := personFilter(caseID, r.PostForm, "f_status", "f_q")
	if r.PostFormValue("scope") != "filtered" {
		f = store.PersonFilter{CaseID: caseID, IDs: []int64{}}
		for _, v := range r.PostForm["ids"] {
			if id, err := strconv.ParseInt(v, 10, 64); err == nil {
				f.IDs = append(f.IDs, id)
			}
		}
		if len(f.IDs) == 0 {
			s.flash(r, flashError, "対象者を選んでください。", "Select at least one person.")
			http.Redirect(w, r, back, http.StatusSeeOther)
			return
		}
	}
	n, err := s.store.BulkSetNotice(r.Context(), s.keys, f, st, method, day)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.flash(r, flashSuccess, fmt.Sprintf("%d人の通知状況を更新しました。", n), fmt.Sprintf("Notice status updated for %d persons.", n))
	q := url.Values{}
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	if f.Search != "" {
		q.Set("q", f.Search)
	}
	if len(q) > 0 {
		back += "?" + q.Encode()
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (s *Server) getPersonImport(w http.ResponseWriter, r *http.Request) {
	caseID, _, ok := s.personCase(w, r)
	if !ok {
		return
	}
	p := s.page(r, "対象者の取り込み", "Import persons")
	s.render(w, r, http.StatusOK, p, view.PersonImportPage(p, caseID, csvimport.DefaultMaxBytes>>20))
}

func fieldLabel(f csvimport.Field) (string, string) {
	if f == "" {
		return "", ""
	}
	return f.Label()
}

func importPreview(caseID int64, name string, res *csvimport.Result) view.ImportPreview {
	v := view.ImportPreview{CaseID: caseID, FileName: name, Encoding: res.Encoding, Ignored: res.Ignored, Rows: res.DataLines, ErrorCount: res.ErrorCount}
	for _, c := range res.Columns {
		ja, en := c.Field.Label()
		v.Columns = append(v.Columns, view.ImportColumn{Header: c.Header, FieldJA: ja, FieldEN: en})
	}
	for _, e := range res.Errors {
		ja, en := fieldLabel(e.Field)
		v.Errors = append(v.Errors, view.ImportError{Line: e.Line, FieldJA: ja, FieldEN: en, JA: e.JA, EN: e.EN})
	}
	return v
}

func personData(rows []csvimport.Row) []store.PersonData {
	out := make([]store.PersonData, len(rows))
	for i, r := range rows {
		out[i] = store.PersonData{Name: r.Name, Kana: r.Kana, Postal: r.Postal, Address: r.Address, Phone: r.Phone, Email: r.Email, CustomerID: r.CustomerID, DataItems: r.DataItems}
	}
	return out
}

func (s *Server) postPersonImport(w http.ResponseWriter, r *http.Request) {
	caseID, _, ok := s.personCase(w, r)
	if !ok {
		return
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, &uiError{Code: "malformed", JA: "CSV ファイルを選んでください。", EN: "Choose a CSV file."})
		return
	}
	defer file.Close()
	b, err := readUpload(file, hdr.Size, csvimport.DefaultMaxBytes)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	res, err := csvimport.Parse(bytes.NewReader(b), csvimport.Options{})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v := importPreview(caseID, hdr.Filename, res)
	p := s.page(r, "取り込み内容の確認", "Import preview")
	if !res.OK() {
		// Nothing is staged or saved: the page lists the errors and offers a new upload.
		s.render(w, r, http.StatusUnprocessableEntity, p, view.PersonImportPreviewPage(p, v))
		return
	}
	rows := personData(res.Rows)
	v.Add, v.Present, err = s.store.PreviewPersonImport(r.Context(), s.keys, caseID, rows)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v.Token, err = s.store.SaveImportUpload(r.Context(), s.keys, caseID, currentUser(r.Context()).ID, b, time.Hour)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, row := range rows[:min(10, len(rows))] {
		v.Sample = append(v.Sample, personRow(store.Person{PersonData: row}))
	}
	if !s.logAccess(w, r, caseID, "persons.import.preview", nil, "取り込み前の確認（アップロードされたファイルの先頭行）") {
		return
	}
	s.render(w, r, http.StatusOK, p, view.PersonImportPreviewPage(p, v))
}

// commitStagedImport imports the user's staged upload (the preview's token) into the case: the page's
// commit and the API's twin both run it, so a gone upload (409), a concurrent duplicate (409) and the
// reassessment after an import are decided once. It answers the error itself and reports false.
func (s *Server) commitStagedImport(w http.ResponseWriter, r *http.Request, caseID int64, token string) (store.ImportOutcome, bool) {
	uid := currentUser(r.Context()).ID
	b, err := s.store.LoadImportUpload(r.Context(), s.keys, caseID, uid, token)
	if errors.Is(err, store.ErrUploadGone) {
		s.fail(w, r, http.StatusConflict, errUploadGone)
		return store.ImportOutcome{}, false
	}
	if err != nil {
		s.serverError(w, r, err)
		return store.ImportOutcome{}, false
	}
	res, err := csvimport.Parse(bytes.NewReader(b), csvimport.Options{})
	if err != nil || !res.OK() {
		s.serverError(w, r, fmt.Errorf("web: a staged upload no longer parses: %v", err))
		return store.ImportOutcome{}, false
	}
	out, err := s.store.ImportPersons(r.Context(), s.keys, store.ImportMeta{CaseID: caseID, UserID: uid, SHA256: res.SHA256, Encoding: res.Encoding, UploadToken: token}, personData(res.Rows))
	switch {
	case errors.Is(err, store.ErrUploadGone):
		s.fail(w, r, http.StatusConflict, errUploadGone)
		return out, false
	case errors.Is(err, store.ErrDuplicate):
		s.fail(w, r, http.StatusConflict, errConflict)
		return out, false
	case err != nil:
		s.serverError(w, r, err)
		return out, false
	}
	if out.Added > 0 {
		s.reassess(r, caseID)
	}
	return out, true
}

func (s *Server) postPersonImportCommit(w http.ResponseWriter, r *http.Request) {
	caseID, _, ok := s.personCase(w, r)
	if !ok {
		return
	}
	out, ok := s.commitStagedImport(w, r, caseID, r.PostFormValue("upload"))
	if !ok {
		return
	}
	s.flash(r, flashSuccess, fmt.Sprintf("%d人を追加しました（%d人は登録済みのため追加していません）。", out.Added, out.Present),
		fmt.Sprintf("%d persons added (%d already registered, not added again).", out.Added, out.Present))
	http.Redirect(w, r, "/cases/"+itoa64(caseID)+"/persons", http.StatusSeeOther)
}

// exportColumns are the fields of each export kind, with their CSV headers.
var (
	exportListHeader      = []string{"ID", "氏名", "フリガナ", "郵便番号", "住所", "電話番号", "メールアドレス", "顧客番号", "漏えい項目", "通知状況", "通知方法", "通知日", "補償", "補償額", "問い合わせ件数"}
	exportMailmergeHeader = []string{"氏名", "郵便番号", "住所", "漏えい項目"}
	exportFieldLabels     = [][2]string{{"氏名", "name"}, {"フリガナ", "kana"}, {"郵便番号", "postal code"}, {"住所", "address"}, {"電話番号", "phone"}, {"メールアドレス", "e-mail"}, {"顧客番号", "customer ID"}, {"漏えい項目", "data items"}}
)

func exportRecord(kind string, p store.Person) []string {
	items := strings.Join(p.DataItems, "、")
	if kind == "mailmerge" {
		return []string{p.Name, p.Postal, p.Address, items}
	}
	sja, _ := optionLabel(noticeStatuses, p.Status)
	mja, cja := "", ""
	if p.Method != "" {
		mja, _ = optionLabel(noticeMethods, p.Method)
	}
	if p.CompensationKind != "" {
		cja, _ = optionLabel(compensationKinds, p.CompensationKind)
	}
	return []string{itoa64(p.ID), p.Name, p.Kana, p.Postal, p.Address, p.Phone, p.Email, p.CustomerID, items, sja, mja,
		dateString(p.Date), cja, strconv.Itoa(p.CompensationAmount), strconv.Itoa(p.Inquiries)}
}

var jstZone = time.FixedZone("JST", 9*60*60)

func cloneQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// sjisProblems lists, per person and field, the characters CP932 lacks (at most 200 entries).
func sjisProblems(kind string, list []store.Person) ([]view.ExportProblem, int) {
	var out []view.ExportProblem
	more := 0
	for _, p := range list {
		vals := []string{p.Name, p.Kana, p.Postal, p.Address, p.Phone, p.Email, p.CustomerID, strings.Join(p.DataItems, "、")}
		for i, v := range vals {
			if kind == "mailmerge" && i != 0 && i != 2 && i != 3 && i != 7 {
				continue
			}
			bad := csvimport.SJISUnencodable(v)
			if len(bad) == 0 {
				continue
			}
			if len(out) >= 200 {
				more++
				continue
			}
			out = append(out, view.ExportProblem{PersonID: p.ID, FieldJA: exportFieldLabels[i][0], FieldEN: exportFieldLabels[i][1], Chars: string(bad)})
		}
	}
	return out, more
}

func problemIDs(ps []view.ExportProblem) []int64 {
	var out []int64
	for _, p := range ps {
		if len(out) == 0 || out[len(out)-1] != p.PersonID {
			out = append(out, p.PersonID)
		}
	}
	return out
}

// apiPerson is one person in the API; personal fields are masked unless the token's user may see them.
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
func (s *Server) reassess(r *http.Request, caseID int64) {
	if _, _, err := s.svc.Reassess(r.Context(), caseID); err != nil {
		s.log.Warn("reassessment after a register change failed", "request_id", requestID(r.Context()), "case_id", caseID, "err", err)
	}
}
