package appi

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Facts is a case's facts as described in docs/facts-contract.md: snake_case
// names, values as stored (possibly round-tripped through JSON or JSONB). An
// absent key means "not recorded yet".
type Facts = map[string]any

// Tri is a tri-state fact. The zero value TriUnset means the fact was not
// recorded, which the rules treat differently from an explicit "unknown".
type Tri string

// Tri-state values; TriUnset is "not recorded".
const (
	TriUnset   Tri = ""
	TriYes     Tri = "yes"
	TriNo      Tri = "no"
	TriUnknown Tri = "unknown"
)

// String returns the text fact key; ok is false when absent or not a string.
func String(f Facts, key string) (string, bool) {
	v, ok := readString(f[key])
	return v, ok && f[key] != nil
}

// Int returns the non-negative integer fact key, accepting int, int64 and the
// other integer kinds, integral float64 and json.Number (what JSONB decoding
// produces), and decimal strings. ok is false when absent or invalid.
func Int(f Facts, key string) (int64, bool) {
	v, st := readInt(f[key])
	return v, st == present
}

// Bool returns the boolean fact key; "yes"/"no" and "true"/"false" strings are
// accepted because forms and imports send them.
func Bool(f Facts, key string) (bool, bool) {
	v, st := readBool(f[key])
	return v, st == present
}

// Set returns the set fact key as a sorted, de-duplicated []string, accepting
// []string, []any of strings, or a single string.
func Set(f Facts, key string) ([]string, bool) {
	v, st := readSet(f[key])
	return v, st == present
}

// Tristate returns the tri-state fact key; a bool maps to yes/no. Absent or
// invalid values give TriUnset.
func Tristate(f Facts, key string) Tri {
	v, _ := readTri(f[key])
	return v
}

// DateTime returns the datetime fact key, parsed as RFC 3339; a value without
// an offset is read as JST, which the contract says all datetimes are in.
func DateTime(f Facts, key string) (time.Time, bool) {
	v, st := readTime(f[key])
	return v, st == present
}

// DateFact returns the date fact key ("YYYY-MM-DD"); an RFC 3339 datetime is
// accepted and reduced to its JST date.
func DateFact(f Facts, key string) (Date, bool) {
	v, st := readDate(f[key])
	return v, st == present
}

type readState int

const (
	absent readState = iota
	present
	invalid
)

func readString(v any) (string, bool) {
	s, ok := v.(string)
	return strings.TrimSpace(s), ok
}

func readInt(v any) (int64, readState) {
	var n int64
	switch x := v.(type) {
	case nil:
		return 0, absent
	case int:
		n = int64(x)
	case int8:
		n = int64(x)
	case int16:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case uint:
		if uint64(x) > math.MaxInt64 {
			return 0, invalid
		}
		n = int64(x)
	case uint8:
		n = int64(x)
	case uint16:
		n = int64(x)
	case uint32:
		n = int64(x)
	case uint64:
		if x > math.MaxInt64 {
			return 0, invalid
		}
		n = int64(x)
	case float32:
		return floatInt(float64(x))
	case float64:
		return floatInt(x)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			n = i
		} else if fl, err := x.Float64(); err == nil {
			return floatInt(fl)
		} else {
			return 0, invalid
		}
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return 0, absent
		}
		i, err := strconv.ParseInt(strings.ReplaceAll(s, ",", ""), 10, 64)
		if err != nil {
			return 0, invalid
		}
		n = i
	default:
		return 0, invalid
	}
	if n < 0 {
		return 0, invalid
	}
	return n, present
}

func floatInt(x float64) (int64, readState) {
	// 2^63 itself is not representable, hence >= on the bound.
	if math.IsNaN(x) || math.IsInf(x, 0) || x != math.Trunc(x) || x < 0 || x >= math.MaxInt64 {
		return 0, invalid
	}
	return int64(x), present
}

func readBool(v any) (bool, readState) {
	switch x := v.(type) {
	case nil:
		return false, absent
	case bool:
		return x, present
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "yes":
			return true, present
		case "false", "no":
			return false, present
		case "":
			return false, absent
		}
	}
	return false, invalid
}

