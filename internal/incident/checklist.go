package incident

import "time"

// ChecklistItem is one bullet of a stage's checklist in domain.md §1, with
// its source. Citation marks [P] company policy (seed regulations) and [V]
// law or PPC guidance checked against the primary text.
type ChecklistItem struct {
	ID       string `json:"id"` // "<stage>.<slug>"
	Stage    Stage  `json:"stage"`
	JA       string `json:"ja"`
	EN       string `json:"en"`
	Citation string `json:"citation"`
	// RequiredForExit items must be ticked before the stage can be
	// completed. Items whose outcome is captured by a fact (a date, a
	// decision) are checked through that fact instead, and conditional items
	// (e.g. the customer interview) are enforced by the stage's exit rule.
	RequiredForExit bool `json:"required_for_exit"`
}

// Tick is the recorded state of one checklist item of a case.
type Tick struct {
	Checked bool      `json:"checked"`
	By      int64     `json:"by"`
	At      time.Time `json:"at"`
	Note    string    `json:"note,omitempty"`
}

func item(st Stage, slug, ja, en, cite string, required bool) ChecklistItem {
	return ChecklistItem{ID: string(st) + "." + slug, Stage: st, JA: ja, EN: en, Citation: cite, RequiredForExit: required}
}

// The checklist items themselves are the rule set's (internal/rules,
// version 1 = the seeds' items with their citations); Rules compiles them.

// Checklist returns the checklist items of stage s in order under the
// default rule set; a case's own are c.Rules().Checklist(s) plus its
// template items (Case.ChecklistOf).
func Checklist(s Stage) []ChecklistItem { return DefaultRules().Checklist(s) }

// LookupChecklistItem returns the item with the given ID under the default
// rule set.
func LookupChecklistItem(id string) (ChecklistItem, bool) {
	return DefaultRules().LookupChecklistItem(id)
}
