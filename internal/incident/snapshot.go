package incident

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// EncodeSnapshot writes the case as the store keeps it next to its version, so that a write can
// start from it instead of replaying the whole history. Outside is not part of it (it is read
// from outside the history for every command).
func EncodeSnapshot(c *Case) ([]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("incident: encode snapshot: %w", err)
	}
	return b, nil
}

// DecodeSnapshot reads a snapshot written by EncodeSnapshot back into the case Replay would have
// built from the same events: numbers stay exact (json.Number, as payloads are read), and facts
// and record values get the contract encoding Apply gives them (ints as int64, sets as
// []string) — the deciders compare facts by value and type, so a float64 where Replay had an
// int64 would be a spurious change.
func DecodeSnapshot(b []byte) (*Case, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	c := &Case{}
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("incident: decode snapshot: %w", err)
	}
	if c.Version == 0 {
		return nil, NotFound("案件が見つかりません。", "case not found")
	}
	for k, v := range c.Facts {
		c.Facts[k] = coerceStored(k, v)
	}
	for _, r := range c.Requests {
		for k, v := range r.Snapshot {
			r.Snapshot[k] = coerceStored(k, v)
		}
	}
	for _, r := range c.Records {
		def, ok := recordKindIndex[r.Kind]
		if !ok {
			return nil, Internal("decode snapshot: unknown record kind %q", r.Kind)
		}
		for k, v := range r.Values {
			r.Values[k] = coerceRecordValue(def, k, v)
		}
	}
	return c, nil
}
