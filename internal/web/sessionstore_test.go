package web

import (
	"context"
	"testing"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"

	"github.com/leakdesk/leakdesk/internal/testdb"
)

// TestTouchStore runs the session store wrapper against the real sessions table: unchanged
// sessions are not rewritten within the refresh window, everything else is, and a second app
// instance's write is never hidden by the first instance's memory.
func TestTouchStore(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	codec := scs.GobCodec{}
	pg := pgxstore.NewWithCleanupInterval(db.Store.Pool, 0)
	now := time.Now().UTC().Truncate(time.Second) // the table's Find compares with the database clock
	a, b := newTouchStore(pg, codec, time.Minute), newTouchStore(pg, codec, time.Minute)
	a.now = func() time.Time { return now }
	b.now = a.now
	deadline := now.Add(8 * time.Hour)
	enc := func(vals map[string]any) []byte {
		t.Helper()
		raw, err := codec.Encode(deadline, vals)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	stored := func(token string) (map[string]any, time.Time, bool) {
		t.Helper()
		var raw []byte
		var expiry time.Time
		err := db.Store.Pool.QueryRow(ctx, `SELECT data, expiry FROM sessions WHERE token = $1`, token).Scan(&raw, &expiry)
		if err != nil {
			return nil, time.Time{}, false
		}
		_, vals, err := codec.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		return vals, expiry, true
	}
	user := map[string]any{"user_id": int64(7), "csrf": "tok", "lang": "ja"}
	withFlash := map[string]any{"user_id": int64(7), "csrf": "tok", "lang": "ja", "flash": "保存しました"}
	e0 := now.Add(30 * time.Minute)

	steps := []struct {
		name       string
		do         func() error
		wantVals   map[string]any
		wantExpiry time.Time
	}{
		{"first commit writes", func() error { return a.Commit("t1", enc(user), e0) }, user, e0},
		{"same values, expiry 30 s later: skipped", func() error {
			if _, _, err := a.Find("t1"); err != nil {
				return err
			}
			return a.Commit("t1", enc(user), e0.Add(30*time.Second))
		}, user, e0},
		{"same values, expiry 2 min later: written", func() error { return a.Commit("t1", enc(user), e0.Add(2*time.Minute)) }, user, e0.Add(2 * time.Minute)},
		{"changed values: written at once", func() error { return a.Commit("t1", enc(withFlash), e0.Add(2*time.Minute+time.Second)) }, withFlash, e0.Add(2*time.Minute + time.Second)},
		{"flash popped: written", func() error { return a.Commit("t1", enc(user), e0.Add(2*time.Minute+2*time.Second)) }, user, e0.Add(2*time.Minute + 2*time.Second)},
		{"other instance puts a flash", func() error { return b.Commit("t1", enc(withFlash), e0.Add(2*time.Minute+3*time.Second)) }, withFlash, e0.Add(2*time.Minute + 3*time.Second)},
		{"first instance pops it: written although it wrote these values last", func() error {
			if _, _, err := a.Find("t1"); err != nil {
				return err
			}
			return a.Commit("t1", enc(user), e0.Add(2*time.Minute+4*time.Second))
		}, user, e0.Add(2*time.Minute + 4*time.Second)},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		vals, expiry, ok := stored("t1")
		if !ok {
			t.Fatalf("%s: session row missing", st.name)
		}
		if len(vals) != len(st.wantVals) || vals["flash"] != st.wantVals["flash"] {
			t.Errorf("%s: stored values %v, want %v", st.name, vals, st.wantVals)
		}
		if !expiry.Equal(st.wantExpiry) {
			t.Errorf("%s: stored expiry %s, want %s", st.name, expiry, st.wantExpiry)
		}
	}

	// Logout on the other instance: the first one must write again, not trust its memory.
	if err := b.Delete("t1"); err != nil {
		t.Fatal(err)
	}
	if _, found, err := a.Find("t1"); err != nil || found {
		t.Fatalf("find after delete: found=%v err=%v", found, err)
	}
	if err := a.Commit("t1", enc(user), e0.Add(2*time.Minute+5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := stored("t1"); !ok {
		t.Fatal("commit after a delete elsewhere was skipped")
	}
}
