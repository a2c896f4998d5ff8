package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/config"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web"
)

type apiRecordOut struct {
	ID        int64          `json:"id"`
	Kind      string         `json:"kind"`
	Values    map[string]any `json:"values"`
	Version   int64          `json:"version"`
	Overdue   bool           `json:"overdue"`
	Withdrawn bool           `json:"withdrawn"`
}

type apiRecordsOut struct {
	Version  int64          `json:"version"`
	Records  []apiRecordOut `json:"records"`
	Evidence []struct {
		ID     int64  `json:"id"`
		SHA256 string `json:"sha256"`
	} `json:"evidence"`
}

// newRecordsEnv is the API environment with a small evidence limit, so that "over the limit" is
// cheap to test.
func newRecordsEnv(t *testing.T, limit int64) *apiEnv {
	h := newHarness(t, func(c *config.Config) { c.EvidenceMaxBytes = limit })
	e := &apiEnv{harness: h, tok: map[string]string{}}
	for key, role := range map[string]auth.Role{"staff": auth.RoleStaff, "staff2": auth.RoleStaff, "manager": auth.RoleManager,
		"privacy": auth.RolePrivacyOfficer, "auditor": auth.RoleAuditor, "admin": auth.RoleAdmin, "hr": auth.RoleHR, "ceo": auth.RoleExecutive} {
		h.user(key, role)
		e.tok[key] = h.token(key)
	}
	return e
}

func TestAPI_RecordsAddEditWithdraw(t *testing.T) {
	e := newRecordsEnv(t, 1<<20)
	c := e.open()
	path := fmt.Sprintf("/api/v1/cases/%d/records", c.ID)
	body := `{"kind":"monitoring_entry","values":{"date":"2026-05-02","searched_where":"marketplace","result":"nothing_found"}}`
	if r := e.api("POST", path, e.tok["staff"], body); r.Status != http.StatusPreconditionRequired {
		t.Fatalf("no If-Match: %d", r.Status)
	}
	r := e.api("POST", path, e.tok["staff"], body, "If-Match", fmt.Sprint(c.Version))
	if r.Status != http.StatusCreated || r.Header.Get("ETag") != fmt.Sprint(c.Version+1) {
		t.Fatalf("add: %d %s etag %s", r.Status, r.Body, r.Header.Get("ETag"))
	}
	rec := decode[apiRecordOut](t, r)
	if rec.ID != 1 || rec.Kind != "monitoring_entry" || rec.Version != 1 || rec.Values["searched_where"] != "marketplace" {
		t.Fatalf("record %+v", rec)
	}
	if r := e.api("POST", path, e.tok["staff2"], body, "If-Match", fmt.Sprint(c.Version)); r.Status != http.StatusConflict {
		t.Fatalf("stale add: %d", r.Status)
	}
	v := e.version(c.ID)
	for _, tt := range []struct{ name, body, field string }{
		{"unknown kind", `{"kind":"diary","values":{}}`, "kind"},
		{"missing required", `{"kind":"monitoring_entry","values":{"searched_where":"web","result":"nothing_found"}}`, "date"},
		{"bad option", `{"kind":"monitoring_entry","values":{"date":"2026-05-02","searched_where":"tv","result":"nothing_found"}}`, "searched_where"},
		{"claim refused without reason", `{"kind":"money_claim","values":{"received_at":"2026-05-01T10:00","claimant":"X","decision":"refused"}}`, "reason"},
	} {
		r := e.api("POST", path, e.tok["staff"], tt.body, "If-Match", fmt.Sprint(v))
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d %s", tt.name, r.Status, r.Body)
		}
		if _, errs := problemDetail(t, r); len(errs) == 0 || errs[0]["field"] != tt.field {
			t.Fatalf("%s: errors %v", tt.name, errs)
		}
	}
	for _, who := range []string{"auditor", "admin", "ceo"} {
		if r := e.api("POST", path, e.tok[who], body, "If-Match", fmt.Sprint(v)); r.Status != http.StatusForbidden {
			t.Fatalf("%s may add a record: %d", who, r.Status)
		}
	}
	// Edit with the record's version, then a stale record version, then withdraw.
	rp := path + "/1"
	r = e.api("PATCH", rp, e.tok["staff2"], `{"values":{"query":"社名 顧客"},"record_version":1}`, "If-Match", fmt.Sprint(v))
	if r.Status != http.StatusOK || decode[apiRecordOut](t, r).Version != 2 {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	v = e.version(c.ID)
	if r := e.api("PATCH", rp, e.tok["staff"], `{"values":{"query":"x"},"record_version":1}`, "If-Match", fmt.Sprint(v)); r.Status != http.StatusConflict {
		t.Fatalf("stale record version: %d", r.Status)
	}
	r = e.api("PATCH", rp, e.tok["staff"], `{"withdraw_reason":"別案件の記録だった"}`, "If-Match", fmt.Sprint(v))
	if r.Status != http.StatusOK || !decode[apiRecordOut](t, r).Withdrawn {
		t.Fatalf("withdraw: %d %s", r.Status, r.Body)
	}
	list := decode[apiRecordsOut](t, e.api("GET", path, e.tok["auditor"], ""))
	if len(list.Records) != 1 || !list.Records[0].Withdrawn || list.Records[0].Values["query"] != "社名 顧客" {
		t.Fatalf("list %+v", list)
	}
	if r := e.api("PATCH", path+"/9", e.tok["staff"], `{"values":{}}`, "If-Match", fmt.Sprint(e.version(c.ID))); r.Status != http.StatusNotFound {
		t.Fatalf("unknown record: %d", r.Status)
	}
}

