package web

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// Stage records and evidence files (docs/records.md): the sections inside the case page's stage
// area, the record edit page, the upload and the logged download, and the JSON API.

const defaultEvidenceMax = 20 << 20

var evidenceUploadPath = regexp.MustCompile(`^(/api/v1)?/cases/[0-9]+/evidence$`)

// evidenceLimit is the size limit of one evidence file.
func (s *Server) evidenceLimit() int64 {
	if s.cfg.EvidenceMaxBytes > 0 {
		return s.cfg.EvidenceMaxBytes
	}
	return defaultEvidenceMax
}

// evidenceUploadLimit is the body limit of the upload route (the file limit plus room for the
// multipart envelope, so that a file just over the limit reaches the handler and is refused with
// a clear message), or 0 for every other request.
func (s *Server) evidenceUploadLimit(r *http.Request) int64 {
	if r.Method == http.MethodPost && evidenceUploadPath.MatchString(r.URL.Path) {
		return s.evidenceLimit() + 1<<20
	}
	return 0
}

var (
	errEvidenceTooLarge = func(limit int64) *uiError {
		return &uiError{Code: "too_large", JA: fmt.Sprintf("ファイルが大きすぎます（上限 %d MB）。", limit>>20),
			EN: fmt.Sprintf("The file is too large (limit %d MB).", limit>>20)}
	}
	errEvidenceType = &uiError{Code: "unsupported_type", JA: "このファイルの種類は添付できません（PDF・PNG・JPEG・テキスト/CSV・Office文書のみ）。",
		EN: "This type of file cannot be attached (PDF, PNG, JPEG, text/CSV and Office documents only)."}
	errEvidenceEmpty = &uiError{Code: "invalid", JA: "ファイルを選んでください。", EN: "Choose a file."}
)

// evidenceTypes maps a sniffed content type (http.DetectContentType, without parameters) to the
// file-name extensions it may carry. The extension must agree with the content, so that the stored
// content type says what the file is, and nothing executable or active (HTML, scripts) is kept.
var evidenceTypes = map[string][]string{
	"application/pdf": {".pdf"},
	"image/png":       {".png"},
	"image/jpeg":      {".jpg", ".jpeg"},
	"text/plain":      {".txt", ".csv", ".log", ".eml"},
	"application/zip": {".docx", ".xlsx", ".pptx"}, // Office Open XML, checked further below
}

// officeTypes are the content types stored for Office documents (by extension).
var officeTypes = map[string]string{
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}

// CheckEvidence decides whether data may be stored as an evidence file called name: not empty,
// at most limit bytes, and of an allowed type by its content. It returns the content type to
// store. A refusal is a *uiError with a Japanese message.
func CheckEvidence(name string, data []byte, limit int64) (string, error) {
	if len(data) == 0 || strings.TrimSpace(name) == "" {
		return "", errEvidenceEmpty
	}
	if int64(len(data)) > limit {
		return "", errEvidenceTooLarge(limit)
	}
	sniffed, _, err := mime.ParseMediaType(http.DetectContentType(data))
	if err != nil {
		return "", errEvidenceType
	}
	ext := strings.ToLower(path.Ext(name))
	allowed := false
	for _, e := range evidenceTypes[sniffed] {
		allowed = allowed || e == ext
	}
	if !allowed {
		return "", errEvidenceType
	}
	switch sniffed {
	case "application/zip":
		// A zip is an Office document only if it carries the OOXML content-types part.
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return "", errEvidenceType
		}
		for _, f := range zr.File {
			if f.Name == "[Content_Types].xml" {
				return officeTypes[ext], nil
			}
		}
		return "", errEvidenceType
	case "text/plain":
		if ext == ".csv" {
			return "text/csv", nil
		}
		return "text/plain", nil
	}
	return sniffed, nil
}

// --- the case page's record sections ---

// recordInputName is the input name of a record field in the page's forms: "<kind>.<field>", so
// that the add forms of several kinds on one page never share an input id.
func recordInputName(k incident.RecordKind, field string) string { return string(k) + "." + field }

