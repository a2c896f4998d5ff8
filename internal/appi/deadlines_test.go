package appi

import (
	"reflect"
	"testing"
	"time"
)

// The four worked examples of domain.md §3.3.
func TestFinalDue_WorkedExamples(t *testing.T) {
	tests := []struct {
		known   Date
		days    int
		nominal Date
		due     Date
		skipped []Date
	}{
		{d(2026, 4, 30), 30, d(2026, 5, 29), d(2026, 5, 29), nil},
		{d(2026, 3, 5), 60, d(2026, 5, 3), d(2026, 5, 7), []Date{d(2026, 5, 3), d(2026, 5, 4), d(2026, 5, 5), d(2026, 5, 6)}},
		{d(2026, 12, 2), 30, d(2026, 12, 31), d(2027, 1, 4), []Date{d(2026, 12, 31), d(2027, 1, 1), d(2027, 1, 2), d(2027, 1, 3)}},
		{d(2026, 9, 18), 60, d(2026, 11, 16), d(2026, 11, 16), nil},
	}
	for _, tt := range tests {
		due, nominal, skipped, uncovered := shiftDue(JapanCalendar{}, tt.known, tt.days)
		if due != tt.due || nominal != tt.nominal || uncovered {
			t.Errorf("%s +%d: due %s nominal %s uncovered %v; want %s %s", tt.known, tt.days, due, nominal, uncovered, tt.due, tt.nominal)
		}
		var got []Date
		for _, s := range skipped {
			got = append(got, s.Date)
		}
		if !reflect.DeepEqual(got, tt.skipped) {
			t.Errorf("%s: skipped %v, want %v", tt.known, got, tt.skipped)
		}
	}
}

// The same examples end to end through Assess, with the category that gives
// the day count.
func TestAssess_FinalDueThroughFacts(t *testing.T) {
	tests := []struct {
		recognized string
		wrongful   bool
		due        string
		shifted    string
	}{
		{"2026-04-30T22:40:00+09:00", false, "2026-05-29", ""},
		{"2026-03-05T10:15:00+09:00", true, "2026-05-07", "2026-05-03"},
		{"2026-12-02T09:00:00+09:00", false, "2027-01-04", "2026-12-31"},
		{"2026-09-18T17:00:00+09:00", true, "2026-11-16", ""},
	}
	for _, tt := range tests {
		f := with(base(), "recognized_at", tt.recognized, "affected_count", 2000)
		if tt.wrongful {
			f["wrongful_act"] = "yes"
		}
		a := Assess(f, DefaultOptions(), jst(2026, 1, 1, 0, 0).AddDate(1, 0, 0))
		fr, ok := a.Deadline(KindFinalReport)
		if !ok || fr.Due != tt.due {
			t.Errorf("%s: final due %q, want %s", tt.recognized, fr.Due, tt.due)
			continue
		}
		if fr.DueAt.Format(time.RFC3339) != tt.due+"T23:59:59+09:00" {
			t.Errorf("due_at = %s", fr.DueAt.Format(time.RFC3339))
		}
		if (fr.ShiftedFrom == nil) != (tt.shifted == "") || (fr.ShiftedFrom != nil && fr.ShiftedFrom.String() != tt.shifted) {
			t.Errorf("%s: shifted_from %v, want %q", tt.recognized, fr.ShiftedFrom, tt.shifted)
		}
		if !fr.Statutory {
			t.Error("final report must be statutory")
		}
	}
}

