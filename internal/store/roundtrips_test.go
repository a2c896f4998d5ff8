package store_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/store"
)

// tripConn counts round trips on one connection: every time the client reads after having
// written, it waited for the server once. What pgx calls a statement, a batch or a COPY does not
// matter; the wire does.
type tripConn struct {
	net.Conn
	wrote bool
	trips *atomic.Int64
}

func (c *tripConn) Write(b []byte) (int, error) {
	c.wrote = true
	return c.Conn.Write(b)
}

func (c *tripConn) Read(b []byte) (int, error) {
	if c.wrote {
		c.wrote = false
		c.trips.Add(1)
	}
	return c.Conn.Read(b)
}

// tripStore is a store on the test database whose connections count their round trips.
func tripStore(t *testing.T, url string) (*store.Store, *atomic.Int64) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	trips := new(atomic.Int64)
	cfg.MaxConns = 1
	// The pool pings a connection idle for over a second before lending it; on a loaded machine
	// that would add a trip now and then. Production's connections are busy enough not to be.
	cfg.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return false }
	d := &net.Dialer{}
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &tripConn{Conn: c, trips: trips}, nil
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return &store.Store{Pool: pool}, trips
}

// TestCaseWrite_RoundTrips: a case write is a fixed number of round trips whatever it writes — the
// lock and snapshot read (one batch), the events, the new snapshot and the requests index (one
// batch), the commit — and not one more per event or per request of the case. The count is of
// the write as production runs it (no snapshot check, no hooks), each command measured on its
// second run, once the statement cache is warm. Before the write batch: open 10, tick 5, submit 7
// and approve 7 (the events' COPY, the snapshot's UPDATE and each request's upsert on their own;
// the registry lock apart from its head).
func TestCaseWrite_RoundTrips(t *testing.T) {
	e := newAuditEnv(t)
	check := store.CheckSnapshots
	store.CheckSnapshots = false
	t.Cleanup(func() { store.CheckSnapshots = check })
	st, trips := tripStore(t, e.db.URL)
	svc := casework.New(st)
	svc.Now = e.svc.Now
	ctx := context.Background()
	a := e.actors
	measure := func(name string, do func() error) int64 {
		t.Helper()
		before := trips.Load()
		if err := do(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		n := trips.Load() - before
		t.Logf("%s: %d round trips", name, n)
		return n
	}
	got := map[string]int64{}
	for range 2 {
		var c *incident.Case
		got["open"] = measure("open", func() error {
			var err error
			c, err = svc.Open(ctx, a["staff"], "往復回数", map[string]any{
				"recognized_at": "2026-06-10T08:00", "reported_to_soumu_at": "2026-06-10T08:30", "containment_ordered_at": "2026-06-10T08:40",
				"prelim_screen": "suspected", "exec_notification_decision": "not_needed", "involves_my_number": "no",
			}, false)
			return err
		})
		got["tick"] = measure("tick", func() error {
			_, _, err := svc.Do(ctx, c.ID, c.Version, a["staff"], incident.TickChecklist{ItemID: "discovery.evidence_preserved", Checked: true})
			return err
		})
		var rq *incident.Request
		got["submit"] = measure("submit", func() error {
			var err error
			_, rq, err = svc.Submit(ctx, c.ID, 0, a["staff"], incident.SubmitRequest{Kind: incident.KindComplete, Stage: incident.StageDiscovery})
			return err
		})
		got["approve"] = measure("approve", func() error {
			_, _, err := svc.Approve(ctx, rq.ID, a["manager"], "確認しました", 0)
			return err
		})
	}
	for _, tc := range []struct {
		cmd  string
		want int64
		why  string
	}{
		{"tick", 4, "begin, lock + snapshot + head, events + snapshot + requests, commit"},
		{"submit", 5, "the request id, then as tick"},
		{"approve", 5, "the request's case, then as tick"},
		{"open", 8, "number (begin, counter, commit), begin, events + case row + requests, registry lock + head, registry row, commit"},
	} {
		if got[tc.cmd] > tc.want {
			t.Errorf("%s: %d round trips, want at most %d (%s)", tc.cmd, got[tc.cmd], tc.want, tc.why)
		}
	}
}
