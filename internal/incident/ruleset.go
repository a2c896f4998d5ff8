package incident

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/rules"
)

// Rules is one version of the company's rule book (internal/rules)
// compiled for the engine: the checklist, the skip and defer reasons, the
// writers of each stage, the approval policy and the company's amounts.
// What the engine decides by code — entry rules, exit criteria, conditions,
// the law — is not here. A case is decided under the version it pinned
// (Case.Rules); DefaultRules is version 1.
type Rules struct {
	Version int
	Hash    string
	Set     *rules.RuleSet // the document it was compiled from; do not modify

	stages         map[Stage]stageRules
	checklist      []ChecklistItem
	checklistIndex map[string]*ChecklistItem
	policy         []PolicyRule
	docPolicy      []DocumentRule
	dismissal      map[string]bool
	templates      []Template
	// CompensationExecutiveAbove is the compensation total (yen) above which
	// the CEO approves.
	CompensationExecutiveAbove int64
	// Law is appi.Options with the version's policy values.
	Law appi.Options
}

type stageRules struct {
	skip, deferral []Reason
	writers        []Role
}

// reasonChecks are the named fact checks a skip or defer reason may
// require (rules.Reason.Requires).
var reasonChecks = map[string]func(Facts) []Missing{
	"recovered_unviewed": factIsTrue("recovered_unviewed", "「閲覧前に回収」が記録されていません。", "Recovered-unviewed is not recorded as true."),
	"high_level_encryption": factEquals("encryption", "high_level", "暗号化が「高度な暗号化」と記録されていません。",
		"Encryption is not recorded as high-level."),
	"not_reportable_finding": findingNotReportable,
	"not_reportable_with_voluntary_report": func(f Facts) []Missing {
		m := findingNotReportable(f)
		return append(m, need(f, "voluntary_report")...)
	},
}

// Vocabulary is what a rule set may name: the engine's stages, roles,
// conditions, reason checks, document kinds and facts.
func Vocabulary() rules.Vocabulary {
	v := rules.Vocabulary{
		Writers:    []string{string(RoleStaff), string(RoleManager), string(RolePrivacyOfficer), string(RoleHR)},
		Approvers:  []string{string(RoleManager), string(RolePrivacyOfficer), string(RoleExecutive), string(RoleHR)},
		FactKinds:  []string{string(KindText), string(KindLongText), string(KindEnum), string(KindSet), string(KindInt), string(KindBool), string(KindTristate), string(KindDate), string(KindDateTime)},
		StageKinds: []string{string(KindComplete), string(KindSkip), string(KindDefer)},
		CaseKinds:  []string{string(KindClose), string(KindCloseNotIncident)},
	}
	for _, s := range Stages {
		v.Stages = append(v.Stages, string(s))
	}
	for _, c := range conditions {
		v.Conditions = append(v.Conditions, string(c.ID))
	}
	for k := range reasonChecks {
		v.ReasonChecks = append(v.ReasonChecks, k)
	}
	slices.Sort(v.ReasonChecks)
	for _, d := range DocKinds {
		v.Documents = append(v.Documents, string(d))
	}
	for _, f := range fieldList {
		if !f.company {
			v.Facts = append(v.Facts, f.Name)
		}
	}
	return v
}

