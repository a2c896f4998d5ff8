package web

// The auditor's desk (docs/audit.md): every case with filters and Japanese search, a case replayed
// "as of" any event, the difference between two points, noteworthy events, the chain verdict,
// review comments and sign-offs, case-file exports, the access review and the management-review
// figures. Auditors change nothing here but their own comments and sign-offs.

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/archive"
	"github.com/leakdesk/leakdesk/internal/audit"
	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/pdf"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// auditReaders may open the auditor's desk; the auditor is its main user. Admins never.
var auditReaders = []auth.Role{auth.RoleAuditor, auth.RoleManager, auth.RolePrivacyOfficer}

// maxExportCases bounds one selection export.
const maxExportCases = 50

var jstLoc = incident.JST()

// parseDay reads YYYY-MM-DD as the start of that JST day; ok is false for anything else.
func parseDay(s string) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), jstLoc)
	return t, err == nil
}

func (s *Server) lawNoRegister() appi.Options {
	law := s.svc.Law
	law.RegisterCount = -1
	return law
}

// --- the list of every case ---

func fieldOptions(name string) []view.Option {
	f, _ := incident.LookupField(name)
	out := make([]view.Option, len(f.Options))
	for i, o := range f.Options {
		out[i] = view.Option{Value: o.Value, JA: o.JA, EN: o.EN}
	}
	return out
}

func (s *Server) parseAuditFilter(q url.Values) (view.AuditFilter, store.AuditFilter) {
	vf := view.AuditFilter{Q: strings.TrimSpace(q.Get("q")), Period: q.Get("period"), From: q.Get("from"), To: q.Get("to"),
		Status: q.Get("status"), Stage: q.Get("stage"), Route: q.Get("route"), Reportable: q.Get("reportable"),
		Missed: q.Get("missed") == "true", Drills: q.Get("drills") == "true"}
	if len([]rune(vf.Q)) > 200 {
		vf.Q = string([]rune(vf.Q)[:200])
	}
	sf := store.AuditFilter{Query: vf.Q, PeriodField: "recognized", Missed: vf.Missed, Drills: vf.Drills, Now: s.now(), Limit: 50}
	if vf.Period == "created" {
		sf.PeriodField = "created"
	}
	if t, ok := parseDay(vf.From); ok {
		sf.From = t
	} else {
		vf.From = ""
	}
	if t, ok := parseDay(vf.To); ok {
		sf.To = t.AddDate(0, 0, 1) // the "to" day is included
	} else {
		vf.To = ""
	}
	valid := func(opts []view.Option, v string) bool {
		for _, o := range opts {
			if o.Value == v {
				return true
			}
		}
		return false
	}
	if valid(caseStatuses, vf.Status) {
		sf.Status = vf.Status
	}
	if valid(stageOptions, vf.Stage) {
		sf.Stage = vf.Stage
	}
	if valid(fieldOptions("route"), vf.Route) {
		sf.Route = vf.Route
	}
	items := fieldOptions("data_items")
	for _, d := range q["data"] {
		if valid(items, d) && len(sf.DataItems) < 40 {
			sf.DataItems = append(sf.DataItems, d)
			vf.Data = append(vf.Data, d)
		}
	}
	switch vf.Reportable {
	case "yes", "no", "undetermined":
		sf.Reportable = vf.Reportable
	default:
		vf.Reportable = ""
	}
	if c := q.Get("after"); c != "" {
		if at, id, ok := decodeCursor(c); ok {
			sf.AfterCreated, sf.AfterID = at, id
		}
	}
	return vf, sf
}

func (s *Server) getAuditHome(w http.ResponseWriter, r *http.Request) {
	vf, sf := s.parseAuditFilter(r.URL.Query())
	sf.ViewerID = currentUser(r.Context()).ID
	rows, err := s.store.AuditCases(r.Context(), sf)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	out := make([]view.AuditRow, len(rows))
	for i, c := range rows {
		sja, sen := optionLabel(caseStatuses, c.Status)
		stja, sten := optionLabel(stageOptions, c.CurrentStage)
		routeJA, _ := incident.OptionLabel("route", c.Route)
		out[i] = view.AuditRow{ID: c.ID, Number: c.Number, Title: c.Title, StatusJA: sja, StatusEN: sen, Drill: c.Drill,
			StageJA: stja, StageEN: sten, RouteJA: routeJA, Reportability: audit.ReportabilityJA(c.Reportability),
			Missed: c.Missed, RecognizedAt: c.RecognizedAt, CreatedAt: c.CreatedAt}
	}
	next := ""
	if len(rows) == sf.Limit {
		q := r.URL.Query()
		last := rows[len(rows)-1]
		q.Set("after", encodeCursor(last.CreatedAt, last.ID))
		next = "/audit?" + q.Encode()
	}
	opts := view.AuditOptions{Statuses: caseStatuses, Stages: stageOptions, Routes: fieldOptions("route"), DataItems: fieldOptions("data_items")}
	p := s.page(r, "監査: 全案件", "Audit: all cases")
	s.render(w, r, http.StatusOK, p, view.AuditHomePage(p, vf, opts, out, next, p.CSRF))
}

// --- one case: replay, diff, comments ---

