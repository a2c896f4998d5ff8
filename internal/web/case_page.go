package web

// The case page (/cases/{id}): the case, its stage forms, requests, records and timeline.

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
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

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