// recordFieldViews prepares the inputs of kind d: typed values when a refused form is shown again,
// else the record's values (nil for an add form).
func recordFieldViews(d incident.RecordKindDef, values incident.Facts, typed map[string][]string, errs map[string]string) []view.FieldView {
	var out []view.FieldView
	stored := incident.Facts{}
	for k, v := range values {
		stored[recordInputName(d.Kind, k)] = v
	}
	for _, f := range d.Fields {
		named := f
		named.Name = recordInputName(d.Kind, f.Name)
		if d.IsRequired(f.Name) {
			named.LabelJA += "（必須）"
			named.LabelEN += " (required)"
		}
		out = append(out, fieldView(named, stored, typed, errs))
	}
	return out
}

// recordCells renders a record's values for the list, in the kind's field order.
func recordCells(d incident.RecordKindDef, r *incident.Record, lang string) []view.RecordCell {
	var out []view.RecordCell
	for _, f := range d.Fields {
		named := f
		named.Name = recordInputName(d.Kind, f.Name)
		fv := fieldView(named, incident.Facts{named.Name: r.Values[f.Name]}, nil, nil)
		if f.Kind == incident.KindEnum {
			ja, en := d.OptionLabel(f.Name, fv.Value)
			fv.Shown = pick(lang, ja, en)
		}
		if fv.Shown == "" {
			continue
		}
		out = append(out, view.RecordCell{Label: pick(lang, f.LabelJA, f.LabelEN), Value: fv.Shown})
	}
	return out
}

// fillRecords adds the open stage's record sections and files to the case page.
func (s *Server) fillRecords(v *view.CaseView, c *incident.Case, a incident.Actor, names map[int64]string, lang string,
	typed map[string][]string, errs map[string]string, now time.Time) {
	if !incident.CanSeeStageContents(a, c, v.Stage) {
		return
	}
	openKind := ""
	if typed != nil {
		openKind = firstOf(typed["kind"])
	}
	byKind := map[incident.RecordKind][]*incident.Record{}
	for _, r := range incident.VisibleRecords(a, c, v.Stage) {
		byKind[r.Kind] = append(byKind[r.Kind], r)
	}
	for _, d := range incident.RecordKindsOf(v.Stage) {
		if !incident.CanSeeRecordKind(a, c, d) {
			continue
		}
		sec := view.RecordSection{Def: d, Open: openKind == string(d.Kind)}
		var secTyped map[string][]string
		if sec.Open {
			secTyped = typed
		}
		sec.Add = recordFieldViews(d, nil, secTyped, errs)
		for _, r := range byKind[d.Kind] {
			sec.Rows = append(sec.Rows, view.RecordRow{R: r, Cells: recordCells(d, r, lang), By: names[r.UpdatedBy], Overdue: r.Overdue(now)})
		}
		v.Records = append(v.Records, sec)
	}
	for _, e := range incident.VisibleEvidence(a, c, v.Stage) {
		v.Evidence = append(v.Evidence, view.EvidenceRow{E: e, By: names[e.By], Href: fmt.Sprintf("/cases/%d/evidence/%d", c.ID, e.ID)})
	}
	v.CanUpload = v.CanEdit
	v.UploadLimit = s.evidenceLimit()
}

