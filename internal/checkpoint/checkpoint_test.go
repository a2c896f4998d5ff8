package checkpoint_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/leakdesk/leakdesk/internal/checkpoint"
)

func leaves(n int) []checkpoint.Leaf {
	var out []checkpoint.Leaf
	for i := 1; i <= n; i++ {
		out = append(out, checkpoint.Leaf{CaseID: int64(i), Seq: int64(i % 7), Hash: bytes.Repeat([]byte{byte(i)}, 32)})
	}
	return out
}

func TestLeaf_TextRoundTrip(t *testing.T) {
	for _, l := range []checkpoint.Leaf{{Registry: true, CaseID: 3, Seq: 1, Hash: bytes.Repeat([]byte{1}, 32)}, {CaseID: 9, Seq: 40, Hash: bytes.Repeat([]byte{0xfe}, 32)}} {
		got, err := checkpoint.ParseLeaf(strings.TrimSuffix(l.Text(), "\n"))
		if err != nil || got.Text() != l.Text() {
			t.Fatalf("%q → %+v %v", l.Text(), got, err)
		}
	}
	for _, bad := range []string{"", "head 1 2", "tail 1 2 00", "head x 2 " + strings.Repeat("0", 64), "head 1 2 " + strings.Repeat("0", 62)} {
		if _, err := checkpoint.ParseLeaf(bad); err == nil {
			t.Errorf("ParseLeaf(%q) accepted", bad)
		}
	}
}

// The tree agrees with tlog's reference hashing and its proofs check, at sizes around powers of two.
func TestTree_RootsAndProofs(t *testing.T) {
	tree := &checkpoint.Tree{}
	ls := leaves(70)
	var hashes []tlog.Hash
	for _, l := range ls {
		if err := tree.Append(l); err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, l.LeafHash())
	}
	for _, n := range []int64{1, 2, 3, 31, 32, 33, 64, 70} {
		root, err := tree.Root(n)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range []int64{0, n / 2, n - 1} {
			p, err := tree.ProveLeaf(n, i)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckRecord(p, n, root, i, hashes[i]); err != nil {
				t.Fatalf("size %d leaf %d: %v", n, i, err)
			}
			if i > 0 && tlog.CheckRecord(p, n, root, i, hashes[i-1]) == nil {
				t.Fatalf("size %d: the proof of leaf %d also proves leaf %d", n, i, i-1)
			}
		}
		if n > 1 {
			old, _ := tree.Root(n - 1)
			p, err := tree.ProveTree(n, n-1)
			if err != nil || tlog.CheckTree(p, n, root, n-1, old) != nil {
				t.Fatalf("consistency %d→%d: %v", n-1, n, err)
			}
		}
	}
}

func TestOpen_SignatureAndKeys(t *testing.T) {
	skey, vkey, err := checkpoint.GenerateKey("leakdesk-a")
	if err != nil {
		t.Fatal(err)
	}
	s, err := checkpoint.NewSigner(skey)
	if err != nil || s.VerifierKey() != vkey {
		t.Fatalf("signer: %v; verifier key %q want %q", err, s.VerifierKey(), vkey)
	}
	_, other, _ := checkpoint.GenerateKey("leakdesk-b")
	head := checkpoint.Head{Anchor: 4, At: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), Size: 9, Root: tlog.RecordHash([]byte("x"))}
	msg, err := s.Sign(head)
	if err != nil {
		t.Fatal(err)
	}
	got, key, err := checkpoint.Open(msg, []string{other, vkey})
	if err != nil || key != vkey || got != head {
		t.Fatalf("Open: %+v %q %v", got, key, err)
	}
	for name, tc := range map[string]struct {
		msg     []byte
		trusted []string
		want    string
	}{
		"unknown key":    {msg, []string{other}, "not trusted"},
		"size changed":   {bytes.Replace(msg, []byte("\n9\n"), []byte("\n10\n"), 1), []string{vkey}, "signature"},
		"not a note":     {[]byte("hello"), []string{vkey}, "signature"},
		"bad public key": {msg, []string{"nonsense"}, "public key"},
	} {
		if _, _, err := checkpoint.Open(tc.msg, tc.trusted); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	if f := checkpoint.Fingerprint(vkey); len(f) != 79 || f == checkpoint.Fingerprint(other) {
		t.Errorf("fingerprint %q", f)
	}
}
