package incident

import (
	"testing"
	"time"
)

func jstAt(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, jst)
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestRuleReviewDueOn(t *testing.T) {
	for _, tc := range []struct {
		name  string
		since time.Time
		want  time.Time
	}{
		{"an ordinary day", jstAt(2026, 4, 10, 15, 0), date(2027, 4, 10)},
		{"leap day: a year ends on 28 February, not 1 March", jstAt(2028, 2, 29, 10, 0), date(2029, 2, 28)},
		{"28 February before a leap year stays the 28th", jstAt(2027, 2, 28, 10, 0), date(2028, 2, 28)},
		{"1 March after a leap day", jstAt(2028, 3, 1, 10, 0), date(2029, 3, 1)},
		{"00:30 JST is still the JST date (the previous day in UTC)", jstAt(2026, 4, 10, 0, 30), date(2027, 4, 10)},
		{"23:59 JST on the 9th is the 9th (the 9th in UTC too)", jstAt(2026, 4, 9, 23, 59), date(2027, 4, 9)},
		{"UTC evening is the next JST day", time.Date(2026, 4, 9, 15, 0, 0, 0, time.UTC), date(2027, 4, 10)},
		{"leap day reached through JST: 28 Feb 16:00 UTC", time.Date(2028, 2, 28, 16, 0, 0, 0, time.UTC), date(2029, 2, 28)},
		{"new year's eve in JST", jstAt(2026, 12, 31, 23, 0), date(2027, 12, 31)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := RuleReviewDueOn(tc.since); !got.Equal(tc.want) {
				t.Errorf("due on %s, want %s", got.Format(time.DateOnly), tc.want.Format(time.DateOnly))
			}
		})
	}
}

func TestRuleReviewAt(t *testing.T) {
	last := jstAt(2026, 4, 10, 15, 0) // due 2027-04-10
	base := jstAt(2025, 1, 20, 9, 0)  // due 2026-01-20
	for _, tc := range []struct {
		name      string
		last      time.Time
		base      time.Time
		now       time.Time
		wantState string
		wantDays  int
		wantFrom  bool
		wantDue   time.Time
		wantRemd  string
	}{
		{"just reviewed", last, base, jstAt(2026, 4, 10, 16, 0), RuleReviewOK, 365, false, date(2027, 4, 10), ""},
		{"31 days left: not yet due soon", last, base, jstAt(2027, 3, 10, 12, 0), RuleReviewOK, 31, false, date(2027, 4, 10), ""},
		{"30 days left: due soon, the 30-day reminder", last, base, jstAt(2027, 3, 11, 0, 0), RuleReviewDueSoon, 30, false, date(2027, 4, 10), "30d"},
		{"8 days left", last, base, jstAt(2027, 4, 2, 12, 0), RuleReviewDueSoon, 8, false, date(2027, 4, 10), "30d"},
		{"7 days left: the 7-day reminder", last, base, jstAt(2027, 4, 3, 12, 0), RuleReviewDueSoon, 7, false, date(2027, 4, 10), "7d"},
		{"the due date, 23:59 JST: not overdue", last, base, jstAt(2027, 4, 10, 23, 59), RuleReviewDueSoon, 0, false, date(2027, 4, 10), "7d"},
		{"the due date, 15:30 UTC = 00:30 JST next day: overdue", last, base, time.Date(2027, 4, 10, 15, 30, 0, 0, time.UTC), RuleReviewOverdue, -1, false, date(2027, 4, 10), RuleReviewLabelOverdue},
		{"14:59 UTC on the due date is still 23:59 JST", last, base, time.Date(2027, 4, 10, 14, 59, 0, 0, time.UTC), RuleReviewDueSoon, 0, false, date(2027, 4, 10), "7d"},
		{"long overdue", last, base, jstAt(2027, 6, 1, 9, 0), RuleReviewOverdue, -52, false, date(2027, 4, 10), RuleReviewLabelOverdue},
		{"nothing recorded: the year runs from the base", time.Time{}, base, jstAt(2025, 12, 25, 9, 0), RuleReviewDueSoon, 26, true, date(2026, 1, 20), "30d"},
		{"nothing recorded, base long past: overdue", time.Time{}, base, jstAt(2026, 3, 1, 9, 0), RuleReviewOverdue, -40, true, date(2026, 1, 20), RuleReviewLabelOverdue},
		{"a review overrides the base", last, jstAt(2020, 1, 1, 0, 0), jstAt(2026, 5, 1, 9, 0), RuleReviewOK, 344, false, date(2027, 4, 10), ""},
		{"leap day review, on 28 Feb of the next year", jstAt(2028, 2, 29, 10, 0), base, jstAt(2029, 2, 28, 23, 0), RuleReviewDueSoon, 0, false, date(2029, 2, 28), "7d"},
		{"leap day review, on 1 Mar of the next year: overdue", jstAt(2028, 2, 29, 10, 0), base, jstAt(2029, 3, 1, 0, 0), RuleReviewOverdue, -1, false, date(2029, 2, 28), RuleReviewLabelOverdue},
		{"across a leap day: 2027-03-01 to 2028-03-01 is 366 days", jstAt(2027, 3, 1, 9, 0), base, jstAt(2027, 3, 1, 9, 0), RuleReviewOK, 366, false, date(2028, 3, 1), ""},
		{"nothing known", time.Time{}, time.Time{}, jstAt(2026, 3, 1, 9, 0), RuleReviewUnknown, 0, true, time.Time{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := RuleReviewAt(tc.last, tc.base, tc.now)
			if r.State != tc.wantState || r.DaysLeft != tc.wantDays || r.FromBase != tc.wantFrom || !r.DueOn.Equal(tc.wantDue) {
				t.Errorf("got %s, %d days, from base %v, due %s; want %s, %d, %v, %s", r.State, r.DaysLeft, r.FromBase, r.DueOn.Format(time.DateOnly),
					tc.wantState, tc.wantDays, tc.wantFrom, tc.wantDue.Format(time.DateOnly))
			}
			if got := r.Reminder(RuleReviewOffsetDays); got != tc.wantRemd {
				t.Errorf("reminder %q, want %q", got, tc.wantRemd)
			}
		})
	}
}

func TestRuleReview_ReminderOffsets(t *testing.T) {
	for _, tc := range []struct {
		name    string
		days    int
		offsets []int
		want    string
	}{
		{"unordered offsets: the smallest that has come", 5, []int{7, 30, 14}, "7d"},
		{"between offsets", 20, []int{7, 30, 14}, "30d"},
		{"before every offset", 40, []int{7, 30}, ""},
		{"no offsets: only the overdue one", 3, nil, ""},
		{"non-positive offsets are ignored", 3, []int{0, -1}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := RuleReview{State: RuleReviewDueSoon, DaysLeft: tc.days, DueOn: date(2027, 1, 1)}
			if got := r.Reminder(tc.offsets); got != tc.want {
				t.Errorf("reminder %q, want %q", got, tc.want)
			}
		})
	}
}
