package appi

import (
	"math"
	"time"
)

// computeHolidays derives the national holidays of one year from the current
// 国民の祝日に関する法律 (as amended in 2018: 天皇誕生日 2/23, スポーツの日).
// It backs the data table in holidays_data.go: the table is what the product
// uses, and a test proves the table and these rules agree for every year the
// table covers. For years outside the table it is the fallback, so it
// deliberately ignores one-off changes of the past (2019 enthronement, the
// 2020/2021 Olympic moves); Assess flags dates outside the table for review.
func computeHolidays(year int) map[Date]string {
	base := map[Date]string{
		NewDate(year, time.January, 1):     "元日",
		nthMonday(year, time.January, 2):   "成人の日",
		NewDate(year, time.February, 11):   "建国記念の日",
		NewDate(year, time.February, 23):   "天皇誕生日",
		NewDate(year, time.April, 29):      "昭和の日",
		NewDate(year, time.May, 3):         "憲法記念日",
		NewDate(year, time.May, 4):         "みどりの日",
		NewDate(year, time.May, 5):         "こどもの日",
		nthMonday(year, time.July, 3):      "海の日",
		NewDate(year, time.August, 11):     "山の日",
		nthMonday(year, time.September, 3): "敬老の日",
		nthMonday(year, time.October, 2):   "スポーツの日",
		NewDate(year, time.November, 3):    "文化の日",
		NewDate(year, time.November, 23):   "勤労感謝の日",
	}
	base[NewDate(year, time.March, equinoxDay(year, 20.8431))] = "春分の日"
	base[NewDate(year, time.September, equinoxDay(year, 23.2488))] = "秋分の日"

	out := make(map[Date]string, len(base)+3)
	for d, n := range base {
		out[d] = n
	}
	// 祝日法3条3項: a weekday squeezed between two 国民の祝日 is a holiday.
	// Only the original 祝日 count as neighbours, not substitute days.
	for d := range base {
		mid, next := d.AddDays(1), d.AddDays(2)
		if _, isHoliday := base[mid]; isHoliday {
			continue
		}
		if _, ok := base[next]; ok && mid.Year == year {
			out[mid] = "国民の休日"
		}
	}
	// 祝日法3条2項: a 祝日 on Sunday moves the rest day to the nearest
	// following day that is not itself a 祝日.
	for d := range base {
		if d.Weekday() != time.Sunday {
			continue
		}
		s := d.AddDays(1)
		for {
			if _, ok := base[s]; !ok {
				break
			}
			s = s.AddDays(1)
		}
		if s.Year == year {
			out[s] = "振替休日"
		}
	}
	return out
}

func nthMonday(year int, m time.Month, n int) Date {
	first := NewDate(year, m, 1)
	offset := (int(time.Monday) - int(first.Weekday()) + 7) % 7
	return first.AddDays(offset + 7*(n-1))
}

// equinoxDay is the usual approximation of the equinox date used to predict
// the 春分の日 / 秋分の日 that the National Astronomical Observatory announces
// each February for the following year; it is exact for 1980–2099 as far as
// published dates go.
func equinoxDay(year int, c float64) int {
	y := float64(year - 1980)
	return int(math.Floor(c + 0.242194*y - math.Floor(y/4)))
}
