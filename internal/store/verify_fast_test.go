package store

import (
	"bytes"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/incident"
)

// TestFastEventCanonical_MatchesCanonical: whenever the text path accepts a payload, its bytes are
// exactly Event.Canonical of the decoded payload (what the slow path hashes); the forms it refuses
// are left to the slow path.
func TestFastEventCanonical_MatchesCanonical(t *testing.T) {
	at := time.Date(2026, 12, 2, 9, 30, 0, 123456789, time.FixedZone("JST", 9*3600))
	cases := []struct {
		payload string
		fast    bool
	}{
		{`{}`, true},
		{`{"salt": "00ff", "title": "顧客情報の漏えい", "n": 12, "neg": -3, "zero": 0}`, true},
		{`{"b": [1, "x", true, false, null, {"z": 1, "a": [], "m": {}}], "a": {"y": 2, "x": 1}}`, true},
		{`{"id": 3, "ab": 1, "a": 2, "b_c": 3, "B": 4, "_": 5}`, true}, // jsonb's order is by length first
		{"  {\"a\" : [ 1 , 2 ] }  ", true},
		{`{"big": 123456789012345678}`, true},
		{`{"big": 1234567890123456789}`, false}, // 19 digits: left to the slow path
		{`{"f": 1.0}`, false},
		{`{"f": 1e2}`, false},
		{`{"m": -0}`, false},
		{`{"s": "line\nbreak"}`, false},
		{`{"s": "quote\"d"}`, false},
		{`{"s": "\u3042"}`, false},
		{`{"キー": 1}`, false},
		{`{"a": 1, "a": 2}`, false},
		{`[1]`, false},
		{`null`, false},
		{`{"a": 1} x`, false},
		{`{"a": tru}`, false},
		{`{"a": [1,]}`, false},
		{`{"a" 1}`, false},
		{`{"a": "unterminated}`, false},
	}
	for _, tc := range cases {
		got, ok := fastEventCanonical(nil, 7, 3, "case_opened", 42, at, []byte(tc.payload))
		if ok != tc.fast {
			t.Errorf("%s: fast = %v, want %v", tc.payload, ok, tc.fast)
			continue
		}
		if !ok {
			continue
		}
		p, err := decodePayload([]byte(tc.payload))
		if err != nil {
			t.Fatalf("%s: %v", tc.payload, err)
		}
		want, err := incident.Event{Seq: 3, Type: "case_opened", ActorID: 42, At: at, Payload: p}.Canonical(7)
		if err != nil {
			t.Fatalf("%s: %v", tc.payload, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n fast %s\n want %s", tc.payload, got, want)
		}
	}
	if _, ok := fastEventCanonical(nil, 7, 3, `odd"type`, 42, at, []byte(`{}`)); ok {
		t.Error("a type that needs escaping took the text path")
	}
}
