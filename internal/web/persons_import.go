package web

// The CSV import of the register: upload, preview, commit (/cases/{id}/persons/import).

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/leakdesk/leakdesk/internal/csvimport"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

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
