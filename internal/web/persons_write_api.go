package web

import (
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/leakdesk/leakdesk/internal/store"
)

// API twins of the register's add and edit forms (issue 17): the JSON becomes the form the page
// posts and goes through the page's own check (personForm) and store calls, so a person is
// validated, de-duplicated and encrypted exactly as on the page.

type apiPersonIn struct {
	Name               string `json:"name"`
	Kana               string `json:"kana"`
	PostalCode         string `json:"postal_code"`
	Address            string `json:"address"`
	Phone              string `json:"phone"`
	Email              string `json:"email"`
	CustomerID         string `json:"customer_id"`
	DataItems          string `json:"data_items"` // as the CSV column: items separated by 、 or ,
	NoticeStatus       string `json:"notice_status"`
	NoticeMethod       string `json:"notice_method"`
	NoticeDate         string `json:"notice_date"` // YYYY-MM-DD
	CompensationKind   string `json:"compensation_kind"`
	CompensationAmount *int64 `json:"compensation_amount"`
	Inquiries          *int64 `json:"inquiries"`
	Version            int64  `json:"version"` // update: the person's version as read
}

func (in apiPersonIn) form() url.Values {
	f := url.Values{"name": {in.Name}, "kana": {in.Kana}, "postal_code": {in.PostalCode}, "address": {in.Address}, "phone": {in.Phone},
		"email": {in.Email}, "customer_id": {in.CustomerID}, "data_items": {in.DataItems}, "notice_status": {in.NoticeStatus},
		"notice_method": {in.NoticeMethod}, "notice_date": {in.NoticeDate}, "compensation_kind": {in.CompensationKind},
		"version": {strconv.FormatInt(in.Version, 10)}}
	if in.CompensationAmount != nil {
		f.Set("compensation_amount", strconv.FormatInt(*in.CompensationAmount, 10))
	}
	if in.Inquiries != nil {
		f.Set("inquiries", strconv.FormatInt(*in.Inquiries, 10))
	}
	return f
}

// personInput decodes the body and runs the page's check; false when it answered.
func (s *Server) personInput(w http.ResponseWriter, r *http.Request) (store.PersonData, store.PersonNotice, int64, bool) {
	var in apiPersonIn
	if status, ue := decodeJSON(r, &in); ue != nil {
		s.fail(w, r, status, ue)
		return store.PersonData{}, store.PersonNotice{}, 0, false
	}
	form := in.form()
	r.PostForm, r.Form = form, form
	f, d, n, valid := s.personForm(r)
	if !valid {
		ue := &uiError{Code: "invalid", JA: "入力内容を確認してください。", EN: "Check the input."}
		keys := make([]string, 0, len(f.Errors))
		for k := range f.Errors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ue.Fields = append(ue.Fields, fieldError{Field: k, JA: f.Errors[k], EN: f.Errors[k]}) // already in the request's language
		}
		s.fail(w, r, http.StatusUnprocessableEntity, ue)
		return store.PersonData{}, store.PersonNotice{}, 0, false
	}
	return d, n, in.Version, true
}

var errPersonDup = &uiError{Code: "conflict", JA: errPersonDuplicate[0], EN: errPersonDuplicate[1]}

func (s *Server) apiAddPerson(w http.ResponseWriter, r *http.Request) {
	caseID, _, ok := s.personCase(w, r)
	if !ok {
		return
	}
	d, n, _, ok := s.personInput(w, r)
	if !ok {
		return
	}
	id, err := s.store.CreatePerson(r.Context(), s.keys, caseID, currentUser(r.Context()).ID, d, n)
	if errors.Is(err, store.ErrDuplicate) {
		s.fail(w, r, http.StatusConflict, errPersonDup)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.reassess(r, caseID)
	writeJSON(w, http.StatusCreated, map[string]int64{"id": id})
}

func (s *Server) apiUpdatePerson(w http.ResponseWriter, r *http.Request) {
	caseID, _, ok := s.personCase(w, r)
	if !ok {
		return
	}
	id, ok := s.personID(w, r)
	if !ok {
		return
	}
	d, n, version, ok := s.personInput(w, r)
	if !ok {
		return
	}
	err := s.store.UpdatePerson(r.Context(), s.keys, caseID, id, version, d, n)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, errNotFound)
	case errors.Is(err, store.ErrConflict):
		s.fail(w, r, http.StatusConflict, errConflict)
	case errors.Is(err, store.ErrDuplicate):
		s.fail(w, r, http.StatusConflict, errPersonDup)
	case err != nil:
		s.serverError(w, r, err)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

type apiBulkNoticeIn struct {
	IDs    []int64 `json:"ids"`
	Status string  `json:"status"`
	Method string  `json:"method"`
	Date   string  `json:"date"` // YYYY-MM-DD
}

// apiBulkNotice is the bulk notice form's twin for chosen people: the same option lists and the
// same store call (BulkSetNotice), with field errors instead of a flash.
func (s *Server) apiBulkNotice(w http.ResponseWriter, r *http.Request) {
	caseID, _, ok := s.personCase(w, r)
	if !ok {
		return
	}
	var in apiBulkNoticeIn
	if status, ue := decodeJSON(r, &in); ue != nil {
		s.fail(w, r, status, ue)
		return
	}
	var fes []fieldError
	var day *time.Time
	if in.Date != "" {
		d, err := time.Parse("2006-01-02", in.Date)
		if err != nil {
			fes = append(fes, fieldError{Field: "date", JA: "日付は YYYY-MM-DD で入力してください。", EN: "Enter the date as YYYY-MM-DD."})
		}
		day = &d
	}
	if !validOption(noticeStatuses, in.Status) {
		fes = append(fes, fieldError{Field: "status", JA: "通知状況を一覧から選んでください。", EN: "Choose a notice status from the list."})
	}
	if in.Method != "" && !validOption(noticeMethods, in.Method) {
		fes = append(fes, fieldError{Field: "method", JA: "通知方法を選んでください。", EN: "Choose a notice method."})
	}
	if len(in.IDs) == 0 {
		fes = append(fes, fieldError{Field: "ids", JA: "対象者を選んでください。", EN: "Select at least one person."})
	}
	if len(fes) > 0 {
		s.fail(w, r, http.StatusUnprocessableEntity, invalidInput(fes))
		return
	}
	n, err := s.store.BulkSetNotice(r.Context(), s.keys, store.PersonFilter{CaseID: caseID, IDs: in.IDs}, in.Status, in.Method, day)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int64{"updated": n})
}
