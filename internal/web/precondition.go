package web

import (
	"net/http"

	"strconv"
	"strings"

	"github.com/leakdesk/leakdesk/internal/incident"
)

// The one precondition rule of every write to a case, page and API alike: the writer sends the
// case version they saw — the form's hidden "version" field, If-Match on the API. Without it the
// write is refused with 428 and nothing is read or written; with a version the case no longer has,
// the command answers 409 (store.UpdateCase, or casework.ApproveAt for a decision on a request).
// TestPrecondition_EveryCaseWrite enumerates the routes that must call requireVersion.

var (
	errIfMatch = &uiError{Code: "precondition_required", JA: "If-Match ヘッダー（案件の版）が必要です。", EN: "The If-Match header (the case version) is required."}
	// errNoVersion is the page's form of errIfMatch: a form that lost its hidden version.
	errNoVersion = &uiError{Code: "precondition_required", JA: "案件の版が送られていません。画面を読み込み直してから、もう一度操作してください。",
		EN: "The case version was not sent. Reload the page and try again."}
)

// writeTarget is the start of every write to a case: the case, read as loadCase reads it (404/403),
// and the version the write is made at (428 without one). False: the answer is written.
func (s *Server) writeTarget(w http.ResponseWriter, r *http.Request) (*incident.Case, incident.Actor, int64, bool) {
	c, a, ok := s.loadCase(w, r, "")
	if !ok {
		return nil, a, 0, false
	}
	version, ok := s.requireVersion(w, r)
	return c, a, version, ok
}

// recordWriteTarget is writeTarget for a write to one record: the record must exist and its kind
// be visible to the writer (loadRecord) before the version is asked for.
func (s *Server) recordWriteTarget(w http.ResponseWriter, r *http.Request) (*incident.Case, incident.Actor, *incident.Record, incident.RecordKindDef, int64, bool) {
	c, a, rec, d, ok := s.loadRecord(w, r, "")
	if !ok {
		return nil, a, nil, d, 0, false
	}
	version, ok := s.requireVersion(w, r)
	return c, a, rec, d, version, ok
}

// requireVersion returns the case version the write is made at, or answers 428 and returns false.
func (s *Server) requireVersion(w http.ResponseWriter, r *http.Request) (int64, bool) {
	if isAPI(r) {
		if v, ok := parseIfMatch(r); ok {
			return v, true
		}
		s.fail(w, r, http.StatusPreconditionRequired, errIfMatch)
		return 0, false
	}
	if v := formVersion(r); v > 0 {
		return v, true
	}
	s.fail(w, r, http.StatusPreconditionRequired, errNoVersion)
	return 0, false
}

// parseIfMatch reads the case version from If-Match (a bare or quoted number, weak or strong).
func parseIfMatch(r *http.Request) (int64, bool) {
	v := strings.Trim(strings.TrimSpace(r.Header.Get("If-Match")), `"W/`)
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil && n > 0
}

// formVersion reads the form's hidden case version; 0 when it is missing or malformed.
func formVersion(r *http.Request) int64 {
	v, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	return v
}
