// Package casework is the application service of the case engine: it runs one user command as one
// transaction — load the case, let the domain decide, re-run the law on the new facts, append the
// events — and records reads of case pages. Pages and API call the same methods.
package casework

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/chain"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/store"
)

// Service runs commands against cases.
type Service struct {
	Store *store.Store
	Now   func() time.Time
	// Law holds the policy options of the law engine (offsets, calendar) for cases under rule set
	// version 1 (New: version 1's, incident.DefaultRules().Law); a case pinning a later version is
	// assessed with that version's options and this calendar (Case.LawOptions). RegisterCount is filled per
	// case.
	Law appi.Options
	// PersonCount returns the number of people in a case's affected-person register, or -1 when
	// unknown; nil means "no register". Inside a command it is called with the context of the
	// store's transaction and must read through it (store.AffectedPersonCount does).
	PersonCount func(ctx context.Context, caseID int64) (int, error)
	// RegisterTotals returns the register's head count and compensation total, which the approval
	// policy reads (incident.Outside); nil means "no register".
	RegisterTotals func(ctx context.Context, caseID int64) (count, compensation int64, err error)
	// CompensationExecutiveAbove is the compensation total (yen) above which the CEO approves;
	// 0 = the case's rule set's amount.
	CompensationExecutiveAbove int64
	// RulesAt returns the rule set in force at a time, which a case opened then pins; nil = version
	// 1. New sets it to RulesInForce (the approved versions in the store, rulebook.go).
	RulesAt func(ctx context.Context, at time.Time) (*incident.Rules, error)

	inForce inForceCache
}

// rulesAt is the rule set a case opened at now pins.
func (s *Service) rulesAt(ctx context.Context, now time.Time) (*incident.Rules, error) {
	if s.RulesAt == nil {
		return incident.DefaultRules(), nil
	}
	return s.RulesAt(ctx, now)
}

// New returns a Service with the production clock, rule set version 1's law options for cases
// under version 1, and the store's version in force for cases opened now (RulesInForce).
func New(st *store.Store) *Service {
	s := &Service{Store: st, Now: time.Now, Law: incident.DefaultRules().Law}
	s.RulesAt = s.RulesInForce
	return s
}

func (s *Service) now() time.Time { return store.Now(s.Now()) }

// Open creates a case with its discovery facts; the actor becomes its handler.
func (s *Service) Open(ctx context.Context, actor incident.Actor, title string, facts map[string]any, drill bool) (*incident.Case, error) {
	return s.OpenWith(ctx, actor, OpenInput{Title: title, Facts: facts, Drill: drill})
}

// OpenInput is what opening a case takes: the title, the discovery facts, whether it is a drill, and
// optionally an incident-type template of the rule set in force (its presets under Facts).
type OpenInput struct {
	Title    string
	Facts    map[string]any
	Drill    bool
	Template string
}

// Templates returns the incident-type templates of the rule set in force now (the ones a case
// opened now can start from).
func (s *Service) Templates(ctx context.Context) ([]incident.Template, error) {
	r, err := s.rulesAt(ctx, s.now())
	if err != nil {
		return nil, err
	}
	return r.Templates(), nil
}

// OpenWith creates a case from in; the actor becomes its handler.
func (s *Service) OpenWith(ctx context.Context, actor incident.Actor, in OpenInput) (*incident.Case, error) {
	title, facts, drill := in.Title, in.Facts, in.Drill
	now := s.now()
	// The rule set is read before the opening's transaction, never inside it: reading it may take a
	// second connection from the pool (a cache miss), and an open holding one while it waits for
	// another deadlocks once every connection is held by an open (TestCaseWrite_RoundTrips' one-
	// connection pool hung here).
	rules, err := s.rulesAt(ctx, now)
	if err != nil {
		return nil, err
	}
	return s.Store.OpenCaseTx(ctx, now, func(ctx context.Context, id int64, number string) (*incident.Case, []incident.Event, error) {
		c := &incident.Case{}
		events, err := s.apply(ctx, c, incident.OpenCase{ID: id, Number: number, Title: title, Facts: facts, OwnerID: actor.UserID, Drill: drill, Rules: rules, Template: in.Template}, actor, now)
		return c, events, err
	})
}

