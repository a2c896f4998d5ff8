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

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/store"
)

// Registry keeps the endpoints and the delivery log. It needs no workers: the admin pages use it.
type Registry struct {
	st   *store.Store
	keys *pii.Keyring
}

// NewRegistry returns a Registry on st; keys seal the endpoints' secrets (nil: none can be
// registered or delivered to).
func NewRegistry(st *store.Store, keys *pii.Keyring) *Registry {
	return &Registry{st: st, keys: keys}
}

// Endpoint is one registered receiver. Its secret is never read back out after registration.
type Endpoint = store.WebhookEndpoint

// NewEndpoint is what an administrator registers. An empty Secret is generated.
type NewEndpoint struct {
	URL          string   `json:"url"`
	Secret       string   `json:"secret"`
	Events       []string `json:"events"`
	AllowPrivate bool     `json:"allow_private"`
}

// Delivery is one attempt to deliver one message to one endpoint.
type Delivery = store.WebhookDelivery

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
	id, err := g.st.CreateWebhookEndpoint(ctx, ep, func(id int64) []byte { return g.keys.SealString(secretAAD(id), secret) })
	if err != nil {
		return Endpoint{}, "", fmt.Errorf("webhook: register endpoint: %w", err)
	}
	ep.ID = id
	return ep, secret, nil
}

// Endpoints lists every endpoint, newest first.
func (g *Registry) Endpoints(ctx context.Context) ([]Endpoint, error) {
	return g.st.WebhookEndpoints(ctx)
}

// Disable stops deliveries to an endpoint (queued ones are dropped when they run). Errors:
// incident not found.
func (g *Registry) Disable(ctx context.Context, id int64, now time.Time) error {
	ok, err := g.st.DisableWebhookEndpoint(ctx, id, now)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	if !ok {
		return incident.NotFound("Webhook が見つかりません。", "webhook endpoint not found")
	}
	return nil
}

// Deliveries lists the latest attempts, newest first.
func (g *Registry) Deliveries(ctx context.Context, limit int) ([]Delivery, error) {
	return g.st.WebhookDeliveries(ctx, limit)
}

// ResealSecrets is the key rotation's step for webhook secrets (store.Rotate's reseal): every
// endpoint's secret is opened with the ring and sealed again under its primary key, in one
// transaction (endpoints are few).
func ResealSecrets(st *store.Store) func(context.Context, *pii.Keyring) error {
	return func(ctx context.Context, ring *pii.Keyring) error {
		return st.ResealWebhookSecrets(ctx, func(id int64, sealed []byte) ([]byte, error) {
			secret, err := ring.OpenString(secretAAD(id), sealed)
			if err != nil {
				return nil, fmt.Errorf("webhook: reseal endpoint %d: %w", id, err)
			}
			return ring.SealString(secretAAD(id), secret), nil
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
