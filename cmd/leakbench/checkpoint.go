package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/leakdesk/leakdesk/internal/checkpoint"
)

// checkpoints adds the signed-history rows (issue 15): a signed checkpoint of 1 M case heads in
// process, beside one SHA-256 over the same leaf bytes; `audit verify --witness` over 100 k cases
// (store's BenchmarkVerifyWitness100k on this cluster); and the offline verify of a case export
// with its signed origin (archive's BenchmarkVerifyExportOffline).
func (b *bench) checkpoints(ctx context.Context) error {
	const n = 1_000_000
	leaves := make([]checkpoint.Leaf, n)
	var raw []byte
	for i := range leaves {
		h := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
		leaves[i] = checkpoint.Leaf{CaseID: int64(i + 1), Seq: int64(i%40 + 1), Hash: h[:]}
		raw = append(raw, leaves[i].Text()...)
	}
	skey, _, err := checkpoint.GenerateKey("leakbench")
	if err != nil {
		return err
	}
	signer, err := checkpoint.NewSigner(skey)
	if err != nil {
		return err
	}
	t0 := time.Now()
	tree := &checkpoint.Tree{}
	for _, l := range leaves {
		if err := tree.Append(l); err != nil {
			return err
		}
	}
	root, err := tree.Root(n)
	if err != nil {
		return err
	}
	if _, err := signer.Sign(checkpoint.Head{Anchor: 1, At: time.Now(), Size: n, Root: root}); err != nil {
		return err
	}
	signed := time.Since(t0)
	var shaBest time.Duration
	for range 3 {
		t0 = time.Now()
		_ = sha256.Sum256(raw)
		if d := time.Since(t0); shaBest == 0 || d < shaBest {
			shaBest = d
		}
	}
	b.logf("checkpoint: 1 M heads signed in %v; SHA-256 of the same %d bytes in %v", signed, len(raw), shaBest)
	// Throughput like the other rows (heads/s), so the ratio column reads the same way.
	b.rows = append(b.rows,
		row{Group: "bulk", Figure: "signed checkpoint of 1 000 000 case heads (RFC 6962 tree + Ed25519 note)", Clients: 1,
			Value: n / signed.Seconds(), Unit: "heads/s", App: -1, DB: -1, RefName: "SHA-256 same bytes", Ref: n / shaBest.Seconds(), RefUnit: "heads/s",
			Note: fmt.Sprintf("in process: %.2f s for 1 M heads, SHA-256 of the same %.0f MB %.3f s (best of 3)", signed.Seconds(), float64(len(raw))/1e6, shaBest.Seconds())})
	for _, gb := range []struct{ pkg, bench, figure string }{
		{"./internal/store", "BenchmarkVerifyWitness100k", "audit verify --witness, 100 000 cases (200 000 leaves)"},
		{"./internal/archive", "BenchmarkVerifyExportOffline/with-origin", "verify-export --pubkey of one case file, offline"},
	} {
		ns, err := b.runGoBench(ctx, gb.pkg, gb.bench)
		if err != nil {
			return err
		}
		b.rows = append(b.rows, row{Group: "go", Figure: gb.figure, Clients: 1, Value: ns / 1e6, Unit: "ms", App: -1, DB: -1,
			Note: "Go " + gb.bench})
	}
	return nil
}

// runGoBench runs one Go benchmark of pkg on this cluster and returns its ns/op.
func (b *bench) runGoBench(ctx context.Context, pkg, name string) (float64, error) {
	bin := filepath.Join(b.tmp, filepath.Base(pkg)+".test")
	if out, err := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, pkg).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("go test -c %s: %w: %s", pkg, err, trimOutput(out))
	}
	top, sub, _ := strings.Cut(name, "/")
	pattern := "^" + top + "$"
	if sub != "" {
		pattern += "/^" + sub + "$"
	}
	cmd := exec.CommandContext(ctx, bin, "-test.run", "^$", "-test.bench", pattern, "-test.benchtime", "3x", "-test.count", "1")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+b.cluster.URL(), "LEAKDESK_TEST_REQUIRE_DB=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%s: %w: %s", name, err, trimOutput(out))
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && strings.HasPrefix(f[0], name) && len(f) >= 4 && f[3] == "ns/op" {
			return strconv.ParseFloat(f[2], 64)
		}
	}
	return 0, fmt.Errorf("%s: no ns/op in the output: %s", name, trimOutput(out))
}
