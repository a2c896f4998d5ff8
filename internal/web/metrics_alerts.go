package web

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/store"
)

// alertCollector exports, at scrape time, what the company's monitoring must not miss (issue 17):
// deadlines overdue and due within a day, River jobs retrying or discarded, and how far the chain
// anchor is behind. Labels are deadline kinds, job kinds and states only — never a case id,
// number, name or address. The deadlines are case_deadlines, which the case hook writes from the
// law engine's assessment (reminder.syncIndex): the law is not worked out again here.
type alertCollector struct {
	st  *store.Store
	now func() time.Time
	log *slog.Logger
}

var (
	alertOverdue = prometheus.NewDesc("leakdesk_deadlines_overdue",
		"Unmet deadlines of open cases whose due time has passed, by deadline kind (drill: a training case).", []string{"kind", "drill"}, nil)
	alertDueDay = prometheus.NewDesc("leakdesk_deadlines_due_within_24h",
		"Unmet deadlines of open cases due within the next 24 hours, by deadline kind.", []string{"kind", "drill"}, nil)
	alertJobs = prometheus.NewDesc("leakdesk_jobs",
		"Background jobs (reminders, alerts, webhook deliveries) retrying or discarded after their last attempt, by job kind.", []string{"kind", "state"}, nil)
	alertAnchorAge = prometheus.NewDesc("leakdesk_chain_last_anchor_age_seconds",
		"Seconds since the newest chain anchor was written (-1: none yet). Anchors are written only when something changed.", nil, nil)
	alertUnanchored = prometheus.NewDesc("leakdesk_chain_unanchored_age_seconds",
		"Seconds since the oldest case change that no anchor covers yet (0: everything is anchored).", nil, nil)
	alertUp = prometheus.NewDesc("leakdesk_alert_facts_up",
		"1 when the alert figures above could be read from the database at this scrape, 0 when not.", nil, nil)
)

// alertKinds are the deadline kinds always exported (0 when none), so a dashboard shows a zero
// rather than no data.
var alertKinds = []string{appi.KindFirstInternalReport, appi.KindPrelimTarget, appi.KindPrelimOuter,
	appi.KindFinalReport, appi.KindNoticeDecision}

// alertJobStates are the River states exported for every kind that has a job in one of them.
var alertJobStates = []string{"retryable", "discarded"}

func (c alertCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{alertOverdue, alertDueDay, alertJobs, alertAnchorAge, alertUnanchored, alertUp} {
		ch <- d
	}
}

func (c alertCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := c.now()
	f, err := c.st.AlertFacts(ctx, now)
	if err != nil {
		// The rest of /metrics still answers; the alert on leakdesk_alert_facts_up says why not.
		c.log.Warn("alert figures not read", "err", err)
		ch <- prometheus.MustNewConstMetric(alertUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(alertUp, prometheus.GaugeValue, 1)
	type key struct {
		kind  string
		drill bool
	}
	seen := map[key]bool{}
	for _, d := range f.Deadlines {
		k := key{d.Kind, d.Drill}
		seen[k] = true
		ch <- prometheus.MustNewConstMetric(alertOverdue, prometheus.GaugeValue, float64(d.Overdue), d.Kind, boolLabel(d.Drill))
		ch <- prometheus.MustNewConstMetric(alertDueDay, prometheus.GaugeValue, float64(d.DueDay), d.Kind, boolLabel(d.Drill))
	}
	for _, kind := range alertKinds {
		for _, drill := range []bool{false, true} {
			if !seen[key{kind, drill}] {
				ch <- prometheus.MustNewConstMetric(alertOverdue, prometheus.GaugeValue, 0, kind, boolLabel(drill))
				ch <- prometheus.MustNewConstMetric(alertDueDay, prometheus.GaugeValue, 0, kind, boolLabel(drill))
			}
		}
	}
	jobs := map[string]map[string]int64{}
	for _, j := range f.Jobs {
		if jobs[j.Kind] == nil {
			jobs[j.Kind] = map[string]int64{}
		}
		jobs[j.Kind][j.State] = j.N
	}
	for kind, states := range jobs {
		for _, st := range alertJobStates {
			ch <- prometheus.MustNewConstMetric(alertJobs, prometheus.GaugeValue, float64(states[st]), kind, st)
		}
	}
	age := -1.0
	if !f.LastAnchorAt.IsZero() {
		age = now.Sub(f.LastAnchorAt).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(alertAnchorAge, prometheus.GaugeValue, age)
	behind := 0.0
	if !f.OldestUnanchoredAt.IsZero() {
		behind = max(0, now.Sub(f.OldestUnanchoredAt).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(alertUnanchored, prometheus.GaugeValue, behind)
}

func boolLabel(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
