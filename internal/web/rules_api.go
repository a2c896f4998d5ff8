package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/leakdesk/leakdesk/internal/rules"
	"github.com/leakdesk/leakdesk/internal/store"
)

// The rule book's API (issue 16): the twins of the /rules pages, with the same casework commands
// and the same errors (a refused rule set is 422 problem+json with each problem's JSON Pointer).

type apiRuleApproval struct {
	Role   string    `json:"role"`
	UserID int64     `json:"user_id"`
	Name   string    `json:"name"`
	At     time.Time `json:"at"`
}

type apiRuleVersion struct {
	Version     int               `json:"version"`
	Title       string            `json:"title"`
	EffectiveOn *string           `json:"effective_on"` // null for version 1 (in force since installation)
	State       string            `json:"state"`        // builtin, draft, approved, withdrawn
	InForce     bool              `json:"in_force"`
	Hash        string            `json:"hash"`
	BasedOn     int               `json:"based_on,omitempty"`
	DraftedBy   int64             `json:"drafted_by,omitempty"`
	DraftedAt   *time.Time        `json:"drafted_at,omitempty"`
	DecidedAt   *time.Time        `json:"decided_at,omitempty"`
	Approvals   []apiRuleApproval `json:"approvals"`
}

func apiRuleVersionOf(v store.RuleVersion, inForce bool) apiRuleVersion {
	day := v.EffectiveOn.Format(time.DateOnly)
	drafted := v.DraftedAt
	out := apiRuleVersion{Version: v.Version, Title: v.Title, EffectiveOn: &day, State: v.State, InForce: inForce, Hash: v.Hash,
		BasedOn: v.BasedOn, DraftedBy: v.DraftedBy, DraftedAt: &drafted, DecidedAt: v.DecidedAt, Approvals: []apiRuleApproval{}}
	for _, a := range v.Approvals {
		out.Approvals = append(out.Approvals, apiRuleApproval{Role: a.Role, UserID: a.UserID, Name: a.Name, At: a.At})
	}
	return out
}

func apiBuiltinRuleVersion(inForce bool) apiRuleVersion {
	row := builtinRuleRow(0)
	row.InForce = inForce
	return apiRuleVersion{Version: 1, Title: row.Title, State: row.State, InForce: row.InForce, Hash: row.Hash, Approvals: []apiRuleApproval{}}
}

type apiRuleBook struct {
	InForce    int              `json:"in_force"`
	LastReview *time.Time       `json:"last_review"` // the last approval into force or review unchanged; null when never
	ReviewDue  string           `json:"review_due"`  // YYYY-MM-DD (JST): the yearly review's deadline (SEED003 第3条4項)
	Versions   []apiRuleVersion `json:"versions"`    // newest first; version 1 last
}

