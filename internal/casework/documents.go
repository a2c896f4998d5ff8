package casework

import (
	"context"
	"encoding/hex"

	"github.com/leakdesk/leakdesk/internal/documents"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// RenderDoc renders a document of kind k for c from a draft's edits (the caller holds the company
// block and the law options).
type RenderDoc func(ctx context.Context, c *incident.Case, k documents.Kind, edits map[string]string) (documents.Doc, error)

// RequestFinalise asks for version docVersion (0: the newest) of the case's document of kind k to
// be approved as final: in one transaction it locks the version, reads who saved it, freezes it
// with its SHA-256 and submits the finalisation request that names it (incident.KindFinalise), so
// the approvers stamp exactly the text that was frozen and the request, its document and its
// editors are in the case's hash-chained history. The domain refuses the request (auditor,
// involved user, one already pending …) before anything is frozen.
func (s *Service) RequestFinalise(ctx context.Context, caseID, ifVersion int64, actor incident.Actor, k documents.Kind, docVersion int, note string, render RenderDoc) (*incident.Case, *incident.Request, error) {
	id, err := s.Store.NextRequestID(ctx)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	c, _, err := s.Store.UpdateCaseTx(ctx, caseID, ifVersion, func(ctx context.Context, c *incident.Case) ([]incident.Event, error) {
		// The domain's request checks first, on a version-less reference, so that a refused request
		// leaves the draft as it is.
		if err := incident.CanPrepareDocuments(actor, c); err != nil {
			return nil, err
		}
		dv, err := s.Store.LockDocumentVersion(ctx, caseID, string(k), docVersion)
		if err != nil {
			return nil, err
		}
		body, d, sum, err := documents.Freeze(dv.Body, func(edits map[string]string) (documents.Doc, error) {
			return render(ctx, c, k, edits)
		})
		if err != nil {
			return nil, err
		}
		cmd := incident.SubmitRequest{RequestID: id, Kind: incident.KindFinalise, Note: note,
			Doc: &incident.DocRef{Kind: incident.DocKind(k), ID: dv.ID, Version: dv.Version, SHA256: hex.EncodeToString(sum[:]), Editors: dv.Editors}}
		events, err := s.apply(ctx, c, cmd, actor, now)
		if err != nil {
			return nil, err
		}
		if err := s.Store.FreezeDocumentVersion(ctx, caseID, string(k), dv, body, d.Title, sum[:], actor.UserID, now); err != nil {
			return nil, err
		}
		return events, nil
	})
	if err != nil {
		return nil, nil, err
	}
	return c, c.Request(id), nil
}
