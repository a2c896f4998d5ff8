package checkpoint

import (
	"bytes"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// Stored answers, for each leaf, the hash the database holds for it now: the registry entry's hash
// for a registry leaf, the event's hash for a head leaf; nil when the row is gone.
type Stored func(leaves []Leaf) ([][]byte, error)

// Failure names what did not verify: the checkpoint, and when known the case and seq.
type Failure struct {
	Checkpoint int64
	CaseID     int64
	Seq        int64
	Reason     string
}

func (f *Failure) Error() string {
	if f.CaseID != 0 {
		return fmt.Sprintf("checkpoint %d: case %d seq %d: %s", f.Checkpoint, f.CaseID, f.Seq, f.Reason)
	}
	return fmt.Sprintf("checkpoint %d: %s", f.Checkpoint, f.Reason)
}

// WitnessResult sums up a verified witness directory.
type WitnessResult struct {
	Checkpoints int
	Leaves      int64
	Last        Head
	Keys        []string        // the verifier keys that signed, in order of first use
	Heads       map[int64]int64 // per case, the newest witnessed head seq
	Registry    int64           // registry entries witnessed (1..Registry)
}

// VerifyWitness checks a witness directory's checkpoints against the trusted keys and against the
// database: each checkpoint is signed by a trusted key, its leaves hash to its signed root, each
// tree is consistent with the next (an RFC 6962 consistency proof), the registry leaves run 1, 2,
// 3 … without a gap, and every witnessed leaf is still in the database with the same hash. The
// first failure is returned as a *Failure.
func VerifyWitness(ws []Witnessed, trusted []string, stored Stored) (WitnessResult, error) {
	res := WitnessResult{Heads: map[int64]int64{}}
	tree := &Tree{}
	var prev Head
	seen := map[string]bool{}
	for _, w := range ws {
		h, key, err := Open(w.Note, trusted)
		if err != nil {
			return res, &Failure{Checkpoint: w.Seq, Reason: err.Error()}
		}
		if !seen[key] {
			seen[key] = true
			res.Keys = append(res.Keys, key)
		}
		for _, l := range w.Leaves {
			if l.Registry {
				if l.Seq != res.Registry+1 {
					return res, &Failure{Checkpoint: w.Seq, CaseID: l.CaseID, Reason: fmt.Sprintf("registry entry %d found where %d was expected", l.Seq, res.Registry+1)}
				}
				res.Registry = l.Seq
			} else if l.Seq > res.Heads[l.CaseID] {
				res.Heads[l.CaseID] = l.Seq
			}
			if err := tree.Append(l); err != nil {
				return res, err
			}
		}
		if tree.Size() != h.Size {
			return res, &Failure{Checkpoint: w.Seq, Reason: fmt.Sprintf("the leaves file holds %d leaves in all, the signed tree %d", tree.Size(), h.Size)}
		}
		root, err := tree.Root(h.Size)
		if err != nil {
			return res, err
		}
		if root != h.Root {
			return res, &Failure{Checkpoint: w.Seq, Reason: "the leaves do not hash to the signed root"}
		}
		if res.Checkpoints > 0 {
			if h.Anchor <= prev.Anchor || h.Size < prev.Size {
				return res, &Failure{Checkpoint: w.Seq, Reason: "the checkpoint does not follow the previous one"}
			}
			p, err := tree.ProveTree(h.Size, prev.Size)
			if err == nil {
				err = tlog.CheckTree(p, h.Size, h.Root, prev.Size, prev.Root)
			}
			if err != nil {
				return res, &Failure{Checkpoint: w.Seq, Reason: "not consistent with the previous checkpoint: " + err.Error()}
			}
		}
		if err := compareStored(w, stored); err != nil {
			return res, err
		}
		prev = h
		res.Checkpoints++
		res.Leaves = h.Size
		res.Last = h
	}
	return res, nil
}

// compareStored compares one checkpoint's leaves with the database, in batches.
func compareStored(w Witnessed, stored Stored) error {
	const batch = 10000
	for i := 0; i < len(w.Leaves); i += batch {
		part := w.Leaves[i:min(i+batch, len(w.Leaves))]
		got, err := stored(part)
		if err != nil {
			return err
		}
		for j, l := range part {
			switch {
			case got[j] == nil && l.Registry:
				return &Failure{Checkpoint: w.Seq, CaseID: l.CaseID, Seq: l.Seq, Reason: "the witnessed registry entry is gone from the database (case deleted)"}
			case got[j] == nil:
				return &Failure{Checkpoint: w.Seq, CaseID: l.CaseID, Seq: l.Seq, Reason: "the witnessed event is gone from the database (history truncated)"}
			case !bytes.Equal(got[j], l.Hash) && l.Registry:
				return &Failure{Checkpoint: w.Seq, CaseID: l.CaseID, Seq: l.Seq, Reason: "the registry entry differs from the witnessed one (rewritten)"}
			case !bytes.Equal(got[j], l.Hash):
				return &Failure{Checkpoint: w.Seq, CaseID: l.CaseID, Seq: l.Seq, Reason: "the event's hash differs from the witnessed head (history rewritten)"}
			}
		}
	}
	return nil
}
