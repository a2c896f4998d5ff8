package appi

import (
	"time"
)

// Status is the outcome of one decision table.
type Status string

// Statuses. StatusUndetermined is used when the facts are too thin or
// contradict each other and no category has matched yet: a case is never
// reported "not reportable" on incomplete or inconsistent facts.
const (
	StatusReportable    Status = "reportable"
	StatusNotReportable Status = "not_reportable"
	StatusUndetermined  Status = "undetermined"
)

// APPI categories (施行規則7条1〜4号) and My Number categories (番号法報告規則2条).
const (
	CatSensitive  = "R7_1_sensitive"
	CatFinancial  = "R7_2_financial"
	CatWrongful   = "R7_3_wrongful"
	CatOver1000   = "R7_4_over_1000"
	CatMNSystem   = "MN2_1_system"
	CatMNWrongful = "MN2_2_wrongful"
	CatMNPublic   = "MN2_3_public_view"
	CatMNOver100  = "MN2_4_over_100"
)

// Exemption codes of domain.md §2.1.
const (
	ExHighEncryption = "high_encryption"
	ExPseudonymized  = "pseudonymized"
	ExNotALeak       = "not_a_leak_recovered"
	ExEntrustee      = "entrustee_notified_entrustor"
)

// Deadline kinds of api.md.
const (
	KindFirstInternalReport = "first_internal_report"
	KindPrelimTarget        = "prelim_target"
	KindPrelimOuter         = "prelim_outer"
	KindFinalReport         = "final_report"
	KindNoticeDecision      = "notice_decision"
)

// Deadline states of api.md.
const (
	StateOpen   = "open"
	StateMet    = "met"
	StateMissed = "missed"
)

// Reason explains one step of the decision in Japanese and English, citing
// the rule applied. Code is stable; the texts are for display.
type Reason struct {
	Code string `json:"code"`
	JA   string `json:"ja"`
	EN   string `json:"en"`
}

// Assessment is the law applied to a case's facts at one moment. It marshals
// to the "assessment object" of shared/docs/api.md; fields beyond that
// contract are additions, never replacements.
type Assessment struct {
	APPI      APPIAssessment     `json:"appi"`
	MyNumber  MyNumberAssessment `json:"mynumber"`
	Deadlines []Deadline         `json:"deadlines"`

	// KnownDate is the JST date of recognized_at (day 1 of every legal count),
	// nil when recognized_at is not recorded.
	KnownDate *Date `json:"known_date"`
	// ThirtyMinuteRule reports whether the seed's 30-minute direct report
	// applies (SEED003 4条2項).
	ThirtyMinuteRule bool `json:"thirty_minute_rule"`
	// Contradictions lists facts that cannot all be true. While any exist, a
	// table that has not matched a category stays undetermined.
	Contradictions []Reason `json:"contradictions"`
	// AssessedAt is the now passed to Assess; states and remaining times are
	// relative to it.
	AssessedAt time.Time `json:"assessed_at"`
}

// APPIAssessment is the outcome of the APPI table (domain.md §2.1).
type APPIAssessment struct {
	Status         Status   `json:"status"`
	Categories     []string `json:"categories"`
	Exemptions     []string `json:"exemptions"`
	NoticeRequired bool     `json:"notice_required"`
	// FinalDays is 30 or 60 when reportable, nil otherwise.
	FinalDays   *int     `json:"final_days"`
	Reasons     []Reason `json:"reasons"`
	NeedsReview []string `json:"needs_review"`

	// MaxAffected is the count that decides category 4: the largest of the
	// recorded count, its upper bound, the discovery estimate and the
	// register (GL 3-5-3-1(4)); nil when none is recorded.
	MaxAffected *int64 `json:"max_affected"`
	// PublicationMaySubstitute is true only when notice is required and the
	// facts say it is impossible in practice for some individuals (no or
	// outdated contact data), so publication or a published inquiry desk may
	// replace it for them (GL 3-5-4-5).
	PublicationMaySubstitute bool `json:"publication_may_substitute"`
	// VoluntaryReportPossible is true for a case that is not reportable but
	// may still be reported voluntarily (GL 3-5-3-1 ※1).
	VoluntaryReportPossible bool `json:"voluntary_report_possible"`
}

