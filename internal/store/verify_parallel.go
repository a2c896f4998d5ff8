package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/chain"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// eventRange is the verdict on the events of one range of case IDs, in (case, seq) order.
type eventRange struct {
	checked, cases int64
	bad            *BadLink
	heads          map[int64]int64 // newest verified seq per case, up to bad
}

// verifyEventRows checks the chains of the rows (eventColumns) in (case, seq) order, stopping at
// the first bad link; this is the one place that decides what a good event is, for one case, a
// range of cases and all of them alike. The row's byte columns are read in place (RawValues): they
// are only compared and hashed, and copying them was most of what the loop allocated.
// verifyRangeCases is the most case ids one range of a verification of all cases spans.
const verifyRangeCases = 2000

func verifyEventRows(rows pgx.Rows) (eventRange, error) {
	defer rows.Close()
	r := eventRange{heads: map[int64]int64{}}
	var cur int64 = -1
	prev := make([]byte, 0, 32)
	var want int64
	var buf []byte
	hasher := chain.NewHasher()
	jsonbBinary := false
	if fd := rows.FieldDescriptions(); len(fd) > 5 {
		jsonbBinary = fd[5].Format == pgx.BinaryFormatCode
	}
	for rows.Next() {
		var cid, seq, actorID int64
		var at time.Time
		if err := rows.Scan(&cid, &seq, nil, &actorID, &at, nil, nil, nil, nil); err != nil {
			return r, err
		}
		raw := rows.RawValues()
		typ, payload, prevHash, hash, canon := raw[2], raw[5], raw[6], raw[7], raw[8]
		if jsonbBinary {
			// jsonb's binary form is a version byte (1) and the text.
			if len(payload) == 0 || payload[0] != 1 {
				r.bad = &BadLink{CaseID: cid, Seq: seq, Reason: "payload is not valid JSON"}
				return r, nil
			}
			payload = payload[1:]
		}
		if cid != cur {
			cur, prev, want = cid, append(prev[:0], chain.GenesisPrev...), 1
			r.cases++
		}
		r.checked++
		if seq != want {
			r.bad = &BadLink{CaseID: cid, Seq: want, Reason: fmt.Sprintf("event %d is missing (next stored is %d)", want, seq)}
			return r, nil
		}
		if !bytes.Equal(prevHash, prev) {
			r.bad = &BadLink{CaseID: cid, Seq: seq, Reason: "prev hash does not match the previous event"}
			return r, nil
		}
		if bad := checkEvent(hasher, &buf, cid, seq, typ, actorID, at, payload, prevHash, hash, canon); bad != "" {
			r.bad = &BadLink{CaseID: cid, Seq: seq, Reason: bad}
			return r, nil
		}
		prev, want = append(prev[:0], hash...), want+1
		r.heads[cid] = seq
	}
	return r, rows.Err()
}

// checkEvent decides whether one event's hash covers what its row says, and returns why not.
// With the hashed bytes kept (canon), that is: they hash to the stored hash, and they say what the
// row says — confirmed cheaply by canonMatchesRow or else decided exactly (the payload decoded as
// the app reads it, canonicalised, compared byte for byte). Without them (events written before
// migration 00115), the canonical bytes are rebuilt from the row as before: from the payload's text
// for plain payloads (fastEventCanonical), which can only confirm, else by decoding.
func checkEvent(hasher *chain.Hasher, buf *[]byte, cid, seq int64, typ []byte, actorID int64, at time.Time, payload, prevHash, hash, canon []byte) string {
	if canon != nil {
		if !hasher.Matches(hash, prevHash, canon) {
			return "hash does not match the event's hashed bytes (edited)"
		}
		var ok bool
		if *buf, ok = canonMatchesRow(*buf, canon, cid, seq, typ, actorID, at, payload); ok {
			return ""
		}
		exact, reason := exactCanonical(cid, seq, typ, actorID, at, payload)
		switch {
		case reason != "":
			return reason
		case !bytes.Equal(exact, canon):
			return "the event differs from its hashed bytes (edited)"
		}
		return ""
	}
	if c, ok := fastEventCanonical((*buf)[:0], cid, seq, string(typ), actorID, at, payload); ok {
		*buf = c
		if hasher.Matches(hash, prevHash, c) {
			return ""
		}
	}
	exact, reason := exactCanonical(cid, seq, typ, actorID, at, payload)
	switch {
	case reason != "":
		return reason
	case !hasher.Matches(hash, prevHash, exact):
		return "hash does not match the event content (edited)"
	}
	return ""
}

