package web

import (
	"reflect"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
)

// touchStore wraps the PostgreSQL session store so that a request which changes nothing in the
// session does not rewrite its row. scs marks every session modified when an idle timeout is set
// (to push the expiry forward), so every page view — the case list included — was a durable
// INSERT … ON CONFLICT commit. Here a commit whose data (deadline and values) is what this instance
// last wrote for the token, and whose expiry moved less than refresh, is skipped: the stored idle expiry
// then lags the last request by at most refresh (a session may end up to refresh early, never
// late). Any change of data, a new token (login) and Delete (logout) go to the database as before.
//
// The memory is per instance: with several app instances a request on another instance simply
// writes (it has no entry), so correctness never depends on which instance served the last request.
type touchStore struct {
	inner   scs.Store
	codec   scs.Codec // the session manager's, to compare what is written
	refresh time.Duration
	now     func() time.Time

	mu      sync.Mutex
	written map[string]writtenSession // by token
}

type writtenSession struct {
	deadline time.Time
	values   map[string]any
	expiry   time.Time
}

// maxRemembered bounds the memory; past it the map starts afresh (the cost is one write per
// active session).
const maxRemembered = 100_000

func newTouchStore(inner scs.Store, codec scs.Codec, refresh time.Duration) *touchStore {
	return &touchStore{inner: inner, codec: codec, refresh: refresh, now: time.Now, written: map[string]writtenSession{}}
}

func (t *touchStore) Find(token string) ([]byte, bool, error) {
	b, found, err := t.inner.Find(token)
	if err != nil {
		return b, found, err
	}
	// What the database holds must be what this instance last wrote, else another instance (or an
	// expiry) changed it and the next commit must write: a flash message put by a POST served
	// elsewhere and popped here would otherwise come back.
	if !found || !t.same(token, b, time.Time{}) {
		t.forget(token)
	}
	return b, found, nil
}

func (t *touchStore) Commit(token string, b []byte, expiry time.Time) error {
	// The data is compared decoded: gob writes a map in Go's random iteration order, so the same
	// session encodes to different bytes from one request to the next.
	if t.same(token, b, expiry) {
		return nil
	}
	deadline, values, derr := t.codec.Decode(b)
	if err := t.inner.Commit(token, b, expiry); err != nil {
		t.forget(token)
		return err
	}
	t.mu.Lock()
	if len(t.written) >= maxRemembered {
		t.written = map[string]writtenSession{}
	}
	if derr == nil {
		t.written[token] = writtenSession{deadline: deadline, values: values, expiry: expiry}
	}
	t.mu.Unlock()
	return nil
}

func (t *touchStore) Delete(token string) error {
	t.forget(token)
	return t.inner.Delete(token)
}

// same reports whether b decodes to the deadline and values last written for token and, when
// expiry is set, whether that write's expiry is still ahead and less than refresh before expiry.
func (t *touchStore) same(token string, b []byte, expiry time.Time) bool {
	t.mu.Lock()
	last, ok := t.written[token]
	t.mu.Unlock()
	if !ok {
		return false
	}
	if !expiry.IsZero() && (expiry.Sub(last.expiry) >= t.refresh || !last.expiry.After(t.now())) {
		return false
	}
	deadline, values, err := t.codec.Decode(b)
	return err == nil && deadline.Equal(last.deadline) && reflect.DeepEqual(values, last.values)
}

func (t *touchStore) forget(token string) {
	t.mu.Lock()
	delete(t.written, token)
	t.mu.Unlock()
}
