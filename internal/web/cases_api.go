package web

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// apiStage is one stage in the API's case object.
type apiStage struct {
	Stage          incident.Stage      `json:"stage"`
	State          incident.StageState `json:"state"`
	ChangedAt      *time.Time          `json:"changed_at,omitempty"`
	ChangedBy      int64               `json:"changed_by,omitempty"`
	SkipReasonCode string              `json:"skip_reason_code,omitempty"`
	SkipReasonText string              `json:"skip_reason_text,omitempty"`
	DeferredUntil  string              `json:"deferred_until,omitempty"`
	Note           string              `json:"note,omitempty"`
}

type apiApproval struct {
	UserID   int64         `json:"user_id"`
	Name     string        `json:"name"`
	Role     incident.Role `json:"role"`
	AsDeputy bool          `json:"as_deputy"`
	// OnBehalfOf is the absent principal of a 代理承認.
	OnBehalfOfID   int64     `json:"on_behalf_of_id,omitempty"`
	OnBehalfOfName string    `json:"on_behalf_of_name,omitempty"`
	Note           string    `json:"note,omitempty"`
	At             time.Time `json:"at"`
}

type apiRequest struct {
	ID           int64                 `json:"id"`
	CaseID       int64                 `json:"case_id"`
	Kind         incident.RequestKind  `json:"kind"`
	Stage        incident.Stage        `json:"stage,omitempty"`
	ReasonCode   string                `json:"reason_code,omitempty"`
	Note         string                `json:"note,omitempty"`
	ReviewBy     string                `json:"review_by,omitempty"`
	State        incident.RequestState `json:"state"`
	RequestedBy  int64                 `json:"requested_by"`
	RequestedAt  time.Time             `json:"requested_at"`
	Approvals    []apiApproval         `json:"approvals"`
	Needs        []incident.Role       `json:"needs,omitempty"`
	DecisionNote string                `json:"decision_note,omitempty"`
	Document     *incident.DocRef      `json:"document,omitempty"` // the version a finalisation request is about
}

type apiCase struct {
	ID      int64               `json:"id"`
	Number  string              `json:"number"`
	Title   string              `json:"title"`
	Version int64               `json:"version"`
	Status  incident.CaseStatus `json:"status"`
	Drill   bool                `json:"drill"`
	OwnerID int64               `json:"owner_id,omitempty"`
	// RulesVersion and RulesHash name the rule set the case was opened under and is decided by.
	RulesVersion int            `json:"rules_version"`
	RulesHash    string         `json:"rules_hash"`
	Template     string         `json:"template,omitempty"`
	Facts        incident.Facts `json:"facts"`
	Stages       []apiStage     `json:"stages"`
	Requests     []apiRequest   `json:"requests"`
	Created      time.Time      `json:"created_at"`
	Updated      time.Time      `json:"updated_at"`
}

func toAPIRequest(c *incident.Case, a incident.Actor, full *incident.Request) apiRequest {
	r := incident.VisibleRequest(a, c, full)
	out := apiRequest{ID: r.ID, CaseID: c.ID, Kind: r.Kind, Stage: r.Stage, ReasonCode: r.ReasonCode, Note: r.Note, ReviewBy: r.ReviewBy, Document: r.Doc,
		State: r.State, RequestedBy: r.RequestedBy, RequestedAt: r.RequestedAt, Approvals: []apiApproval{}, DecisionNote: r.DecisionNote}
	for _, a := range r.Approvals {
		out.Approvals = append(out.Approvals, apiApproval{UserID: a.UserID, Name: a.Name, Role: a.RoleFilled, AsDeputy: a.AsDeputy,
			OnBehalfOfID: a.OnBehalfOfID, OnBehalfOfName: a.OnBehalfOfName, Note: a.Note, At: a.At})
	}
	if r.State == incident.RequestPending {
		out.Needs, _ = incident.VisibleNeeds(a, c, full)
	}
	return out
}

func toAPICase(c *incident.Case, a incident.Actor) apiCase {
	out := apiCase{ID: c.ID, Number: c.Number, Title: c.Title, Version: c.Version, Status: c.Status, Drill: c.Drill, OwnerID: c.OwnerID,
		RulesVersion: c.Rules().Version, RulesHash: c.Rules().Hash, Template: c.Template,
		Facts: incident.VisibleFacts(a, c), Stages: []apiStage{}, Requests: []apiRequest{}, Created: c.CreatedAt, Updated: c.UpdatedAt}
	if out.Facts == nil {
		out.Facts = incident.Facts{}
	}
	for _, st := range incident.Stages {
		as := apiStage{Stage: st, State: c.StateOf(st)}
		if ss := incident.VisibleStageStatus(a, c, st); ss != nil {
			if !ss.ChangedAt.IsZero() {
				t := ss.ChangedAt
				as.ChangedAt = &t
			}
			as.ChangedBy, as.SkipReasonCode, as.SkipReasonText, as.DeferredUntil, as.Note = ss.ChangedBy, ss.SkipReasonCode, ss.SkipReasonText, ss.DeferredUntil, ss.Note
		}
		out.Stages = append(out.Stages, as)
	}
	for _, r := range c.Requests {
		out.Requests = append(out.Requests, toAPIRequest(c, a, r))
	}
	return out
}

