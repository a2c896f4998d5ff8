package appi

import "testing"

func TestContradictionsKeepUndetermined(t *testing.T) {
	withRegister := func(n int) Options { o := DefaultOptions(); o.RegisterCount = n; return o }
	tests := []struct {
		name   string
		facts  Facts
		opts   Options
		code   string
		status Status // the APPI status the contradiction must leave
	}{
		{"zero affected but a register", with(base(), "affected_count", 0), withRegister(25),
			"affected_count_zero_but_register", StatusUndetermined},
		{"register larger than every count", with(base(), "affected_count", 10), withRegister(25),
			"register_exceeds_counts", StatusUndetermined},
		{"count above its upper bound", with(base(), "affected_count", 50, "affected_count_upper_bound", 40), DefaultOptions(),
			"count_exceeds_upper_bound", StatusUndetermined},
		{"estimate min above max", with(base(), "estimated_count_min", 50, "estimated_count_max", 40), DefaultOptions(),
			"estimate_min_exceeds_max", StatusUndetermined},
		{"discovered before it occurred", with(base(), "occurred_at", "2026-04-30T11:00:00+09:00"), DefaultOptions(),
			"recognized_before_occurred", StatusUndetermined},
		{"discovered before it occurred, day precision", with(base(), "occurred_at", "2026-05-01T00:00:00+09:00", "occurred_at_precision", "day"), DefaultOptions(),
			"recognized_before_occurred", StatusUndetermined},
		{"recognized in the future", with(base(), "recognized_at", "2026-05-01T10:00:00+09:00"), DefaultOptions(),
			"recognized_in_future", StatusUndetermined},
		{"encryption exit claimed with a compromised key",
			with(base(), "encryption", "high_level", "encryption_algorithm", "AES-256", "key_separated", true, "key_compromised", "yes", "high_encryption_ok", true),
			DefaultOptions(), "high_encryption_claimed_key_compromised", StatusUndetermined},
		{"encryption omit reason with a compromised key",
			with(base(), "encryption", "high_level", "encryption_algorithm", "AES-256", "key_separated", true, "key_compromised", "yes", "omit_reason", "high_level_encryption"),
			DefaultOptions(), "high_encryption_claimed_key_compromised", StatusUndetermined},
		{"reported to soumu before anyone knew", with(base(), "reported_to_soumu_at", "2026-04-30T09:00:00+09:00"), DefaultOptions(),
			"reported_to_soumu_at_before_recognized", StatusUndetermined},
		{"My Number item but not involved", with(base(), "data_items", []string{"my_number", "name"}), DefaultOptions(),
			"my_number_item_but_not_involved", StatusUndetermined},
		{"recovered unviewed but viewed", with(base(), "recovered_unviewed", true, "viewed_by_third_party", "yes"), DefaultOptions(),
			"recovered_unviewed_but_viewed", StatusUndetermined},
		{"an exit does not hide a contradiction", with(base(), "pseudonymized", true, "affected_count", 50, "affected_count_upper_bound", 40), DefaultOptions(),
			"count_exceeds_upper_bound", StatusUndetermined},
		{"a matched category stays reportable", with(base(), "data_items", []string{"race"}, "affected_count", 50, "affected_count_upper_bound", 40), DefaultOptions(),
			"count_exceeds_upper_bound", StatusReportable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Assess(tt.facts, tt.opts, baseNow)
			found := false
			for _, c := range a.Contradictions {
				found = found || c.Code == tt.code
			}
			if !found {
				t.Errorf("contradiction %s not listed: %v", tt.code, a.Contradictions)
			}
			if a.APPI.Status != tt.status {
				t.Errorf("status %s, want %s", a.APPI.Status, tt.status)
			}
			if a.MyNumber.Applicable && a.MyNumber.Status == StatusNotReportable {
				t.Error("My Number must not be not_reportable while facts contradict")
			}
			if !contains(a.APPI.NeedsReview, "contradictory_facts") {
				t.Errorf("needs_review %v", a.APPI.NeedsReview)
			}
		})
	}
}

func TestNoContradiction_OnConsistentFacts(t *testing.T) {
	o := DefaultOptions()
	o.RegisterCount = 10
	f := with(base(), "occurred_at", "2026-04-30T15:00:00+09:00", "occurred_at_precision", "day",
		"affected_count_upper_bound", 10, "reported_to_soumu_at", "2026-04-30T10:05:00+09:00")
	if a := Assess(f, o, baseNow); len(a.Contradictions) != 0 || a.APPI.Status != StatusNotReportable {
		t.Errorf("contradictions %v status %s", a.Contradictions, a.APPI.Status)
	}
}
