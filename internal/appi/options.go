package appi

import (
	"strings"
	"time"
)

// InternalReportPolicy is the company rule for the internal first report when
// the seed's 30-minute rule does not apply. The law only says "immediately"
// (GL 3-5-2(1)), so the due time is a policy value [P].
type InternalReportPolicy string

// Internal first-report policies.
const (
	// SameBusinessDay: by the end of the JST day the company knew, or of the
	// next open day when that day is closed.
	SameBusinessDay InternalReportPolicy = "same_business_day"
	// NextBusinessDay: by the end of the first open day after the known date.
	NextBusinessDay InternalReportPolicy = "next_business_day"
)

// Options carries the rules that domain.md marks as guidance [U] or company
// policy [P], plus the per-case inputs that do not live in the facts map. The
// statutory values (30/60 days, 1,000 and 100 people) are code, not options.
type Options struct {
	// PrelimTargetOffset is added to the known date (day 1) for the 速報
	// "due soon" target: 2 gives day 3 (GL 3-5-3-3, about 3–5 days).
	PrelimTargetOffset int
	// PrelimOuterOffset gives the day after which the 速報 is overdue: 4 = day 5.
	PrelimOuterOffset int
	// ThirtyMinuteWindow is the seed's direct-report window (SEED003 4条2項).
	ThirtyMinuteWindow time.Duration
	// ThirtyMinuteHeadcount is the "data of N or more people" trigger (10).
	ThirtyMinuteHeadcount int64
	// InternalReport applies when the 30-minute rule does not.
	InternalReport InternalReportPolicy
	// FirstReportToJA/EN name whom the internal first report goes to
	// (総務部 in the seeds), for the deadline's label.
	FirstReportToJA, FirstReportToEN string
	// NoticeDecisionOffset is added to the known date for the deadline of the
	// decision on notifying individuals: 4 = day 5 (§3.5 convention [P]).
	NoticeDecisionOffset int
	// NoticeDeferralMaxDays caps how far a deferral's review date may lie
	// after the decision (GL 3-5-4-2 reasons only; 7 days by policy).
	NoticeDeferralMaxDays int
	// EntrustorNoticeOffset is the last day (offset from the known date) on
	// which an entrustee's notice to its entrustor still counts as prompt
	// (GL 3-5-3-5: about 3–5 days, like the 速報): 4 = day 5.
	EntrustorNoticeOffset int
	// ApprovedAlgorithms lists ciphers accepted as high-level encryption
	// (CRYPTREC 電子政府推奨暗号リスト or ISO/IEC 18033; QA17-14). Matching
	// ignores case, punctuation and a trailing mode (AES-256-GCM matches AES-256).
	ApprovedAlgorithms []string
	// RegisterCount is the number of people in the case's affected-person
	// register, or -1 if unknown. It is used as a floor for the count and to
	// catch a recorded count that the register contradicts.
	RegisterCount int
	// CategorySince optionally gives, per category code, the JST date it
	// first applied, from the case's reportability event log (§3.6). It lets
	// Assess apply §3.4's conventions for categories that appear late.
	CategorySince map[string]Date
	// Calendar decides closed days; nil means JapanCalendar{}.
	Calendar Calendar
}

// DefaultOptions returns the policy defaults of domain.md §3.
func DefaultOptions() Options {
	return Options{
		PrelimTargetOffset:    2,
		PrelimOuterOffset:     4,
		ThirtyMinuteWindow:    30 * time.Minute,
		ThirtyMinuteHeadcount: 10,
		InternalReport:        SameBusinessDay,
		FirstReportToJA:       "総務部",
		FirstReportToEN:       "general affairs",
		NoticeDecisionOffset:  4,
		NoticeDeferralMaxDays: 7,
		EntrustorNoticeOffset: 4,
		ApprovedAlgorithms: []string{
			"AES-128", "AES-192", "AES-256", "AES",
			"Camellia-128", "Camellia-192", "Camellia-256", "Camellia",
			"XTS-AES-128", "XTS-AES-256",
			"KCipher-2",
			"RSA-OAEP",
		},
		RegisterCount: -1,
		Calendar:      JapanCalendar{},
	}
}

// normalize fills zero values with defaults so that a partially filled
// Options (or the zero value) still gives sane deadlines.
func (o Options) normalize() Options {
	d := DefaultOptions()
	if o.PrelimTargetOffset <= 0 {
		o.PrelimTargetOffset = d.PrelimTargetOffset
	}
	if o.PrelimOuterOffset <= 0 {
		o.PrelimOuterOffset = d.PrelimOuterOffset
	}
	if o.ThirtyMinuteWindow <= 0 {
		o.ThirtyMinuteWindow = d.ThirtyMinuteWindow
	}
	if o.ThirtyMinuteHeadcount <= 0 {
		o.ThirtyMinuteHeadcount = d.ThirtyMinuteHeadcount
	}
	if o.InternalReport != NextBusinessDay {
		o.InternalReport = SameBusinessDay
	}
	if o.FirstReportToJA == "" || o.FirstReportToEN == "" {
		o.FirstReportToJA, o.FirstReportToEN = d.FirstReportToJA, d.FirstReportToEN
	}
	if o.NoticeDecisionOffset <= 0 {
		o.NoticeDecisionOffset = d.NoticeDecisionOffset
	}
	if o.NoticeDeferralMaxDays <= 0 {
		o.NoticeDeferralMaxDays = d.NoticeDeferralMaxDays
	}
	if o.EntrustorNoticeOffset <= 0 {
		o.EntrustorNoticeOffset = d.EntrustorNoticeOffset
	}
	if o.ApprovedAlgorithms == nil {
		o.ApprovedAlgorithms = d.ApprovedAlgorithms
	}
	if o.Calendar == nil {
		o.Calendar = d.Calendar
	}
	return o
}

// algorithmApproved reports whether alg names an approved cipher. A mode or
// padding suffix (GCM, CBC, CTR …) is allowed after the approved name, and an
// XTS- prefix before it, because disk encryption reports names that way.
func (o Options) algorithmApproved(alg string) bool {
	a := normAlg(alg)
	if a == "" {
		return false
	}
	for _, ok := range o.ApprovedAlgorithms {
		n := normAlg(ok)
		if n == "" {
			continue
		}
		if a == n {
			return true
		}
		if rest, found := strings.CutPrefix(a, n); found && isModeSuffix(rest) {
			return true
		}
	}
	return false
}

func normAlg(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ECB is left out on purpose: it leaks patterns, so "correctly implemented"
// (QA17-14) is not met and the case must go to a reviewer.
var modeSuffixes = []string{"GCM", "CCM", "CBC", "CTR", "CFB", "OFB", "XTS", "SIV", "KW", "OCB"}

// isModeSuffix accepts the rest of an algorithm name after an approved
// cipher: an optional key size (for a bare name like "AES"), then a mode.
func isModeSuffix(rest string) bool {
	for _, size := range []string{"128", "192", "256", ""} {
		r, ok := strings.CutPrefix(rest, size)
		if !ok {
			continue
		}
		if r == "" {
			return true
		}
		for _, m := range modeSuffixes {
			if r == m {
				return true
			}
		}
	}
	return false
}