// CompileRules checks rs against the engine (rules.Check plus what only the
// engine can judge: the facts a template presets must be valid values) and
// compiles it. A rule set with problems returns *rules.Invalid.
func CompileRules(rs *rules.RuleSet) (*Rules, error) {
	ps := rules.Check(rs, Vocabulary())
	ps = append(ps, templateFactProblems(rs)...)
	if len(ps) > 0 {
		return nil, &rules.Invalid{Problems: ps}
	}
	r := &Rules{Version: rs.Version, Hash: rs.Hash(), Set: rs, stages: map[Stage]stageRules{},
		checklistIndex: map[string]*ChecklistItem{}, dismissal: map[string]bool{},
		CompensationExecutiveAbove: rs.CompensationExecutiveAbove, Law: rs.LawOptions()}
	reasons := func(list []rules.Reason) []Reason {
		var out []Reason
		for _, x := range list {
			out = append(out, Reason{Code: x.Code, JA: x.JA, EN: x.EN, Check: reasonChecks[x.Requires]})
		}
		return out
	}
	for _, s := range Stages {
		st := rs.Stages[string(s)]
		sr := stageRules{skip: reasons(st.SkipReasons), deferral: reasons(st.DeferReasons)}
		for _, w := range st.Writers {
			sr.writers = append(sr.writers, Role(w))
		}
		r.stages[s] = sr
		for _, it := range st.Checklist {
			r.checklist = append(r.checklist, item(s, it.ID, it.JA, it.EN, it.Citation, it.RequiredForExit))
		}
	}
	for i := range r.checklist {
		r.checklistIndex[r.checklist[i].ID] = &r.checklist[i]
	}
	slotsOf := func(list []rules.Slot) []Slot {
		out := make([]Slot, len(list))
		for i, s := range list {
			out[i] = Slot{Role: Role(s.Role), When: CondID(s.When)}
		}
		return out
	}
	for _, a := range rs.Approvals {
		r.policy = append(r.policy, PolicyRule{Kind: RequestKind(a.Kind), Stage: Stage(a.Stage), Slots: slotsOf(a.Slots)})
	}
	for _, d := range rs.DocumentApprovals {
		r.docPolicy = append(r.docPolicy, DocumentRule{Doc: DocKind(d.Document), Slots: slotsOf(d.Slots)})
	}
	for _, s := range rs.Sanctions {
		r.dismissal[s.Code] = s.DismissalLevel
	}
	for _, t := range rs.Templates {
		r.templates = append(r.templates, compileTemplate(t))
	}
	return r, nil
}

// templateFactProblems normalises each template's preset facts as a patch
// would be, so a template can never preset a value the case would refuse.
func templateFactProblems(rs *rules.RuleSet) []rules.Problem {
	var ps []rules.Problem
	for i, t := range rs.Templates {
		if len(t.Facts) == 0 {
			continue
		}
		_, fes := NormalizePatch(t.Facts, farFuture)
		for _, fe := range fes {
			ps = append(ps, rules.Problem{Path: "/templates/" + strconv.Itoa(i) + "/facts/" + fe.Field, JA: fe.JA, EN: fe.EN})
		}
	}
	return ps
}

// LoadRules decodes (strictly) and compiles rule-set bytes with the engine
// check. A file from outside goes through rulefile.Load, which checks the
// schema first. Problems come back as *rules.Invalid.
func LoadRules(b []byte) (*Rules, error) {
	rs, err := rules.Parse(b)
	if err != nil {
		return nil, err
	}
	return CompileRules(rs)
}

// Problems returns the problems of err (a *rules.Invalid), or nil.
func Problems(err error) []rules.Problem {
	var inv *rules.Invalid
	if errors.As(err, &inv) {
		return inv.Problems
	}
	return nil
}

// defaultRules is compiled in init, after every table it is checked
// against exists (a package-level initialiser would be a cycle: the
// conditions read a case's rules).
var defaultRules *Rules

func init() {
	r, err := CompileRules(rules.V1())
	if err != nil {
		panic("incident: rule set version 1 does not compile: " + err.Error())
	}
	defaultRules = r
}

// DefaultRules returns version 1, the seeds' regulation.
func DefaultRules() *Rules { return defaultRules }

var registry = struct {
	sync.RWMutex
	m map[int]*Rules
}{m: map[int]*Rules{}}

// RegisterRules makes a compiled version available to the cases that pinned
// it (internal/store loads the stored versions; version 1 is built in). A
// version number names one rule set: registering another hash under it
// fails.
func RegisterRules(r *Rules) error {
	registry.Lock()
	defer registry.Unlock()
	if old, ok := registry.m[r.Version]; ok && old.Hash != r.Hash {
		return Internal("rules: version %d is already registered with another hash", r.Version)
	}
	if r.Version == 1 && r.Hash != DefaultRules().Hash {
		return Internal("rules: version 1 is the built-in rule set")
	}
	registry.m[r.Version] = r
	return nil
}

// RulesOf returns the registered version v (1 is always there).
func RulesOf(v int) (*Rules, bool) {
	if v <= 1 {
		return DefaultRules(), true
	}
	registry.RLock()
	defer registry.RUnlock()
	r, ok := registry.m[v]
	return r, ok
}

