package web

// Adding and editing one affected person, and the bulk notice update.

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/leakdesk/leakdesk/internal/csvimport"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

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
