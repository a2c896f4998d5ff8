package store_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/store"
)

// TestTOTP_SealedAtRestRotatedAndBound: the stored bytes of a TOTP secret are not the base32
// secret (sealed with the data key, as the register and evidence are) and open to it; sealed bytes
// moved to another user's row do not open; a plaintext row from before migration 00120 is read,
// then sealed by SealPendingTOTP; key rotation re-seals the secrets and they still open.
func TestTOTP_SealedAtRestRotatedAndBound(t *testing.T) {
	e := newAuditEnv(t)
	ctx := context.Background()
	st := e.db.Store
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	alice, bob := e.actors["staff"].UserID, e.actors["staff2"].UserID
	stored := func(id int64) (plain *string, sealed []byte, keyID *string) {
		t.Helper()
		if err := st.Pool.QueryRow(ctx, `SELECT secret, secret_sealed, key_id FROM user_totp WHERE user_id = $1`, id).Scan(&plain, &sealed, &keyID); err != nil {
			t.Fatal(err)
		}
		return plain, sealed, keyID
	}
	mustBeSealed := func(id int64, keyID string) {
		t.Helper()
		plain, sealed, k := stored(id)
		if plain != nil || len(sealed) == 0 || k == nil || *k != keyID {
			t.Fatalf("user %d: plaintext %v, sealed %d bytes, key %v (want key %s)", id, plain, len(sealed), k, keyID)
		}
		if bytes.Contains(sealed, []byte(secret)) || bytes.Contains(bytes.ToLower(sealed), bytes.ToLower([]byte(secret[:16]))) {
			t.Fatalf("user %d: the stored bytes carry the base32 secret", id)
		}
	}

	if err := st.EnrolTOTP(ctx, alice, secret, 1, nil); err != nil {
		t.Fatal(err)
	}
	mustBeSealed(alice, e.keys.Primary().ID())
	if got, err := st.TOTP(ctx, alice); err != nil || got != secret {
		t.Fatalf("TOTP: %q %v", got, err)
	}

	// Bob enrolled before 00120: his row holds the plaintext, which is read until it is sealed.
	if _, err := st.Pool.Exec(ctx, `INSERT INTO user_totp (user_id, secret, last_step) VALUES ($1, $2, 0)`, bob, secret); err != nil {
		t.Fatal(err)
	}
	if got, err := st.TOTP(ctx, bob); err != nil || got != secret {
		t.Fatalf("plaintext row: %q %v", got, err)
	}
	if n, err := st.SealPendingTOTP(ctx); err != nil || n != 1 {
		t.Fatalf("SealPendingTOTP: %d %v, want 1 sealed", n, err)
	}
	mustBeSealed(bob, e.keys.Primary().ID())
	if got, err := st.TOTP(ctx, bob); err != nil || got != secret {
		t.Fatalf("sealed row: %q %v", got, err)
	}

	// Alice's sealed bytes in Bob's row do not open: the ciphertext is bound to its row.
	_, aliceSealed, _ := stored(alice)
	if _, err := st.Pool.Exec(ctx, `UPDATE user_totp SET secret_sealed = $2 WHERE user_id = $1`, bob, aliceSealed); err != nil {
		t.Fatal(err)
	}
	if _, err := st.TOTP(ctx, bob); err == nil {
		t.Fatal("a secret copied to another user's row opened")
	}
	if err := st.EnrolTOTP(ctx, bob, secret, 1, nil); err != nil {
		t.Fatal(err)
	}

	// Rotation re-seals both under the new key.
	newKey, err := pii.NewKey(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Rotate(ctx, st, e.keys, newKey); err != nil {
		t.Fatal(err)
	}
	if err := st.CheckDataKey(ctx, pii.NewKeyring(newKey)); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{alice, bob} {
		mustBeSealed(id, newKey.ID())
		if got, err := st.TOTP(ctx, id); err != nil || got != secret {
			t.Fatalf("user %d after rotation: %q %v", id, got, err)
		}
	}
}
