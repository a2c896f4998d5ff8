package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The webhook endpoints and their delivery log (webhook_endpoints, webhook_deliveries). Checking an
// endpoint, sealing its secret and signing and sending a message are internal/webhook's; this file
// only stores them. Secrets arrive sealed (pii) and leave sealed.

// WebhookEndpoint is one registered receiver. Its secret is never read back out after registration.
type WebhookEndpoint struct {
	ID           int64
	URL          string
	Events       []string
	AllowPrivate bool
	CreatedBy    int64
	CreatedAt    time.Time
	Disabled     bool
}

// WebhookDelivery is one attempt to deliver one message to one endpoint.
type WebhookDelivery struct {
	ID         int64
	EndpointID int64
	MessageID  string
	EventType  string
	CaseID     int64
	Attempt    int
	Status     int // 0: no answer
	Error      string
	At         time.Time
	DurationMS int
}

// WebhookTarget is what one delivery attempt needs of its endpoint.
type WebhookTarget struct {
	URL          string
	Sealed       []byte
	AllowPrivate bool
}

// WebhookSubscription is an enabled endpoint and the event types it takes.
type WebhookSubscription struct {
	ID     int64
	Events []string
}

// CreateWebhookEndpoint stores ep under a new id; seal seals the secret for that id (its AAD names
// the row, so the id must exist before the secret is sealed). It returns the id.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, ep WebhookEndpoint, seal func(id int64) []byte) (int64, error) {
	var id int64
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT nextval('webhook_endpoints_id_seq')`).Scan(&id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO webhook_endpoints (id, url, secret_sealed, events, allow_private, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, ep.URL, seal(id), ep.Events, ep.AllowPrivate, ep.CreatedBy, ep.CreatedAt)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: create webhook endpoint: %w", err)
	}
	return id, nil
}

// WebhookEndpoints lists every endpoint, newest first.
func (s *Store) WebhookEndpoints(ctx context.Context) ([]WebhookEndpoint, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, url, events, allow_private, created_by, created_at, disabled_at IS NOT NULL
		FROM webhook_endpoints ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: webhook endpoints: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WebhookEndpoint, error) {
		var e WebhookEndpoint
		err := r.Scan(&e.ID, &e.URL, &e.Events, &e.AllowPrivate, &e.CreatedBy, &e.CreatedAt, &e.Disabled)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: webhook endpoints: %w", err)
	}
	return out, nil
}

// DisableWebhookEndpoint marks an enabled endpoint disabled; false when there is no such enabled
// endpoint.
func (s *Store) DisableWebhookEndpoint(ctx context.Context, id int64, at time.Time) (bool, error) {
	tag, err := s.Pool.Exec(ctx, `UPDATE webhook_endpoints SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL`, id, at.UTC())
	if err != nil {
		return false, fmt.Errorf("store: disable webhook endpoint %d: %w", id, err)
	}
	return tag.RowsAffected() > 0, nil
}

// WebhookDeliveries lists the latest attempts, newest first.
func (s *Store) WebhookDeliveries(ctx context.Context, limit int) ([]WebhookDelivery, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, endpoint_id, message_id, event_type, COALESCE(case_id, 0), attempt, COALESCE(status, 0), error, at, duration_ms
		FROM webhook_deliveries ORDER BY at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: webhook deliveries: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WebhookDelivery, error) {
		var d WebhookDelivery
		err := r.Scan(&d.ID, &d.EndpointID, &d.MessageID, &d.EventType, &d.CaseID, &d.Attempt, &d.Status, &d.Error, &d.At, &d.DurationMS)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: webhook deliveries: %w", err)
	}
	return out, nil
}

// ResealWebhookSecrets passes every endpoint's sealed secret through reseal and stores what it
// returns, in one transaction with the rows locked (endpoints are few): key rotation's step.
func (s *Store) ResealWebhookSecrets(ctx context.Context, reseal func(id int64, sealed []byte) ([]byte, error)) error {
	return pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, secret_sealed FROM webhook_endpoints ORDER BY id FOR UPDATE`)
		if err != nil {
			return fmt.Errorf("store: reseal webhook secrets: %w", err)
		}
		type sealedSecret struct {
			id     int64
			sealed []byte
		}
		list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sealedSecret, error) {
			var x sealedSecret
			return x, r.Scan(&x.id, &x.sealed)
		})
		if err != nil {
			return fmt.Errorf("store: reseal webhook secrets: %w", err)
		}
		for _, x := range list {
			sealed, err := reseal(x.id, x.sealed)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET secret_sealed = $2 WHERE id = $1`, x.id, sealed); err != nil {
				return fmt.Errorf("store: reseal webhook endpoint %d: %w", x.id, err)
			}
		}
		return nil
	})
}

// WebhookSubscriptionsTx reads the enabled endpoints in tx, the transaction of the change whose
// messages are queued, so a message goes to the endpoints enabled when it commits.
func WebhookSubscriptionsTx(ctx context.Context, tx pgx.Tx) ([]WebhookSubscription, error) {
	rows, err := tx.Query(ctx, `SELECT id, events FROM webhook_endpoints WHERE disabled_at IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("store: webhook subscriptions: %w", err)
	}
	subs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WebhookSubscription, error) {
		var x WebhookSubscription
		err := r.Scan(&x.ID, &x.Events)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: webhook subscriptions: %w", err)
	}
	return subs, nil
}

// WebhookTargetOf returns an enabled endpoint's target; false when it is gone or disabled.
func (s *Store) WebhookTargetOf(ctx context.Context, id int64) (WebhookTarget, bool, error) {
	var t WebhookTarget
	var disabled bool
	err := s.Pool.QueryRow(ctx, `SELECT url, secret_sealed, allow_private, disabled_at IS NOT NULL FROM webhook_endpoints WHERE id = $1`, id).
		Scan(&t.URL, &t.Sealed, &t.AllowPrivate, &disabled)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && disabled) {
		return WebhookTarget{}, false, nil
	}
	if err != nil {
		return WebhookTarget{}, false, fmt.Errorf("store: webhook endpoint %d: %w", id, err)
	}
	return t, true, nil
}

// WebhookDelivered says whether an attempt of this message to this endpoint was answered 2xx.
func (s *Store) WebhookDelivered(ctx context.Context, endpointID int64, messageID string) (bool, error) {
	var done bool
	if err := s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE endpoint_id = $1 AND message_id = $2 AND status BETWEEN 200 AND 299)`,
		endpointID, messageID).Scan(&done); err != nil {
		return false, fmt.Errorf("store: webhook delivery log: %w", err)
	}
	return done, nil
}

// RecordWebhookDelivery logs one attempt (ID is assigned; Status 0 is stored as no answer).
func (s *Store) RecordWebhookDelivery(ctx context.Context, d WebhookDelivery) error {
	var status *int
	if d.Status != 0 {
		status = &d.Status
	}
	if _, err := s.Pool.Exec(ctx, `INSERT INTO webhook_deliveries (endpoint_id, message_id, event_type, case_id, attempt, status, error, at, duration_ms)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, d.EndpointID, d.MessageID, d.EventType, d.CaseID, d.Attempt, status, d.Error,
		d.At.UTC(), d.DurationMS); err != nil {
		return fmt.Errorf("store: log webhook attempt: %w", err)
	}
	return nil
}
