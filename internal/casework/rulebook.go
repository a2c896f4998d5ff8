package casework

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/rulefile"
	"github.com/leakdesk/leakdesk/internal/rules"
	"github.com/leakdesk/leakdesk/internal/store"
)

// The rule book's versions (issue 16, docs/rules.md): drafting a version, the two approvals, a
// withdrawal, the yearly review — each one transaction through the store's rule-version
// functions, decided by incident's four-eyes rules — and the version in force, which a case
// opened now pins (Service.RulesAt is RulesInForce by default).
//
//	DraftRules(ctx, actor, RuleDraftInput)     → version number, or *rules.Invalid (nothing saved)
//	ApproveRules(ctx, actor, version)          → the role filled, and whether it was the last
//	WithdrawRules(ctx, actor, version, reason)
//	ReviewRules(ctx, actor, note)              → 見直し済み・変更なし
//	RulesInForce(ctx, at)                      → the approved version with the latest effect date ≤ at's JST date, else version 1

// RuleDraftInput is a new version: the rule-set document (JSON; its "version" is replaced by the
// next number), the date it takes effect (a calendar date in Japan) and its title ("" = the
// document's).
type RuleDraftInput struct {
	Document    []byte
	EffectiveOn time.Time
	Title       string
}

// DraftRules checks in (the schema, the strict decode and the engine: rulefile) and stores it as
// the next version's draft. A document with problems returns *rules.Invalid with each problem's
// JSON path; another live version on the same date returns store.ErrRuleDateTaken (conflict).
// Nothing is stored on any error.
func (s *Service) DraftRules(ctx context.Context, actor incident.Actor, in RuleDraftInput) (int, error) {
	if err := incident.CanDraftRules(actor); err != nil {
		return 0, err
	}
	now := s.now()
	if in.EffectiveOn.IsZero() {
		return 0, incident.Invalid("施行日を入力してください。", "give the effect date",
			incident.FieldError{Field: "effective_on", JA: "施行日を入力してください。", EN: "required"})
	}
	day := time.Date(in.EffectiveOn.Year(), in.EffectiveOn.Month(), in.EffectiveOn.Day(), 0, 0, 0, 0, time.UTC)
	if err := incident.RuleEffectDate(day, now); err != nil {
		return 0, err
	}
	if _, err := rulefile.Load(in.Document); err != nil {
		return 0, err
	}
	base, err := s.RulesInForce(ctx, now)
	if err != nil {
		return 0, err
	}
	return s.Store.DraftRuleVersion(ctx, now, actor.UserID, func(version int) (store.RuleDraft, error) {
		rs, err := rulefile.Parse(in.Document)
		if err != nil {
			return store.RuleDraft{}, err
		}
		rs.Version = version
		if t := strings.TrimSpace(in.Title); t != "" {
			rs.Title = t
		}
		// The engine check again with the number and title set: what is stored is what compiles.
		if _, err := incident.CompileRules(rs); err != nil {
			return store.RuleDraft{}, err
		}
		return store.RuleDraft{Document: rs.Canonical(), Hash: rs.Hash(), Title: rs.Title, EffectiveOn: day, BasedOn: base.Version}, nil
	})
}

// RuleVersionState is what incident's rule-book decisions read of a stored version (the pages ask
// the same decisions to show only the buttons that would succeed).
func RuleVersionState(v store.RuleVersion) incident.RuleVersionState {
	st := incident.RuleVersionState{Version: v.Version, State: v.State, DraftedBy: v.DraftedBy}
	for _, a := range v.Approvals {
		st.Approvals = append(st.Approvals, incident.RuleApprovalBy{Role: incident.Role(a.Role), UserID: a.UserID})
	}
	return st
}

