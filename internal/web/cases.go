package web

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// canOpenCase: staff and managers open cases; an auditor who also holds one of those roles does not.
func (s *Server) canOpenCase(r *http.Request) bool {
	u := currentUser(r.Context())
	return u != nil && auth.Has(u.Roles, auth.RoleStaff, auth.RoleManager) && !auth.Has(u.Roles, auth.RoleAuditor)
}

// --- new case ---

func (s *Server) newCaseForm(r *http.Request, title string, drill bool, values map[string][]string, errs map[string]string, template string) view.NewCaseForm {
	f := view.NewCaseForm{Title: title, Drill: drill, Errors: errs}
	lang := s.lang(r)
	templates, err := s.svc.Templates(r.Context())
	if err != nil {
		s.log.ErrorContext(r.Context(), "templates", "err", err)
	}
	var presets incident.Facts
	for _, t := range templates {
		f.Templates = append(f.Templates, view.TemplateOption{ID: t.ID, JA: t.JA, EN: t.EN, Selected: t.ID == template})
		if t.ID == template {
			f.Template, presets = templateSuggestion(t, lang), incident.Facts(t.Facts)
		}
	}
	for _, fd := range incident.FieldsOf(incident.StageDiscovery) {
		f.Fields = append(f.Fields, fieldView(fd, presets, values, errs))
	}
	return f
}

// templateSuggestion lists what a template proposes beyond the discovery fields it pre-fills.
func templateSuggestion(t incident.Template, lang string) *view.TemplateSuggestion {
	out := &view.TemplateSuggestion{ID: t.ID, JA: t.JA, EN: t.EN, Citation: t.Citation}
	for _, name := range t.PresetNames() {
		fd, ok := incident.LookupField(name)
		if !ok || fd.Stage == incident.StageDiscovery {
			continue
		}
		fv := fieldView(fd, incident.Facts(t.Facts), nil, nil)
		out.Presets = append(out.Presets, view.Pair{Label: pick(lang, fd.LabelJA, fd.LabelEN), Value: fv.Shown})
	}
	for _, it := range t.Items {
		out.Items = append(out.Items, view.Pair{Label: pick(lang, it.Stage.LabelJA(), it.Stage.LabelEN()), Value: pick(lang, it.JA, it.EN)})
	}
	for _, st := range incident.Stages {
		code := t.Skips[st]
		if code == "" {
			continue
		}
		for _, rs := range incident.Def(st).SkipReasons {
			if rs.Code == code {
				out.Skips = append(out.Skips, view.Pair{Label: pick(lang, st.LabelJA(), st.LabelEN()), Value: pick(lang, rs.JA, rs.EN)})
			}
		}
	}
	return out
}

func (s *Server) getNewCase(w http.ResponseWriter, r *http.Request) {
	if !s.canOpenCase(r) {
		s.fail(w, r, http.StatusForbidden, errForbidden)
		return
	}
	p := s.page(r, "新しい案件", "New case")
	s.render(w, r, http.StatusOK, p, view.NewCasePage(p, s.newCaseForm(r, "", false, nil, map[string]string{}, r.URL.Query().Get("template"))))
}

// newCaseInput is the shape check of the new-case form; the discovery facts are checked by the domain.
type newCaseInput struct {
	Title string `form:"title" validate:"required,max=200" label:"件名|title"`
}

func (s *Server) postNewCase(w http.ResponseWriter, r *http.Request) {
	if !s.canOpenCase(r) {
		s.fail(w, r, http.StatusForbidden, errForbidden)
		return
	}
	lang := s.lang(r)
	title := strings.TrimSpace(r.PostFormValue("title"))
	drill := r.PostFormValue("drill") == "true"
	patch := formPatch(r, incident.FieldsOf(incident.StageDiscovery))
	template := r.PostFormValue("template")
	errs := fieldMap(lang, checkInput(&newCaseInput{Title: title}))
	if len(errs) == 0 {
		c, err := s.svc.OpenWith(r.Context(), actor(currentUser(r.Context())), casework.OpenInput{Title: title, Facts: patch, Drill: drill, Template: template})
		if err == nil {
			s.flash(r, flashSuccess, "案件を登録しました: "+c.Number, "Case opened: "+c.Number)
			http.Redirect(w, r, fmt.Sprintf("/cases/%d", c.ID), http.StatusSeeOther)
			return
		}
		if !s.fieldErrors(w, r, err, errs) {
			return
		}
	}
	p := s.page(r, "新しい案件", "New case")
	s.render(w, r, http.StatusUnprocessableEntity, p, view.NewCasePage(p, s.newCaseForm(r, title, drill, r.PostForm, errs, template)))
}

