// Package reminder keeps the deadlines index (case_deadlines) current and sends reminder e-mails
// before and after each deadline, and for approval requests left waiting, through River (durable
// jobs in PostgreSQL).
//
// How it fits together:
//   - A store.CaseHook, run inside every case-change transaction, rewrites the case's rows of
//     case_deadlines from the latest assessment_changed payload and inserts the reminder jobs in
//     the same transaction (River InsertTx): a committed change always has its reminders, a rolled
//     back one never does.
//   - Jobs are unique by (case, deadline kind, due time, reminder) while they exist; the
//     reminders_sent table, written in the job's own transaction before the mail goes out, makes
//     each reminder go out once even across River's cleanup, restarts and several instances.
//   - A job re-reads the index when it runs: met, closed, moved (stale due time) → nothing is sent.
//   - Sending fails → the transaction rolls back and River retries with capped backoff; the job is
//     never dropped silently (after MaxAttempts it is "discarded" and listed on /admin/jobs).
//   - Mails carry only the case number, the deadline and its due time — never names or facts.
//   - Drill cases remind only their own handler, never the managers.
package reminder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/mail"
	"github.com/leakdesk/leakdesk/internal/store"
)

// Queue is the River queue of reminder jobs.
const Queue = "reminders"

// Reminder labels stored in reminders_sent and shown on /admin/jobs.
const (
	LabelMissed  = "missed"
	LabelWaiting = "waiting_4wh"
)

// Config tunes a Service. Zero values take the defaults noted.
type Config struct {
	SMTPURL  string // SMTP_URL; empty: reminders stay queued and are retried
	MailFrom string // LEAKDESK_MAIL_FROM
	BaseURL  string // LEAKDESK_BASE_URL, for the link in the mail
	// Offsets are how long before each open deadline a reminder goes out (default 24h and 2h). A
	// "missed" reminder goes out when the deadline passes unmet, always.
	Offsets []time.Duration
	// WaitingWorkHours is how long (in business hours, 9–18 JST on open days) an approval request
	// may wait before the approvers are reminded (default 4h).
	WaitingWorkHours time.Duration
	// Law holds the law engine's options (calendar, offsets), as in casework.Service.Law.
	Law appi.Options
	// MaxWorkers is the number of reminder jobs one instance works at once (default 4).
	MaxWorkers int
	// MaxAttempts before a job is discarded (default 2000: with the retry cap of 10 minutes, about
	// two weeks of an unreachable mail server).
	MaxAttempts int
	Logger      *slog.Logger
	// Now is an injected clock for tests; it also drives River's own notion of time (scheduling,
	// retries). Nil in production.
	Now func() time.Time
	// Sender overrides the SMTP sender built from SMTPURL (tests).
	Sender mail.Sender
	// FetchPollInterval overrides River's poll interval (tests).
	FetchPollInterval time.Duration
	// LoginRetention is how long login attempts are kept; older ones are deleted by an hourly
	// periodic job (prune.go). 0 disables the job.
	LoginRetention time.Duration
	// GrantNoticeInterval is how often admin events are checked for grants to announce (grants.go;
	// default a minute).
	GrantNoticeInterval time.Duration
	// RuleReviewInterval is how often the rule book's yearly review reminder is checked
	// (rulereview.go; default an hour).
	RuleReviewInterval time.Duration
	// CompensationExecutiveAbove is the compensation total (yen) above which the CEO approves
	// (LEAKDESK_COMPENSATION_CEO_ABOVE; 0 = the domain default): request notices work out the next
	// slot as the case service does.
	CompensationExecutiveAbove int64
	// MyNumberOfficers are the addresses of the person responsible for My Number handling
	// (事務取扱責任者, SEED003 3条3項), alerted with 総務部 to a first report that may involve My
	// Number (LEAKDESK_MYNUMBER_OFFICER_EMAIL).
	MyNumberOfficers []string
	// OnDeadlineReminder, when set, runs in the transaction of every deadline reminder that goes
	// out (before its mail), so other systems hear "deadline near / missed" exactly when the
	// people do (the webhook package's EnqueueDeadlineTx). An error rolls the reminder back.
	OnDeadlineReminder func(ctx context.Context, tx pgx.Tx, caseID int64, number string, drill bool, deadline string, dueAt time.Time, reminder string) error
	// Metrics, when set, gets the counter of failed mail sends (leakdesk_mail_send_failures_total;
	// serve passes the registry /metrics serves).
	Metrics prometheus.Registerer
	// NoHook skips registering the case hook: for a second worker instance in a test process whose
	// changes go through another Store.
	NoHook bool
}

