package chain

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

func TestCanonical(t *testing.T) {
	type inner struct {
		B int    `json:"b"`
		A string `json:"a"`
	}
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"nil", nil, `null`},
		{"bools", []any{true, false}, `[true,false]`},
		{"sorted keys", map[string]any{"b": 1, "a": 2, "aa": 3}, `{"a":2,"aa":3,"b":1}`},
		{"utf16 order", map[string]any{"\U0001F600": 1, "\uFB33": 2}, "{\"\U0001F600\":1,\"\uFB33\":2}"},
		{"no html escape", "<a&b>", `"<a&b>"`},
		{"minimal escapes", "q\"b\\\n\t\x01é", `"q\"b\\\n\t\u0001é"`},
		{"int64", int64(-9007199254740993), `-9007199254740993`},
		{"integral float", 1e3, `1000`},
		{"negative zero", math.Copysign(0, -1), `0`},
		{"json number exp", json.Number("1E2"), `100`},
		{"json number frac zero", json.Number("5.000"), `5`},
		{"strings slice", []string{"b", "a"}, `["b","a"]`},
		{"struct round trip", inner{B: 2, A: "x"}, `{"a":"x","b":2}`},
		{"nested", map[string]any{"z": []any{map[string]any{"y": nil, "x": "1"}}}, `{"z":[{"x":"1","y":null}]}`},
		{"japanese", map[string]any{"題": "情報漏えい"}, `{"題":"情報漏えい"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Canonical(tt.in)
			if err != nil {
				t.Fatalf("Canonical: %v", err)
			}
			if string(got) != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCanonical_Rejects(t *testing.T) {
	for name, in := range map[string]any{
		"fraction":     1.5,
		"nan":          math.NaN(),
		"inf":          math.Inf(1),
		"json frac":    json.Number("0.1"),
		"too big":      json.Number("1e30"),
		"uint64 big":   uint64(math.MaxUint64),
		"bad utf8":     "\xff",
		"nested float": map[string]any{"a": []any{2.5}},
		"unmarshal":    make(chan int),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Canonical(in); !errors.Is(err, ErrNotCanonicalisable) {
				t.Fatalf("want ErrNotCanonicalisable, got %v", err)
			}
		})
	}
}

func buildChain(t *testing.T, payloads ...string) []Link {
	t.Helper()
	var links []Link
	for i, p := range payloads {
		c, err := Canonical(map[string]any{"seq": i + 1, "payload": p})
		if err != nil {
			t.Fatal(err)
		}
		var prev *Link
		if i > 0 {
			prev = &links[i-1]
		}
		links = append(links, Next(prev, c))
	}
	return links
}

func TestHash_FirstUsesEmptyPrev(t *testing.T) {
	if !bytes.Equal(Hash(nil, []byte("x")), Hash(GenesisPrev, []byte("x"))) {
		t.Fatal("nil and GenesisPrev must hash the same")
	}
	if bytes.Equal(Hash(make([]byte, 32), []byte("x")), Hash(nil, []byte("x"))) {
		t.Fatal("32 zero bytes must not be treated as the genesis prev")
	}
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name     string
		tamper   func([]Link) []Link
		wantOK   bool
		wantBad  int64
		inReason string
	}{
		{"intact", func(l []Link) []Link { return l }, true, 0, ""},
		{"empty", func([]Link) []Link { return nil }, true, 0, ""},
		{"edited payload", func(l []Link) []Link {
			l[2].Canonical = bytes.Replace(l[2].Canonical, []byte("c"), []byte("C"), 1)
			return l
		}, false, 3, "hash"},
		{"deleted event", func(l []Link) []Link { return append(l[:1], l[2:]...) }, false, 3, "seq"},
		{"deleted and renumbered", func(l []Link) []Link {
			l = append(l[:1], l[2:]...)
			for i := range l {
				l[i].Seq = int64(i + 1)
			}
			return l
		}, false, 2, "prev hash"},
		{"reordered", func(l []Link) []Link { l[1], l[2] = l[2], l[1]; return l }, false, 3, "seq"},
		{"reordered and renumbered", func(l []Link) []Link {
			l[1], l[2] = l[2], l[1]
			l[1].Seq, l[2].Seq = 2, 3
			return l
		}, false, 2, "prev hash"},
		{"rehashed edit without relinking", func(l []Link) []Link {
			l[1].Canonical = []byte(`{"forged":true}`)
			l[1].Hash = Hash(l[1].PrevHash, l[1].Canonical)
			return l
		}, false, 3, "prev hash"},
		{"first prev not empty", func(l []Link) []Link {
			l[0].PrevHash = make([]byte, 32)
			return l
		}, false, 1, "prev hash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			links := tt.tamper(buildChain(t, "a", "b", "c", "d"))
			ok, bad, reason := Verify(links)
			if ok != tt.wantOK || bad != tt.wantBad || !strings.Contains(reason, tt.inReason) {
				t.Fatalf("Verify = %v, %d, %q; want %v, %d, containing %q", ok, bad, reason, tt.wantOK, tt.wantBad, tt.inReason)
			}
		})
	}
}

func FuzzCanonical(f *testing.F) {
	for _, seed := range []string{
		`null`, `true`, `0`, `-0`, `1e2`, `1.0`, `123456789012345678`, `"a\u0000b\"\\"`,
		`{"b":1,"a":[1,2,{"c":null}]}`, `{"😀":1,"דּ":2,"":3}`, `[[],{},""]`, `"<script>&"`,
		`{"payload":{"changes":[{"field":"recognized_at","old":null,"new":"2026-04-30T22:40:00+09:00"}]}}`,
		`1.5`, `1e400`, `"\ud800"`, `{"a":1,"a":2}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return
		}
		c1, err := Canonical(v)
		if err != nil {
			return // non-integral numbers and the like are refused, not mangled
		}
		if !json.Valid(c1) {
			t.Fatalf("canonical output is not JSON: %q", c1)
		}
		dec2 := json.NewDecoder(bytes.NewReader(c1))
		dec2.UseNumber()
		var v2 any
		if err := dec2.Decode(&v2); err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		c2, err := Canonical(v2)
		if err != nil {
			t.Fatalf("second Canonical: %v", err)
		}
		if !bytes.Equal(c1, c2) {
			t.Fatalf("not idempotent:\n%s\n%s", c1, c2)
		}
	})
}

