package store

import (
	"bytes"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/chain"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// TestCanonMatchesRow: the cheap check confirms the kept bytes exactly when the row, decoded as the
// app reads it, canonicalises to them (the exact check), and never otherwise; the row's text may be
// in PostgreSQL's form (keys by length, spaces) or any other.
func TestCanonMatchesRow(t *testing.T) {
	at := time.Date(2026, 12, 3, 9, 30, 0, 123456789, time.FixedZone("JST", 9*3600))
	base := `{"salt": "00ff", "title": "顧客情報の漏えい", "n": 12, "list": [1, "x", true, null, {"z": 1, "a": []}], "m": {"y": 2, "x": 1}}`
	canonOf := func(payload string) []byte {
		t.Helper()
		p, err := decodePayload([]byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		c, err := incident.Event{Seq: 4, Type: "facts_changed", ActorID: 7, At: at, Payload: p}.Canonical(42)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	canon := canonOf(base)
	type row struct {
		caseID, seq, actor int64
		typ                string
		at                 time.Time
		payload            string
	}
	good := row{42, 4, 7, "facts_changed", at, base}
	cases := []struct {
		name string
		row  row
		want bool
	}{
		{"as stored", good, true},
		{"PostgreSQL's key order and spacing", row{42, 4, 7, "facts_changed", at,
			`{"m": {"x": 1, "y": 2}, "n": 12, "list": [1, "x", true, null, {"a": [], "z": 1}], "salt": "00ff", "title": "顧客情報の漏えい"}`}, true},
		{"compact", row{42, 4, 7, "facts_changed", at.UTC(),
			`{"n":12,"m":{"y":2,"x":1},"salt":"00ff","list":[1,"x",true,null,{"z":1,"a":[]}],"title":"顧客情報の漏えい"}`}, true},
		{"value edited", row{42, 4, 7, "facts_changed", at, `{"salt": "00ff", "title": "改ざん", "n": 12, "list": [1, "x", true, null, {"z": 1, "a": []}], "m": {"y": 2, "x": 1}}`}, false},
		{"number edited", row{42, 4, 7, "facts_changed", at, `{"salt": "00ff", "title": "顧客情報の漏えい", "n": 13, "list": [1, "x", true, null, {"z": 1, "a": []}], "m": {"y": 2, "x": 1}}`}, false},
		{"key added", row{42, 4, 7, "facts_changed", at, `{"salt": "00ff", "title": "顧客情報の漏えい", "n": 12, "list": [1, "x", true, null, {"z": 1, "a": []}], "m": {"y": 2, "x": 1}, "o": 1}`}, false},
		{"key removed", row{42, 4, 7, "facts_changed", at, `{"salt": "00ff", "title": "顧客情報の漏えい", "list": [1, "x", true, null, {"z": 1, "a": []}], "m": {"y": 2, "x": 1}}`}, false},
		{"key renamed", row{42, 4, 7, "facts_changed", at, `{"salt": "00ff", "titel": "顧客情報の漏えい", "n": 12, "list": [1, "x", true, null, {"z": 1, "a": []}], "m": {"y": 2, "x": 1}}`}, false},
		{"key given twice", row{42, 4, 7, "facts_changed", at, `{"salt": "00ff", "salt": "00ff", "n": 12, "list": [1, "x", true, null, {"z": 1, "a": []}], "m": {"y": 2, "x": 1}}`}, false},
		{"nested value moved", row{42, 4, 7, "facts_changed", at, `{"salt": "00ff", "title": "顧客情報の漏えい", "n": 12, "list": [1, "x", true, null, {"z": 1, "a": []}], "m": {"y": 1, "x": 2}}`}, false},
		{"list reordered", row{42, 4, 7, "facts_changed", at, `{"salt": "00ff", "title": "顧客情報の漏えい", "n": 12, "list": ["x", 1, true, null, {"z": 1, "a": []}], "m": {"y": 2, "x": 1}}`}, false},
		{"list longer", row{42, 4, 7, "facts_changed", at, `{"salt": "00ff", "title": "顧客情報の漏えい", "n": 12, "list": [1, "x", true, null, {"z": 1, "a": []}, 1], "m": {"y": 2, "x": 1}}`}, false},
		{"string for number", row{42, 4, 7, "facts_changed", at, `{"salt": "00ff", "title": "顧客情報の漏えい", "n": "12", "list": [1, "x", true, null, {"z": 1, "a": []}], "m": {"y": 2, "x": 1}}`}, false},
		{"trailing value", row{42, 4, 7, "facts_changed", at, base + ` 1`}, false},
		{"other case", row{43, 4, 7, "facts_changed", at, base}, false},
		{"other seq", row{42, 5, 7, "facts_changed", at, base}, false},
		{"other actor", row{42, 4, 0, "facts_changed", at, base}, false},
		{"other type", row{42, 4, 7, "case_closed", at, base}, false},
		{"other time", row{42, 4, 7, "facts_changed", at.Add(time.Microsecond), base}, false},
		{"not an object", row{42, 4, 7, "facts_changed", at, `[]`}, false},
		{"truncated", row{42, 4, 7, "facts_changed", at, base[:len(base)-1]}, false},
		{"escaped form (left to the exact check)", row{42, 4, 7, "facts_changed", at, `{"salt": "00\u0066f", "title": "顧客情報の漏えい", "n": 12, "list": [1, "x", true, null, {"z": 1, "a": []}], "m": {"y": 2, "x": 1}}`}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.row
			_, got := canonMatchesRow(nil, canon, r.caseID, r.seq, []byte(r.typ), r.actor, r.at, []byte(r.payload))
			if got != tc.want {
				t.Fatalf("canonMatchesRow = %v, want %v", got, tc.want)
			}
			// Never more lenient than the exact check.
			exact, reason := exactCanonical(r.caseID, r.seq, []byte(r.typ), r.actor, r.at, []byte(r.payload))
			if got && (reason != "" || !bytes.Equal(exact, canon)) {
				t.Fatalf("confirmed a row the exact check refuses (%q)", reason)
			}
		})
	}
	// The exact check still accepts what the cheap one leaves to it.
	if exact, _ := exactCanonical(42, 4, []byte("facts_changed"), 7, at, []byte(cases[len(cases)-1].row.payload)); !bytes.Equal(exact, canon) {
		t.Fatal("the escaped form is the same payload and must verify the exact way")
	}
}

// FuzzSameJSON: sameJSON never calls two texts the same that decode to different payloads.
func FuzzSameJSON(f *testing.F) {
	f.Add(`{"a": 1, "b": [1, 2]}`, `{"b":[1,2],"a":1}`)
	f.Add(`{"a": "x\"y"}`, `{"a":"x\"y"}`)
	f.Add(`{"a": {}}`, `{"a":[]}`)
	f.Fuzz(func(t *testing.T, a, b string) {
		if !sameJSON([]byte(a), []byte(b)) {
			return
		}
		pa, err1 := decodePayload([]byte(a))
		pb, err2 := decodePayload([]byte(b))
		if err1 != nil || err2 != nil {
			// PostgreSQL only sends valid JSON; what matters is that a valid text is never matched
			// with an invalid one.
			if (err1 == nil) != (err2 == nil) {
				t.Fatalf("matched valid with invalid: %q %q", a, b)
			}
			return
		}
		ca, errA := incident.Event{Payload: pa}.Canonical(1)
		cb, errB := incident.Event{Payload: pb}.Canonical(1)
		if errA == nil && errB == nil && !bytes.Equal(ca, cb) {
			t.Fatalf("same by sameJSON, different decoded: %q %q", a, b)
		}
	})
}

// BenchmarkCheckEvent: one kept-bytes event through the verifier's per-event check (the hash and
// the row-equals-bytes proof), against BenchmarkCheckEventRebuilt, the same event without kept bytes.
func BenchmarkCheckEvent(b *testing.B)        { benchCheckEvent(b, true) }
func BenchmarkCheckEventRebuilt(b *testing.B) { benchCheckEvent(b, false) }

func benchCheckEvent(b *testing.B, kept bool) {
	at := time.Date(2026, 12, 3, 9, 30, 0, 123456789, time.UTC)
	payload := []byte(`{"n": 12, "m": {"x": 1, "y": 2}, "salt": "00ff00ff00ff00ff00ff00ff00ff00ff", "title": "USBメモリ紛失（顧客3,000名）", "facts": {"kinds": ["name", "address"], "count": 3000, "cause": "loss", "note": "駅で紛失した可能性がある"}}`)
	p, _ := decodePayload(payload)
	canon, _ := incident.Event{Seq: 4, Type: "facts_changed", ActorID: 7, At: at, Payload: p}.Canonical(42)
	hash := chain.Hash(nil, canon)
	h := chain.NewHasher()
	var buf []byte
	stored := canon
	if !kept {
		stored = nil
	}
	b.ReportAllocs()
	for b.Loop() {
		if bad := checkEvent(h, &buf, 42, 4, []byte("facts_changed"), 7, at, payload, nil, hash, stored); bad != "" {
			b.Fatal(bad)
		}
	}
}