// formPatch turns the posted form into a merge patch of the given fields. An empty input means
// "not recorded" (the domain deletes the fact); a set whose checkboxes are all unticked is sent as
// an empty set thanks to the hidden _sets marker.
func formPatch(r *http.Request, fields []incident.Field) map[string]any {
	sets := map[string]bool{}
	for _, n := range r.PostForm["_sets"] {
		sets[n] = true
	}
	patch := map[string]any{}
	for _, f := range fields {
		if f.Kind == incident.KindSet {
			if !sets[f.Name] {
				continue
			}
			vals := []any{}
			for _, v := range r.PostForm[f.Name] {
				vals = append(vals, v)
			}
			patch[f.Name] = vals
			continue
		}
		vs, ok := r.PostForm[f.Name]
		if !ok {
			continue
		}
		v := ""
		if len(vs) > 0 {
			v = strings.TrimSpace(vs[0])
		}
		if v == "" {
			patch[f.Name] = nil // "not recorded": a merge-patch delete
			continue
		}
		patch[f.Name] = v
	}
	return patch
}

// fieldView prepares one field: the typed value when the form is shown again, the stored value
// otherwise, in the format the input expects.
func fieldView(f incident.Field, facts incident.Facts, typed map[string][]string, errs map[string]string) view.FieldView {
	fv := view.FieldView{F: f, Error: errs[f.Name]}
	if typed != nil {
		if vs, ok := typed[f.Name]; ok || f.Kind == incident.KindSet {
			if f.Kind == incident.KindSet {
				fv.Values = vs
			} else if len(vs) > 0 {
				fv.Value = vs[0]
			}
			return fv
		}
	}
	v, ok := facts[f.Name]
	if !ok || v == nil {
		return fv
	}
	switch f.Kind {
	case incident.KindSet:
		switch xs := v.(type) {
		case []string:
			fv.Values = xs
		case []any:
			for _, x := range xs {
				fv.Values = append(fv.Values, fmt.Sprint(x))
			}
		}
		var labels []string
		for _, x := range fv.Values {
			ja, _ := incident.OptionLabel(f.Name, x)
			labels = append(labels, ja)
		}
		fv.Shown = strings.Join(labels, "、")
	case incident.KindDateTime:
		s := fmt.Sprint(v)
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			fv.Value = t.In(jst).Format("2006-01-02T15:04")
			fv.Shown = view.JST(t)
		} else {
			fv.Value, fv.Shown = s, s
		}
	case incident.KindEnum:
		fv.Value = fmt.Sprint(v)
		fv.Shown, _ = incident.OptionLabel(f.Name, fv.Value)
	case incident.KindTristate:
		fv.Value = fmt.Sprint(v)
		fv.Shown = map[string]string{"yes": "はい", "no": "いいえ", "unknown": "不明"}[fv.Value]
	case incident.KindBool:
		fv.Value = fmt.Sprint(v)
		fv.Shown = map[string]string{"true": "はい", "false": "いいえ"}[fv.Value]
	default:
		fv.Value = fmt.Sprint(v)
		fv.Shown = fv.Value
	}
	return fv
}

var jst = time.FixedZone("JST", 9*60*60)

// --- the case page ---

func (s *Server) getCase(w http.ResponseWriter, r *http.Request) {
	c, history, a, ok := s.readCase(w, r, "case", true)
	if !ok {
		return
	}
	stage := incident.Stage(r.URL.Query().Get("stage"))
	s.renderCase(w, r, http.StatusOK, c, history, a, stage, nil, nil, nil)
}

