package web

// The JSON API of stage records: GET/POST /api/v1/cases/{id}/records, PATCH …/records/{rid}.

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/leakdesk/leakdesk/internal/incident"
)

type apiRecord struct {
	ID             int64               `json:"id"`
	Kind           incident.RecordKind `json:"kind"`
	Stage          incident.Stage      `json:"stage"`
	Values         incident.Facts      `json:"values"`
	Version        int64               `json:"version"`
	CreatedAt      time.Time           `json:"created_at"`
	CreatedBy      int64               `json:"created_by"`
	UpdatedAt      time.Time           `json:"updated_at"`
	UpdatedBy      int64               `json:"updated_by"`
	Withdrawn      bool                `json:"withdrawn"`
	WithdrawReason string              `json:"withdraw_reason,omitempty"`
	Overdue        bool                `json:"overdue,omitempty"`
}

type apiEvidence struct {
	ID          int64          `json:"id"`
	Stage       incident.Stage `json:"stage"`
	Name        string         `json:"name"`
	Size        int64          `json:"size"`
	ContentType string         `json:"content_type"`
	SHA256      string         `json:"sha256"`
	Note        string         `json:"note,omitempty"`
	At          time.Time      `json:"at"`
	By          int64          `json:"by"`
}

type apiRecords struct {
	CaseID   int64         `json:"case_id"`
	Version  int64         `json:"version"`
	Records  []apiRecord   `json:"records"`
	Evidence []apiEvidence `json:"evidence"`
}

func toAPIRecord(r *incident.Record, now time.Time) apiRecord {
	return apiRecord{ID: r.ID, Kind: r.Kind, Stage: r.Stage, Values: r.Values, Version: r.Version, CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy,
		UpdatedAt: r.UpdatedAt, UpdatedBy: r.UpdatedBy, Withdrawn: r.Withdrawn, WithdrawReason: r.WithdrawReason, Overdue: r.Overdue(now)}
}

func (s *Server) apiRecordsOut(c *incident.Case, a incident.Actor, stage incident.Stage) apiRecords {
	now := s.now()
	out := apiRecords{CaseID: c.ID, Version: c.Version, Records: []apiRecord{}, Evidence: []apiEvidence{}}
	for _, r := range incident.VisibleRecords(a, c, stage) {
		out.Records = append(out.Records, toAPIRecord(r, now))
	}
	for _, e := range incident.VisibleEvidence(a, c, stage) {
		out.Evidence = append(out.Evidence, apiEvidence{ID: e.ID, Stage: e.Stage, Name: e.Name, Size: e.Size, ContentType: e.ContentType,
			SHA256: e.SHA256, Note: e.Note, At: e.At, By: e.By})
	}
	return out
}

// errStageFilter answers a ?stage= that names no stage (422, like every refused value).
var errStageFilter = &uiError{Code: "invalid", JA: "stage の値が正しくありません。", EN: "Unknown stage.",
	Fields: []fieldError{{Field: "stage", JA: "stage の値が正しくありません。", EN: "unknown stage"}}}

// apiGetRecords lists the records and files the caller may see (?stage= narrows to one stage).
func (s *Server) apiGetRecords(w http.ResponseWriter, r *http.Request) {
	c, a, ok := s.loadCase(w, r, "api_records")
	if !ok {
		return
	}
	stage := incident.Stage(r.URL.Query().Get("stage"))
	if stage != "" && !stage.Valid() {
		s.fail(w, r, http.StatusUnprocessableEntity, errStageFilter)
		return
	}
	w.Header().Set("ETag", strconv.FormatInt(c.Version, 10))
	writeJSON(w, http.StatusOK, s.apiRecordsOut(c, a, stage))
}

type apiNewRecord struct {
	Kind   string         `json:"kind"` // checked by the domain, after the read-only check
	Values map[string]any `json:"values"`
}

// apiCreateRecord adds a record; If-Match (the case version) is required.
func (s *Server) apiCreateRecord(w http.ResponseWriter, r *http.Request) {
	apiCaseCommandThen(s, w, r, func(in apiNewRecord) (incident.Command, *uiError) {
		return incident.AddRecord{Kind: incident.RecordKind(in.Kind), Values: in.Values}, nil
	}, func(w http.ResponseWriter, nc *incident.Case, _ incident.Actor) {
		rec := nc.Records[len(nc.Records)-1]
		w.Header().Set("Location", fmt.Sprintf("/api/v1/cases/%d/records/%d", nc.ID, rec.ID))
		writeJSON(w, http.StatusCreated, toAPIRecord(rec, s.now()))
	})
}

type apiRecordPatch struct {
	Values         map[string]any `json:"values"`
	RecordVersion  int64          `json:"record_version"`
	WithdrawReason string         `json:"withdraw_reason"`
}

// apiPatchRecord applies a merge patch to a record's values, or withdraws it with a reason;
// If-Match (the case version) is required, record_version optionally pins the record's own version.
func (s *Server) apiPatchRecord(w http.ResponseWriter, r *http.Request) {
	c, a, rec, _, version, ok := s.recordWriteTarget(w, r)
	if !ok {
		return
	}
	var in apiRecordPatch
	if status, ue := decodeJSON(r, &in); ue != nil {
		s.fail(w, r, status, ue)
		return
	}
	var cmd incident.Command = incident.UpdateRecord{RecordID: rec.ID, Version: in.RecordVersion, Values: in.Values}
	if in.WithdrawReason != "" {
		if in.Values != nil {
			s.fail(w, r, http.StatusUnprocessableEntity, &uiError{Code: "invalid", JA: "values と withdraw_reason は同時に指定できません。", EN: "Give values or withdraw_reason, not both."})
			return
		}
		cmd = incident.WithdrawRecord{RecordID: rec.ID, Reason: in.WithdrawReason}
	} else if in.Values == nil {
		s.fail(w, r, http.StatusUnprocessableEntity, &uiError{Code: "invalid", JA: "values がありません。", EN: "values is missing."})
		return
	}
	nc, _, err := s.svc.Do(r.Context(), c.ID, version, a, cmd)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	w.Header().Set("ETag", strconv.FormatInt(nc.Version, 10))
	writeJSON(w, http.StatusOK, toAPIRecord(nc.Record(rec.ID), s.now()))
}

// recordEventLines summarises a record or evidence event for the timeline; restricted content
// (discipline) is shown as such to viewers who may not see it.
