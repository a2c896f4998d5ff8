package checkpoint

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// A witness directory holds, for checkpoint N, two files written once and never rewritten:
// N.leaves (the leaves the checkpoint added, one Leaf.Text line each) and N.checkpoint (the signed
// note), N zero-padded to 20 digits so that names sort by sequence. The leaves file is written
// first: a checkpoint file present means its leaves are too. The directory is meant to be on
// storage the database's administrators cannot write (docs/operations.md).

// Witnessed is one checkpoint read back from a witness directory.
type Witnessed struct {
	Seq    int64
	Note   []byte
	Leaves []Leaf
}

func name(dir string, seq int64, ext string) string {
	return filepath.Join(dir, fmt.Sprintf("%020d.%s", seq, ext))
}

// WriteWitness writes checkpoint seq. Files already there with the same bytes are left alone (a
// retry after a crash); different bytes are an error and nothing is overwritten.
func WriteWitness(dir string, seq int64, note []byte, leaves []Leaf) error {
	var b bytes.Buffer
	for _, l := range leaves {
		b.WriteString(l.Text())
	}
	if err := writeOnce(name(dir, seq, "leaves"), b.Bytes()); err != nil {
		return err
	}
	return writeOnce(name(dir, seq, "checkpoint"), note)
}

// writeOnce creates path with data, or accepts an identical existing file. The bytes go to a
// temporary file first and are linked into place, so a reader never sees half a file and an
// existing name is never replaced (link fails on it).
func writeOnce(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil {
		if bytes.Equal(old, data) {
			return nil
		}
		return fmt.Errorf("witness: %s exists with other content; it is never rewritten", path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("witness: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("witness: write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o444); err != nil {
		return fmt.Errorf("witness: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("witness: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// LastWitnessed is the highest checkpoint seq in dir (0: none yet).
func LastWitnessed(dir string) (int64, error) {
	seqs, err := list(dir)
	if err != nil || len(seqs) == 0 {
		return 0, err
	}
	return seqs[len(seqs)-1], nil
}

// CheckDir reports why dir cannot take witness files (missing, not a directory, not writable).
func CheckDir(dir string) error {
	if dir == "" {
		return errors.New("LEAKDESK_WITNESS_DIR is not set")
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("witness directory %s: %w", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("witness directory %s is not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return fmt.Errorf("witness directory %s is not writable: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

func list(dir string) ([]int64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	var seqs []int64
	for _, e := range ents {
		base, ok := strings.CutSuffix(e.Name(), ".checkpoint")
		if !ok || e.IsDir() {
			continue
		}
		n, err := strconv.ParseInt(base, 10, 64)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("witness: unexpected file %s", e.Name())
		}
		seqs = append(seqs, n)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	return seqs, nil
}

// ReadWitness reads every checkpoint of dir in sequence order. A gap in the sequence is an error:
// files are never removed.
func ReadWitness(dir string) ([]Witnessed, error) {
	seqs, err := list(dir)
	if err != nil {
		return nil, err
	}
	var out []Witnessed
	for i, seq := range seqs {
		if seq != int64(i)+1 {
			return nil, fmt.Errorf("witness: checkpoint %d is missing from %s (found %d)", i+1, dir, seq)
		}
		msg, err := os.ReadFile(name(dir, seq, "checkpoint"))
		if err != nil {
			return nil, fmt.Errorf("witness: %w", err)
		}
		leaves, err := readLeaves(name(dir, seq, "leaves"))
		if err != nil {
			return nil, err
		}
		out = append(out, Witnessed{Seq: seq, Note: msg, Leaves: leaves})
	}
	return out, nil
}

func readLeaves(path string) ([]Leaf, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("witness: %s is missing", path)
	}
	if err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	defer f.Close()
	var out []Leaf
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		l, err := ParseLeaf(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("witness: %s: %w", path, err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("witness: %s: %w", path, err)
	}
	return out, nil
}
