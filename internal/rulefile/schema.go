// Package rulefile reads a rule-set file from outside (an upload, an
// import): the published JSON Schema (docs/ruleset.schema.json, 2020-12),
// then the strict decode and the engine check, then the compiled rules.
// Every problem comes back with its JSON path (rules.Problem), for a 422 or
// a page; nothing is registered or stored here.
package rulefile

import (
	"bytes"
	_ "embed"
	"errors"
	"sort"
	"strings"
	"sync"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/rules"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// schemaJSON is the published schema; docs/ruleset.schema.json is the same
// file (TestSchema_PublishedCopyIsTheEmbeddedOne).
//
//go:embed ruleset.schema.json
var schemaJSON []byte

// SchemaJSON returns the JSON Schema (2020-12) of a rule set.
func SchemaJSON() []byte { return bytes.Clone(schemaJSON) }

const schemaURL = "https://leakdesk.invalid/ruleset.schema.json"

var compiled = sync.OnceValue(func() *jsonschema.Schema {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		panic("rules: embedded schema: " + err.Error())
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(schemaURL, doc); err != nil {
		panic("rules: embedded schema: " + err.Error())
	}
	s, err := c.Compile(schemaURL)
	if err != nil {
		panic("rules: embedded schema: " + err.Error())
	}
	return s
})

var printer = message.NewPrinter(language.English)

// Load validates a rule-set file and compiles it for the engine: the schema
// first (every problem with its path), then the strict decode, then the
// engine check. A file with problems returns *rules.Invalid.
func Load(b []byte) (*incident.Rules, error) {
	rs, err := Parse(b)
	if err != nil {
		return nil, err
	}
	return incident.CompileRules(rs)
}

// Parse is the schema check and the strict decode, without the engine.
func Parse(b []byte) (*rules.RuleSet, error) {
	if ps := Validate(b); len(ps) > 0 {
		return nil, &rules.Invalid{Problems: ps}
	}
	return rules.Parse(b)
}

// Validate checks b against the schema: one Problem per failed leaf,
// sorted by path; none when it conforms.
func Validate(b []byte) []rules.Problem {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return []rules.Problem{{Path: "", JA: "JSONとして読めません: " + err.Error(), EN: "not JSON: " + err.Error()}}
	}
	err = compiled().Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []rules.Problem{{Path: "", JA: "検証できません: " + err.Error(), EN: "cannot validate: " + err.Error()}}
	}
	var ps []rules.Problem
	leaves(ve, &ps)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Path < ps[j].Path })
	return ps
}

func leaves(e *jsonschema.ValidationError, ps *[]rules.Problem) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			leaves(c, ps)
		}
		return
	}
	path := pointer(e.InstanceLocation)
	en := e.ErrorKind.LocalizedString(printer)
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		// One problem per refused property, at its own path: the usual
		// case is an attempt to set what the law fixes.
		for _, p := range k.Properties {
			*ps = append(*ps, rules.Problem{Path: path + "/" + escape(p),
				JA: "「" + p + "」は設定できません（法令で定まる事項か、ルールセットにない項目です）。",
				EN: "property " + p + " cannot be set (fixed by law, or not part of a rule set)"})
		}
		return
	case *kind.Required:
		for _, p := range k.Missing {
			*ps = append(*ps, rules.Problem{Path: path + "/" + escape(p), JA: "「" + p + "」がありません。", EN: "missing property " + p})
		}
		return
	case *kind.Enum:
		*ps = append(*ps, rules.Problem{Path: path, JA: "使える値ではありません。", EN: en})
		return
	case *kind.Type:
		*ps = append(*ps, rules.Problem{Path: path, JA: "値の型が違います。", EN: en})
		return
	}
	*ps = append(*ps, rules.Problem{Path: path, JA: "規則に合いません: " + en, EN: en})
}

func pointer(tokens []string) string {
	var sb strings.Builder
	for _, t := range tokens {
		sb.WriteByte('/')
		sb.WriteString(escape(t))
	}
	return sb.String()
}

func escape(t string) string {
	return strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
}
