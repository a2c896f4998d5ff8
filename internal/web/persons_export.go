package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leakdesk/leakdesk/internal/csvimport"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// personsExport is one export of the register as the page's query or the API's body asks for it.
type personsExport struct {
	Kind, Enc, Reason string
	Query             url.Values // status and q narrow the list, as on the page
	Replace           bool       // Shift_JIS: replace characters CP932 lacks by 〓
}

var errExportReason = &uiError{Code: "invalid", JA: "出力の理由を200文字以内で入力してください（アクセス記録に残ります）。",
	EN:     "Give a reason for the export (up to 200 characters); it is recorded.",
	Fields: []fieldError{{Field: "reason", JA: "出力の理由を200文字以内で入力してください（アクセス記録に残ります）。", EN: "required, up to 200 characters"}}}

// check fills the defaults and returns what is wrong as one 422 naming each field — the page and the
// API answer the same input alike — or nil.
func (e *personsExport) check() *uiError {
	if e.Kind == "" {
		e.Kind = "list"
	}
	if e.Enc == "" {
		e.Enc = csvimport.ExportUTF8BOM
	}
	var badShape []fieldError
	if e.Kind != "list" && e.Kind != "mailmerge" {
		badShape = append(badShape, fieldError{Field: "kind", JA: "出力の種類は list または mailmerge です。", EN: "list or mailmerge"})
	}
	if e.Enc != csvimport.ExportUTF8BOM && e.Enc != csvimport.ExportSJIS {
		badShape = append(badShape, fieldError{Field: "enc", JA: "文字コードは utf8bom または sjis です。", EN: "utf8bom or sjis"})
	}
	e.Reason = strings.TrimSpace(e.Reason)
	if e.Reason == "" || utf8.RuneCountInString(e.Reason) > 200 {
		badShape = append(badShape, errExportReason.Fields...)
	}
	if len(badShape) == 0 {
		return nil
	}
	ue := &uiError{Code: "invalid", Fields: badShape}
	for i, f := range badShape {
		ue.JA += f.JA
		if i > 0 {
			ue.EN += "; "
		}
		ue.EN += f.Field + ": " + f.EN
	}
	return ue
}

// getPersonsExport sends the register (kind=list) or the notice mail-merge file (kind=mailmerge)
// as CSV, UTF-8 with BOM (enc=utf8bom) or Shift_JIS (enc=sjis). A reason is required and recorded
// with the exported person IDs. For Shift_JIS, characters CP932 lacks are first reported on a page
// that offers UTF-8 or replacement by 〓 (replace=1); they are never dropped silently.
func (s *Server) getPersonsExport(w http.ResponseWriter, r *http.Request) {
	caseID, canDecrypt, ok := s.personCase(w, r)
	if !ok {
		return
	}
	if !canDecrypt {
		s.fail(w, r, http.StatusForbidden, errForbidden)
		return
	}
	q := r.URL.Query()
	e := personsExport{Kind: q.Get("kind"), Enc: q.Get("enc"), Reason: q.Get("reason"), Query: q, Replace: q.Get("replace") == "1"}
	if ue := e.check(); ue != nil {
		s.fail(w, r, http.StatusUnprocessableEntity, ue)
		return
	}
	s.writePersonsExport(w, r, caseID, e, func(problems []view.ExportProblem, more int) {
		rq := cloneQuery(q)
		rq.Set("replace", "1")
		uq := cloneQuery(q)
		uq.Set("enc", csvimport.ExportUTF8BOM)
		base := "/cases/" + itoa64(caseID) + "/persons/export?"
		p := s.page(r, "Shift_JIS で表せない文字", "Characters missing in Shift_JIS")
		s.render(w, r, http.StatusUnprocessableEntity, p, view.PersonExportProblemsPage(p, caseID, problems, more, base+rq.Encode(), base+uq.Encode()))
	})
}

