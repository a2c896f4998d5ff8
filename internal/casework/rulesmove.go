package casework

import (
	"context"
	"strconv"

	"github.com/leakdesk/leakdesk/internal/incident"
)

// RulesMove is what the case page offers a case under an older rule-set version: the version in
// force now and what moving to it changes for the case (incident.RulesChanges).
type RulesMove struct {
	To      *incident.Rules
	Changes []incident.RulesChange
}

// RulesMoveFor returns the move the case could make now: nil when the version in force is not newer
// than the case's.
func (s *Service) RulesMoveFor(ctx context.Context, c *incident.Case) (*RulesMove, error) {
	to, err := s.rulesAt(ctx, s.now())
	if err != nil {
		return nil, err
	}
	if to == nil || to.Version <= c.Rules().Version {
		return nil, nil
	}
	return &RulesMove{To: to, Changes: incident.RulesChanges(c, c.Rules(), to)}, nil
}

// checkMoveTarget: a case moves only to a version in force now, never to one approved for a later
// date (the domain checks the rest: registered, newer, nothing pending).
func (s *Service) checkMoveTarget(ctx context.Context, req incident.SubmitRequest) error {
	if req.Kind != incident.KindMoveRules {
		return nil
	}
	now, err := s.rulesAt(ctx, s.now())
	if err != nil {
		return err
	}
	if now != nil && req.RulesTo > now.Version {
		v := strconv.Itoa(req.RulesTo)
		return incident.Invalid("第"+v+"版はまだ施行されていません。施行中の版にのみ移行できます。", "version "+v+" is not in force yet",
			incident.FieldError{Field: "rules_version", JA: "施行中の版（第" + strconv.Itoa(now.Version) + "版まで）を指定してください。", EN: "must be a version in force"})
	}
	return nil
}
