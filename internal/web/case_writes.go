package web

// Writes from the case page: facts, checklist, requests, owner, involved people, reopen, and the decisions on requests.

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// caseWrite runs cmd for the case page; on success it redirects back to the stage, otherwise it
// shows the page again with what the user typed, the field errors, or the conflict.
func (s *Server) caseWrite(w http.ResponseWriter, r *http.Request, stage incident.Stage, cmd incident.Command, okJA, okEN string) {
	c, a, version, ok := s.writeTarget(w, r)
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