// MyNumberAssessment is the outcome of the My Number table (domain.md §2.3).
type MyNumberAssessment struct {
	Status     Status   `json:"status"`
	Categories []string `json:"categories"`
	// FinalDays is 30 or 60 when reportable, nil otherwise.
	FinalDays                  *int     `json:"final_days"`
	VoluntaryReportRecommended bool     `json:"voluntary_report_recommended"`
	Reasons                    []Reason `json:"reasons"`

	// Applicable is false when the case is known not to involve My Number.
	Applicable  bool     `json:"applicable"`
	NeedsReview []string `json:"needs_review"`
}

// Deadline is one dated obligation or target. Due is "YYYY-MM-DD" for
// deadlines that run to the end of a JST date and an RFC 3339 time for the
// 30-minute report; DueAt is always the exact instant.
type Deadline struct {
	Kind  string    `json:"kind"`
	Due   string    `json:"due"`
	DueAt time.Time `json:"due_at"`
	Basis string    `json:"basis"`
	State string    `json:"state"`

	LabelJA string `json:"label_ja"`
	LabelEN string `json:"label_en"`
	NoteJA  string `json:"note_ja,omitempty"`
	NoteEN  string `json:"note_en,omitempty"`
	// Statutory is true for deadlines set by law (the final report); the
	// others are guidance or company policy.
	Statutory bool `json:"statutory"`
	// Day is N in "day N", counting the anchor date as day 1, before any
	// shift for closed days.
	Day int `json:"day,omitempty"`
	// ShiftedFrom and SkippedDays show a due date moved past closed days.
	ShiftedFrom *Date       `json:"shifted_from,omitempty"`
	SkippedDays []ClosedDay `json:"skipped_days,omitempty"`
	// OuterDue is the later legal limit when Due is kept earlier as an
	// internal target (category 3 found late, §3.4).
	OuterDue *Date `json:"outer_due,omitempty"`
	// Regimes lists which tables the deadline serves: "appi", "mynumber".
	Regimes []string `json:"regimes,omitempty"`

	CompletedAt      *time.Time `json:"completed_at,omitempty"`
	MissedBySeconds  *int64     `json:"missed_by_seconds,omitempty"`
	RemainingSeconds *int64     `json:"remaining_seconds,omitempty"`
}

// Remaining returns the time left until the deadline at now; negative when
// it has passed. It ignores whether the deadline was met.
func (d Deadline) Remaining(now time.Time) time.Duration { return d.DueAt.Sub(now) }

// Overdue reports whether the deadline was not met by its due time, either
// because it was done late or because it is still open after it.
func (d Deadline) Overdue(now time.Time) bool {
	if d.CompletedAt != nil {
		return d.CompletedAt.After(d.DueAt)
	}
	return now.After(d.DueAt)
}

// Deadline returns the deadline of the given kind, if the assessment has one.
func (a Assessment) Deadline(kind string) (Deadline, bool) {
	for _, d := range a.Deadlines {
		if d.Kind == kind {
			return d, true
		}
	}
	return Deadline{}, false
}

// Reportable reports whether either regime requires a report.
func (a Assessment) Reportable() bool {
	return a.APPI.Status == StatusReportable || a.MyNumber.Status == StatusReportable
}

// Undetermined reports whether either regime could not be decided.
func (a Assessment) Undetermined() bool {
	return a.APPI.Status == StatusUndetermined || a.MyNumber.Status == StatusUndetermined
}

// NextOpen returns the open deadline that falls due first, if any.
func (a Assessment) NextOpen() (Deadline, bool) {
	var best Deadline
	found := false
	for _, d := range a.Deadlines {
		if d.State == StateOpen && (!found || d.DueAt.Before(best.DueAt)) {
			best, found = d, true
		}
	}
	return best, found
}

// Missed returns the deadlines in state missed, in due order.
func (a Assessment) Missed() []Deadline {
	var out []Deadline
	for _, d := range a.Deadlines {
		if d.State == StateMissed {
			out = append(out, d)
		}
	}
	return out
}