// Do runs cmd on the case if it is still at ifVersion (0 skips the check, for approvals, which
// are checked against the request's own state instead).
func (s *Service) Do(ctx context.Context, caseID, ifVersion int64, actor incident.Actor, cmd incident.Command) (*incident.Case, []incident.Event, error) {
	now := s.now()
	return s.Store.UpdateCaseTx(ctx, caseID, ifVersion, func(ctx context.Context, c *incident.Case) ([]incident.Event, error) {
		if check, _ := ctx.Value(accessCheckKey{}).(func(*incident.Case) error); check != nil {
			if err := check(c); err != nil {
				return nil, err
			}
		}
		events, err := s.apply(ctx, c, cmd, actor, now)
		if err != nil {
			return nil, err
		}
		if err := s.userExists(ctx, cmd); err != nil {
			return nil, err
		}
		return events, nil
	})
}

// userExists refuses a command naming a user id that is no account (the handler, someone
// involved): bad input with the field named, for the page and the API alike. It runs after the
// domain's decision, so a caller the domain refuses learns nothing about which ids exist.
func (s *Service) userExists(ctx context.Context, cmd incident.Command) error {
	var id int64
	switch c := cmd.(type) {
	case incident.AssignOwner:
		id = c.UserID
	case incident.MarkInvolved:
		id = c.UserID
	default:
		return nil
	}
	ok, err := s.Store.UserExists(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return incident.Invalid("そのユーザーは登録されていません。", "no such user",
			incident.FieldError{Field: "user_id", JA: "そのユーザーは登録されていません。", EN: "no such user"})
	}
	return nil
}

type accessCheckKey struct{}

// decisionAt returns ctx whose access check (WithAccessCheck's, run first) also holds a decision on
// requestID to ifVersion. The version is compared on the locked case after the request's state,
// not by UpdateCase before it: of two approvers of one version the second learns that the request
// was decided (the domain's CodeAlreadyDecided), not that the page is stale.
func decisionAt(ctx context.Context, requestID, ifVersion int64) context.Context {
	if ifVersion == 0 {
		return ctx
	}
	access, _ := ctx.Value(accessCheckKey{}).(func(*incident.Case) error)
	return WithAccessCheck(ctx, func(c *incident.Case) error {
		if access != nil {
			if err := access(c); err != nil {
				return err
			}
		}
		if rq := c.Request(requestID); rq != nil && rq.State != incident.RequestPending {
			return nil // the domain answers that it was decided
		}
		if c.Version != ifVersion {
			return store.StaleVersion(c.Version, ifVersion)
		}
		return nil
	})
}

// WithAccessCheck returns ctx carrying the caller's read-access rule for the case (e.g. "not
// involved in the incident"), which Do — and Submit, Approve and SendBack through it — runs on the
// case it has locked, before the command is decided: the handler need not load the case a first
// time only to check that it may touch it. An error from check rolls the command back and is
// returned as it is.
func WithAccessCheck(ctx context.Context, check func(c *incident.Case) error) context.Context {
	return context.WithValue(ctx, accessCheckKey{}, check)
}

// Submit pre-allocates a request id and submits the request.
func (s *Service) Submit(ctx context.Context, caseID, ifVersion int64, actor incident.Actor, req incident.SubmitRequest) (*incident.Case, *incident.Request, error) {
	if err := s.checkMoveTarget(ctx, req); err != nil {
		return nil, nil, err
	}
	id, err := s.Store.NextRequestID(ctx)
	if err != nil {
		return nil, nil, err
	}
	req.RequestID = id
	c, _, err := s.Do(ctx, caseID, ifVersion, actor, req)
	if err != nil {
		return nil, nil, err
	}
	return c, c.Request(id), nil
}

// Approve adds the actor's approval to a request. Two approvals racing for the same request queue
// on the case's row lock; the second sees the request already decided. onBehalfOf (0: none) is
// the absent principal of a 代理承認; the domain checks the registration looked up here.
func (s *Service) Approve(ctx context.Context, requestID int64, actor incident.Actor, note string, onBehalfOf int64) (*incident.Case, *incident.Request, error) {
	return s.ApproveAt(ctx, requestID, 0, actor, note, onBehalfOf)
}

