package archive

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/leakdesk/leakdesk/internal/audit"
	"github.com/leakdesk/leakdesk/internal/chain"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// Mismatch is the first thing in an archive that does not verify. Recorded is true when the
// archive itself is intact but holds a history that was already broken when it was exported
// (the manifest says so): the evidence is faithful, and what it shows is a break.
type Mismatch struct {
	File     string // path in the archive ("" for the archive as a whole)
	CaseID   int64
	Seq      int64
	What     string
	Recorded bool
}

func (m *Mismatch) Error() string {
	s := "archive does not verify"
	if m.Recorded {
		s = "archive is intact, but the history it holds was broken at export"
	}
	if m.File != "" {
		s += ": " + m.File
	}
	if m.Seq != 0 {
		s += fmt.Sprintf(": seq %d", m.Seq)
	}
	return s + ": " + m.What
}

// Result is what a successful verification checked.
type Result struct {
	Manifest Manifest
	Files    int
	Events   int
	Comments int
	Origins  []OriginResult // the cases whose signed checkpoint verified
}

// VerifyFile opens and verifies an archive offline. A *Mismatch names the first thing that does not
// match; other errors are I/O errors.
func VerifyFile(path string) (Result, error) { return VerifyFileWith(path, nil) }

// VerifyFileWith is VerifyFile with the public keys trusted to have signed the checkpoints; with
// none, each case's checkpoint is checked against the key the file itself names (proving the file
// is consistent, not who made it: compare the fingerprint with the published one).
func VerifyFileWith(path string, trusted []string) (Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Result{}, err
	}
	return VerifyWith(f, st.Size(), trusted)
}

// Verify checks an archive: the manifest's seal, every file's SHA-256 and size against the
// manifest, no file missing, no file extra, and each case's event and comment chains recomputed
// from the .jsonl files up to the heads the manifest names.
func Verify(r io.ReaderAt, size int64) (Result, error) { return VerifyWith(r, size, nil) }

// VerifyWith is Verify that also checks each case's signed origin against the trusted keys
// (VerifyFileWith); a case without one fails when keys are given.
func VerifyWith(r io.ReaderAt, size int64, trusted []string) (Result, error) {
	var res Result
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return res, &Mismatch{What: "not a readable ZIP archive: " + err.Error()}
	}
	contents := map[string][]byte{}
	var order []string
	for _, f := range zr.File {
		if _, dup := contents[f.Name]; dup {
			return res, &Mismatch{File: f.Name, What: "the archive holds this file twice"}
		}
		rc, err := f.Open()
		if err != nil {
			return res, &Mismatch{File: f.Name, What: "unreadable: " + err.Error()}
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return res, &Mismatch{File: f.Name, What: "unreadable (damaged): " + err.Error()}
		}
		contents[f.Name] = data
		order = append(order, f.Name)
	}
	raw, ok := contents[ManifestName]
	if !ok {
		return res, &Mismatch{File: ManifestName, What: "missing"}
	}
	m, err := readManifest(raw)
	if err != nil {
		return res, err
	}
	res.Manifest = m
	listed := map[string]ManifestFile{}
	for _, mf := range m.Files {
		listed[mf.Path] = mf
	}
	for _, mf := range m.Files {
		data, ok := contents[mf.Path]
		if !ok {
			return res, &Mismatch{File: mf.Path, What: "missing from the archive (listed in the manifest)"}
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != mf.SHA256 {
			return res, &Mismatch{File: mf.Path, What: "SHA-256 does not match the manifest (the file was changed)"}
		}
		if int64(len(data)) != mf.Size {
			return res, &Mismatch{File: mf.Path, What: "size does not match the manifest"}
		}
	}
	for _, name := range order {
		if _, ok := listed[name]; !ok && name != ManifestName {
			return res, &Mismatch{File: name, What: "extra file, not listed in the manifest"}
		}
	}
	res.Files = len(m.Files)
	var recorded *Mismatch
	for _, mc := range m.Cases {
		n, err := verifyEvents(contents, mc)
		if err != nil {
			var mm *Mismatch
			if errors.As(err, &mm) && mm.Recorded && recorded == nil {
				recorded = mm
				continue
			}
			return res, err
		}
		res.Events += n
		o, err := verifyOrigin(contents, mc, trusted)
		if err != nil {
			return res, err
		}
		if o != nil {
			res.Origins = append(res.Origins, *o)
		}
		n, err = verifyComments(contents, mc)
		if err != nil {
			var mm *Mismatch
			if errors.As(err, &mm) && mm.Recorded && recorded == nil {
				recorded = mm
				continue
			}
			return res, err
		}
		res.Comments += n
	}
	if recorded != nil {
		return res, recorded
	}
	return res, nil
}

// readManifest decodes the manifest strictly and checks that it is byte for byte what Build writes
// for its content, and that the seal matches.
func readManifest(raw []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, &Mismatch{File: ManifestName, What: "unreadable: " + err.Error()}
	}
	if m.Format != Format {
		return m, &Mismatch{File: ManifestName, What: fmt.Sprintf("unknown format %q", m.Format)}
	}
	seal := m.Seal
	again := m
	want, err := SealManifest(&again)
	if err != nil {
		return m, err
	}
	if !bytes.Equal(want, raw) || again.Seal != seal {
		return m, &Mismatch{File: ManifestName, What: "the manifest was changed (its seal or layout does not match its content)"}
	}
	return m, nil
}

