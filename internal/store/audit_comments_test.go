package store_test

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/archive"
	"github.com/leakdesk/leakdesk/internal/audit"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/pdf"
	"github.com/leakdesk/leakdesk/internal/store"
)

func TestAuditComments_ChainedAppendOnlyAndNeverTouchTheCase(t *testing.T) {
	e := newAuditEnv(t)
	ctx := context.Background()
	c, err := e.svc.Open(ctx, e.actors["staff"], "誤送信", map[string]any{"suspected_route": "email_missend"}, false)
	if err != nil {
		t.Fatal(err)
	}
	aud := e.actors["auditor"]
	for i, kind := range []string{audit.KindComment, audit.KindSignoff, audit.KindComment} {
		cm, err := audit.NewComment(c.ID, c.Version, aud.UserID, kind, "所見 "+string(rune('A'+i)), "全段階の記録", "2026-06-30", e.now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.Store.AddAuditComment(ctx, cm); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := audit.NewComment(c.ID, c.Version, aud.UserID, audit.KindSignoff, "x", "", "30/06/2026", e.now); incident.ErrorCode(err) != incident.CodeInvalid {
		t.Fatalf("sign-off without scope and date: %v", err)
	}
	missing, _ := audit.NewComment(999999, 1, aud.UserID, audit.KindComment, "x", "", "", e.now)
	if _, err := e.db.Store.AddAuditComment(ctx, missing); incident.ErrorCode(err) != incident.CodeNotFound {
		t.Fatalf("comment on a missing case: %v", err)
	}
	cs, err := e.db.Store.AuditComments(ctx, c.ID)
	if err != nil || len(cs) != 3 || cs[1].Kind != audit.KindSignoff || cs[1].AuthorName != "auditor" {
		t.Fatalf("comments: %+v %v", cs, err)
	}
	after, err := e.db.Store.GetCase(ctx, c.ID)
	if err != nil || after.Version != c.Version {
		t.Fatalf("comments changed the case: version %d → %d", c.Version, after.Version)
	}
	if res, err := e.db.Store.VerifyAuditComments(ctx, 0); err != nil || !res.OK || res.Checked != 3 {
		t.Fatalf("verify: %+v %v", res, err)
	}
	if err := e.db.Store.RecordExport(ctx, aud.UserID, []int64{c.ID}, e.now, nil); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE audit_comments SET body = 'x'`, `DELETE FROM audit_comments`, `TRUNCATE audit_comments`,
		`UPDATE audit_log SET action = 'x'`, `DELETE FROM audit_log`} {
		if _, err := e.db.Store.Pool.Exec(ctx, q); err == nil {
			t.Errorf("%s succeeded as the app role", q)
		}
	}
	// Someone with superuser rights and the triggers off edits a comment: the chain names it.
	superExec(t, e, `UPDATE audit_comments SET body = '改ざん' WHERE case_id = $1 AND seq = 2`, c.ID)
	res, err := e.db.Store.VerifyAuditComments(ctx, c.ID)
	if err != nil || res.OK || res.FirstBad == nil || res.FirstBad.Seq != 2 {
		t.Fatalf("tampered comment: %+v %v", res, err)
	}
}

func TestRecordExport_LogsWithoutChangingTheCase(t *testing.T) {
	e := newAuditEnv(t)
	ctx := context.Background()
	c, err := e.svc.Open(ctx, e.actors["staff"], "誤送信", map[string]any{"suspected_route": "email_missend"}, false)
	if err != nil {
		t.Fatal(err)
	}
	aud := e.actors["auditor"]
	if err := e.db.Store.RecordExport(ctx, aud.UserID, []int64{c.ID}, e.now, map[string]any{"seal": "abc"}); err != nil {
		t.Fatal(err)
	}
	after, _ := e.db.Store.GetCase(ctx, c.ID)
	if after.Version != c.Version {
		t.Fatal("an export changed the case version")
	}
	rows, err := e.db.Store.AccessLog(ctx, store.AccessFilter{UserID: aud.UserID})
	if err != nil || len(rows) != 1 || rows[0].Page != "export" || rows[0].CaseID != c.ID || rows[0].UserName != "auditor" {
		t.Fatalf("access log: %+v %v", rows, err)
	}
	log, err := e.db.Store.AuditLog(ctx, 10)
	if err != nil || len(log) != 1 || log[0].Action != "export" || log[0].CaseIDs[0] != c.ID || log[0].Detail["seal"] != "abc" {
		t.Fatalf("audit log: %+v %v", log, err)
	}
}

// BenchmarkAudit_ReplayAndExport10k measures, on a case with 10 000 events, the replay "as of" the
// last event (read the history + incident.Replay) and a full case-file export (history, verdict,
// comments, noteworthy events, report, JSONL, CSV, manifest, ZIP; the report as HTML, and as PDF
// when Chromium is installed), each beside the time of reading the same rows with one plain query
// in the same run: replay_ms / plain_query_ms is the cost of the domain over the raw read.
func BenchmarkAudit_ReplayAndExport10k(b *testing.B) {
	e := newAuditEnv(b)
	ctx := context.Background()
	const n = 10000
	staff := e.actors["staff"]
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, auditJST)
	c, err := e.db.Store.OpenCase(ctx, at, func(id int64, number string) (*incident.Case, []incident.Event, error) {
		c := &incident.Case{}
		var all []incident.Event
		apply := func(cmd incident.Command) error {
			at = at.Add(time.Second)
			evs, err := c.Decide(cmd, staff, store.Now(at))
			if err != nil {
				return err
			}
			for _, ev := range evs {
				if err := c.Apply(ev); err != nil {
					return err
				}
			}
			all = append(all, evs...)
			return nil
		}
		if err := apply(incident.OpenCase{ID: id, Number: number, Title: "大量履歴の案件", OwnerID: staff.UserID,
			Facts: map[string]any{"recognized_at": "2026-04-30T22:40", "suspected_route": "email_missend"}}); err != nil {
			return nil, nil, err
		}
		for i := 0; len(all) < n; i++ {
			if err := apply(incident.PatchFacts{Patch: map[string]any{"initial_description": "経過メモ 第" + strconv.Itoa(i) + "版: 顧客からの問い合わせに対応した。"}}); err != nil {
				return nil, nil, err
			}
		}
		return c, all, nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if c.Version != n {
		b.Fatalf("case has %d events", c.Version)
	}
	var printer archive.Renderer
	if p, err := pdf.New(); err == nil {
		defer p.Close()
		printer = p
	}
	exportOnce := func(r archive.Renderer) int {
		stored, err := e.db.Store.CaseEvents(ctx, c.ID)
		if err != nil {
			b.Fatal(err)
		}
		events := make([]incident.Event, len(stored))
		f := archive.CaseFile{CaseID: c.ID, Number: c.Number, Title: c.Title}
		for i, s := range stored {
			events[i] = s.Event
			f.Events = append(f.Events, archive.Event{Event: s.Hashed(), PrevHash: s.PrevHash, Hash: s.Hash})
		}
		if f.Case, err = audit.AsOf(events, int64(len(events))); err != nil {
			b.Fatal(err)
		}
		res, err := e.db.Store.Verify(ctx, c.ID)
		if err != nil || !res.OK {
			b.Fatalf("verify: %+v %v", res, err)
		}
		f.Verdict = archive.Verdict{OK: true, Checked: res.Checked}
		f.CommentsVerdict = archive.Verdict{OK: true}
		if f.Notes, err = audit.Noteworthy(events, e.svc.Law, e.now); err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := archive.Build(ctx, &buf, []archive.CaseFile{f}, archive.Options{At: e.now, ByName: "bench", Renderer: r}); err != nil {
			b.Fatal(err)
		}
		return buf.Len()
	}
	var plain, replay, export, exportPDF time.Duration
	var zipBytes int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		rows, err := e.db.Store.Pool.Query(ctx, `SELECT seq, type, actor_id, at, payload, prev_hash, hash FROM case_events WHERE case_id = $1 ORDER BY seq`, c.ID)
		if err != nil {
			b.Fatal(err)
		}
		count := 0
		for rows.Next() {
			var seq int64
			var typ string
			var actor *int64
			var when time.Time
			var payload, prev, hash []byte
			if err := rows.Scan(&seq, &typ, &actor, &when, &payload, &prev, &hash); err != nil {
				b.Fatal(err)
			}
			count++
		}
		if rows.Err() != nil || count != n {
			b.Fatalf("plain read: %d rows, %v", count, rows.Err())
		}
		t1 := time.Now()
		stored, err := e.db.Store.CaseEvents(ctx, c.ID)
		if err != nil {
			b.Fatal(err)
		}
		events := make([]incident.Event, len(stored))
		for j := range stored {
			events[j] = stored[j].Event
		}
		past, err := audit.AsOf(events, n)
		if err != nil || past.Version != n {
			b.Fatalf("replay: %v", err)
		}
		t2 := time.Now()
		zipBytes = exportOnce(nil)
		t3 := time.Now()
		plain += t1.Sub(t0)
		replay += t2.Sub(t1)
		export += t3.Sub(t2)
		if printer != nil {
			exportOnce(printer)
			exportPDF += time.Since(t3)
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(ms(plain), "plain_query_ms")
	b.ReportMetric(ms(replay), "replay_ms")
	b.ReportMetric(ms(export), "export_ms")
	if printer != nil {
		b.ReportMetric(ms(exportPDF), "export_pdf_ms")
	}
	b.ReportMetric(float64(replay)/float64(plain), "replay/plain")
	b.ReportMetric(float64(zipBytes)/1024, "zip_KiB")
}