func readTri(v any) (Tri, readState) {
	switch x := v.(type) {
	case nil:
		return TriUnset, absent
	case bool:
		if x {
			return TriYes, present
		}
		return TriNo, present
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "yes", "true":
			return TriYes, present
		case "no", "false":
			return TriNo, present
		case "unknown":
			return TriUnknown, present
		case "":
			return TriUnset, absent
		}
	}
	return TriUnset, invalid
}

func readSet(v any) ([]string, readState) {
	var out []string
	switch x := v.(type) {
	case nil:
		return nil, absent
	case []string:
		out = append(out, x...)
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, invalid
			}
			out = append(out, s)
		}
	case string:
		out = []string{x}
	default:
		return nil, invalid
	}
	clean := out[:0]
	for _, s := range out {
		if s = strings.TrimSpace(s); s != "" {
			clean = append(clean, s)
		}
	}
	slices.Sort(clean)
	return slices.Compact(clean), present
}

var noOffsetLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"}

func readTime(v any) (time.Time, readState) {
	switch x := v.(type) {
	case nil:
		return time.Time{}, absent
	case time.Time:
		if x.IsZero() {
			return time.Time{}, absent
		}
		return saneTime(x)
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return time.Time{}, absent
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return saneTime(t)
		}
		for _, l := range noOffsetLayouts {
			if t, err := time.ParseInLocation(l, s, JST); err == nil {
				return saneTime(t)
			}
		}
	}
	return time.Time{}, invalid
}

// saneTime rejects years no incident can have. Besides catching typos, it
// keeps derived times (due = recognized + 60 days) inside the range that
// encoding/json can marshal.
func saneTime(t time.Time) (time.Time, readState) {
	if y := t.In(JST).Year(); y < 1900 || y > 2999 {
		return time.Time{}, invalid
	}
	return t, present
}

func readDate(v any) (Date, readState) {
	switch x := v.(type) {
	case nil:
		return Date{}, absent
	case Date:
		if x.Year < 1900 || x.Year > 2999 {
			return Date{}, invalid
		}
		return x, present
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return Date{}, absent
		}
		if d, err := ParseDate(s); err == nil {
			if d.Year < 1900 || d.Year > 2999 {
				return Date{}, invalid
			}
			return d, present
		}
	}
	if t, st := readTime(v); st == present {
		return DateOf(t), present
	}
	return Date{}, invalid
}

// reader wraps a Facts map and remembers which recorded values could not be
// read, so that Assess can ask for review instead of treating garbage as
// "not recorded".
type reader struct {
	f       Facts
	invalid []string
}

func (r *reader) note(key string, st readState) bool {
	if st == invalid {
		r.invalid = append(r.invalid, key)
	}
	return st == present
}

func (r *reader) has(key string) bool { return r.f[key] != nil }

func (r *reader) str(key string) string {
	v, ok := readString(r.f[key])
	if !ok && r.f[key] != nil {
		r.invalid = append(r.invalid, key)
	}
	return v
}

func (r *reader) int(key string) (int64, bool) {
	v, st := readInt(r.f[key])
	return v, r.note(key, st)
}

func (r *reader) bool(key string) bool {
	v, st := readBool(r.f[key])
	r.note(key, st)
	return v
}

func (r *reader) boolSet(key string) (bool, bool) {
	v, st := readBool(r.f[key])
	return v, r.note(key, st)
}

func (r *reader) tri(key string) Tri {
	v, st := readTri(r.f[key])
	r.note(key, st)
	return v
}

func (r *reader) set(key string) ([]string, bool) {
	v, st := readSet(r.f[key])
	return v, r.note(key, st)
}

func (r *reader) time(key string) (time.Time, bool) {
	v, st := readTime(r.f[key])
	return v, r.note(key, st)
}

func (r *reader) date(key string) (Date, bool) {
	v, st := readDate(r.f[key])
	return v, r.note(key, st)
}
