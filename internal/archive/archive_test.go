package archive_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/archive"
	"github.com/leakdesk/leakdesk/internal/audit"
	"github.com/leakdesk/leakdesk/internal/chain"
	"github.com/leakdesk/leakdesk/internal/incident"
)

type fakePDF struct{}

func (fakePDF) FromHTML(_ context.Context, html []byte) ([]byte, error) {
	return append([]byte("%PDF-1.4 fake "), html[:64]...), nil
}

var t0 = time.Date(2026, 5, 1, 9, 0, 0, 0, incident.JST())

// story builds a small real history (decided and applied by the domain) with its chain, the way the
// store stores it: payloads through JSON with exact numbers, hashes over the canonical form.
func story(t testing.TB) archive.CaseFile {
	t.Helper()
	staff := incident.Actor{UserID: 3, Name: "担当 一郎", Roles: []incident.Role{incident.RoleStaff}}
	c := &incident.Case{}
	var events []incident.Event
	now := t0
	do := func(cmd incident.Command) {
		now = now.Add(time.Minute)
		evs, err := c.Decide(cmd, staff, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if err := c.Apply(e); err != nil {
				t.Fatal(err)
			}
		}
		events = append(events, evs...)
	}
	do(incident.OpenCase{ID: 42, Number: "2026-0042", Title: "=HYPERLINK(\"x\") 誤送信", OwnerID: staff.UserID,
		Facts: map[string]any{"recognized_at": "2026-04-30T22:40", "estimated_count_max": 3000}})
	do(incident.PatchFacts{Patch: map[string]any{"initial_description": "顧客リストを誤送信した。<b>太字</b>", "suspected_route": "email_missend"}})
	do(incident.TickChecklist{ItemID: "discovery.evidence_preserved", Checked: true})
	var stored []archive.Event
	var prev []byte = chain.GenesisPrev
	for _, e := range events {
		raw, _ := json.Marshal(e.Payload)
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var p map[string]any
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		e.Payload, e.At = p, e.At.UTC()
		canon, err := e.Canonical(42)
		if err != nil {
			t.Fatal(err)
		}
		h := chain.Hash(prev, canon)
		stored = append(stored, archive.Event{Event: e, PrevHash: prev, Hash: h})
		prev = h
	}
	cm, err := audit.NewComment(42, c.Version, 9, audit.KindSignoff, "全履歴を確認した", "2026年度上期の監査", "2026-06-30", t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	cm, _ = cm.Chain(nil)
	cm.AuthorName = "監査 責任者"
	return archive.CaseFile{Case: c, CaseID: 42, Number: c.Number, Title: c.Title, Events: stored, Comments: []audit.Comment{cm},
		Verdict: archive.Verdict{OK: true, Checked: int64(len(stored))}, CommentsVerdict: archive.Verdict{OK: true, Checked: 1},
		Names: map[int64]string{3: "担当 一郎"}}
}

func build(t testing.TB, files ...archive.CaseFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := archive.Build(context.Background(), &buf, files, archive.Options{At: t0.Add(2 * time.Hour), ByID: 9, ByName: "監査 責任者", Renderer: fakePDF{}}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type entry struct {
	name string
	data []byte
}

func unzip(t *testing.T, b []byte) []entry {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out []entry
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		out = append(out, entry{f.Name, data})
	}
	return out
}

func rezip(t *testing.T, es []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range es {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.data)
	}
	zw.Close()
	return buf.Bytes()
}

func verify(b []byte) error {
	_, err := archive.Verify(bytes.NewReader(b), int64(len(b)))
	return err
}

func TestVerify_FreshArchivePasses(t *testing.T) {
	f := story(t)
	b := build(t, f)
	res, err := archive.Verify(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("fresh archive: %v", err)
	}
	if res.Files != 5 || res.Events != len(f.Events) || res.Comments != 1 || !res.Manifest.Verified {
		t.Fatalf("result %+v", res)
	}
	names := map[string]bool{}
	for _, e := range unzip(t, b) {
		names[e.name] = true
	}
	for _, want := range []string{"manifest.json", "case-2026-0042/report.pdf", "case-2026-0042/events.jsonl", "case-2026-0042/events.csv", "case-2026-0042/comments.jsonl", "case-2026-0042/person_history.jsonl"} {
		if !names[want] {
			t.Errorf("archive lacks %s (has %v)", want, names)
		}
	}
}

// TestVerify_AnyByteOfAnyFileChanged flips every byte of every file in turn (the archive re-zipped
// with valid ZIP checksums, as someone editing a file would) and expects a named mismatch each time.
func TestVerify_AnyByteOfAnyFileChanged(t *testing.T) {
	es := unzip(t, build(t, story(t)))
	flips := 0
	for i := range es {
		for pos := range es[i].data {
			orig := es[i].data[pos]
			for _, x := range []byte{0x01, 0x20} {
				es[i].data[pos] = orig ^ x
				err := verify(rezip(t, es))
				var mm *archive.Mismatch
				if !errors.As(err, &mm) {
					t.Fatalf("%s byte %d ^%#x: verify = %v, want a mismatch", es[i].name, pos, x, err)
				}
				if mm.File == "" || mm.Recorded {
					t.Fatalf("%s byte %d: mismatch does not name the file: %v", es[i].name, pos, mm)
				}
				flips++
			}
			es[i].data[pos] = orig
		}
	}
	if err := verify(rezip(t, es)); err != nil {
		t.Fatalf("restored archive fails: %v", err)
	}
	t.Logf("%d single-byte changes, all detected", flips)
}

func TestVerify_FileRemovedOrAdded(t *testing.T) {
	es := unzip(t, build(t, story(t)))
	for i := range es {
		rest := append(append([]entry(nil), es[:i]...), es[i+1:]...)
		err := verify(rezip(t, rest))
		var mm *archive.Mismatch
		if !errors.As(err, &mm) || mm.File != es[i].name {
			t.Errorf("removing %s: %v", es[i].name, err)
		}
	}
	for _, extra := range []string{"case-2026-0042/notes.txt", "readme.txt", "case-2026-0042/events.jsonl"} {
		err := verify(rezip(t, append(append([]entry(nil), es...), entry{extra, []byte("x")})))
		var mm *archive.Mismatch
		if !errors.As(err, &mm) || mm.File != extra {
			t.Errorf("adding %s: %v", extra, err)
		}
	}
}

// TestVerify_ConsistentForgeryCaughtByChain edits an event and updates the manifest's hash and seal
// to match, as a careful forger would: the recomputed chain still names the event.
func TestVerify_ConsistentForgeryCaughtByChain(t *testing.T) {
	f := story(t)
	var forged int64
	for _, e := range f.Events {
		if b, _ := json.Marshal(e.Payload); forged == 0 && bytes.Contains(b, []byte("顧客リスト")) {
			forged = e.Seq
		}
	}
	es := unzip(t, build(t, f))
	var m archive.Manifest
	for i, e := range es {
		if e.name == "case-2026-0042/events.jsonl" {
			es[i].data = bytes.Replace(e.data, []byte("顧客リスト"), []byte("社内リスト"), 1)
			sum := sha256.Sum256(es[i].data)
			for _, e2 := range es {
				if e2.name == "manifest.json" {
					json.Unmarshal(e2.data, &m)
				}
			}
			for j := range m.Files {
				if m.Files[j].Path == e.name {
					m.Files[j].SHA256, m.Files[j].Size = hex.EncodeToString(sum[:]), int64(len(es[i].data))
				}
			}
		}
	}
	raw, err := archive.SealManifest(&m)
	if err != nil {
		t.Fatal(err)
	}
	for i := range es {
		if es[i].name == "manifest.json" {
			es[i].data = raw
		}
	}
	err = verify(rezip(t, es))
	var mm *archive.Mismatch
	if !errors.As(err, &mm) || forged == 0 || mm.Seq != forged || !strings.Contains(mm.What, "hash chain") {
		t.Fatalf("forged event: %v", err)
	}
}

func TestBuild_BrokenChainStillExportsAndSaysSo(t *testing.T) {
	f := story(t)
	f.Events[1].Payload["changes"] = []any{} // as if edited in the database after hashing
	f.Verdict = archive.Verdict{OK: false, BadSeq: 2, Reason: "hash does not match the event content (edited)"}
	b := build(t, f)
	err := verify(b)
	var mm *archive.Mismatch
	if !errors.As(err, &mm) || !mm.Recorded || mm.Seq != 2 {
		t.Fatalf("verify of an export of a broken chain: %v", err)
	}
	for _, e := range unzip(t, b) {
		if e.name == "manifest.json" && !bytes.Contains(e.data, []byte(`"first_bad": {`)) {
			t.Fatalf("manifest does not mark the break:\n%s", e.data)
		}
	}
	html, err := archive.ReportHTML(f, archive.Options{At: t0})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "最初の不整合はイベント 2 です") {
		t.Fatal("the cover does not name the break")
	}
}

