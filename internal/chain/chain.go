package chain

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"hash"
)

// GenesisPrev is the prev hash of a case's first event: the empty byte
// string (not 32 zero bytes), so the first hash is SHA-256(canonicalEvent).
var GenesisPrev = []byte{}

// Hash returns SHA-256(prev ‖ canonicalEvent). prev is the Hash of the
// previous event of the same case, or GenesisPrev (empty) for seq 1.
func Hash(prev []byte, canonicalEvent []byte) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(canonicalEvent)
	return h.Sum(nil)
}

// Hasher checks links against Hash without allocating per link: verification hashes every
// event of every case, and two allocations per event were a visible part of its profile.
// Not safe for concurrent use; one per goroutine.
type Hasher struct {
	h   hash.Hash
	sum [sha256.Size]byte
}

// NewHasher returns a Hasher.
func NewHasher() *Hasher { return &Hasher{h: sha256.New()} }

// Matches reports whether want equals Hash(prev, canonicalEvent).
func (x *Hasher) Matches(want, prev, canonicalEvent []byte) bool {
	x.h.Reset()
	x.h.Write(prev)
	x.h.Write(canonicalEvent)
	return bytes.Equal(want, x.h.Sum(x.sum[:0]))
}

// Link is one stored event of a case's chain: its seq (1, 2, 3, ...), its
// canonical JSON, the hash of the link before it and its own hash.
type Link struct {
	Seq       int64
	Canonical []byte
	PrevHash  []byte
	Hash      []byte
}

// Next builds the link that follows prev (nil for the first event of a case).
func Next(prev *Link, canonical []byte) Link {
	if prev == nil {
		return Link{Seq: 1, Canonical: canonical, PrevHash: GenesisPrev, Hash: Hash(GenesisPrev, canonical)}
	}
	return Link{Seq: prev.Seq + 1, Canonical: canonical, PrevHash: prev.Hash, Hash: Hash(prev.Hash, canonical)}
}

// Verify checks one case's whole chain, in stored order. The chain must
// start at seq 1 with an empty prev hash, continue without gaps, and every
// link's PrevHash must equal the previous link's Hash and its Hash must equal
// Hash(PrevHash, Canonical).
//
// It returns ok=true, 0, "" for a valid (also an empty) chain; otherwise
// ok=false, the Seq of the first link found bad (for a gap: the seq that
// appears where another was expected) and an English reason.
func Verify(links []Link) (ok bool, firstBad int64, reason string) {
	var prevHash []byte = GenesisPrev
	for i, l := range links {
		want := int64(i) + 1
		if l.Seq != want {
			return false, l.Seq, fmt.Sprintf("seq %d found where %d was expected (event missing, duplicated or reordered)", l.Seq, want)
		}
		if !bytes.Equal(l.PrevHash, prevHash) {
			return false, l.Seq, "prev hash does not match the hash of the previous event"
		}
		if !bytes.Equal(l.Hash, Hash(l.PrevHash, l.Canonical)) {
			return false, l.Seq, "hash does not match the event content"
		}
		prevHash = l.Hash
	}
	return true, 0, ""
}
