package webhook

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/testdb"
)

func newTestKey(t *testing.T) *pii.Key {
	t.Helper()
	material := make([]byte, 32)
	_, _ = rand.Read(material)
	k, err := pii.NewKey(material)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// After `leakdesk key rotate` the servers start with the new key alone: every endpoint's signing
// secret must open with it, or no delivery can be signed any more.
func TestRotate_ReSealsEndpointSecrets(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	oldKey, newKey := newTestKey(t), newTestKey(t)
	old := pii.NewKeyring(oldKey)
	if err := db.Store.CheckDataKey(ctx, old); err != nil { // as serve's first start records it
		t.Fatal(err)
	}
	admin, err := db.Store.CreateUser(ctx, 0, "admin@example.jp", "管理者", []auth.Role{auth.RoleAdmin}, "x")
	if err != nil {
		t.Fatal(err)
	}
	ep, _, err := NewRegistry(db.Store, old).Register(ctx, admin.ID, NewEndpoint{URL: "https://hooks.example.com/x", Events: []string{CaseOpened}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Rotate(ctx, db.Store, old, newKey, ResealSecrets(db.Store)); err != nil {
		t.Fatal(err)
	}
	var sealed []byte
	if err := db.Store.Pool.QueryRow(ctx, `SELECT secret_sealed FROM webhook_endpoints WHERE id = $1`, ep.ID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if _, err := NewRegistry(db.Store, pii.NewKeyring(newKey)).signer(ep.ID, sealed); err != nil {
		t.Errorf("after rotation the endpoint's secret does not open with the new key: %v", err)
	}
}
