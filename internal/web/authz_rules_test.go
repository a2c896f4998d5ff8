package web_test

// The rule book's rows of the authorisation matrix (issue 16): everyone who works on cases or
// administers reads it; the drafters (manager, privacy officer, administrator) draft; the two
// approvers approve and record the yearly review; a reporter and an auditor change nothing.

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/rules"
)

var (
	wRuleRead    = row(s303, s200, s200, s200, s200, s200, s200, s200, s200, s200, s403)
	aRuleRead    = row(s401, s200, s200, s200, s200, s200, s200, s200, s200, s200, s403)
	wRuleDecide  = row(s303, s403, s403, s303, s303, s303, s403, s403, s403, s403, s403)
	wRuleDraft   = row(s303, s403, s403, s303, s303, s303, s403, s403, s403, s303, s403)
	wRuleWithdr  = row(s303, s403, s403, s303, s303, s303, s403, s403, s403, s403, s403) // admin: not the drafter, not an approver
	aRuleDecide  = row(s401, s403, s403, s200, s200, s200, s403, s403, s403, s403, s403)
	aRuleDraft   = row(s401, s403, s403, s201, s201, s201, s403, s403, s403, s201, s403)
	aRuleReview  = row(s401, s403, s403, s201, s201, s201, s403, s403, s403, s403, s403)
	ruleDayCount int
)

// nextRuleDay is an effect date no other draft of the matrix has (one live version per date).
func nextRuleDay() string {
	ruleDayCount++
	return incident.JSTDate(time.Now()).AddDate(0, 0, 30+ruleDayCount).Format(time.DateOnly)
}

// ruleDraft drafts a fresh version (version 1's content) as the fixtures' manager, for one cell.
func (env *authzEnv) ruleDraft(t *testing.T) int64 {
	t.Helper()
	day, _ := time.Parse(time.DateOnly, nextRuleDay())
	v, err := env.svc.DraftRules(context.Background(), env.setup, casework.RuleDraftInput{Document: rules.V1().Canonical(), EffectiveOn: day})
	if err != nil {
		t.Fatal(err)
	}
	return int64(v)
}

func init() {
	draftForm := func(e *cellEnv) url.Values {
		return url.Values{"document": {string(rules.V1().Canonical())}, "effective_on": {nextRuleDay()}, "title": {"権限表の版"}}
	}
	draftJSON := func(e *cellEnv) string {
		b, _ := json.Marshal(map[string]any{"effective_on": nextRuleDay(), "document": json.RawMessage(rules.V1().Canonical())})
		return string(b)
	}
	rows := map[string]authzRow{
		"GET /rules":                     {want: wRuleRead},
		"POST /rules":                    {want: wRuleDraft, form: draftForm},
		"POST /rules/review":             {want: wRuleDecide, form: func(e *cellEnv) url.Values { return url.Values{"note": {"見直した"}} }},
		"GET /rules/{ver}":               {want: wRuleRead},
		"GET /rules/{ver}/export":        {want: wRuleRead},
		"POST /rules/{ver}/approve":      {want: wRuleDecide, form: func(e *cellEnv) url.Values { return url.Values{} }},
		"POST /rules/{ver}/withdraw":     {want: wRuleWithdr, form: func(e *cellEnv) url.Values { return url.Values{"reason": {"不要"}} }},
		"GET /api/v1/rules":              {want: aRuleRead},
		"POST /api/v1/rules":             {want: aRuleDraft, json: draftJSON},
		"POST /api/v1/rules/review":      {want: aRuleReview, json: func(e *cellEnv) string { return `{"note":"見直した"}` }},
		"GET /api/v1/rules/{ver}":        {want: aRuleRead},
		"GET /api/v1/rules/{ver}/export": {want: aRuleRead},
		"POST /api/v1/rules/{ver}/approve": {want: aRuleDecide, json: func(e *cellEnv) string { return `{}` },
			notes: "a fresh draft per cell: the approval is that cell's first, so the version stays a draft"},
		"POST /api/v1/rules/{ver}/withdraw": {want: aRuleDecide, json: func(e *cellEnv) string { return `{"reason":"不要"}` }},
	}
	for k, v := range rows {
		authzTable[k] = v
	}
}
