// Package rules holds the company's rule book (規程) as data: what a company
// may set about handling a leak — per stage its checklist, skip and defer
// reasons and writers, the approval policy, sanction names, the internal
// first-report rule, reminder offsets, approved ciphers, the inquiry desk,
// the policy offsets of internal/appi and the incident-type templates.
//
// What the law fixes (the four report categories, the 1,000-person threshold,
// the 3–5/30/60-day clocks and the holiday rules) is code in internal/appi and
// has no place here: the published schema (docs/ruleset.schema.json, checked
// by internal/rulefile) refuses any property it does not name, and Parse
// refuses unknown fields too.
//
// The API is small on purpose (standard library only: this is domain code):
//
//	Parse(b)            strict decode → *RuleSet, or *Invalid
//	Check(rs, vocab)    engine check against what the engine knows → problems with JSON paths
//	rs.Canonical()      the canonical JSON bytes (sorted keys, no whitespace)
//	rs.Hash()           SHA-256 of the canonical bytes, hex
//	V1(), V1JSON()      version 1, embedded: the seeds' regulation
//
// A file from outside goes through rulefile.Load (schema, decode, engine
// check, compile). This package knows no stage, role or fact of its own:
// the engine (internal/incident) hands its vocabulary to Check, so one list
// of stages and roles exists. "The rule set for this case" is the engine's
// (incident.Case.Rules).
package rules

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/leakdesk/leakdesk/internal/appi"
)

// RuleSet is one version of the rule book. Field names follow the JSON.
type RuleSet struct {
	Schema  string `json:"$schema,omitempty"`
	Version int    `json:"version"`
	Title   string `json:"title"`
	// Stages is keyed by stage code (discovery, investigation, …).
	Stages map[string]Stage `json:"stages"`
	// Approvals are the request rows of the approval policy (domain.md §5.3).
	Approvals []ApprovalRule `json:"approvals"`
	// DocumentApprovals are the finalisation rows, one per document kind.
	DocumentApprovals []DocumentApproval `json:"document_approvals"`
	// CompensationExecutiveAbove is the compensation total (yen) above which
	// the CEO approves (the compensation_above_limit condition).
	CompensationExecutiveAbove int64 `json:"compensation_executive_above"`
	// Sanctions are the work rules' sanctions, lightest first (the order is
	// the rank the discipline stage compares).
	Sanctions   []Sanction  `json:"sanctions"`
	FirstReport FirstReport `json:"first_report"`
	// ReminderOffsets are how long before a deadline reminders go out
	// (Go durations: "24h", "90m").
	ReminderOffsets []string `json:"reminder_offsets"`
	// ApprovedCiphers are accepted as high-level encryption (QA17-14).
	ApprovedCiphers []string    `json:"approved_ciphers"`
	InquiryDesk     InquiryDesk `json:"inquiry_desk"`
	Deadlines       Deadlines   `json:"deadlines"`
	// Templates are the incident-type templates offered when a case opens.
	Templates []Template `json:"templates,omitempty"`
}

// Stage is what the rule book sets for one stage.
type Stage struct {
	// Writers may record the stage's facts, tick its checklist and submit
	// its requests.
	Writers   []string        `json:"writers"`
	Checklist []ChecklistItem `json:"checklist"`
	// SkipReasons empty = the stage can never be skipped.
	SkipReasons []Reason `json:"skip_reasons,omitempty"`
	// DeferReasons non-empty = the stage may be deferred.
	DeferReasons []Reason `json:"defer_reasons,omitempty"`
	// ExtraFacts are facts the company asks for beyond the engine's own.
	ExtraFacts []Fact `json:"extra_facts,omitempty"`
}

// ChecklistItem is one bullet of a stage's checklist. ID is the slug; the
// engine's item ID is "<stage>.<id>".
type ChecklistItem struct {
	ID              string `json:"id"`
	JA              string `json:"ja"`
	EN              string `json:"en"`
	Citation        string `json:"citation"`
	RequiredForExit bool   `json:"required_for_exit"`
}