// lessUTF16Reference is the comparison as RFC 8785 words it: convert to UTF-16, compare code units.
func lessUTF16Reference(a, b string) bool {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			return ua[i] < ub[i]
		}
	}
	return len(ua) < len(ub)
}

// FuzzLessUTF16 holds the allocation-free comparison to the reference on any pair of strings; the
// seeds are the cases where UTF-16 and UTF-8 byte order disagree (U+E000..U+FFFF against
// characters above U+FFFF), prefixes, and pairs sharing a high surrogate.
func FuzzLessUTF16(f *testing.F) {
	for _, p := range [][2]string{
		{"\U0001F600", "\uFB33"}, {"\uFFFF", "\U00010000"}, {"\U0001F600", "\U0001F601"}, {"\U0001F600", "\U0001F700"},
		{"a", "ab"}, {"", "a"}, {"", ""}, {"題a", "題"}, {"\uE000x", "\U0010FFFF"}, {"z\U00010400", "z\uD7FF"},
	} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			return // keys are checked for valid UTF-8 before they are sorted
		}
		if got, want := lessUTF16(a, b), lessUTF16Reference(a, b); got != want {
			t.Fatalf("lessUTF16(%+q, %+q) = %v, want %v", a, b, got, want)
		}
	})
}

// benchPayload is shaped like a stored facts_patched event: a dozen keys, Japanese text, a list.
var benchPayload = map[string]any{
	"changes": []any{
		map[string]any{"field": "recognized_at", "old": nil, "new": "2026-04-30T22:40:00+09:00"},
		map[string]any{"field": "initial_description", "old": nil, "new": "営業部の担当者が帰宅途中に電車の網棚へ置き忘れた。対象はおよそ1200件。"},
		map[string]any{"field": "suspected_data_items", "old": nil, "new": []any{"name", "address", "phone", "purchase_history"}},
		map[string]any{"field": "estimated_count_max", "old": nil, "new": 1200},
	},
	"stage": "discovery", "actor_name": "シード 担当一", "case_id": 4711, "seq": 12, "type": "facts_patched",
	"at": "2026-05-01T09:12:00+09:00", "reason": "", "version": 12,
}

// BenchmarkCanonicalAndHash is the per-event cost of the chain (canonical form + hash); the
// reference is SHA-256 of the same bytes alone, so the ratio is what canonicalisation adds.
func BenchmarkCanonicalAndHash(b *testing.B) {
	canon, err := Canonical(benchPayload)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("canonical+hash", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c, err := Canonical(benchPayload)
			if err != nil {
				b.Fatal(err)
			}
			Hash(GenesisPrev, c)
		}
	})
	b.Run("sha256-reference", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Hash(GenesisPrev, canon)
		}
	})
}