// auditHistory loads a readable case (the single access rule of loadCase, recording the read under
// page) and its stored history.
func (s *Server) auditHistory(w http.ResponseWriter, r *http.Request, page string) (*incident.Case, incident.Actor, []store.StoredEvent, bool) {
	c, a, ok := s.loadCase(w, r, page)
	if !ok {
		return nil, a, nil, false
	}
	stored, err := s.store.CaseEvents(r.Context(), c.ID)
	if err != nil {
		s.serverError(w, r, err)
		return nil, a, nil, false
	}
	return c, a, stored, true
}

func plainEvents(stored []store.StoredEvent) []incident.Event {
	out := make([]incident.Event, len(stored))
	for i := range stored {
		out[i] = stored[i].Event
	}
	return out
}

// seqParam reads a point in history; def when absent, ok=false when malformed or out of range.
func seqParam(r *http.Request, name string, def, max int64) (int64, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil && n >= 1 && n <= max
}

var errBadPoint = &uiError{Code: "invalid", JA: "履歴の時点（イベント番号）が正しくありません。", EN: "The point in history (event number) is not valid."}

func (s *Server) getAuditCase(w http.ResponseWriter, r *http.Request) {
	c, a, stored, ok := s.auditHistory(w, r, "audit")
	if !ok {
		return
	}
	s.renderAuditCase(w, r, http.StatusOK, c, a, stored, view.AuditCommentForm{})
}