// ApproveAt is Approve at the case version the approver saw (ifVersion; 0 checks none): a request
// still pending on a case that changed since is a stale-version conflict (store.ErrStale), so the
// approver sees what changed before stamping; a request someone decided meanwhile stays the
// domain's already-decided answer.
func (s *Service) ApproveAt(ctx context.Context, requestID, ifVersion int64, actor incident.Actor, note string, onBehalfOf int64) (*incident.Case, *incident.Request, error) {
	caseID, err := s.Store.CaseIDForRequest(ctx, requestID)
	if err != nil {
		return nil, nil, err
	}
	cmd := incident.Approve{RequestID: requestID, Note: note, OnBehalfOf: onBehalfOf}
	if onBehalfOf != 0 {
		if cmd.Delegation, err = s.Store.DelegationFor(ctx, onBehalfOf, actor.UserID, s.now()); err != nil {
			return nil, nil, err
		}
	}
	c, _, err := s.Do(decisionAt(ctx, requestID, ifVersion), caseID, 0, actor, cmd)
	if err != nil {
		return nil, nil, err
	}
	return c, c.Request(requestID), nil
}

// SendBack returns a request to its requester with a comment.
func (s *Service) SendBack(ctx context.Context, requestID int64, actor incident.Actor, note string) (*incident.Case, *incident.Request, error) {
	return s.SendBackAt(ctx, requestID, 0, actor, note)
}

// SendBackAt is SendBack at the case version the approver saw, as ApproveAt.
func (s *Service) SendBackAt(ctx context.Context, requestID, ifVersion int64, actor incident.Actor, note string) (*incident.Case, *incident.Request, error) {
	caseID, err := s.Store.CaseIDForRequest(ctx, requestID)
	if err != nil {
		return nil, nil, err
	}
	c, _, err := s.Do(decisionAt(ctx, requestID, ifVersion), caseID, 0, actor, incident.SendBack{RequestID: requestID, Note: note})
	if err != nil {
		return nil, nil, err
	}
	return c, c.Request(requestID), nil
}

// Apply decides cmd on c at now exactly as Open and Do do inside their transactions — the domain's
// events, then the law's assessment_changed event when it moved — and applies them to c. For
// `leakdesk dev seed`, which builds cases in memory and writes them with COPY.
func (s *Service) Apply(ctx context.Context, c *incident.Case, cmd incident.Command, actor incident.Actor, now time.Time) ([]incident.Event, error) {
	return s.apply(ctx, c, cmd, actor, store.Now(now))
}

// apply decides cmd on c, applies the events, then re-runs the law on the resulting facts and
// appends an assessment_changed event when the decision or a deadline moved (domain.md §3.6).
func (s *Service) apply(ctx context.Context, c *incident.Case, cmd incident.Command, actor incident.Actor, now time.Time) ([]incident.Event, error) {
	if err := s.FillOutside(ctx, c); err != nil {
		return nil, err
	}
	events, err := c.Decide(cmd, actor, now)
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		if err := c.Apply(e); err != nil {
			return nil, err
		}
	}
	if len(events) == 0 {
		return nil, nil
	}
	assessed, err := s.assess(ctx, c, now)
	if err != nil {
		return nil, err
	}
	return append(events, assessed...), nil
}

// FillOutside sets what the approval policy reads about c from outside its history (the register's
// totals, the company's compensation amount), so pages show and decisions require the same slots.
func (s *Service) FillOutside(ctx context.Context, c *incident.Case) error {
	c.Outside = incident.Outside{CompensationExecutiveAbove: s.CompensationExecutiveAbove}
	if s.RegisterTotals == nil || c.ID == 0 {
		return nil
	}
	n, comp, err := s.RegisterTotals(ctx, c.ID)
	if err != nil {
		return err
	}
	c.Outside.RegisterCount, c.Outside.RegisterCompensationTotal = n, comp
	return nil
}

// assess re-runs the law on c and, when the decision or a deadline moved, applies and returns the
// assessment_changed event (none otherwise).
func (s *Service) assess(ctx context.Context, c *incident.Case, now time.Time) ([]incident.Event, error) {
	opts, err := s.lawOptions(ctx, c)
	if err != nil {
		return nil, err
	}
	payload := AssessmentPayload(appi.Assess(c.Facts, opts, now))
	if sameAssessment(c.Assessment, payload) {
		return nil, nil
	}
	ae := c.NewAssessmentEvent(0, now, payload)
	if err := c.Apply(ae); err != nil {
		return nil, err
	}
	return []incident.Event{ae}, nil
}