// ApproveRules records actor's approval of a draft. The last of the two approvals makes it
// approved: it is compiled and registered (cases opened from its effect date pin it) and the
// version in force is read afresh.
func (s *Service) ApproveRules(ctx context.Context, actor incident.Actor, version int) (incident.RuleApproval, error) {
	var out incident.RuleApproval
	err := s.Store.DecideRuleVersion(ctx, s.now(), actor.UserID, version, func(v store.RuleVersion) (store.RuleDecision, error) {
		ap, err := incident.ApproveRules(RuleVersionState(v), actor)
		if err != nil {
			return store.RuleDecision{}, err
		}
		out = ap
		d := store.RuleDecision{Events: []store.RuleEvent{{Kind: store.RuleEventApproved, Detail: map[string]any{"role": string(ap.Role)}}}}
		if ap.Last {
			// Registered before the commit: a version that does not compile is never approved,
			// and one registered but not committed is pinned by no case.
			if _, err := store.CompileRuleVersion(v); err != nil {
				return store.RuleDecision{}, err
			}
			d.Events = append(d.Events, store.RuleEvent{Kind: store.RuleEventInForce,
				Detail: map[string]any{"hash": v.Hash, "effective_on": v.EffectiveOn.Format(time.DateOnly)}})
			d.State = store.RuleStateApproved
		}
		return d, nil
	})
	if err != nil {
		return incident.RuleApproval{}, err
	}
	if out.Last {
		s.inForce.forget()
	}
	return out, nil
}

// WithdrawRules gives up a draft, with a reason (its effect date is free again).
func (s *Service) WithdrawRules(ctx context.Context, actor incident.Actor, version int, reason string) error {
	reason = strings.TrimSpace(reason)
	return s.Store.DecideRuleVersion(ctx, s.now(), actor.UserID, version, func(v store.RuleVersion) (store.RuleDecision, error) {
		if err := incident.WithdrawRules(RuleVersionState(v), actor, reason); err != nil {
			return store.RuleDecision{}, err
		}
		return store.RuleDecision{Events: []store.RuleEvent{{Kind: store.RuleEventWithdrawn, Detail: map[string]any{"reason": reason}}},
			State: store.RuleStateWithdrawn}, nil
	})
}

// ReviewRules records the yearly review "見直し済み・変更なし" of the version in force (SEED003
// 第3条4項): the review's clock (store.LastRuleReview) starts again.
func (s *Service) ReviewRules(ctx context.Context, actor incident.Actor, note string) (store.RuleEvent, error) {
	role, err := incident.ReviewRules(actor)
	if err != nil {
		return store.RuleEvent{}, err
	}
	now := s.now()
	r, err := s.RulesInForce(ctx, now)
	if err != nil {
		return store.RuleEvent{}, err
	}
	return s.Store.RecordRuleEvent(ctx, store.RuleEvent{At: now, ActorID: actor.UserID, Kind: store.RuleEventReviewed, Version: r.Version,
		Detail: map[string]any{"role": string(role), "note": strings.TrimSpace(note), "hash": r.Hash}})
}

// inForceTTL bounds how long the version in force is cached: an approval in this process clears
// it at once, one in another instance is seen within this time.
const inForceTTL = time.Minute

// inForceCache holds the version in force for one JST date.
type inForceCache struct {
	mu    sync.Mutex
	day   time.Time
	until time.Time
	r     *incident.Rules
}

func (c *inForceCache) forget() {
	c.mu.Lock()
	c.r = nil
	c.mu.Unlock()
}

// RulesInForce returns the version in force at at: the approved version with the latest effect
// date on or before at's calendar date in Japan, else version 1. It is compiled and registered
// when first read, and cached per date for a minute (an approval here clears the cache).
func (s *Service) RulesInForce(ctx context.Context, at time.Time) (*incident.Rules, error) {
	day := incident.JSTDate(at)
	wall := time.Now()
	c := &s.inForce
	c.mu.Lock()
	if c.r != nil && c.day.Equal(day) && wall.Before(c.until) {
		r := c.r
		c.mu.Unlock()
		return r, nil
	}
	c.mu.Unlock()
	v, ok, err := s.Store.RuleVersionInForce(ctx, day)
	if err != nil {
		return nil, err
	}
	r := incident.DefaultRules()
	if ok {
		if reg, found := incident.RulesOf(v.Version); found && reg.Hash == v.Hash {
			r = reg
		} else if r, err = store.CompileRuleVersion(v); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	c.day, c.until, c.r = day, wall.Add(inForceTTL), r
	c.mu.Unlock()
	return r, nil
}

// RuleDocument returns a version's canonical JSON: version 1 built in, later ones as stored.
func (s *Service) RuleDocument(ctx context.Context, version int) ([]byte, error) {
	if version == 1 {
		return rules.V1().Canonical(), nil
	}
	v, err := s.Store.RuleVersion(ctx, version)
	if err != nil {
		return nil, err
	}
	return v.Document, nil
}
