package incident

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Facts is a case's recorded facts: fact name → normalised value (see
// docs/facts-contract.md). An absent key means "not recorded yet".
type Facts map[string]any

// futureSlack is how far a NotFuture datetime may lie ahead of "now", to
// absorb clock skew between the browser and the server.
const futureSlack = 5 * time.Minute

// NormalizePatch validates a JSON merge patch of facts and returns it with
// every value in its contract encoding. A nil value (JSON null), an empty
// string and an empty set mean "delete this fact" and come back as nil.
//
// Field errors: unknown field; wrong type; enum or set value not among the
// options; negative or non-integral int; text longer than MaxLen runes (2000,
// longtext 20000) or not valid UTF-8; datetime or date not parseable; a
// NotFuture datetime (recognized_at, reported_to_soumu_at, occurred_at) more
// than 5 minutes after now. Cross-field plausibility (occurred_at after
// recognized_at, min > max) is left to the law rules, which flag it.
//
// Datetimes accept RFC 3339 with an offset and the browser's datetime-local
// forms "2006-01-02T15:04" and "2006-01-02T15:04:05", read as Asia/Tokyo;
// they are normalised to RFC 3339 in JST with seconds precision.
// Errors are sorted by field name.
func NormalizePatch(patch map[string]any, now time.Time) (Facts, []FieldError) {
	out := make(Facts, len(patch))
	var errs []FieldError
	for name, raw := range patch {
		f, ok := fieldIndex[name]
		if !ok {
			errs = append(errs, FieldError{Field: name,
				JA: "この項目は登録されていません。", EN: "unknown field"})
			continue
		}
		v, fe := normalizeValue(f, raw, now)
		if fe != nil {
			errs = append(errs, *fe)
			continue
		}
		out[name] = v
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
	return out, errs
}

func fieldErr(f *Field, ja, en string) *FieldError {
	return &FieldError{Field: f.Name, JA: "「" + f.LabelJA + "」" + ja, EN: f.LabelEN + ": " + en}
}

func wrongType(f *Field) *FieldError {
	want := map[FieldKind][2]string{
		KindText: {"文字列", "a string"}, KindLongText: {"文字列", "a string"},
		KindEnum: {"選択肢の値", "one of the options"}, KindSet: {"選択肢の値の一覧", "a list of options"},
		KindInt: {"0以上の整数", "a whole number of 0 or more"}, KindBool: {"はい・いいえ", "true or false"},
		KindTristate: {"はい・いいえ・不明", `"yes", "no" or "unknown"`},
		KindDateTime: {"日時", "a date and time"}, KindDate: {"日付（YYYY-MM-DD）", "a date (YYYY-MM-DD)"},
	}[f.Kind]
	return fieldErr(f, "は"+want[0]+"で入力してください。", "must be "+want[1])
}

func normalizeValue(f *Field, raw any, now time.Time) (any, *FieldError) {
	if raw == nil {
		return nil, nil
	}
	if s, ok := raw.(string); ok && strings.TrimSpace(s) == "" && f.Kind != KindBool {
		return nil, nil // an empty form input clears the fact
	}
	switch f.Kind {
	case KindText, KindLongText:
		s, ok := raw.(string)
		if !ok {
			return nil, wrongType(f)
		}
		if !utf8.ValidString(s) {
			return nil, fieldErr(f, "に使用できない文字が含まれています。", "is not valid UTF-8")
		}
		if n := utf8.RuneCountInString(s); n > f.maxLen() {
			return nil, fieldErr(f, fmt.Sprintf("は%d文字以内で入力してください（現在%d文字）。", f.maxLen(), n),
				fmt.Sprintf("must be at most %d characters (has %d)", f.maxLen(), n))
		}
		return s, nil
	case KindEnum, KindTristate:
		s, ok := raw.(string)
		if !ok {
			if b, isBool := raw.(bool); isBool && f.Kind == KindTristate {
				s = map[bool]string{true: "yes", false: "no"}[b]
			} else {
				return nil, wrongType(f)
			}
		}
		if !f.hasOption(s) {
			return nil, fieldErr(f, "の値「"+s+"」は選択肢にありません。", fmt.Sprintf("%q is not one of the options", s))
		}
		return s, nil
	case KindSet:
		return normalizeSet(f, raw)
	case KindInt:
		return normalizeInt(f, raw)
	case KindBool:
		switch x := raw.(type) {
		case bool:
			return x, nil
		case string:
			if b, err := strconv.ParseBool(x); err == nil {
				return b, nil
			}
		}
		return nil, wrongType(f)
	case KindDateTime:
		s, ok := raw.(string)
		if !ok {
			return nil, wrongType(f)
		}
		t, ok := parseDateTime(s)
		if !ok {
			return nil, fieldErr(f, "の日時を読み取れません（例: 2026-04-30T22:40）。",
				"cannot read the date and time (e.g. 2026-04-30T22:40 or RFC 3339)")
		}
		if f.NotFuture && t.After(now.Add(futureSlack)) {
			return nil, fieldErr(f, "に未来の日時は入力できません。", "cannot be in the future")
		}
		return FormatDateTime(t), nil
	case KindDate:
		s, ok := raw.(string)
		if !ok {
			return nil, wrongType(f)
		}
		d, err := time.ParseInLocation(time.DateOnly, s, jst)
		if err != nil {
			return nil, fieldErr(f, "の日付を読み取れません（例: 2026-05-29）。", "cannot read the date (YYYY-MM-DD)")
		}
		return d.Format(time.DateOnly), nil
	}
	return nil, wrongType(f)
}

func normalizeSet(f *Field, raw any) (any, *FieldError) {
	var items []string
	switch x := raw.(type) {
	case []string:
		items = append(items, x...)
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, wrongType(f)
			}
			items = append(items, s)
		}
	default:
		return nil, wrongType(f)
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(items))
	for _, s := range items {
		if !f.hasOption(s) {
			return nil, fieldErr(f, "の値「"+s+"」は選択肢にありません。", fmt.Sprintf("%q is not one of the options", s))
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	sort.Strings(out)
	return out, nil
}

func normalizeInt(f *Field, raw any) (any, *FieldError) {
	var n int64
	switch x := raw.(type) {
	case int:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) || math.Abs(x) > 1<<53 {
			return nil, wrongType(f)
		}
		n = int64(x)
	case json.Number:
		i, err := x.Int64()
		if err != nil {
			return nil, wrongType(f)
		}
		n = i
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return nil, wrongType(f)
		}
		n = i
	default:
		return nil, wrongType(f)
	}
	if n < 0 {
		return nil, fieldErr(f, "に負の数は入力できません。", "must not be negative")
	}
	return n, nil
}