// apiActor returns the bearer user as an actor, refusing roles that may not touch cases at all.
func (s *Server) apiActor(w http.ResponseWriter, r *http.Request, roles ...auth.Role) (incident.Actor, bool) {
	u := currentUser(r.Context())
	if !auth.Has(u.Roles, roles...) {
		s.fail(w, r, http.StatusForbidden, errForbidden)
		return incident.Actor{}, false
	}
	return actor(u), true
}

type apiNewCase struct {
	Title string         `json:"title" validate:"required,max=200" label:"件名|title"`
	Facts map[string]any `json:"facts"`
	Drill bool           `json:"drill"`
	// Template is an incident-type template of the rule set in force; facts override its presets.
	Template string `json:"template" validate:"max=64" label:"雛形|template"`
}

func (s *Server) apiCreateCase(w http.ResponseWriter, r *http.Request) {
	a, ok := s.apiActor(w, r, auth.RoleStaff, auth.RoleManager)
	if !ok {
		return
	}
	if a.Has(incident.RoleAuditor) {
		s.fail(w, r, http.StatusForbidden, errForbidden)
		return
	}
	var in apiNewCase
	if status, ue := decodeJSON(r, &in); ue != nil {
		s.fail(w, r, status, ue)
		return
	}
	// A title of blanks passes the tag check; the domain trims and refuses it with the same field error.
	in.Title = strings.TrimSpace(in.Title)
	c, err := s.svc.OpenWith(r.Context(), a, casework.OpenInput{Title: in.Title, Facts: in.Facts, Drill: in.Drill, Template: in.Template})
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/cases/%d", c.ID))
	w.Header().Set("ETag", strconv.FormatInt(c.Version, 10))
	writeJSON(w, http.StatusCreated, toAPICase(c, a))
}

