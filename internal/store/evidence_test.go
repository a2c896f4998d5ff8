package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/store"
)

// TestEvidence_SealedAtRestRotatedAndBound: the stored bytes are not the file (AES-256-GCM under the
// data key), the download decrypts and re-hashes them; bytes moved to another file's row do not
// open; a plaintext row from before 00032 is sealed by SealPendingEvidence; key rotation
// re-encrypts the files and they still download.
func TestEvidence_SealedAtRestRotatedAndBound(t *testing.T) {
	e := newAuditEnv(t)
	ctx := context.Background()
	c := recordsCase(t, e)
	data := []byte("%PDF-1.4\n漏洩した顧客リスト 山田太郎 090-0000-0000\n%%EOF\n")
	attach := func(name string) int64 {
		t.Helper()
		cur, err := e.db.Store.GetCase(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, ev, err := e.svc.AttachEvidence(ctx, c.ID, cur.Version, e.actors["staff"], incident.StageContainment, name, "application/pdf", "", data)
		if err != nil {
			t.Fatal(err)
		}
		return ev.ID
	}
	a, b := attach("a.pdf"), attach("b.pdf")
	stored := func(id int64) (keyID *string, raw []byte) {
		t.Helper()
		if err := e.db.Store.Pool.QueryRow(ctx, `SELECT key_id, data FROM case_evidence_blobs WHERE evidence_id = $1`, id).Scan(&keyID, &raw); err != nil {
			t.Fatal(err)
		}
		return keyID, raw
	}
	k, raw := stored(a)
	if k == nil || *k != e.keys.Primary().ID() || bytes.Contains(raw, []byte("山田太郎")) || bytes.Contains(raw, []byte("%PDF")) {
		t.Fatalf("evidence stored in the clear (key %v): %q", k, raw[:min(len(raw), 40)])
	}
	download := func(id int64) ([]byte, error) {
		f, err := e.db.Store.Evidence(ctx, c.ID, id, e.actors["manager"].UserID)
		return f.Data, err
	}
	if got, err := download(a); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("download: %v", err)
	}
	// Ciphertext bound to its id: b's row holding a's bytes is refused, not served.
	superExec(t, e, `UPDATE case_evidence_blobs SET data = (SELECT data FROM case_evidence_blobs WHERE evidence_id = $1) WHERE evidence_id = $2`, a, b)
	if _, err := download(b); !errors.Is(err, store.ErrEvidenceCorrupt) {
		t.Fatalf("bytes of another file: %v", err)
	}
	// A row carried over in plaintext by the migration is sealed, and still downloads.
	superExec(t, e, `UPDATE case_evidence_blobs SET key_id = NULL, data = $2 WHERE evidence_id = $1`, b, data)
	if got, err := download(b); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("plaintext row download: %v", err)
	}
	if n, err := e.db.Store.SealPendingEvidence(ctx); err != nil || n != 1 {
		t.Fatalf("SealPendingEvidence: %d %v", n, err)
	}
	if k, raw := stored(b); k == nil || bytes.Contains(raw, []byte("山田太郎")) {
		t.Fatal("the plaintext row was not sealed")
	}
	// Rotation re-encrypts the files under the new key.
	newKey, err := pii.NewKey(bytes.Repeat([]byte{8}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Rotate(ctx, e.db.Store, e.keys, newKey); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Store.CheckDataKey(ctx, pii.NewKeyring(newKey)); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{a, b} {
		if k, _ := stored(id); k == nil || *k != newKey.ID() {
			t.Fatalf("evidence %d not re-encrypted: %v", id, k)
		}
		if got, err := download(id); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("download %d after rotation: %v", id, err)
		}
	}
	// The app may re-encrypt a file, never remove one.
	if _, err := e.db.Store.Pool.Exec(ctx, `DELETE FROM case_evidence_blobs WHERE evidence_id = $1`, a); err == nil {
		t.Fatal("the app role deleted evidence bytes")
	}
}