// Def returns stage s's row with this version's reasons and writers.
func (r *Rules) Def(s Stage) StageDef {
	d := *defOf(s)
	sr := r.stages[s]
	d.SkipReasons, d.DeferReasons, d.Writers = sr.skip, sr.deferral, sr.writers
	return d
}

// Checklist returns the checklist items of stage s in order.
func (r *Rules) Checklist(s Stage) []ChecklistItem {
	var out []ChecklistItem
	for _, it := range r.checklist {
		if it.Stage == s {
			out = append(out, it)
		}
	}
	return out
}

// LookupChecklistItem returns the item with the given ID.
func (r *Rules) LookupChecklistItem(id string) (ChecklistItem, bool) {
	it, ok := r.checklistIndex[id]
	if !ok {
		return ChecklistItem{}, false
	}
	return *it, true
}

// Policy returns the approval policy rows (a copy).
func (r *Rules) Policy() []PolicyRule { return append([]PolicyRule(nil), r.policy...) }

// DocumentPolicy returns the document rows of the approval policy (a copy).
func (r *Rules) DocumentPolicy() []DocumentRule { return append([]DocumentRule(nil), r.docPolicy...) }

func (r *Rules) policyRule(kind RequestKind, stage Stage) (PolicyRule, bool) {
	if kind == KindMoveRules {
		// A fixed code policy, not the rule set's (rulesmove.go).
		return moveRulesPolicy, stage == ""
	}
	if kind.CaseLevel() {
		stage = ""
	}
	for _, p := range r.policy {
		if p.Kind == kind && p.Stage == stage {
			return p, true
		}
	}
	return PolicyRule{}, false
}

func (r *Rules) documentRule(k DocKind) (DocumentRule, bool) {
	for _, p := range r.docPolicy {
		if p.Doc == k {
			return p, true
		}
	}
	return DocumentRule{}, false
}

// Rules returns the rule set the case is decided under: the version it
// pinned when it was opened, version 1 for cases opened before versions
// existed. An unregistered pinned version is an error at load time
// (store), never a silent fallback here: Rules then panics.
func (c *Case) Rules() *Rules {
	if c == nil || c.RulesVersion <= 1 {
		return DefaultRules()
	}
	r, ok := RulesOf(c.RulesVersion)
	if !ok {
		panic("incident: case " + strconv.FormatInt(c.ID, 10) + " pins rule set version " + strconv.Itoa(c.RulesVersion) + ", which is not registered")
	}
	return r
}

// farFuture is the "now" a template's presets are checked at: a template has
// no time of its own, and its values are checked again when applied.
var farFuture = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// LawOptions returns the law options c is assessed with: base (the
// service's options, version 1's by default) for a case under version 1,
// otherwise its version's policy values on base's calendar.
func (c *Case) LawOptions(base appi.Options) appi.Options {
	r := c.Rules()
	if r == DefaultRules() {
		return base
	}
	o := r.Law
	if base.Calendar != nil {
		o.Calendar = base.Calendar
	}
	return o
}

// pinRules records the rule set a case was opened under. The version must
// be registered with the same hash: a version whose content changed under
// the cases that pinned it is refused rather than silently applied.
// Cases opened before versions were recorded (no version) are version 1's.
func (c *Case) pinRules(version int, hash string) error {
	c.RulesVersion, c.RulesHash = version, hash
	if version == 0 {
		return nil
	}
	r, ok := RulesOf(version)
	if !ok {
		return fmt.Errorf("rule set version %d is not registered", version)
	}
	if hash != "" && r.Hash != hash {
		return fmt.Errorf("rule set version %d has hash %s, the case pinned %s", version, r.Hash, hash)
	}
	return nil
}

// RulesLabel names the case's rule set for pages and exports: 第N版 and the
// first 12 hex digits of its hash.
func (c *Case) RulesLabel() (ja, en string) {
	r := c.Rules()
	short := r.Hash
	if len(short) > 12 {
		short = short[:12]
	}
	v := strconv.Itoa(r.Version)
	return "規程ルールセット 第" + v + "版（" + short + "）", "Rule set version " + v + " (" + short + ")"
}