// apiPersonsExportIn is the body of POST /api/v1/cases/{id}/persons/export: the page's query
// parameters, the reason out of the URL (it is recorded, and URLs end up in proxies' logs).
type apiPersonsExportIn struct {
	Reason  string `json:"reason"`
	Kind    string `json:"kind"`
	Enc     string `json:"enc"`
	Status  string `json:"status"`
	Q       string `json:"q"`
	Replace bool   `json:"replace"`
}

// apiPersonsExport is getPersonsExport's twin: the same roles, rate limit, CSV and access records.
// Bad input is 422 with the fields named; Shift_JIS characters CP932 lacks are 422 naming replace
// (with how many people are affected, not the characters), recorded as the page's check is.
func (s *Server) apiPersonsExport(w http.ResponseWriter, r *http.Request) {
	caseID, canDecrypt, ok := s.personCase(w, r)
	if !ok {
		return
	}
	if !canDecrypt {
		s.fail(w, r, http.StatusForbidden, errForbidden)
		return
	}
	var in apiPersonsExportIn
	if status, ue := decodeJSON(r, &in); ue != nil {
		s.fail(w, r, status, ue)
		return
	}
	e := personsExport{Kind: in.Kind, Enc: in.Enc, Reason: in.Reason, Query: url.Values{"status": {in.Status}, "q": {in.Q}}, Replace: in.Replace}
	if ue := e.check(); ue != nil {
		s.fail(w, r, http.StatusUnprocessableEntity, ue)
		return
	}
	s.writePersonsExport(w, r, caseID, e, func(problems []view.ExportProblem, more int) {
		n := strconv.Itoa(len(problems) + more)
		s.fail(w, r, http.StatusUnprocessableEntity, &uiError{Code: "invalid",
			JA:     n + " 件の項目に Shift_JIS で表せない文字があります。enc を utf8bom にするか、replace を true にして〓に置き換えてください。",
			EN:     n + " fields hold characters Shift_JIS lacks: use enc utf8bom, or replace true to write 〓 for them.",
			Fields: []fieldError{{Field: "replace", JA: "Shift_JIS で表せない文字があります。", EN: "characters missing in Shift_JIS"}}})
	})
}

// writePersonsExport writes the CSV of e, recording the exported person IDs with the reason; for
// Shift_JIS without replacement, characters CP932 lacks are recorded as a check and handed to
// problems instead.
func (s *Server) writePersonsExport(w http.ResponseWriter, r *http.Request, caseID int64, e personsExport, problems func([]view.ExportProblem, int)) {
	list, err := s.store.ListPersons(r.Context(), s.keys, personFilter(caseID, e.Query, "status", "q"))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	records := [][]string{exportListHeader}
	if e.Kind == "mailmerge" {
		records = [][]string{exportMailmergeHeader}
	}
	for _, p := range list {
		records = append(records, exportRecord(e.Kind, p))
	}
	if e.Enc == csvimport.ExportSJIS && !e.Replace {
		if found, more := sjisProblems(e.Kind, list); len(found) > 0 {
			if !s.logAccess(w, r, caseID, "persons.export.check", problemIDs(found), e.Reason) {
				return
			}
			problems(found, more)
			return
		}
	}
	var buf bytes.Buffer
	replaced, err := csvimport.WriteCSV(&buf, records, e.Enc)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if !s.logAccess(w, r, caseID, "persons.export."+e.Kind+"."+e.Enc, ids(list), e.Reason) {
		return
	}
	charset := "utf-8"
	if e.Enc == csvimport.ExportSJIS {
		charset = "shift_jis"
	}
	name := fmt.Sprintf("persons-%d-%s-%s.csv", caseID, e.Kind, s.now().In(jstZone).Format("20060102"))
	// Tells scripts (and the tests) how many characters became 〓; the user chose it on the page.
	w.Header().Set("X-Leakdesk-Replaced-Characters", strconv.Itoa(replaced))
	writeDownload(w, download{Name: name, ContentType: "text/csv; charset=" + charset, Body: buf.Bytes()})
}

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
