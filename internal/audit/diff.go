package audit

import (
	"bytes"
	"sort"

	"github.com/leakdesk/leakdesk/internal/chain"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// FactChange is one fact that differs between two points. Old or New is nil when the fact was not
// recorded at that point.
type FactChange struct {
	Field  string
	JA, EN string // the field's label
	Old    any
	New    any
}

// StageChange is one stage whose state differs.
type StageChange struct {
	Stage    incident.Stage
	From, To incident.StageState
}

// RequestChange is one request that is new or whose state differs. From is "" for a request
// submitted between the two points.
type RequestChange struct {
	ID       int64
	Kind     incident.RequestKind
	Stage    incident.Stage
	From, To incident.RequestState
}

// Diff is what changed between two points of one case's history.
type Diff struct {
	FromSeq, ToSeq       int64
	Facts                []FactChange
	Stages               []StageChange
	Requests             []RequestChange
	StatusFrom, StatusTo incident.CaseStatus // equal when unchanged
	OwnerFrom, OwnerTo   int64
	ReportabilityFrom    string // "reportable", "not_reportable", "undetermined", ""
	ReportabilityTo      string
	AssessmentChanged    bool
}

// Empty reports whether nothing differs.
func (d Diff) Empty() bool {
	return len(d.Facts) == 0 && len(d.Stages) == 0 && len(d.Requests) == 0 && d.StatusFrom == d.StatusTo &&
		d.OwnerFrom == d.OwnerTo && !d.AssessmentChanged
}

// Compare lists what differs from case a (the earlier point) to case b (the later one). Facts are
// compared by their canonical JSON, so a value read back from storage equals the one written.
// Callers that must hide restricted facts pass cases whose Facts were filtered already.
func Compare(a, b *incident.Case) Diff {
	d := Diff{FromSeq: a.Version, ToSeq: b.Version, StatusFrom: a.Status, StatusTo: b.Status,
		OwnerFrom: a.OwnerID, OwnerTo: b.OwnerID,
		ReportabilityFrom: Reportability(a.Assessment), ReportabilityTo: Reportability(b.Assessment)}
	names := map[string]bool{}
	for k := range a.Facts {
		names[k] = true
	}
	for k := range b.Facts {
		names[k] = true
	}
	order := map[string]int{}
	for i, f := range incident.Fields() {
		order[f.Name] = i
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		oi, iok := order[keys[i]]
		oj, jok := order[keys[j]]
		if iok != jok {
			return iok
		}
		if oi != oj {
			return oi < oj
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		ov, nv := a.Facts[k], b.Facts[k]
		if sameValue(ov, nv) {
			continue
		}
		ja, en := fieldLabel(k)
		d.Facts = append(d.Facts, FactChange{Field: k, JA: ja, EN: en, Old: ov, New: nv})
	}
	for _, s := range incident.Stages {
		if from, to := a.StateOf(s), b.StateOf(s); from != to {
			d.Stages = append(d.Stages, StageChange{Stage: s, From: from, To: to})
		}
	}
	for _, r := range b.Requests {
		old := a.Request(r.ID)
		switch {
		case old == nil:
			d.Requests = append(d.Requests, RequestChange{ID: r.ID, Kind: r.Kind, Stage: r.Stage, To: r.State})
		case old.State != r.State:
			d.Requests = append(d.Requests, RequestChange{ID: r.ID, Kind: r.Kind, Stage: r.Stage, From: old.State, To: r.State})
		}
	}
	d.AssessmentChanged = !sameValue(a.Assessment, b.Assessment)
	return d
}

func sameValue(a, b any) bool {
	if a == nil || b == nil {
		return isNil(a) && isNil(b)
	}
	ca, err1 := chain.Canonical(a)
	cb, err2 := chain.Canonical(b)
	return err1 == nil && err2 == nil && bytes.Equal(ca, cb)
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	if m, ok := v.(map[string]any); ok {
		return m == nil
	}
	return false
}