func (s *Server) renderAuditCase(w http.ResponseWriter, r *http.Request, status int, c *incident.Case, a incident.Actor, stored []store.StoredEvent, form view.AuditCommentForm) {
	ctx := r.Context()
	events := plainEvents(stored)
	at, ok := seqParam(r, "at", int64(len(events)), int64(len(events)))
	if !ok {
		s.fail(w, r, http.StatusUnprocessableEntity, errBadPoint)
		return
	}
	past, err := audit.AsOf(events, at)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	latest := at == int64(len(events))
	atTime := events[at-1].At
	judgeAt := atTime
	if latest {
		judgeAt = s.now()
	}
	notes, err := audit.Noteworthy(events[:at], s.lawNoRegister(), judgeAt)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	verdict, err := s.caseVerdict(ctx, c.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	comments, err := s.store.AuditComments(ctx, c.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	names, err := s.store.UserNames(ctx, actorIDs(events, past))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	lang := s.lang(r)
	name := func(id int64) string { return displayName(names, id, lang) }
	v := view.AuditCaseView{ID: c.ID, Number: c.Number, Title: c.Title, Drill: c.Drill, Version: c.Version, At: at, AtTime: atTime,
		Latest: latest, Verdict: verdict, CanComment: auth.Has(currentUser(ctx).Roles, auth.RoleAuditor), Form: form, CSRF: s.csrfToken(r)}
	v.Facts = factRows(incident.VisibleFacts(a, past))
	v.Records = auditRecordRows(a, past, lang)
	v.Stages = stageRows(past, lang)
	for _, rq := range past.Requests {
		rv := requestView(rq, name, lang)
		v.Requests = append(v.Requests, rv)
		if rq.State == incident.RequestPending {
			v.Pending = append(v.Pending, rv)
		}
	}
	assessment := appi.Assess(appi.Facts(past.Facts), s.lawNoRegister(), judgeAt)
	v.Reportability = pick(lang, "個人情報保護法: ", "APPI: ") + audit.ReportabilityJA(string(assessment.APPI.Status)) +
		pick(lang, "　番号法: ", "   My Number: ") + audit.ReportabilityJA(string(assessment.MyNumber.Status))
	for _, d := range assessment.Deadlines {
		dv := view.AuditDeadline{Label: pick(lang, d.LabelJA, d.LabelEN), Due: d.Due, State: deadlineState(d.State, lang), Missed: d.State == appi.StateMissed}
		if d.MissedBySeconds != nil {
			dv.Late = durationText(time.Duration(*d.MissedBySeconds)*time.Second, lang)
		}
		v.Deadlines = append(v.Deadlines, dv)
	}
	for _, e := range stored {
		ja, en := audit.Summary(e.Event)
		v.Timeline = append(v.Timeline, view.AuditEvent{Seq: e.Seq, At: e.At, Actor: name(e.ActorID), Summary: pick(lang, ja, en),
			Hash: fmt.Sprintf("%x", e.Hash)[:12], Current: e.Seq == at, Future: e.Seq > at})
	}
	for _, n := range notes {
		v.Notes = append(v.Notes, view.AuditNote{Kind: string(n.Kind), Seq: n.Seq, At: n.At, Text: pick(lang, n.JA, n.EN)})
	}
	for _, cm := range comments {
		v.Comments = append(v.Comments, view.AuditComment{Seq: cm.Seq, Kind: cm.Kind, Author: cm.AuthorName, At: cm.At,
			CaseVersion: cm.CaseVersion, Body: cm.Body, Scope: cm.Scope, ReviewedOn: cm.ReviewedOn})
	}
	changes, err := s.store.PersonHistory(ctx, c.ID, 500)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, ch := range changes {
		actor := ch.ActorName
		if ch.ActorID == 0 {
			actor = pick(lang, "システム", "system")
		}
		v.PersonHistory = append(v.PersonHistory, view.AuditPersonChange{At: ch.At, Actor: actor, PersonID: ch.PersonID, Op: ch.Op, Reason: ch.Reason, Changed: ch.Changed})
	}
	p := s.page(r, "監査: "+c.Number, "Audit: "+c.Number)
	s.render(w, r, status, p, view.AuditCasePage(p, v))
}

func displayName(names map[int64]string, id int64, lang string) string {
	if id == 0 {
		return pick(lang, "システム", "system")
	}
	if n, ok := names[id]; ok {
		return n
	}
	return pick(lang, "ユーザー #", "user #") + itoa64(id)
}

func actorIDs(events []incident.Event, c *incident.Case) []int64 {
	seen := map[int64]bool{}
	for _, e := range events {
		seen[e.ActorID] = true
	}
	if c != nil {
		seen[c.OwnerID] = true
		for _, r := range c.Requests {
			seen[r.RequestedBy] = true
		}
	}
	out := make([]int64, 0, len(seen))
	for id := range seen {
		if id != 0 {
			out = append(out, id)
		}
	}
	return out
}

func factRows(f incident.Facts) []view.AuditLabelValue {
	var out []view.AuditLabelValue
	for _, fd := range incident.Fields() {
		v, ok := f[fd.Name]
		if !ok || v == nil {
			continue
		}
		out = append(out, view.AuditLabelValue{Key: fd.Name, Label: fd.LabelJA, Value: audit.FactText(fd.Name, v)})
	}
	return out
}

func stageRows(c *incident.Case, lang string) []view.AuditStageRow {
	out := make([]view.AuditStageRow, 0, len(incident.Stages))
	for _, st := range incident.Stages {
		ss := c.Stages[st]
		row := view.AuditStageRow{Stage: string(st), Label: pick(lang, st.LabelJA(), st.LabelEN()), StateClass: string(c.StateOf(st)),
			State: pick(lang, audit.StateJA(c.StateOf(st)), string(c.StateOf(st)))}
		if ss != nil {
			row.ChangedAt = ss.ChangedAt
			if ss.SkipReasonCode != "" {
				row.Reason = ss.SkipReasonCode + ": " + ss.SkipReasonText
			} else if ss.State == incident.StateNotApplicable {
				row.Reason = ss.Note
			}
		}
		out = append(out, row)
	}
	return out
}

func requestView(rq *incident.Request, name func(int64) string, lang string) view.AuditRequest {
	what := audit.KindJA(rq.Kind)
	if rq.Stage.Valid() {
		what = pick(lang, rq.Stage.LabelJA()+" "+what, string(rq.Kind)+" "+rq.Stage.LabelEN())
	}
	rv := view.AuditRequest{ID: rq.ID, What: what, By: name(rq.RequestedBy), At: rq.RequestedAt, State: requestStateText(rq.State, lang)}
	for _, ap := range rq.Approvals {
		s := ap.Name + " (" + view.JST(ap.At) + ")"
		if ap.AsDeputy {
			s += pick(lang, "【代理承認】", " [as deputy]")
			if ap.OnBehalfOfName != "" {
				s += pick(lang, "（不在: "+ap.OnBehalfOfName+"）", " for "+ap.OnBehalfOfName)
			}
		}
		if ap.Note != "" {
			s += " " + ap.Note
		}
		rv.Approvals = append(rv.Approvals, s)
	}
	return rv
}

func requestStateText(st incident.RequestState, lang string) string {
	return pick(lang, st.LabelJA(), st.LabelEN())
}

func deadlineState(st, lang string) string {
	switch st {
	case appi.StateMet:
		return pick(lang, "期限内に完了", "met")
	case appi.StateMissed:
		return pick(lang, "期限超過", "missed")
	}
	return pick(lang, "未了", "open")
}

func durationText(d time.Duration, lang string) string {
	return pick(lang, audit.DurationJA(d), audit.DurationEN(d))
}

// caseVerdict is Store.Verify for one case plus the case's comment chain.
func (s *Server) caseVerdict(ctx context.Context, caseID int64) (view.AuditVerdict, error) {
	res, err := s.store.Verify(ctx, caseID)
	if err != nil {
		return view.AuditVerdict{}, err
	}
	cres, err := s.store.VerifyAuditComments(ctx, caseID)
	if err != nil {
		return view.AuditVerdict{}, err
	}
	return s.verdictView(ctx, res, cres)
}

func (s *Server) verdictView(ctx context.Context, res, cres store.VerifyResult) (view.AuditVerdict, error) {
	v := view.AuditVerdict{OK: res.OK, Checked: res.Checked, Cases: res.Cases, CommentsOK: cres.OK, Comments: cres.Checked}
	if b := res.FirstBad; b != nil {
		v.BadCaseID, v.BadSeq, v.BadReason = b.CaseID, b.Seq, b.Reason
		v.BadNumber = "#" + itoa64(b.CaseID)
		if b.CaseID != 0 {
			number, err := s.store.RegisteredNumber(ctx, b.CaseID)
			if err != nil {
				return v, err
			}
			if number != "" {
				v.BadNumber = number
			}
		}
	}
	if b := cres.FirstBad; b != nil {
		v.CommBadID, v.CommBadSeq, v.CommReason = b.CaseID, b.Seq, b.Reason
	}
	return v, nil
}

func (s *Server) getAuditDiff(w http.ResponseWriter, r *http.Request) {
	c, a, stored, ok := s.auditHistory(w, r, "audit")
	if !ok {
		return
	}
	events := plainEvents(stored)
	n := int64(len(events))
	from, ok1 := seqParam(r, "from", 1, n)
	to, ok2 := seqParam(r, "to", n, n)
	if !ok1 || !ok2 {
		s.fail(w, r, http.StatusUnprocessableEntity, errBadPoint)
		return
	}
	ca, err := audit.AsOf(events, from)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	cb, err := audit.AsOf(events, to)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	// Restricted facts stay hidden from whoever may not see them, in a diff as everywhere.
	va, vb := *ca, *cb
	va.Facts, vb.Facts = incident.VisibleFacts(a, ca), incident.VisibleFacts(a, cb)
	d := audit.Compare(&va, &vb)
	lang := s.lang(r)
	names, err := s.store.UserNames(r.Context(), []int64{d.OwnerFrom, d.OwnerTo})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v := view.AuditDiffView{ID: c.ID, Number: c.Number, Title: c.Title, Drill: c.Drill, From: from, To: to,
		FromAt: events[from-1].At, ToAt: events[to-1].At, Version: c.Version, Empty: d.Empty()}
	for _, f := range d.Facts {
		v.Facts = append(v.Facts, view.AuditDiffFact{Key: f.Field, Label: pick(lang, f.JA, f.EN), Old: audit.FactText(f.Field, f.Old), New: audit.FactText(f.Field, f.New)})
	}
	for _, st := range d.Stages {
		v.Stages = append(v.Stages, view.AuditDiffRow{Label: pick(lang, st.Stage.LabelJA(), st.Stage.LabelEN()),
			From: pick(lang, audit.StateJA(st.From), string(st.From)), To: pick(lang, audit.StateJA(st.To), string(st.To))})
	}
	for _, rq := range d.Requests {
		label := "#" + itoa64(rq.ID) + " " + audit.KindJA(rq.Kind)
		if rq.Stage.Valid() {
			label += " " + pick(lang, rq.Stage.LabelJA(), rq.Stage.LabelEN())
		}
		from := pick(lang, "（なし）", "(none)")
		if rq.From != "" {
			from = requestStateText(rq.From, lang)
		}
		v.Requests = append(v.Requests, view.AuditDiffRow{Label: label, From: from, To: requestStateText(rq.To, lang)})
	}
	if d.StatusFrom != d.StatusTo {
		fja, fen := optionLabel(caseStatuses, string(d.StatusFrom))
		tja, ten := optionLabel(caseStatuses, string(d.StatusTo))
		v.Other = append(v.Other, view.AuditDiffRow{Label: pick(lang, "案件の状態", "Case status"), From: pick(lang, fja, fen), To: pick(lang, tja, ten)})
	}
	if d.OwnerFrom != d.OwnerTo {
		v.Other = append(v.Other, view.AuditDiffRow{Label: pick(lang, "担当者", "Handler"), From: displayName(names, d.OwnerFrom, lang), To: displayName(names, d.OwnerTo, lang)})
	}
	if d.ReportabilityFrom != d.ReportabilityTo {
		v.Other = append(v.Other, view.AuditDiffRow{Label: pick(lang, "報告対象の判定（記録された評価）", "Reportability (recorded assessment)"),
			From: audit.ReportabilityJA(d.ReportabilityFrom), To: audit.ReportabilityJA(d.ReportabilityTo)})
	} else if d.AssessmentChanged {
		v.Other = append(v.Other, view.AuditDiffRow{Label: pick(lang, "法的評価（期限等）", "Assessment (deadlines etc.)"),
			From: pick(lang, "変更前", "before"), To: pick(lang, "更新あり", "updated")})
	}
	p := s.page(r, "監査: "+c.Number+" 差分", "Audit: "+c.Number+" diff")
	s.render(w, r, http.StatusOK, p, view.AuditDiffPage(p, v))
}

func (s *Server) postAuditComment(w http.ResponseWriter, r *http.Request) {
	s.addAuditComment(w, r, audit.KindComment)
}

func (s *Server) postAuditSignoff(w http.ResponseWriter, r *http.Request) {
	s.addAuditComment(w, r, audit.KindSignoff)
}

// addAuditComment appends a comment or sign-off to the case's comment chain; the case itself, its
// history and its version stay exactly as they were.
func (s *Server) addAuditComment(w http.ResponseWriter, r *http.Request, kind string) {
	c, a, ok := s.loadCase(w, r, "")
	if !ok {
		return
	}
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if version < 1 || version > c.Version {
		version = c.Version
	}
	form := view.AuditCommentForm{Kind: kind, Body: r.PostFormValue("body"), Scope: r.PostFormValue("scope"), ReviewedOn: r.PostFormValue("reviewed_on")}
	cm, err := audit.NewComment(c.ID, version, a.UserID, kind, form.Body, form.Scope, form.ReviewedOn, s.now())
	if err == nil {
		_, err = s.store.AddAuditComment(r.Context(), cm)
	}
	var de *incident.Error
	if errors.As(err, &de) && de.Code == incident.CodeInvalid {
		form.Errors = map[string]string{}
		for _, f := range de.Fields {
			form.Errors[f.Field] = pick(s.lang(r), f.JA, f.EN)
		}
		stored, err := s.store.CaseEvents(r.Context(), c.ID)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		s.renderAuditCase(w, r, http.StatusUnprocessableEntity, c, a, stored, form)
		return
	}
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	if kind == audit.KindSignoff {
		s.flash(r, flashSuccess, "監査済みとして記録しました。", "The sign-off was recorded.")
	} else {
		s.flash(r, flashSuccess, "コメントを追加しました。", "The comment was added.")
	}
	http.Redirect(w, r, "/audit/cases/"+itoa64(c.ID)+"#comments", http.StatusSeeOther)
}

// --- exports ---

// caseFile gathers everything the archive holds about one case.
func (s *Server) caseFile(ctx context.Context, c *incident.Case) (archive.CaseFile, error) {
	f := archive.CaseFile{Case: c, CaseID: c.ID, Number: c.Number, Title: c.Title}
	stored, err := s.store.CaseEvents(ctx, c.ID)
	if err != nil {
		return f, err
	}
	for _, e := range stored {
		f.Events = append(f.Events, archive.Event{Event: e.Hashed(), PrevHash: e.PrevHash, Hash: e.Hash})
	}
	res, err := s.store.Verify(ctx, c.ID)
	if err != nil {
		return f, err
	}
	f.Verdict = archive.Verdict{OK: res.OK, Checked: res.Checked}
	if f.Origin, err = s.caseOrigin(ctx, c.ID); err != nil {
		return f, err
	}
	if res.FirstBad != nil {
		f.Verdict.BadSeq, f.Verdict.Reason = res.FirstBad.Seq, res.FirstBad.Reason
	}
	if f.Comments, err = s.store.AuditComments(ctx, c.ID); err != nil {
		return f, err
	}
	cres, err := s.store.VerifyAuditComments(ctx, c.ID)
	if err != nil {
		return f, err
	}
	f.CommentsVerdict = archive.Verdict{OK: cres.OK, Checked: cres.Checked}
	if cres.FirstBad != nil {
		f.CommentsVerdict.BadSeq, f.CommentsVerdict.Reason = cres.FirstBad.Seq, cres.FirstBad.Reason
	}
	events := plainEvents(stored)
	if f.Names, err = s.store.UserNames(ctx, actorIDs(events, c)); err != nil {
		return f, err
	}
	if f.Notes, err = audit.Noteworthy(events, s.lawNoRegister(), s.now()); err != nil {
		// A history that does not replay is still exported; the verdict says why.
		f.Notes = nil
	}
	as, err := s.svc.Assess(ctx, c, s.now())
	if err != nil {
		return f, err
	}
	f.Assessment = &as
	if f.Documents, f.HasDocuments, err = s.store.CaseDocuments(ctx, c.ID); err != nil {
		return f, err
	}
	// The register's trail: who changed which person when and why, old → new as stored (ciphertext).
	changes, err := s.store.PersonHistory(ctx, c.ID, 0)
	if err != nil {
		return f, err
	}
	for _, ch := range changes {
		f.PersonHistory = append(f.PersonHistory, archive.PersonChange{ID: ch.ID, PersonID: ch.PersonID, Op: ch.Op, ActorID: ch.ActorID,
			Actor: ch.ActorName, At: ch.At, Reason: ch.Reason, Changed: ch.Changed, Old: ch.Old, New: ch.New})
	}
	return f, nil
}

// exportCases builds the archive of cases and records the export. Exports are reads: they add to
// the access log and the auditors' log, never to a case.
func (s *Server) exportCases(w http.ResponseWriter, r *http.Request, cases []*incident.Case) {
	ctx := r.Context()
	u := currentUser(ctx)
	var files []archive.CaseFile
	for _, c := range cases {
		f, err := s.caseFile(ctx, c)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		files = append(files, f)
	}
	now := s.now()
	opts := archive.Options{At: now, ByID: u.ID, ByName: u.Name}
	// The report is a PDF, printed by the server's shared browser, unless the user chose the HTML
	// version (report=html) after a PDF could not be made.
	htmlReport := r.FormValue("report") == "html"
	var perr error
	if !htmlReport {
		var p *pdf.Printer
		if p, perr = s.printer(); perr == nil {
			opts.Renderer = p
		}
	}
	var buf bytes.Buffer
	m, err := archive.Build(ctx, &buf, files, opts)
	if perr == nil && err != nil && errors.Is(err, archive.ErrPrint) {
		perr = err
	}
	if perr != nil {
		v := view.PDFUnavailable{What: "案件ファイルの報告書（report.pdf）"}
		if r.Method == http.MethodPost {
			v.PostURL, v.Fields, v.FieldOrder = r.URL.Path, map[string][]string{"ids": r.PostForm["ids"]}, []string{"ids"}
		} else {
			q := r.URL.Query()
			q.Set("report", "html")
			v.HTMLURL = r.URL.Path + "?" + q.Encode()
		}
		s.pdfUnavailable(w, r, perr, v)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	ids := make([]int64, len(cases))
	for i, c := range cases {
		ids[i] = c.ID
	}
	if err := s.store.RecordExport(ctx, u.ID, ids, now, map[string]any{"seal": m.Seal, "files": len(m.Files), "verified": m.Verified}); err != nil {
		s.serverError(w, r, err)
		return
	}
	name := "leakdesk-cases-" + now.In(jstLoc).Format("20060102-150405") + ".zip"
	if len(cases) == 1 {
		name = "leakdesk-case-" + cases[0].Number + ".zip"
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) getAuditExport(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.loadCase(w, r, "")
	if !ok {
		return
	}
	s.exportCases(w, r, []*incident.Case{c})
}

var errNoSelection = &uiError{Code: "invalid", JA: fmt.Sprintf("エクスポートする案件を1〜%d件選んでください。", maxExportCases), EN: fmt.Sprintf("Choose 1 to %d cases to export.", maxExportCases)}

// postAuditExport exports a selection. It is a POST only because a selection is a form; it reads.
func (s *Server) postAuditExport(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r.Context())
	var ids []int64
	seen := map[int64]bool{}
	for _, raw := range r.PostForm["ids"] {
		for _, part := range strings.Split(raw, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
			if err != nil || id <= 0 {
				s.fail(w, r, http.StatusUnprocessableEntity, errNoSelection)
				return
			}
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 || len(ids) > maxExportCases {
		s.fail(w, r, http.StatusUnprocessableEntity, errNoSelection)
		return
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var cases []*incident.Case
	for _, id := range ids {
		c, err := s.store.GetCase(r.Context(), id)
		if err != nil {
			s.failErr(w, r, err)
			return
		}
		if c.Involved[u.ID] { // the same rule as loadCase
			s.fail(w, r, http.StatusForbidden, errInvolved)
			return
		}
		cases = append(cases, c)
	}
	s.exportCases(w, r, cases)
}

// --- global verify, API ---

type apiBadLink struct {
	CaseID int64 `json:"case_id"`
	Seq    int64 `json:"seq"`
}

type apiVerdict struct {
	OK       bool        `json:"ok"`
	Checked  int64       `json:"checked"`
	FirstBad *apiBadLink `json:"first_bad"`
}

// apiAuditVerify is GET /api/v1/audit/verify (api.md): the store's verdict over every case.
func (s *Server) apiAuditVerify(w http.ResponseWriter, r *http.Request) {
	res, err := s.store.Verify(r.Context(), 0)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	out := apiVerdict{OK: res.OK, Checked: res.Checked}
	if res.FirstBad != nil {
		out.FirstBad = &apiBadLink{CaseID: res.FirstBad.CaseID, Seq: res.FirstBad.Seq}
	}
	writeJSON(w, http.StatusOK, out)
}

// --- access review ---

func (s *Server) getAuditAccess(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	vf := view.AuditAccessFilter{User: q.Get("user"), Case: q.Get("case"), From: q.Get("from"), To: q.Get("to")}
	f := store.AccessFilter{Limit: 100, ViewerID: currentUser(r.Context()).ID}
	if id, err := strconv.ParseInt(vf.User, 10, 64); err == nil && id > 0 {
		f.UserID = id
	} else {
		vf.User = ""
	}
	if id, err := strconv.ParseInt(vf.Case, 10, 64); err == nil && id > 0 {
		f.CaseID = id
	} else {
		vf.Case = ""
	}
	if t, ok := parseDay(vf.From); ok {
		f.From = t
	} else {
		vf.From = ""
	}
	if t, ok := parseDay(vf.To); ok {
		f.To = t.AddDate(0, 0, 1)
	} else {
		vf.To = ""
	}
	if c := q.Get("after"); c != "" {
		if at, id, ok := decodeCursor(c); ok {
			f.AfterAt, f.AfterID = at, id
		}
	}
	rows, err := s.store.AccessLog(r.Context(), f)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	users, err := s.store.ListUsers(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	var us []view.AuditUser
	for _, u := range users {
		us = append(us, view.AuditUser{ID: u.ID, Name: u.Name})
	}
	out := make([]view.AuditAccessRow, len(rows))
	for i, a := range rows {
		subjects := make([]string, len(a.Subjects))
		for j, id := range a.Subjects {
			subjects[j] = "#" + itoa64(id)
		}
		out[i] = view.AuditAccessRow{At: a.At, UserName: a.UserName, UserEmail: a.UserEmail, CaseID: a.CaseID, CaseNumber: a.CaseNumber,
			Drill: a.Drill, Page: a.Page, Subjects: strings.Join(subjects, ", "), Reason: a.Reason}
	}
	next := ""
	if len(rows) == f.Limit {
		nq := r.URL.Query()
		last := rows[len(rows)-1]
		nq.Set("after", encodeCursor(last.At, last.ID))
		next = "/audit/access?" + nq.Encode()
	}
	p := s.page(r, "閲覧記録のレビュー", "Access review")
	s.render(w, r, http.StatusOK, p, view.AuditAccessPage(p, vf, us, out, next))
}

// --- management review (SEED004 Art. 46) ---

// reviewPeriod reads from/to (JST dates, "to" included); the default is the current fiscal year
// (April to March) up to today.
func (s *Server) reviewPeriod(q url.Values) (from, to time.Time, vf view.AuditReviewFilter) {
	today := s.now().In(jstLoc)
	fy := today.Year()
	if today.Month() < time.April {
		fy--
	}
	from = time.Date(fy, time.April, 1, 0, 0, 0, 0, jstLoc)
	to = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, jstLoc)
	if t, ok := parseDay(q.Get("from")); ok {
		from = t
	}
	if t, ok := parseDay(q.Get("to")); ok {
		to = t
	}
	vf = view.AuditReviewFilter{From: from.Format("2006-01-02"), To: to.Format("2006-01-02"), Drills: q.Get("drills") == "true"}
	nq := url.Values{"from": {vf.From}, "to": {vf.To}}
	if vf.Drills {
		nq.Set("drills", "true")
	}
	vf.Query = nq.Encode()
	return from, to.AddDate(0, 0, 1), vf
}

// reviewFigures computes the review over the period's cases, leaving out (and returning the numbers
// of) the cases the viewer is recorded as involved in.
func (s *Server) reviewFigures(ctx context.Context, from, to time.Time, drills bool) (audit.Review, []string, error) {
	hs, withheld, err := s.store.AuditHistoriesFor(ctx, from, to, drills, currentUser(ctx).ID)
	if err != nil {
		return audit.Review{}, nil, err
	}
	in := make([]audit.History, len(hs))
	for i, h := range hs {
		in[i] = audit.History{Events: h}
	}
	rv, bad := audit.Figures(in, s.lawNoRegister(), s.now())
	if len(bad) > 0 {
		s.log.Error("review: histories that do not replay were left out", "cases", bad)
	}
	return rv, withheld, nil
}

// Withheld is what the review shows for a case left out because the viewer is involved in it.
const withheldJA, withheldEN = "非表示（閲覧者が関係者）", "withheld: reviewer involved"

func daysText(d time.Duration, lang string) string {
	return strconv.FormatFloat(d.Hours()/24, 'f', 1, 64) + pick(lang, "日", " d")
}

func optDur(d *time.Duration, lang string) string {
	if d == nil {
		return "—"
	}
	return durationText(*d, lang)
}

func (s *Server) getAuditReview(w http.ResponseWriter, r *http.Request) {
	from, to, vf := s.reviewPeriod(r.URL.Query())
	rv, withheld, err := s.reviewFigures(r.Context(), from, to, vf.Drills)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	lang := s.lang(r)
	count := func(id, ja, en string, cs []audit.Count) view.AuditChart {
		ch := view.AuditChart{ID: id, Title: pick(lang, ja, en)}
		for _, c := range cs {
			ch.Bars = append(ch.Bars, view.AuditBar{Label: pick(lang, c.JA, c.EN), Value: float64(c.N), Text: strconv.Itoa(c.N)})
		}
		return ch
	}
	v := view.AuditReview{Cases: rv.Cases, Drills: rv.Drills, Print: r.URL.Query().Get("print") == "1"}
	v.Charts = append(v.Charts,
		count("route", "経路別", "By route", rv.ByRoute),
		count("cause", "原因別", "By cause", rv.ByCause),
		count("data", "情報の種類別（件数）", "By data kind (cases)", rv.ByDataKind),
		count("reportable", "報告対象の判定", "Reportability", rv.ByReportability))
	stages := view.AuditChart{ID: "stages", Title: pick(lang, "段階ごとの平均所要日数（完了した段階）", "Mean days per stage (finished stages)")}
	for _, st := range rv.StageTimes {
		stages.Bars = append(stages.Bars, view.AuditBar{Label: pick(lang, st.Stage.LabelJA(), st.Stage.LabelEN()), Value: st.Mean.Hours(),
			Text: daysText(st.Mean, lang) + " (n=" + strconv.Itoa(st.N) + ")"})
	}
	v.Charts = append(v.Charts, stages)
	deadlines := view.AuditChart{ID: "deadlines", Title: pick(lang, "期限超過の件数", "Deadlines missed")}
	for _, d := range rv.Deadlines {
		deadlines.Bars = append(deadlines.Bars, view.AuditBar{Label: pick(lang, d.JA, d.EN), Value: float64(d.Missed), Text: strconv.Itoa(d.Missed)})
		v.Deadlines = append(v.Deadlines, view.AuditTableRow{Cells: []string{pick(lang, d.JA, d.EN), strconv.Itoa(d.Met), strconv.Itoa(d.Missed), strconv.Itoa(d.Open)}})
	}
	v.Charts = append(v.Charts, deadlines)
	for _, d := range rv.Durations {
		v.Durations = append(v.Durations, view.AuditTableRow{Cells: []string{pick(lang, d.JA, d.EN), strconv.Itoa(d.N),
			durationText(d.Mean, lang), durationText(d.Median, lang), durationText(d.Max, lang)}})
	}
	v.Recurrence = []view.AuditTableRow{
		{Cells: []string{pick(lang, "再発防止策の計画を記録", "Plan recorded"), strconv.Itoa(rv.PlanRecorded)}},
		{Cells: []string{pick(lang, "再発防止策の段階が完了", "Measures stage done"), strconv.Itoa(rv.MeasuresDone)}},
		{Cells: []string{pick(lang, "有効性の確認日を設定", "Effectiveness review scheduled"), strconv.Itoa(rv.ReviewScheduled)}},
	}
	for _, c := range rv.Rows {
		routeJA, routeEN := incident.OptionLabel("route", c.Route)
		causeJA, causeEN := incident.OptionLabel("cause_category", c.Cause)
		drill := ""
		if c.Drill {
			drill = pick(lang, "訓練", "drill")
		}
		v.CaseRows = append(v.CaseRows, view.AuditTableRow{Cells: []string{c.Number, c.Title, drill, pick(lang, routeJA, routeEN),
			pick(lang, causeJA, causeEN), audit.ReportabilityJA(c.Reportability), optDur(c.ToFirstReport, lang), optDur(c.ToPrelim, lang),
			optDur(c.ToFinal, lang), strconv.Itoa(c.Missed)}})
	}
	for _, n := range withheld {
		v.CaseRows = append(v.CaseRows, view.AuditTableRow{Cells: []string{n, pick(lang, withheldJA, withheldEN), "", "", "", "", "", "", "", ""}})
	}
	p := s.page(r, "マネジメントレビュー", "Management review")
	s.render(w, r, http.StatusOK, p, view.AuditReviewPage(p, vf, v))
}

// getAuditReviewCSV downloads every figure of the review page as one CSV (UTF-8 with BOM, formula
// cells neutralised): section, key, label, value columns, then one row per case.
func (s *Server) getAuditReviewCSV(w http.ResponseWriter, r *http.Request) {
	from, to, vf := s.reviewPeriod(r.URL.Query())
	rv, withheld, err := s.reviewFigures(r.Context(), from, to, vf.Drills)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	cw := csvWriter(&buf)
	row := func(cells ...string) { _ = cw.Write(archive.SafeCells(cells...)) }
	row("section", "key", "label", "value", "value2", "value3", "value4")
	row("period", "from", "期間（から）", vf.From)
	row("period", "to", "期間（まで）", vf.To)
	row("period", "drills_included", "訓練を含む", strconv.FormatBool(vf.Drills))
	row("total", "cases", "対象案件", strconv.Itoa(rv.Cases))
	row("total", "drills", "うち訓練", strconv.Itoa(rv.Drills))
	for _, sec := range []struct {
		name string
		cs   []audit.Count
	}{{"route", rv.ByRoute}, {"cause", rv.ByCause}, {"data_kind", rv.ByDataKind}, {"reportability", rv.ByReportability}} {
		for _, c := range sec.cs {
			row(sec.name, c.Key, c.JA, strconv.Itoa(c.N))
		}
	}
	hours := func(d time.Duration) string { return strconv.FormatFloat(d.Hours(), 'f', 2, 64) }
	row("duration", "key", "区間", "件数", "平均（時間）", "中央値（時間）", "最長（時間）")
	for _, d := range rv.Durations {
		row("duration", d.Key, d.JA, strconv.Itoa(d.N), hours(d.Mean), hours(d.Median), hours(d.Max))
	}
	row("deadline", "kind", "期限", "期限内", "超過", "未了")
	for _, d := range rv.Deadlines {
		row("deadline", d.Kind, d.JA, strconv.Itoa(d.Met), strconv.Itoa(d.Missed), strconv.Itoa(d.Open))
	}
	row("stage_time", "stage", "段階", "件数", "平均（時間）", "中央値（時間）")
	for _, st := range rv.StageTimes {
		row("stage_time", string(st.Stage), st.Stage.LabelJA(), strconv.Itoa(st.N), hours(st.Mean), hours(st.Median))
	}
	row("recurrence", "plan_recorded", "再発防止策の計画を記録", strconv.Itoa(rv.PlanRecorded))
	row("recurrence", "measures_done", "再発防止策の段階が完了", strconv.Itoa(rv.MeasuresDone))
	row("recurrence", "review_scheduled", "有効性の確認日を設定", strconv.Itoa(rv.ReviewScheduled))
	row("case", "number", "件名", "訓練", "経路", "原因", "報告", "第一報まで（時間）", "速報まで（時間）", "確報まで（時間）", "期限超過")
	optH := func(d *time.Duration) string {
		if d == nil {
			return ""
		}
		return hours(*d)
	}
	for _, c := range rv.Rows {
		row("case", c.Number, c.Title, strconv.FormatBool(c.Drill), c.Route, c.Cause, c.Reportability, optH(c.ToFirstReport), optH(c.ToPrelim), optH(c.ToFinal), strconv.Itoa(c.Missed))
	}
	for _, n := range withheld {
		row("case", n, withheldJA+" / "+withheldEN)
	}
	cw.Flush()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="leakdesk-review-`+vf.From+`_`+vf.To+`.csv"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

func csvWriter(w *bytes.Buffer) *csv.Writer {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return cw
}