func TestFirstInternalReport(t *testing.T) {
	// A single customer's address mis-posted: none of the four 30-minute cases.
	quiet := with(base(), "affected_count", 1, "data_items", []string{"address"})
	tests := []struct {
		name    string
		facts   Facts
		now     time.Time
		thirty  bool
		due     string
		state   string
		missedS int64
	}{
		{"30 minutes, met", with(base(), "reported_to_soumu_at", "2026-04-30T10:25:00+09:00"), baseNow, true, "2026-04-30T10:30:00+09:00", StateMet, 0},
		{"30 minutes, exactly at due is met", with(base(), "reported_to_soumu_at", "2026-04-30T10:30:00+09:00"), baseNow, true, "2026-04-30T10:30:00+09:00", StateMet, 0},
		{"30 minutes, reported late", with(base(), "reported_to_soumu_at", "2026-04-30T10:31:00+09:00"), baseNow, true, "2026-04-30T10:30:00+09:00", StateMissed, 60},
		{"30 minutes, still open", base(), jst(2026, 4, 30, 10, 10), true, "2026-04-30T10:30:00+09:00", StateOpen, 0},
		{"30 minutes, absent after due", base(), jst(2026, 4, 30, 11, 30), true, "2026-04-30T10:30:00+09:00", StateMissed, 3600},
		{"unauthorized access alone triggers it", with(quiet, "unauthorized_access_suspected", "yes"), baseNow, true, "2026-04-30T10:30:00+09:00", StateMissed, 5400},
		{"public disclosure alone triggers it", with(quiet, "public_disclosure_possible", true), baseNow, true, "2026-04-30T10:30:00+09:00", StateMissed, 5400},
		{"9 people: same business day", with(quiet, "affected_count", 9), baseNow, false, "2026-04-30", StateOpen, 0},
		{"same business day on a Saturday moves to Monday", with(quiet, "recognized_at", "2026-05-02T11:00:00+09:00"), jst(2026, 5, 2, 12, 0), false, "2026-05-07", StateOpen, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Assess(tt.facts, DefaultOptions(), tt.now)
			if a.ThirtyMinuteRule != tt.thirty {
				t.Errorf("thirty = %v", a.ThirtyMinuteRule)
			}
			fi, ok := a.Deadline(KindFirstInternalReport)
			if !ok {
				t.Fatal("no first_internal_report")
			}
			if fi.Due != tt.due || fi.State != tt.state {
				t.Errorf("due %s state %s; want %s %s", fi.Due, fi.State, tt.due, tt.state)
			}
			if tt.missedS != 0 && (fi.MissedBySeconds == nil || *fi.MissedBySeconds != tt.missedS) {
				t.Errorf("missed_by_seconds = %v, want %d", fi.MissedBySeconds, tt.missedS)
			}
			if tt.state == StateOpen && (fi.RemainingSeconds == nil || *fi.RemainingSeconds <= 0) {
				t.Errorf("remaining_seconds = %v", fi.RemainingSeconds)
			}
		})
	}
}

func TestInternalReportPolicy_NextBusinessDay(t *testing.T) {
	o := DefaultOptions()
	o.InternalReport = NextBusinessDay
	a := Assess(with(base(), "affected_count", 1), o, baseNow)
	// Known Thu 2026-04-30; Fri 5/1 is open.
	if fi, _ := a.Deadline(KindFirstInternalReport); fi.Due != "2026-05-01" {
		t.Errorf("due %s", fi.Due)
	}
}

func TestNoDeadlinesWithoutRecognizedAt(t *testing.T) {
	a := Assess(with(s2a(), "recognized_at", nil), DefaultOptions(), s2aNow)
	if len(a.Deadlines) != 0 || a.KnownDate != nil {
		t.Errorf("deadlines %v known %v", a.Deadlines, a.KnownDate)
	}
	if !contains(a.APPI.NeedsReview, "recognized_at_not_recorded") {
		t.Errorf("needs_review %v", a.APPI.NeedsReview)
	}
	if a.APPI.Status != StatusReportable {
		t.Errorf("reportability does not depend on recognized_at: %s", a.APPI.Status)
	}
}

func TestPrelimAndNoticeStates(t *testing.T) {
	f := with(s2a(), "prelim_submitted_at", "2026-05-03T15:00:00+09:00", "notice_decision_at", "2026-05-02T10:00:00+09:00",
		"final_submitted_at", "2026-05-28T16:00:00+09:00")
	a := Assess(f, DefaultOptions(), jst(2026, 6, 1, 9, 0))
	want := map[string]string{
		KindPrelimTarget:   StateMissed, // day 3 passed before the filing
		KindPrelimOuter:    StateMet,
		KindFinalReport:    StateMet,
		KindNoticeDecision: StateMet,
	}
	for k, st := range want {
		dl, ok := a.Deadline(k)
		if !ok || dl.State != st {
			t.Errorf("%s: %q, want %s", k, dl.State, st)
		}
	}
	// notice_started_at also meets the notice decision.
	a = Assess(with(s2a(), "notice_started_at", "2026-05-04T10:00:00+09:00"), DefaultOptions(), jst(2026, 6, 1, 9, 0))
	if dl, _ := a.Deadline(KindNoticeDecision); dl.State != StateMet {
		t.Errorf("notice_started_at: %s", dl.State)
	}
}

func TestNotReportable_HasOnlyTheInternalDeadline(t *testing.T) {
	a := Assess(base(), DefaultOptions(), baseNow)
	if len(a.Deadlines) != 1 || a.Deadlines[0].Kind != KindFirstInternalReport {
		t.Errorf("deadlines = %+v", a.Deadlines)
	}
}

