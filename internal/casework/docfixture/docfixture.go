// Package docfixture takes a case document through the real way to an approved final version —
// draft, finalisation request, approvals in the route's order — for tests and fixtures that then
// record a filing time (prelim_submitted_at, final_submitted_at, notice_started_at, published_at),
// which the domain accepts only for an approved document (incident/documents.go). It is a shortcut
// through the same calls the pages make, not around the rule.
package docfixture

import (
	"context"
	"fmt"
	"time"

	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/documents"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// Approve has drafter save a draft of the case's document of kind k and ask for it to be
// finalised, then approves it: for each slot of its route in order, the first of approvers who
// holds the slot's role (each stamps once, with a reason). It returns the case after the last
// approval and the approved request.
func Approve(ctx context.Context, svc *casework.Service, caseID int64, k documents.Kind, drafter incident.Actor, approvers ...incident.Actor) (*incident.Case, *incident.Request, error) {
	render := func(ctx context.Context, c *incident.Case, k documents.Kind, edits map[string]string) (documents.Doc, error) {
		law, err := svc.Assess(ctx, c, time.Now())
		if err != nil {
			return documents.Doc{}, err
		}
		return documents.Generate(k, documents.Input{Case: c, Law: law, Edits: edits, Now: time.Now()}), nil
	}
	title, _ := k.Label()
	if _, err := svc.Store.SaveDocumentDraft(ctx, caseID, k, title, map[string]string{}, drafter.UserID, time.Now()); err != nil {
		return nil, nil, fmt.Errorf("docfixture: draft: %w", err)
	}
	c, rq, err := svc.RequestFinalise(ctx, caseID, 0, drafter, k, 0, "確認をお願いします", render)
	if err != nil {
		return nil, nil, fmt.Errorf("docfixture: request: %w", err)
	}
	used := map[int64]bool{}
	for rq.State == incident.RequestPending {
		if err := svc.FillOutside(ctx, c); err != nil {
			return nil, nil, err
		}
		route := incident.RouteOf(rq, c)
		next := incident.NextStep(route)
		if next < 0 {
			return nil, nil, fmt.Errorf("docfixture: request %d pending with every slot stamped", rq.ID)
		}
		var by *incident.Actor
		for i := range approvers {
			if !used[approvers[i].UserID] && approvers[i].Has(route[next].Role) {
				by = &approvers[i]
				break
			}
		}
		if by == nil {
			return nil, nil, fmt.Errorf("docfixture: no approver for the %s slot of %s", route[next].Role, k)
		}
		used[by.UserID] = true
		if c, rq, err = svc.Approve(ctx, rq.ID, *by, "文書の内容を確認した", 0); err != nil {
			return nil, nil, fmt.Errorf("docfixture: approve as %s: %w", route[next].Role, err)
		}
	}
	return c, rq, nil
}
