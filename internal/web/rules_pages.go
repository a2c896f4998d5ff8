package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/rules"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// The rule book's pages (issue 16, docs/rules.md "Pages"): /rules lists the versions and drafts a
// new one (edited or uploaded), /rules/{ver} shows one with its diff, approvals and history and
// takes the approvals and a withdrawal, /rules/review records the yearly review, and
// /rules/{ver}/export downloads a version as a file. Each write is one casework command; who may
// do what is incident's rule book (CanDraftRules, ApproveRules, WithdrawRules, ReviewRules).

// ruleDocLimit bounds a rule-set file: version 1 is about 46 KB, so 512 KB leaves room for a
// company's own items and templates while no upload can push megabytes into memory.
const ruleDocLimit = 512 << 10

func (s *Server) getRules(w http.ResponseWriter, r *http.Request) {
	s.rulesHome(w, r, http.StatusOK, view.RuleDraftForm{})
}

// rulesHome renders /rules with f (a refused draft keeps what was typed or uploaded, and its
// problems); an empty form starts from the version in force.
func (s *Server) rulesHome(w http.ResponseWriter, r *http.Request, status int, f view.RuleDraftForm) {
	ctx := r.Context()
	a := actor(currentUser(ctx))
	book, err := s.ruleBook(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if f.Document == "" {
		f.Document = prettyJSON(book.inForceDoc)
	}
	if f.EffectiveOn == "" {
		f.EffectiveOn = incident.JSTDate(s.now()).AddDate(0, 0, 1).Format(time.DateOnly)
	}
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	h := view.RulesHome{InForce: book.inForce.Version, Versions: book.rows, Review: book.review,
		CanDraft: incident.CanDraftRules(a) == nil, CanReview: incident.CanDecideRules(a), Form: f}
	p := s.page(r, "社内規程のルールセット", "Rule book")
	s.render(w, r, status, p, view.RulesHomePage(p, h))
}

// postRules drafts a new version from the form's text or an uploaded file (exactly one of them).
func (s *Server) postRules(w http.ResponseWriter, r *http.Request) {
	f := view.RuleDraftForm{EffectiveOn: strings.TrimSpace(r.PostFormValue("effective_on")), Title: strings.TrimSpace(r.PostFormValue("title")),
		Document: r.PostFormValue("document")}
	doc, uploaded, err := ruleUpload(r)
	if err != nil {
		s.rulesRefused(w, r, f, err)
		return
	}
	if uploaded {
		if strings.TrimSpace(f.Document) != "" {
			s.rulesRefused(w, r, f, incident.Invalid("ファイルと入力欄の両方が送られました。どちらか一方にしてください。", "send either a file or the text, not both",
				incident.FieldError{Field: "document", JA: "ファイルを取り込むときは入力欄を空にしてください。", EN: "empty when a file is uploaded"}))
			return
		}
		f.Document = string(doc) // a refused file comes back in the editor, to fix there
	} else {
		doc = []byte(f.Document)
	}
	in, err := ruleDraftInput(doc, f.EffectiveOn, f.Title)
	if err != nil {
		s.rulesRefused(w, r, f, err)
		return
	}
	v, err := s.svc.DraftRules(r.Context(), actor(currentUser(r.Context())), in)
	if err != nil {
		s.rulesRefused(w, r, f, err)
		return
	}
	s.flash(r, flashSuccess, "第"+strconv.Itoa(v)+"版を起案しました。差分を確認し、総務部長と個人情報保護管理者の承認を受けてください。",
		"Version "+strconv.Itoa(v)+" drafted. Review the changes; the head of general affairs and the privacy officer approve it.")
	http.Redirect(w, r, "/rules/"+strconv.Itoa(v), http.StatusSeeOther)
}

// rulesRefused answers a refused draft: the /rules page again with the status, the message and
// each problem with its JSON path, the form as sent.
func (s *Server) rulesRefused(w http.ResponseWriter, r *http.Request, f view.RuleDraftForm, err error) {
	status, ue, ok := domainError(err)
	if !ok {
		s.serverError(w, r, err)
		return
	}
	lang := s.lang(r)
	f.Message = pick(lang, ue.JA, ue.EN)
	f.Errors = map[string]string{}
	for _, fe := range ue.Fields {
		if fe.InDocument {
			f.Problems = append(f.Problems, view.RuleProblem{Path: fe.Pointer, Message: pick(lang, fe.JA, fe.EN)})
			continue
		}
		if _, dup := f.Errors[fe.Field]; !dup {
			f.Errors[fe.Field] = pick(lang, fe.JA, fe.EN)
		}
	}
	s.rulesHome(w, r, status, f)
}

// ruleUpload reads the multipart file "file", if one was sent.
func ruleUpload(r *http.Request) ([]byte, bool, error) {
	file, _, err := r.FormFile("file")
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, incident.Invalid("ファイルを読み込めませんでした。", "the file could not be read",
			incident.FieldError{Field: "file", JA: "ファイルを読み込めませんでした。", EN: "unreadable"})
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, ruleDocLimit+1))
	if err != nil {
		return nil, false, incident.Invalid("ファイルを読み込めませんでした。", "the file could not be read",
			incident.FieldError{Field: "file", JA: "ファイルを読み込めませんでした。", EN: "unreadable"})
	}
	if len(b) == 0 {
		return nil, false, nil // an empty file input: the browser sends the part without content
	}
	return b, true, nil
}

