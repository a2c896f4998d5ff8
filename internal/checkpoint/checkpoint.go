// Package checkpoint turns the history into a transparency log, as Certificate Transparency does
// (RFC 9162): every case registered and every case head anchored is a leaf of one append-only
// Merkle tree (RFC 6962 hashes, golang.org/x/mod/sumdb/tlog), and each anchor's tree head is
// signed with an Ed25519 key held outside the database (a golang.org/x/mod/sumdb/note signed note
// in the transparency-dev checkpoint layout). Someone who rewrites the database — even its owner,
// recomputing every SHA-256 — cannot produce a tree whose head carries a valid signature, and a
// head already copied outside the database (the witness directory, the daily digest mail, an
// exported case file) no longer matches.
//
// The package holds no SQL and no HTTP: the store reads the leaves, this package hashes, signs,
// proves and checks.
package checkpoint

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Origin is the first line of every checkpoint: the log it belongs to.
const Origin = "leakdesk case history"

// Leaf is one entry of the log: a case entering the registry, or a case's head at an anchor.
type Leaf struct {
	Registry bool   // true: case_registry entry Seq of CaseID; false: event Seq of CaseID
	CaseID   int64  //
	Seq      int64  // the registry seq or the event seq
	Hash     []byte // the registry entry's or the event's SHA-256 chain hash
}

// Text is the leaf's canonical line, the bytes its RFC 6962 leaf hash covers.
func (l Leaf) Text() string {
	kind := "head"
	if l.Registry {
		kind = "registry"
	}
	return fmt.Sprintf("%s %d %d %s\n", kind, l.CaseID, l.Seq, hex.EncodeToString(l.Hash))
}

// ParseLeaf reads a line written by Text.
func ParseLeaf(line string) (Leaf, error) {
	f := strings.Fields(line)
	if len(f) != 4 || (f[0] != "head" && f[0] != "registry") {
		return Leaf{}, fmt.Errorf("checkpoint: leaf %q is not \"head|registry CASE SEQ HASH\"", line)
	}
	id, err1 := strconv.ParseInt(f[1], 10, 64)
	seq, err2 := strconv.ParseInt(f[2], 10, 64)
	h, err3 := hex.DecodeString(f[3])
	if err1 != nil || err2 != nil || err3 != nil || len(h) != sha256.Size {
		return Leaf{}, fmt.Errorf("checkpoint: leaf %q is malformed", line)
	}
	return Leaf{Registry: f[0] == "registry", CaseID: id, Seq: seq, Hash: h}, nil
}

// LeafHash is the leaf's RFC 6962 record hash.
func (l Leaf) LeafHash() tlog.Hash { return tlog.RecordHash([]byte(l.Text())) }

// Tree is an in-memory Merkle tree: tlog's stored hashes, in tlog's order. Appending n leaves
// costs about 2n SHA-256; every proof is read from it.
type Tree struct {
	stored []tlog.Hash
	n      int64
}

// ReadHashes implements tlog.HashReader.
func (t *Tree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(t.stored)) {
			return nil, fmt.Errorf("checkpoint: tree hash %d not stored (%d)", x, len(t.stored))
		}
		out[i] = t.stored[x]
	}
	return out, nil
}

// Append adds one leaf.
func (t *Tree) Append(l Leaf) error {
	hs, err := tlog.StoredHashesForRecordHash(t.n, l.LeafHash(), t)
	if err != nil {
		return err
	}
	t.stored = append(t.stored, hs...)
	t.n++
	return nil
}

// Size is the number of leaves.
func (t *Tree) Size() int64 { return t.n }

// Root is the tree head at size n (n ≤ Size).
func (t *Tree) Root(n int64) (tlog.Hash, error) { return tlog.TreeHash(n, t) }

// ProveLeaf is the inclusion proof of leaf i in the tree of size n.
func (t *Tree) ProveLeaf(n, i int64) (tlog.RecordProof, error) { return tlog.ProveRecord(n, i, t) }

// ProveTree is the consistency proof of the tree of size m with the one of size n.
func (t *Tree) ProveTree(n, m int64) (tlog.TreeProof, error) { return tlog.ProveTree(n, m, t) }

// Head is what a checkpoint states: the anchor it was written with, when, and the tree head.
type Head struct {
	Anchor int64     // chain_anchors.seq the checkpoint covers up to
	At     time.Time // the anchor's time
	Size   int64
	Root   tlog.Hash
}

// body is the signed text: the transparency-dev checkpoint layout (origin, size, base64 root)
// followed by one extension line.
func (h Head) body() string {
	return fmt.Sprintf("%s\n%d\n%s\nanchor %d %s\n", Origin, h.Size, h.Root, h.Anchor, h.At.UTC().Format(time.RFC3339Nano))
}

