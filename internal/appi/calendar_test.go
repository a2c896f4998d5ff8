package appi

import (
	"testing"
	"time"
)

func d(y int, m time.Month, day int) Date { return Date{y, m, day} }

func TestHolidayTableMatchesRules(t *testing.T) {
	for y := holidayTableFirstYear; y <= holidayTableLastYear; y++ {
		want := computeHolidays(y)
		got := 0
		for day, name := range holidayTable {
			if day.Year != y {
				continue
			}
			got++
			if want[day] != name {
				t.Errorf("%s: table %q, rules %q", day, name, want[day])
			}
		}
		if got != len(want) {
			t.Errorf("%d: table has %d holidays, rules %d", y, got, len(want))
		}
	}
}

// The Cabinet Office lists for 2026 and 2027, pinned in full.
func TestHolidayName_2026And2027Pinned(t *testing.T) {
	pinned := map[int][]struct {
		m    time.Month
		d    int
		name string
	}{
		2026: {
			{1, 1, "元日"}, {1, 12, "成人の日"}, {2, 11, "建国記念の日"}, {2, 23, "天皇誕生日"},
			{3, 20, "春分の日"}, {4, 29, "昭和の日"}, {5, 3, "憲法記念日"}, {5, 4, "みどりの日"},
			{5, 5, "こどもの日"}, {5, 6, "振替休日"}, {7, 20, "海の日"}, {8, 11, "山の日"},
			{9, 21, "敬老の日"}, {9, 22, "国民の休日"}, {9, 23, "秋分の日"}, {10, 12, "スポーツの日"},
			{11, 3, "文化の日"}, {11, 23, "勤労感謝の日"},
		},
		2027: {
			{1, 1, "元日"}, {1, 11, "成人の日"}, {2, 11, "建国記念の日"}, {2, 23, "天皇誕生日"},
			{3, 21, "春分の日"}, {3, 22, "振替休日"}, {4, 29, "昭和の日"}, {5, 3, "憲法記念日"},
			{5, 4, "みどりの日"}, {5, 5, "こどもの日"}, {7, 19, "海の日"}, {8, 11, "山の日"},
			{9, 20, "敬老の日"}, {9, 23, "秋分の日"}, {10, 11, "スポーツの日"}, {11, 3, "文化の日"},
			{11, 23, "勤労感謝の日"},
		},
	}
	for y, list := range pinned {
		want := map[Date]string{}
		for _, h := range list {
			want[d(y, h.m, h.d)] = h.name
		}
		for day := d(y, 1, 1); day.Year == y; day = day.AddDays(1) {
			got, ok := HolidayName(day)
			w, isHoliday := want[day]
			if ok != isHoliday || got != w {
				t.Errorf("HolidayName(%s) = %q,%v; want %q,%v", day, got, ok, w, isHoliday)
			}
		}
	}
}

func TestJapanCalendar_IsClosed(t *testing.T) {
	c := JapanCalendar{}
	tests := []struct {
		day    Date
		closed bool
		reason string
	}{
		{d(2026, 5, 6), true, "振替休日"},
		{d(2026, 9, 22), true, "国民の休日"},
		{d(2026, 5, 3), true, "憲法記念日"}, // a Sunday: the holiday name wins
		{d(2026, 5, 7), false, ""},     // Thursday after Golden Week
		{d(2026, 5, 2), true, "土曜日"},
		{d(2026, 5, 10), true, "日曜日"},
		{d(2026, 12, 28), false, ""}, // Monday, last open day of the year
		{d(2026, 12, 29), true, "年末年始（行政機関の休日）"},
		{d(2026, 12, 31), true, "年末年始（行政機関の休日）"},
		{d(2027, 1, 1), true, "元日"},
		{d(2027, 1, 3), true, "年末年始（行政機関の休日）"}, // a Sunday, but 1/3 is a closure day first
		{d(2027, 1, 4), false, ""},
		{d(2026, 11, 16), false, ""},
	}
	for _, tt := range tests {
		reason, closed := c.ClosedReason(tt.day)
		if closed != tt.closed || reason != tt.reason || c.IsClosed(tt.day) != tt.closed {
			t.Errorf("%s: got %q,%v want %q,%v", tt.day, reason, closed, tt.reason, tt.closed)
		}
	}
}

func TestJapanCalendar_ExtraClosure(t *testing.T) {
	c := JapanCalendar{Extra: map[Date]string{d(2026, 6, 1): "臨時の休日"}}
	if n, ok := c.HolidayName(d(2026, 6, 1)); !ok || n != "臨時の休日" {
		t.Fatalf("extra holiday not seen: %q %v", n, ok)
	}
	if got := NextOpenDay(c, d(2026, 5, 30)); got != d(2026, 6, 2) {
		t.Errorf("NextOpenDay = %s, want 2026-06-02", got)
	}
}

func TestNextOpenDay_RunsOfClosedDays(t *testing.T) {
	c := JapanCalendar{}
	tests := []struct{ in, want Date }{
		{d(2026, 5, 3), d(2026, 5, 7)},
		{d(2026, 12, 31), d(2027, 1, 4)},
		{d(2026, 9, 19), d(2026, 9, 24)}, // Sat → Sun → 敬老 → 国民の休日 → 秋分
		{d(2026, 5, 29), d(2026, 5, 29)},
	}
	for _, tt := range tests {
		if got := NextOpenDay(c, tt.in); got != tt.want {
			t.Errorf("NextOpenDay(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestHolidayName_OutsideTableUsesRules(t *testing.T) {
	if HolidayTableCovers(2031) {
		t.Skip("table extended; pick a later year")
	}
	// 2031-05-06 is 振替休日 (5/4 みどりの日 falls on Sunday) by the rules.
	if n, ok := HolidayName(d(2031, 5, 6)); !ok || n != "振替休日" {
		t.Errorf("2031-05-06 = %q,%v", n, ok)
	}
}

func TestDate_Basics(t *testing.T) {
	p, err := ParseDate("2026-02-28")
	if err != nil || p.AddDays(1) != d(2026, 3, 1) {
		t.Fatalf("AddDays across month: %v %v", p.AddDays(1), err)
	}
	if _, err := ParseDate("2026-02-30"); err == nil {
		t.Error("impossible date accepted")
	}
	// 23:30 UTC is already the next day in Japan.
	if got := DateOf(time.Date(2026, 4, 30, 23, 30, 0, 0, time.UTC)); got != d(2026, 5, 1) {
		t.Errorf("DateOf = %s", got)
	}
	if e := d(2026, 5, 29).End().Format(time.RFC3339); e != "2026-05-29T23:59:59+09:00" {
		t.Errorf("End = %s", e)
	}
}
