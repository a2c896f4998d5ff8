package incident

import "testing"

// TestRequestStateLabels: every request state has its Japanese and English name (one wording for
// the case page, the auditor's view and the exported report).
func TestRequestStateLabels(t *testing.T) {
	tests := []struct {
		s      RequestState
		ja, en string
	}{
		{RequestPending, "承認待ち", "Pending"},
		{RequestApproved, "承認済み", "Approved"},
		{RequestSentBack, "差戻し", "Sent back"},
		{RequestWithdrawn, "取下げ", "Withdrawn"},
		{RequestState("unknown"), "unknown", "unknown"},
	}
	for _, tt := range tests {
		if ja, en := tt.s.LabelJA(), tt.s.LabelEN(); ja != tt.ja || en != tt.en {
			t.Errorf("%s: %q / %q, want %q / %q", tt.s, ja, en, tt.ja, tt.en)
		}
	}
}