// Service runs the reminder workers and answers the dashboard's and the admin page's queries.
type Service struct {
	*Reader
	cfg    Config
	store  *store.Store
	pool   *pgxpool.Pool
	client *river.Client[pgx.Tx]
	sender mail.Sender
	log    *slog.Logger
	now    func() time.Time
}

// New builds the Service on st's pool, registers its case hook on st (unless cfg.NoHook) and
// prepares, but does not start, the River workers. River's tables must exist (Migrate).
func New(st *store.Store, cfg Config) (*Service, error) {
	if len(cfg.Offsets) == 0 {
		cfg.Offsets = incident.DefaultRules().Set.Offsets()
	}
	for _, o := range cfg.Offsets {
		if o <= 0 {
			return nil, fmt.Errorf("reminder: offset %s is not positive", o)
		}
	}
	if cfg.WaitingWorkHours <= 0 {
		cfg.WaitingWorkHours = 4 * time.Hour
	}
	if cfg.MaxWorkers <= 0 {
		cfg.MaxWorkers = 4
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 2000
	}
	if cfg.Law.Calendar == nil {
		cfg.Law = incident.DefaultRules().Law
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	sender := cfg.Sender
	if sender == nil {
		var err error
		if sender, err = mail.NewSMTP(cfg.SMTPURL, cfg.MailFrom); err != nil {
			return nil, fmt.Errorf("reminder: %w", err)
		}
	}
	failures := prometheus.NewCounter(prometheus.CounterOpts{Name: "leakdesk_mail_send_failures_total",
		Help: "Mail sends (reminders, first-report alerts, notices, digests) the SMTP server refused or that could not reach it."})
	if cfg.Metrics != nil {
		if err := cfg.Metrics.Register(failures); err != nil {
			return nil, fmt.Errorf("reminder: register mail failure counter: %w", err)
		}
	}
	sender = mail.Counted(sender, failures.Inc)
	s := &Service{cfg: cfg, pool: st.Pool, store: st, sender: sender, log: log, now: time.Now}
	if cfg.Now != nil {
		s.now = cfg.Now
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &deadlineWorker{s: s})
	river.AddWorker(workers, &waitingWorker{s: s})
	river.AddWorker(workers, &digestWorker{s: s})
	river.AddWorker(workers, &pruneLoginsWorker{s: s})
	river.AddWorker(workers, &notifyGrantsWorker{s: s})
	river.AddWorker(workers, &noticeWorker{s: s})
	river.AddWorker(workers, &firstReportWorker{s: s})
	river.AddWorker(workers, &ruleReviewWorker{s: s})
	rc := &river.Config{
		PeriodicJobs: append(pruneLoginsJob(cfg.LoginRetention), notifyGrantsJob(cfg.GrantNoticeInterval)),
		Queues:       map[string]river.QueueConfig{Queue: {MaxWorkers: cfg.MaxWorkers}},
		Workers:      workers,
		MaxAttempts:  cfg.MaxAttempts,
		RetryPolicy:  cappedRetry{now: s.now},
		JobTimeout:   time.Minute,
		Logger:       log.With("component", "river"),
		// Completed jobs are kept a week so /admin/jobs and an investigation can see them.
		CompletedJobRetentionPeriod: 7 * 24 * time.Hour,
		FetchPollInterval:           cfg.FetchPollInterval,
	}
	rc.PeriodicJobs = append(rc.PeriodicJobs, s.digestJob(), ruleReviewJob(cfg.RuleReviewInterval))
	if cfg.Now != nil {
		rc.Test.Time = clock(cfg.Now)
	}
	client, err := river.NewClient(riverpgxv5.New(st.Pool), rc)
	if err != nil {
		return nil, fmt.Errorf("reminder: river client: %w", err)
	}
	s.client = client
	s.Reader = &Reader{store: st, client: client}
	if !cfg.NoHook {
		st.CaseHooks = append(st.CaseHooks, s.hook)
	}
	return s, nil
}

// Start starts working reminder jobs; it returns once the workers run.
func (s *Service) Start(ctx context.Context) error {
	if err := s.client.Start(ctx); err != nil {
		return fmt.Errorf("reminder: start: %w", err)
	}
	return nil
}

// Stop lets running jobs finish (until ctx ends) and stops the workers.
func (s *Service) Stop(ctx context.Context) error {
	if err := s.client.Stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("reminder: stop: %w", err)
	}
	return nil
}

