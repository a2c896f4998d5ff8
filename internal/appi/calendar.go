package appi

import "time"

// Calendar tells which days the government is closed. Final-report due dates
// that fall on a closed day move to the next open day (GL 3-5-3-4 ※2,
// 行政機関の休日に関する法律2条).
type Calendar interface {
	IsClosed(d Date) bool
}

// ClosedReasoner is optionally implemented by a Calendar to explain, for
// display, why a day is closed ("日曜日", "振替休日", "年末年始（行政機関の休日）").
type ClosedReasoner interface {
	ClosedReason(d Date) (ja string, closed bool)
}

// Coverage is optionally implemented by a Calendar whose holiday data is only
// authoritative for some years; Assess flags deadlines outside it for review.
type Coverage interface {
	Covers(year int) bool
}

// JapanCalendar is the government calendar of 行政機関の休日に関する法律1条:
// Saturdays, Sundays, national holidays (incl. 振替休日 and 国民の休日) and
// the year-end closure December 29 – January 3. The zero value is ready to use.
type JapanCalendar struct {
	// Extra adds closure days that are not in the built-in table, such as a
	// one-off national holiday enacted by special law; the value is the name
	// shown to users.
	Extra map[Date]string
}

// IsClosed reports whether government offices are closed on d.
func (c JapanCalendar) IsClosed(d Date) bool {
	_, closed := c.ClosedReason(d)
	return closed
}

// ClosedReason returns the Japanese reason d is closed, or false if d is open.
// A national holiday name wins over the weekday so that the UI can say
// "憲法記念日" rather than "日曜日".
func (c JapanCalendar) ClosedReason(d Date) (string, bool) {
	if n, ok := c.HolidayName(d); ok {
		return n, true
	}
	if (d.Month == time.December && d.Day >= 29) || (d.Month == time.January && d.Day <= 3) {
		return "年末年始（行政機関の休日）", true
	}
	switch d.Weekday() {
	case time.Saturday:
		return "土曜日", true
	case time.Sunday:
		return "日曜日", true
	}
	return "", false
}

// HolidayName returns the Japanese name of the national holiday on d, looking
// at Extra first.
func (c JapanCalendar) HolidayName(d Date) (string, bool) {
	if n, ok := c.Extra[d]; ok {
		return n, true
	}
	return HolidayName(d)
}

// Covers reports whether the built-in holiday table holds d's year.
func (c JapanCalendar) Covers(year int) bool { return HolidayTableCovers(year) }

// HolidayName returns the Japanese name of the national holiday on d
// (e.g. "振替休日", "国民の休日"). Years outside the built-in table are
// computed from the current 祝日法 rules; see HolidayTableCovers.
func HolidayName(d Date) (string, bool) {
	if HolidayTableCovers(d.Year) {
		n, ok := holidayTable[d]
		return n, ok
	}
	n, ok := computeHolidays(d.Year)[d]
	return n, ok
}

// HolidayTableCovers reports whether the built-in holiday table, taken from
// the Cabinet Office list, holds year.
func HolidayTableCovers(year int) bool {
	return year >= holidayTableFirstYear && year <= holidayTableLastYear
}

// NextOpenDay returns d if it is open, otherwise the first open day after it.
// The shift is applied repeatedly (5/3 → 5/4 → 5/5 → 5/6 → 5/7) because
// 行政機関の休日に関する法律2条 treats a run of closed days as one.
func NextOpenDay(c Calendar, d Date) Date {
	// A calendar that claims every day is closed would loop forever; a year
	// is far beyond any real run of closed days.
	for i := 0; i < 366 && c.IsClosed(d); i++ {
		d = d.AddDays(1)
	}
	return d
}

// ClosedDay is one closed day that a due date was moved past.
type ClosedDay struct {
	Date   Date   `json:"date"`
	Reason string `json:"reason_ja"`
}
