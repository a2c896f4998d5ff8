package casework_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/testdb"
)

type env struct {
	t      *testing.T
	db     *testdb.DB
	svc    *casework.Service
	actors map[string]incident.Actor
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := testdb.New(t)
	e := &env{t: t, db: db, svc: casework.New(db.Store), actors: map[string]incident.Actor{}}
	for key, roles := range map[string][]auth.Role{
		"staff": {auth.RoleStaff}, "staff2": {auth.RoleStaff}, "manager": {auth.RoleManager}, "manager2": {auth.RoleManager},
		"privacy": {auth.RolePrivacyOfficer}, "auditor": {auth.RoleAuditor}, "hr": {auth.RoleHR},
	} {
		u, err := db.Store.CreateUser(context.Background(), 0, key+"@example.jp", key, roles, "x")
		if err != nil {
			t.Fatal(err)
		}
		a := incident.Actor{UserID: u.ID, Name: u.Name}
		for _, r := range roles {
			a.Roles = append(a.Roles, incident.Role(r))
		}
		e.actors[key] = a
	}
	return e
}

func discoveryFacts() map[string]any {
	return map[string]any{
		"recognized_at": "2026-04-30T22:40", "reported_to_soumu_at": "2026-05-01T08:50",
		"containment_ordered_at": "2026-05-01T09:00", "prelim_screen": "suspected",
		"exec_notification_decision": "not_needed", "involves_my_number": "no",
		"suspected_route": "media_lost", "estimated_count_max": 3000,
	}
}

// openReady opens a case whose discovery stage is ready for G1 and submits the request.
func (e *env) openReady() (*incident.Case, int64) {
	e.t.Helper()
	ctx := context.Background()
	staff := e.actors["staff"]
	c, err := e.svc.Open(ctx, staff, "USBメモリ紛失（顧客3,000名）", discoveryFacts(), false)
	if err != nil {
		e.t.Fatalf("open: %v", err)
	}
	c, _, err = e.svc.Do(ctx, c.ID, c.Version, staff, incident.TickChecklist{ItemID: "discovery.evidence_preserved", Checked: true})
	if err != nil {
		e.t.Fatalf("tick: %v", err)
	}
	c, req, err := e.svc.Submit(ctx, c.ID, c.Version, staff, incident.SubmitRequest{Kind: incident.RequestKind("complete"), Stage: incident.StageDiscovery, Note: "第一報完了"})
	if err != nil {
		e.t.Fatalf("submit: %v", err)
	}
	return c, req.ID
}

func TestOpen_WritesEventsProjectionRegistryAndAssessment(t *testing.T) {
	e := newEnv(t)
	c, _ := e.openReady()
	events, err := e.db.Store.CaseEvents(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(events)) != c.Version {
		t.Fatalf("%d events, version %d", len(events), c.Version)
	}
	var sawAssessment bool
	for _, ev := range events {
		if ev.Type == incident.EventAssessmentChanged {
			sawAssessment = true
		}
	}
	if !sawAssessment {
		t.Fatal("opening with facts recorded no assessment event")
	}
	rows, err := e.db.Store.ListCases(context.Background(), store.CaseFilter{})
	if err != nil || len(rows) != 1 || rows[0].Version != c.Version || rows[0].PendingRequests != 1 {
		t.Fatalf("projection: %+v %v", rows, err)
	}
	res, err := e.db.Store.Verify(context.Background(), 0)
	if err != nil || !res.OK || res.Checked != c.Version {
		t.Fatalf("verify: %+v %v", res, err)
	}
}

