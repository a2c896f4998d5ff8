package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/leakdesk/leakdesk/internal/checkpoint"
	"github.com/leakdesk/leakdesk/internal/store"
)

// signedEnv is an audit env whose anchors are signed, with a witness directory.
func signedEnv(t *testing.T) (*auditEnv, string, string) {
	t.Helper()
	e := newAuditEnv(t)
	skey, vkey, err := checkpoint.GenerateKey("leakdesk-test")
	if err != nil {
		t.Fatal(err)
	}
	if e.db.Store.Signer, err = checkpoint.NewSigner(skey); err != nil {
		t.Fatal(err)
	}
	return e, t.TempDir(), vkey
}

// TestCheckpoints_SignedWitnessedAndProven: each anchor signs a checkpoint, the witness directory
// gets one pair of files per checkpoint, the witness verifies against the database, and each case's
// inclusion proof checks against the signed root.
func TestCheckpoints_SignedWitnessedAndProven(t *testing.T) {
	e, dir, vkey := signedEnv(t)
	ctx := context.Background()
	c, other := anchoredPair(t, e)
	if n, err := e.db.Store.SyncWitness(ctx, dir); err != nil || n != 2 {
		t.Fatalf("SyncWitness: %d, %v; want 2 checkpoints", n, err)
	}
	if n, err := e.db.Store.SyncWitness(ctx, dir); err != nil || n != 0 {
		t.Fatalf("second SyncWitness: %d, %v; want nothing new", n, err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 4 {
		t.Fatalf("witness files %v, want 2 checkpoints and 2 leaf lists", files)
	}
	v, err := e.db.Store.VerifyWitness(ctx, dir, []string{vkey})
	if err != nil {
		t.Fatalf("VerifyWitness: %v", err)
	}
	// Leaves: 2 registry entries + 2 heads, then 1 head.
	if v.Checkpoints != 2 || v.Leaves != 5 || v.Registry != 2 || v.Unwitnessed != 0 || len(v.Keys) != 1 || v.Keys[0] != vkey {
		t.Fatalf("witness verdict %+v", v)
	}
	for _, id := range []int64{c.ID, other.ID} {
		p, err := e.db.Store.CaseProof(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		h, key, err := checkpoint.Open([]byte(p.Checkpoint), []string{vkey})
		if err != nil || key != vkey || h.Size != p.TreeSize {
			t.Fatalf("case %d: checkpoint %+v %q %v", id, h, key, err)
		}
		var proof tlog.RecordProof
		for _, s := range p.Proof {
			x, err := tlog.ParseHash(s)
			if err != nil {
				t.Fatal(err)
			}
			proof = append(proof, x)
		}
		leaf, err := checkpoint.ParseLeaf(p.Leaf)
		if err != nil || leaf.CaseID != id {
			t.Fatalf("leaf %q %v", p.Leaf, err)
		}
		if err := tlog.CheckRecord(proof, h.Size, h.Root, p.Index, leaf.LeafHash()); err != nil {
			t.Fatalf("case %d: inclusion proof: %v", id, err)
		}
	}
	// A witness file is never rewritten: a different checkpoint under an existing name is refused.
	if err := checkpoint.WriteWitness(dir, 1, []byte("other"), nil); err == nil {
		t.Fatal("an existing witness file was rewritten")
	}
}

// TestCheckpoints_SuperuserRewriteCaughtByWitness is the attack the roles cannot stop: the
// database superuser turns the triggers off, edits an event and recomputes every hash in the
// database. The database's own verify then passes (nothing in it uses a secret) — on the base
// commit that was the end of it, `audit verify` said all was well. The witnessed, signed
// checkpoints still hold the old head: verify with the witness fails naming the case.
func TestCheckpoints_SuperuserRewriteCaughtByWitness(t *testing.T) {
	e, dir, vkey := signedEnv(t)
	ctx := context.Background()
	c, _ := anchoredPair(t, e)
	if _, err := e.db.Store.SyncWitness(ctx, dir); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, e.db.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SET session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `UPDATE case_events SET payload = jsonb_set(payload, '{title}', '"改ざん"') WHERE case_id = $1 AND seq = 1`, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := store.RecomputeEveryHash(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if res, err := e.db.Store.Verify(ctx, 0); err != nil || !res.OK {
		t.Fatalf("the rewrite is not consistent, so the test proves nothing: %+v %v", res.FirstBad, err)
	}
	_, err = e.db.Store.VerifyWitness(ctx, dir, []string{vkey})
	var f *checkpoint.Failure
	if !errors.As(err, &f) || f.CaseID != c.ID || f.Checkpoint != 1 || !strings.Contains(f.Reason, "history rewritten") {
		t.Fatalf("VerifyWitness after the rewrite: %v; want checkpoint 1 naming case %d", err, c.ID)
	}
}

// TestCheckpoints_WitnessFaults: a missing witness directory loses nothing (the next sync writes
// every checkpoint it missed); a checkpoint signed by an unknown key, a leaf file edited, or a
// checkpoint file removed fail verification naming what failed.
func TestCheckpoints_WitnessFaults(t *testing.T) {
	e, dir, vkey := signedEnv(t)
	ctx := context.Background()
	missing := filepath.Join(dir, "w")
	anchoredPair(t, e)
	if _, err := e.db.Store.SyncWitness(ctx, missing); err == nil {
		t.Fatal("SyncWitness into a missing directory succeeded")
	}
	if err := os.Mkdir(missing, 0o755); err != nil {
		t.Fatal(err)
	}
	if n, err := e.db.Store.SyncWitness(ctx, missing); err != nil || n != 2 {
		t.Fatalf("catch-up: %d, %v; want both checkpoints", n, err)
	}
	if _, err := e.db.Store.VerifyWitness(ctx, missing, []string{vkey}); err != nil {
		t.Fatal(err)
	}
	_, otherKey, _ := checkpoint.GenerateKey("someone-else")
	if _, err := e.db.Store.VerifyWitness(ctx, missing, []string{otherKey}); err == nil || !strings.Contains(err.Error(), "not trusted") {
		t.Fatalf("unknown key: %v", err)
	}
	leaves := filepath.Join(missing, "00000000000000000002.leaves")
	b, _ := os.ReadFile(leaves)
	_ = os.Chmod(leaves, 0o644)
	if err := os.WriteFile(leaves, []byte(strings.Replace(string(b), "head", "registry", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Store.VerifyWitness(ctx, missing, []string{vkey}); err == nil {
		t.Fatal("an edited leaves file verified")
	}
	if err := os.Remove(filepath.Join(missing, "00000000000000000001.checkpoint")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Store.VerifyWitness(ctx, missing, []string{vkey}); err == nil || !strings.Contains(err.Error(), "checkpoint 1 is missing") {
		t.Fatalf("removed checkpoint: %v", err)
	}
}

// TestCheckpoints_UnsignedAnchorsAreCoveredLater: anchors written while signing was off are covered
// by the first signed checkpoint, even when nothing changed since.
func TestCheckpoints_UnsignedAnchorsAreCoveredLater(t *testing.T) {
	e, dir, vkey := signedEnv(t)
	ctx := context.Background()
	signer := e.db.Store.Signer
	e.db.Store.Signer = nil
	c, other := anchoredPair(t, e)
	e.db.Store.Signer = signer
	if n, err := e.db.Store.WriteAnchor(ctx, time.Now()); err != nil || n != 0 {
		t.Fatalf("WriteAnchor: %d %v", n, err)
	}
	if n, err := e.db.Store.SyncWitness(ctx, dir); err != nil || n != 1 {
		t.Fatalf("SyncWitness: %d %v", n, err)
	}
	v, err := e.db.Store.VerifyWitness(ctx, dir, []string{vkey})
	if err != nil || v.Leaves != 5 || v.Unwitnessed != 0 {
		t.Fatalf("%+v %v", v, err)
	}
	// One checkpoint over two anchors: each case's newest head is proven at its place in the tree.
	for _, id := range []int64{c.ID, other.ID} {
		checkProof(t, e, id, vkey)
	}
}

// checkProof checks the case's inclusion proof against its signed checkpoint.
func checkProof(t *testing.T, e *auditEnv, id int64, vkey string) {
	t.Helper()
	p, err := e.db.Store.CaseProof(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := checkpoint.Open([]byte(p.Checkpoint), []string{vkey})
	if err != nil {
		t.Fatal(err)
	}
	var proof tlog.RecordProof
	for _, s := range p.Proof {
		x, err := tlog.ParseHash(s)
		if err != nil {
			t.Fatal(err)
		}
		proof = append(proof, x)
	}
	leaf, err := checkpoint.ParseLeaf(p.Leaf)
	if err != nil || leaf.CaseID != id {
		t.Fatalf("leaf %q %v", p.Leaf, err)
	}
	var stored []byte
	if err := e.db.Store.Pool.QueryRow(context.Background(), `SELECT hash FROM case_events WHERE case_id = $1 AND seq = $2`, id, leaf.Seq).Scan(&stored); err != nil || string(stored) != string(leaf.Hash) {
		t.Fatalf("case %d: the proven head is not the stored event (%v)", id, err)
	}
	if err := tlog.CheckRecord(proof, h.Size, h.Root, p.Index, leaf.LeafHash()); err != nil {
		t.Fatalf("case %d: inclusion proof at index %d: %v", id, p.Index, err)
	}
}
