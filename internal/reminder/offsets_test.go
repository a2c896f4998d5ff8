package reminder_test

import (
	"slices"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/reminder"
)

func TestParseOffsets(t *testing.T) {
	cases := []struct {
		in   string
		want []time.Duration
		bad  bool
	}{
		{"", nil, false}, // unset: the service falls back to 24h,2h
		{"24h,2h", []time.Duration{24 * time.Hour, 2 * time.Hour}, false},
		{" 48h , 90m ,", []time.Duration{48 * time.Hour, 90 * time.Minute}, false},
		{"2h,abc", nil, true},
		{"-1h", nil, true},
		{"90s", nil, true}, // reminders are scheduled to the minute
	}
	for _, tc := range cases {
		got, err := reminder.ParseOffsets(tc.in)
		if tc.bad != (err != nil) || !slices.Equal(got, tc.want) {
			t.Errorf("ParseOffsets(%q) = %v, %v", tc.in, got, err)
		}
	}
}
