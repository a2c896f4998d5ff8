package reminder

import (
	"time"

	"github.com/leakdesk/leakdesk/internal/appi"
)

// Business hours of the approval-waiting reminder: 9:00–18:00 JST on days the government calendar
// (appi.JapanCalendar: weekends, national holidays, Dec 29 – Jan 3) has open.
const (
	workStartHour = 9
	workEndHour   = 18
)

// AddWorkingHours returns the instant d of working time after start: time outside 9–18 JST on open
// days does not count. A start outside business hours counts from the next opening.
func AddWorkingHours(start time.Time, d time.Duration, cal appi.Calendar) time.Time {
	if cal == nil {
		cal = appi.JapanCalendar{}
	}
	t := start.In(appi.JST)
	for i := 0; i < 3660; i++ { // ten years of days: far beyond any real wait
		day := appi.DateOf(t)
		open := day.Start().Add(workStartHour * time.Hour)
		close := day.Start().Add(workEndHour * time.Hour)
		if cal.IsClosed(day) || !t.Before(close) {
			t = appi.NextOpenDay(cal, day.AddDays(1)).Start().Add(workStartHour * time.Hour)
			continue
		}
		if t.Before(open) {
			t = open
		}
		left := close.Sub(t)
		if d <= left {
			return t.Add(d)
		}
		d -= left
		t = close
	}
	return t
}
