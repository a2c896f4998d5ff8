package archive

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/leakdesk/leakdesk/internal/checkpoint"
)

// Origin proves where a case's history comes from without the database: the newest signed
// checkpoint at export, the leaf of the case's head it covers, and the leaf's inclusion proof
// (internal/checkpoint). The manifest's seal is a plain SHA-256 anyone can recompute; the signature
// is what a forger cannot make.
type Origin struct {
	Checkpoint  string   `json:"checkpoint"`   // the signed note
	VerifierKey string   `json:"verifier_key"` // the public key that signed it
	Fingerprint string   `json:"fingerprint"`  // checkpoint.Fingerprint(VerifierKey)
	Leaf        string   `json:"leaf"`         // checkpoint.Leaf.Text of the case's head
	Index       int64    `json:"index"`
	TreeSize    int64    `json:"tree_size"`
	Proof       []string `json:"proof"` // base64 hashes
}

// OriginResult is what verifying one case's origin established.
type OriginResult struct {
	CaseID      int64
	Number      string
	VerifierKey string // the key that signed
	Fingerprint string
	Trusted     bool // signed by a key the verifier was given (false: only the key the file carries)
	Head        checkpoint.Head
	Seq         int64 // the case's event covered by the checkpoint
}

// verifyOrigin checks one case's origin: signature by a trusted key (or, with none given, by the
// key the file names — then the result says it is not independently trusted), the leaf is this
// case's and equals the event of events.jsonl at its seq, and the inclusion proof leads from the
// leaf to the signed root.
func verifyOrigin(contents map[string][]byte, mc ManifestCase, trusted []string) (*OriginResult, error) {
	o := mc.Origin
	fail := func(what string) error {
		return &Mismatch{File: ManifestName, CaseID: mc.CaseID, What: "origin: " + what}
	}
	if o == nil {
		if len(trusted) > 0 {
			return nil, fail("the case carries no signed checkpoint (exported before the first one was written)")
		}
		return nil, nil
	}
	keys, isTrusted := trusted, true
	if len(keys) == 0 {
		keys, isTrusted = []string{o.VerifierKey}, false
	}
	head, key, err := checkpoint.Open([]byte(o.Checkpoint), keys)
	if err != nil {
		return nil, fail(err.Error())
	}
	if checkpoint.Fingerprint(key) != o.Fingerprint && !isTrusted {
		return nil, fail("the fingerprint does not belong to the key that signed")
	}
	leaf, err := checkpoint.ParseLeaf(strings.TrimSuffix(o.Leaf, "\n"))
	if err != nil || leaf.Registry {
		return nil, fail("the proven leaf is not a case head")
	}
	if leaf.CaseID != mc.CaseID {
		return nil, fail(fmt.Sprintf("the proof is for case %d, not this case (%d)", leaf.CaseID, mc.CaseID))
	}
	if o.TreeSize != head.Size {
		return nil, fail(fmt.Sprintf("the proof is for a tree of %d leaves, the checkpoint signs %d", o.TreeSize, head.Size))
	}
	var proof tlog.RecordProof
	for _, s := range o.Proof {
		h, err := tlog.ParseHash(s)
		if err != nil {
			return nil, fail("the proof holds a malformed hash")
		}
		proof = append(proof, h)
	}
	if err := tlog.CheckRecord(proof, head.Size, head.Root, o.Index, leaf.LeafHash()); err != nil {
		return nil, fail("the inclusion proof does not lead to the signed root (" + err.Error() + ")")
	}
	stored, err := eventHash(contents[mc.Dir+"/events.jsonl"], leaf.Seq)
	if err != nil {
		return nil, fail(err.Error())
	}
	if !bytes.Equal(stored, leaf.Hash) {
		return nil, fail(fmt.Sprintf("event %d in events.jsonl is not the one the checkpoint signed", leaf.Seq))
	}
	return &OriginResult{CaseID: mc.CaseID, Number: mc.Number, VerifierKey: key, Fingerprint: checkpoint.Fingerprint(key),
		Trusted: isTrusted, Head: head, Seq: leaf.Seq}, nil
}

// eventHash finds the hash of event seq in events.jsonl (already checked by verifyEvents).
func eventHash(data []byte, seq int64) ([]byte, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 64*1024*1024)
	for sc.Scan() {
		var l struct {
			Seq  int64  `json:"seq"`
			Hash string `json:"hash"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, err
		}
		if l.Seq == seq {
			leaf, err := checkpoint.ParseLeaf(fmt.Sprintf("head 0 %d %s", seq, l.Hash))
			if err != nil {
				return nil, err
			}
			return leaf.Hash, nil
		}
	}
	return nil, fmt.Errorf("events.jsonl holds no event %d, the one the checkpoint signed", seq)
}