// exactCanonical is the definition of an event's canonical bytes as the app sees the row: the
// payload decoded exactly as the case is read (decodePayload), then incident.Event.Canonical.
func exactCanonical(cid, seq int64, typ []byte, actorID int64, at time.Time, payload []byte) ([]byte, string) {
	p, err := decodePayload(payload)
	if err != nil {
		return nil, "payload is not valid JSON"
	}
	e := incident.Event{Seq: seq, Type: incident.EventType(typ), ActorID: actorID, At: at, Payload: p}
	canon, err := e.Canonical(cid)
	if err != nil {
		return nil, "payload cannot be canonicalised"
	}
	return canon, ""
}

const eventColumns = `SELECT e.case_id, e.seq, e.type, COALESCE(e.actor_id, 0), e.at, e.payload, e.prev_hash, e.hash, e.canon FROM case_events e`

// verifyAllEvents checks every case's chain in parallel: the case IDs are cut into ranges, taken
// in turn by the caller's transaction and by helpers on their own connections, each helper in a
// transaction that imports the caller's snapshot (pg_export_snapshot), so every worker sees exactly
// the rows the caller sees and the verdict is that of one snapshot, as before. Decoding and canonicalising
// the payloads is the cost (docs/performance.md, "Verification and import profiles"): it now runs
// on every core and overlaps with PostgreSQL sending the next rows. The verdict is the sequential
// one: the ranges are merged in case order and the first bad link of the first bad range wins,
// with the counts it would have had.
func (s *Store) verifyAllEvents(ctx context.Context, tx pgx.Tx, res *VerifyResult, progress func(done, total int64)) (map[int64]int64, *BadLink, error) {
	var lo, hi *int64
	if err := tx.QueryRow(ctx, `SELECT min(case_id), max(case_id) FROM case_events`).Scan(&lo, &hi); err != nil {
		return nil, nil, err
	}
	if lo == nil {
		return map[int64]int64{}, nil, nil
	}
	workers := min(runtime.GOMAXPROCS(0)+1, 8, max(int(s.Pool.Config().MaxConns)/2, 1))
	// More ranges than workers, so a range of long histories does not leave the others idle.
	// And at least one range per verifyRangeCases cases, so that a long verification reports
	// progress often enough to be watched.
	n := max(int64(workers*4), (*hi-*lo+1)/verifyRangeCases)
	span := max((*hi-*lo+1+n-1)/n, 1)
	var bounds [][2]int64
	for a := *lo; a <= *hi; a += span {
		bounds = append(bounds, [2]int64{a, min(a+span-1, *hi)})
	}
	var snap string
	if err := tx.QueryRow(ctx, `SELECT pg_export_snapshot()`).Scan(&snap); err != nil {
		return nil, nil, err
	}
	out := make([]eventRange, len(bounds))
	errs := make([]error, workers)
	next := make(chan int, len(bounds))
	for i := range bounds {
		next <- i
	}
	close(next)
	var checked atomic.Int64
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	check := func(q pgx.Tx) error {
		for i := range next {
			rows, err := q.Query(wctx, eventColumns+` WHERE e.case_id BETWEEN $1 AND $2 ORDER BY e.case_id, e.seq`, bounds[i][0], bounds[i][1])
			if err != nil {
				return err
			}
			if out[i], err = verifyEventRows(rows); err != nil {
				return err
			}
			if progress != nil {
				progress(checked.Add(1), int64(len(bounds)))
			}
		}
		return nil
	}
	// The caller's own transaction is a worker too, so the verdict never waits for a free
	// connection: helpers only join while ranges are left, and stop waiting for a connection once
	// the caller has taken the last one (many concurrent verifications cannot starve the pool).
	acquire, stopAcquiring := context.WithCancel(wctx)
	defer stopAcquiring()
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := s.Pool.Acquire(acquire)
			if err != nil {
				if ctx.Err() != nil {
					errs[w] = err
				}
				return
			}
			defer conn.Release()
			errs[w] = pgx.BeginTxFunc(wctx, conn, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(wtx pgx.Tx) error {
				if _, err := wtx.Exec(wctx, `SET TRANSACTION SNAPSHOT '`+snap+`'`); err != nil {
					return fmt.Errorf("import snapshot: %w", err)
				}
				return check(wtx)
			})
			if errs[w] != nil {
				cancel()
			}
		}()
	}
	errs[0] = check(tx)
	stopAcquiring()
	if errs[0] != nil {
		cancel()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	heads := map[int64]int64{}
	for _, r := range out {
		res.Checked += r.checked
		res.Cases += r.cases
		if r.bad != nil {
			return nil, r.bad, nil
		}
		for k, v := range r.heads {
			heads[k] = v
		}
	}
	return heads, nil, nil
}
