package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/incident"
)

// TestAPIAssessment_ShapeAndAccess pins the assessment object of api.md: every key it names, with
// its JSON type, plus the documented additional keys and nothing else.
func TestAPIAssessment_ShapeAndAccess(t *testing.T) {
	h := newLawHarness(t)
	c := h.openCase("API案件", 26*time.Hour, false)
	involved := h.openCase("関係者の案件", 26*time.Hour, false)
	if _, _, err := h.svc.Do(context.Background(), involved.ID, 0, h.actor("manager"), incident.MarkInvolved{UserID: h.users["staff2"].ID, Involved: true, Reason: "当事者"}); err != nil {
		t.Fatal(err)
	}
	staff := h.token("staff")
	r := h.api(http.MethodGet, fmt.Sprintf("/api/v1/cases/%d/assessment", c.ID), staff, "")
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("status %d %s: %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
		t.Fatal(err)
	}
	type shape map[string]string // key → JSON type ("string", "bool", "array", "object", "number|null", ...)
	check := func(where string, obj any, required shape, extra ...string) {
		t.Helper()
		m, ok := obj.(map[string]any)
		if !ok {
			t.Fatalf("%s is not an object", where)
		}
		allowed := map[string]bool{}
		for _, k := range extra {
			allowed[k] = true
		}
		for k, typ := range required {
			v, ok := m[k]
			if !ok {
				t.Errorf("%s.%s missing", where, k)
				continue
			}
			if !jsonType(v, typ) {
				t.Errorf("%s.%s = %v, want %s", where, k, v, typ)
			}
			allowed[k] = true
		}
		for k := range m {
			if !allowed[k] {
				t.Errorf("%s.%s is neither in api.md nor a documented addition", where, k)
			}
		}
	}
	check("assessment", got, shape{"appi": "object", "mynumber": "object", "deadlines": "array"},
		"known_date", "thirty_minute_rule", "contradictions", "assessed_at")
	check("appi", got["appi"], shape{"status": "status", "categories": "array", "exemptions": "array", "notice_required": "bool",
		"final_days": "days", "reasons": "array", "needs_review": "array"},
		"max_affected", "publication_may_substitute", "voluntary_report_possible")
	check("mynumber", got["mynumber"], shape{"status": "status", "categories": "array", "final_days": "days",
		"voluntary_report_recommended": "bool", "reasons": "array"}, "applicable", "needs_review")
	reasons := got["appi"].(map[string]any)["reasons"].([]any)
	check("reason", reasons[0], shape{"code": "string", "ja": "string", "en": "string"})
	dls := got["deadlines"].([]any)
	if len(dls) == 0 {
		t.Fatal("no deadlines")
	}
	kinds := map[string]bool{"first_internal_report": true, "prelim_target": true, "prelim_outer": true, "final_report": true, "notice_decision": true}
	for _, x := range dls {
		d := x.(map[string]any)
		check("deadline", d, shape{"kind": "string", "due": "string", "basis": "string", "state": "state"},
			"due_at", "label_ja", "label_en", "note_ja", "note_en", "statutory", "day", "shifted_from", "skipped_days",
			"outer_due", "regimes", "completed_at", "missed_by_seconds", "remaining_seconds")
		if !kinds[d["kind"].(string)] {
			t.Errorf("deadline kind %v", d["kind"])
		}
		due := d["due"].(string)
		if _, err := time.Parse(time.DateOnly, due); err != nil {
			if _, err := time.Parse(time.RFC3339, due); err != nil {
				t.Errorf("due %q is neither YYYY-MM-DD nor RFC 3339", due)
			}
		}
	}

	for _, tc := range []struct {
		name, token, path string
		want              int
	}{
		{"no token", "", fmt.Sprintf("/api/v1/cases/%d/assessment", c.ID), 401},
		{"bad token", "nope", fmt.Sprintf("/api/v1/cases/%d/assessment", c.ID), 401},
		{"admin", h.token("admin"), fmt.Sprintf("/api/v1/cases/%d/assessment", c.ID), 403},
		{"involved user", h.token("staff2"), fmt.Sprintf("/api/v1/cases/%d/assessment", involved.ID), 403},
		{"unknown case", staff, "/api/v1/cases/999999/assessment", 404},
		{"auditor reads", h.token("auditor"), fmt.Sprintf("/api/v1/cases/%d/assessment", c.ID), 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.api(http.MethodGet, tc.path, tc.token, "")
			if r.Status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.want, r.Body)
			}
			if tc.want >= 400 && r.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("error content type %q", r.Header.Get("Content-Type"))
			}
		})
	}
	var n int
	if err := h.db.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM access_log WHERE case_id = $1 AND page = 'api_assessment'`, c.ID).Scan(&n); err != nil || n != 2 {
		t.Errorf("access log rows for api_assessment: %d (%v), want 2", n, err)
	}
}

func jsonType(v any, typ string) bool {
	switch typ {
	case "string":
		_, ok := v.(string)
		return ok
	case "bool":
		_, ok := v.(bool)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "days":
		if v == nil {
			return true
		}
		f, ok := v.(float64)
		return ok && (f == 30 || f == 60)
	case "status":
		s, _ := v.(string)
		return s == "reportable" || s == "not_reportable" || s == "undetermined"
	case "state":
		s, _ := v.(string)
		return s == "open" || s == "met" || s == "missed"
	}
	return false
}
