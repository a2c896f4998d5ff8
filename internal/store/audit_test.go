package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/audit"
	"github.com/leakdesk/leakdesk/internal/incident"
)

func TestAsOf_EqualsLiveCaseAfterEveryEvent(t *testing.T) {
	e := newAuditEnv(t)
	ctx := context.Background()
	live := map[int64]string{} // seq → JSON of the live case right after it
	var running *incident.Case
	var caseID int64
	final := e.auditStory("USBメモリ紛失（顧客3,000名）", false, func(c *incident.Case) {
		// The service returned c, the live case after its command. Events inside one command have no
		// moment of their own outside the transaction, so the live state after each of them is the
		// previous live case with the stored events folded in one by one; at the command's end it
		// must be exactly c.
		caseID = c.ID
		stored, err := e.db.Store.CaseEvents(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if running == nil {
			running = &incident.Case{}
		}
		for _, ev := range stored[running.Version:] {
			if err := running.Apply(ev.Event); err != nil {
				t.Fatalf("apply %d: %v", ev.Seq, err)
			}
			live[ev.Seq] = caseJSON(t, running)
		}
		if got, want := caseJSON(t, running), caseJSON(t, c); got != want {
			t.Fatalf("after version %d the folded case differs from the live case\n%s\n%s", c.Version, got, want)
		}
	})
	stored, err := e.db.Store.CaseEvents(ctx, caseID)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) < 30 || int64(len(stored)) != final.Version {
		t.Fatalf("%d events, version %d: want 30+", len(stored), final.Version)
	}
	events := make([]incident.Event, len(stored))
	for i := range stored {
		events[i] = stored[i].Event
	}
	for k := int64(1); k <= final.Version; k++ {
		past, err := audit.AsOf(events, k)
		if err != nil {
			t.Fatalf("as of %d: %v", k, err)
		}
		if got := caseJSON(t, past); got != live[k] {
			t.Fatalf("as of event %d differs from the live case after it\nreplayed: %s\nlive:     %s", k, got, live[k])
		}
	}
	if _, err := audit.AsOf(events, 0); incident.ErrorCode(err) != incident.CodeInvalid {
		t.Fatalf("as of 0: %v", err)
	}
	if _, err := audit.AsOf(events, final.Version+1); incident.ErrorCode(err) != incident.CodeInvalid {
		t.Fatalf("as of version+1: %v", err)
	}

	// The noteworthy events of the same history.
	notes, err := audit.Noteworthy(events, e.svc.Law, e.now)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[audit.NoteKind]int{}
	for _, n := range notes {
		kinds[n.Kind]++
		if n.Kind == audit.NoteChangedAfterFiling && (len(n.Fields) != 1 || n.Fields[0] != "impact_scope") {
			t.Errorf("changed after filing: %+v", n)
		}
	}
	for _, k := range []audit.NoteKind{audit.NoteDeputy, audit.NoteTwoApprovers, audit.NoteSentBack, audit.NoteChangedAfterFiling, audit.NoteDeadlineMissed} {
		if kinds[k] == 0 {
			t.Errorf("no %s note in %+v", k, kinds)
		}
	}
	// The first internal report (due 2026-04-30 23:10, made 05-01 08:50) was late by 9h40m.
	var late bool
	for _, n := range notes {
		if n.Kind == audit.NoteDeadlineMissed && n.Late == 9*time.Hour+40*time.Minute {
			late = true
		}
	}
	if !late {
		t.Errorf("the 30-minute report is not reported 9h40m late: %+v", notes)
	}

	// A diff between two points names the facts, stages and requests that changed.
	a, _ := audit.AsOf(events, 5)
	b, _ := audit.AsOf(events, final.Version)
	d := audit.Compare(a, b)
	if len(d.Facts) == 0 || len(d.Stages) == 0 || len(d.Requests) == 0 {
		t.Fatalf("diff 5→%d: %+v", final.Version, d)
	}
	if same := audit.Compare(b, b); !same.Empty() {
		t.Fatalf("a point differs from itself: %+v", same)
	}
}
