package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/store"
)

// recordsCase opens a case and passes G1, so containment and recurrence records can be written.
func recordsCase(t testing.TB, e *auditEnv) *incident.Case {
	t.Helper()
	ctx := context.Background()
	a := e.actors
	c, err := e.svc.Open(ctx, a["staff"], "記録のテスト", map[string]any{
		"recognized_at": "2026-06-10T08:00", "reported_to_soumu_at": "2026-06-10T08:30", "containment_ordered_at": "2026-06-10T08:40",
		"prelim_screen": "suspected", "exec_notification_decision": "not_needed", "involves_my_number": "no",
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Do(ctx, c.ID, 0, a["staff"], incident.TickChecklist{ItemID: "discovery.evidence_preserved", Checked: true}); err != nil {
		t.Fatal(err)
	}
	_, rq, err := e.svc.Submit(ctx, c.ID, 0, a["staff"], incident.SubmitRequest{Kind: incident.KindComplete, Stage: incident.StageDiscovery})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err = e.svc.Approve(ctx, rq.ID, a["manager"], "確認しました", 0)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func countEvents(t *testing.T, e *auditEnv, caseID int64, typ string) int {
	t.Helper()
	var n int
	if err := e.db.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM case_events WHERE case_id = $1 AND type = $2`, caseID, typ).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRecords_EventsAtomicAndVersioned: a record is an event in the case chain; a stale case
// version is refused with nothing written; the chain verifies; the projection carries the records.
func TestRecords_EventsAtomicAndVersioned(t *testing.T) {
	e := newAuditEnv(t)
	ctx := context.Background()
	c := recordsCase(t, e)
	mon := incident.AddRecord{Kind: incident.RecMonitoring, Values: map[string]any{"date": "2026-06-11", "searched_where": "dark_web_service", "result": "nothing_found"}}
	c2, evs, err := e.svc.Do(ctx, c.ID, c.Version, e.actors["staff"], mon)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Type != incident.EventRecordAdded || c2.Record(1) == nil {
		t.Fatalf("events %+v", evs)
	}
	// The same version again is stale: refused, nothing stored.
	_, _, err = e.svc.Do(ctx, c.ID, c.Version, e.actors["staff2"], mon)
	if !store.ErrStale(err) {
		t.Fatalf("stale add: %v", err)
	}
	if n := countEvents(t, e, c.ID, incident.EventRecordAdded); n != 1 {
		t.Fatalf("%d record_added events after a stale write", n)
	}
	// An invalid record is refused with nothing stored either.
	_, _, err = e.svc.Do(ctx, c.ID, c2.Version, e.actors["staff"], incident.AddRecord{Kind: incident.RecMonitoring, Values: map[string]any{"date": "x"}})
	if incident.ErrorCode(err) != incident.CodeInvalid {
		t.Fatalf("invalid add: %v", err)
	}
	// Record version: two editors start from record version 1; the second is refused even with
	// no case-version check (the case version moved for another reason in between).
	c3, _, err := e.svc.Do(ctx, c.ID, c2.Version, e.actors["staff"], incident.UpdateRecord{RecordID: 1, Version: 1, Values: map[string]any{"query": "社名 顧客リスト"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Do(ctx, c.ID, 0, e.actors["staff2"], incident.UpdateRecord{RecordID: 1, Version: 1, Values: map[string]any{"query": "別の検索語"}}); incident.ErrorCode(err) != incident.CodeConflict {
		t.Fatalf("stale record version: %v", err)
	}
	got, err := e.db.Store.GetCase(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r := got.Record(1); r.Version != 2 || r.Values.Str("query") != "社名 顧客リスト" || got.Version != c3.Version {
		t.Fatalf("stored record %+v at case version %d", r, got.Version)
	}
	// The projection (used by the dashboard query) has the records too.
	var kind string
	if err := e.db.Store.Pool.QueryRow(ctx, `SELECT state->'records'->0->>'kind' FROM cases WHERE id = $1`, c.ID).Scan(&kind); err != nil || kind != string(incident.RecMonitoring) {
		t.Fatalf("projection record kind %q, %v", kind, err)
	}
	res, err := e.db.Store.Verify(ctx, c.ID)
	if err != nil || !res.OK {
		t.Fatalf("verify %+v %v", res, err)
	}
}

// TestEvidence_AttachAtomicDownloadLogged: the bytes and the evidence_attached event are stored
// together or not at all; the stored hash is the upload's; every download is in the access log;
// the rows cannot be changed.
func TestEvidence_AttachAtomicDownloadLogged(t *testing.T) {
	e := newAuditEnv(t)
	ctx := context.Background()
	c := recordsCase(t, e)
	data := []byte("%PDF-1.4\n削除確認書\n%%EOF\n")
	sum := sha256.Sum256(data)

	// A stale version: refused, and no bytes are left behind.
	if _, _, err := e.svc.AttachEvidence(ctx, c.ID, c.Version-1, e.actors["staff"], incident.StageContainment, "削除確認書.pdf", "application/pdf", "", data); !store.ErrStale(err) {
		t.Fatalf("stale attach: %v", err)
	}
	// Refused by the domain (an auditor): nothing left behind.
	if _, _, err := e.svc.AttachEvidence(ctx, c.ID, c.Version, e.actors["auditor"], incident.StageContainment, "削除確認書.pdf", "application/pdf", "", data); incident.ErrorCode(err) != incident.CodeForbidden {
		t.Fatalf("auditor attach: %v", err)
	}
	if n, err := e.db.Store.EvidenceCount(ctx, c.ID); err != nil || n != 0 {
		t.Fatalf("%d files after refused uploads (%v)", n, err)
	}
	c2, ev, err := e.svc.AttachEvidence(ctx, c.ID, c.Version, e.actors["staff"], incident.StageContainment, "削除確認書.pdf", "application/pdf", "受領者の削除確認", data)
	if err != nil {
		t.Fatal(err)
	}
	if ev.SHA256 != hex.EncodeToString(sum[:]) || ev.Size != int64(len(data)) || c2.Version != c.Version+1 {
		t.Fatalf("evidence %+v", ev)
	}
	if n := countEvents(t, e, c.ID, incident.EventEvidenceAttached); n != 1 {
		t.Fatalf("%d evidence events", n)
	}
	f, err := e.db.Store.Evidence(ctx, c.ID, ev.ID, e.actors["manager"].UserID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.Data, data) || !bytes.Equal(f.SHA256, sum[:]) || f.Name != "削除確認書.pdf" {
		t.Fatalf("downloaded %+v", f)
	}
	// Another case's id does not reach the file.
	if _, err := e.db.Store.Evidence(ctx, c.ID+1000, ev.ID, e.actors["manager"].UserID); incident.ErrorCode(err) != incident.CodeNotFound {
		t.Fatalf("foreign case: %v", err)
	}
	rows, err := e.db.Store.AccessLog(ctx, store.AccessFilter{CaseID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	logged := 0
	for _, r := range rows {
		if r.Page == "evidence_download" && strings.Contains(r.Reason, hex.EncodeToString(sum[:])) && r.UserID == e.actors["manager"].UserID {
			logged++
		}
	}
	if logged != 1 {
		t.Fatalf("custody log has %d download rows: %+v", logged, rows)
	}
	if _, err := e.db.Store.Pool.Exec(ctx, `UPDATE case_evidence SET sha256 = sha256 WHERE id = $1`, ev.ID); err == nil {
		t.Fatal("evidence bytes could be changed")
	}
}

// TestOverdueMeasures: a planned measure past its JST due date shows; done and withdrawn ones and
// cases where the viewer is involved do not.
func TestOverdueMeasures(t *testing.T) {
	e := newAuditEnv(t)
	ctx := context.Background()
	c := recordsCase(t, e)
	add := func(due, status, evidence string) {
		t.Helper()
		v := map[string]any{"description": "策 " + due, "safeguard": "human", "scope": "company_wide", "owner": "総務部長", "due_date": due, "status": status}
		if evidence != "" {
			v["evidence"] = evidence
		}
		if _, _, err := e.svc.Do(ctx, c.ID, 0, e.actors["staff"], incident.AddRecord{Kind: incident.RecMeasure, Values: v}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := e.svc.Do(ctx, c.ID, 0, e.actors["staff"], incident.PatchFacts{Patch: map[string]any{"root_cause": "誤送信"}}); err != nil {
		t.Fatal(err)
	}
	add("2026-06-01", "planned", "")     // 1: overdue
	add("2026-06-10", "in_progress", "") // 2: due today: not yet overdue
	add("2026-05-01", "done", "通達")      // 3: done
	add("2026-05-15", "planned", "")     // 4: withdrawn below
	if _, _, err := e.svc.Do(ctx, c.ID, 0, e.actors["staff"], incident.WithdrawRecord{RecordID: 4, Reason: "重複"}); err != nil {
		t.Fatal(err)
	}
	got, err := e.db.Store.OverdueMeasures(ctx, "2026-06-10", e.actors["manager"].UserID, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].RecordID != 1 || got[0].CaseID != c.ID || got[0].DueDate != "2026-06-01" || got[0].Owner != "総務部長" {
		t.Fatalf("overdue %+v", got)
	}
	if _, _, err := e.svc.Do(ctx, c.ID, 0, e.actors["officer"], incident.MarkInvolved{UserID: e.actors["staff2"].UserID, Involved: true, Reason: "関与"}); err != nil {
		t.Fatal(err)
	}
	if got, err := e.db.Store.OverdueMeasures(ctx, "2026-06-10", e.actors["staff2"].UserID, 100); err != nil || len(got) != 0 {
		t.Fatalf("involved viewer sees %+v (%v)", got, err)
	}
}

// BenchmarkEvidence_AttachAndDownload20MiB measures, on files of the default limit (20 MiB), the
// whole upload path below HTTP (hash, decide, replay, event + chain + projection + bytes in one
// transaction) and the logged download (read, re-hash, custody row in one transaction), each beside
// a plain INSERT / SELECT of the same bytes into a bare bytea table in the same run. The metrics
// attach/insert and download/select are the medians of the per-iteration ratios.
func BenchmarkEvidence_AttachAndDownload20MiB(b *testing.B) {
	e := newAuditEnv(b)
	ctx := context.Background()
	c := recordsCase(b, e)
	pool := e.db.Store.Pool
	// The app role creates no tables: the owner does, and the app writes it like any working table.
	for _, q := range []string{`CREATE TABLE bench_blob (id bigserial PRIMARY KEY, data bytea NOT NULL)`,
		`ALTER TABLE bench_blob ALTER COLUMN data SET STORAGE EXTERNAL`,
		`GRANT SELECT, INSERT ON bench_blob TO leakdesk_app`, `GRANT USAGE ON SEQUENCE bench_blob_id_seq TO leakdesk_app`} {
		ownerExec(b, e.db.OwnerURL, q)
	}
	data := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("0123456789abcdef"), (20<<20)/16-1)...)
	var up, down []float64
	b.ResetTimer()
	for i := range b.N {
		data[len(data)-1] = byte(i) // a different file each time
		t0 := time.Now()
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO bench_blob (data) VALUES ($1) RETURNING id`, data).Scan(&id); err != nil {
			b.Fatal(err)
		}
		tInsert := time.Since(t0)
		t0 = time.Now()
		_, ev, err := e.svc.AttachEvidence(ctx, c.ID, 0, e.actors["staff"], incident.StageContainment, "bench.pdf", "application/pdf", "", data)
		if err != nil {
			b.Fatal(err)
		}
		tAttach := time.Since(t0)
		t0 = time.Now()
		var got []byte
		if err := pool.QueryRow(ctx, `SELECT data FROM bench_blob WHERE id = $1`, id).Scan(&got); err != nil || len(got) != len(data) {
			b.Fatal(err)
		}
		tSelect := time.Since(t0)
		t0 = time.Now()
		f, err := e.db.Store.Evidence(ctx, c.ID, ev.ID, e.actors["manager"].UserID)
		if err != nil || len(f.Data) != len(data) {
			b.Fatal(err)
		}
		tDownload := time.Since(t0)
		up = append(up, float64(tAttach)/float64(tInsert))
		down = append(down, float64(tDownload)/float64(tSelect))
	}
	slices.Sort(up)
	slices.Sort(down)
	b.ReportMetric(up[len(up)/2], "median_attach/insert")
	b.ReportMetric(down[len(down)/2], "median_download/select")
}
