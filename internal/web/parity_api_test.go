package web_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// The API twins answer with the page's rules: If-Match required (428) and checked (409), an
// unknown checklist item 422 with the field, the domain's refusals as the page gets them, and a
// real change (a new version) when allowed.
func TestParityAPI_CaseCommandsSameRules(t *testing.T) {
	f := newAuditFixture(t)
	h := f.h
	staff, mgr, aud := h.token("staff"), h.token("manager"), h.token("auditor")
	base := "/api/v1/cases/" + strconv.FormatInt(f.c.ID, 10)
	v := func() string { return strconv.FormatInt(f.version(t), 10) }

	if r := h.api(http.MethodPost, base+"/checklist", staff, `{"item":"discovery.report_to_soumu","checked":true}`); r.Status != http.StatusPreconditionRequired {
		t.Errorf("no If-Match: %d", r.Status)
	}
	if r := h.api(http.MethodPost, base+"/checklist", staff, `{"item":"discovery.report_to_soumu","checked":true}`, "If-Match", "1"); r.Status != http.StatusConflict {
		t.Errorf("stale If-Match: %d", r.Status)
	}
	if r := h.api(http.MethodPost, base+"/checklist", staff, `{"item":"no.such","checked":true}`, "If-Match", v()); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"field":"item"`) {
		t.Errorf("unknown item: %d %s", r.Status, r.Body)
	}
	before := f.version(t)
	if r := h.api(http.MethodPost, base+"/checklist", staff, `{"item":"discovery.report_to_soumu","checked":true}`, "If-Match", v()); r.Status != http.StatusOK {
		t.Fatalf("tick: %d %s", r.Status, r.Body)
	}
	if f.version(t) != before+1 {
		t.Error("tick did not change the case")
	}
	// Involvement: the staff member may not mark (the domain's rule, 403 like the page); the manager may.
	other := strconv.FormatInt(f.actors["hr"].UserID, 10)
	if r := h.api(http.MethodPost, base+"/involved", staff, `{"user_id":`+other+`,"reason":"送信者"}`, "If-Match", v()); r.Status != http.StatusForbidden {
		t.Errorf("staff marks involvement: %d", r.Status)
	}
	if r := h.api(http.MethodPost, base+"/involved", mgr, `{"user_id":`+other+`,"reason":"送信者"}`, "If-Match", v()); r.Status != http.StatusOK {
		t.Errorf("manager marks involvement: %d %s", r.Status, r.Body)
	}
	// Owner: none chosen is refused by the domain with the page's field error.
	if r := h.api(http.MethodPut, base+"/owner", staff, `{"user_id":0}`, "If-Match", v()); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"field":"user_id"`) {
		t.Errorf("no owner: %d %s", r.Status, r.Body)
	}
	if r := h.api(http.MethodPut, base+"/owner", staff, `{"user_id":`+strconv.FormatInt(f.actors["manager"].UserID, 10)+`}`, "If-Match", v()); r.Status != http.StatusOK {
		t.Errorf("owner: %d %s", r.Status, r.Body)
	}
	// Reopen without a reason: 422 from the domain.
	if r := h.api(http.MethodPost, base+"/reopen", mgr, `{"stage":"discovery"}`, "If-Match", v()); r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusConflict {
		t.Errorf("reopen without reason: %d %s", r.Status, r.Body)
	}

	// The auditor: comments and sign-offs in their own chain, the case unchanged; the export ZIP.
	before = f.version(t)
	if r := h.api(http.MethodPost, "/api/v1/audit/cases/"+strconv.FormatInt(f.c.ID, 10)+"/comments", aud, `{"body":""}`); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("empty comment: %d", r.Status)
	}
	if r := h.api(http.MethodPost, "/api/v1/audit/cases/"+strconv.FormatInt(f.c.ID, 10)+"/signoff", aud, `{"body":"監査済み","scope":"第一報まで","reviewed_on":"2026-05-20"}`); r.Status != http.StatusCreated || !strings.Contains(r.Body, `"kind":"signoff"`) {
		t.Errorf("sign-off: %d %s", r.Status, r.Body)
	}
	if f.version(t) != before {
		t.Error("a sign-off changed the case")
	}
	r := h.api(http.MethodGet, "/api/v1/audit/cases/"+strconv.FormatInt(f.c.ID, 10)+"/export", aud, "")
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/zip" || !strings.HasPrefix(r.Body, "PK") {
		t.Errorf("export: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
}
