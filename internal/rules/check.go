package rules

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Vocabulary is what the engine knows and a rule set may refer to. The
// engine (incident.Vocabulary) fills it; this package keeps no copy.
type Vocabulary struct {
	Stages []string // stage codes, in order
	// Writers are the roles that may write a stage; Approvers the roles
	// that may fill an approval slot.
	Writers, Approvers []string
	Conditions         []string // slot conditions
	ReasonChecks       []string // named fact checks a reason may require
	Documents          []string // document kinds
	// Facts are the engine's own facts (a company fact may not reuse a
	// name); FactKinds the kinds a company fact may have.
	Facts, FactKinds []string
	// StageKinds are the request kinds of a stage; CaseKinds those of the
	// whole case. Every case kind needs a row, or no case could close.
	StageKinds, CaseKinds []string
	// Sections are the document section keys a template may pre-fill, per
	// document kind; a kind missing here is not checked (the engine does
	// not know the documents' layout: documents.SectionKeys does).
	Sections map[string][]string
}

// problems collects Problems with their paths.
type problems []Problem

func (ps *problems) add(path, ja, en string, args ...any) {
	*ps = append(*ps, Problem{Path: path, JA: fmt.Sprintf(ja, args...), EN: fmt.Sprintf(en, args...)})
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// Check is the engine check: every stage, role, condition, reason check,
// document kind, fact and reason the rule set names exists; each stage is
// present and has a way to finish (a complete or a skip row it can use);
// the case-level kinds have rows; codes are unique. Problems come in path
// order, and an empty result means the engine can run the rule set.
func Check(rs *RuleSet, v Vocabulary) []Problem {
	var ps problems
	stages, writers, approvers := set(v.Stages), set(v.Writers), set(v.Approvers)
	conds, checks := set(v.Conditions), set(v.ReasonChecks)
	engineFacts, kinds := set(v.Facts), set(v.FactKinds)

	// Stages: every one of the engine's, no other.
	for _, code := range sortedKeys(rs.Stages) {
		if !stages[code] {
			ps.add("/stages/"+code, "段階「%s」はありません。", "unknown stage %q", code)
		}
	}
	companyFacts := map[string]string{} // name → stage
	for _, code := range v.Stages {
		st, ok := rs.Stages[code]
		base := "/stages/" + code
		if !ok {
			ps.add("/stages", "段階「%s」の定めがありません。", "stage %q is missing", code)
			continue
		}
		if len(st.Writers) == 0 {
			ps.add(base+"/writers", "記録できる役割がありません。", "no role may write the stage")
		}
		for i, r := range st.Writers {
			if !writers[r] {
				ps.add(base+"/writers/"+strconv.Itoa(i), "役割「%s」は段階を記録できません。", "role %q cannot write a stage", r)
			}
		}
		ids := map[string]bool{}
		for i, it := range st.Checklist {
			if ids[it.ID] {
				ps.add(base+"/checklist/"+strconv.Itoa(i)+"/id", "チェック項目「%s」が重複しています。", "duplicate checklist item %q", it.ID)
			}
			ids[it.ID] = true
		}
		reasonList(&ps, base+"/skip_reasons", st.SkipReasons, checks)
		reasonList(&ps, base+"/defer_reasons", st.DeferReasons, checks)
		for i, f := range st.ExtraFacts {
			p := base + "/extra_facts/" + strconv.Itoa(i)
			switch {
			case engineFacts[f.Name]:
				ps.add(p+"/name", "項目「%s」は既に定義されています。", "fact %q is the engine's own", f.Name)
			case companyFacts[f.Name] != "":
				ps.add(p+"/name", "項目「%s」が重複しています。", "duplicate fact %q", f.Name)
			}
			companyFacts[f.Name] = code
			if !kinds[f.Kind] {
				ps.add(p+"/kind", "項目の種類「%s」は使えません。", "fact kind %q is not allowed", f.Kind)
			}
			if (f.Kind == "enum" || f.Kind == "set") && len(f.Options) == 0 {
				ps.add(p+"/options", "選択肢がありません。", "an %s fact needs options", f.Kind)
			}
		}
	}

	// Approval rows.
	stageKinds, caseKinds := set(v.StageKinds), set(v.CaseKinds)
	rows := map[string]bool{} // kind|stage
	for i, r := range rs.Approvals {
		p := "/approvals/" + strconv.Itoa(i)
		switch {
		case caseKinds[r.Kind]:
			if r.Stage != "" {
				ps.add(p+"/stage", "「%s」は案件全体の申請で、段階を指定できません。", "%q is a case-level kind: no stage", r.Kind)
			}
		case stageKinds[r.Kind]:
			if !stages[r.Stage] {
				ps.add(p+"/stage", "段階「%s」はありません。", "unknown stage %q", r.Stage)
			}
		default:
			ps.add(p+"/kind", "申請の種類「%s」はありません。", "unknown request kind %q", r.Kind)
		}
		key := r.Kind + "|" + r.Stage
		if rows[key] {
			ps.add(p, "同じ申請（%s %s）の定めが重複しています。", "duplicate row for %s %s", r.Kind, r.Stage)
		}
		rows[key] = true
		slots(&ps, p+"/slots", r.Slots, approvers, conds)
		st := rs.Stages[r.Stage]
		switch r.Kind {
		case "skip":
			if len(st.SkipReasons) == 0 {
				ps.add(p, "段階「%s」にスキップの理由がないため、この承認は使えません。", "stage %q has no skip reasons: the row can never be used", r.Stage)
			}
		case "defer":
			if len(st.DeferReasons) == 0 {
				ps.add(p, "段階「%s」に延期の理由がないため、この承認は使えません。", "stage %q has no defer reasons: the row can never be used", r.Stage)
			}
		}
	}
	for _, code := range v.Stages {
		st, ok := rs.Stages[code]
		if !ok {
			continue
		}
		if !rows["complete|"+code] && !rows["skip|"+code] {
			ps.add("/approvals", "段階「%s」を完了又はスキップする承認の定めがなく、終えられません。", "stage %q has no complete or skip row: it could never finish", code)
		}
		if len(st.SkipReasons) > 0 && !rows["skip|"+code] {
			ps.add("/stages/"+code+"/skip_reasons", "スキップの承認の定めがありません。", "skip reasons without a skip row in approvals")
		}
		if len(st.DeferReasons) > 0 && !rows["defer|"+code] {
			ps.add("/stages/"+code+"/defer_reasons", "延期の承認の定めがありません。", "defer reasons without a defer row in approvals")
		}
	}
	for _, k := range v.CaseKinds {
		if !rows[k+"|"] {
			ps.add("/approvals", "案件の「%s」の承認の定めがありません。", "no row for the case-level kind %q", k)
		}
	}

	docs := set(v.Documents)
	seenDoc := map[string]bool{}
	for i, d := range rs.DocumentApprovals {
		p := "/document_approvals/" + strconv.Itoa(i)
		if !docs[d.Document] {
			ps.add(p+"/document", "文書の種類「%s」はありません。", "unknown document kind %q", d.Document)
		}
		if seenDoc[d.Document] {
			ps.add(p+"/document", "文書「%s」の定めが重複しています。", "duplicate row for document %q", d.Document)
		}
		seenDoc[d.Document] = true
		slots(&ps, p+"/slots", d.Slots, approvers, conds)
	}
	for _, d := range v.Documents {
		if !seenDoc[d] {
			ps.add("/document_approvals", "文書「%s」の承認の定めがありません。", "no row for document %q", d)
		}
	}

	codes := map[string]bool{}
	for i, s := range rs.Sanctions {
		if codes[s.Code] {
			ps.add("/sanctions/"+strconv.Itoa(i)+"/code", "処分「%s」が重複しています。", "duplicate sanction %q", s.Code)
		}
		codes[s.Code] = true
	}
	codes = map[string]bool{}
	for i, o := range rs.InquiryDesk.Types {
		if codes[o.Code] {
			ps.add("/inquiry_desk/types/"+strconv.Itoa(i)+"/code", "窓口の種類「%s」が重複しています。", "duplicate desk type %q", o.Code)
		}
		codes[o.Code] = true
	}
	checkTemplates(&ps, rs, v, stages, engineFacts, companyFacts)
	return ps
}

func reasonList(ps *problems, path string, list []Reason, checks map[string]bool) {
	seen := map[string]bool{}
	for i, r := range list {
		p := path + "/" + strconv.Itoa(i)
		if seen[r.Code] {
			ps.add(p+"/code", "理由「%s」が重複しています。", "duplicate reason %q", r.Code)
		}
		seen[r.Code] = true
		if r.Requires != "" && !checks[r.Requires] {
			ps.add(p+"/requires", "確認「%s」はありません。", "unknown reason check %q", r.Requires)
		}
	}
}

func slots(ps *problems, path string, list []Slot, approvers, conds map[string]bool) {
	if len(list) == 0 {
		ps.add(path, "承認者がいません。", "no approval slot")
	}
	always := false
	for i, s := range list {
		p := path + "/" + strconv.Itoa(i)
		if !approvers[s.Role] {
			ps.add(p+"/role", "役割「%s」は承認できません。", "role %q cannot approve", s.Role)
		}
		if s.When != "" && !conds[s.When] {
			ps.add(p+"/when", "条件「%s」はありません。", "unknown condition %q", s.When)
		}
		always = always || s.When == ""
	}
	if len(list) > 0 && !always {
		ps.add(path, "常に必要な承認者が一人もいません。", "no slot is always required: a request could pass with no approval")
	}
}

func checkTemplates(ps *problems, rs *RuleSet, v Vocabulary, stages, engineFacts map[string]bool, companyFacts map[string]string) {
	ids := map[string]bool{}
	for i, t := range rs.Templates {
		p := "/templates/" + strconv.Itoa(i)
		if ids[t.ID] {
			ps.add(p+"/id", "雛形「%s」が重複しています。", "duplicate template %q", t.ID)
		}
		ids[t.ID] = true
		for _, name := range sortedKeys(t.Facts) {
			if !engineFacts[name] && companyFacts[name] == "" {
				ps.add(p+"/facts/"+name, "項目「%s」はありません。", "unknown fact %q", name)
			}
		}
		for _, st := range sortedKeys(t.Checklist) {
			if !stages[st] {
				ps.add(p+"/checklist/"+st, "段階「%s」はありません。", "unknown stage %q", st)
				continue
			}
			seen := map[string]bool{}
			for j, it := range t.Checklist[st] {
				q := p + "/checklist/" + st + "/" + strconv.Itoa(j) + "/id"
				if seen[it.ID] {
					ps.add(q, "チェック項目「%s」が重複しています。", "duplicate checklist item %q", it.ID)
				}
				seen[it.ID] = true
			}
		}
		for _, st := range sortedKeys(t.SkipReasons) {
			code := t.SkipReasons[st]
			if !stages[st] {
				ps.add(p+"/skip_reasons/"+st, "段階「%s」はありません。", "unknown stage %q", st)
				continue
			}
			found := false
			for _, r := range rs.Stages[st].SkipReasons {
				found = found || r.Code == code
			}
			if !found {
				ps.add(p+"/skip_reasons/"+st, "段階「%s」にスキップの理由「%s」はありません。", "stage %q has no skip reason %q", st, code)
			}
		}
		docs := set(v.Documents)
		for _, doc := range sortedKeys(t.Documents) {
			if !docs[doc] {
				ps.add(p+"/documents/"+doc, "文書の種類「%s」はありません。", "unknown document kind %q", doc)
				continue
			}
			secs, ok := v.Sections[doc]
			if !ok {
				continue // the caller did not name the sections (Vocabulary.Sections)
			}
			known := set(secs)
			for _, key := range sortedKeys(t.Documents[doc]) {
				if !known[key] {
					ps.add(p+"/documents/"+doc+"/"+key, "文書「%s」に欄「%s」はありません。", "document %q has no section %q (known: %s)", doc, key, strings.Join(secs, ", "))
				}
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
