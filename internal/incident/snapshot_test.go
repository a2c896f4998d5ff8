package incident

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// TestSnapshot_EqualsReplayAfterEveryEvent: after each event of a whole story (all stages,
// records, send-backs, deputies), the snapshot read back equals the replay of the events so far —
// facts keep their types (int64, []string), records their values, times their instants.
func TestSnapshot_EqualsReplayAfterEveryEvent(t *testing.T) {
	h := storyS2a(t)
	raw, err := json.Marshal(h.events)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var stored []Event // as the store reads them back
	if err := dec.Decode(&stored); err != nil {
		t.Fatal(err)
	}
	c := &Case{}
	for i, e := range stored {
		if err := c.Apply(e); err != nil {
			t.Fatal(err)
		}
		want, err := Replay(stored[:i+1])
		if err != nil {
			t.Fatal(err)
		}
		b, err := EncodeSnapshot(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeSnapshot(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("after event %d (%s) the snapshot differs from the replay\n%s", e.Seq, e.Type, b)
		}
		// The next event applied to the decoded snapshot gives what it gives to the replay.
		c = got
	}
	if v := c.Facts["affected_count"]; v != int64(3000) {
		t.Fatalf("affected_count %#v", v)
	}
}

// TestSnapshot_DecodeRefusesEmpty: a row without a case (version 0) is not a snapshot.
func TestSnapshot_DecodeRefusesEmpty(t *testing.T) {
	if _, err := DecodeSnapshot([]byte(`{}`)); ErrorCode(err) != CodeNotFound {
		t.Fatalf("empty snapshot: %v", err)
	}
	if _, err := DecodeSnapshot([]byte(`{`)); err == nil {
		t.Fatal("broken snapshot accepted")
	}
}
