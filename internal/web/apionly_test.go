package web_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/auth"
)

// One case through the API alone (issue 17's "done when"), from the employee's first report to
// closure: the report, the facts, the register imported as a CSV body (a bad file refused with
// nothing staged), a person added and corrected, the checklist, the discovery request and its
// approval, the Commission's 速報 drafted, finalised and printed, then every stage to the 確報 and
// the notice (apiOnlyToClosure), the register exported, the case closed, and the auditor's sign-off
// and export. Every request and real response is checked against openapi.json
// (libopenapi-validator).
func TestAPIOnly_FirstReportToClosure(t *testing.T) {
	h := newReportHarness(t)
	checkAgainstOpenAPI(t, h.harness)
	h.user("privacy", auth.RolePrivacyOfficer)
	h.user("hr2", auth.RoleHR)
	rep, staff, mgr, aud := h.token("reporter"), h.token("staff"), h.token("manager"), h.token("auditor")
	call := func(method, path, tok, body string, want int, hdr ...string) resp {
		t.Helper()
		r := h.api(method, path, tok, body, hdr...)
		if r.Status != want {
			t.Fatalf("%s %s: %d, want %d: %.400s", method, path, r.Status, want, r.Body)
		}
		return r
	}
	version := func(id string) string {
		t.Helper()
		var c struct {
			Version int64 `json:"version"`
		}
		_ = json.Unmarshal([]byte(call(http.MethodGet, "/api/v1/cases/"+id, staff, "", 200).Body), &c)
		return strconv.FormatInt(c.Version, 10)
	}

	noticed := time.Now().Add(-20 * time.Minute).Format(time.RFC3339)
	r := call(http.MethodPost, "/api/v1/reports", rep, `{"initial_description":"顧客リストを取引先へ誤送信","recognized_at":"`+noticed+
		`","suspected_data_items":["name","email"],"estimated_count_max":3,"reporter_contact":"内線 1111"}`, 201)
	var fr struct {
		CaseID int64 `json:"case_id"`
	}
	_ = json.Unmarshal([]byte(r.Body), &fr)
	id := strconv.FormatInt(fr.CaseID, 10)
	base := "/api/v1/cases/" + id
	h.waitMail("第一報を受け付けました")

	call(http.MethodPut, base+"/owner", staff, `{"user_id":`+strconv.FormatInt(h.users["staff"].ID, 10)+`}`, 200, "If-Match", version(id))
	call(http.MethodPatch, base, staff, `{"facts":{"reported_to_soumu_at":"`+time.Now().Add(-10*time.Minute).Format(time.RFC3339)+
		`","containment_ordered_at":"`+time.Now().Add(-5*time.Minute).Format(time.RFC3339)+`","prelim_screen":"suspected","exec_notification_decision":"not_needed","involves_my_number":"no","suspected_route":"email_missend"}}`,
		200, "If-Match", version(id))

	// The register: a CSV with a bad row is refused, nothing staged; a good one is previewed and committed.
	bad := h.apiRaw(http.MethodPost, base+"/persons/import", staff, "text/csv", []byte("氏名,メールアドレス\n鈴木 次郎,not-an-address\n"))
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, `"errors"`) {
		t.Fatalf("bad CSV: %d %s", bad.Status, bad.Body)
	}
	if n := h.countRows("person_import_uploads"); n != 0 {
		t.Errorf("a refused CSV was staged (%d)", n)
	}
	pv := h.apiRaw(http.MethodPost, base+"/persons/import", staff, "text/csv", []byte("氏名,メールアドレス\n鈴木 次郎,jiro@example.jp\n田中 花子,hanako@example.jp\n"))
	var preview struct {
		Upload string `json:"upload"`
		Add    int    `json:"add"`
	}
	if err := json.Unmarshal([]byte(pv.Body), &preview); pv.Status != 200 || err != nil || preview.Add != 2 {
		t.Fatalf("preview: %d %s", pv.Status, pv.Body)
	}
	call(http.MethodPost, base+"/persons/import/commit", staff, `{"upload":"`+preview.Upload+`"}`, 201)
	call(http.MethodPost, base+"/persons", staff, `{"name":"佐藤 三郎","email":"saburo@example.jp"}`, 201)
	call(http.MethodPost, base+"/persons", staff, `{"name":"","email":"x"}`, 422)
	list := call(http.MethodGet, base+"/persons", staff, "", 200)
	if !strings.Contains(list.Body, "佐藤 三郎") {
		t.Fatalf("register list: %.300s", list.Body)
	}

	// Discovery: checklist, request, approval (the manager).
	call(http.MethodPost, base+"/checklist", staff, `{"item":"discovery.evidence_preserved","checked":true}`, 200, "If-Match", version(id))
	req := call(http.MethodPost, base+"/requests", staff, `{"stage":"discovery","kind":"complete","note":"第一報完了"}`, 201, "If-Match", version(id))
	var rq struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal([]byte(req.Body), &rq)
	call(http.MethodPost, "/api/v1/requests/"+strconv.FormatInt(rq.ID, 10)+"/approve", mgr, `{"note":"承認します"}`, 200, "If-Match", version(id))

	// The Commission's preliminary report: drafted by staff, finalisation requested by staff and
	// approved by the manager (not an editor), filed, printed.
	doc := base + "/documents/report_prelim"
	call(http.MethodPut, doc, staff, `{"edits":{"item9":"委託先の調査結果を待って追完する。"}}`, 200)
	call(http.MethodPatch, base, staff, `{"facts":{"prelim_submitted_at":"`+time.Now().Format(time.RFC3339)+`"}}`, 422, "If-Match", version(id))
	call(http.MethodPost, doc+"/finalise", aud, `{"version":0}`, 403, "If-Match", version(id))
	fin := call(http.MethodPost, doc+"/finalise", staff, `{"version":0,"note":"速報の確認をお願いします"}`, 200, "If-Match", version(id))
	var d struct {
		Status    string `json:"status"`
		Version   int    `json:"version"`
		SHA256    string `json:"sha256"`
		RequestID int64  `json:"request_id"`
		Approval  string `json:"approval"`
	}
	if err := json.Unmarshal([]byte(fin.Body), &d); err != nil || d.Status != "final" || len(d.SHA256) != 64 || d.Approval != "pending" {
		t.Fatalf("finalise: %s", fin.Body)
	}
	call(http.MethodPost, "/api/v1/requests/"+strconv.FormatInt(d.RequestID, 10)+"/approve", staff, `{"note":"承認します"}`, 403, "If-Match", version(id))
	call(http.MethodPost, "/api/v1/requests/"+strconv.FormatInt(d.RequestID, 10)+"/approve", mgr, `{"note":"速報の提出を承認"}`, 200, "If-Match", version(id))
	call(http.MethodPatch, base, staff, `{"facts":{"prelim_submitted_at":"`+time.Now().Format(time.RFC3339)+`"}}`, 200, "If-Match", version(id))
	pdf := call(http.MethodGet, doc+"/pdf?version="+strconv.Itoa(d.Version), staff, "", 200)
	if !strings.HasPrefix(pdf.Body, "%PDF") {
		t.Error("not a PDF")
	}

	apiOnlyToClosure(t, call, version, id, map[string]string{"staff": staff, "manager": mgr, "privacy": h.token("privacy"),
		"hr": h.token("hr"), "hr2": h.token("hr2")})

	// The auditor signs off and exports.
	call(http.MethodPost, "/api/v1/audit/cases/"+id+"/signoff", aud, `{"body":"第一報から終結まで確認","scope":"終結まで","reviewed_on":"`+time.Now().Format("2006-01-02")+`"}`, 201)
	zip := call(http.MethodGet, "/api/v1/audit/cases/"+id+"/export", aud, "", 200)
	if !strings.HasPrefix(zip.Body, "PK") {
		t.Error("export is not a ZIP")
	}
}
