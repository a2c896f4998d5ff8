package incident

import (
	"fmt"
	"time"
)

// The yearly review of the rule book (SEED003 第3条4項, docs/rules.md "Yearly review deadline"):
// the rules are reviewed at least once a year. The year runs from the last time the rule book was
// approved into force (the last of a version's two approvals) or recorded as 見直し済み・変更なし;
// before either has happened it runs from the base the store gives (when the versioned rule book
// was installed, migration 00160). Pure: the caller passes the times and the clock.

// Rule review states.
const (
	RuleReviewOK      = "ok"       // more than RuleReviewSoonDays left
	RuleReviewDueSoon = "due_soon" // due within RuleReviewSoonDays (the first reminder has gone out)
	RuleReviewOverdue = "overdue"  // the due date has passed in Japan
	RuleReviewUnknown = "unknown"  // neither a review nor a base is known (migrations not run)
)

// RuleReviewOffsetDays are the days before the due date on which the managers and privacy officers
// are reminded (a month to draft and approve a version, a week as the last call); one more goes
// out once the date has passed. Code, not rule set: the review is what keeps the rule set honest,
// so a version must not be able to silence the reminder about itself.
var RuleReviewOffsetDays = []int{30, 7}

// RuleReviewSoonDays is how close the due date is when the dashboard starts showing it as due
// soon: the first reminder's offset, so that the dashboard and the mailbox agree.
const RuleReviewSoonDays = 30

// RuleReviewLabelOverdue labels the reminder sent once the due date has passed.
const RuleReviewLabelOverdue = "overdue"

// RuleReview is the yearly review's deadline as seen at one moment.
type RuleReview struct {
	// Since is what the year runs from: the last approval into force or review, else the base.
	Since time.Time
	// FromBase is true when nothing has been approved or reviewed yet (Since is the base).
	FromBase bool
	// DueOn is the last JST calendar date on which the review meets the deadline (midnight UTC of
	// that date, as dates are stored); the review is overdue from the next day, 00:00 JST.
	DueOn time.Time
	// DaysLeft is DueOn minus today in Japan: 0 on the due date, negative when overdue.
	DaysLeft int
	State    string
}

// RuleReviewDueOn is the due date of a review year starting at since: the same calendar date in
// Japan a year later. A year from 29 February ends on 28 February — the period ends on the last
// day of the month when the year has no matching day (民法143条2項), never in March.
func RuleReviewDueOn(since time.Time) time.Time {
	d := JSTDate(since)
	y, m, day := d.Date()
	due := time.Date(y+1, m, day, 0, 0, 0, 0, time.UTC)
	if due.Month() != m {
		due = time.Date(y+1, m+1, 0, 0, 0, 0, 0, time.UTC) // day 0 of the next month: the last of m
	}
	return due
}

// RuleReviewAt is the deadline at now, from the last approval into force or review (zero when
// none) and the base used when there is none (zero when unknown).
func RuleReviewAt(last, base, now time.Time) RuleReview {
	r := RuleReview{Since: last}
	if last.IsZero() {
		r.Since, r.FromBase = base, true
	}
	if r.Since.IsZero() {
		r.State = RuleReviewUnknown
		return r
	}
	r.DueOn = RuleReviewDueOn(r.Since)
	// Both are midnight UTC, so the difference is a whole number of days.
	r.DaysLeft = int(r.DueOn.Sub(JSTDate(now)) / (24 * time.Hour))
	switch {
	case r.DaysLeft < 0:
		r.State = RuleReviewOverdue
	case r.DaysLeft <= RuleReviewSoonDays:
		r.State = RuleReviewDueSoon
	default:
		r.State = RuleReviewOK
	}
	return r
}

// RuleReviewOffsetLabel names an offset's reminder as stored in rule_review_reminders ("30d").
func RuleReviewOffsetLabel(days int) string { return fmt.Sprintf("%dd", days) }

// Reminder is the reminder that is due for r: "overdue" once the due date has passed; else the
// label of the smallest offset whose day has come ("7d" from seven days before); else "" (none
// yet, or the deadline is unknown). Only the most urgent one: a deadline first seen a week ahead
// (a server down for a month) gets the 7-day reminder, not the 30-day one as well. Each label goes
// out once per due date (the caller's ledger).
func (r RuleReview) Reminder(offsetDays []int) string {
	switch r.State {
	case RuleReviewUnknown:
		return ""
	case RuleReviewOverdue:
		return RuleReviewLabelOverdue
	}
	best := -1
	for _, d := range offsetDays {
		if d > 0 && r.DaysLeft <= d && (best < 0 || d < best) {
			best = d
		}
	}
	if best < 0 {
		return ""
	}
	return RuleReviewOffsetLabel(best)
}
