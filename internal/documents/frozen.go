package documents

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
)

// Freeze builds the frozen form of a stored draft body (case_documents.body): the document
// rendered from the draft's edits, the new body holding both, and the SHA-256 of the document's
// JSON — what a finalisation request names and its approvers stamp (Verify recomputes it).
func Freeze(raw []byte, render func(edits map[string]string) (Doc, error)) (newBody []byte, d Doc, sum [32]byte, err error) {
	var b body
	if len(raw) > 0 {
		if err = json.Unmarshal(raw, &b); err != nil {
			return nil, d, sum, fmt.Errorf("documents: draft body: %w", err)
		}
	}
	if d, err = render(b.Edits); err != nil {
		return nil, d, sum, err
	}
	frozen, err := json.Marshal(d)
	if err != nil {
		return nil, d, sum, fmt.Errorf("documents: encode document: %w", err)
	}
	sum = sha256.Sum256(frozen)
	if newBody, err = json.Marshal(body{Edits: b.Edits, Document: frozen}); err != nil {
		return nil, d, sum, fmt.Errorf("documents: encode body: %w", err)
	}
	return newBody, d, sum, nil
}
