package rulefile_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/rulefile"
	"github.com/leakdesk/leakdesk/internal/rules"
)

// v1Hash pins version 1: cases record it, so the shipped bytes' meaning
// must not change under them. A deliberate change to version 1 is a new
// version, not an edit.
const v1Hash = "584cfea9e3c650602614d3174fc6c8aa10b21fdbc27f014219414d438f780efb"

func TestV1_PassesSchemaAndEngine(t *testing.T) {
	r, err := rulefile.Load(rules.V1JSON())
	if err != nil {
		t.Fatalf("version 1: %v", err)
	}
	rs := r.Set
	if rs.Version != 1 {
		t.Fatalf("version = %d", rs.Version)
	}
	if got := rs.Hash(); got != v1Hash {
		t.Fatalf("version 1 hash = %s, pinned %s", got, v1Hash)
	}
}

func TestV1_LawOptionsAreTodaysDefaults(t *testing.T) {
	got, want := rules.V1().LawOptions(), appi.DefaultOptions()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("version 1's law options differ from appi.DefaultOptions:\n got %+v\nwant %+v", got, want)
	}
	if o := rules.V1().Offsets(); !reflect.DeepEqual(o, []time.Duration{24 * time.Hour, 2 * time.Hour}) {
		t.Fatalf("offsets = %v", o)
	}
}

func TestSchema_PublishedCopyIsTheEmbeddedOne(t *testing.T) {
	pub, err := os.ReadFile("../../docs/ruleset.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pub, rulefile.SchemaJSON()) {
		t.Fatal("docs/ruleset.schema.json differs from internal/rules/ruleset.schema.json: copy it")
	}
}

func TestCanonical_StableAndCompact(t *testing.T) {
	a := rules.V1().Canonical()
	rs, err := rules.Parse(a)
	if err != nil {
		t.Fatalf("canonical bytes do not parse: %v", err)
	}
	if !bytes.Equal(a, rs.Canonical()) {
		t.Fatal("canonical bytes change on a round trip")
	}
	if bytes.Contains(a, []byte("\n")) || bytes.Contains(a, []byte(`": `)) {
		t.Fatal("canonical bytes carry whitespace")
	}
}

// edit returns version 1 with change applied to its decoded JSON.
func edit(t *testing.T, change func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rules.V1JSON(), &m); err != nil {
		t.Fatal(err)
	}
	change(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func obj(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		m = m[p].(map[string]any)
	}
	return m
}

func problems(t *testing.T, b []byte) []rules.Problem {
	t.Helper()
	_, err := rulefile.Load(b)
	var inv *rules.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("want *rules.Invalid, got %v", err)
	}
	return inv.Problems
}

func hasPath(ps []rules.Problem, path string) bool {
	for _, p := range ps {
		if p.Path == path && p.JA != "" && p.EN != "" {
			return true
		}
	}
	return false
}

// What the law fixes cannot be set: every object of the schema is closed.
func TestSchema_RefusesLawFixedRules(t *testing.T) {
	cases := []struct {
		name   string
		change func(m map[string]any)
		path   string
	}{
		{"lift the 1,000-person threshold", func(m map[string]any) { m["category4_threshold"] = 5000 }, "/category4_threshold"},
		{"switch off a report category", func(m map[string]any) { m["report_categories"] = []any{"sensitive"} }, "/report_categories"},
		{"move the 30-day final report", func(m map[string]any) { obj(m, "deadlines")["final_report_days"] = 45 }, "/deadlines/final_report_days"},
		{"move the day-5 outer limit", func(m map[string]any) { obj(m, "deadlines")["prelim_outer_offset"] = 9 }, "/deadlines/prelim_outer_offset"},
		{"ignore holidays", func(m map[string]any) { m["holidays"] = false }, "/holidays"},
		{"internal target outside day 3–5", func(m map[string]any) { obj(m, "deadlines")["prelim_target_offset"] = 9 }, "/deadlines/prelim_target_offset"},
		{"an unknown stage", func(m map[string]any) { obj(m, "stages")["coffee"] = obj(m, "stages", "discovery") }, "/stages"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := rulefile.Parse(edit(t, c.change))
			var inv *rules.Invalid
			if !errors.As(err, &inv) {
				t.Fatalf("accepted: %v", err)
			}
			found := false
			for _, p := range inv.Problems {
				found = found || strings.HasPrefix(p.Path, c.path)
			}
			if !found {
				t.Fatalf("no problem at %s: %v", c.path, inv.Problems)
			}
		})
	}
}

