package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/store"
)

// Queue is the River queue of webhook deliveries.
const Queue = "webhooks"

// Config tunes a Service. Zero values take the defaults noted.
type Config struct {
	Keys   *pii.Keyring // seals and opens the endpoints' secrets
	Logger *slog.Logger
	// MaxAttempts before a delivery is discarded (default 20: with the 1-hour cap, about a day).
	MaxAttempts int
	// RetryBase scales the backoff: attempt⁴ × RetryBase, capped at an hour (default 1s; tests
	// shorten it).
	RetryBase time.Duration
	// Timeout of one attempt (default 10s).
	Timeout           time.Duration
	MaxWorkers        int // default 4
	FetchPollInterval time.Duration
	// NoHook skips registering the case hook (a second instance in a test process).
	NoHook bool
}

// Service queues and delivers webhook messages.
type Service struct {
	*Registry
	cfg    Config
	client *river.Client[pgx.Tx]
	log    *slog.Logger
}

// DeliveryArgs is one message to one endpoint. The body is fixed when the change commits, so every
// attempt sends the same bytes; endpoint and message id form the unique key.
type DeliveryArgs struct {
	EndpointID int64           `json:"endpoint_id" river:"unique"`
	MessageID  string          `json:"message_id" river:"unique"`
	Type       string          `json:"type"`
	CaseID     int64           `json:"case_id"`
	Body       json.RawMessage `json:"body"`
}

// Kind is River's job kind.
func (DeliveryArgs) Kind() string { return "leakdesk_webhook_delivery" }

// New builds the Service on st's pool, registers its case hook (unless cfg.NoHook) and prepares,
// but does not start, the workers.
func New(st *store.Store, cfg Config) (*Service, error) {
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 20
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.MaxWorkers <= 0 {
		cfg.MaxWorkers = 4
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Service{Registry: NewRegistry(st, cfg.Keys), cfg: cfg, log: log}
	workers := river.NewWorkers()
	river.AddWorker(workers, &deliveryWorker{s: s})
	client, err := river.NewClient(riverpgxv5.New(st.Pool), &river.Config{
		Queues:            map[string]river.QueueConfig{Queue: {MaxWorkers: cfg.MaxWorkers}},
		Workers:           workers,
		MaxAttempts:       cfg.MaxAttempts,
		RetryPolicy:       backoff{base: cfg.RetryBase},
		JobTimeout:        cfg.Timeout + 10*time.Second,
		Logger:            log.With("component", "river"),
		FetchPollInterval: cfg.FetchPollInterval,
		// Completed deliveries are kept a week for /admin/jobs; the attempt log stays.
		CompletedJobRetentionPeriod: 7 * 24 * time.Hour,
	})
	if err != nil {
		return nil, fmt.Errorf("webhook: river client: %w", err)
	}
	s.client = client
	if !cfg.NoHook {
		st.CaseHooks = append(st.CaseHooks, s.hook)
	}
	return s, nil
}

// Start starts the delivery workers.
func (s *Service) Start(ctx context.Context) error {
	if err := s.client.Start(ctx); err != nil {
		return fmt.Errorf("webhook: start: %w", err)
	}
	return nil
}

// Stop lets running deliveries finish (until ctx ends) and stops the workers.
func (s *Service) Stop(ctx context.Context) error {
	if err := s.client.Stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("webhook: stop: %w", err)
	}
	return nil
}

// backoff is attempt⁴ × base, capped at an hour.
type backoff struct{ base time.Duration }

func (b backoff) NextRetry(job *rivertype.JobRow) time.Time {
	n := time.Duration(job.Attempt)
	wait := n * n * n * n * b.base
	if wait > time.Hour || wait <= 0 {
		wait = time.Hour
	}
	return time.Now().Add(wait)
}

func (s *Service) hook(ctx context.Context, tx pgx.Tx, c *incident.Case, events []incident.Event) error {
	return s.EnqueueTx(ctx, tx, FromEvents(c, events)...)
}

