package web

// One case on the auditor's desk: replayed as of any event, the difference between two points, comments and sign-offs.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/audit"
	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

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
