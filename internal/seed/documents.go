package seed

import (
	"context"
	"encoding/hex"
	"errors"
	"time"

	"github.com/leakdesk/leakdesk/internal/documents"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/store"
)

// seededDoc is a document version a seeded case asks to be finalised: its stored row and the
// reference the request names.
type seededDoc struct {
	ref *incident.DocRef
	row store.SeedDocument
}

// document drafts version 1 of a document of kind k for c as staff (generated from the case's
// facts, no edits) and freezes it as the finalisation request does (documents.Freeze), so the
// seeded request names a stored version with its true SHA-256 and its editor.
func (b *builder) document(ctx context.Context, c *incident.Case, k incident.DocKind, ids *[]int64, now time.Time) (seededDoc, error) {
	if len(*ids) == 0 {
		return seededDoc{}, errors.New("seed: out of document ids")
	}
	id := (*ids)[0]
	*ids = (*ids)[1:]
	law, err := b.svc.Assess(ctx, c, now)
	if err != nil {
		return seededDoc{}, err
	}
	body, d, sum, err := documents.Freeze(nil, func(edits map[string]string) (documents.Doc, error) {
		return documents.Generate(documents.Kind(k), documents.Input{Case: c, Law: law, Edits: edits, Now: now}), nil
	})
	if err != nil {
		return seededDoc{}, err
	}
	staff := b.actors.Staff.UserID
	return seededDoc{
		ref: &incident.DocRef{Kind: k, ID: id, Version: 1, SHA256: hex.EncodeToString(sum[:]), Editors: []int64{staff}},
		row: store.SeedDocument{ID: id, Kind: string(k), Version: 1, Title: d.Title, Body: body, SHA256: sum[:], By: staff, At: now.UTC()},
	}, nil
}