// Reason is a skip or defer reason code. Requires names an engine check of
// the facts the reason presupposes (Vocabulary.ReasonChecks).
type Reason struct {
	Code     string `json:"code"`
	JA       string `json:"ja"`
	EN       string `json:"en"`
	Requires string `json:"requires,omitempty"`
}

// ApprovalRule gives the slots for one request kind on one stage (Stage is
// empty for the case-level kinds close and close_not_incident).
type ApprovalRule struct {
	Kind  string `json:"kind"`
	Stage string `json:"stage,omitempty"`
	Slots []Slot `json:"slots"`
}

// Slot is one approval: a role, required always or only while the named
// engine condition holds. Slots are filled in their order.
type Slot struct {
	Role string `json:"role"`
	When string `json:"when,omitempty"`
}

// DocumentApproval gives the slots for finalising a document kind.
type DocumentApproval struct {
	Document string `json:"document"`
	Slots    []Slot `json:"slots"`
}

// Sanction is one sanction of the work rules. DismissalLevel sanctions need
// the CEO (the dismissal_level_sanction condition).
type Sanction struct {
	Code           string `json:"code"`
	JA             string `json:"ja"`
	EN             string `json:"en"`
	DismissalLevel bool   `json:"dismissal_level,omitempty"`
}

// Option is one choice of an enum or set fact.
type Option struct {
	Code string `json:"code"`
	JA   string `json:"ja"`
	EN   string `json:"en"`
}

// FirstReport is the internal first-report rule (SEED003 4条2項): in the
// four cases a direct report within DirectWindowMinutes to To; otherwise
// by Otherwise (same_business_day or next_business_day).
type FirstReport struct {
	DirectWindowMinutes int    `json:"direct_window_minutes"`
	DirectHeadcount     int64  `json:"direct_headcount"`
	ToJA                string `json:"to_ja"`
	ToEN                string `json:"to_en"`
	Otherwise           string `json:"otherwise"`
}

// InquiryDesk is the company's choice of inquiry desk: the kinds offered
// and the department that runs it (pre-filled on documents when set).
type InquiryDesk struct {
	Types     []Option `json:"types"`
	OwnerDept string   `json:"owner_dept,omitempty"`
}

// Deadlines are the policy offsets (days after the known date, day 1 = that
// date) that domain.md marks [U]/[P]. The statutory clocks are not here.
type Deadlines struct {
	// PrelimTargetOffset: the internal 速報 target inside the law's day 3–5
	// window (2 = day 3). The outer day 5 is the law's.
	PrelimTargetOffset    int `json:"prelim_target_offset"`
	NoticeDecisionOffset  int `json:"notice_decision_offset"`
	NoticeDeferralMaxDays int `json:"notice_deferral_max_days"`
	EntrustorNoticeOffset int `json:"entrustor_notice_offset"`
}

// Fact is a company-defined fact of a stage.
type Fact struct {
	Name       string   `json:"name"`
	Kind       string   `json:"kind"`
	LabelJA    string   `json:"label_ja"`
	LabelEN    string   `json:"label_en"`
	Options    []Option `json:"options,omitempty"`
	Restricted bool     `json:"restricted,omitempty"`
}

// Template is an incident-type template (メール・FAX誤送信, ランサムウェア …):
// a suggestion applied when a case opens, every part editable afterwards.
type Template struct {
	ID    string         `json:"id"`
	JA    string         `json:"ja"`
	EN    string         `json:"en"`
	Cite  string         `json:"citation,omitempty"`
	Facts map[string]any `json:"facts,omitempty"`
	// Checklist adds items to stages (keyed by stage code); their engine ID
	// is "<stage>.tpl_<template>_<id>".
	Checklist map[string][]ChecklistItem `json:"checklist,omitempty"`
	// SkipReasons are suggested skips: stage code → reason code.
	SkipReasons map[string]string `json:"skip_reasons,omitempty"`
	// Documents are the starting text of document sections: document kind
	// → section key → text.
	Documents map[string]map[string]string `json:"documents,omitempty"`
}

// Problem is one thing wrong with a rule set, at a JSON path ("/stages/
// discovery/checklist/3/id"), worded in Japanese and English.
type Problem struct {
	Path string `json:"path"`
	JA   string `json:"ja"`
	EN   string `json:"en"`
}

