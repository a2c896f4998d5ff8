package documents

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"
)

// Record is one stored version of a document (a row of case_documents; internal/store reads and
// writes it, this package says what its body means).
type Record struct {
	ID          int64
	CaseID      int64
	Kind        Kind
	Version     int
	Title       string
	Status      string // draft or final
	Edits       map[string]string
	Doc         *Doc   // the frozen document of a final version
	SHA256      []byte // of the frozen document's JSON (final only)
	CreatedBy   int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	FinalisedBy int64
	FinalisedAt *time.Time
}

// body is what case_documents.body holds.
type body struct {
	Edits    map[string]string `json:"edits"`
	Document json.RawMessage   `json:"document,omitempty"`
}

// DraftBody is the stored body of a draft holding edits.
func DraftBody(edits map[string]string) ([]byte, error) {
	raw, err := json.Marshal(body{Edits: edits})
	if err != nil {
		return nil, fmt.Errorf("documents: encode draft: %w", err)
	}
	return raw, nil
}

// SetBody fills the record's edits and frozen document from a stored body.
func (r *Record) SetBody(raw []byte) error {
	var b body
	if err := json.Unmarshal(raw, &b); err != nil {
		return fmt.Errorf("documents: body of %d: %w", r.ID, err)
	}
	r.Edits = b.Edits
	if r.Edits == nil {
		r.Edits = map[string]string{}
	}
	r.Doc = nil
	if len(b.Document) > 0 {
		var d Doc
		if err := json.Unmarshal(b.Document, &d); err != nil {
			return fmt.Errorf("documents: document of %d: %w", r.ID, err)
		}
		r.Doc = &d
	}
	return nil
}

// Verify recomputes the SHA-256 of a final version's frozen document.
func Verify(r *Record) bool {
	if r == nil || r.Doc == nil || r.Status != "final" {
		return false
	}
	b, err := json.Marshal(r.Doc)
	if err != nil {
		return false
	}
	sum := sha256.Sum256(b)
	return string(sum[:]) == string(r.SHA256)
}
