package audit

import (
	"sort"
	"time"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// History is one case's stored history, for the figures.
type History struct {
	Events []incident.Event
}

// Count is one bar of a categorical figure.
type Count struct {
	Key    string
	JA, EN string
	N      int
}

// DurationStat summarises the time from recognition to one milestone over the cases that reached
// it.
type DurationStat struct {
	Key          string
	JA, EN       string
	N            int // cases that reached the milestone
	Mean, Median time.Duration
	Max          time.Duration
}

// DeadlineStat counts one kind of deadline by outcome.
type DeadlineStat struct {
	Kind              string
	JA, EN            string
	Met, Missed, Open int
}

// StageTime is the time cases spent in one stage (in progress or awaiting approval), over the
// cases where the stage is finished.
type StageTime struct {
	Stage        incident.Stage
	N            int
	Mean, Median time.Duration
}

// CaseFigures is one case's line of the review (also a CSV row).
type CaseFigures struct {
	CaseID        int64
	Number, Title string
	Drill         bool
	Status        incident.CaseStatus
	Route, Cause  string
	DataItems     []string
	Reportability string
	RecognizedAt  time.Time // zero when not recorded
	ToFirstReport *time.Duration
	ToPrelim      *time.Duration
	ToFinal       *time.Duration
	Missed        int
	PlanRecorded  bool
	MeasuresDone  bool
}

// Review is the management review's figures (SEED004 Art. 46) over a set of cases.
type Review struct {
	Cases           int
	Drills          int // drills among Cases (only when the caller included them)
	ByRoute         []Count
	ByCause         []Count
	ByDataKind      []Count
	ByReportability []Count
	Durations       []DurationStat
	Deadlines       []DeadlineStat
	StageTimes      []StageTime
	// Recurrence measures, from the facts: a plan recorded, the stage approved as done, and an
	// effectiveness review scheduled.
	PlanRecorded, MeasuresDone, ReviewScheduled int
	Rows                                        []CaseFigures
}

// Figures replays each history and computes the review figures at now (deadlines still open are
// judged at now). Histories that do not replay are skipped and returned in bad.
func Figures(hs []History, law appi.Options, now time.Time) (r Review, bad []int64) {
	routes, causes, kinds, rep := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	durs := map[string][]time.Duration{}
	dl := map[string]*DeadlineStat{}
	stageDurs := map[incident.Stage][]time.Duration{}
	for _, h := range hs {
		c, spent, err := replayTimed(h.Events, now)
		if err != nil {
			if len(h.Events) > 0 {
				bad = append(bad, toInt(h.Events[0].Payload["case_id"]))
			}
			continue
		}
		r.Cases++
		if c.Drill {
			r.Drills++
		}
		f := appi.Facts(c.Facts)
		row := CaseFigures{CaseID: c.ID, Number: c.Number, Title: c.Title, Drill: c.Drill, Status: c.Status}
		row.Route = c.Facts.Str("route")
		if row.Route == "" {
			row.Route = c.Facts.Str("suspected_route")
		}
		row.Cause = c.Facts.Str("cause_category")
		row.DataItems = c.Facts.Set("data_items")
		if len(row.DataItems) == 0 {
			row.DataItems = c.Facts.Set("suspected_data_items")
		}
		a := appi.Assess(f, law, now)
		row.Reportability = string(a.APPI.Status)
		if a.Reportable() {
			row.Reportability = string(appi.StatusReportable)
		}
		routes[orUnknown(row.Route)]++
		causes[orUnknown(row.Cause)]++
		for _, k := range row.DataItems {
			kinds[k]++
		}
		if len(row.DataItems) == 0 {
			kinds["unknown"]++
		}
		rep[orUnknown(row.Reportability)]++
		if rec, ok := appi.DateTime(f, "recognized_at"); ok {
			row.RecognizedAt = rec
			for _, m := range milestones {
				if t, ok := appi.DateTime(f, m.fact); ok && !t.Before(rec) {
					d := t.Sub(rec)
					durs[m.key] = append(durs[m.key], d)
					switch m.key {
					case "first_report":
						row.ToFirstReport = &d
					case "prelim":
						row.ToPrelim = &d
					case "final":
						row.ToFinal = &d
					}
				}
			}
		}
		for _, d := range a.Deadlines {
			st := dl[d.Kind]
			if st == nil {
				st = &DeadlineStat{Kind: d.Kind, JA: d.LabelJA, EN: d.LabelEN}
				dl[d.Kind] = st
			}
			switch d.State {
			case appi.StateMet:
				st.Met++
			case appi.StateMissed:
				st.Missed++
				row.Missed++
			default:
				st.Open++
			}
		}
		for s, d := range spent {
			if c.StateOf(s).Finished() {
				stageDurs[s] = append(stageDurs[s], d)
			}
		}
		if c.Facts.Str("recurrence_plan_summary") != "" {
			r.PlanRecorded++
			row.PlanRecorded = true
		}
		if c.StateOf(incident.StageRecurrencePrevention) == incident.StateDone {
			r.MeasuresDone++
			row.MeasuresDone = true
		}
		if c.Facts["effectiveness_review_at"] != nil {
			r.ReviewScheduled++
		}
		r.Rows = append(r.Rows, row)
	}
	r.ByRoute = counts(routes, func(k string) (string, string) { return incident.OptionLabel("route", k) })
	r.ByCause = counts(causes, func(k string) (string, string) { return incident.OptionLabel("cause_category", k) })
	r.ByDataKind = counts(kinds, func(k string) (string, string) { return incident.OptionLabel("data_items", k) })
	r.ByReportability = counts(rep, func(k string) (string, string) {
		if k == "unknown" {
			return "評価なし", "No assessment"
		}
		return reportabilityJA(k), k
	})
	for _, m := range milestones {
		ds := durs[m.key]
		st := DurationStat{Key: m.key, JA: m.ja, EN: m.en, N: len(ds)}
		st.Mean, st.Median, st.Max = stats(ds)
		r.Durations = append(r.Durations, st)
	}
	for _, k := range deadlineOrder {
		if st := dl[k]; st != nil {
			r.Deadlines = append(r.Deadlines, *st)
		}
	}
	for _, s := range incident.Stages {
		ds := stageDurs[s]
		st := StageTime{Stage: s, N: len(ds)}
		st.Mean, st.Median, _ = stats(ds)
		r.StageTimes = append(r.StageTimes, st)
	}
	return r, bad
}

var milestones = []struct{ key, fact, ja, en string }{
	{"first_report", "reported_to_soumu_at", "認知から総務部への第一報まで", "Recognition to first internal report"},
	{"prelim", "prelim_submitted_at", "認知から速報まで", "Recognition to preliminary report"},
	{"final", "final_submitted_at", "認知から確報まで", "Recognition to final report"},
}

var deadlineOrder = []string{appi.KindFirstInternalReport, appi.KindPrelimTarget, appi.KindPrelimOuter, appi.KindFinalReport, appi.KindNoticeDecision}

// replayTimed replays a history and measures, per stage, the time it was active (in progress or
// awaiting approval), summed over reopenings; a stage still active is counted up to now.
func replayTimed(events []incident.Event, now time.Time) (*incident.Case, map[incident.Stage]time.Duration, error) {
	c := &incident.Case{}
	since := map[incident.Stage]time.Time{}
	spent := map[incident.Stage]time.Duration{}
	for _, e := range events {
		before := map[incident.Stage]bool{}
		for _, s := range incident.Stages {
			before[s] = active(c.StateOf(s)) && c.Version > 0
		}
		if err := c.Apply(e); err != nil {
			return nil, nil, err
		}
		for _, s := range incident.Stages {
			now := active(c.StateOf(s))
			switch {
			case now && !before[s]:
				since[s] = e.At
			case !now && before[s]:
				spent[s] += e.At.Sub(since[s])
			}
		}
	}
	if c.Version == 0 {
		return nil, nil, incident.NotFound("案件が見つかりません。", "case not found")
	}
	for _, s := range incident.Stages {
		if active(c.StateOf(s)) {
			spent[s] += now.Sub(since[s])
		}
	}
	return c, spent, nil
}

func active(s incident.StageState) bool {
	return s == incident.StateInProgress || s == incident.StateAwaitingApproval
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func counts(m map[string]int, label func(string) (string, string)) []Count {
	out := make([]Count, 0, len(m))
	for k, n := range m {
		ja, en := "未記録", "Not recorded"
		if k != "unknown" {
			ja, en = label(k)
		}
		out = append(out, Count{Key: k, JA: ja, EN: en, N: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Key < out[j].Key
	})
	return out
}

func stats(ds []time.Duration) (mean, median, max time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	mid := len(s) / 2
	median = s[mid]
	if len(s)%2 == 0 {
		median = (s[mid-1] + s[mid]) / 2
	}
	return sum / time.Duration(len(s)), median, s[len(s)-1]
}
