package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

// approvedDocument takes a document of the case through the API the way a client would — staff
// saves a draft and asks for finalisation, then each approver token stamps in the route's order —
// so that a filing time may be recorded (issue 14). It returns the request id.
func (e *apiEnv) approvedDocument(caseID int64, kind string, approvers ...string) int64 {
	e.t.Helper()
	doc := fmt.Sprintf("/api/v1/cases/%d/documents/%s", caseID, kind)
	if r := e.api("PUT", doc, e.tok["staff"], `{"edits":{}}`); r.Status != http.StatusOK {
		e.t.Fatalf("draft %s: %d %s", kind, r.Status, r.Body)
	}
	r := e.api("POST", doc+"/finalise", e.tok["staff"], `{"version":0}`, "If-Match", fmt.Sprint(e.version(caseID)))
	if r.Status != http.StatusOK {
		e.t.Fatalf("finalise %s: %d %s", kind, r.Status, r.Body)
	}
	var out struct {
		RequestID int64 `json:"request_id"`
	}
	_ = json.Unmarshal([]byte(r.Body), &out)
	for _, who := range approvers {
		if r := e.api("POST", fmt.Sprintf("/api/v1/requests/%d/approve", out.RequestID), e.tok[who], `{"note":"文書を確認しました"}`,
			"If-Match", fmt.Sprint(e.version(caseID))); r.Status != http.StatusOK {
			e.t.Fatalf("approve %s as %s: %d %s", kind, who, r.Status, r.Body)
		}
	}
	return out.RequestID
}

// TestFiling_RefusedWithoutApprovedDocument: a filing time on the API without an approved document
// is a 422 problem+json naming the field, in Japanese, and writes nothing; with one, the
// facts_changed event names the document (id, version).
func TestFiling_RefusedWithoutApprovedDocument(t *testing.T) {
	e := newAPIEnv(t)
	c := e.open()
	path := fmt.Sprintf("/api/v1/cases/%d", c.ID)
	v := e.version(c.ID)
	r := e.api("PATCH", path, e.tok["staff"], `{"facts":{"prelim_submitted_at":"2026-05-02T10:00"}}`, "If-Match", fmt.Sprint(v))
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("without a document: %d %s", r.Status, r.Body)
	}
	detail, fields := problemDetail(t, r)
	if detail == "" || len(fields) != 1 || fields[0]["field"] != "prelim_submitted_at" {
		t.Fatalf("problem %q %v", detail, fields)
	}
	if e.version(c.ID) != v {
		t.Fatal("a refused filing wrote")
	}
	rid := e.approvedDocument(c.ID, "report_prelim", "manager")
	if r := e.api("PATCH", path, e.tok["staff"], `{"facts":{"prelim_submitted_at":"2026-05-02T10:00"}}`, "If-Match", fmt.Sprint(e.version(c.ID))); r.Status != http.StatusOK {
		t.Fatalf("with the approved document: %d %s", r.Status, r.Body)
	}
	cs, err := e.db.Store.GetCase(t.Context(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	f := cs.Filings["prelim_submitted_at"]
	rq := cs.Request(rid)
	if f.RequestID != rid || f.DocumentID != rq.Doc.ID || f.Version != rq.Doc.Version || f.SHA256 != rq.Doc.SHA256 {
		t.Fatalf("filing %+v, request document %+v", f, rq.Doc)
	}
}
