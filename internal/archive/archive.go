// Package archive writes a case file for auditors and verifies it offline. A case file is one ZIP:
//
//	manifest.json                  what the archive holds: every file's SHA-256, each case's chain
//	                               head and verify verdict, sealed with its own SHA-256
//	case-<number>/report.pdf       cover, summary, stage board, assessment, timeline, approvals,
//	                               documents, noteworthy events, review comments (report.html when
//	                               no PDF printer is available)
//	case-<number>/events.jsonl     the stored history, one event per line with its hashes
//	case-<number>/events.csv       the same for Excel (UTF-8 with BOM, formulas neutralised)
//	case-<number>/comments.jsonl   the auditors' comments and sign-offs with their hashes
//
// Verify needs no database: it re-hashes every file against the manifest, refuses missing and
// extra files, and recomputes each case's hash chain from events.jsonl exactly as the store does
// (incident.Event.Canonical + chain.Hash) up to the head the manifest names.
package archive

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/audit"
	"github.com/leakdesk/leakdesk/internal/csvimport"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// Format names the layout version written into every manifest.
const Format = "leakdesk-case-file/1"

// ErrPrint wraps a Renderer's failure: the archive could be built with the report as HTML.
var ErrPrint = errors.New("archive: print report")

// Renderer prints an HTML document to PDF (internal/pdf.Printer).
type Renderer interface {
	FromHTML(ctx context.Context, html []byte) ([]byte, error)
}

// Event is one stored event with its chain links.
type Event struct {
	incident.Event
	PrevHash []byte
	Hash     []byte
}

// Verdict is a chain's verification result at export time.
type Verdict struct {
	OK      bool
	Checked int64
	BadSeq  int64  // the first bad seq when !OK (0: the case as a whole)
	Reason  string // English, from the verifier
}

// CaseFile is everything exported about one case.
type CaseFile struct {
	Case            *incident.Case // the replayed case; nil when the history does not replay
	Events          []Event
	Comments        []audit.Comment
	Verdict         Verdict // the store's chain verdict for the case
	CommentsVerdict Verdict
	Names           map[int64]string // user id → display name
	Notes           []audit.Note
	Assessment      *appi.Assessment // the law on the current facts at export time
	Documents       []map[string]any // rows of case_documents, if that table exists
	HasDocuments    bool
	Number, Title   string // used when Case is nil
	CaseID          int64
	Origin          *Origin // the newest signed checkpoint's proof of the case's head; nil before the first
	// PersonHistory is the register's change trail (person_history): person_history.jsonl, one
	// change per line, old → new rows as stored (ciphertext and keyed hashes, no plaintext).
	PersonHistory []PersonChange
}

// Options describe the export as a whole.
type Options struct {
	At       time.Time
	ByID     int64
	ByName   string
	Renderer Renderer // nil: report.html instead of report.pdf
}

// Manifest is manifest.json. It is written with two-space indentation exactly as json.MarshalIndent
// writes this struct, and Seal is the SHA-256 of that encoding with Seal empty, so that any change
// to any byte of the manifest is detected.
type Manifest struct {
	Format    string         `json:"format"`
	CreatedAt string         `json:"created_at"`
	CreatedBy ManifestUser   `json:"created_by"`
	Verified  bool           `json:"verified"` // every chain verified at export
	Notice    string         `json:"notice"`   // what the verdict means, in Japanese
	Cases     []ManifestCase `json:"cases"`
	Files     []ManifestFile `json:"files"`
	Seal      string         `json:"seal"`
}

// ManifestUser is who exported.
type ManifestUser struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// ManifestCase is one case of the archive.
type ManifestCase struct {
	CaseID           int64   `json:"case_id"`
	Number           string  `json:"number"`
	Title            string  `json:"title"`
	Drill            bool    `json:"drill"`
	Dir              string  `json:"dir"`
	Version          int64   `json:"version"`
	Events           int     `json:"events"`
	ChainHead        string  `json:"chain_head"` // hex hash of the last event as stored
	ChainOK          bool    `json:"chain_ok"`
	FirstBad         *BadRef `json:"first_bad"`
	Comments         int     `json:"comments"`
	CommentsHead     string  `json:"comments_head"`
	CommentsOK       bool    `json:"comments_ok"`
	CommentsFirstBad *BadRef `json:"comments_first_bad"`
	Origin           *Origin `json:"origin,omitempty"` // the signed checkpoint covering the case (origin.go)
	// RulesVersion and RulesHash name the rule set the case was decided under (RulesHash: SHA-256 of
	// its canonical JSON, rules.RuleSet.Hash; the bytes themselves are the version's export, not
	// repeated in every case file).
	RulesVersion int    `json:"rules_version,omitempty"`
	RulesHash    string `json:"rules_hash,omitempty"`
}

// BadRef names the first bad link of a chain.
type BadRef struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