// ruleDraftInput checks the draft's shape (a document within the limit, a date) before the
// domain's and the rule set's checks.
func ruleDraftInput(doc []byte, effectiveOn, title string) (casework.RuleDraftInput, error) {
	var fields []incident.FieldError
	if len(bytes.TrimSpace(doc)) == 0 {
		fields = append(fields, incident.FieldError{Field: "document", JA: "ルールセットを入力するか、ファイルを選んでください。", EN: "required"})
	} else if len(doc) > ruleDocLimit {
		fields = append(fields, incident.FieldError{Field: "document", JA: "ルールセットが大きすぎます（512 KB まで）。", EN: "at most 512 KB"})
	}
	var day time.Time
	if effectiveOn != "" {
		d, err := time.Parse(time.DateOnly, effectiveOn)
		if err != nil {
			fields = append(fields, incident.FieldError{Field: "effective_on", JA: "施行日は YYYY-MM-DD の形式で入力してください。", EN: "a date, YYYY-MM-DD"})
		}
		day = d
	}
	if len([]rune(title)) > 200 {
		fields = append(fields, incident.FieldError{Field: "title", JA: "表題は200文字以内にしてください。", EN: "at most 200 characters"})
	}
	if len(fields) > 0 {
		return casework.RuleDraftInput{}, incident.Invalid(fields[0].JA, fields[0].EN, fields...)
	}
	return casework.RuleDraftInput{Document: doc, EffectiveOn: day, Title: title}, nil
}

// ruleVersionParam parses {ver}: a positive version number.
func ruleVersionParam(r *http.Request) (int, bool) {
	v, err := strconv.Atoi(chi.URLParam(r, "ver"))
	return v, err == nil && v >= 1 && v < 1<<30
}

func (s *Server) getRuleVersion(w http.ResponseWriter, r *http.Request) {
	s.ruleVersionPage(w, r, http.StatusOK, nil)
}

// ruleVersionPage renders /rules/{ver}; refused, when set, is a refused decision shown on it.
func (s *Server) ruleVersionPage(w http.ResponseWriter, r *http.Request, status int, refused error) {
	ver, ok := ruleVersionParam(r)
	if !ok {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return
	}
	d, err := s.ruleVersionDetail(r, ver)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	a := actor(currentUser(r.Context()))
	v := view.RuleVersionPage{Row: d.row, BasedOn: d.basedOn, DiffAgainst: d.against, Changes: changeRows(d.changes), Events: d.events,
		Document: prettyJSON(d.doc), Errors: map[string]string{}}
	if d.row.State == incident.RuleDraft {
		st := casework.RuleVersionState(d.stored)
		_, approveErr := incident.ApproveRules(st, a)
		v.CanApprove = approveErr == nil
		v.CanWithdraw = incident.WithdrawRules(st, a, "-") == nil
	}
	if refused != nil {
		st, ue, ok := domainError(refused)
		if !ok {
			s.serverError(w, r, refused)
			return
		}
		status = st
		v.Message = pick(s.lang(r), ue.JA, ue.EN)
		v.Errors = fieldMap(s.lang(r), ue.Fields)
	}
	p := s.page(r, "ルールセット 第"+strconv.Itoa(ver)+"版", "Rule set version "+strconv.Itoa(ver))
	s.render(w, r, status, p, view.RuleVersionView(p, v))
}

