package store

import (
	"bytes"
	"strconv"
	"time"
)

// An event written since migration 00115 keeps the exact bytes its hash covers (case_events.canon),
// so verifying it is hashing those bytes. That alone would prove only the bytes: the app shows the
// row's columns and its payload, and someone with database access could rewrite the payload and
// leave the bytes (and so the chain) intact. So the verifier also proves, per event, that the bytes
// say what the row says: canonMatchesRow below, without decoding either side into maps. Whatever
// it cannot confirm goes to the exact check (decode the payload as the app does, canonicalise,
// compare bytes), which alone decides that an event was edited.
//
// Who rewrites what, and what finds it (TestVerify_CanonTamper):
//   - the payload (or type, actor, time) only: the bytes no longer say what the row says;
//   - the bytes only: they no longer hash to the stored hash;
//   - both, consistently, and every hash after them: the anchors and signed checkpoints, exactly as
//     for a rewrite of the payload and the hashes before this column existed.

// canonMatchesRow reports whether canon is the canonical event (incident.Event.Canonical) of the
// row (case, seq, type, actor, at) with payload, the payload's JSON text as PostgreSQL sends it.
// It compares the fixed members byte for byte against the form Canonical writes them in, and the
// payload structurally (sameJSON). It only ever confirms: false means "not shown this way", not
// "different". buf is scratch space, returned for reuse.
func canonMatchesRow(buf, canon []byte, caseID, seq int64, typ []byte, actorID int64, at time.Time, payload []byte) ([]byte, bool) {
	if !plainName(string(typ)) {
		return buf, false
	}
	// Members in canonical (sorted) order: actor_id, at, case_id, payload, seq, type.
	buf = append(buf[:0], `{"actor_id":`...)
	buf = strconv.AppendInt(buf, actorID, 10)
	buf = append(buf, `,"at":"`...)
	buf = at.UTC().AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, `","case_id":`...)
	buf = strconv.AppendInt(buf, caseID, 10)
	buf = append(buf, `,"payload":`...)
	prefix := len(buf)
	buf = append(buf, `,"seq":`...)
	buf = strconv.AppendInt(buf, seq, 10)
	buf = append(buf, `,"type":"`...)
	buf = append(buf, typ...)
	buf = append(buf, `"}`...)
	suffix := buf[prefix:]
	if len(canon) < len(buf) || !bytes.Equal(canon[:prefix], buf[:prefix]) || !bytes.HasSuffix(canon, suffix) {
		return buf, false
	}
	body := canon[prefix : len(canon)-len(suffix)]
	if len(body) == 0 || body[0] != '{' {
		return buf, false
	}
	return buf, sameJSON(payload, body)
}

// sameJSON reports whether two JSON texts, each a single value, decode to the same value, for the
// forms both sides write: object members in any order (PostgreSQL orders keys by length, canonical
// JSON by code units), any whitespace, and strings, numbers and literals compared as written —
// PostgreSQL and canonical JSON escape strings alike and both print integers plainly, so a value
// written differently is left to the exact check rather than judged here. A key given twice, a
// count that differs or anything unreadable is "not the same".
func sameJSON(a, b []byte) bool {
	x, y, ok := sameValue(jsonCursor{s: a}, jsonCursor{s: b})
	if !ok {
		return false
	}
	x.ws()
	y.ws()
	return x.i == len(x.s) && y.i == len(y.s)
}

// jsonCursor is a position in a JSON text. The comparison passes cursors by value: through
// pointers, the recursion put one on the heap per member.
type jsonCursor struct {
	s []byte
	i int
}

func (c *jsonCursor) ws() {
	for c.i < len(c.s) && (c.s[c.i] == ' ' || c.s[c.i] == '\t' || c.s[c.i] == '\n' || c.s[c.i] == '\r') {
		c.i++
	}
}