// EnqueueTx inserts, in tx, one delivery per message and endpoint subscribed to its type.
func (s *Service) EnqueueTx(ctx context.Context, tx pgx.Tx, msgs ...Message) error {
	if len(msgs) == 0 {
		return nil
	}
	subs, err := store.WebhookSubscriptionsTx(ctx, tx)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	var params []river.InsertManyParams
	for _, m := range msgs {
		body, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("webhook: encode %s: %w", m.ID, err)
		}
		for _, e := range subs {
			if !slices.Contains(e.Events, m.Type) {
				continue
			}
			params = append(params, river.InsertManyParams{
				Args: DeliveryArgs{EndpointID: e.ID, MessageID: m.ID, Type: m.Type, CaseID: m.Data.CaseID, Body: body},
				InsertOpts: &river.InsertOpts{Queue: Queue, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
					rivertype.JobStateAvailable, rivertype.JobStateCompleted, rivertype.JobStatePending, rivertype.JobStateRunning,
					rivertype.JobStateRetryable, rivertype.JobStateScheduled, rivertype.JobStateCancelled, rivertype.JobStateDiscarded,
				}}},
			})
		}
	}
	if len(params) == 0 {
		return nil
	}
	if _, err := s.client.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("webhook: queue deliveries: %w", err)
	}
	return nil
}

type deliveryWorker struct {
	river.WorkerDefaults[DeliveryArgs]
	s *Service
}

func (w *deliveryWorker) Work(ctx context.Context, job *river.Job[DeliveryArgs]) error {
	return w.s.deliver(ctx, job.Args, job.Attempt)
}

// deliver makes one attempt and logs it. A 2xx answer completes the job; anything else returns an
// error for River to retry. An attempt already answered 2xx (a job retried after the worker lost
// its lease) is not sent again.
func (s *Service) deliver(ctx context.Context, a DeliveryArgs, attempt int) error {
	t, ok, err := s.st.WebhookTargetOf(ctx, a.EndpointID)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	if !ok {
		s.log.Info("webhook dropped: endpoint disabled", "endpoint_id", a.EndpointID, "message_id", a.MessageID)
		return nil
	}
	done, err := s.st.WebhookDelivered(ctx, a.EndpointID, a.MessageID)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	if done {
		return nil
	}
	start := time.Now()
	status, sendErr := s.send(ctx, a, t.URL, t.Sealed, t.AllowPrivate)
	errText := ""
	if sendErr != nil {
		errText = sendErr.Error()
	}
	if err := s.st.RecordWebhookDelivery(ctx, store.WebhookDelivery{EndpointID: a.EndpointID, MessageID: a.MessageID, EventType: a.Type,
		CaseID: a.CaseID, Attempt: attempt, Status: status, Error: errText, At: start, DurationMS: int(time.Since(start) / time.Millisecond)}); err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	if sendErr != nil {
		s.log.Warn("webhook not delivered, will retry", "endpoint_id", a.EndpointID, "message_id", a.MessageID, "attempt", attempt, "err", sendErr)
		return sendErr
	}
	s.log.Info("webhook delivered", "endpoint_id", a.EndpointID, "message_id", a.MessageID, "type", a.Type, "status", status)
	return nil
}

func (s *Service) send(ctx context.Context, a DeliveryArgs, url string, sealed []byte, allowPrivate bool) (int, error) {
	if err := CheckURL(url, allowPrivate); err != nil {
		return 0, err
	}
	wh, err := s.signer(a.EndpointID, sealed)
	if err != nil {
		return 0, err
	}
	now := time.Now()
	sig, err := wh.Sign(a.MessageID, now, a.Body)
	if err != nil {
		return 0, fmt.Errorf("webhook: sign: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(a.Body))
	if err != nil {
		return 0, ErrURL
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "leakdesk-webhooks/1")
	req.Header.Set("webhook-id", a.MessageID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	client := &http.Client{
		// No proxy from the environment and no redirects: either could lead the request to an
		// address the endpoint was not allowed.
		Transport:     &http.Transport{DialContext: dialer(allowPrivate), Proxy: nil, ForceAttemptHTTP2: true, TLSHandshakeTimeout: s.cfg.Timeout},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("webhook: post: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("webhook: receiver answered %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// EnqueueDeadlineTx queues "deadline near" (or "missed", for the missed reminder) in the
// transaction of a deadline reminder; it fits reminder.Config.OnDeadlineReminder.
func (s *Service) EnqueueDeadlineTx(ctx context.Context, tx pgx.Tx, caseID int64, number string, drill bool, deadline string, dueAt time.Time, reminder string) error {
	return s.EnqueueTx(ctx, tx, DeadlineMessage(caseID, number, drill, deadline, dueAt, reminder, time.Now()))
}
