package appi

import (
	"maps"
	"slices"
	"strings"
	"time"
)

func jst(y int, m time.Month, day, h, mi int) time.Time {
	return time.Date(y, m, day, h, mi, 0, 0, JST)
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

// with returns a copy of base with the overrides applied; a nil override
// deletes the key ("not recorded").
func with(base Facts, kv ...any) Facts {
	f := maps.Clone(base)
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(f, k)
			continue
		}
		f[k] = kv[i+1]
	}
	return f
}

// base is an ordinary, complete, not-reportable case: a mis-sent email with
// 10 customers' names and addresses, no My Number.
func base() Facts {
	return Facts{
		"recognized_at":      "2026-04-30T10:00:00+09:00",
		"certainty":          "confirmed",
		"event_types":        []string{"leak"},
		"route":              "email_missend",
		"data_items":         []string{"address", "name"},
		"affected_count":     int64(10),
		"encryption":         "none",
		"involves_my_number": "no",
	}
}

var baseNow = jst(2026, 4, 30, 12, 0)

// S1 of domain.md §6.
func s1() Facts {
	return Facts{
		"recognized_at":        "2026-02-09T09:00:00+09:00",
		"reported_to_soumu_at": "2026-02-09T09:20:00+09:00",
		"route":                "email_missend",
		"data_items":           []any{"name", "address"},
		"affected_count":       float64(100),
		"certainty":            "confirmed",
		"event_types":          []any{"leak"},
		"encryption":           "none",
		"recovered_unviewed":   false,
		"involves_my_number":   "no",
		"wrongful_act":         "no",
	}
}

// S2a of domain.md §6: a lost unencrypted USB stick, 3,000 customers.
func s2a() Facts {
	return Facts{
		"recognized_at":              "2026-04-30T22:40:00+09:00",
		"reported_to_soumu_at":       "2026-05-01T09:00:00+09:00",
		"route":                      "media_lost",
		"data_items":                 []string{"address", "name", "phone", "purchase_history"},
		"affected_count":             int64(3000),
		"certainty":                  "suspected",
		"event_types":                []string{"leak"},
		"encryption":                 "none",
		"public_disclosure_possible": true,
		"involves_my_number":         "no",
	}
}

var s2aNow = jst(2026, 5, 1, 10, 0)

// S3 of domain.md §6: an insider sells 5,000 customer records.
func s3() Facts {
	return Facts{
		"recognized_at":              "2026-03-05T10:15:00+09:00",
		"route":                      "insider_takeout",
		"wrongful_act":               "yes",
		"data_items":                 []string{"address", "email", "name", "phone", "purchase_history"},
		"affected_count":             int64(5000),
		"certainty":                  "suspected",
		"event_types":                []string{"leak"},
		"public_disclosure_possible": true,
		"involves_my_number":         "no",
	}
}

func bytesReader(s string) *strings.Reader { return strings.NewReader(s) }