func TestSchema_ShapeProblemsHavePaths(t *testing.T) {
	b := edit(t, func(m map[string]any) {
		item := obj(m, "stages", "discovery")["checklist"].([]any)[0].(map[string]any)
		delete(item, "citation")
		item["required_for_exit"] = "yes"
		m["compensation_executive_above"] = -1
	})
	ps := problems(t, b)
	for _, want := range []string{"/stages/discovery/checklist/0/citation", "/stages/discovery/checklist/0/required_for_exit", "/compensation_executive_above"} {
		if !hasPath(ps, want) {
			t.Errorf("no problem at %s: %v", want, ps)
		}
	}
}

func TestCheck_EngineProblemsHavePaths(t *testing.T) {
	cases := []struct {
		name   string
		change func(m map[string]any)
		path   string
	}{
		{"unknown writer role", func(m map[string]any) { obj(m, "stages", "discovery")["writers"] = []any{"janitor"} }, "/stages/discovery/writers/0"},
		{"unknown approver", func(m map[string]any) {
			m["approvals"].([]any)[0].(map[string]any)["slots"] = []any{map[string]any{"role": "auditor"}}
		}, "/approvals/0/slots/0/role"},
		{"unknown condition", func(m map[string]any) {
			m["approvals"].([]any)[0].(map[string]any)["slots"] = []any{map[string]any{"role": "manager"}, map[string]any{"role": "executive", "when": "full_moon"}}
		}, "/approvals/0/slots/1/when"},
		{"unknown reason check", func(m map[string]any) {
			obj(m, "stages", "police_report")["skip_reasons"].([]any)[0].(map[string]any)["requires"] = "gut_feeling"
		}, "/stages/police_report/skip_reasons/0/requires"},
		{"a stage with no way to finish", func(m map[string]any) {
			var keep []any
			for _, r := range m["approvals"].([]any) {
				if r.(map[string]any)["stage"] != "containment" {
					keep = append(keep, r)
				}
			}
			m["approvals"] = keep
		}, "/approvals"},
		{"skip reasons without a skip row", func(m map[string]any) {
			var keep []any
			for _, r := range m["approvals"].([]any) {
				if rr := r.(map[string]any); !(rr["stage"] == "police_report" && rr["kind"] == "skip") {
					keep = append(keep, r)
				}
			}
			m["approvals"] = keep
		}, "/stages/police_report/skip_reasons"},
		{"no close row", func(m map[string]any) {
			var keep []any
			for _, r := range m["approvals"].([]any) {
				if r.(map[string]any)["kind"] != "close" {
					keep = append(keep, r)
				}
			}
			m["approvals"] = keep
		}, "/approvals"},
		{"a stage left out", func(m map[string]any) { delete(obj(m, "stages"), "discipline") }, "/stages"},
		{"duplicate checklist item", func(m map[string]any) {
			st := obj(m, "stages", "discovery")
			l := st["checklist"].([]any)
			st["checklist"] = append(l, l[0])
		}, "/stages/discovery/checklist/9/id"},
		{"only conditional approvers", func(m map[string]any) {
			m["approvals"].([]any)[0].(map[string]any)["slots"] = []any{map[string]any{"role": "executive", "when": "publication"}}
		}, "/approvals/0/slots"},
		{"a company fact reusing an engine fact's name", func(m map[string]any) {
			obj(m, "stages", "discovery")["extra_facts"] = []any{map[string]any{"name": "x_a", "kind": "text", "label_ja": "a", "label_en": "a"},
				map[string]any{"name": "x_a", "kind": "text", "label_ja": "b", "label_en": "b"}}
		}, "/stages/discovery/extra_facts/1/name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := edit(t, c.change)
			if _, err := rulefile.Parse(b); err != nil {
				t.Fatalf("the schema refused it (the engine check was meant to): %v", err)
			}
			if ps := problems(t, b); !hasPath(ps, c.path) {
				t.Fatalf("no problem at %s: %v", c.path, ps)
			}
		})
	}
}