// Reassess re-runs the law on an open case whose inputs changed outside its own history — the
// affected-person register, whose count the rules read — and records an assessment_changed event
// when the decision or a deadline moved, in the same transaction as its deadline index and
// reminder jobs (the case hooks). Without it an import that makes a case reportable would only
// show on the next change to the case. Nothing is written when nothing moved.
func (s *Service) Reassess(ctx context.Context, caseID int64) (*incident.Case, []incident.Event, error) {
	now := s.now()
	return s.Store.UpdateCaseTx(ctx, caseID, 0, func(ctx context.Context, c *incident.Case) ([]incident.Event, error) {
		if c.Status != incident.StatusOpen {
			return nil, nil
		}
		return s.assess(ctx, c, now)
	})
}

func (s *Service) lawOptions(ctx context.Context, c *incident.Case) (appi.Options, error) {
	opts := c.LawOptions(s.Law)
	caseID := c.ID
	opts.RegisterCount = -1
	if s.PersonCount != nil && caseID != 0 {
		n, err := s.PersonCount(ctx, caseID)
		if err != nil {
			return opts, err
		}
		opts.RegisterCount = n
	}
	return opts, nil
}

// Assess runs the law on the case's current facts at now (for pages and the API; not stored).
func (s *Service) Assess(ctx context.Context, c *incident.Case, now time.Time) (appi.Assessment, error) {
	opts, err := s.lawOptions(ctx, c)
	if err != nil {
		return appi.Assessment{}, err
	}
	return appi.Assess(c.Facts, opts, now), nil
}

// AssessmentPayload is the part of an assessment that depends only on the facts (not on the time
// it is looked at): the decision and each deadline's due time and whether it was met. It is what the
// history records.
func AssessmentPayload(a appi.Assessment) map[string]any {
	dls := make([]any, 0, len(a.Deadlines))
	for _, d := range a.Deadlines {
		dls = append(dls, map[string]any{
			"kind":   d.Kind,
			"due":    d.Due,
			"due_at": d.DueAt.UTC().Format(time.RFC3339),
			"met":    d.CompletedAt != nil,
		})
	}
	final := func(p *int) any {
		if p == nil {
			return nil
		}
		return int64(*p)
	}
	known := ""
	if a.KnownDate != nil {
		known = a.KnownDate.String()
	}
	return map[string]any{
		"appi": map[string]any{
			"status":          string(a.APPI.Status),
			"categories":      toAny(a.APPI.Categories),
			"exemptions":      toAny(a.APPI.Exemptions),
			"notice_required": a.APPI.NoticeRequired,
			"final_days":      final(a.APPI.FinalDays),
		},
		"mynumber": map[string]any{
			"status":     string(a.MyNumber.Status),
			"categories": toAny(a.MyNumber.Categories),
			"final_days": final(a.MyNumber.FinalDays),
		},
		"known_date": known,
		"deadlines":  dls,
	}
}

func toAny(xs []string) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// sameAssessment compares canonically, so a payload read back from JSON equals the one built now.
func sameAssessment(old map[string]any, now map[string]any) bool {
	if old == nil {
		return false
	}
	a, err1 := chain.Canonical(old)
	b, err2 := chain.Canonical(now)
	return err1 == nil && err2 == nil && bytes.Equal(a, b)
}

// AttachEvidence stores an uploaded file for a stage of the case: the evidence_attached event (name,
// size, content type, SHA-256) and the bytes in one transaction. The caller has checked the size
// and type (CheckEvidence); the hash is computed here from the bytes that are stored.
func (s *Service) AttachEvidence(ctx context.Context, caseID, ifVersion int64, actor incident.Actor, stage incident.Stage,
	name, contentType, note string, data []byte) (*incident.Case, *incident.Evidence, error) {
	id, err := s.Store.NextEvidenceID(ctx)
	if err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(data)
	cmd := incident.AttachEvidence{EvidenceID: id, Stage: stage, Name: name, Size: int64(len(data)),
		ContentType: contentType, SHA256: hex.EncodeToString(sum[:]), Note: note}
	now := s.now()
	c, _, err := s.Store.AttachEvidence(ctx, caseID, ifVersion, store.EvidenceFile{ID: id, Data: data}, func(ctx context.Context, c *incident.Case) ([]incident.Event, error) {
		return s.apply(ctx, c, cmd, actor, now)
	})
	if err != nil {
		return nil, nil, err
	}
	return c, c.EvidenceByID(id), nil
}
