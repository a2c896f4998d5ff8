package appi

import (
	"reflect"
	"strings"
	"testing"
)

func TestAPPITable(t *testing.T) {
	tests := []struct {
		name       string
		facts      Facts
		status     Status
		cats       []string
		exemptions []string
		finalDays  int // 0 = null
		notice     bool
		review     string // a needs_review code that must be present
	}{
		{"base is not reportable", base(), StatusNotReportable, nil, nil, 0, false, ""},
		{"E1 ruled out beats every category", with(base(), "certainty", "ruled_out", "data_items", []string{"medical_history"}, "affected_count", 5000),
			StatusNotReportable, nil, nil, 0, false, ""},
		{"E2 recovered unviewed leak", with(base(), "recovered_unviewed", true, "affected_count", 5000),
			StatusNotReportable, nil, []string{ExNotALeak}, 0, false, ""},
		{"E2 does not cover a loss", with(base(), "recovered_unviewed", true, "event_types", []string{"leak", "loss"}, "affected_count", 5000),
			StatusReportable, []string{CatOver1000}, nil, 30, true, ""},
		{"E2 without event types is undetermined", with(base(), "recovered_unviewed", true, "event_types", nil),
			StatusUndetermined, nil, nil, 0, false, "event_types_not_recorded"},
		{"E3 pseudonymized", with(base(), "pseudonymized", true, "data_items", []string{"medical_history"}),
			StatusNotReportable, nil, []string{ExPseudonymized}, 0, false, ""},
		{"E4 high-level encryption with key separated", with(base(), "affected_count", 3000, "encryption", "high_level",
			"encryption_algorithm", "AES-256-GCM", "key_separated", true, "key_compromised", "no"),
			StatusNotReportable, nil, []string{ExHighEncryption}, 0, false, ""},
		{"E4 remote wipe is enough key management", with(base(), "affected_count", 3000, "encryption", "high_level",
			"encryption_algorithm", "Camellia-128", "remote_wipe_done", true, "key_separated", false, "key_compromised", "no"),
			StatusNotReportable, nil, []string{ExHighEncryption}, 0, false, ""},
		{"E4 password only is not an exit", with(base(), "affected_count", 3000, "encryption", "password_only", "key_compromised", "no"),
			StatusReportable, []string{CatOver1000}, nil, 30, true, ""},
		{"E4 high level with key unknown: review, not exempt", with(base(), "affected_count", 500, "encryption", "high_level",
			"encryption_algorithm", "AES-256", "key_separated", true, "key_compromised", "unknown"),
			StatusUndetermined, nil, nil, 0, false, "key_status_unknown"},
		{"E4 high level with key unknown still reportable on a category", with(base(), "affected_count", 3000, "encryption", "high_level",
			"encryption_algorithm", "AES-256", "key_separated", true),
			StatusReportable, []string{CatOver1000}, nil, 30, true, "key_status_unknown"},
		{"E4 key compromised", with(base(), "affected_count", 3000, "encryption", "high_level",
			"encryption_algorithm", "AES-256", "key_separated", true, "key_compromised", "yes"),
			StatusReportable, []string{CatOver1000}, nil, 30, true, ""},
		{"E4 unapproved cipher", with(base(), "affected_count", 3000, "encryption", "high_level",
			"encryption_algorithm", "DES", "key_separated", true, "key_compromised", "no"),
			StatusReportable, []string{CatOver1000}, nil, 30, true, "encryption_algorithm_not_approved"},
		{"E4 key not managed", with(base(), "affected_count", 3000, "encryption", "high_level",
			"encryption_algorithm", "AES-128", "key_separated", false, "key_compromised", "no"),
			StatusReportable, []string{CatOver1000}, nil, 30, true, ""},
		{"C1 sensitive, any count", with(base(), "data_items", []string{"health_check_result", "name"}, "affected_count", 1),
			StatusReportable, []string{CatSensitive}, nil, 30, true, ""},
		{"C2 card number alone", with(base(), "data_items", []string{"card_number_full"}, "affected_count", 1),
			StatusReportable, []string{CatFinancial}, nil, 30, true, ""},
		{"C2 last 4 digits plus expiry is not financial", with(base(), "data_items", []string{"card_last4_plus_expiry", "name"}),
			StatusNotReportable, nil, nil, 0, false, ""},
		{"C2 judgement yes overrides the item default", with(base(), "data_items", []string{"card_last4_plus_expiry", "name"}, "financial_harm_judgement", "yes"),
			StatusReportable, []string{CatFinancial}, nil, 30, true, ""},
		{"C2 judgement no overrides the item default", with(base(), "data_items", []string{"card_number_full"}, "financial_harm_judgement", "no"),
			StatusNotReportable, nil, nil, 0, false, ""},
		{"C2 needs personal data", with(base(), "data_items", []string{"card_number_full"}, "is_personal_data", "no"),
			StatusNotReportable, nil, nil, 0, false, "is_personal_data_no"},
		{"C2 bank account goes to review", with(base(), "data_items", []string{"bank_account_no", "name"}),
			StatusNotReportable, nil, nil, 0, false, "bank_account_no_financial_harm"},
		{"C3 explicit wrongful act", with(base(), "wrongful_act", "yes"),
			StatusReportable, []string{CatWrongful}, nil, 60, true, ""},
		{"C3 derived from route", with(base(), "route", "unauthorized_access"),
			StatusReportable, []string{CatWrongful}, nil, 60, true, ""},
		{"C3 derived from stolen media", with(base(), "route", "media_stolen"),
			StatusReportable, []string{CatWrongful}, nil, 60, true, ""},
		{"C3 derived from insider suspicion", with(base(), "insider_suspected", "yes"),
			StatusReportable, []string{CatWrongful}, nil, 60, true, ""},
		{"C3 explicit no wins over the route", with(base(), "route", "unauthorized_access", "wrongful_act", "no"),
			StatusNotReportable, nil, nil, 0, false, "wrongful_act_no_vs_route"},
		{"C3 covers data being acquired (2024)", with(base(), "route", "web_form_tampering", "is_personal_data", "no", "being_acquired_for_db", true),
			StatusReportable, []string{CatWrongful}, nil, 60, true, ""},
		{"C4 exactly 1,000 is not over 1,000", with(base(), "affected_count", 1000),
			StatusNotReportable, nil, nil, 0, false, ""},
		{"C4 1,001", with(base(), "affected_count", 1001),
			StatusReportable, []string{CatOver1000}, nil, 30, true, ""},
		{"C4 judged by the upper bound", with(base(), "affected_count", 800, "affected_count_upper_bound", 1200),
			StatusReportable, []string{CatOver1000}, nil, 30, true, ""},
		{"C4 judged by the discovery estimate", with(base(), "affected_count", nil, "estimated_count_min", 500, "estimated_count_max", 1500),
			StatusReportable, []string{CatOver1000}, nil, 30, true, ""},
		{"OUT 60 when category 3 is combined", with(base(), "route", "malware_ransomware", "affected_count", 5000, "data_items", []string{"medical_history"}),
			StatusReportable, []string{CatSensitive, CatWrongful, CatOver1000}, nil, 60, true, ""},
		{"OUT 30 without category 3", with(base(), "affected_count", 5000, "data_items", []string{"card_cvv", "criminal_record"}),
			StatusReportable, []string{CatSensitive, CatFinancial, CatOver1000}, nil, 30, true, ""},
		{"EX entrustee that notified its entrustor", with(base(), "affected_count", 5000, "is_entrustee", true, "entrustor_notified_at", "2026-05-01T10:00:00+09:00"),
			StatusReportable, []string{CatOver1000}, []string{ExEntrustee}, 30, false, ""},
		{"EX not yet: entrustee that has not notified", with(base(), "affected_count", 5000, "is_entrustee", true),
			StatusReportable, []string{CatOver1000}, nil, 30, true, ""},
		{"certainty not recorded", with(base(), "certainty", nil),
			StatusUndetermined, nil, nil, 0, false, "certainty_not_recorded"},
		{"data items not recorded", with(base(), "data_items", nil),
			StatusUndetermined, nil, nil, 0, false, "data_items_not_recorded"},
		{"no count recorded", with(base(), "affected_count", nil),
			StatusUndetermined, nil, nil, 0, false, "affected_count_not_recorded"},
		{"missing facts do not hide a matched category", with(base(), "certainty", nil, "data_items", []string{"race"}),
			StatusReportable, []string{CatSensitive}, nil, 30, true, "certainty_not_recorded"},
		{"wrongful act not derivable without a route", with(base(), "route", nil),
			StatusUndetermined, nil, nil, 0, false, "wrongful_act_undetermined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Assess(tt.facts, DefaultOptions(), baseNow).APPI
			if a.Status != tt.status {
				t.Errorf("status = %s, want %s; reasons %v", a.Status, tt.status, a.Reasons)
			}
			if want := orEmpty(tt.cats); !reflect.DeepEqual(a.Categories, want) {
				t.Errorf("categories = %v, want %v", a.Categories, want)
			}
			if want := orEmpty(tt.exemptions); !reflect.DeepEqual(a.Exemptions, want) {
				t.Errorf("exemptions = %v, want %v", a.Exemptions, want)
			}
			switch {
			case tt.finalDays == 0 && a.FinalDays != nil:
				t.Errorf("final_days = %d, want null", *a.FinalDays)
			case tt.finalDays != 0 && (a.FinalDays == nil || *a.FinalDays != tt.finalDays):
				t.Errorf("final_days = %v, want %d", a.FinalDays, tt.finalDays)
			}
			if a.NoticeRequired != tt.notice {
				t.Errorf("notice_required = %v, want %v", a.NoticeRequired, tt.notice)
			}
			if tt.review != "" && !contains(a.NeedsReview, tt.review) {
				t.Errorf("needs_review = %v, want it to contain %s", a.NeedsReview, tt.review)
			}
			noIncident := contains(a.Exemptions, ExNotALeak) || tt.facts["certainty"] == "ruled_out"
			if a.Status == StatusNotReportable && a.VoluntaryReportPossible == noIncident {
				t.Errorf("voluntary_report_possible = %v for a not-reportable case (no incident: %v)", a.VoluntaryReportPossible, noIncident)
			}
		})
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func TestAPPI_ReasonsCiteTheRule(t *testing.T) {
	a := Assess(with(base(), "route", "unauthorized_access"), DefaultOptions(), baseNow).APPI
	found := false
	for _, r := range a.Reasons {
		if r.Code == "wrongful_derived_route" {
			found = true
			if !strings.Contains(r.JA, "規則7条3号") || !strings.Contains(r.EN, "Rule 7(iii)") {
				t.Errorf("reason does not cite the rule: %+v", r)
			}
		}
		if r.JA == "" || r.EN == "" || r.Code == "" {
			t.Errorf("incomplete reason %+v", r)
		}
	}
	if !found {
		t.Errorf("derivation not explained: %v", a.Reasons)
	}
}

func TestAPPI_PublicationMaySubstituteOnlyWhenNoticeImpossible(t *testing.T) {
	rep := with(base(), "affected_count", 3000)
	if a := Assess(rep, DefaultOptions(), baseNow).APPI; a.PublicationMaySubstitute {
		t.Error("publication may not substitute while notice is possible")
	}
	a := Assess(with(rep, "notice_decision", "alternative_measure", "alternative_reason", "no_contact_info"), DefaultOptions(), baseNow).APPI
	if !a.PublicationMaySubstitute {
		t.Error("no contact data: publication may substitute")
	}
	a = Assess(with(rep, "notice_decision", "alternative_measure"), DefaultOptions(), baseNow).APPI
	if a.PublicationMaySubstitute || !contains(a.NeedsReview, "alternative_measure_without_reason") {
		t.Errorf("alternative without reason: %v %v", a.PublicationMaySubstitute, a.NeedsReview)
	}
	a = Assess(with(rep, "notice_decision", "omit"), DefaultOptions(), baseNow).APPI
	if !contains(a.NeedsReview, "notice_omit_while_required") {
		t.Errorf("omitting a required notice must be flagged: %v", a.NeedsReview)
	}
}

func TestAPPI_NoticeDeferralRules(t *testing.T) {
	rep := with(base(), "affected_count", 3000, "notice_decision", "defer", "notice_decision_at", "2026-05-01T10:00:00+09:00")
	tests := []struct {
		name   string
		facts  Facts
		review string
		absent bool
	}{
		{"allowed reason and review within 7 days", with(rep, "defer_reason", "takedown_in_progress", "defer_review_by", "2026-05-08"), "defer_review_too_late", true},
		{"review 8 days later", with(rep, "defer_reason", "takedown_in_progress", "defer_review_by", "2026-05-09"), "defer_review_too_late", false},
		{"no review date", with(rep, "defer_reason", "facts_too_thin"), "defer_review_by_missing", false},
		{"reason outside GL 3-5-4-2", with(rep, "defer_reason", "busy", "defer_review_by", "2026-05-03"), "defer_reason_not_allowed", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Assess(tt.facts, DefaultOptions(), baseNow).APPI
			if got := contains(a.NeedsReview, tt.review); got == tt.absent {
				t.Errorf("needs_review = %v; %s present=%v", a.NeedsReview, tt.review, got)
			}
		})
	}
}

func TestAlgorithmApproved(t *testing.T) {
	o := DefaultOptions()
	for alg, want := range map[string]bool{
		"AES-256": true, "aes256-gcm": true, "AES": true, "AES-128-CBC": true, "XTS-AES-256": true,
		"Camellia-256": true, "KCipher-2": true, "DES": false, "3DES": false, "RC4": false, "AES-ECB": false,
		"AES-512": false, "": false, "ZipCrypto": false,
	} {
		if got := o.algorithmApproved(alg); got != want {
			t.Errorf("algorithmApproved(%q) = %v, want %v", alg, got, want)
		}
	}
}
