package appi

import (
	"encoding/json"
	"slices"
	"testing"
)

func keysOf(t *testing.T, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("not an object: %#v", v)
	}
	return m
}

func requireKeys(t *testing.T, where string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: missing key %q", where, k)
		}
	}
}

func requireArray(t *testing.T, where string, v any) []any {
	t.Helper()
	a, ok := v.([]any)
	if !ok {
		t.Errorf("%s: want a JSON array, got %#v", where, v)
	}
	return a
}

// The assessment object of shared/docs/api.md is a fixed contract.
func TestAssessment_JSONShape(t *testing.T) {
	for _, tc := range []struct {
		name  string
		facts Facts
	}{
		{"reportable", s3()},
		{"not reportable", base()},
		{"empty facts", Facts{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(Assess(tc.facts, DefaultOptions(), baseNow))
			if err != nil {
				t.Fatal(err)
			}
			var top map[string]any
			if err := json.Unmarshal(b, &top); err != nil {
				t.Fatal(err)
			}
			requireKeys(t, "top", top, "appi", "mynumber", "deadlines")
			appi := keysOf(t, top["appi"])
			requireKeys(t, "appi", appi, "status", "categories", "exemptions", "notice_required", "final_days", "reasons", "needs_review")
			for _, k := range []string{"categories", "exemptions", "reasons", "needs_review"} {
				requireArray(t, "appi."+k, appi[k])
			}
			if !slices.Contains([]any{"reportable", "not_reportable", "undetermined"}, appi["status"]) {
				t.Errorf("appi.status = %v", appi["status"])
			}
			if _, ok := appi["notice_required"].(bool); !ok {
				t.Errorf("notice_required = %#v", appi["notice_required"])
			}
			switch fd := appi["final_days"].(type) {
			case nil:
				if appi["status"] == "reportable" {
					t.Error("final_days null for a reportable case")
				}
			case float64:
				if fd != 30 && fd != 60 {
					t.Errorf("final_days = %v", fd)
				}
			default:
				t.Errorf("final_days = %#v", fd)
			}
			for _, r := range requireArray(t, "appi.reasons", appi["reasons"]) {
				requireKeys(t, "reason", keysOf(t, r), "code", "ja", "en")
			}
			mn := keysOf(t, top["mynumber"])
			requireKeys(t, "mynumber", mn, "status", "categories", "final_days", "voluntary_report_recommended", "reasons")
			requireArray(t, "mynumber.categories", mn["categories"])
			requireArray(t, "mynumber.reasons", mn["reasons"])
			for _, dl := range requireArray(t, "deadlines", top["deadlines"]) {
				m := keysOf(t, dl)
				requireKeys(t, "deadline", m, "kind", "due", "basis", "state")
				if !slices.Contains([]any{"first_internal_report", "prelim_target", "prelim_outer", "final_report", "notice_decision"}, m["kind"]) {
					t.Errorf("kind = %v", m["kind"])
				}
				if !slices.Contains([]any{"open", "met", "missed"}, m["state"]) {
					t.Errorf("state = %v", m["state"])
				}
			}
		})
	}
}

func TestAssessment_JSONValues(t *testing.T) {
	b, _ := json.Marshal(Assess(s2a(), DefaultOptions(), s2aNow))
	var got struct {
		APPI struct {
			Categories []string `json:"categories"`
			FinalDays  *int     `json:"final_days"`
		} `json:"appi"`
		Deadlines []struct {
			Kind, Due, State string
		} `json:"deadlines"`
		KnownDate string `json:"known_date"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.KnownDate != "2026-04-30" || got.APPI.FinalDays == nil || *got.APPI.FinalDays != 30 ||
		!slices.Equal(got.APPI.Categories, []string{"R7_4_over_1000"}) {
		t.Errorf("decoded %+v", got)
	}
	if got.Deadlines[0].Due != "2026-04-30T23:10:00+09:00" || got.Deadlines[3].Due != "2026-05-29" {
		t.Errorf("deadlines %+v", got.Deadlines)
	}
}