// Migrate creates or upgrades River's tables (river_job and friends). `leakdesk migrate up` must
// call it after the goose migrations.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return fmt.Errorf("reminder: river migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("reminder: river migrate: %w", err)
	}
	return nil
}

// clock adapts an injected clock to River's TimeGenerator, stubbed so that River's SQL uses it too.
type clock func() time.Time

func (c clock) Now() time.Time { return c() }
func (c clock) NowOrNil() *time.Time {
	t := c().UTC()
	return &t
}

// cappedRetry is River's attempt⁴-seconds backoff capped at 10 minutes: a mail server that is down
// for hours is retried every 10 minutes rather than once a day.
type cappedRetry struct{ now func() time.Time }

func (p cappedRetry) NextRetry(job *rivertype.JobRow) time.Time {
	n := time.Duration(job.Attempt)
	wait := n * n * n * n * time.Second
	if wait > 10*time.Minute || wait <= 0 {
		wait = 10 * time.Minute
	}
	return p.now().Add(wait)
}

// hook runs in the transaction of every case change.
func (s *Service) hook(ctx context.Context, tx pgx.Tx, c *incident.Case, events []incident.Event) error {
	now := c.UpdatedAt
	if now.IsZero() {
		now = s.now()
	}
	var assessSeq int64
	statusChanged := false
	var submitted []int64
	opened := false
	for _, e := range events {
		switch e.Type {
		case incident.EventCaseOpened:
			opened = true
		case incident.EventAssessmentChanged:
			assessSeq = e.Seq
		case incident.EventCaseClosed, incident.EventCaseReopened, incident.EventOwnerAssigned:
			statusChanged = true
		case incident.EventRequestSubmitted:
			if id, ok := payloadInt(e.Payload, "request_id"); ok {
				submitted = append(submitted, id)
			}
		}
	}
	if assessSeq != 0 {
		if err := syncIndex(ctx, tx, c, assessSeq, c.LawOptions(s.cfg.Law), now); err != nil {
			return err
		}
	} else if statusChanged {
		if err := syncCaseColumns(ctx, tx, c); err != nil {
			return err
		}
	}
	var params []river.InsertManyParams
	if c.Status == incident.StatusOpen && (assessSeq != 0 || statusChanged) {
		dls, err := openDeadlines(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		for _, d := range dls {
			params = append(params, s.deadlineJobs(c.ID, d.Kind, d.DueAt, now)...)
		}
	}
	for _, id := range submitted {
		r := c.Request(id)
		if r == nil {
			continue
		}
		due := AddWorkingHours(r.RequestedAt, s.cfg.WaitingWorkHours, s.cfg.Law.Calendar).UTC().Truncate(time.Second)
		params = append(params, river.InsertManyParams{
			Args:       WaitingArgs{CaseID: c.ID, RequestID: id, DueAt: due},
			InsertOpts: s.insertOpts(due, now),
		})
	}
	params = append(params, noticeJobs(s, c, events)...)
	if opened {
		alert, err := firstReportAlert(ctx, tx, c.ID, now)
		if err != nil {
			return err
		}
		params = append(params, alert...)
	}
	if len(params) == 0 {
		return nil
	}
	if _, err := s.client.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("reminder: schedule for case %d: %w", c.ID, err)
	}
	return nil
}

