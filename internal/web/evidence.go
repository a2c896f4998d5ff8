package web

// Evidence files: the upload (page and API), its checks, and the logged download.

import (
	"archive/zip"
	"bytes"
	"fmt"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/leakdesk/leakdesk/internal/incident"
)

// errEvidenceStage answers an upload without a known stage, on the page and the API alike.
var errEvidenceStage = &uiError{Code: "invalid", JA: "段階を指定してください。", EN: "stage is required.",
	Fields: []fieldError{{Field: "stage", JA: "段階を指定してください。", EN: "unknown stage"}}}

// evidenceStage reads the stage a file is attached to (page form or API multipart): a known stage
// (422 naming the field otherwise) that the writer may write — decided before the file is looked
// at, so an auditor gets 403, not a type error. False: the answer is written.
func (s *Server) evidenceStage(w http.ResponseWriter, r *http.Request, a incident.Actor, c *incident.Case) (incident.Stage, bool) {
	stage := incident.Stage(r.FormValue("stage"))
	if !stage.Valid() {
		s.fail(w, r, http.StatusUnprocessableEntity, errEvidenceStage)
		return "", false
	}
	if err := incident.CanWriteStage(a, c, stage); err != nil {
		s.failErr(w, r, err)
		return "", false
	}
	return stage, true
}

func (s *Server) postEvidence(w http.ResponseWriter, r *http.Request) {
	c, a, version, ok := s.writeTarget(w, r)
	if !ok {
		return
	}
	stage, ok := s.evidenceStage(w, r, a, c)
	if !ok {
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
