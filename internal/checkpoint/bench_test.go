package checkpoint_test

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/checkpoint"
)

// BenchmarkCheckpoint1MHeads: a signed checkpoint of a tree of 1 000 000 case heads (every leaf
// hashed, the tree built, its root signed) beside one SHA-256 over the same leaf bytes — the cost of
// the Merkle tree over the plain hash the anchor chain already pays. `make bench-go` runs it;
// `go test -run '^$' -bench Checkpoint1M -benchtime 3x ./internal/checkpoint/` alone.
func BenchmarkCheckpoint1MHeads(b *testing.B) {
	const n = 1_000_000
	leaves := make([]checkpoint.Leaf, n)
	var raw []byte
	for i := range leaves {
		h := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
		leaves[i] = checkpoint.Leaf{CaseID: int64(i + 1), Seq: int64(i%40 + 1), Hash: h[:]}
		raw = append(raw, leaves[i].Text()...)
	}
	skey, _, err := checkpoint.GenerateKey("bench")
	if err != nil {
		b.Fatal(err)
	}
	signer, err := checkpoint.NewSigner(skey)
	if err != nil {
		b.Fatal(err)
	}
	var shaTotal time.Duration
	b.ResetTimer()
	for range b.N {
		tree := &checkpoint.Tree{}
		for _, l := range leaves {
			if err := tree.Append(l); err != nil {
				b.Fatal(err)
			}
		}
		root, err := tree.Root(n)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := signer.Sign(checkpoint.Head{Anchor: 1, At: time.Now(), Size: n, Root: root}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		t0 := time.Now()
		_ = sha256.Sum256(raw)
		shaTotal += time.Since(t0)
		b.StartTimer()
	}
	b.ReportMetric(float64(shaTotal.Milliseconds())/float64(b.N), "sha256-ms/op")
	b.ReportMetric(float64(len(raw))/1e6, "leaf-MB")
}