func TestUpdate_ChangeAndEventAreAtomic(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, _ := e.openReady()
	boom := errors.New("crash after deciding")
	_, _, err := e.db.Store.UpdateCase(ctx, c.ID, c.Version, func(cur *incident.Case) ([]incident.Event, error) {
		evs, err := cur.Decide(incident.PatchFacts{Patch: map[string]any{"initial_description": "途中で失敗する変更"}}, e.actors["staff"], store.Now(cur.UpdatedAt.Add(1e9)))
		if err != nil {
			return nil, err
		}
		for _, ev := range evs {
			if err := cur.Apply(ev); err != nil {
				return nil, err
			}
		}
		return evs, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("want the crash error, got %v", err)
	}
	after, err := e.db.Store.GetCase(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Version != c.Version || after.Facts["initial_description"] != nil {
		t.Fatal("a failed command left part of its change behind")
	}
}

func TestUpdate_StaleVersionRefused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, _ := e.openReady()
	staff := e.actors["staff"]
	if _, _, err := e.svc.Do(ctx, c.ID, c.Version, staff, incident.PatchFacts{Patch: map[string]any{"initial_description": "一人目"}}); err != nil {
		t.Fatal(err)
	}
	_, _, err := e.svc.Do(ctx, c.ID, c.Version, e.actors["staff2"], incident.PatchFacts{Patch: map[string]any{"initial_description": "二人目"}})
	if !store.ErrStale(err) || incident.ErrorCode(err) != incident.CodeConflict {
		t.Fatalf("stale write: %v", err)
	}
	got, _ := e.db.Store.GetCase(ctx, c.ID)
	if got.Facts["initial_description"] != "一人目" {
		t.Fatalf("the stale write overwrote: %v", got.Facts["initial_description"])
	}
}

// TestApprove_ConcurrentApprovalsExactlyOne races two managers on the same request, 200 times.
func TestApprove_ConcurrentApprovalsExactlyOne(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	races := 200
	if testing.Short() {
		races = 20
	}
	for i := 0; i < races; i++ {
		_, reqID := e.openReady()
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for j, who := range []string{"manager", "manager2"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, errs[j] = e.svc.Approve(ctx, reqID, e.actors[who], "承認", 0)
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case incident.ErrorCode(err) == incident.CodeAlreadyDecided:
			default:
				t.Fatalf("race %d: unexpected error %v", i, err)
			}
		}
		if ok != 1 {
			t.Fatalf("race %d: %d approvals succeeded, want exactly 1", i, ok)
		}
	}
	var approvals int
	if err := e.db.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM case_events WHERE type = 'request_approved'`).Scan(&approvals); err != nil {
		t.Fatal(err)
	}
	if approvals != races {
		t.Fatalf("%d approval events for %d requests", approvals, races)
	}
	if res, err := e.db.Store.Verify(ctx, 0); err != nil || !res.OK {
		t.Fatalf("chains after the races: %+v %v", res, err)
	}
}

func TestApprove_RequesterAndAuditorCannot(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, reqID := e.openReady()
	for _, who := range []string{"staff", "auditor"} {
		if _, _, err := e.svc.Approve(ctx, reqID, e.actors[who], "", 0); incident.ErrorCode(err) != incident.CodeForbidden {
			t.Errorf("%s approving: %v", who, err)
		}
	}
	got, _ := e.db.Store.GetCase(ctx, c.ID)
	if got.Version != c.Version {
		t.Fatal("a refused approval changed the case")
	}
	if res, _ := e.db.Store.Verify(ctx, c.ID); !res.OK {
		t.Fatal("a refusal corrupted the chain")
	}
}

// TestEvents_AppRoleCannotUpdateOrDelete uses the app's own (non-superuser) connection.
func TestEvents_AppRoleCannotUpdateOrDelete(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, _ := e.openReady()
	for _, q := range []string{
		`UPDATE case_events SET payload = '{}' WHERE case_id = $1`,
		`DELETE FROM case_events WHERE case_id = $1`,
		`DELETE FROM case_registry WHERE case_id = $1`,
		`DELETE FROM cases WHERE id = $1`,
	} {
		if _, err := e.db.Store.Pool.Exec(ctx, q, c.ID); err == nil {
			t.Errorf("%s succeeded as the app role", q)
		}
	}
	if _, err := e.db.Store.Pool.Exec(ctx, `TRUNCATE case_events CASCADE`); err == nil {
		t.Error("TRUNCATE succeeded as the app role")
	}
}

// tamper runs SQL as the superuser with triggers off, as an attacker with database access would.
func (e *env) tamper(sql string, args ...any) {
	e.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, e.db.SuperURL)
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SET session_replication_role = replica`); err != nil {
		e.t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		e.t.Fatalf("tamper %q: %v", sql, err)
	}
}

func TestVerify_DetectsTampering(t *testing.T) {
	cases := []struct {
		name    string
		tamper  func(e *env, caseID int64)
		wantSeq func(version int64) int64
	}{
		{"edited payload", func(e *env, id int64) {
			e.tamper(`UPDATE case_events SET payload = jsonb_set(payload, '{title}', '"改ざん"') WHERE case_id = $1 AND seq = 1`, id)
		}, func(int64) int64 { return 1 }},
		{"edited actor", func(e *env, id int64) {
			e.tamper(`UPDATE case_events SET actor_id = NULL WHERE case_id = $1 AND seq = 2`, id)
		}, func(int64) int64 { return 2 }},
		{"deleted middle event", func(e *env, id int64) {
			e.tamper(`DELETE FROM case_events WHERE case_id = $1 AND seq = 2`, id)
		}, func(int64) int64 { return 2 }},
		{"deleted last event", func(e *env, id int64) {
			e.tamper(`DELETE FROM case_events WHERE case_id = $1 AND seq = (SELECT max(seq) FROM case_events WHERE case_id = $1)`, id)
		}, func(v int64) int64 { return v }},
		{"deleted last event and projection fixed up", func(e *env, id int64) {
			e.tamper(`DELETE FROM case_events WHERE case_id = $1 AND seq = (SELECT max(seq) FROM case_events WHERE case_id = $1)`, id)
			e.tamper(`UPDATE cases SET version = version - 1 WHERE id = $1`, id)
		}, func(v int64) int64 { return v }},
		{"deleted case", func(e *env, id int64) {
			e.tamper(`DELETE FROM case_requests WHERE case_id = $1`, id)
			e.tamper(`DELETE FROM case_events WHERE case_id = $1`, id)
			e.tamper(`DELETE FROM cases WHERE id = $1`, id)
		}, func(int64) int64 { return 0 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			c, _ := e.openReady()
			other, _ := e.openReady() // an untouched case must not be blamed
			if _, err := e.db.Store.WriteAnchor(ctx, c.UpdatedAt.Add(1e9)); err != nil {
				t.Fatal(err)
			}
			if res, err := e.db.Store.Verify(ctx, 0); err != nil || !res.OK {
				t.Fatalf("before tampering: %+v %v", res, err)
			}
			tc.tamper(e, c.ID)
			res, err := e.db.Store.Verify(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			if res.OK || res.FirstBad == nil || res.FirstBad.CaseID != c.ID || res.FirstBad.Seq != tc.wantSeq(c.Version) {
				t.Fatalf("verdict %+v (first bad %+v), want case %d seq %d", res, res.FirstBad, c.ID, tc.wantSeq(c.Version))
			}
			if res, _ := e.db.Store.Verify(ctx, other.ID); !res.OK {
				t.Fatalf("the untouched case fails: %+v", res.FirstBad)
			}
		})
	}
}