type apiCaseList struct {
	Items      []apiCaseRow `json:"items"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

type apiCaseRow struct {
	ID           int64      `json:"id"`
	Number       string     `json:"number"`
	Title        string     `json:"title"`
	Status       string     `json:"status"`
	Drill        bool       `json:"drill"`
	Version      int64      `json:"version"`
	CurrentStage string     `json:"current_stage"`
	Pending      int        `json:"pending_requests"`
	RecognizedAt *time.Time `json:"recognized_at"`
	NextDueAt    *time.Time `json:"next_due_at"`
	Overdue      bool       `json:"overdue"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

func (s *Server) apiListCases(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.apiActor(w, r, caseReaders...); !ok {
		return
	}
	q := r.URL.Query()
	if c := q.Get("cursor"); c != "" {
		q.Set("after", c)
	}
	_, f := parseCaseFilter(q)
	if st := q.Get("stage"); st != "" && !incident.Stage(st).Valid() {
		s.fail(w, r, http.StatusUnprocessableEntity, errStageFilter)
		return
	}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 && n <= 200 {
		f.Limit = n
	}
	f.ViewerID = currentUser(r.Context()).ID
	rows, err := s.store.ListCases(r.Context(), f)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	out := apiCaseList{Items: []apiCaseRow{}}
	for _, c := range rows {
		out.Items = append(out.Items, apiCaseRow{ID: c.ID, Number: c.Number, Title: c.Title, Status: c.Status, Drill: c.Drill, Version: c.Version,
			CurrentStage: c.CurrentStage, Pending: c.PendingRequests, RecognizedAt: c.RecognizedAt, NextDueAt: c.NextDueAt, Overdue: c.Overdue, UpdatedAt: c.UpdatedAt})
	}
	if len(rows) == f.Limit {
		last := rows[len(rows)-1]
		out.NextCursor = encodeCursor(last.UpdatedAt, last.ID)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiGetCase(w http.ResponseWriter, r *http.Request) {
	c, a, ok := s.loadCase(w, r, "api_case")
	if !ok {
		return
	}
	w.Header().Set("ETag", strconv.FormatInt(c.Version, 10))
	writeJSON(w, http.StatusOK, toAPICase(c, a))
}

type apiPatch struct {
	Facts map[string]any `json:"facts"`
}

// apiPatchCase applies a JSON merge patch to the facts at the If-Match version (requireVersion).
func (s *Server) apiPatchCase(w http.ResponseWriter, r *http.Request) {
	apiCaseCommand(s, w, r, func(in apiPatch) (incident.Command, *uiError) {
		if in.Facts == nil {
			return nil, &uiError{Code: "invalid", JA: "facts がありません。", EN: "facts is missing."}
		}
		return incident.PatchFacts{Patch: in.Facts}, nil
	})
}

func (s *Server) apiCreateRequest(w http.ResponseWriter, r *http.Request) {
	// The case is read once, locked by the command, which checks access on it (writeAccess).
	u, caseID, ok := s.caseWriter(w, r)
	if !ok {
		return
	}
	a := actor(u)
	var in requestInput
	if status, ue := decodeJSON(r, &in); ue != nil {
		s.fail(w, r, status, ue)
		return
	}
	version, ok := s.requireVersion(w, r)
	if !ok {
		return
	}
	nc, req, err := s.svc.Submit(writeAccess(r, u), caseID, version, a, in.command())
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	w.Header().Set("ETag", strconv.FormatInt(nc.Version, 10))
	writeJSON(w, http.StatusCreated, toAPIRequest(nc, a, req))
}

type apiDecision struct {
	Note string `json:"note" validate:"max=2000" label:"コメント|note"`
	// OnBehalfOf is the absent principal a registered deputy approves for (代理承認).
	OnBehalfOf int64 `json:"on_behalf_of" validate:"gte=0" label:"代理する承認者|on_behalf_of"`
	// AsDeputy is the former free checkbox; a 代理承認 now names its principal.
	AsDeputy bool `json:"as_deputy"`
}

func (s *Server) apiDecide(w http.ResponseWriter, r *http.Request, approve bool) {
	u := currentUser(r.Context())
	id, ok := caseIDParam(r, "rid")
	if !ok {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return
	}
	var in apiDecision
	if r.ContentLength != 0 {
		if status, ue := decodeJSON(r, &in); ue != nil {
			s.fail(w, r, status, ue)
			return
		}
	}
	if in.AsDeputy && in.OnBehalfOf == 0 {
		s.fail(w, r, http.StatusUnprocessableEntity, &uiError{Code: "invalid", JA: "代理承認では不在の承認者（on_behalf_of）を指定してください。",
			EN: "A deputy approval names the absent principal (on_behalf_of).", Fields: []fieldError{{Field: "on_behalf_of"}}})
		return
	}
	version, ok := s.requireVersion(w, r)
	if !ok {
		return
	}
	// The case is read once, locked by the command, which checks access on it (writeAccess).
	var nc *incident.Case
	var req *incident.Request
	var err error
	if approve {
		nc, req, err = s.svc.ApproveAt(writeAccess(r, u), id, version, actor(u), in.Note, in.OnBehalfOf)
	} else {
		nc, req, err = s.svc.SendBackAt(writeAccess(r, u), id, version, actor(u), in.Note)
	}
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toAPIRequest(nc, actor(u), req))
}

func (s *Server) apiApprove(w http.ResponseWriter, r *http.Request)  { s.apiDecide(w, r, true) }
func (s *Server) apiSendBack(w http.ResponseWriter, r *http.Request) { s.apiDecide(w, r, false) }

type apiEvent struct {
	Seq      int64          `json:"seq"`
	Type     string         `json:"type"`
	Actor    *int64         `json:"actor"`
	At       time.Time      `json:"at"`
	Payload  map[string]any `json:"payload"`
	PrevHash string         `json:"prev_hash"`
	Hash     string         `json:"hash"`
}

// apiEvents returns the history with its hashes, as the reader may see it (incident.ShownPayload,
// ShownHashes): outside the HR compartment restricted payloads are redacted and carry no salt, an
// approval of a discipline request shows neither its type nor its approver, and an unsalted
// restricted event (written before salts) ends the hashes shown, since they could be recomputed
// from guessed values. Compartment readers and auditors get every payload with its salt and every
// hash, and can recompute the chain.
func (s *Server) apiEvents(w http.ResponseWriter, r *http.Request) {
	c, a, ok := s.loadCase(w, r, "api_events")
	if !ok {
		return
	}
	events, err := s.store.CaseEvents(r.Context(), c.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	hashes := incident.ShownHashes(a, c, storedEvents(events))
	out := make([]apiEvent, 0, len(events))
	for i, e := range events {
		ae := apiEvent{Seq: e.Seq, Type: e.Type, At: e.At, Payload: c.ShownPayload(a, e.Hashed())}
		if hashes[i] {
			ae.PrevHash, ae.Hash = hex.EncodeToString(e.PrevHash), hex.EncodeToString(e.Hash)
		}
		if e.ActorID != 0 {
			id := e.ActorID
			ae.Actor = &id
		}
		if !incident.CanSeeRestrictedIn(a, c) && c.Opaque(e.Event) {
			ae.Type, ae.Actor = "restricted", nil
		}
		out = append(out, ae)
	}
	writeJSON(w, http.StatusOK, out)
}