func firstOf(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// recordPatch reads the posted inputs of kind d into a merge patch ("" deletes).
func recordPatch(r *http.Request, d incident.RecordKindDef) map[string]any {
	patch := map[string]any{}
	for _, f := range d.Fields {
		vs, ok := r.PostForm[recordInputName(d.Kind, f.Name)]
		if !ok {
			continue
		}
		v := strings.TrimSpace(firstOf(vs))
		if v == "" {
			patch[f.Name] = nil
			continue
		}
		patch[f.Name] = v
	}
	return patch
}

// recordFieldErrors renames the domain's field errors to the page's input names.
func recordFieldErrors(err error, k incident.RecordKind) error {
	var de *incident.Error
	if !errors.As(err, &de) || de.Code != incident.CodeInvalid {
		return err
	}
	cp := *de
	cp.Fields = nil
	for _, f := range de.Fields {
		if f.Field != "kind" && f.Field != "reason" {
			f.Field = recordInputName(k, f.Field)
		}
		cp.Fields = append(cp.Fields, f)
	}
	return &cp
}

func (s *Server) postRecordAdd(w http.ResponseWriter, r *http.Request) {
	c, a, ok := s.loadCase(w, r, "")
	if !ok {
		return
	}
	version, ok := s.requireVersion(w, r)
	if !ok {
		return
	}
	kind := incident.RecordKind(r.PostFormValue("kind"))
	d, _ := incident.LookupRecordKind(kind) // an unknown kind is refused by the domain (after the read-only check)
	_, _, err := s.svc.Do(r.Context(), c.ID, version, a, incident.AddRecord{Kind: kind, Values: recordPatch(r, d)})
	if err != nil {
		s.caseWriteFailed(w, r, c.ID, version, a, d.Stage, recordFieldErrors(err, kind))
		return
	}
	s.flash(r, flashSuccess, "「"+d.LabelJA+"」を記録しました。", d.LabelEN+" recorded.")
	http.Redirect(w, r, fmt.Sprintf("/cases/%d?stage=%s#stage", c.ID, d.Stage), http.StatusSeeOther)
}

// loadRecord loads the case and the record {rid}, refusing records the viewer may not see.
func (s *Server) loadRecord(w http.ResponseWriter, r *http.Request, page string) (*incident.Case, incident.Actor, *incident.Record, incident.RecordKindDef, bool) {
	c, a, ok := s.loadCase(w, r, page)
	if !ok {
		return nil, a, nil, incident.RecordKindDef{}, false
	}
	rid, err := strconv.ParseInt(chi.URLParam(r, "rid"), 10, 64)
	rec := c.Record(rid)
	if err != nil || rec == nil {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return nil, a, nil, incident.RecordKindDef{}, false
	}
	d, _ := incident.LookupRecordKind(rec.Kind)
	if !incident.CanSeeRecordKind(a, c, d) {
		s.fail(w, r, http.StatusForbidden, errForbidden)
		return nil, a, nil, incident.RecordKindDef{}, false
	}
	return c, a, rec, d, true
}

func (s *Server) renderRecordEdit(w http.ResponseWriter, r *http.Request, status int, c *incident.Case, a incident.Actor, rec *incident.Record,
	d incident.RecordKindDef, typed map[string][]string, errs map[string]string, conflict bool) {
	v := view.RecordEditView{C: c, Def: d, R: rec, CanEdit: incident.CanWriteStage(a, c, d.Stage) == nil && c.Status == incident.StatusOpen,
		Conflict: conflict, Cells: recordCells(d, rec, s.lang(r))}
	v.Fields = recordFieldViews(d, rec.Values, typed, errs)
	p := s.page(r, c.Number+" "+d.LabelJA, c.Number+" "+d.LabelEN)
	s.render(w, r, status, p, view.RecordEditPage(p, v))
}

func (s *Server) getRecord(w http.ResponseWriter, r *http.Request) {
	c, a, rec, d, ok := s.loadRecord(w, r, "record")
	if !ok {
		return
	}
	s.renderRecordEdit(w, r, http.StatusOK, c, a, rec, d, nil, nil, false)
}

func (s *Server) postRecordEdit(w http.ResponseWriter, r *http.Request) {
	c, a, rec, d, ok := s.loadRecord(w, r, "")
	if !ok {
		return
	}
	version, ok := s.requireVersion(w, r)
	if !ok {
		return
	}
	recVersion, _ := strconv.ParseInt(r.PostFormValue("record_version"), 10, 64)
	if recVersion == 0 {
		s.fail(w, r, http.StatusBadRequest, errMalformed)
		return
	}
	_, _, err := s.svc.Do(r.Context(), c.ID, version, a, incident.UpdateRecord{RecordID: rec.ID, Version: recVersion, Values: recordPatch(r, d)})
	if err == nil {
		s.flash(r, flashSuccess, "記録を更新しました。", "Record updated.")
		http.Redirect(w, r, fmt.Sprintf("/cases/%d?stage=%s#stage", c.ID, d.Stage), http.StatusSeeOther)
		return
	}
	s.recordWriteFailed(w, r, c.ID, a, rec.ID, d, recordFieldErrors(err, d.Kind))
}

// recordWriteFailed shows the edit page again with the fresh record, the typed input and the
// errors; a stale case or record version shows the conflict.
func (s *Server) recordWriteFailed(w http.ResponseWriter, r *http.Request, caseID int64, a incident.Actor, rid int64, d incident.RecordKindDef, err error) {
	status, ue, ok := domainError(err)
	if !ok {
		s.serverError(w, r, err)
		return
	}
	fresh, gerr := s.store.GetCase(r.Context(), caseID)
	if gerr != nil {
		s.serverError(w, r, gerr)
		return
	}
	errs := map[string]string{}
	lang := s.lang(r)
	for _, fe := range ue.Fields {
		errs[fe.Field] = pick(lang, fe.JA, fe.EN)
	}
	conflict := status == http.StatusConflict
	if !conflict {
		s.flashNow(r, pick(lang, ue.JA, ue.EN))
	}
	s.renderRecordEdit(w, r, status, fresh, a, fresh.Record(rid), d, r.PostForm, errs, conflict)
}

func (s *Server) postRecordWithdraw(w http.ResponseWriter, r *http.Request) {
	c, a, rec, d, ok := s.loadRecord(w, r, "")
	if !ok {
		return
	}
	version, ok := s.requireVersion(w, r)
	if !ok {
		return
	}
	_, _, err := s.svc.Do(r.Context(), c.ID, version, a, incident.WithdrawRecord{RecordID: rec.ID, Reason: r.PostFormValue("reason")})
	if err == nil {
		s.flash(r, flashSuccess, "記録を取り下げました（履歴には残ります）。", "Record withdrawn (it stays in the history).")
		http.Redirect(w, r, fmt.Sprintf("/cases/%d?stage=%s#stage", c.ID, d.Stage), http.StatusSeeOther)
		return
	}
	s.recordWriteFailed(w, r, c.ID, a, rec.ID, d, err)
}

// --- evidence files ---

func (s *Server) postEvidence(w http.ResponseWriter, r *http.Request) {
	c, a, ok := s.loadCase(w, r, "")
	if !ok {
		return
	}
	version, ok := s.requireVersion(w, r)
	if !ok {
		return
	}
	stage := incident.Stage(r.PostFormValue("stage"))
	if !stage.Valid() {
		s.fail(w, r, http.StatusBadRequest, errMalformed)
		return
	}
	// Who may attach is decided before the file is looked at: an auditor gets 403, not a type error.
	if err := incident.CanWriteStage(a, c, stage); err != nil {
		s.failErr(w, r, err)
		return
	}
	up, ok := s.readEvidenceUpload(w, r)
	if !ok {
		return
	}
	_, ev, err := s.svc.AttachEvidence(r.Context(), c.ID, version, a, stage, up.name, up.contentType, r.PostFormValue("note"), up.data)
	if err != nil {
		s.caseWriteFailed(w, r, c.ID, version, a, stage, err)
		return
	}
	s.flash(r, flashSuccess, "ファイルを添付しました（SHA-256: "+ev.SHA256+"）。", "File attached (SHA-256: "+ev.SHA256+").")
	http.Redirect(w, r, fmt.Sprintf("/cases/%d?stage=%s#stage", c.ID, stage), http.StatusSeeOther)
}

// evidenceUpload is the file part of an evidence form, read and checked.
type evidenceUpload struct {
	name, contentType string
	data              []byte
}

// readEvidenceUpload reads the "file" part of an evidence upload (page and API) — at most one byte
// past the limit, enough to know it is too large without holding more — and checks its size and
// type (CheckEvidence). It answers the error itself (422, or 413 when too large) and reports false.
func (s *Server) readEvidenceUpload(w http.ResponseWriter, r *http.Request) (evidenceUpload, bool) {
	file, hdr, err := r.FormFile("file")
	if err != nil {
		s.fail(w, r, http.StatusUnprocessableEntity, errEvidenceEmpty)
		return evidenceUpload{}, false
	}
	defer file.Close()
	limit := s.evidenceLimit()
	data, err := readUpload(file, hdr.Size, limit)
	if err != nil {
		s.serverError(w, r, fmt.Errorf("web: read evidence upload: %w", err))
		return evidenceUpload{}, false
	}
	ctype, cerr := CheckEvidence(hdr.Filename, data, limit)
	if cerr != nil {
		ue := cerr.(*uiError)
		status := http.StatusUnprocessableEntity
		if ue.Code == "too_large" {
			status = http.StatusRequestEntityTooLarge
		}
		s.fail(w, r, status, ue)
		return evidenceUpload{}, false
	}
	return evidenceUpload{name: path.Base(hdr.Filename), contentType: ctype, data: data}, true
}

// getEvidence sends one file. Every download is written to the access log (the custody log) in
// the same transaction as the read, with the file's hash, which is recomputed first.
func (s *Server) getEvidence(w http.ResponseWriter, r *http.Request) {
	c, a, ok := s.loadCase(w, r, "")
	if !ok {
		return
	}
	eid, err := strconv.ParseInt(chi.URLParam(r, "eid"), 10, 64)
	ev := c.EvidenceByID(eid)
	if err != nil || ev == nil {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return
	}
	if !incident.CanSeeStageContents(a, c, ev.Stage) {
		s.fail(w, r, http.StatusForbidden, errForbidden)
		return
	}
	f, err := s.store.Evidence(r.Context(), c.ID, eid, a.UserID)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	// Always a download, never rendered inline: the bytes are evidence, not page content; the digest
	// is the one stored at upload.
	writeDownload(w, download{Name: f.Name, ContentType: f.ContentType, Body: f.Data, SHA256: f.SHA256})
}

// --- JSON API ---

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

// apiGetRecords lists the records and files the caller may see (?stage= narrows to one stage).
func (s *Server) apiGetRecords(w http.ResponseWriter, r *http.Request) {
	c, a, ok := s.loadCase(w, r, "api_records")
	if !ok {
		return
	}
	stage := incident.Stage(r.URL.Query().Get("stage"))
	if stage != "" && !stage.Valid() {
		s.fail(w, r, http.StatusBadRequest, &uiError{Code: "invalid", JA: "stage の値が正しくありません。", EN: "Unknown stage."})
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
	c, a, ok := s.loadCase(w, r, "")
	if !ok {
		return
	}
	version, ok := s.requireVersion(w, r)
	if !ok {
		return
	}
	var in apiNewRecord
	if status, ue := decodeJSON(r, &in); ue != nil {
		s.fail(w, r, status, ue)
		return
	}
	nc, _, err := s.svc.Do(r.Context(), c.ID, version, a, incident.AddRecord{Kind: incident.RecordKind(in.Kind), Values: in.Values})
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	rec := nc.Records[len(nc.Records)-1]
	w.Header().Set("ETag", strconv.FormatInt(nc.Version, 10))
	w.Header().Set("Location", fmt.Sprintf("/api/v1/cases/%d/records/%d", nc.ID, rec.ID))
	writeJSON(w, http.StatusCreated, toAPIRecord(rec, s.now()))
}

type apiRecordPatch struct {
	Values         map[string]any `json:"values"`
	RecordVersion  int64          `json:"record_version"`
	WithdrawReason string         `json:"withdraw_reason"`
}

// apiPatchRecord applies a merge patch to a record's values, or withdraws it with a reason;
// If-Match (the case version) is required, record_version optionally pins the record's own version.
func (s *Server) apiPatchRecord(w http.ResponseWriter, r *http.Request) {
	c, a, rec, _, ok := s.loadRecord(w, r, "")
	if !ok {
		return
	}
	version, ok := s.requireVersion(w, r)
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
func recordEventLines(e incident.Event, lang string, restricted bool) []string {
	p := e.Payload
	str := func(k string) string { v, _ := p[k].(string); return v }
	st := incident.Stage(str("stage"))
	d, _ := incident.LookupRecordKind(incident.RecordKind(str("kind")))
	head := pick(lang, st.LabelJA(), st.LabelEN())
	if e.Type == incident.EventEvidenceAttached {
		head += " / " + pick(lang, "証跡ファイル", "evidence file")
	} else {
		head += " / " + pick(lang, d.LabelJA, d.LabelEN) + " #" + fmt.Sprint(p["record_id"])
	}
	lines := []string{head}
	if incident.RestrictedRecordEvent(e) && !restricted {
		return append(lines, pick(lang, "（閲覧権限がありません）", "(restricted)"))
	}
	switch e.Type {
	case incident.EventRecordAdded:
		vals, _ := p["values"].(map[string]any)
		for _, f := range d.Fields {
			if v, ok := vals[f.Name]; ok {
				lines = append(lines, pick(lang, f.LabelJA, f.LabelEN)+": "+shortValue(v))
			}
		}
	case incident.EventRecordUpdated:
		list, _ := p["changes"].([]any)
		for _, x := range list {
			m, _ := x.(map[string]any)
			name, _ := m["field"].(string)
			label := name
			if f, ok := d.Field(name); ok {
				label = pick(lang, f.LabelJA, f.LabelEN)
			}
			lines = append(lines, fmt.Sprintf("%s: %s → %s", label, shortValue(m["old"]), shortValue(m["new"])))
		}
	case incident.EventRecordWithdrawn:
		lines = append(lines, pick(lang, "理由", "Reason")+": "+str("reason"))
	case incident.EventEvidenceAttached:
		lines = append(lines, fmt.Sprintf("%s (%v B) SHA-256: %s", str("name"), p["size"], str("sha256")))
	}
	return lines
}

// auditRecordRows lists the records and files of the case as replayed to a point, for the
// auditor desk's "as of" view (restricted kinds only for viewers who may see them).
func auditRecordRows(a incident.Actor, c *incident.Case, lang string) []view.AuditLabelValue {
	var out []view.AuditLabelValue
	for _, r := range incident.VisibleRecords(a, c, "") {
		d, _ := incident.LookupRecordKind(r.Kind)
		label := fmt.Sprintf("%s / %s #%d", pick(lang, r.Stage.LabelJA(), r.Stage.LabelEN()), pick(lang, d.LabelJA, d.LabelEN), r.ID)
		var parts []string
		for _, cell := range recordCells(d, r, lang) {
			parts = append(parts, cell.Label+": "+cell.Value)
		}
		value := strings.Join(parts, "、")
		if r.Withdrawn {
			value = pick(lang, "【取下げ: ", "[withdrawn: ") + r.WithdrawReason + pick(lang, "】", "] ") + value
		}
		out = append(out, view.AuditLabelValue{Key: fmt.Sprintf("record-%d", r.ID), Label: label, Value: value})
	}
	for _, e := range incident.VisibleEvidence(a, c, "") {
		out = append(out, view.AuditLabelValue{Key: fmt.Sprintf("evidence-%d", e.ID),
			Label: fmt.Sprintf("%s / %s", pick(lang, e.Stage.LabelJA(), e.Stage.LabelEN()), pick(lang, "証跡ファイル", "Evidence file")),
			Value: fmt.Sprintf("%s (%d B) SHA-256: %s", e.Name, e.Size, e.SHA256)})
	}
	return out
}