// ManifestFile is one file of the archive.
type ManifestFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// ManifestName is the manifest's path in the archive.
const ManifestName = "manifest.json"

// Build writes the archive of files to w and returns its manifest.
func Build(ctx context.Context, w io.Writer, files []CaseFile, opts Options) (Manifest, error) {
	at := opts.At.UTC()
	m := Manifest{Format: Format, CreatedAt: at.Format(time.RFC3339), CreatedBy: ManifestUser{ID: opts.ByID, Name: opts.ByName}, Verified: true}
	zw := zip.NewWriter(w)
	add := func(name string, data []byte) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: at})
		if err != nil {
			return fmt.Errorf("archive: %s: %w", name, err)
		}
		if _, err := fw.Write(data); err != nil {
			return fmt.Errorf("archive: %s: %w", name, err)
		}
		sum := sha256.Sum256(data)
		m.Files = append(m.Files, ManifestFile{Path: name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))})
		return nil
	}
	for _, f := range files {
		mc := manifestCase(f)
		if !mc.ChainOK || !mc.CommentsOK {
			m.Verified = false
		}
		events, err := EventsJSONL(f)
		if err != nil {
			return m, err
		}
		comments, err := CommentsJSONL(f.Comments)
		if err != nil {
			return m, err
		}
		html, err := ReportHTML(f, opts)
		if err != nil {
			return m, err
		}
		report, reportName := html, "report.html"
		if opts.Renderer != nil {
			pdf, err := opts.Renderer.FromHTML(ctx, html)
			if err != nil {
				return m, fmt.Errorf("%w of %s: %w", ErrPrint, mc.Number, err)
			}
			report, reportName = pdf, "report.pdf"
		}
		for _, x := range []struct {
			name string
			data []byte
		}{{reportName, report}, {"events.jsonl", events}, {"events.csv", EventsCSV(f)}, {"comments.jsonl", comments}, {"person_history.jsonl", personHistoryJSONL(f.PersonHistory)}} {
			if err := add(mc.Dir+"/"+x.name, x.data); err != nil {
				return m, err
			}
		}
		m.Cases = append(m.Cases, mc)
	}
	if m.Verified {
		m.Notice = "エクスポート時に全案件の改ざん検知チェーンを検証し、改ざんは検出されませんでした。"
	} else {
		m.Notice = "エクスポート時の検証で改ざん又は欠落が検出された案件があります（cases[].first_bad を参照）。記録はそのまま出力しています。"
	}
	raw, err := SealManifest(&m)
	if err != nil {
		return m, err
	}
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: ManifestName, Method: zip.Deflate, Modified: at})
	if err != nil {
		return m, fmt.Errorf("archive: manifest: %w", err)
	}
	if _, err := fw.Write(raw); err != nil {
		return m, fmt.Errorf("archive: manifest: %w", err)
	}
	if err := zw.Close(); err != nil {
		return m, fmt.Errorf("archive: close: %w", err)
	}
	return m, nil
}

func manifestCase(f CaseFile) ManifestCase {
	mc := ManifestCase{CaseID: f.CaseID, Number: f.Number, Title: f.Title, Events: len(f.Events), Comments: len(f.Comments),
		ChainOK: f.Verdict.OK, CommentsOK: f.CommentsVerdict.OK, Origin: f.Origin}
	if f.Case != nil {
		mc.CaseID, mc.Number, mc.Title, mc.Drill, mc.Version = f.Case.ID, f.Case.Number, f.Case.Title, f.Case.Drill, f.Case.Version
		mc.RulesVersion, mc.RulesHash = f.Case.Rules().Version, f.Case.Rules().Hash
	}
	mc.Dir = "case-" + safeName(mc.Number)
	if len(f.Events) > 0 {
		mc.ChainHead = hex.EncodeToString(f.Events[len(f.Events)-1].Hash)
	}
	if len(f.Comments) > 0 {
		mc.CommentsHead = hex.EncodeToString(f.Comments[len(f.Comments)-1].Hash)
	}
	if !f.Verdict.OK {
		mc.FirstBad = &BadRef{Seq: f.Verdict.BadSeq, Reason: f.Verdict.Reason}
	}
	if !f.CommentsVerdict.OK {
		mc.CommentsFirstBad = &BadRef{Seq: f.CommentsVerdict.BadSeq, Reason: f.CommentsVerdict.Reason}
	}
	return mc
}

// safeName keeps a case number usable as a directory name in every unzip tool.
func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
	}
	if b.Len() == 0 {
		return "unnumbered"
	}
	return b.String()
}

// SealManifest sets m.Seal and returns the manifest's bytes.
func SealManifest(m *Manifest) ([]byte, error) {
	m.Seal = ""
	raw, err := encodeManifest(*m)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	m.Seal = hex.EncodeToString(sum[:])
	return encodeManifest(*m)
}