// renderCase shows the case page. history is the case's stored events if the caller has them (nil:
// read here); typed/errs re-show a refused form; conflict explains a stale write.
func (s *Server) renderCase(w http.ResponseWriter, r *http.Request, status int, c *incident.Case, history []store.StoredEvent, a incident.Actor, stage incident.Stage,
	typed map[string][]string, errs map[string]string, conflict *view.ConflictView) {
	ctx := r.Context()
	names, users, err := s.userNames(ctx)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if !stage.Valid() {
		stage = store.CurrentStage(c)
	}
	if errs == nil {
		errs = map[string]string{}
	}
	restricted := incident.CanSeeRestrictedIn(a, c)
	facts := incident.VisibleFacts(a, c)
	v := view.CaseView{C: c, Stage: stage, Restricted: restricted, FormErrors: errs, Conflict: conflict,
		Owner: nameOr(names, c.OwnerID, pick(s.lang(r), "未定", "none"))}
	for _, st := range incident.Stages {
		ss := incident.VisibleStageStatus(a, c, st)
		card := view.StageCard{Stage: st, State: c.StateOf(st), Active: st == stage}
		if ss != nil {
			card.ChangedAt, card.ChangedBy, card.Note = ss.ChangedAt, names[ss.ChangedBy], ss.Note
		}
		v.Board = append(v.Board, card)
	}
	v.CanEdit = incident.CanWriteStage(a, c, stage) == nil && c.Status == incident.StatusOpen
	for _, f := range incident.FieldsOf(stage) {
		if f.Restricted && !restricted {
			continue
		}
		v.Fields = append(v.Fields, fieldView(f, facts, typed, errs))
	}
	for _, item := range c.ChecklistOf(stage) {
		t := c.Checklist[item.ID]
		v.Checklist = append(v.Checklist, view.CheckView{Item: item, Tick: t, By: names[t.By]})
	}
	v.Missing = incident.VisibleExitCriteria(a, c, stage)
	for _, act := range incident.AvailableActions(a, c) {
		act := act
		switch act.Kind {
		case incident.ActionComplete:
			if act.Stage == stage {
				v.Complete = &act
			}
		case incident.ActionSkip:
			if act.Stage == stage {
				v.Skip = &act
			}
		case incident.ActionDefer:
			if act.Stage == stage {
				v.Defer = &act
			}
		case incident.ActionReopenStage:
			if act.Stage == stage {
				v.ReopenSt = true
			}
		case incident.ActionAssignOwner:
			v.CaseAct.AssignOwner = true
		case incident.ActionMarkInvolved:
			v.CaseAct.MarkInvolved = true
		case incident.ActionClose:
			v.CaseAct.Close = &act
		case incident.ActionCloseNotIncident:
			v.CaseAct.CloseNotIncide = true
		case incident.ActionReopen:
			v.CaseAct.Reopen = true
		}
	}
	lang := s.lang(r)
	dels, err := s.deputyDelegations(r.Context(), a.UserID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v.Requests = requestViews(c, a, names, lang, dels, s.now())
	for _, u := range users {
		if !u.Disabled && auth.Has(u.Roles, auth.RoleStaff, auth.RoleManager) {
			v.Users = append(v.Users, view.UserOption{ID: u.ID, Name: u.Name})
		}
	}
	if history == nil {
		if history, err = s.store.CaseEvents(ctx, c.ID); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	hashes := incident.ShownHashes(a, c, storedEvents(history))
	for i := len(history) - 1; i >= 0; i-- {
		v.History = append(v.History, caseEventView(c, a, history[i], hashes[i], names, lang))
	}
	s.fillRecords(&v, c, a, names, lang, typed, errs, s.now())
	v.Links = s.caseLinks(c, a)
	if a.Has(incident.RoleAuditor) {
		res, err := s.store.Verify(ctx, c.ID)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		v.Verdict = &view.ChainVerdict{OK: res.OK, Checked: res.Checked}
		if res.FirstBad != nil {
			v.Verdict.Seq, v.Verdict.Reason = res.FirstBad.Seq, res.FirstBad.Reason
		}
	}
	v.Law = s.caseLawPanel(ctx, c, lang)
	p := s.page(r, c.Number+" "+c.Title, c.Number+" "+c.Title)
	s.render(w, r, status, p, view.CasePage(p, v))
}

// caseLinks are the case's sub-pages the viewer may open.
func (s *Server) caseLinks(c *incident.Case, a incident.Actor) []view.NavItem {
	id := strconv.FormatInt(c.ID, 10)
	links := []view.NavItem{{Href: "/cases/" + id, JA: "案件", EN: "Case", TestID: "link-case"}}
	for _, l := range s.extraCaseLinks {
		if l.Allowed == nil || l.Allowed(a) {
			links = append(links, view.NavItem{Href: "/cases/" + id + l.Suffix, JA: l.JA, EN: l.EN, TestID: l.TestID})
		}
	}
	return links
}

// CaseLink is a sub-page of a case added by another part of the product (register, documents,
// audit); Allowed decides who sees the link.
type CaseLink struct {
	Suffix, JA, EN, TestID string
	Allowed                func(incident.Actor) bool
}

func nameOr(names map[int64]string, id int64, def string) string {
	if n, ok := names[id]; ok {
		return n
	}
	return def
}

// userNames maps user ids to names for the page (accounts are few; one query per page).
func (s *Server) userNames(ctx context.Context) (map[int64]string, []store.User, error) {
	users, err := s.store.ListUsers(ctx)
	if err != nil {
		return nil, nil, err
	}
	names := make(map[int64]string, len(users))
	for _, u := range users {
		names[u.ID] = u.Name
	}
	return names, users, nil
}

// routeBoxes lays out a request's 稟議 route as 印 boxes: a decided-approved request shows its
// stamps as made; otherwise the route on the case now, the first unstamped slot waiting (or, after a
// send-back, marked sent back) and the rest still to come.
func routeBoxes(rq *incident.Request, c *incident.Case) []view.RouteBox {
	var out []view.RouteBox
	if rq.State == incident.RequestApproved {
		for _, ap := range rq.Approvals {
			out = append(out, view.RouteBox{Role: ap.RoleFilled, State: "approved", Name: ap.Name, At: ap.At, Note: ap.Note, AsDeputy: ap.AsDeputy})
		}
		return out
	}
	route := incident.RouteOf(rq, c)
	next := incident.NextStep(route)
	for i, st := range route {
		b := view.RouteBox{Role: st.Role, State: "later"}
		switch {
		case st.Approval != nil:
			b.State, b.Name, b.At, b.Note, b.AsDeputy = "approved", st.Approval.Name, st.Approval.At, st.Approval.Note, st.Approval.AsDeputy
		case i == next && rq.State == incident.RequestSentBack:
			b.State, b.Note, b.At = "sent_back", rq.DecisionNote, rq.DecidedAt
		case i == next && rq.State == incident.RequestPending:
			b.State = "waiting"
		}
		out = append(out, b)
	}
	return out
}

// deputyDelegations are the registrations that make userID a deputy now, with each principal's roles.
func (s *Server) deputyDelegations(ctx context.Context, userID int64) ([]*incident.Delegation, error) {
	now := s.now()
	rows, err := s.store.DelegationsOf(ctx, userID, now)
	if err != nil {
		return nil, err
	}
	var out []*incident.Delegation
	for _, d := range rows {
		dl, err := s.store.DelegationFor(ctx, d.PrincipalID, userID, now)
		if err != nil {
			return nil, err
		}
		if dl != nil {
			out = append(out, dl)
		}
	}
	return out, nil
}

func requestViews(c *incident.Case, a incident.Actor, names map[int64]string, lang string, dels []*incident.Delegation, now time.Time) []view.RequestView {
	var pending, decided []view.RequestView
	for i := len(c.Requests) - 1; i >= 0; i-- {
		full := c.Requests[i]
		rq := incident.VisibleRequest(a, c, full)
		rv := view.RequestView{R: rq, By: names[rq.RequestedBy], DecidedBy: names[rq.DecidedBy]}
		for _, ap := range rq.Approvals {
			rv.Approvals = append(rv.Approvals, view.ApprovalView{Name: ap.Name, For: ap.OnBehalfOfName, Role: ap.RoleFilled, AsDeputy: ap.AsDeputy, At: ap.At, Note: ap.Note})
		}
		rv.Route = routeBoxes(rq, c)
		if rq.State == incident.RequestPending {
			rv.CanApprove = incident.CanApprove(a, full, c) == nil
			for _, dl := range dels {
				if incident.CanApproveAsDeputy(a, dl, full, c, now) == nil {
					rv.OnBehalf = append(rv.OnBehalf, view.UserOption{ID: dl.PrincipalID, Name: dl.PrincipalName})
				}
			}
			if roles, ok := incident.VisibleNeeds(a, c, full); ok {
				var parts []string
				for _, r := range roles {
					parts = append(parts, pick(lang, r.LabelJA(), r.LabelEN()))
				}
				rv.Needs = strings.Join(parts, pick(lang, " と ", " and "))
			}
			for _, act := range incident.AvailableActions(a, c) {
				if act.RequestID == rq.ID && act.Kind == incident.ActionSendBack {
					rv.CanSendBack = true
				}
				if act.RequestID == rq.ID && act.Kind == incident.ActionApprove {
					rv.Blocked = incident.VisibleMissing(a, c, rq.Stage, act.Blocked)
				}
			}
			pending = append(pending, rv)
		} else {
			decided = append(decided, rv)
		}
	}
	return append(pending, decided...)
}

// caseEventView is the timeline entry of event e of case c as the actor may see it: eventView for
// what the actor may read; for an HR-compartment event outside the compartment only what the stage
// board shows, and for an approval of a discipline request (opaque: who approved tells the
// sanction) not even the type or the approver. hash says whether the hash may be shown.
func caseEventView(c *incident.Case, a incident.Actor, e store.StoredEvent, hash bool, names map[int64]string, lang string) view.EventView {
	restricted := incident.CanSeeRestrictedIn(a, c)
	var ev view.EventView
	switch {
	case restricted || !c.EventRestricted(e.Event):
		ev = eventView(e, names, lang, restricted)
		if e.Type == incident.EventChecklistTicked && len(ev.Lines) == 0 {
			// An item of the case's own rule set or template, not of the default checklist.
			if item, ok := c.ChecklistItem(fmt.Sprint(e.Payload["item"])); ok {
				mark := "✔ "
				if b, _ := e.Payload["checked"].(bool); !b {
					mark = "□ "
				}
				ev.Lines = append(ev.Lines, mark+pick(lang, item.JA, item.EN))
			}
		}
	case e.Type == incident.EventFactsChanged ||
		(e.Type == incident.EventRequestSubmitted && incident.Stage(fmt.Sprint(e.Payload["stage"])) != incident.StageDiscipline):
		// Open content next to restricted facts (a change of several stages' facts, a request whose
		// snapshot holds discipline facts): the open part is shown as usual.
		red := e
		red.Payload = c.RedactedPayload(e.Event)
		ev = eventView(red, names, lang, false)
		if e.Type == incident.EventFactsChanged {
			ev.Lines = append(ev.Lines, pick(lang, incident.StageDiscipline.LabelJA(), incident.StageDiscipline.LabelEN())+" "+pick(lang, "（閲覧権限がありません）", "(restricted)"))
		}
	default:
		p := c.RedactedPayload(e.Event)
		st := incident.Stage(fmt.Sprint(p["stage"]))
		if r := c.Request(pInt64(e.Payload["request_id"])); r != nil {
			st = r.Stage
		}
		ev = view.EventView{Seq: e.Seq, At: e.At, Actor: nameOr(names, e.ActorID, pick(lang, "システム", "system")), Type: eventLabel(e.Type, lang)}
		if c.Opaque(e.Event) {
			ev.Actor, ev.Type = pick(lang, "（非表示）", "(hidden)"), pick(lang, "人事の非公開記録", "HR record (restricted)")
		}
		line := pick(lang, "（閲覧権限がありません）", "(restricted)")
		if st.Valid() {
			line = pick(lang, st.LabelJA(), st.LabelEN()) + " " + line
		}
		if e.Type == incident.EventStageChanged {
			lp := view.Page{Lang: lang}
			line = fmt.Sprintf("%s: %s → %s", pick(lang, st.LabelJA(), st.LabelEN()),
				lp.StateLabel(incident.StageState(fmt.Sprint(p["from"]))), lp.StateLabel(incident.StageState(fmt.Sprint(p["to"]))))
		}
		ev.Lines = []string{line}
	}
	if hash {
		ev.Hash = hex.EncodeToString(e.Hash)[:16]
	} else {
		ev.Hash = ""
	}
	return ev
}

func storedEvents(stored []store.StoredEvent) []incident.Event {
	out := make([]incident.Event, len(stored))
	for i := range stored {
		out[i] = stored[i].Hashed()
	}
	return out
}

func pInt64(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	case json.Number:
		i, _ := n.Int64()
		return i
	}
	return 0
}

// eventView summarises one event for the timeline; discipline facts are hidden from viewers who may
// not see them (the hash still covers them).
func eventView(e store.StoredEvent, names map[int64]string, lang string, restricted bool) view.EventView {
	ev := view.EventView{Seq: e.Seq, At: e.At, Actor: nameOr(names, e.ActorID, pick(lang, "システム", "system")),
		Type: eventLabel(e.Type, lang), Hash: hex.EncodeToString(e.Hash)[:16]}
	p := e.Payload
	str := func(k string) string { v, _ := p[k].(string); return v }
	switch e.Type {
	case incident.EventFactsChanged:
		list, _ := p["changes"].([]any)
		for _, x := range list {
			m, _ := x.(map[string]any)
			name, _ := m["field"].(string)
			f, ok := incident.LookupField(name)
			label := name
			if ok {
				label = pick(lang, f.LabelJA, f.LabelEN)
			}
			if ok && f.Restricted && !restricted {
				ev.Lines = append(ev.Lines, label+": "+pick(lang, "（閲覧権限がありません）", "(restricted)"))
				continue
			}
			ev.Lines = append(ev.Lines, fmt.Sprintf("%s: %s → %s", label, shortValue(m["old"]), shortValue(m["new"])))
		}
	case incident.EventStageChanged:
		st := incident.Stage(str("stage"))
		lp := view.Page{Lang: lang}
		ev.Lines = append(ev.Lines, fmt.Sprintf("%s: %s → %s", pick(lang, st.LabelJA(), st.LabelEN()),
			lp.StateLabel(incident.StageState(str("from"))), lp.StateLabel(incident.StageState(str("to")))))
		if r := str("reason"); r != "" {
			ev.Lines = append(ev.Lines, r)
		}
	case incident.EventRequestSubmitted, incident.EventRequestApproved, incident.EventRequestSentBack:
		if k := str("kind"); k != "" {
			ev.Lines = append(ev.Lines, pick(lang, "種別: "+kindJA(incident.RequestKind(k)), "Kind: "+k))
		}
		if st := str("stage"); st != "" {
			s := incident.Stage(st)
			ev.Lines = append(ev.Lines, pick(lang, s.LabelJA(), s.LabelEN()))
		}
		if b, _ := p["as_deputy"].(bool); b {
			ev.Lines = append(ev.Lines, pick(lang, "代理承認", "approved as deputy"))
			ev.Marked = true
		}
		if n := str("note"); n != "" {
			ev.Lines = append(ev.Lines, n)
		}
	case incident.EventChecklistTicked:
		if item, ok := incident.LookupChecklistItem(str("item")); ok {
			mark := "✔ "
			if b, _ := p["checked"].(bool); !b {
				mark = "□ "
			}
			ev.Lines = append(ev.Lines, mark+pick(lang, item.JA, item.EN))
		}
	case incident.EventRecordAdded, incident.EventRecordUpdated, incident.EventRecordWithdrawn, incident.EventEvidenceAttached:
		ev.Lines = recordEventLines(e.Event, lang, restricted)
	case incident.EventAssessmentChanged:
		if m, ok := p["appi"].(map[string]any); ok {
			ev.Lines = append(ev.Lines, fmt.Sprintf("APPI: %v %v", m["status"], m["categories"]))
		}
	case incident.EventCaseOpened, incident.EventCaseClosed, incident.EventCaseReopened, incident.EventInvolvementMarked, incident.EventOwnerAssigned:
		for _, k := range []string{"title", "outcome", "reason"} {
			if v := str(k); v != "" {
				ev.Lines = append(ev.Lines, v)
			}
		}
	}
	return ev
}

func shortValue(v any) string {
	if v == nil {
		return "（未入力）"
	}
	s := fmt.Sprint(v)
	if utf8.RuneCountInString(s) > 120 {
		s = string([]rune(s)[:120]) + "…"
	}
	return s
}

func eventLabel(t string, lang string) string {
	labels := map[string][2]string{
		incident.EventCaseOpened:        {"案件登録", "Case opened"},
		incident.EventFactsChanged:      {"事実の記録・変更", "Facts changed"},
		incident.EventChecklistTicked:   {"チェックリスト", "Checklist"},
		incident.EventOwnerAssigned:     {"担当者の変更", "Handler assigned"},
		incident.EventInvolvementMarked: {"関係者の登録", "Involvement marked"},
		incident.EventStageOpened:       {"段階の開始", "Stage opened"},
		incident.EventRequestSubmitted:  {"承認依頼", "Request submitted"},
		incident.EventRequestApproved:   {"承認", "Approved"},
		incident.EventRequestSentBack:   {"差戻し", "Sent back"},
		incident.EventRequestWithdrawn:  {"依頼の取下げ", "Request withdrawn"},
		incident.EventStageChanged:      {"段階の状態変更", "Stage changed"},
		incident.EventCaseClosed:        {"案件終了", "Case closed"},
		incident.EventCaseReopened:      {"案件再開", "Case reopened"},
		incident.EventAssessmentChanged: {"報告要否・期限の再計算", "Assessment recomputed"},
		incident.EventRecordAdded:       {"記録の追加", "Record added"},
		incident.EventRecordUpdated:     {"記録の変更", "Record updated"},
		incident.EventRecordWithdrawn:   {"記録の取下げ", "Record withdrawn"},
		incident.EventEvidenceAttached:  {"証跡ファイルの添付", "Evidence attached"},
	}
	if l, ok := labels[t]; ok {
		return pick(lang, l[0], l[1])
	}
	return t
}

// --- writes from the case page ---

// formVersion reads the version the form was based on.

// caseWrite runs cmd for the case page; on success it redirects back to the stage, otherwise it
// shows the page again with what the user typed, the field errors, or the conflict.
func (s *Server) caseWrite(w http.ResponseWriter, r *http.Request, stage incident.Stage, cmd incident.Command, okJA, okEN string) {
	c, a, ok := s.loadCase(w, r, "")
	if !ok {
		return
	}
	version, ok := s.requireVersion(w, r)
	if !ok {
		return
	}
	var err error
	if sr, isReq := cmd.(incident.SubmitRequest); isReq {
		_, _, err = s.svc.Submit(r.Context(), c.ID, version, a, sr)
	} else {
		_, _, err = s.svc.Do(r.Context(), c.ID, version, a, cmd)
	}
	if err == nil {
		s.flash(r, flashSuccess, okJA, okEN)
		target := fmt.Sprintf("/cases/%d", c.ID)
		if stage != "" {
			target += "?stage=" + string(stage) + "#stage"
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	s.caseWriteFailed(w, r, c.ID, version, a, stage, err)
}

func (s *Server) caseWriteFailed(w http.ResponseWriter, r *http.Request, caseID, version int64, a incident.Actor, stage incident.Stage, err error) {
	status, ue, ok := domainError(err)
	if !ok {
		s.serverError(w, r, err)
		return
	}
	fresh, gerr := s.store.GetCase(r.Context(), caseID)
	if gerr == nil {
		gerr = s.svc.FillOutside(r.Context(), fresh)
	}
	if gerr != nil {
		s.serverError(w, r, gerr)
		return
	}
	lang := s.lang(r)
	errs := map[string]string{}
	var conflict *view.ConflictView
	if store.ErrStale(err) {
		conflict = &view.ConflictView{YourVersion: version, NowVersion: fresh.Version}
		names, _, nerr := s.userNames(r.Context())
		if nerr != nil {
			s.serverError(w, r, nerr)
			return
		}
		events, eerr := s.store.CaseEvents(r.Context(), caseID)
		if eerr != nil {
			s.serverError(w, r, eerr)
			return
		}
		hashes := incident.ShownHashes(a, fresh, storedEvents(events))
		for i, e := range events {
			if e.Seq > version {
				conflict.Changes = append(conflict.Changes, caseEventView(fresh, a, e, hashes[i], names, lang))
			}
		}
	} else {
		for _, fe := range ue.Fields {
			errs[fe.Field] = pick(lang, fe.JA, fe.EN)
		}
		s.flashNow(r, pick(lang, ue.JA, ue.EN))
	}
	s.renderCase(w, r, status, fresh, nil, a, stage, r.PostForm, errs, conflict)
}

// flashNow shows a message on the page being rendered (not the next one).
func (s *Server) flashNow(r *http.Request, text string) {
	if hasSession(r.Context()) {
		list, _ := s.sessions.Get(r.Context(), sessFlash).([]string)
		s.sessions.Put(r.Context(), sessFlash, append(list, flashError+"|"+text))
	}
}

func (s *Server) postFacts(w http.ResponseWriter, r *http.Request) {
	stage := incident.Stage(r.PostFormValue("stage"))
	if !stage.Valid() {
		s.fail(w, r, http.StatusUnprocessableEntity, &uiError{Code: "invalid", JA: "段階の指定が正しくありません。", EN: "Unknown stage."})
		return
	}
	patch := formPatch(r, incident.FieldsOf(stage))
	s.caseWrite(w, r, stage, incident.PatchFacts{Patch: patch}, "保存しました。", "Saved.")
}

func (s *Server) postChecklist(w http.ResponseWriter, r *http.Request) {
	// The stage is the item ID's prefix; whether the case's checklist has the item (its rule set's
	// or its template's) is the domain's check.
	id := r.PostFormValue("item")
	stage, ok := incident.ItemStage(id)
	if !ok {
		s.fail(w, r, http.StatusUnprocessableEntity, &uiError{Code: "invalid", JA: "チェックリストの項目が見つかりません。", EN: "Unknown checklist item."})
		return
	}
	cmd := incident.TickChecklist{ItemID: id, Checked: r.PostFormValue("checked") == "true", Note: r.PostFormValue("note")}
	s.caseWrite(w, r, stage, cmd, "チェックリストを更新しました。", "Checklist updated.")
}

// requestInput is the shape check of an approval request, shared by the page and the API
// (POST /api/v1/cases/{id}/requests decodes into it); whether the request is allowed is the domain's
// decision.
type requestInput struct {
	Stage      string `form:"stage" json:"stage" validate:"required_if=Kind complete,required_if=Kind skip,required_if=Kind defer,max=40" label:"段階|stage"` // none for the case-level kinds (close, close_not_incident)
	Kind       string `form:"kind" json:"kind" validate:"required,oneof=complete skip defer close close_not_incident" label:"依頼の種類|kind"`
	ReasonCode string `form:"reason_code" json:"reason_code" validate:"max=64" label:"理由コード|reason code"`
	Note       string `form:"note" json:"note" validate:"max=2000" label:"コメント|note"`
	ReviewBy   string `form:"review_by" json:"review_by" validate:"omitempty,datetime=2006-01-02" label:"見直し期限|review date"`
}

func (in requestInput) command() incident.SubmitRequest {
	return incident.SubmitRequest{Kind: incident.RequestKind(in.Kind), Stage: incident.Stage(in.Stage), ReasonCode: in.ReasonCode, Note: in.Note, ReviewBy: in.ReviewBy}
}

func (s *Server) postRequest(w http.ResponseWriter, r *http.Request) {
	in := requestInput{Stage: r.PostFormValue("stage"), Kind: r.PostFormValue("kind"), ReasonCode: r.PostFormValue("reason_code"),
		Note: strings.TrimSpace(r.PostFormValue("note")), ReviewBy: strings.TrimSpace(r.PostFormValue("review_by"))}
	stage := incident.Stage(in.Stage)
	if fields := checkInput(&in); len(fields) > 0 {
		c, a, ok := s.loadCase(w, r, "")
		if !ok {
			return
		}
		s.caseWriteFailed(w, r, c.ID, formVersion(r), a, stage, invalidInput(fields))
		return
	}
	s.caseWrite(w, r, stage, in.command(), "承認を依頼しました。承認者に通知されます。", "Approval requested.")
}

func (s *Server) postOwner(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PostFormValue("user_id"), 10, 64)
	s.caseWrite(w, r, "", incident.AssignOwner{UserID: id}, "担当者を変更しました。", "Handler changed.")
}

func (s *Server) postInvolved(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PostFormValue("user_id"), 10, 64)
	s.caseWrite(w, r, "", incident.MarkInvolved{UserID: id, Involved: r.PostFormValue("involved") != "false", Reason: strings.TrimSpace(r.PostFormValue("reason"))},
		"関係者として登録しました。", "Marked as involved.")
}

func (s *Server) postReopen(w http.ResponseWriter, r *http.Request) {
	stage := incident.Stage(r.PostFormValue("stage"))
	s.caseWrite(w, r, stage, incident.Reopen{Stage: stage, Reason: strings.TrimSpace(r.PostFormValue("reason"))}, "再開しました。", "Reopened.")
}

// requestDecision handles approve and send-back from the case page or the inbox.
func (s *Server) requestDecision(w http.ResponseWriter, r *http.Request, approve bool) {
	u := currentUser(r.Context())
	id, ok := caseIDParam(r, "rid")
	if !ok {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return
	}
	version, ok := s.requireVersion(w, r)
	if !ok {
		return
	}
	caseID, err := s.store.CaseIDForRequest(r.Context(), id)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	c, err := s.store.GetCase(r.Context(), caseID)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	a := actor(u)
	if err := incident.CanRead(a, c); err != nil {
		s.failErr(w, r, err)
		return
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	if approve {
		onBehalf, _ := strconv.ParseInt(r.PostFormValue("on_behalf_of"), 10, 64)
		_, _, err = s.svc.ApproveAt(r.Context(), id, version, a, note, onBehalf)
	} else {
		_, _, err = s.svc.SendBackAt(r.Context(), id, version, a, note)
	}
	if err != nil {
		if incident.ErrorCode(err) == incident.CodeAlreadyDecided {
			s.flash(r, flashError, "この依頼は既に他の承認者によって処理されています。", "This request was already decided by someone else.")
			http.Redirect(w, r, fmt.Sprintf("/cases/%d#requests", caseID), http.StatusSeeOther)
			return
		}
		stage := incident.Stage("")
		if rq := c.Request(id); rq != nil {
			stage = rq.Stage
		}
		s.caseWriteFailed(w, r, caseID, version, a, stage, err)
		return
	}
	if approve {
		s.flash(r, flashSuccess, "承認しました。", "Approved.")
	} else {
		s.flash(r, flashSuccess, "差し戻しました。依頼者にコメントが表示されます。", "Sent back; the requester sees your comment.")
	}
	target := fmt.Sprintf("/cases/%d", caseID)
	if rq := c.Request(id); rq != nil && rq.Doc != nil { // a document's approval: back to the document
		target = fmt.Sprintf("/cases/%d/documents/%s?version=%d", caseID, rq.Doc.Kind, rq.Doc.Version)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func (s *Server) postApprove(w http.ResponseWriter, r *http.Request) { s.requestDecision(w, r, true) }

func (s *Server) postSendBack(w http.ResponseWriter, r *http.Request) { s.requestDecision(w, r, false) }

// --- approvals inbox ---

func (s *Server) getInbox(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r.Context())
	a := actor(u)
	lang := s.lang(r)
	pending, err := s.store.PendingRequests(r.Context(), 200)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	names, _, err := s.userNames(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	cache := map[int64]*incident.Case{}
	var rows []view.InboxRow
	for _, pr := range pending {
		c := cache[pr.CaseID]
		if c == nil {
			if c, err = s.store.GetCase(r.Context(), pr.CaseID); err == nil {
				err = s.svc.FillOutside(r.Context(), c)
			}
			if err != nil {
				s.serverError(w, r, err)
				return
			}
			cache[pr.CaseID] = c
		}
		rq := c.Request(pr.ID)
		// Only what waits for the viewer's slot of its route now (CanApprove also refuses the
		// requester, the stage's editors and involved users).
		if rq == nil || rq.State != incident.RequestPending || incident.CanRead(a, c) != nil || incident.CanApprove(a, rq, c) != nil {
			continue
		}
		row := view.InboxRow{RequestID: rq.ID, CaseID: c.ID, CaseNumber: c.Number, CaseTitle: c.Title, Drill: c.Drill,
			Kind: pick(lang, kindJA(rq.Kind), string(rq.Kind)), StageJA: rq.Stage.LabelJA(), StageEN: rq.Stage.LabelEN(),
			RequestedBy: names[rq.RequestedBy], RequestedAt: rq.RequestedAt}
		if rq.Stage == "" {
			row.StageJA, row.StageEN = "案件全体", "Whole case"
		}
		if rq.Doc != nil {
			row.StageJA, row.StageEN = fmt.Sprintf("%s 第%d版", rq.Doc.Kind.LabelJA(), rq.Doc.Version), fmt.Sprintf("%s v%d", rq.Doc.Kind, rq.Doc.Version)
		}
		if roles, ok := incident.VisibleNeeds(a, c, rq); ok {
			var parts []string
			for _, r := range roles {
				parts = append(parts, pick(lang, r.LabelJA(), r.LabelEN()))
			}
			row.Needs = strings.Join(parts, pick(lang, " と ", " and "))
		}
		rows = append(rows, row)
	}
	p := s.page(r, "承認待ち一覧", "Approvals inbox")
	s.render(w, r, http.StatusOK, p, view.InboxPage(p, rows))
}

func kindJA(k incident.RequestKind) string {
	switch k {
	case incident.KindComplete:
		return "完了"
	case incident.KindSkip:
		return "省略"
	case incident.KindDefer:
		return "延期"
	case incident.KindClose:
		return "案件終了"
	case incident.KindCloseNotIncident:
		return "事案に該当せず終了"
	case incident.KindFinalise:
		return "文書の確定"
	}
	return string(k)
}

// errIfMatch is returned when an API write lacks If-Match.
