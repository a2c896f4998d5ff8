package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/leakdesk/leakdesk/internal/audit"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// API twins of the case page's forms (issue 17): each decodes its JSON, then runs the very command
// the page runs through the same casework call, with If-Match as the case version, so the rules
// and the errors are the domain's, once.

// apiCaseCommand is every JSON command to a case answered with the case: see apiCaseCommandThen.
func apiCaseCommand[T any](s *Server, w http.ResponseWriter, r *http.Request, build func(in T) (incident.Command, *uiError)) {
	apiCaseCommandThen(s, w, r, build, func(w http.ResponseWriter, nc *incident.Case, a incident.Actor) {
		writeJSON(w, http.StatusOK, toAPICase(nc, a))
	})
}

// apiCaseCommandThen is the one shape of a JSON command to a case: the case and the If-Match
// version (writeTarget), the body decoded into in (400/415/422), the command build returns (a
// refusal is 422), run at that version; answer writes the result, after the new version as ETag.
func apiCaseCommandThen[T any](s *Server, w http.ResponseWriter, r *http.Request, build func(in T) (incident.Command, *uiError),
	answer func(w http.ResponseWriter, nc *incident.Case, a incident.Actor)) {
	c, a, version, ok := s.writeTarget(w, r)
	if !ok {
		return
	}
	var in T
	if status, ue := decodeJSON(r, &in); ue != nil {
		s.fail(w, r, status, ue)
		return
	}
	cmd, ue := build(in)
	if ue != nil {
		s.fail(w, r, http.StatusUnprocessableEntity, ue)
		return
	}
	nc, _, err := s.svc.Do(r.Context(), c.ID, version, a, cmd)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	w.Header().Set("ETag", strconv.FormatInt(nc.Version, 10))
	answer(w, nc, a)
}

type apiChecklistIn struct {
	Item    string `json:"item"`
	Checked bool   `json:"checked"`
	Note    string `json:"note"`
}

var errChecklistItem = &uiError{Code: "invalid", JA: "チェックリストの項目が見つかりません。", EN: "Unknown checklist item.",
	Fields: []fieldError{{Field: "item", JA: "チェックリストの項目が見つかりません。", EN: "unknown checklist item"}}}

func (s *Server) apiChecklist(w http.ResponseWriter, r *http.Request) {
	apiCaseCommand(s, w, r, func(in apiChecklistIn) (incident.Command, *uiError) {
		if _, ok := incident.ItemStage(in.Item); !ok {
			return nil, errChecklistItem
		}
		return incident.TickChecklist{ItemID: in.Item, Checked: in.Checked, Note: in.Note}, nil
	})
}

type apiOwnerIn struct {
	UserID int64 `json:"user_id"`
}

func (s *Server) apiOwner(w http.ResponseWriter, r *http.Request) {
	apiCaseCommand(s, w, r, func(in apiOwnerIn) (incident.Command, *uiError) {
		return incident.AssignOwner{UserID: in.UserID}, nil
	})
}

type apiInvolvedIn struct {
	UserID   int64  `json:"user_id"`
	Involved *bool  `json:"involved"` // default true, as the page's form
	Reason   string `json:"reason"`
}

func (s *Server) apiInvolved(w http.ResponseWriter, r *http.Request) {
	apiCaseCommand(s, w, r, func(in apiInvolvedIn) (incident.Command, *uiError) {
		involved := in.Involved == nil || *in.Involved
		return incident.MarkInvolved{UserID: in.UserID, Involved: involved, Reason: strings.TrimSpace(in.Reason)}, nil
	})
}

type apiReopenIn struct {
	Stage  string `json:"stage"`
	Reason string `json:"reason"`
}

func (s *Server) apiReopen(w http.ResponseWriter, r *http.Request) {
	apiCaseCommand(s, w, r, func(in apiReopenIn) (incident.Command, *uiError) {
		return incident.Reopen{Stage: incident.Stage(in.Stage), Reason: strings.TrimSpace(in.Reason)}, nil
	})
}

// --- the auditor's review comments and sign-offs ---

type apiAuditCommentIn struct {
	Body        string `json:"body"`
	Scope       string `json:"scope"`
	ReviewedOn  string `json:"reviewed_on"`
	CaseVersion int64  `json:"case_version"` // the version reviewed; 0 or out of range: the current one
}

func (s *Server) apiAuditComment(w http.ResponseWriter, r *http.Request) {
	s.apiAddAuditComment(w, r, audit.KindComment)
}

func (s *Server) apiAuditSignoff(w http.ResponseWriter, r *http.Request) {
	s.apiAddAuditComment(w, r, audit.KindSignoff)
}

// apiAddAuditComment is addAuditComment's twin: the same check (audit.NewComment) and store call.
func (s *Server) apiAddAuditComment(w http.ResponseWriter, r *http.Request, kind string) {
	c, a, ok := s.loadCase(w, r, "")
	if !ok {
		return
	}
	var in apiAuditCommentIn
	if status, ue := decodeJSON(r, &in); ue != nil {
		s.fail(w, r, status, ue)
		return
	}
	version := in.CaseVersion
	if version < 1 || version > c.Version {
		version = c.Version
	}
	cm, err := audit.NewComment(c.ID, version, a.UserID, kind, in.Body, in.Scope, in.ReviewedOn, s.now())
	if err == nil {
		cm, err = s.store.AddAuditComment(r.Context(), cm)
	}
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, cm)
}