// parseDateTime reads RFC 3339 (with offset) or a datetime-local value,
// which has no offset and is taken as Asia/Tokyo.
func parseDateTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, jst); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// FormatDateTime formats t as a fact datetime: RFC 3339 in JST, seconds.
func FormatDateTime(t time.Time) string {
	return t.In(jst).Truncate(time.Second).Format(time.RFC3339)
}

// coerceStored brings a fact value that went through JSON storage (ints as
// float64 or json.Number, sets as []any) back to its contract encoding, so a
// replayed case equals the case built in memory.
func coerceStored(name string, v any) any {
	f, ok := fieldIndex[name]
	if !ok || v == nil {
		return v
	}
	switch f.Kind {
	case KindInt:
		if n, ok := toInt64(v); ok {
			return n
		}
	case KindSet:
		if xs, ok := toStrings(v); ok {
			return xs
		}
	}
	return v
}

func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case float64:
		return int64(x), x == math.Trunc(x)
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	}
	return 0, false
}

func toStrings(v any) ([]string, bool) {
	switch x := v.(type) {
	case []string:
		return append([]string(nil), x...), true
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

// Fact accessors used by the stage table and the policy. They read facts
// loaded from JSON as well as normalised ones.

func (f Facts) has(name string) bool {
	v, ok := f[name]
	if !ok || v == nil {
		return false
	}
	switch x := v.(type) {
	case string:
		return x != ""
	case []string:
		return len(x) > 0
	case []any:
		return len(x) > 0
	}
	return true
}

// Str returns the string value of a text, enum, tristate, date or datetime
// fact, or "" when absent.
func (f Facts) Str(name string) string { s, _ := f[name].(string); return s }

// Bool returns the value of a bool fact and whether it is recorded.
func (f Facts) Bool(name string) (value, recorded bool) { b, ok := f[name].(bool); return b, ok }

// Int returns the value of an int fact and whether it is recorded.
func (f Facts) Int(name string) (int64, bool) { return toInt64(f[name]) }

// Set returns the values of a set fact (nil when absent).
func (f Facts) Set(name string) []string { xs, _ := toStrings(f[name]); return xs }

func (f Facts) setHas(name, v string) bool {
	for _, x := range f.Set(name) {
		if x == v {
			return true
		}
	}
	return false
}

func (f Facts) isTrue(name string) bool { b, _ := f.Bool(name); return b }

// clone copies facts deeply enough for Decide's simulation: values are
// immutable scalars or string slices, which are copied.
func (f Facts) clone() Facts {
	if f == nil {
		return nil
	}
	out := make(Facts, len(f))
	for k, v := range f {
		if xs, ok := v.([]string); ok {
			v = append([]string(nil), xs...)
		}
		out[k] = v
	}
	return out
}
