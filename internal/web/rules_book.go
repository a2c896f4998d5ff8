package web

import (
	"net/http"
	"strings"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/rules"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// What the rule book's pages and API read (rules_pages.go, rules_api.go): the versions with the
// one in force, and one version with its diff and history. Reads only; the writes are casework's.

// Route-table groups for the rule book (incident.RuleDrafters / RuleApprovers are the rules the
// commands enforce; these keep everyone else off the routes).
var (
	// ruleReaders: everyone who works on cases or administers the installation reads the rule
	// book; a reporter (every employee) does not need it.
	ruleReaders  = append(authRoles(incident.CaseReaders), auth.RoleAdmin)
	ruleDrafters = authRoles(incident.RuleDrafters)
	ruleDeciders = authRoles(incident.RuleApprovers)
)

// ruleBookView is the rule book as of now.
type ruleBookView struct {
	inForce    *incident.Rules
	inForceDoc []byte
	stored     []store.RuleVersion // newest first
	rows       []view.RuleVersionRow
	review     view.RuleReview
}

func (s *Server) ruleBook(r *http.Request) (ruleBookView, error) {
	ctx := r.Context()
	inForce, err := s.svc.RulesInForce(ctx, s.now())
	if err != nil {
		return ruleBookView{}, err
	}
	stored, err := s.store.RuleVersions(ctx)
	if err != nil {
		return ruleBookView{}, err
	}
	last, base, err := s.store.RuleReviewClock(ctx)
	if err != nil {
		return ruleBookView{}, err
	}
	rv := incident.RuleReviewAt(last, base, s.now())
	b := ruleBookView{inForce: inForce, inForceDoc: inForce.Set.Canonical(), stored: stored,
		review: view.RuleReview{Last: last, Due: rv.DueOn, DaysLeft: rv.DaysLeft, State: rv.State}}
	for _, v := range stored {
		b.rows = append(b.rows, ruleRow(v, inForce.Version))
	}
	b.rows = append(b.rows, builtinRuleRow(inForce.Version))
	return b, nil
}

func builtinRuleRow(inForce int) view.RuleVersionRow {
	v1 := rules.V1()
	return view.RuleVersionRow{Version: 1, Title: v1.Title, State: "builtin", Hash: v1.Hash(), InForce: inForce == 1}
}

func ruleRow(v store.RuleVersion, inForce int) view.RuleVersionRow {
	row := view.RuleVersionRow{Version: v.Version, Title: v.Title, EffectiveOn: v.EffectiveOn, State: v.State, Hash: v.Hash,
		DrafterName: v.DrafterName, DraftedAt: v.DraftedAt, InForce: v.Version == inForce}
	for _, a := range v.Approvals {
		ja, en := auth.Role(a.Role).Label()
		row.Approvals = append(row.Approvals, view.RuleApprovalRow{RoleJA: ja, RoleEN: en, Name: a.Name, At: a.At})
	}
	return row
}

// ruleVersionDetail is one version: its row, document, the diff a reviewer reads (a draft against
// the version in force now, which it would replace; a decided one against the version it was
// drafted from) and its history.
type ruleVersionDetail struct {
	row     view.RuleVersionRow
	stored  store.RuleVersion
	doc     []byte
	basedOn int
	against int // 0: nothing to compare (version 1)
	changes []rules.Change
	events  []view.RuleEventRow
}

func (s *Server) ruleVersionDetail(r *http.Request, ver int) (ruleVersionDetail, error) {
	ctx := r.Context()
	inForce, err := s.svc.RulesInForce(ctx, s.now())
	if err != nil {
		return ruleVersionDetail{}, err
	}
	if ver == 1 {
		return ruleVersionDetail{row: builtinRuleRow(inForce.Version), doc: rules.V1().Canonical()}, nil
	}
	v, err := s.store.RuleVersion(ctx, ver)
	if err != nil {
		return ruleVersionDetail{}, err
	}
	d := ruleVersionDetail{row: ruleRow(v, inForce.Version), stored: v, doc: v.Document, basedOn: v.BasedOn, against: v.BasedOn}
	var base []byte
	if v.State == incident.RuleDraft {
		d.against, base = inForce.Version, inForce.Set.Canonical()
	} else if base, err = s.svc.RuleDocument(ctx, v.BasedOn); err != nil {
		return ruleVersionDetail{}, err
	}
	if d.changes, err = rules.Diff(base, v.Document); err != nil {
		return ruleVersionDetail{}, err
	}
	evs, err := s.store.RuleEvents(ctx)
	if err != nil {
		return ruleVersionDetail{}, err
	}
	for _, e := range evs {
		if e.Version == ver {
			d.events = append(d.events, ruleEventRow(e))
		}
	}
	return d, nil
}

var ruleEventKinds = map[string][2]string{
	store.RuleEventDrafted:   {"起案", "drafted"},
	store.RuleEventApproved:  {"承認", "approved"},
	store.RuleEventInForce:   {"施行決定（承認完了）", "in force (approvals complete)"},
	store.RuleEventWithdrawn: {"取下げ", "withdrawn"},
	store.RuleEventReviewed:  {"年次見直し（変更なし）", "yearly review (unchanged)"},
}

func ruleEventRow(e store.RuleEvent) view.RuleEventRow {
	k := ruleEventKinds[e.Kind]
	row := view.RuleEventRow{Seq: e.Seq, At: e.At, Actor: e.ActorName, KindJA: k[0], KindEN: k[1], Version: e.Version}
	str := func(key string) string { v, _ := e.Detail[key].(string); return v }
	var parts []string
	if role := str("role"); role != "" {
		ja, _ := auth.Role(role).Label()
		parts = append(parts, ja)
	}
	if d := str("effective_on"); d != "" {
		parts = append(parts, "施行日 "+d)
	}
	for _, key := range []string{"reason", "note"} {
		if t := str(key); t != "" {
			parts = append(parts, t)
		}
	}
	row.Detail = strings.Join(parts, "・")
	return row
}
