package appi

import (
	"fmt"
	"time"
)

// JST is Japan Standard Time. A fixed zone is used on purpose: Japan has no
// daylight saving time, and a fixed offset does not depend on the tzdata
// installed on the host.
var JST = time.FixedZone("JST", 9*60*60)

// Date is a civil calendar date in Japan (no time, no zone). Legal day counts
// ("the date the company knew is day 1") work on these dates, never on
// durations, so that day arithmetic cannot drift across midnight.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the JST calendar date of t.
func DateOf(t time.Time) Date {
	y, m, d := t.In(JST).Date()
	return Date{y, m, d}
}

// NewDate returns the normalised date for y-m-d (so day 32 rolls over).
func NewDate(y int, m time.Month, d int) Date {
	return DateOf(time.Date(y, m, d, 12, 0, 0, 0, JST))
}

// ParseDate parses "YYYY-MM-DD" and rejects impossible dates such as 2026-02-30.
func ParseDate(s string) (Date, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, JST)
	if err != nil {
		return Date{}, fmt.Errorf("appi: parse date %q: %w", s, err)
	}
	return DateOf(t), nil
}

// String formats the date as "YYYY-MM-DD".
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// Start returns 00:00:00 JST of d.
func (d Date) Start() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, JST) }

// End returns 23:59:59 JST of d: the instant a date-based deadline expires.
// Facts are recorded with seconds precision, so nothing recorded falls
// between End and the next day's Start.
func (d Date) End() time.Time { return d.Start().Add(24*time.Hour - time.Second) }

// AddDays returns the date n days later (earlier when n < 0).
func (d Date) AddDays(n int) Date { return NewDate(d.Year, d.Month, d.Day+n) }

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.Start().Weekday() }

// Compare returns -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return cmpInt(d.Year, o.Year)
	case d.Month != o.Month:
		return cmpInt(int(d.Month), int(o.Month))
	default:
		return cmpInt(d.Day, o.Day)
	}
}

// Before reports whether d is strictly before o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is strictly after o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// MarshalText encodes d as "YYYY-MM-DD" so that dates read the same in JSON.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText decodes "YYYY-MM-DD".
func (d *Date) UnmarshalText(b []byte) error {
	p, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
