package appi

import (
	"reflect"
	"testing"
)

// mnBase is an employer (number-related operator) whose payroll file with
// My Numbers was mis-sent: 50 employees, no wrongful act, not public.
func mnBase() Facts {
	return with(base(),
		"involves_my_number", "yes",
		"data_items", []string{"my_number", "name", "salary"},
		"affected_count", 50,
		"mn_entity_role", "number_related_operator",
		"mn_system_scope", "other",
		"mn_wrongful", "no",
		"mn_public_view", "no",
		"mn_leak_count", 50,
	)
}

func TestMyNumberTable(t *testing.T) {
	tests := []struct {
		name      string
		facts     Facts
		status    Status
		cats      []string
		finalDays int
		voluntary bool
		review    string
	}{
		{"NR below every threshold: duty to try to report", mnBase(), StatusNotReportable, nil, 0, true, ""},
		{"M-E high-level encryption", with(mnBase(), "mn_leak_count", 500, "encryption", "high_level", "encryption_algorithm", "AES-256",
			"key_separated", true, "key_compromised", "no"), StatusNotReportable, nil, 0, true, ""},
		{"M-E key unknown is not an exit", with(mnBase(), "mn_leak_count", 50, "encryption", "high_level", "encryption_algorithm", "AES-256",
			"key_separated", true, "key_compromised", "unknown"), StatusUndetermined, nil, 0, false, "mn_encryption_undecided"},
		{"M1 system scope", with(mnBase(), "mn_system_scope", "use_affairs_system", "mn_entity_role", "number_use_operator"),
			StatusReportable, []string{CatMNSystem}, 30, false, ""},
		{"M2 wrongful explicit", with(mnBase(), "mn_wrongful", "yes"), StatusReportable, []string{CatMNWrongful}, 60, false, ""},
		{"M2 derived from the APPI wrongful act", with(mnBase(), "mn_wrongful", nil, "route", "insider_takeout"),
			StatusReportable, []string{CatMNWrongful}, 60, false, ""},
		{"M3 public view", with(mnBase(), "mn_public_view", "yes"), StatusReportable, []string{CatMNPublic}, 30, false, ""},
		{"M3 derived from a public misconfiguration", with(mnBase(), "mn_public_view", nil, "route", "misconfig_public_exposure"),
			StatusReportable, []string{CatMNPublic}, 30, false, ""},
		{"M4 exactly 100 does not qualify", with(mnBase(), "mn_leak_count", 100), StatusNotReportable, nil, 0, true, ""},
		{"M4 101 leaked", with(mnBase(), "mn_leak_count", 101), StatusReportable, []string{CatMNOver100}, 30, false, ""},
		{"M4 101 unlawfully used", with(mnBase(), "mn_unlawful_use_count", 101), StatusReportable, []string{CatMNOver100}, 30, false, ""},
		{"M4 101 unlawfully provided", with(mnBase(), "mn_unlawful_provision_count", 101), StatusReportable, []string{CatMNOver100}, 30, false, ""},
		{"M4 falls back to the overall maximum", with(mnBase(), "mn_leak_count", nil, "affected_count", 150),
			StatusReportable, []string{CatMNOver100}, 30, false, "mn_leak_count_assumed"},
		{"OUT 60 when MN2_2 is combined", with(mnBase(), "mn_wrongful", "yes", "mn_leak_count", 1200, "affected_count", 1200),
			StatusReportable, []string{CatMNWrongful, CatMNOver100}, 60, false, ""},
		{"not involved", with(base(), "involves_my_number", "no"), StatusNotReportable, nil, 0, false, ""},
		{"unknown involvement is treated as possibly yes", with(mnBase(), "involves_my_number", "unknown", "data_items", []string{"name"}, "mn_leak_count", 300),
			StatusReportable, []string{CatMNOver100}, 30, false, "involves_my_number_unknown"},
		{"unrecorded involvement is undetermined, not assumed", with(base(), "involves_my_number", nil, "affected_count", 500),
			StatusUndetermined, nil, 0, false, "involves_my_number_not_recorded"},
		{"a my_number item means involved even if unrecorded", with(base(), "involves_my_number", nil, "data_items", []string{"my_number"}, "affected_count", 500),
			StatusReportable, []string{CatMNOver100}, 30, false, ""},
		{"ruled out", with(mnBase(), "certainty", "ruled_out", "mn_leak_count", 500), StatusNotReportable, nil, 0, false, ""},
		{"no My Number count at all", with(mnBase(), "mn_leak_count", nil, "affected_count", nil), StatusUndetermined, nil, 0, false, "mn_count_not_recorded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Assess(tt.facts, DefaultOptions(), baseNow).MyNumber
			if m.Status != tt.status {
				t.Errorf("status = %s, want %s; reasons %v", m.Status, tt.status, m.Reasons)
			}
			if want := orEmpty(tt.cats); !reflect.DeepEqual(m.Categories, want) {
				t.Errorf("categories = %v, want %v", m.Categories, want)
			}
			switch {
			case tt.finalDays == 0 && m.FinalDays != nil:
				t.Errorf("final_days = %d, want null", *m.FinalDays)
			case tt.finalDays != 0 && (m.FinalDays == nil || *m.FinalDays != tt.finalDays):
				t.Errorf("final_days = %v, want %d", m.FinalDays, tt.finalDays)
			}
			if m.VoluntaryReportRecommended != tt.voluntary {
				t.Errorf("voluntary_report_recommended = %v, want %v", m.VoluntaryReportRecommended, tt.voluntary)
			}
			if tt.review != "" && !contains(m.NeedsReview, tt.review) {
				t.Errorf("needs_review = %v, want %s", m.NeedsReview, tt.review)
			}
		})
	}
}

// 1,200 employees including My Numbers trigger both regimes (§2.3).
func TestBothRegimesRunInParallel(t *testing.T) {
	f := with(mnBase(), "affected_count", 1200, "mn_leak_count", 1200)
	a := Assess(f, DefaultOptions(), baseNow)
	if a.APPI.Status != StatusReportable || !contains(a.APPI.Categories, CatOver1000) {
		t.Errorf("APPI = %s %v", a.APPI.Status, a.APPI.Categories)
	}
	if a.MyNumber.Status != StatusReportable || !contains(a.MyNumber.Categories, CatMNOver100) {
		t.Errorf("My Number = %s %v", a.MyNumber.Status, a.MyNumber.Categories)
	}
	fr, ok := a.Deadline(KindFinalReport)
	if !ok || !reflect.DeepEqual(fr.Regimes, []string{"appi", "mynumber"}) {
		t.Errorf("final report regimes = %v", fr.Regimes)
	}
}

// My Number alone (APPI not reportable) still opens the report deadlines.
func TestMyNumberAloneOpensDeadlines(t *testing.T) {
	a := Assess(with(mnBase(), "mn_leak_count", 101, "affected_count", 101), DefaultOptions(), baseNow)
	if a.APPI.Status != StatusNotReportable {
		t.Fatalf("APPI = %s", a.APPI.Status)
	}
	for _, k := range []string{KindPrelimTarget, KindPrelimOuter, KindFinalReport, KindNoticeDecision} {
		if _, ok := a.Deadline(k); !ok {
			t.Errorf("missing %s", k)
		}
	}
	if fr, _ := a.Deadline(KindFinalReport); fr.Due != "2026-05-29" {
		t.Errorf("final due %s", fr.Due)
	}
}