func encodeManifest(m Manifest) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("archive: manifest: %w", err)
	}
	return buf.Bytes(), nil
}

// EventLine is one line of events.jsonl: the event exactly as stored, hashes in hex.
type EventLine struct {
	CaseID   int64          `json:"case_id"`
	Seq      int64          `json:"seq"`
	Type     string         `json:"type"`
	ActorID  int64          `json:"actor_id"`
	At       string         `json:"at"` // RFC 3339, UTC, nanoseconds as hashed
	Payload  map[string]any `json:"payload"`
	PrevHash string         `json:"prev_hash"`
	Hash     string         `json:"hash"`
}

// EventsJSONL writes the history, one JSON object per line.
func EventsJSONL(f CaseFile) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	id := f.CaseID
	if f.Case != nil {
		id = f.Case.ID
	}
	for _, e := range f.Events {
		p := e.Payload
		if p == nil {
			p = map[string]any{}
		}
		if err := enc.Encode(EventLine{CaseID: id, Seq: e.Seq, Type: e.Type, ActorID: e.ActorID,
			At: e.At.UTC().Format(time.RFC3339Nano), Payload: p,
			PrevHash: hex.EncodeToString(e.PrevHash), Hash: hex.EncodeToString(e.Hash)}); err != nil {
			return nil, fmt.Errorf("archive: event %d: %w", e.Seq, err)
		}
	}
	return buf.Bytes(), nil
}

// CommentLine is one line of comments.jsonl.
type CommentLine struct {
	CaseID      int64  `json:"case_id"`
	Seq         int64  `json:"seq"`
	Kind        string `json:"kind"`
	AuthorID    int64  `json:"author_id"`
	AuthorName  string `json:"author_name"`
	At          string `json:"at"`
	CaseVersion int64  `json:"case_version"`
	Body        string `json:"body"`
	Scope       string `json:"scope"`
	ReviewedOn  string `json:"reviewed_on"`
	PrevHash    string `json:"prev_hash"`
	Hash        string `json:"hash"`
}

// CommentsJSONL writes the comments, one JSON object per line.
func CommentsJSONL(cs []audit.Comment) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, c := range cs {
		if err := enc.Encode(CommentLine{CaseID: c.CaseID, Seq: c.Seq, Kind: c.Kind, AuthorID: c.AuthorID, AuthorName: c.AuthorName,
			At: c.At.UTC().Format(time.RFC3339Nano), CaseVersion: c.CaseVersion, Body: c.Body, Scope: c.Scope, ReviewedOn: c.ReviewedOn,
			PrevHash: hex.EncodeToString(c.PrevHash), Hash: hex.EncodeToString(c.Hash)}); err != nil {
			return nil, fmt.Errorf("archive: comment %d: %w", c.Seq, err)
		}
	}
	return buf.Bytes(), nil
}

// EventsCSV writes the history for spreadsheets: UTF-8 with a BOM (so Excel reads Japanese), CRLF
// line ends, and every cell that a spreadsheet would run as a formula prefixed with a quote.
func EventsCSV(f CaseFile) []byte {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	_ = w.Write([]string{"seq", "日時(JST)", "種別", "実行者ID", "実行者", "内容", "payload", "prev_hash", "hash"})
	for _, e := range f.Events {
		ja, _ := audit.Summary(e.Event)
		payload, _ := json.Marshal(e.Payload)
		_ = w.Write(SafeCells(strconv.FormatInt(e.Seq, 10), e.At.In(incident.JST()).Format("2006-01-02 15:04:05"), e.Type,
			strconv.FormatInt(e.ActorID, 10), f.Names[e.ActorID], ja, string(payload),
			hex.EncodeToString(e.PrevHash), hex.EncodeToString(e.Hash)))
	}
	w.Flush()
	return buf.Bytes()
}

// SafeCells neutralises spreadsheet formula injection (CWE-1236) in a CSV row, by the one rule
// the register export also uses (csvimport.Neutralize).
func SafeCells(cells ...string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = csvimport.Neutralize(c)
	}
	return out
}

// PersonChange is one line of person_history.jsonl.
type PersonChange struct {
	ID       int64           `json:"id"`
	PersonID int64           `json:"person_id"`
	Op       string          `json:"op"`
	ActorID  int64           `json:"actor_id"` // 0: the system (key rotation)
	Actor    string          `json:"actor"`
	At       time.Time       `json:"at"`
	Reason   string          `json:"reason"`
	Changed  []string        `json:"changed"`
	Old      json.RawMessage `json:"old,omitempty"`
	New      json.RawMessage `json:"new"`
}

// personHistoryJSONL is the register's change trail, one JSON object per line.
func personHistoryJSONL(changes []PersonChange) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, c := range changes {
		_ = enc.Encode(c) // plain data: cannot fail
	}
	return buf.Bytes()
}