// apiGetRules is GET /api/v1/rules.
func (s *Server) apiGetRules(w http.ResponseWriter, r *http.Request) {
	b, err := s.ruleBook(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	out := apiRuleBook{InForce: b.inForce.Version, ReviewDue: b.review.Due.Format(time.DateOnly), Versions: make([]apiRuleVersion, 0, len(b.stored)+1)}
	if !b.review.Last.IsZero() {
		out.LastReview = &b.review.Last
	}
	for _, v := range b.stored {
		out.Versions = append(out.Versions, apiRuleVersionOf(v, v.Version == b.inForce.Version))
	}
	out.Versions = append(out.Versions, apiBuiltinRuleVersion(b.inForce.Version == 1))
	writeJSON(w, http.StatusOK, out)
}

type apiRuleVersionDetail struct {
	apiRuleVersion
	ChangesAgainst int             `json:"changes_against,omitempty"` // the version the changes are against (0: none, version 1)
	Changes        []rules.Change  `json:"changes"`
	Document       json.RawMessage `json:"document"` // the canonical rule set
}

// apiGetRuleVersion is GET /api/v1/rules/{ver}: the version, its diff (as the page shows it) and
// its document.
func (s *Server) apiGetRuleVersion(w http.ResponseWriter, r *http.Request) {
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
	head := apiBuiltinRuleVersion(d.row.InForce)
	if ver != 1 {
		head = apiRuleVersionOf(d.stored, d.row.InForce)
	}
	out := apiRuleVersionDetail{apiRuleVersion: head, ChangesAgainst: d.against, Changes: d.changes, Document: d.doc}
	if out.Changes == nil {
		out.Changes = []rules.Change{}
	}
	writeJSON(w, http.StatusOK, out)
}

type apiRuleDraftInput struct {
	EffectiveOn string          `json:"effective_on"`
	Title       string          `json:"title"`
	Document    json.RawMessage `json:"document"`
}

// apiCreateRuleVersion is POST /api/v1/rules: a draft from a rule-set document (an export of this
// or another installation, or a consultant's file). 201 with the stored version and its diff.
func (s *Server) apiCreateRuleVersion(w http.ResponseWriter, r *http.Request) {
	var in apiRuleDraftInput
	if status, ue := decodeJSON(r, &in); ue != nil {
		s.fail(w, r, status, ue)
		return
	}
	draft, err := ruleDraftInput(in.Document, strings.TrimSpace(in.EffectiveOn), strings.TrimSpace(in.Title))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	v, err := s.svc.DraftRules(r.Context(), actor(currentUser(r.Context())), draft)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	d, err := s.ruleVersionDetail(r, v)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/rules/"+strconv.Itoa(v))
	out := apiRuleVersionDetail{apiRuleVersion: apiRuleVersionOf(d.stored, d.row.InForce), ChangesAgainst: d.against, Changes: d.changes, Document: d.doc}
	if out.Changes == nil {
		out.Changes = []rules.Change{}
	}
	writeJSON(w, http.StatusCreated, out)
}

type apiRuleDecision struct {
	Version int    `json:"version"`
	Role    string `json:"role,omitempty"` // the approval's role
	State   string `json:"state"`          // the version's state afterwards
}

// apiApproveRuleVersion is POST /api/v1/rules/{ver}/approve.
func (s *Server) apiApproveRuleVersion(w http.ResponseWriter, r *http.Request) {
	ver, ok := ruleVersionParam(r)
	if !ok {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return
	}
	ap, err := s.svc.ApproveRules(r.Context(), actor(currentUser(r.Context())), ver)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	state := store.RuleStateDraft
	if ap.Last {
		state = store.RuleStateApproved
	}
	writeJSON(w, http.StatusOK, apiRuleDecision{Version: ver, Role: string(ap.Role), State: state})
}

type apiReasonInput struct {
	Reason string `json:"reason" validate:"required,max=2000" label:"取下げの理由|reason"`
}

// apiWithdrawRuleVersion is POST /api/v1/rules/{ver}/withdraw.
func (s *Server) apiWithdrawRuleVersion(w http.ResponseWriter, r *http.Request) {
	ver, ok := ruleVersionParam(r)
	if !ok {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return
	}
	var in apiReasonInput
	if status, ue := decodeJSON(r, &in); ue != nil {
		s.fail(w, r, status, ue)
		return
	}
	if err := s.svc.WithdrawRules(r.Context(), actor(currentUser(r.Context())), ver, in.Reason); err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiRuleDecision{Version: ver, State: store.RuleStateWithdrawn})
}

type apiReviewInput struct {
	Note string `json:"note" validate:"max=2000" label:"見直しの記録|note"`
}

type apiRuleReview struct {
	Seq     int64     `json:"seq"`
	At      time.Time `json:"at"`
	Version int       `json:"version"` // the version in force that was reviewed
	Role    string    `json:"role"`
}

// apiReviewRules is POST /api/v1/rules/review: the yearly review, 見直し済み・変更なし.
func (s *Server) apiReviewRules(w http.ResponseWriter, r *http.Request) {
	var in apiReviewInput
	if status, ue := decodeJSON(r, &in); ue != nil {
		s.fail(w, r, status, ue)
		return
	}
	e, err := s.svc.ReviewRules(r.Context(), actor(currentUser(r.Context())), in.Note)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	role, _ := e.Detail["role"].(string)
	writeJSON(w, http.StatusCreated, apiRuleReview{Seq: e.Seq, At: e.At, Version: e.Version, Role: role})
}