func TestEventsCSV_BOMAndFormulaNeutralised(t *testing.T) {
	csv := string(archive.EventsCSV(story(t)))
	if !strings.HasPrefix(csv, "\ufeffseq,") {
		t.Fatalf("no BOM: %q", csv[:10])
	}
	if strings.Contains(csv, ",=HYPERLINK") || strings.Contains(csv, "\n=") {
		t.Fatalf("formula not neutralised:\n%s", csv)
	}
	if !strings.Contains(csv, "'=HYPERLINK") && !strings.Contains(csv, "案件登録: =HYPERLINK") {
		t.Fatalf("title missing:\n%s", csv)
	}
	got := archive.SafeCells("=1+2", "+1", "-1", "@SUM(A1)", "\tx", "ok", "")
	want := []string{"'=1+2", "'+1", "'-1", "'@SUM(A1)", "'\tx", "ok", ""}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("SafeCells(%q) = %q", want[i], got[i])
		}
	}
}

func TestReportHTML_LongTimelineKeepsBothEndsAndSaysWhereTheRestIs(t *testing.T) {
	f := story(t)
	last := f.Events[len(f.Events)-1]
	for i := len(f.Events); i < archive.MaxReportEvents+500; i++ {
		e := last
		e.Seq = int64(i + 1)
		f.Events = append(f.Events, e)
	}
	html, err := archive.ReportHTML(f, archive.Options{At: t0})
	if err != nil {
		t.Fatal(err)
	}
	s := string(html)
	if !strings.Contains(s, "500 件は印刷を省略") || !strings.Contains(s, "<td>1</td>") || !strings.Contains(s, "<td>2500</td>") {
		t.Fatal("the long timeline is not cut in the middle with a note")
	}
}

// The export says which rule set the case was decided under: the manifest and the report's cover
// name its version and hash.
func TestBuild_NamesTheCasesRuleSet(t *testing.T) {
	f := story(t)
	b := build(t, f)
	res, err := archive.Verify(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	mc := res.Manifest.Cases[0]
	if mc.RulesVersion != f.Case.Rules().Version || mc.RulesHash != f.Case.Rules().Hash || len(mc.RulesHash) != 64 {
		t.Fatalf("manifest names rules %d %q", mc.RulesVersion, mc.RulesHash)
	}
	html, err := archive.ReportHTML(f, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(html, []byte("第1版")) || !bytes.Contains(html, []byte(mc.RulesHash)) {
		t.Fatal("the report's cover does not name the rule set")
	}
}