// sameValue compares the next value of a with the next value of b, returning both advanced.
func sameValue(a, b jsonCursor) (jsonCursor, jsonCursor, bool) {
	a.ws()
	b.ws()
	if a.i >= len(a.s) || b.i >= len(b.s) || a.s[a.i] != b.s[b.i] {
		return a, b, false
	}
	switch a.s[a.i] {
	case '{':
		ok := sameObject(&a, &b)
		return a, b, ok
	case '[':
		a.i++
		b.i++
		a.ws()
		b.ws()
		if a.i < len(a.s) && a.s[a.i] == ']' {
			a.i++
			if b.i < len(b.s) && b.s[b.i] == ']' {
				b.i++
				return a, b, true
			}
			return a, b, false
		}
		for {
			var ok bool
			if a, b, ok = sameValue(a, b); !ok {
				return a, b, false
			}
			a.ws()
			b.ws()
			if a.i >= len(a.s) || b.i >= len(b.s) || a.s[a.i] != b.s[b.i] {
				return a, b, false
			}
			switch a.s[a.i] {
			case ',':
				a.i++
				b.i++
			case ']':
				a.i++
				b.i++
				return a, b, true
			default:
				return a, b, false
			}
		}
	}
	sa, ok1 := a.scalar()
	sb, ok2 := b.scalar()
	return a, b, ok1 && ok2 && bytes.Equal(sa, sb)
}

// member is one object member: the key as written (quotes included) and its value's span.
type member struct {
	key        []byte
	start, end int
	used       bool
}

// sameObject compares two objects member by member, matching keys whatever their order.
func sameObject(a, b *jsonCursor) bool {
	var ma, mb [24]member // on the stack for the payloads the app writes; more members spill
	am, ok := a.members(ma[:0])
	if !ok {
		return false
	}
	bm, ok := b.members(mb[:0])
	if !ok || len(am) != len(bm) {
		return false
	}
	for _, m := range bm {
		found := false
		for j := range am {
			if am[j].used || !bytes.Equal(am[j].key, m.key) {
				continue
			}
			am[j].used, found = true, true
			va, vb, same := sameValue(jsonCursor{s: a.s[:am[j].end], i: am[j].start}, jsonCursor{s: b.s[:m.end], i: m.start})
			if va.ws(); !same || va.i != len(va.s) {
				return false
			}
			if vb.ws(); vb.i != len(vb.s) {
				return false
			}
			break
		}
		if !found {
			return false
		}
	}
	return true
}

// members reads an object's members (the cursor at '{'), leaving the cursor after '}'.
func (c *jsonCursor) members(dst []member) ([]member, bool) {
	c.i++
	c.ws()
	if c.i < len(c.s) && c.s[c.i] == '}' {
		c.i++
		return dst, true
	}
	for {
		c.ws()
		if c.i >= len(c.s) || c.s[c.i] != '"' {
			return dst, false
		}
		key, ok := c.scalar()
		if !ok {
			return dst, false
		}
		c.ws()
		if c.i >= len(c.s) || c.s[c.i] != ':' {
			return dst, false
		}
		c.i++
		c.ws()
		start := c.i
		if !c.skip() {
			return dst, false
		}
		dst = append(dst, member{key: key, start: start, end: c.i})
		c.ws()
		if c.i >= len(c.s) {
			return dst, false
		}
		switch c.s[c.i] {
		case ',':
			c.i++
		case '}':
			c.i++
			return dst, true
		default:
			return dst, false
		}
	}
}

// skip moves past one value without reading it.
func (c *jsonCursor) skip() bool {
	if c.i >= len(c.s) {
		return false
	}
	switch c.s[c.i] {
	case '{', '[':
		depth := 0
		for c.i < len(c.s) {
			switch c.s[c.i] {
			case '"':
				if _, ok := c.scalar(); !ok {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					c.i++
					return true
				}
			}
			c.i++
		}
		return false
	}
	_, ok := c.scalar()
	return ok
}

// scalar reads a string (quotes included, escapes left as written), a number or a literal.
func (c *jsonCursor) scalar() ([]byte, bool) {
	start := c.i
	if c.i < len(c.s) && c.s[c.i] == '"' {
		// Jump quote to quote (IndexByte is vectorised; the strings are most of the bytes); a
		// quote is the end unless an odd run of backslashes precedes it.
		c.i++
		for {
			q := bytes.IndexByte(c.s[c.i:], '"')
			if q < 0 {
				return nil, false
			}
			c.i += q + 1
			n := 0
			for j := c.i - 2; j > start && c.s[j] == '\\'; j-- {
				n++
			}
			if n%2 == 0 {
				return c.s[start:c.i], true
			}
		}
	}
	for c.i < len(c.s) {
		ch := c.s[c.i]
		if ch == ',' || ch == '}' || ch == ']' || ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == ':' || ch == '"' || ch == '{' || ch == '[' {
			break
		}
		c.i++
	}
	if c.i == start {
		return nil, false
	}
	return c.s[start:c.i], true
}