func verifyEvents(contents map[string][]byte, mc ManifestCase) (int, error) {
	name := mc.Dir + "/events.jsonl"
	data, ok := contents[name]
	if !ok {
		return 0, &Mismatch{File: name, CaseID: mc.CaseID, What: "missing"}
	}
	var links []chain.Link
	var last string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 64*1024*1024)
	line := 0
	for sc.Scan() {
		line++
		var l EventLine
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return 0, &Mismatch{File: name, CaseID: mc.CaseID, What: fmt.Sprintf("line %d is not a valid event: %v", line, err)}
		}
		if l.CaseID != mc.CaseID {
			return 0, &Mismatch{File: name, CaseID: mc.CaseID, Seq: l.Seq, What: fmt.Sprintf("line %d belongs to case %d", line, l.CaseID)}
		}
		at, err := time.Parse(time.RFC3339Nano, l.At)
		if err != nil {
			return 0, &Mismatch{File: name, CaseID: mc.CaseID, Seq: l.Seq, What: "unreadable time"}
		}
		e := incident.Event{Seq: l.Seq, Type: l.Type, ActorID: l.ActorID, At: at, Payload: l.Payload}
		canon, err := e.Canonical(l.CaseID)
		if err != nil {
			return 0, &Mismatch{File: name, CaseID: mc.CaseID, Seq: l.Seq, What: "payload cannot be canonicalised"}
		}
		prev, err1 := hex.DecodeString(l.PrevHash)
		hash, err2 := hex.DecodeString(l.Hash)
		if err1 != nil || err2 != nil {
			return 0, &Mismatch{File: name, CaseID: mc.CaseID, Seq: l.Seq, What: "hash is not hex"}
		}
		links = append(links, chain.Link{Seq: l.Seq, Canonical: canon, PrevHash: prev, Hash: hash})
		last = l.Hash
	}
	if err := sc.Err(); err != nil {
		return 0, &Mismatch{File: name, CaseID: mc.CaseID, What: err.Error()}
	}
	if len(links) != mc.Events {
		return 0, &Mismatch{File: name, CaseID: mc.CaseID, What: fmt.Sprintf("%d events, the manifest says %d", len(links), mc.Events)}
	}
	if ok, seq, reason := chain.Verify(links); !ok {
		mm := &Mismatch{File: name, CaseID: mc.CaseID, Seq: seq, What: "the hash chain does not recompute: " + reason}
		if !mc.ChainOK {
			mm.Recorded = true
			mm.What += fmt.Sprintf(" (recorded at export: %s)", describeBad(mc.FirstBad))
		}
		return 0, mm
	}
	if last != mc.ChainHead {
		return 0, &Mismatch{File: name, CaseID: mc.CaseID, What: "the chain head is not the one in the manifest"}
	}
	if !mc.ChainOK {
		return 0, &Mismatch{File: name, CaseID: mc.CaseID, Recorded: true,
			What: "the chain in the archive recomputes, but the database's history did not verify at export: " + describeBad(mc.FirstBad)}
	}
	return len(links), nil
}

func verifyComments(contents map[string][]byte, mc ManifestCase) (int, error) {
	name := mc.Dir + "/comments.jsonl"
	data, ok := contents[name]
	if !ok {
		return 0, &Mismatch{File: name, CaseID: mc.CaseID, What: "missing"}
	}
	var cs []audit.Comment
	var last string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 64*1024*1024)
	line := 0
	for sc.Scan() {
		line++
		var l CommentLine
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return 0, &Mismatch{File: name, CaseID: mc.CaseID, What: fmt.Sprintf("line %d is not a valid comment: %v", line, err)}
		}
		at, err := time.Parse(time.RFC3339Nano, l.At)
		prev, err1 := hex.DecodeString(l.PrevHash)
		hash, err2 := hex.DecodeString(l.Hash)
		if err != nil || err1 != nil || err2 != nil || l.CaseID != mc.CaseID {
			return 0, &Mismatch{File: name, CaseID: mc.CaseID, Seq: l.Seq, What: fmt.Sprintf("line %d is not a valid comment", line)}
		}
		cs = append(cs, audit.Comment{CaseID: l.CaseID, Seq: l.Seq, Kind: l.Kind, AuthorID: l.AuthorID, At: at,
			CaseVersion: l.CaseVersion, Body: l.Body, Scope: l.Scope, ReviewedOn: l.ReviewedOn, PrevHash: prev, Hash: hash})
		last = l.Hash
	}
	if err := sc.Err(); err != nil {
		return 0, &Mismatch{File: name, CaseID: mc.CaseID, What: err.Error()}
	}
	if len(cs) != mc.Comments {
		return 0, &Mismatch{File: name, CaseID: mc.CaseID, What: fmt.Sprintf("%d comments, the manifest says %d", len(cs), mc.Comments)}
	}
	if ok, seq, reason := audit.VerifyComments(cs); !ok {
		mm := &Mismatch{File: name, CaseID: mc.CaseID, Seq: seq, What: "the comment chain does not recompute: " + reason}
		if !mc.CommentsOK {
			mm.Recorded = true
		}
		return 0, mm
	}
	if last != mc.CommentsHead {
		return 0, &Mismatch{File: name, CaseID: mc.CaseID, What: "the comment chain head is not the one in the manifest"}
	}
	if !mc.CommentsOK {
		return 0, &Mismatch{File: name, CaseID: mc.CaseID, Recorded: true, What: "the comments did not verify at export: " + describeBad(mc.CommentsFirstBad)}
	}
	return len(cs), nil
}

func describeBad(b *BadRef) string {
	if b == nil {
		return "no detail"
	}
	return fmt.Sprintf("seq %d: %s", b.Seq, b.Reason)
}