func (p Problem) String() string { return p.Path + ": " + p.EN }

// Invalid is the error Parse and Load return for a rule set with problems.
type Invalid struct{ Problems []Problem }

func (e *Invalid) Error() string {
	if len(e.Problems) == 0 {
		return "rules: invalid rule set"
	}
	return fmt.Sprintf("rules: invalid rule set (%d problems; first %s)", len(e.Problems), e.Problems[0])
}

// Parse decodes b strictly (unknown fields refused). It does not check the
// schema: rulefile.Validate does, with a path for every problem.
func Parse(b []byte) (*RuleSet, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var rs RuleSet
	if err := dec.Decode(&rs); err != nil {
		return nil, &Invalid{Problems: []Problem{{Path: "", JA: "ルールセットを読めません: " + err.Error(), EN: "cannot decode the rule set: " + err.Error()}}}
	}
	return &rs, nil
}

// Canonical returns the rule set as canonical JSON: keys sorted, no
// insignificant whitespace, the same bytes for the same content. The hash of
// a version is over these bytes.
func (rs *RuleSet) Canonical() []byte {
	b, err := json.Marshal(rs)
	if err != nil { // a RuleSet holds only JSON values
		panic("rules: marshal: " + err.Error())
	}
	// Re-decode and re-encode through any so that map keys (and the keys
	// of template facts) are sorted the same way at every depth.
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		panic("rules: canonical: " + err.Error())
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("rules: canonical: " + err.Error())
	}
	return bytes.TrimRight(out.Bytes(), "\n")
}

// Hash is the hex SHA-256 of the canonical bytes.
func (rs *RuleSet) Hash() string {
	h := sha256.Sum256(rs.Canonical())
	return hex.EncodeToString(h[:])
}

// LawOptions returns appi.Options with this rule set's policy values: the
// first-report rule, the deadline offsets and the approved ciphers. Values
// the rule set cannot hold (the statutory clocks, the calendar) stay
// appi.DefaultOptions'.
func (rs *RuleSet) LawOptions() appi.Options {
	o := appi.DefaultOptions()
	fr := rs.FirstReport
	o.ThirtyMinuteWindow = time.Duration(fr.DirectWindowMinutes) * time.Minute
	o.ThirtyMinuteHeadcount = fr.DirectHeadcount
	o.InternalReport = appi.InternalReportPolicy(fr.Otherwise)
	o.FirstReportToJA, o.FirstReportToEN = fr.ToJA, fr.ToEN
	d := rs.Deadlines
	o.PrelimTargetOffset = d.PrelimTargetOffset
	o.NoticeDecisionOffset = d.NoticeDecisionOffset
	o.NoticeDeferralMaxDays = d.NoticeDeferralMaxDays
	o.EntrustorNoticeOffset = d.EntrustorNoticeOffset
	o.ApprovedAlgorithms = append([]string(nil), rs.ApprovedCiphers...)
	return o
}

// Offsets returns the reminder offsets as durations (the schema admits only
// positive whole minutes).
func (rs *RuleSet) Offsets() []time.Duration {
	out := make([]time.Duration, 0, len(rs.ReminderOffsets))
	for _, s := range rs.ReminderOffsets {
		if d, err := time.ParseDuration(s); err == nil {
			out = append(out, d)
		}
	}
	return out
}

//go:embed v1.json
var v1JSON []byte

// V1JSON returns the bytes of version 1 as shipped.
func V1JSON() []byte { return bytes.Clone(v1JSON) }

var v1 = sync.OnceValues(func() (*RuleSet, error) { return Parse(v1JSON) })

// V1 returns version 1, the seeds' regulation (SEED000–SEED004) as the
// engine's tables were before they became data (do not modify it). It
// passes the schema (rulefile's tests); the engine checks it against its
// own vocabulary when it compiles it.
func V1() *RuleSet {
	rs, err := v1()
	if err != nil {
		panic("rules: embedded version 1 is invalid: " + err.Error())
	}
	return rs
}
