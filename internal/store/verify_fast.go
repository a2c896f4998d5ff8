package store

import (
	"bytes"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// fastEventCanonical builds an event's canonical bytes (incident.Event.Canonical) straight from
// the payload's stored JSON text, without decoding it into maps and re-encoding it: decoding and
// canonicalising were most of what verification cost (docs/performance.md, "Verification and import
// profiles"). It handles only the plain forms — objects with ASCII keys, arrays, strings with no
// escapes, integers of at most 18 digits, true, false, null — and says no (ok = false) to anything
// else, which the verifier then checks the slow way. So it can only confirm a hash, never decide that
// one is wrong: on every input it accepts, its bytes are those chain.Canonical gives for the decoded
// payload (TestFastEventCanonical_MatchesCanonical).
func fastEventCanonical(dst []byte, caseID, seq int64, typ string, actorID int64, at time.Time, payload []byte) ([]byte, bool) {
	if !plainName(typ) {
		return nil, false
	}
	// Members in canonical (sorted) order: actor_id, at, case_id, payload, seq, type.
	dst = append(dst, `{"actor_id":`...)
	dst = strconv.AppendInt(dst, actorID, 10)
	dst = append(dst, `,"at":"`...)
	dst = at.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","case_id":`...)
	dst = strconv.AppendInt(dst, caseID, 10)
	dst = append(dst, `,"payload":`...)
	p := plainJSON{src: payload}
	p.ws()
	if p.i >= len(p.src) || p.src[p.i] != '{' {
		return nil, false
	}
	dst, ok := p.value(dst)
	if p.ws(); !ok || p.i != len(p.src) {
		return nil, false
	}
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendInt(dst, seq, 10)
	dst = append(dst, `,"type":"`...)
	dst = append(dst, typ...)
	return append(dst, `"}`...), true
}

// plainName: an event type written as is in canonical JSON (ASCII letters, digits, '_', '.', '-').
func plainName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

type plainJSON struct {
	src []byte
	i   int
}

func (p *plainJSON) ws() {
	for p.i < len(p.src) && (p.src[p.i] == ' ' || p.src[p.i] == '\t' || p.src[p.i] == '\n' || p.src[p.i] == '\r') {
		p.i++
	}
}

// value appends the canonical form of the next value, or says no.
func (p *plainJSON) value(dst []byte) ([]byte, bool) {
	p.ws()
	if p.i >= len(p.src) {
		return dst, false
	}
	switch c := p.src[p.i]; {
	case c == '{':
		return p.object(dst)
	case c == '[':
		p.i++
		dst = append(dst, '[')
		p.ws()
		if p.i < len(p.src) && p.src[p.i] == ']' {
			p.i++
			return append(dst, ']'), true
		}
		for {
			var ok bool
			if dst, ok = p.value(dst); !ok {
				return dst, false
			}
			p.ws()
			if p.i >= len(p.src) {
				return dst, false
			}
			switch p.src[p.i] {
			case ',':
				p.i++
				dst = append(dst, ',')
			case ']':
				p.i++
				return append(dst, ']'), true
			default:
				return dst, false
			}
		}
	case c == '"':
		s, ok := p.str()
		if !ok {
			return dst, false
		}
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"'), true
	case c == '-' || c >= '0' && c <= '9':
		return p.integer(dst)
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if bytes.HasPrefix(p.src[p.i:], []byte(lit)) {
			p.i += len(lit)
			return append(dst, lit...), true
		}
	}
	return dst, false
}

// str reads a string with no escapes and no control characters (which it would have to escape),
// in valid UTF-8: such a string's canonical form is its bytes between quotes.
func (p *plainJSON) str() ([]byte, bool) {
	p.i++ // opening quote
	start := p.i
	for p.i < len(p.src) {
		c := p.src[p.i]
		switch {
		case c == '"':
			s := p.src[start:p.i]
			p.i++
			return s, utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, false
		}
		p.i++
	}
	return nil, false
}

// integer reads -?(0|[1-9][0-9]*) of at most 18 digits (so within int64), not -0, and not followed
// by a fraction or exponent: the forms canonical JSON writes unchanged.
func (p *plainJSON) integer(dst []byte) ([]byte, bool) {
	start := p.i
	if p.src[p.i] == '-' {
		p.i++
	}
	digits := p.i
	for p.i < len(p.src) && p.src[p.i] >= '0' && p.src[p.i] <= '9' {
		p.i++
	}
	n := p.i - digits
	if n == 0 || n > 18 || p.src[digits] == '0' && (n > 1 || digits > start) {
		return dst, false
	}
	if p.i < len(p.src) && (p.src[p.i] == '.' || p.src[p.i] == 'e' || p.src[p.i] == 'E') {
		return dst, false
	}
	return append(dst, p.src[start:p.i]...), true
}

// object reads an object whose keys are printable ASCII without escapes (their byte order is the
// UTF-16 order canonical JSON sorts by) and none twice, and appends its members sorted.
func (p *plainJSON) object(dst []byte) ([]byte, bool) {
	p.i++ // {
	type member struct {
		key        []byte
		start, end int // the value's canonical bytes in vals
	}
	var members []member
	var vals []byte
	p.ws()
	if p.i < len(p.src) && p.src[p.i] == '}' {
		p.i++
		return append(dst, "{}"...), true
	}
	for {
		p.ws()
		if p.i >= len(p.src) || p.src[p.i] != '"' {
			return dst, false
		}
		key, ok := p.str()
		if !ok {
			return dst, false
		}
		for _, c := range key {
			if c >= 0x80 {
				return dst, false
			}
		}
		p.ws()
		if p.i >= len(p.src) || p.src[p.i] != ':' {
			return dst, false
		}
		p.i++
		start := len(vals)
		if vals, ok = p.value(vals); !ok {
			return dst, false
		}
		members = append(members, member{key: key, start: start, end: len(vals)})
		p.ws()
		if p.i >= len(p.src) {
			return dst, false
		}
		if p.src[p.i] == '}' {
			p.i++
			break
		}
		if p.src[p.i] != ',' {
			return dst, false
		}
		p.i++
	}
	slices.SortFunc(members, func(a, b member) int { return bytes.Compare(a.key, b.key) })
	dst = append(dst, '{')
	for i, m := range members {
		if i > 0 {
			if bytes.Equal(members[i-1].key, m.key) {
				return dst, false
			}
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, m.key...)
		dst = append(dst, `":`...)
		dst = append(dst, vals[m.start:m.end]...)
	}
	return append(dst, '}'), true
}