func TestEntrustee_PrelimBecomesEntrustorNotice(t *testing.T) {
	f := with(s2a(), "is_entrustee", true, "entrustor_notified_at", "2026-05-02T10:00:00+09:00")
	a := Assess(f, DefaultOptions(), jst(2026, 5, 10, 0, 0))
	if _, ok := a.Deadline(KindFinalReport); ok {
		t.Error("the entrustor files the final report, not the entrustee")
	}
	if _, ok := a.Deadline(KindNoticeDecision); ok {
		t.Error("notice duty released by EX")
	}
	p, ok := a.Deadline(KindPrelimOuter)
	if !ok || p.State != StateMet || p.Basis != basisPrelimEX {
		t.Errorf("prelim outer = %+v", p)
	}
	late := with(s2a(), "is_entrustee", true, "entrustor_notified_at", "2026-05-08T10:00:00+09:00")
	if a := Assess(late, DefaultOptions(), jst(2026, 5, 10, 0, 0)); !contains(a.APPI.NeedsReview, "entrustor_notice_not_prompt") {
		t.Errorf("late entrustor notice not flagged: %v", a.APPI.NeedsReview)
	}
}

// §3.4 conventions, driven by the category history in Options.CategorySince.
func TestLateCategoryTriggers(t *testing.T) {
	t.Run("category 4 as first trigger counts from the crossing date", func(t *testing.T) {
		o := DefaultOptions()
		o.CategorySince = map[string]Date{CatOver1000: d(2026, 4, 10)}
		a := Assess(with(s2a(), "recognized_at", "2026-04-01T09:00:00+09:00"), o, s2aNow)
		fr, _ := a.Deadline(KindFinalReport)
		if fr.Due != "2026-05-11" { // 4/10 + 29 = 5/9 (Sat) → 5/11
			t.Errorf("final due %s", fr.Due)
		}
		if p, _ := a.Deadline(KindPrelimTarget); p.Due != "2026-04-12" {
			t.Errorf("prelim target %s", p.Due)
		}
		if !contains(a.APPI.NeedsReview, "late_trigger_anchor_appi") {
			t.Errorf("needs_review %v", a.APPI.NeedsReview)
		}
	})
	t.Run("category 4 added to an earlier category keeps the known date", func(t *testing.T) {
		o := DefaultOptions()
		o.CategorySince = map[string]Date{CatSensitive: d(2026, 4, 1), CatOver1000: d(2026, 4, 20)}
		f := with(s2a(), "recognized_at", "2026-04-01T09:00:00+09:00", "data_items", []string{"medical_history", "name"})
		a := Assess(f, DefaultOptions(), s2aNow)
		b := Assess(f, o, s2aNow)
		x, _ := a.Deadline(KindFinalReport)
		y, _ := b.Deadline(KindFinalReport)
		if x.Due != y.Due || x.Due != "2026-04-30" {
			t.Errorf("due %s vs %s", x.Due, y.Due)
		}
	})
	t.Run("category 3 found later keeps the 30-day date as target", func(t *testing.T) {
		o := DefaultOptions()
		o.CategorySince = map[string]Date{CatOver1000: d(2026, 4, 30), CatWrongful: d(2026, 5, 10)}
		a := Assess(with(s2a(), "route", "media_stolen"), o, s2aNow)
		fr, _ := a.Deadline(KindFinalReport)
		if *a.APPI.FinalDays != 60 || fr.Due != "2026-05-29" || fr.OuterDue == nil || fr.OuterDue.String() != "2026-06-29" {
			t.Errorf("final %s outer %v days %d", fr.Due, fr.OuterDue, *a.APPI.FinalDays)
		}
		if !contains(a.APPI.NeedsReview, "late_category_3_appi") {
			t.Errorf("needs_review %v", a.APPI.NeedsReview)
		}
	})
}

func TestDeadlineHelpers(t *testing.T) {
	a := Assess(s2a(), DefaultOptions(), s2aNow)
	fr, _ := a.Deadline(KindFinalReport)
	if got := fr.Remaining(s2aNow); got != fr.DueAt.Sub(s2aNow) || got <= 0 {
		t.Errorf("Remaining = %v", got)
	}
	if fr.Overdue(s2aNow) || !fr.Overdue(fr.DueAt.Add(time.Second)) {
		t.Error("Overdue wrong")
	}
	next, ok := a.NextOpen()
	if !ok || next.Kind != KindPrelimTarget {
		t.Errorf("NextOpen = %s", next.Kind)
	}
	if m := a.Missed(); len(m) != 1 || m[0].Kind != KindFirstInternalReport {
		t.Errorf("Missed = %v", m)
	}
	if !a.Reportable() || a.Undetermined() {
		t.Error("Reportable/Undetermined wrong")
	}
}