// deadlineJobs plans the reminders of one open deadline as seen at now: one per offset still ahead,
// the most urgent offset at once when the deadline is already inside every window still open
// (a 30-minute deadline gets its "2 hours" reminder immediately), and the "missed" one at the
// deadline. Inserting them again is harmless: River keeps one job per unique key.
func (s *Service) deadlineJobs(caseID int64, kind string, dueAt, now time.Time) []river.InsertManyParams {
	dueAt = dueAt.UTC().Truncate(time.Second)
	var out []river.InsertManyParams
	add := func(label string, at time.Time) {
		out = append(out, river.InsertManyParams{
			Args:       DeadlineArgs{CaseID: caseID, Deadline: kind, DueAt: dueAt, Reminder: label},
			InsertOpts: s.insertOpts(at, now),
		})
	}
	if !now.Before(dueAt) {
		add(LabelMissed, now)
		return out
	}
	var passed time.Duration // the smallest offset whose moment has already come
	for _, off := range s.cfg.Offsets {
		at := dueAt.Add(-off)
		if at.After(now) {
			add(OffsetLabel(off), at)
		} else if passed == 0 || off < passed {
			passed = off
		}
	}
	if passed != 0 {
		add(OffsetLabel(passed), now)
	}
	// One second after the due instant (23:59:59 JST for date deadlines) the deadline is missed.
	add(LabelMissed, dueAt.Add(time.Second))
	return out
}

// insertOpts schedules a job at at; one that is due already is inserted available, so that it does
// not wait for River's scheduler pass.
func (s *Service) insertOpts(at, now time.Time) *river.InsertOpts {
	if !at.After(now) {
		at = time.Time{}
	}
	return &river.InsertOpts{
		Queue:       Queue,
		ScheduledAt: at,
		UniqueOpts: river.UniqueOpts{
			ByArgs: true,
			// Every state: a reminder that was cancelled or discarded is not re-created by the next
			// change of the case; reminders_sent guards against the cleaner's window.
			ByState: []rivertype.JobState{
				rivertype.JobStateAvailable, rivertype.JobStateCompleted, rivertype.JobStatePending,
				rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled,
				rivertype.JobStateCancelled, rivertype.JobStateDiscarded,
			},
		},
	}
}

// OffsetLabel names an offset as stored ("24h", "2h", "90m").
func OffsetLabel(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return fmt.Sprintf("%dm", d/time.Minute)
}

// ParseOffsets reads a comma-separated list of durations such as "24h,2h" (for
// LEAKDESK_REMINDER_OFFSETS).
func ParseOffsets(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		d, err := time.ParseDuration(part)
		if err != nil || d <= 0 || d%time.Minute != 0 {
			return nil, fmt.Errorf("reminder: offset %q is not a positive whole number of minutes (e.g. 24h, 90m)", part)
		}
		out = append(out, d)
	}
	return out, nil
}

func payloadInt(p map[string]any, k string) (int64, bool) {
	switch v := p[k].(type) {
	case int64:
		return v, true
	case int:
		return int64(v), true
	case float64:
		return int64(v), true
	case interface{ Int64() (int64, error) }:
		n, err := v.Int64()
		return n, err == nil
	}
	return 0, false
}
