package appi

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"
)

func TestInt_AcceptsJSONBEncodings(t *testing.T) {
	tests := []struct {
		in   any
		want int64
		ok   bool
	}{
		{int(5), 5, true},
		{int64(1001), 1001, true},
		{float64(1000), 1000, true},
		{json.Number("3000"), 3000, true},
		{json.Number("3e3"), 3000, true},
		{"1,200", 1200, true},
		{float64(1.5), 0, false},
		{math.NaN(), 0, false},
		{math.Inf(1), 0, false},
		{float64(1e300), 0, false},
		{int(-1), 0, false},
		{true, 0, false},
		{nil, 0, false},
		{uint64(math.MaxUint64), 0, false},
	}
	for _, tt := range tests {
		got, ok := Int(Facts{"n": tt.in}, "n")
		if got != tt.want || ok != tt.ok {
			t.Errorf("Int(%#v) = %d,%v want %d,%v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSet_AcceptsStringAndAnySlices(t *testing.T) {
	tests := []struct {
		in   any
		want []string
		ok   bool
	}{
		{[]string{"b", "a", "b"}, []string{"a", "b"}, true},
		{[]any{"name", "address"}, []string{"address", "name"}, true},
		{"name", []string{"name"}, true},
		{[]any{"name", 3}, nil, false},
		{map[string]any{}, nil, false},
		{nil, nil, false},
	}
	for _, tt := range tests {
		got, ok := Set(Facts{"s": tt.in}, "s")
		if ok != tt.ok || (tt.ok && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("Set(%#v) = %v,%v want %v,%v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestTristate(t *testing.T) {
	tests := []struct {
		in   any
		want Tri
	}{
		{"yes", TriYes}, {"No", TriNo}, {"unknown", TriUnknown}, {true, TriYes}, {false, TriNo},
		{nil, TriUnset}, {"maybe", TriUnset}, {3, TriUnset},
	}
	for _, tt := range tests {
		if got := Tristate(Facts{"t": tt.in}, "t"); got != tt.want {
			t.Errorf("Tristate(%#v) = %q want %q", tt.in, got, tt.want)
		}
	}
}

func TestDateTimeAndDate(t *testing.T) {
	want := time.Date(2026, 4, 30, 22, 40, 0, 0, JST)
	for _, in := range []any{"2026-04-30T22:40:00+09:00", "2026-04-30T13:40:00Z", "2026-04-30T22:40:00", want} {
		got, ok := DateTime(Facts{"t": in}, "t")
		if !ok || !got.Equal(want) {
			t.Errorf("DateTime(%v) = %v,%v", in, got, ok)
		}
	}
	if _, ok := DateTime(Facts{"t": "yesterday"}, "t"); ok {
		t.Error("garbage datetime accepted")
	}
	for _, in := range []any{"2026-05-04", "2026-05-04T08:00:00+09:00", "2026-05-03T23:30:00Z"} {
		got, ok := DateFact(Facts{"d": in}, "d")
		if !ok || got != d(2026, 5, 4) {
			t.Errorf("DateFact(%v) = %v,%v", in, got, ok)
		}
	}
	if s, ok := String(Facts{"s": " x "}, "s"); !ok || s != "x" {
		t.Errorf("String = %q,%v", s, ok)
	}
	if b, ok := Bool(Facts{"b": "yes"}, "b"); !ok || !b {
		t.Errorf("Bool(yes) = %v,%v", b, ok)
	}
}

func TestAssess_InvalidFactIsReviewedNotGuessed(t *testing.T) {
	f := s2a()
	f["affected_count"] = "lots"
	delete(f, "estimated_count_max")
	a := Assess(f, DefaultOptions(), s2aNow)
	if !contains(a.APPI.NeedsReview, "invalid_fact:affected_count") {
		t.Errorf("needs_review = %v", a.APPI.NeedsReview)
	}
	if a.APPI.Status != StatusUndetermined {
		t.Errorf("status = %s, want undetermined (no readable count)", a.APPI.Status)
	}
}
