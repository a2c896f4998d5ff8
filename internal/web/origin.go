package web

import (
	"context"
	"errors"

	"github.com/leakdesk/leakdesk/internal/archive"
	"github.com/leakdesk/leakdesk/internal/checkpoint"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// caseOrigin is the signed checkpoint's proof of a case's head for its export (nil before the
// first checkpoint covers the case).
func (s *Server) caseOrigin(ctx context.Context, caseID int64) (*archive.Origin, error) {
	p, err := s.store.CaseProof(ctx, caseID)
	if errors.Is(err, store.ErrNoCheckpoint) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	o := archive.Origin(*p)
	return &o, nil
}

// signingKeys is the verify page's key block: the key this server signs with, and every key that
// signed a checkpoint (rotation keeps the old ones listed: their checkpoints stay verifiable).
func (s *Server) signingKeys(ctx context.Context) (view.AuditKeys, error) {
	var k view.AuditKeys
	if s.store.Signer != nil {
		vk := s.store.Signer.VerifierKey()
		k.Current = &view.SigningKeyView{Key: vk, Fingerprint: checkpoint.Fingerprint(vk), Current: true}
	}
	keys, err := s.store.SigningKeys(ctx)
	if err != nil {
		return k, err
	}
	for _, sk := range keys {
		k.Known = append(k.Known, view.SigningKeyView{Key: sk.VerifierKey, Fingerprint: sk.Fingerprint, First: sk.First, Last: sk.Last,
			FirstAt: sk.FirstAt, LastAt: sk.LastAt, Current: k.Current != nil && k.Current.Key == sk.VerifierKey})
	}
	return k, nil
}
