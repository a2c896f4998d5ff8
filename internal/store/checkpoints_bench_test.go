package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/checkpoint"
)

// BenchmarkVerifyWitness100k: `audit verify --witness` over a witnessed checkpoint of 100 000
// cases (100 000 registry leaves and 100 000 heads: signature, tree rebuilt from the leaves, every
// leaf compared with the stored hash). The rows are written directly (no history behind them), so
// this is the witness part alone; the chain verify it follows is measured in docs/performance.md.
// `go test -run '^$' -bench VerifyWitness100k -benchtime 3x ./internal/store/`
func BenchmarkVerifyWitness100k(b *testing.B) {
	const n = 100_000
	e := newAuditEnv(b)
	ctx := context.Background()
	superExec(b, e, `INSERT INTO case_registry (seq, case_id, number, created_at, prev_hash, hash)
		SELECT i, i, 'B-' || i, now(), ''::bytea, sha256(int8send(i)) FROM generate_series(1, $1::bigint) i`, n)
	superExec(b, e, `INSERT INTO case_events (case_id, seq, type, at, payload, prev_hash, hash)
		SELECT i, 1, 'case_opened', now(), '{}', ''::bytea, sha256(int8send(-i)) FROM generate_series(1, $1::bigint) i`, n)
	var leaves []checkpoint.Leaf
	for i := int64(1); i <= n; i++ {
		r := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
		leaves = append(leaves, checkpoint.Leaf{Registry: true, CaseID: i, Seq: i, Hash: r[:]})
	}
	for i := int64(1); i <= n; i++ {
		h := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(-i)))
		leaves = append(leaves, checkpoint.Leaf{CaseID: i, Seq: 1, Hash: h[:]})
	}
	tree := &checkpoint.Tree{}
	for _, l := range leaves {
		if err := tree.Append(l); err != nil {
			b.Fatal(err)
		}
	}
	root, _ := tree.Root(tree.Size())
	skey, vkey, _ := checkpoint.GenerateKey("bench")
	s, _ := checkpoint.NewSigner(skey)
	note, err := s.Sign(checkpoint.Head{Anchor: 1, At: time.Now(), Size: tree.Size(), Root: root})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if err := checkpoint.WriteWitness(dir, 1, note, leaves); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		v, err := e.db.Store.VerifyWitness(ctx, dir, []string{vkey})
		if err != nil || v.Leaves != 2*n {
			b.Fatalf("%+v %v", v.Leaves, err)
		}
	}
}