// TestRecords_DisciplineHiddenFromStaff: a discipline decision recorded by HR is visible to HR,
// managers and auditors; staff and the CEO see that the stage exists, not its contents — not on
// the page, not in the records API, not in the events API, not on the record's own page.
func TestRecords_DisciplineHiddenFromStaff(t *testing.T) {
	e := newRecordsEnv(t, 1<<20)
	c := e.open()
	path := fmt.Sprintf("/api/v1/cases/%d/records", c.ID)
	secret := "社員E-7731 山田"
	if r := e.api("POST", path, e.tok["staff"], `{"kind":"discipline_decision","values":{"employee":"x","culpability":"negligence","sanction":"reprimand"}}`,
		"If-Match", fmt.Sprint(c.Version)); r.Status != http.StatusForbidden {
		t.Fatalf("staff records discipline: %d", r.Status)
	}
	r := e.api("POST", path, e.tok["hr"], `{"kind":"discipline_decision","values":{"employee":"`+secret+`","culpability":"negligence","self_reported":true,"mitigating":"早期に自主申告","sanction":"reprimand"}}`,
		"If-Match", fmt.Sprint(c.Version))
	if r.Status != http.StatusCreated {
		t.Fatalf("hr add: %d %s", r.Status, r.Body)
	}
	id := decode[apiRecordOut](t, r).ID
	for who, see := range map[string]bool{"hr": true, "manager": true, "auditor": true, "privacy": true, "staff": false, "ceo": false} {
		list := e.api("GET", path, e.tok[who], "")
		events := e.api("GET", fmt.Sprintf("/api/v1/cases/%d/events", c.ID), e.tok[who], "")
		if list.Status != http.StatusOK || events.Status != http.StatusOK {
			t.Fatalf("%s: %d %d", who, list.Status, events.Status)
		}
		if got := strings.Contains(list.Body, secret); got != see {
			t.Errorf("%s sees the decision in the records API: %v", who, got)
		}
		if got := strings.Contains(events.Body, secret); got != see {
			t.Errorf("%s sees the decision in the events API: %v", who, got)
		}
		cl := e.client().loginAs(who)
		page := cl.get(fmt.Sprintf("/cases/%d?stage=discipline", c.ID))
		if page.Status != http.StatusOK {
			t.Fatalf("%s page: %d", who, page.Status)
		}
		if got := strings.Contains(page.Body, secret); got != see {
			t.Errorf("%s sees the decision on the case page: %v", who, got)
		}
		if !see && !strings.Contains(page.Body, `data-testid="stage-discipline"`) {
			t.Errorf("%s does not see that the discipline stage exists", who)
		}
		rp := cl.get(fmt.Sprintf("/cases/%d/records/%d", c.ID, id))
		if want := map[bool]int{true: http.StatusOK, false: http.StatusForbidden}[see]; rp.Status != want {
			t.Errorf("%s record page: %d, want %d", who, rp.Status, want)
		}
	}
}