func parseBody(text string) (Head, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 4 || lines[0] != Origin {
		return Head{}, fmt.Errorf("checkpoint: not a %q checkpoint", Origin)
	}
	var h Head
	var err error
	if h.Size, err = strconv.ParseInt(lines[1], 10, 64); err != nil || h.Size < 0 {
		return Head{}, errors.New("checkpoint: bad tree size")
	}
	if h.Root, err = tlog.ParseHash(lines[2]); err != nil {
		return Head{}, errors.New("checkpoint: bad root hash")
	}
	f := strings.Fields(lines[3])
	if len(f) != 3 || f[0] != "anchor" {
		return Head{}, errors.New("checkpoint: bad anchor line")
	}
	if h.Anchor, err = strconv.ParseInt(f[1], 10, 64); err != nil {
		return Head{}, errors.New("checkpoint: bad anchor seq")
	}
	if h.At, err = time.Parse(time.RFC3339Nano, f[2]); err != nil {
		return Head{}, errors.New("checkpoint: bad anchor time")
	}
	return h, nil
}

// Signer signs checkpoints with one Ed25519 key.
type Signer struct {
	signer note.Signer
	vkey   string
}

// GenerateKey makes a new key pair named name: the private key (a note signer key, for the key
// file, kept away from the database) and its public verifier key.
func GenerateKey(name string) (skey, vkey string, err error) {
	return note.GenerateKey(rand.Reader, name)
}

// NewSigner reads a private key written by GenerateKey.
func NewSigner(skey string) (*Signer, error) {
	s, err := note.NewSigner(strings.TrimSpace(skey))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: signing key: %w", err)
	}
	// The verifier key is the signer key's public half: name+hash+base64(alg ‖ public key).
	vkey, err := verifierKey(strings.TrimSpace(skey))
	if err != nil {
		return nil, err
	}
	return &Signer{signer: s, vkey: vkey}, nil
}

// VerifierKey is the public key that checks this signer's checkpoints.
func (s *Signer) VerifierKey() string { return s.vkey }

// Sign returns the signed checkpoint of h.
func (s *Signer) Sign(h Head) ([]byte, error) {
	msg, err := note.Sign(&note.Note{Text: h.body()}, s.signer)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: sign: %w", err)
	}
	return msg, nil
}

// Open checks a signed checkpoint against the trusted verifier keys and returns what it states and
// the verifier key that signed it.
func Open(msg []byte, trusted []string) (Head, string, error) {
	var vs []note.Verifier
	byName := map[string]string{}
	for _, k := range trusted {
		v, err := note.NewVerifier(strings.TrimSpace(k))
		if err != nil {
			return Head{}, "", fmt.Errorf("checkpoint: public key %q: %w", k, err)
		}
		vs = append(vs, v)
		byName[fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash())] = strings.TrimSpace(k)
	}
	n, err := note.Open(msg, note.VerifierList(vs...))
	if err != nil {
		var unknown *note.UnverifiedNoteError
		if errors.As(err, &unknown) {
			return Head{}, "", fmt.Errorf("checkpoint: signed by a key that is not trusted (%s)", sigNames(unknown.Note))
		}
		return Head{}, "", fmt.Errorf("checkpoint: signature: %w", err)
	}
	h, err := parseBody(n.Text)
	if err != nil {
		return Head{}, "", err
	}
	sig := n.Sigs[0]
	return h, byName[fmt.Sprintf("%s+%08x", sig.Name, sig.Hash)], nil
}

func sigNames(n *note.Note) string {
	var names []string
	for _, s := range n.UnverifiedSigs {
		names = append(names, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
	}
	return strings.Join(names, ", ")
}

// verifierKey derives the verifier key from a note signer key
// (PRIVATE+KEY+name+hash+base64(alg ‖ seed)).
func verifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("checkpoint: signing key is not a note private key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 33 || raw[0] != 1 {
		return "", errors.New("checkpoint: signing key is not an Ed25519 note key")
	}
	pub := ed25519Public(raw[1:])
	return parts[2] + "+" + parts[3] + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, pub...)), nil
}

// Fingerprint is the SHA-256 of a verifier key's public key bytes, as an auditor compares it
// (hex, in groups of four).
func Fingerprint(vkey string) string {
	// name+hash+base64: the base64 part may itself hold '+'.
	parts := strings.SplitN(strings.TrimSpace(vkey), "+", 3)
	if len(parts) != 3 {
		return "?"
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil {
		return "?"
	}
	sum := sha256.Sum256(raw)
	x := hex.EncodeToString(sum[:])
	var b bytes.Buffer
	for i := 0; i < len(x); i += 4 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(x[i : i+4])
	}
	return b.String()
}

func ed25519Public(seed []byte) []byte {
	return ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
}
