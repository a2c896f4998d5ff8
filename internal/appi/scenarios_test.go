package appi

import (
	"reflect"
	"testing"
	"time"
)

type wantDeadline struct {
	due   string
	state string
}

// The worked scenarios of domain.md §6.
func TestScenarios(t *testing.T) {
	tests := []struct {
		name       string
		facts      Facts
		now        time.Time
		status     Status
		cats       []string
		exemptions []string
		finalDays  int
		notice     bool
		thirty     bool
		deadlines  map[string]wantDeadline
	}{
		{
			name: "S1 mis-sent email, 100 customers", facts: s1(), now: jst(2026, 2, 9, 10, 0),
			status: StatusNotReportable, thirty: true,
			deadlines: map[string]wantDeadline{
				KindFirstInternalReport: {"2026-02-09T09:30:00+09:00", StateMet},
			},
		},
		{
			name: "S1b verified unviewed", facts: with(s1(), "recovered_unviewed", true), now: jst(2026, 2, 9, 10, 0),
			status: StatusNotReportable, exemptions: []string{ExNotALeak}, thirty: true,
			deadlines: map[string]wantDeadline{
				KindFirstInternalReport: {"2026-02-09T09:30:00+09:00", StateMet},
			},
		},
		{
			name: "S2a lost USB, not encrypted", facts: s2a(), now: s2aNow,
			status: StatusReportable, cats: []string{CatOver1000}, finalDays: 30, notice: true, thirty: true,
			deadlines: map[string]wantDeadline{
				KindFirstInternalReport: {"2026-04-30T23:10:00+09:00", StateMissed},
				KindPrelimTarget:        {"2026-05-02", StateOpen},
				KindPrelimOuter:         {"2026-05-04", StateOpen},
				KindFinalReport:         {"2026-05-29", StateOpen},
				KindNoticeDecision:      {"2026-05-04", StateOpen},
			},
		},
		{
			name: "S2a edge: password ZIP is not high-level encryption",
			facts: with(s2a(), "encryption", "password_only", "encryption_algorithm", "ZipCrypto", "key_separated", false,
				"key_compromised", "yes"),
			now: s2aNow, status: StatusReportable, cats: []string{CatOver1000}, finalDays: 30, notice: true, thirty: true,
			deadlines: map[string]wantDeadline{
				KindFirstInternalReport: {"2026-04-30T23:10:00+09:00", StateMissed},
				KindPrelimTarget:        {"2026-05-02", StateOpen},
				KindPrelimOuter:         {"2026-05-04", StateOpen},
				KindFinalReport:         {"2026-05-29", StateOpen},
				KindNoticeDecision:      {"2026-05-04", StateOpen},
			},
		},
		{
			name: "S2b AES-256, key held separately",
			facts: with(s2a(), "encryption", "high_level", "encryption_algorithm", "AES-256", "key_separated", true,
				"key_compromised", "no"),
			now: s2aNow, status: StatusNotReportable, exemptions: []string{ExHighEncryption}, thirty: true,
			deadlines: map[string]wantDeadline{
				KindFirstInternalReport: {"2026-04-30T23:10:00+09:00", StateMissed},
			},
		},
		{
			name: "S3 insider sells the customer list", facts: s3(), now: jst(2026, 3, 5, 11, 0),
			status: StatusReportable, cats: []string{CatWrongful, CatOver1000}, finalDays: 60, notice: true, thirty: true,
			deadlines: map[string]wantDeadline{
				KindFirstInternalReport: {"2026-03-05T10:45:00+09:00", StateMissed},
				KindPrelimTarget:        {"2026-03-07", StateOpen},
				KindPrelimOuter:         {"2026-03-09", StateOpen},
				KindFinalReport:         {"2026-05-07", StateOpen},
				KindNoticeDecision:      {"2026-03-09", StateOpen},
			},
		},
		{
			name:  "S3 conservative variant: known on the complaint date",
			facts: with(s3(), "recognized_at", "2026-03-02T14:00:00+09:00", "reported_to_soumu_at", "2026-03-02T14:20:00+09:00"),
			now:   jst(2026, 3, 5, 11, 0), status: StatusReportable, cats: []string{CatWrongful, CatOver1000}, finalDays: 60, notice: true, thirty: true,
			deadlines: map[string]wantDeadline{
				KindFirstInternalReport: {"2026-03-02T14:30:00+09:00", StateMet},
				KindPrelimTarget:        {"2026-03-04", StateMissed},
				KindPrelimOuter:         {"2026-03-06", StateOpen},
				KindFinalReport:         {"2026-04-30", StateOpen},
				KindNoticeDecision:      {"2026-03-06", StateOpen},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Assess(tt.facts, DefaultOptions(), tt.now)
			if a.APPI.Status != tt.status {
				t.Errorf("status %s, want %s; reasons %v", a.APPI.Status, tt.status, a.APPI.Reasons)
			}
			if !reflect.DeepEqual(a.APPI.Categories, orEmpty(tt.cats)) {
				t.Errorf("categories %v, want %v", a.APPI.Categories, tt.cats)
			}
			if !reflect.DeepEqual(a.APPI.Exemptions, orEmpty(tt.exemptions)) {
				t.Errorf("exemptions %v, want %v", a.APPI.Exemptions, tt.exemptions)
			}
			if (tt.finalDays == 0) != (a.APPI.FinalDays == nil) || (a.APPI.FinalDays != nil && *a.APPI.FinalDays != tt.finalDays) {
				t.Errorf("final_days %v, want %d", a.APPI.FinalDays, tt.finalDays)
			}
			if a.APPI.NoticeRequired != tt.notice || a.ThirtyMinuteRule != tt.thirty {
				t.Errorf("notice %v thirty %v", a.APPI.NoticeRequired, a.ThirtyMinuteRule)
			}
			if a.MyNumber.Status != StatusNotReportable || a.MyNumber.Applicable {
				t.Errorf("My Number: %s applicable=%v", a.MyNumber.Status, a.MyNumber.Applicable)
			}
			if len(a.Contradictions) != 0 {
				t.Errorf("unexpected contradictions %v", a.Contradictions)
			}
			if len(a.Deadlines) != len(tt.deadlines) {
				t.Errorf("got %d deadlines, want %d: %+v", len(a.Deadlines), len(tt.deadlines), a.Deadlines)
			}
			for kind, w := range tt.deadlines {
				dl, ok := a.Deadline(kind)
				if !ok {
					t.Errorf("missing %s", kind)
					continue
				}
				if dl.Due != w.due || dl.State != w.state {
					t.Errorf("%s: %s %s, want %s %s", kind, dl.Due, dl.State, w.due, w.state)
				}
				if dl.Basis == "" || dl.LabelJA == "" || dl.LabelEN == "" {
					t.Errorf("%s: basis or labels missing", kind)
				}
			}
		})
	}
}