func TestPages_RecordAddEditAndErrors(t *testing.T) {
	e := newRecordsEnv(t, 1<<20)
	c := e.open()
	page := fmt.Sprintf("/cases/%d", c.ID)
	cl := e.client().loginAs("staff")
	// A refused add shows the form again, open, with the field's Japanese error and the typed input.
	r := cl.postForm(page+"?stage=containment", page+"/records", url.Values{"version": {fmt.Sprint(c.Version)}, "kind": {"monitoring_entry"},
		"monitoring_entry.searched_where": {"web"}, "monitoring_entry.result": {"found"}, "monitoring_entry.query": {"顧客名簿 売ります"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `data-testid="error-monitoring_entry.date"`) ||
		!strings.Contains(r.Body, "顧客名簿 売ります") || !strings.Contains(r.Body, "「実施日」を入力してください。") {
		t.Fatalf("refused add: %d", r.Status)
	}
	r = cl.postForm(page+"?stage=containment", page+"/records", url.Values{"version": {fmt.Sprint(c.Version)}, "kind": {"monitoring_entry"},
		"monitoring_entry.date": {"2026-05-02"}, "monitoring_entry.searched_where": {"marketplace"}, "monitoring_entry.result": {"nothing_found"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("add: %d %s", r.Status, r.Body)
	}
	body := cl.get(page + "?stage=containment").Body
	for _, want := range []string{`data-testid="record-1"`, "オークション・フリマ等の市場", "規程000 第6条", `data-testid="edit-record-1"`} {
		if !strings.Contains(body, want) {
			t.Errorf("case page lacks %q", want)
		}
	}
	// Edit on the record page; a stale record version answers 409 with the conflict box.
	v := e.version(c.ID)
	rp := fmt.Sprintf("%s/records/1", page)
	r = cl.postForm(rp, rp, url.Values{"version": {fmt.Sprint(v)}, "record_version": {"1"}, "monitoring_entry.date": {"2026-05-02"},
		"monitoring_entry.searched_where": {"marketplace"}, "monitoring_entry.result": {"found"}, "monitoring_entry.details": {"出品を発見し削除を依頼"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", r.Status, r.Body)
	}
	r = cl.postForm(rp, rp, url.Values{"version": {fmt.Sprint(e.version(c.ID))}, "record_version": {"1"}, "monitoring_entry.details": {"古い版から"}})
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, `data-testid="conflict"`) {
		t.Fatalf("stale record edit: %d", r.Status)
	}
	r = cl.postForm(rp, rp+"/withdraw", url.Values{"version": {fmt.Sprint(e.version(c.ID))}, "reason": {""}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("withdraw without reason: %d", r.Status)
	}
	r = cl.postForm(rp, rp+"/withdraw", url.Values{"version": {fmt.Sprint(e.version(c.ID))}, "reason": {"重複"}})
	if r.Status != http.StatusSeeOther || !strings.Contains(cl.get(page+"?stage=containment").Body, `data-testid="record-withdrawn-1"`) {
		t.Fatalf("withdraw: %d", r.Status)
	}
	// The auditor reads but gets no forms, and a direct post is refused.
	au := e.client().loginAs("auditor")
	if b := au.get(page + "?stage=containment").Body; strings.Contains(b, `data-testid="add-record-form-monitoring_entry"`) || strings.Contains(b, `data-testid="evidence-form"`) {
		t.Fatal("the auditor is offered record forms")
	}
	if r := au.postForm(page, page+"/records", url.Values{"version": {fmt.Sprint(e.version(c.ID))}, "kind": {"monitoring_entry"},
		"monitoring_entry.date": {"2026-05-02"}, "monitoring_entry.searched_where": {"web"}, "monitoring_entry.result": {"nothing_found"}}); r.Status != http.StatusForbidden {
		t.Fatalf("auditor add: %d", r.Status)
	}
}

// upload posts a multipart evidence form as a same-origin browser would.
func (c *client) uploadEvidence(from, path string, fields map[string]string, filename string, data []byte) resp {
	c.h.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("_csrf", c.csrf(from))
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", filename)
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.h.ts.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", c.h.ts.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

func docx(t *testing.T) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"[Content_Types].xml", "word/document.xml"} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte("<?xml version=\"1.0\"?><x/>"))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCheckEvidence(t *testing.T) {
	plainZip := func() []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create("a.exe")
		_, _ = w.Write([]byte("MZ"))
		_ = zw.Close()
		return buf.Bytes()
	}()
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	for _, tt := range []struct {
		name, file string
		data       []byte
		want       string // content type, or "" for refused
	}{
		{"pdf", "削除確認書.pdf", []byte("%PDF-1.7\n..."), "application/pdf"},
		{"png", "screenshot.PNG", png, "image/png"},
		{"jpeg", "photo.jpg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), "image/jpeg"},
		{"utf-8 csv", "inquiries.csv", []byte("日付,内容\n2026-05-01,問い合わせ\n"), "text/csv"},
		{"shift_jis text", "memo.txt", []byte("\x93\xfa\x95t\r\n"), "text/plain"},
		{"docx", "report.docx", docx(t), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"html", "page.txt", []byte("<html><script>alert(1)</script></html>"), ""},
		{"executable", "tool.pdf", []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00"), ""},
		{"pdf named as image", "x.png", []byte("%PDF-1.7\n"), ""},
		{"zip that is not office", "report.docx", plainZip, ""},
		{"empty", "a.pdf", nil, ""},
		{"over the limit", "a.txt", bytes.Repeat([]byte("a"), 101), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := web.CheckEvidence(tt.file, tt.data, 100+int64(len(docx(t))))
			if tt.name == "over the limit" {
				got, err = web.CheckEvidence(tt.file, tt.data, 100)
			}
			if tt.want == "" {
				if err == nil {
					t.Fatalf("accepted as %q", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestPages_EvidenceUploadAndLoggedDownload(t *testing.T) {
	const limit = 4096
	e := newRecordsEnv(t, limit)
	c := e.open()
	page := fmt.Sprintf("/cases/%d", c.ID)
	cl := e.client().loginAs("staff")
	fields := func() map[string]string {
		return map[string]string{"version": fmt.Sprint(e.version(c.ID)), "stage": "containment", "note": "受領者の削除確認書"}
	}
	stored := func() int {
		n, err := e.db.Store.EvidenceCount(context.Background(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	v0 := e.version(c.ID)
	// Over the limit by one byte, and a forbidden type: refused, nothing stored, no event.
	if r := cl.uploadEvidence(page, page+"/evidence", fields(), "big.txt", bytes.Repeat([]byte("a"), limit+1)); r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("over the limit: %d", r.Status)
	}
	if r := cl.uploadEvidence(page, page+"/evidence", fields(), "huge.txt", bytes.Repeat([]byte("a"), limit+2<<20)); r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("far over the limit: %d", r.Status)
	}
	if r := cl.uploadEvidence(page, page+"/evidence", fields(), "evil.html", []byte("<html><script>alert(1)</script></html>")); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("forbidden type: %d", r.Status)
	}
	if r := e.client().loginAs("auditor").uploadEvidence(page, page+"/evidence", fields(), "a.pdf", []byte("%PDF-1.4\n")); r.Status != http.StatusForbidden {
		t.Fatalf("auditor upload: %d", r.Status)
	}
	if n := stored(); n != 0 || e.version(c.ID) != v0 {
		t.Fatalf("refused uploads left %d files, version %d → %d", n, v0, e.version(c.ID))
	}
	// Exactly at the limit is accepted; the hash is on the page and in the API.
	data := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), limit-9)...)
	sum := sha256.Sum256(data)
	hexsum := hex.EncodeToString(sum[:])
	if r := cl.uploadEvidence(page, page+"/evidence", fields(), "削除確認書.pdf", data); r.Status != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	body := cl.get(page + "?stage=containment").Body
	if !strings.Contains(body, hexsum) || !strings.Contains(body, "削除確認書.pdf") {
		t.Fatal("the page does not show the file's SHA-256")
	}
	list := decode[apiRecordsOut](t, e.api("GET", fmt.Sprintf("/api/v1/cases/%d/records", c.ID), e.tok["manager"], ""))
	if len(list.Evidence) != 1 || list.Evidence[0].SHA256 != hexsum {
		t.Fatalf("api evidence %+v", list.Evidence)
	}
	// Download: the same bytes, as an attachment; the custody log has the download with the hash.
	mgr := e.client().loginAs("manager")
	r := mgr.get(fmt.Sprintf("%s/evidence/%d", page, list.Evidence[0].ID))
	if r.Status != http.StatusOK || r.Body != string(data) || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %q", r.Status, r.Header.Get("Content-Disposition"))
	}
	// The Japanese name survives the header (RFC 5987 filename* after an ASCII fallback); the
	// digest is the stored SHA-256; nothing may sniff the bytes into a page.
	cd := r.Header.Get("Content-Disposition")
	if _, params, err := mime.ParseMediaType(cd); err != nil || params["filename"] != "削除確認書.pdf" || !strings.Contains(cd, "filename*=utf-8''") {
		t.Errorf("Content-Disposition %q reads back as %q (%v)", cd, params["filename"], err)
	}
	if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Repr-Digest") != "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":" {
		t.Errorf("download headers: nosniff %q, digest %q", r.Header.Get("X-Content-Type-Options"), r.Header.Get("Repr-Digest"))
	}
	rows, err := e.db.Store.AccessLog(context.Background(), store.AccessFilter{CaseID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, row := range rows {
		if row.Page == "evidence_download" && row.UserID == e.users["manager"].ID && strings.Contains(row.Reason, hexsum) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("custody log rows for the download: %d", n)
	}
	if r := mgr.get(fmt.Sprintf("%s/evidence/%d", page, list.Evidence[0].ID+99)); r.Status != http.StatusNotFound {
		t.Fatalf("unknown file: %d", r.Status)
	}
}

func TestDashboard_OverdueMeasures(t *testing.T) {
	e := newRecordsEnv(t, 1<<20)
	c := e.open()
	path := fmt.Sprintf("/api/v1/cases/%d/records", c.ID)
	add := func(due, status string) {
		t.Helper()
		r := e.api("POST", path, e.tok["staff"], `{"kind":"recurrence_measure","values":{"description":"持出し規程の改正 `+due+`","safeguard":"organizational","scope":"company_wide","owner":"総務部長","due_date":"`+due+`","status":"`+status+`"}}`,
			"If-Match", fmt.Sprint(e.version(c.ID)))
		if r.Status != http.StatusCreated {
			t.Fatalf("add measure: %d %s", r.Status, r.Body)
		}
	}
	add("2000-01-31", "planned")     // 1: overdue whatever today is
	add("2999-12-31", "planned")     // 2: not yet due
	add("2000-02-29", "in_progress") // 3: overdue
	cl := e.client().loginAs("manager")
	body := cl.get("/dashboard").Body
	for id, want := range map[int]bool{1: true, 2: false, 3: true} {
		if got := strings.Contains(body, fmt.Sprintf(`data-testid="overdue-measure-%d-%d"`, c.ID, id)); got != want {
			t.Errorf("measure %d on the dashboard: %v, want %v", id, got, want)
		}
	}
	if !strings.Contains(body, "持出し規程の改正 2000-01-31") {
		t.Error("the overdue measure's description is not shown")
	}
	if !strings.Contains(cl.get(fmt.Sprintf("/cases/%d?stage=recurrence_prevention", c.ID)).Body, `data-testid="record-overdue-1"`) {
		t.Error("the case page does not mark the overdue measure")
	}
}

// TestAudit_RecordsAsOf: the auditor desk's "as of event k" view shows the records as they were.
func TestAudit_RecordsAsOf(t *testing.T) {
	e := newRecordsEnv(t, 1<<20)
	c := e.open()
	path := fmt.Sprintf("/api/v1/cases/%d/records", c.ID)
	r := e.api("POST", path, e.tok["staff"], `{"kind":"monitoring_entry","values":{"date":"2026-05-02","searched_where":"web","result":"nothing_found","query":"最初の検索語"}}`,
		"If-Match", fmt.Sprint(c.Version))
	if r.Status != http.StatusCreated {
		t.Fatalf("add: %d %s", r.Status, r.Body)
	}
	added := e.version(c.ID)
	if r := e.api("PATCH", path+"/1", e.tok["staff"], `{"values":{"query":"変更後の検索語"}}`, "If-Match", fmt.Sprint(added)); r.Status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	au := e.client().loginAs("auditor")
	for at, want := range map[int64]string{added: "最初の検索語", added + 1: "変更後の検索語"} {
		body := au.get(fmt.Sprintf("/audit/cases/%d?at=%d", c.ID, at)).Body
		if !strings.Contains(body, `data-testid="asof-record-1"`) || !strings.Contains(body, want) {
			t.Errorf("as of %d: the record with %q is not shown", at, want)
		}
	}
	if body := au.get(fmt.Sprintf("/audit/cases/%d?at=%d", c.ID, added-1)).Body; strings.Contains(body, `data-testid="asof-record-1"`) {
		t.Error("the record is shown before it was added")
	}
}

// TestEvidenceUpload_BadStageIs422OnPageAndAPI: the page's upload and its API twin refuse an
// unknown stage alike — 422 naming the stage field in Japanese — and store nothing (the page was a
// bare 400 「形式が正しくありません」 before).
func TestEvidenceUpload_BadStageIs422OnPageAndAPI(t *testing.T) {
	e := newRecordsEnv(t, 4096)
	c := e.open()
	page := fmt.Sprintf("/cases/%d", c.ID)
	cl := e.client().loginAs("staff")
	v0 := e.version(c.ID)
	for _, stage := range []string{"", "nosuchstage"} {
		fields := map[string]string{"version": fmt.Sprint(v0), "stage": stage, "note": "x"}
		r := cl.uploadEvidence(page, page+"/evidence", fields, "a.pdf", []byte("%PDF-1.4\n"))
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "段階を指定してください。") {
			t.Errorf("page, stage %q: %d, want 422 naming the stage", stage, r.Status)
		}
	}
	if n, err := e.db.Store.EvidenceCount(context.Background(), c.ID); err != nil || n != 0 || e.version(c.ID) != v0 {
		t.Fatalf("refused uploads left %d files (%v), version %d → %d", n, err, v0, e.version(c.ID))
	}
}

// TestInvalidValueIs422Everywhere: a value the server understands but refuses is code "invalid",
// answered 422 naming its field — on a list filter and the language switch too, which answered 400
// (the status of "malformed": a request the server could not read) before.
func TestInvalidValueIs422Everywhere(t *testing.T) {
	e := newRecordsEnv(t, 4096)
	c := e.open()
	for _, path := range []string{"/api/v1/cases?stage=nosuchstage", fmt.Sprintf("/api/v1/cases/%d/records?stage=nosuchstage", c.ID)} {
		r := e.api("GET", path, e.tok["manager"], "")
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"invalid"`) || !strings.Contains(r.Body, `"stage"`) {
			t.Errorf("GET %s: %d %s, want 422 invalid naming stage", path, r.Status, r.Body)
		}
	}
	cl := e.client().loginAs("staff")
	if r := cl.postForm("/account", "/lang", url.Values{"lang": {"fr"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "言語の指定が正しくありません。") {
		t.Errorf("POST /lang fr: %d, want 422 with the Japanese message", r.Status)
	}
}
