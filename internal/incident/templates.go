package incident

import (
	"maps"
	"sort"
	"strings"

	"github.com/leakdesk/leakdesk/internal/rules"
)

// Template is an incident-type template of a rule set (メール・FAX誤送信,
// ランサムウェア …) compiled for the engine. Choosing one when a case opens
// is a suggestion: its facts are proposed values the opener may change
// before and after, its checklist items join the case's checklist, its
// skip reasons are pre-selected on the skip form, and its document texts
// are the starting text of empty sections. The choice is recorded in
// case_opened and the preset facts in the opening facts_changed, so the
// history says what came from the template.
type Template struct {
	ID, JA, EN, Citation string
	// Facts are the preset values (fact name → value).
	Facts map[string]any
	// Items are the checklist items the template adds, with engine IDs
	// "<stage>.tpl_<template>_<id>".
	Items []ChecklistItem
	// Skips suggests a skip reason per stage.
	Skips map[Stage]string
	// Documents: document kind → section key → starting text.
	Documents map[string]map[string]string
}

func compileTemplate(t rules.Template) Template {
	out := Template{ID: t.ID, JA: t.JA, EN: t.EN, Citation: t.Cite, Facts: maps.Clone(t.Facts), Skips: map[Stage]string{}, Documents: t.Documents}
	for _, s := range Stages {
		for _, it := range t.Checklist[string(s)] {
			out.Items = append(out.Items, item(s, "tpl_"+t.ID+"_"+it.ID, it.JA, it.EN, it.Citation, it.RequiredForExit))
		}
		if code := t.SkipReasons[string(s)]; code != "" {
			out.Skips[s] = code
		}
	}
	return out
}

// PresetNames returns the names of the facts the template presets, sorted.
func (t Template) PresetNames() []string {
	names := make([]string, 0, len(t.Facts))
	for n := range t.Facts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Templates returns the rule set's templates in order.
func (r *Rules) Templates() []Template { return append([]Template(nil), r.templates...) }

// Template returns the template with the given ID.
func (r *Rules) Template(id string) (Template, bool) {
	for _, t := range r.templates {
		if t.ID == id {
			return t, true
		}
	}
	return Template{}, false
}

// TemplateOf returns the template the case was opened with, if any.
func (c *Case) TemplateOf() (Template, bool) {
	if c.Template == "" {
		return Template{}, false
	}
	return c.Rules().Template(c.Template)
}

// templateItems are the checklist items the case's template added.
func (c *Case) templateItems() []ChecklistItem {
	t, ok := c.TemplateOf()
	if !ok {
		return nil
	}
	return t.Items
}

// SuggestedSkip returns the skip reason the case's template suggests for
// stage s ("" = none).
func (c *Case) SuggestedSkip(s Stage) string {
	t, _ := c.TemplateOf()
	return t.Skips[s]
}

// TemplateText returns the template's starting text for section key of
// document kind doc ("" = none).
func (c *Case) TemplateText(doc, key string) string {
	t, _ := c.TemplateOf()
	return t.Documents[doc][key]
}

// withPresets returns the opening facts: the template's presets, then the
// opener's values over them (an explicit value, even an empty one, wins),
// and the names that kept the template's value.
func withPresets(t Template, given map[string]any) (map[string]any, []string) {
	out := maps.Clone(t.Facts)
	if out == nil {
		out = map[string]any{}
	}
	var kept []string
	for _, n := range t.PresetNames() {
		if _, ok := given[n]; !ok {
			kept = append(kept, n)
		}
	}
	maps.Copy(out, given)
	return out, kept
}

// ItemStage returns the stage a checklist item ID belongs to ("<stage>.<slug>"),
// for callers that route a tick before the case is loaded; whether the
// case's checklist has the item is decided with the case (ChecklistItem).
func ItemStage(id string) (Stage, bool) {
	st, slug, ok := strings.Cut(id, ".")
	if !ok || slug == "" || !Stage(st).Valid() {
		return "", false
	}
	return Stage(st), true
}

// TemplateLabel names the case's template for its page ("" when none).
func (c *Case) TemplateLabel() (ja, en string) {
	t, ok := c.TemplateOf()
	if !ok {
		return "", ""
	}
	return "雛形: " + t.JA + "（提案から開始）", "Template: " + t.EN + " (started from its suggestion)"
}