func (s *Server) postRuleApprove(w http.ResponseWriter, r *http.Request) {
	ver, ok := ruleVersionParam(r)
	if !ok {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return
	}
	ap, err := s.svc.ApproveRules(r.Context(), actor(currentUser(r.Context())), ver)
	if err != nil {
		s.ruleVersionPage(w, r, 0, err)
		return
	}
	if ap.Last {
		s.flash(r, flashSuccess, "承認しました。第"+strconv.Itoa(ver)+"版は施行日から適用されます。", "Approved: version "+strconv.Itoa(ver)+" applies from its effect date.")
	} else {
		s.flash(r, flashSuccess, "承認しました（もう一人の承認を待っています）。", "Approved (waiting for the other approver).")
	}
	http.Redirect(w, r, "/rules/"+strconv.Itoa(ver), http.StatusSeeOther)
}

func (s *Server) postRuleWithdraw(w http.ResponseWriter, r *http.Request) {
	ver, ok := ruleVersionParam(r)
	if !ok {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return
	}
	if err := s.svc.WithdrawRules(r.Context(), actor(currentUser(r.Context())), ver, r.PostFormValue("reason")); err != nil {
		s.ruleVersionPage(w, r, 0, err)
		return
	}
	s.flash(r, flashSuccess, "第"+strconv.Itoa(ver)+"版を取り下げました。", "Version "+strconv.Itoa(ver)+" withdrawn.")
	http.Redirect(w, r, "/rules/"+strconv.Itoa(ver), http.StatusSeeOther)
}

func (s *Server) postRulesReview(w http.ResponseWriter, r *http.Request) {
	note := r.PostFormValue("note")
	if len([]rune(note)) > 2000 {
		s.rulesRefused(w, r, view.RuleDraftForm{}, incident.Invalid("見直しの記録は2000文字以内にしてください。", "the note is at most 2000 characters",
			incident.FieldError{Field: "note", JA: "2000文字以内にしてください。", EN: "at most 2000 characters"}))
		return
	}
	if _, err := s.svc.ReviewRules(r.Context(), actor(currentUser(r.Context())), note); err != nil {
		s.rulesRefused(w, r, view.RuleDraftForm{}, err)
		return
	}
	s.flash(r, flashSuccess, "年次見直し（見直し済み・変更なし）を記録しました。", "The yearly review (reviewed, unchanged) was recorded.")
	http.Redirect(w, r, "/rules", http.StatusSeeOther)
}

// getRuleExport downloads a version as its canonical JSON (the bytes its hash is over), for a group
// company or a consultant to import as their own draft.
func (s *Server) getRuleExport(w http.ResponseWriter, r *http.Request) {
	ver, ok := ruleVersionParam(r)
	if !ok {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return
	}
	doc, err := s.svc.RuleDocument(r.Context(), ver)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeDownload(w, download{Name: "leakdesk-rules-v" + strconv.Itoa(ver) + ".json", ContentType: "application/json", Body: doc})
}

// prettyJSON indents a canonical document for reading and editing (the hash is over the canonical
// bytes, which a draft recomputes whatever the spacing).
func prettyJSON(doc []byte) string {
	var b bytes.Buffer
	if err := json.Indent(&b, doc, "", "  "); err != nil {
		return string(doc)
	}
	return b.String()
}

func changeRows(cs []rules.Change) []view.RuleChangeRow {
	out := make([]view.RuleChangeRow, len(cs))
	for i, c := range cs {
		ja, en := ruleAreaLabel(c.Path)
		out[i] = view.RuleChangeRow{Path: c.Path, AreaJA: ja, AreaEN: en, Kind: c.Kind, Old: c.Old, New: c.New}
	}
	return out
}

// ruleAreas names a rule set's top-level keys, so a reviewer reads 「承認経路」 before the path.
var ruleAreas = map[string][2]string{
	"version":                      {"版番号", "version"},
	"title":                        {"表題", "title"},
	"stages":                       {"段階（チェックリスト・理由・記入者）", "stages (checklists, reasons, writers)"},
	"approvals":                    {"承認経路", "approval routes"},
	"document_approvals":           {"文書の承認", "document approvals"},
	"compensation_executive_above": {"社長承認が必要な補償額", "compensation needing the CEO"},
	"sanctions":                    {"懲戒処分の種類", "sanctions"},
	"first_report":                 {"第一報の規則", "first-report rule"},
	"reminder_offsets":             {"リマインダーの時期", "reminder offsets"},
	"approved_ciphers":             {"高度な暗号化として認める方式", "approved ciphers"},
	"inquiry_desk":                 {"問合せ窓口", "inquiry desk"},
	"deadlines":                    {"社内の期限", "policy deadlines"},
	"templates":                    {"事案の類型（雛形）", "incident-type templates"},
}

func ruleAreaLabel(path string) (string, string) {
	top, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if l, ok := ruleAreas[top]; ok {
		return l[0], l[1]
	}
	return top, top
}
