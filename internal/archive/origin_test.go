package archive_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/leakdesk/leakdesk/internal/archive"
	"github.com/leakdesk/leakdesk/internal/chain"
	"github.com/leakdesk/leakdesk/internal/checkpoint"
)

// signedOrigin signs a tree holding another case's head, then case 42's event seq (its hash), then
// a third leaf, and returns the origin of leaf i, with the verifier key.
func signedOrigin(t testing.TB, f archive.CaseFile, seq int64, prove int64) (*archive.Origin, string) {
	t.Helper()
	skey, vkey, err := checkpoint.GenerateKey("leakdesk-test")
	if err != nil {
		t.Fatal(err)
	}
	s, err := checkpoint.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	leaves := []checkpoint.Leaf{
		{CaseID: 7, Seq: 3, Hash: bytes.Repeat([]byte{7}, 32)},
		{CaseID: 42, Seq: seq, Hash: f.Events[seq-1].Hash},
		{Registry: true, CaseID: 43, Seq: 2, Hash: bytes.Repeat([]byte{9}, 32)},
	}
	tree := &checkpoint.Tree{}
	for _, l := range leaves {
		if err := tree.Append(l); err != nil {
			t.Fatal(err)
		}
	}
	root, _ := tree.Root(3)
	note, err := s.Sign(checkpoint.Head{Anchor: 5, At: t0, Size: 3, Root: root})
	if err != nil {
		t.Fatal(err)
	}
	p, err := tree.ProveLeaf(3, prove)
	if err != nil {
		t.Fatal(err)
	}
	o := &archive.Origin{Checkpoint: string(note), VerifierKey: vkey, Fingerprint: checkpoint.Fingerprint(vkey),
		Leaf: leaves[prove].Text(), Index: prove, TreeSize: 3}
	for _, h := range p {
		o.Proof = append(o.Proof, h.String())
	}
	return o, vkey
}

// TestVerifyExport_Origin: an export proves its origin offline, and each way of faking it fails
// naming what failed.
func TestVerifyExport_Origin(t *testing.T) {
	_, stranger, _ := checkpoint.GenerateKey("someone-else")
	cases := []struct {
		name    string
		edit    func(o *archive.Origin, f *archive.CaseFile)
		trusted func(vkey string) []string
		want    string // "" verifies
		trust   bool
	}{
		{"signed by the given key", nil, func(k string) []string { return []string{k} }, "", true},
		{"no key given: the file's own key", nil, func(string) []string { return nil }, "", false},
		{"signed by an unknown key", nil, func(string) []string { return []string{stranger} }, "not trusted", false},
		{"checkpoint edited", func(o *archive.Origin, _ *archive.CaseFile) {
			o.Checkpoint = strings.Replace(o.Checkpoint, "\n3\n", "\n4\n", 1)
		}, func(k string) []string { return []string{k} }, "signature", false},
		{"proof for another case", func(o *archive.Origin, f *archive.CaseFile) {
			other, _ := signedOriginLeaf(t, *f, 0, o)
			*o = *other
		}, func(k string) []string { return []string{k} }, "the proof is for case 7", false},
		{"proof hash changed", func(o *archive.Origin, _ *archive.CaseFile) {
			o.Proof[0] = tlog.RecordHash([]byte("x")).String()
		}, func(k string) []string { return []string{k} }, "inclusion proof", false},
		{"history rewritten consistently", func(o *archive.Origin, f *archive.CaseFile) {
			// An event edited and every hash after it recomputed: the chain and the manifest
			// verify, only the signature says otherwise.
			f.Events[1].Payload["changes"] = []any{}
			prev := chain.GenesisPrev
			for i := range f.Events {
				canon, err := f.Events[i].Canonical(42)
				if err != nil {
					t.Fatal(err)
				}
				f.Events[i].PrevHash, f.Events[i].Hash = prev, chain.Hash(prev, canon)
				prev = f.Events[i].Hash
			}
		}, func(string) []string { return nil }, "not the one the checkpoint signed", false},
		{"fingerprint of another key", func(o *archive.Origin, _ *archive.CaseFile) {
			o.Fingerprint = checkpoint.Fingerprint(stranger)
		}, func(string) []string { return nil }, "fingerprint", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := story(t)
			o, vkey := signedOrigin(t, f, 2, 1)
			if tc.edit != nil {
				tc.edit(o, &f)
			}
			f.Origin = o
			b := build(t, f)
			res, err := archive.VerifyWith(bytes.NewReader(b), int64(len(b)), tc.trusted(vkey))
			if tc.want == "" {
				if err != nil || len(res.Origins) != 1 || res.Origins[0].Seq != 2 || res.Origins[0].Trusted != tc.trust || res.Origins[0].VerifierKey != vkey {
					t.Fatalf("%+v %v", res.Origins, err)
				}
				return
			}
			var mm *archive.Mismatch
			if !errors.As(err, &mm) || !strings.Contains(mm.What, tc.want) {
				t.Fatalf("got %v, want a mismatch naming %q", err, tc.want)
			}
		})
	}
	// With a key given, a case without a signed checkpoint does not pass.
	f := story(t)
	b := build(t, f)
	if _, err := archive.VerifyWith(bytes.NewReader(b), int64(len(b)), []string{stranger}); err == nil || !strings.Contains(err.Error(), "no signed checkpoint") {
		t.Fatalf("no origin, key given: %v", err)
	}
	if _, err := archive.VerifyWith(bytes.NewReader(b), int64(len(b)), nil); err != nil {
		t.Fatalf("an export without origin (before the first checkpoint) must still verify without a key: %v", err)
	}
}

// signedOriginLeaf re-proves leaf i of the same tree as o (the proof of another case's head).
func signedOriginLeaf(t *testing.T, f archive.CaseFile, i int64, o *archive.Origin) (*archive.Origin, error) {
	t.Helper()
	tree := &checkpoint.Tree{}
	for _, l := range []checkpoint.Leaf{
		{CaseID: 7, Seq: 3, Hash: bytes.Repeat([]byte{7}, 32)},
		{CaseID: 42, Seq: 2, Hash: f.Events[1].Hash},
		{Registry: true, CaseID: 43, Seq: 2, Hash: bytes.Repeat([]byte{9}, 32)},
	} {
		if err := tree.Append(l); err != nil {
			t.Fatal(err)
		}
	}
	p, err := tree.ProveLeaf(3, i)
	if err != nil {
		t.Fatal(err)
	}
	out := *o
	out.Leaf, out.Index, out.Proof = (checkpoint.Leaf{CaseID: 7, Seq: 3, Hash: bytes.Repeat([]byte{7}, 32)}).Text(), i, nil
	for _, h := range p {
		out.Proof = append(out.Proof, h.String())
	}
	return &out, nil
}

// BenchmarkVerifyExportOffline: the whole offline check of a case file with its signed origin
// (manifest, files, chain, signature, inclusion proof), as `leakdesk audit verify-export --pubkey`
// runs it.
func BenchmarkVerifyExportOffline(b *testing.B) {
	f := story(b)
	plain := build(b, f)
	o, vkey := signedOrigin(b, f, 2, 1)
	f.Origin = o
	signed := build(b, f)
	for _, bc := range []struct {
		name string
		body []byte
		keys []string
	}{{"with-origin", signed, []string{vkey}}, {"without-origin", plain, nil}} {
		b.Run(bc.name, func(b *testing.B) {
			for range b.N {
				if _, err := archive.VerifyWith(bytes.NewReader(bc.body), int64(len(bc.body)), bc.keys); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