// S2a: the next-morning report is late by 9h50m.
func TestS2a_FirstReportLateBy(t *testing.T) {
	a := Assess(s2a(), DefaultOptions(), s2aNow)
	fi, _ := a.Deadline(KindFirstInternalReport)
	if fi.MissedBySeconds == nil || *fi.MissedBySeconds != int64((9*time.Hour+50*time.Minute)/time.Second) {
		t.Errorf("missed_by_seconds = %v", fi.MissedBySeconds)
	}
	fr, _ := a.Deadline(KindFinalReport)
	if fr.Day != 30 || fr.ShiftedFrom != nil {
		t.Errorf("final: day %d shifted %v", fr.Day, fr.ShiftedFrom)
	}
}

// S3: day 60 is Sunday 5/3; 5/4, 5/5 and 5/6 are closed too.
func TestS3_FinalShiftedPastGoldenWeek(t *testing.T) {
	a := Assess(s3(), DefaultOptions(), jst(2026, 3, 5, 11, 0))
	fr, _ := a.Deadline(KindFinalReport)
	if fr.ShiftedFrom == nil || fr.ShiftedFrom.String() != "2026-05-03" || fr.Day != 60 {
		t.Fatalf("shifted_from %v day %d", fr.ShiftedFrom, fr.Day)
	}
	var names []string
	for _, s := range fr.SkippedDays {
		names = append(names, s.Reason)
	}
	if !reflect.DeepEqual(names, []string{"憲法記念日", "みどりの日", "こどもの日", "振替休日"}) {
		t.Errorf("skipped = %v", names)
	}
}
