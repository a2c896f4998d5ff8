// Package chain makes a case's event history tamper-evident: every event is
// serialised to canonical JSON and hashed together with the hash of the event
// before it, so editing, deleting or reordering any stored event breaks the
// chain at a seq that Verify names.
//
// Standard library only; no I/O.
package chain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"
)

// ErrNotCanonicalisable is wrapped by every error Canonical returns.
var ErrNotCanonicalisable = errors.New("chain: value cannot be canonicalised")

// Canonical returns the canonical JSON form of v, in the spirit of RFC 8785
// (JCS):
//   - object members sorted by their keys' UTF-16 code units, no duplicates;
//   - no insignificant whitespace and no HTML escaping;
//   - strings as UTF-8 with minimal escaping (\" \\ \b \f \n \r \t, other
//     control characters as \u00xx);
//   - numbers must be integers that fit in int64 and are printed in decimal
//     without exponent or fraction ("1.0" and "1e2" become "1" and "100").
//
// Accepted values: nil, bool, string, all Go integer types, float32/float64
// holding an integral value, json.Number, map[string]any, []any, []string;
// anything else (structs, named maps, other slices) goes through a
// json.Marshal round trip first.
//
// Errors (wrapping ErrNotCanonicalisable): a non-integral number, NaN, ±Inf,
// an integer outside the int64 range, a string that is not valid UTF-8, or a
// value encoding/json cannot marshal.
func Canonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := encode(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func fail(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrNotCanonicalisable}, args...)...)
}

func encode(buf *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		if x {
			buf.WriteString("true")
		} else {
			buf.WriteString("false")
		}
	case string:
		return encodeString(buf, x)
	case int:
		buf.WriteString(strconv.FormatInt(int64(x), 10))
	case int8:
		buf.WriteString(strconv.FormatInt(int64(x), 10))
	case int16:
		buf.WriteString(strconv.FormatInt(int64(x), 10))
	case int32:
		buf.WriteString(strconv.FormatInt(int64(x), 10))
	case int64:
		buf.WriteString(strconv.FormatInt(x, 10))
	case uint:
		return encodeUint(buf, uint64(x))
	case uint8:
		return encodeUint(buf, uint64(x))
	case uint16:
		return encodeUint(buf, uint64(x))
	case uint32:
		return encodeUint(buf, uint64(x))
	case uint64:
		return encodeUint(buf, x)
	case float32:
		return encodeFloat(buf, float64(x))
	case float64:
		return encodeFloat(buf, x)
	case json.Number:
		return encodeNumber(buf, x)
	case []string:
		buf.WriteByte('[')
		for i, s := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := encodeString(buf, s); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case []any:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := encode(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case map[string]any:
		return encodeObject(buf, x)
	default:
		return encodeViaJSON(buf, v)
	}
	return nil
}

// encodeViaJSON handles structs, named maps and other slices by letting
// encoding/json decide their shape, then canonicalising the generic result.
func encodeViaJSON(buf *bytes.Buffer, v any) error {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		buf.WriteString("null")
		return nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fail("marshal %T: %v", v, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return fail("decode %T: %v", v, err)
	}
	return encode(buf, generic)
}

func encodeObject(buf *bytes.Buffer, m map[string]any) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		if !utf8.ValidString(k) {
			return fail("object key is not valid UTF-8")
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		switch {
		case lessUTF16(a, b):
			return -1
		case a == b:
			return 0
		}
		return 1
	})
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := encodeString(buf, k); err != nil {
			return err
		}
		buf.WriteByte(':')
		if err := encode(buf, m[k]); err != nil {
			return fmt.Errorf("key %q: %w", k, err)
		}
	}
	buf.WriteByte('}')
	return nil
}

// lessUTF16 orders strings by UTF-16 code units as RFC 8785 §3.2.3 requires;
// this differs from Go's byte order for characters above U+FFFF versus
// U+E000..U+FFFF. It compares rune by rune without converting (sorting keys is
// on the path of every event hash, and the conversion allocated twice per
// comparison).
func lessUTF16(a, b string) bool {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			ua, ub := firstUnit(ra), firstUnit(rb)
			if ua != ub {
				return ua < ub
			}
			// Same high surrogate: both are above U+FFFF and their low
			// surrogates, like the runes, differ in the same order.
			return ra < rb
		}
		a, b = a[na:], b[nb:]
	}
	return a == "" && b != ""
}

// firstUnit is the first UTF-16 code unit of r (its high surrogate above U+FFFF).
func firstUnit(r rune) rune {
	if r >= 0x10000 {
		return 0xD800 + (r-0x10000)>>10
	}
	return r
}

const hexDigits = "0123456789abcdef"

func encodeString(buf *bytes.Buffer, s string) error {
	if !utf8.ValidString(s) {
		return fail("string is not valid UTF-8")
	}
	buf.WriteByte('"')
	start := 0 // s[start:i] needs no escaping and is not yet written
	for i := 0; i < len(s); i++ {
		c := s[i]
		// Multi-byte UTF-8 passes through unchanged (no \u escapes, no HTML
		// escaping of <, >, &).
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		buf.WriteString(s[start:i])
		start = i + 1
		switch c {
		case '"':
			buf.WriteString(`\"`)
		case '\\':
			buf.WriteString(`\\`)
		case '\b':
			buf.WriteString(`\b`)
		case '\f':
			buf.WriteString(`\f`)
		case '\n':
			buf.WriteString(`\n`)
		case '\r':
			buf.WriteString(`\r`)
		case '\t':
			buf.WriteString(`\t`)
		default:
			buf.WriteString(`\u00`)
			buf.WriteByte(hexDigits[c>>4])
			buf.WriteByte(hexDigits[c&0xf])
		}
	}
	buf.WriteString(s[start:])
	buf.WriteByte('"')
	return nil
}

func encodeUint(buf *bytes.Buffer, u uint64) error {
	if u > math.MaxInt64 {
		return fail("integer %d exceeds int64", u)
	}
	buf.WriteString(strconv.FormatUint(u, 10))
	return nil
}

// two63 is 2^63 as a float64; float64 values in [-2^63, 2^63) convert to
// int64 exactly when they are integral.
const two63 = 9223372036854775808.0

func encodeFloat(buf *bytes.Buffer, f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fail("NaN or infinity")
	}
	if f != math.Trunc(f) {
		return fail("number %v is not an integer", f)
	}
	if f < -two63 || f >= two63 {
		return fail("integer %v outside int64", f)
	}
	buf.WriteString(strconv.FormatInt(int64(f), 10))
	return nil
}

func encodeNumber(buf *bytes.Buffer, n json.Number) error {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		buf.WriteString(strconv.FormatInt(i, 10))
		return nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return fail("number %q: %v", string(n), err)
	}
	return encodeFloat(buf, f)
}
