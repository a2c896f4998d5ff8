package webhook

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/pii"
)

// Registry keeps the endpoints and the delivery log. It needs no workers: the admin pages use it.
type Registry struct {
	pool *pgxpool.Pool
	keys *pii.Keyring
}

// NewRegistry returns a Registry on pool; keys seal the endpoints' secrets (nil: none can be
// registered or delivered to).
func NewRegistry(pool *pgxpool.Pool, keys *pii.Keyring) *Registry {
	return &Registry{pool: pool, keys: keys}
}

// Endpoint is one registered receiver. Its secret is never read back out after registration.
type Endpoint struct {
	ID           int64
	URL          string
	Events       []string
	AllowPrivate bool
	CreatedBy    int64
	CreatedAt    time.Time
	Disabled     bool
}

// NewEndpoint is what an administrator registers. An empty Secret is generated.
type NewEndpoint struct {
	URL          string   `json:"url"`
	Secret       string   `json:"secret"`
	Events       []string `json:"events"`
	AllowPrivate bool     `json:"allow_private"`
}

// Delivery is one attempt to deliver one message to one endpoint.
type Delivery struct {
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

// ErrNoKeys: the data key that seals secrets is not configured.
var ErrNoKeys = errors.New("webhook: no data key to seal endpoint secrets")

func secretAAD(id int64) []byte { return pii.AAD("webhook_endpoints", id, "secret") }

// Register checks and stores an endpoint and returns it with its secret (shown once). Errors:
// incident invalid with fields url, events, secret.
func (g *Registry) Register(ctx context.Context, by int64, in NewEndpoint, now time.Time) (Endpoint, string, error) {
	var fes []incident.FieldError
	in.URL = strings.TrimSpace(in.URL)
	if err := CheckURL(in.URL, in.AllowPrivate); err != nil {
		ue := ErrURL
		errors.As(err, &ue)
		fes = append(fes, incident.FieldError{Field: "url", JA: ue.JA, EN: ue.EN})
	}
	events := slices.Clone(in.Events)
	slices.Sort(events)
	events = slices.Compact(events)
	if len(events) == 0 {
		fes = append(fes, incident.FieldError{Field: "events", JA: "通知するイベントを1つ以上選んでください。", EN: "choose at least one event type"})
	}
	for _, e := range events {
		if !ValidType(e) {
			fes = append(fes, incident.FieldError{Field: "events", JA: "不明なイベントの種類です: " + e, EN: "unknown event type: " + e})
			break
		}
	}
	secret := strings.TrimSpace(in.Secret)
	if secret == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return Endpoint{}, "", fmt.Errorf("webhook: secret: %w", err)
		}
		secret = "whsec_" + base64.StdEncoding.EncodeToString(b)
	} else if raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_")); err != nil || len(raw) < 24 || len(raw) > 64 {
		fes = append(fes, incident.FieldError{Field: "secret", JA: "シークレットは whsec_ に続く base64（24〜64バイト）で指定してください。空欄なら生成します。",
			EN: "the secret is whsec_ followed by base64 of 24 to 64 bytes; leave it empty to generate one"})
	}
	if len(fes) > 0 {
		return Endpoint{}, "", incident.Invalid("入力内容を確認してください。", "check the input", fes...)
	}
	if g.keys == nil {
		return Endpoint{}, "", ErrNoKeys
	}
	ep := Endpoint{URL: in.URL, Events: events, AllowPrivate: in.AllowPrivate, CreatedBy: by, CreatedAt: now.UTC()}
	err := pgx.BeginFunc(ctx, g.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT nextval('webhook_endpoints_id_seq')`).Scan(&ep.ID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO webhook_endpoints (id, url, secret_sealed, events, allow_private, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, ep.ID, ep.URL, g.keys.SealString(secretAAD(ep.ID), secret), ep.Events, ep.AllowPrivate, by, ep.CreatedAt)
		return err
	})
	if err != nil {
		return Endpoint{}, "", fmt.Errorf("webhook: register endpoint: %w", err)
	}
	return ep, secret, nil
}

// Endpoints lists every endpoint, newest first.
func (g *Registry) Endpoints(ctx context.Context) ([]Endpoint, error) {
	rows, err := g.pool.Query(ctx, `SELECT id, url, events, allow_private, created_by, created_at, disabled_at IS NOT NULL
		FROM webhook_endpoints ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("webhook: endpoints: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Endpoint, error) {
		var e Endpoint
		err := r.Scan(&e.ID, &e.URL, &e.Events, &e.AllowPrivate, &e.CreatedBy, &e.CreatedAt, &e.Disabled)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("webhook: endpoints: %w", err)
	}
	return out, nil
}

// Disable stops deliveries to an endpoint (queued ones are dropped when they run). Errors:
// incident not found.
func (g *Registry) Disable(ctx context.Context, id int64, now time.Time) error {
	tag, err := g.pool.Exec(ctx, `UPDATE webhook_endpoints SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL`, id, now.UTC())
	if err != nil {
		return fmt.Errorf("webhook: disable %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return incident.NotFound("Webhook が見つかりません。", "webhook endpoint not found")
	}
	return nil
}

// Deliveries lists the latest attempts, newest first.
func (g *Registry) Deliveries(ctx context.Context, limit int) ([]Delivery, error) {
	rows, err := g.pool.Query(ctx, `SELECT id, endpoint_id, message_id, event_type, COALESCE(case_id, 0), attempt, COALESCE(status, 0), error, at, duration_ms
		FROM webhook_deliveries ORDER BY at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("webhook: deliveries: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Delivery, error) {
		var d Delivery
		err := r.Scan(&d.ID, &d.EndpointID, &d.MessageID, &d.EventType, &d.CaseID, &d.Attempt, &d.Status, &d.Error, &d.At, &d.DurationMS)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("webhook: deliveries: %w", err)
	}
	return out, nil
}

// ResealSecrets is the key rotation's step for webhook secrets (store.Rotate's reseal): every
// endpoint's secret is opened with the ring and sealed again under its primary key, in one
// transaction (endpoints are few).
func ResealSecrets(pool *pgxpool.Pool) func(context.Context, *pii.Keyring) error {
	return func(ctx context.Context, ring *pii.Keyring) error {
		return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `SELECT id, secret_sealed FROM webhook_endpoints ORDER BY id FOR UPDATE`)
			if err != nil {
				return fmt.Errorf("webhook: reseal: %w", err)
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
				return fmt.Errorf("webhook: reseal: %w", err)
			}
			for _, x := range list {
				secret, err := ring.OpenString(secretAAD(x.id), x.sealed)
				if err != nil {
					return fmt.Errorf("webhook: reseal endpoint %d: %w", x.id, err)
				}
				if _, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET secret_sealed = $2 WHERE id = $1`, x.id, ring.SealString(secretAAD(x.id), secret)); err != nil {
					return fmt.Errorf("webhook: reseal endpoint %d: %w", x.id, err)
				}
			}
			return nil
		})
	}
}

// signer opens an endpoint's secret.
func (g *Registry) signer(id int64, sealed []byte) (*standardwebhooks.Webhook, error) {
	if g.keys == nil {
		return nil, ErrNoKeys
	}
	secret, err := g.keys.OpenString(secretAAD(id), sealed)
	if err != nil {
		return nil, fmt.Errorf("webhook: open secret of endpoint %d: %w", id, err)
	}
	return standardwebhooks.NewWebhook(secret)
}
