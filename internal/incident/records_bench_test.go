package incident

import (
	"encoding/json"
	"slices"
	"strconv"
	"testing"
	"time"
)

// BenchmarkReplay_RecordsVsFacts replays, in the same run, a history of n record events (adds and
// updates of monitoring entries and inquiries) and a history of n facts_changed events (the
// reference: what a case's history mostly holds today), both decoded from JSON as the store reads
// them. The metric records/facts is the cost of a record event relative to a fact event on every
// page load (GetCase replays the history).
func BenchmarkReplay_RecordsVsFacts(b *testing.B) {
	const n = 2000
	build := func(next func(i int) Command) []Event {
		h := &harness{t: &testing.T{}, c: &Case{}, now: t0, nextID: 100}
		var all []Event
		do := func(a Actor, cmd Command) {
			h.now = h.now.Add(time.Second)
			evs, err := h.c.Decide(cmd, a, h.now)
			if err != nil {
				b.Fatal(err)
			}
			for _, e := range evs {
				if err := h.c.Apply(e); err != nil {
					b.Fatal(err)
				}
			}
			all = append(all, evs...)
		}
		do(staff, OpenCase{ID: 7, Number: "2026-0007", Title: "ベンチマーク", OwnerID: staff.UserID, Facts: map[string]any{"recognized_at": "2026-04-30T22:40"}})
		for i := 0; len(all) < n; i++ {
			do(staff, next(i))
		}
		raw, err := json.Marshal(all)
		if err != nil {
			b.Fatal(err)
		}
		var back []Event
		if err := json.Unmarshal(raw, &back); err != nil {
			b.Fatal(err)
		}
		return back
	}
	facts := build(func(i int) Command {
		return PatchFacts{Patch: map[string]any{"initial_description": "経過メモ 第" + strconv.Itoa(i) + "版", "estimated_count_max": i}}
	})
	records := build(func(i int) Command {
		if i%2 == 1 {
			return UpdateRecord{RecordID: int64(i/2 + 1), Values: map[string]any{"answer": "回答 " + strconv.Itoa(i)}}
		}
		return AddRecord{Kind: RecInquiry, Values: map[string]any{"received_at": "2026-04-30T10:00", "channel": "phone",
			"category": "am_i_affected", "summary": "対象かどうかの確認 " + strconv.Itoa(i), "person_id": i}}
	})
	replay := func(evs []Event) time.Duration {
		start := time.Now()
		if _, err := Replay(evs); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	// Interleaved, and the median of the per-iteration ratios: the machine is shared, so a burst of
	// load hits one pair rather than one side.
	var tf, tr time.Duration
	ratios := make([]float64, 0, b.N)
	b.ResetTimer()
	for range b.N {
		f := replay(facts)
		r := replay(records)
		tf, tr = tf+f, tr+r
		ratios = append(ratios, float64(r)/float64(f))
	}
	slices.Sort(ratios)
	b.ReportMetric(float64(tf.Nanoseconds())/float64(b.N)/1e3, "facts_us/replay")
	b.ReportMetric(float64(tr.Nanoseconds())/float64(b.N)/1e3, "records_us/replay")
	b.ReportMetric(ratios[len(ratios)/2], "median_records/facts")
}
