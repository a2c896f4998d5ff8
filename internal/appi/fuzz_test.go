package appi

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzAssess feeds arbitrary JSON objects as facts, decoded both as float64
// numbers and as json.Number (the two JSONB decodings the contract allows).
// Assess must never panic and must always produce a marshalable assessment
// whose lists are non-nil.
func FuzzAssess(f *testing.F) {
	for _, seed := range []Facts{s1(), s2a(), s3(), mnBase(), {}} {
		b, _ := json.Marshal(seed)
		f.Add(string(b), int64(0), 3)
	}
	f.Add(`{"recognized_at":"9999-12-31T23:59:59+09:00","affected_count":1e400}`, int64(-1e12), -5)
	f.Add(`{"data_items":[1,null,{}],"event_types":"leak","certainty":7,"encryption":"high_level","key_compromised":[]}`, int64(1), 0)
	f.Add(`{"recognized_at":"0001-01-01T00:00:00Z","affected_count":-3,"defer_review_by":"2026-02-30","notice_decision":"defer"}`, int64(1<<40), 1<<30)
	f.Fuzz(func(t *testing.T, raw string, nowOffset int64, register int) {
		now := time.Date(2026, 5, 1, 0, 0, 0, 0, JST).Add(time.Duration(nowOffset) * time.Second)
		opts := DefaultOptions()
		opts.RegisterCount = register
		var plain map[string]any
		if json.Unmarshal([]byte(raw), &plain) == nil {
			check(t, Assess(plain, opts, now))
		}
		dec := json.NewDecoder(bytesReader(raw))
		dec.UseNumber()
		var num map[string]any
		if dec.Decode(&num) == nil {
			check(t, Assess(num, opts, now))
		}
	})
}

func check(t *testing.T, a Assessment) {
	t.Helper()
	if _, err := json.Marshal(a); err != nil {
		t.Fatalf("marshal: %v", err)
	}
	if a.APPI.Categories == nil || a.APPI.Reasons == nil || a.Deadlines == nil || a.Contradictions == nil {
		t.Fatal("nil list in assessment")
	}
	if a.APPI.Status == StatusReportable && a.APPI.FinalDays == nil {
		t.Fatal("reportable without final_days")
	}
	if len(a.Contradictions) > 0 && len(a.APPI.Categories) == 0 && a.APPI.Status == StatusNotReportable {
		t.Fatal("not_reportable despite contradictions")
	}
}
