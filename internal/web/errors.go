package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// uiError is an error the user may read: a stable code for the API and the message in both
// languages. Internal errors never become uiErrors; they are logged and shown as "内部エラー".
type uiError struct {
	Code   string
	JA, EN string
	Fields []fieldError
}

type fieldError struct {
	Field string `json:"field"`
	JA    string `json:"-"`
	EN    string `json:"-"`
	// Pointer, with InDocument, places the problem inside a submitted document (a rule set) by its
	// JSON Pointer ("" is the whole document); Field then names the document's field.
	Pointer    string `json:"-"`
	InDocument bool   `json:"-"`
}

func (e *uiError) Error() string { return e.Code + ": " + e.EN }

var (
	errUnauthenticated = &uiError{Code: "unauthenticated", JA: "ログインが必要です。認証情報がないか、有効期限が切れています。", EN: "Authentication required: credentials are missing or expired."}
	errForbidden       = &uiError{Code: "forbidden", JA: "この操作を行う権限がありません。", EN: "You are not allowed to do this."}
	errCSRF            = &uiError{Code: "csrf", JA: "フォームの有効期限が切れたか、不正な送信元からのリクエストです。ページを読み込み直してから、もう一度操作してください。", EN: "The form expired or the request came from another site. Reload the page and try again."}
	errTooLarge        = &uiError{Code: "too_large", JA: "送信されたデータが大きすぎます。", EN: "The request body is too large."}
	errMalformed       = &uiError{Code: "malformed", JA: "リクエストの形式が正しくありません。", EN: "The request is malformed."}
	errNotFound        = &uiError{Code: "not_found", JA: "お探しのページまたはデータは見つかりませんでした。", EN: "The page or record was not found."}
	errMethod          = &uiError{Code: "method_not_allowed", JA: "この操作はこのアドレスでは使えません。", EN: "Method not allowed."}
	errNotReady        = &uiError{Code: "not_ready", JA: "システムの準備ができていません（データベースに接続できないか、更新中です）。しばらくしてから再度お試しください。", EN: "The service is not ready (database unreachable or being upgraded). Please try again shortly."}
	errInternal        = &uiError{Code: "internal", JA: "内部エラーが発生しました。問い合わせ番号を添えて管理者に連絡してください。", EN: "An internal error occurred. Please contact the administrator with the request ID."}
	errBusy            = &uiError{Code: "busy", JA: "混み合っているため処理を完了できませんでした（何も変更されていません）。数秒後にもう一度お試しください。", EN: "The server is busy and did not complete the request (nothing was changed). Please try again in a few seconds."}
	errConflict        = &uiError{Code: "conflict", JA: "他の人が先に更新しました。最新の内容を確認してからやり直してください。", EN: "Someone else changed this first. Review the latest version and try again."}
)

// problem is an RFC 9457 problem document.
type problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail"`
	Code      string         `json:"code"`
	RequestID string         `json:"request_id,omitempty"`
	Errors    []problemField `json:"errors,omitempty"`
	Extra     map[string]any `json:"-"`
}

type problemField struct {
	Field   string `json:"field"`
	Pointer string `json:"pointer,omitempty"` // the JSON Pointer inside the field's document (a rule set's problems)
	Message string `json:"message"`
}

// fail answers with e: problem+json on the API, the error page otherwise.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, e *uiError) {
	lang := s.lang(r)
	msg := e.JA
	if lang == "en" {
		msg = e.EN
	}
	if isAPI(r) {
		p := problem{
			Type: "/api/problems/" + e.Code, Title: http.StatusText(status), Status: status,
			Detail: msg, Code: e.Code, RequestID: requestID(r.Context()),
		}
		for _, f := range e.Fields {
			m := f.JA
			if lang == "en" {
				m = f.EN
			}
			p.Errors = append(p.Errors, problemField{Field: f.Field, Pointer: f.Pointer, Message: m})
		}
		writeJSONType(w, status, "application/problem+json", p)
		return
	}
	title := map[bool]string{true: "エラー", false: "Error"}[lang != "en"]
	switch status {
	case http.StatusNotFound:
		title = pick(lang, "ページが見つかりません", "Not found")
	case http.StatusForbidden:
		title = pick(lang, "権限がありません", "Forbidden")
	case http.StatusServiceUnavailable:
		title = pick(lang, "ただいま利用できません", "Unavailable")
	}
	s.renderErrorPage(w, r, status, title, msg)
}

// serverError logs err with the request ID and shows the plain internal-error message.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	// A database that is down or restarting is not a bug: the readiness check notices it within
	// seconds, and until then a request that hits it gets what requireReady would answer (503,
	// Retry-After) so clients retry instead of reporting an internal error. Nothing was written:
	// each change is one transaction.
	if store.Unavailable(err) {
		s.log.Warn("database unavailable", "request_id", requestID(r.Context()), "err", err)
		w.Header().Set("Retry-After", "5")
		s.fail(w, r, http.StatusServiceUnavailable, errNotReady)
		return
	}
	// A lock, statement or idle-transaction timeout (or a broken deadlock) rolled the transaction
	// back: the same request may succeed in a moment.
	if store.Busy(err) {
		s.log.Warn("database busy", "request_id", requestID(r.Context()), "err", err)
		w.Header().Set("Retry-After", "2")
		s.fail(w, r, http.StatusServiceUnavailable, errBusy)
		return
	}
	s.log.Error("internal error", "request_id", requestID(r.Context()), "err", err)
	s.fail(w, r, http.StatusInternalServerError, errInternal)
}

// renderError is for failures outside the normal handler flow (session store down).
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, ja, en string) {
	s.fail(w, r, status, &uiError{Code: "error", JA: ja, EN: en})
}

func (s *Server) renderErrorPage(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	p := s.basePage(r, title)
	var buf bytes.Buffer
	if err := view.Layout(p, view.ErrorPage(p, status, msg, requestID(r.Context()))).Render(r.Context(), &buf); err != nil {
		http.Error(w, msg, status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func pick(lang, ja, en string) string {
	if lang == "en" {
		return en
	}
	return ja
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONType(w, status, "application/json; charset=utf-8", v)
}

func writeJSONType(w http.ResponseWriter, status int, ctype string, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"title":"internal error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// decodeJSON reads one JSON value into v, refusing unknown fields, trailing data and oversize bodies.
// The value's validate tags are then checked (422 with field errors). It returns a uiError with the
// right status for the caller to pass to fail.
func decodeJSON(r *http.Request, v any) (int, *uiError) {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return http.StatusRequestEntityTooLarge, errTooLarge
		}
		return http.StatusBadRequest, &uiError{Code: "malformed", JA: "JSONの形式が正しくありません: " + jsonErrorHint(err), EN: "Malformed JSON: " + jsonErrorHint(err)}
	}
	if dec.More() {
		return http.StatusBadRequest, &uiError{Code: "malformed", JA: "JSONの後に余分なデータがあります。", EN: "Unexpected data after the JSON value."}
	}
	if fields := checkInput(v); len(fields) > 0 {
		return http.StatusUnprocessableEntity, invalidInput(fields)
	}
	return 0, nil
}

// jsonErrorHint describes a decoding error without echoing the input back.
func jsonErrorHint(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error at byte " + itoa64(se.Offset)
	case errors.As(err, &te):
		return "field " + te.Field + " has the wrong type"
	case err.Error() == "EOF":
		return "empty body"
	}
	if len(err.Error()) < 120 {
		return err.Error()
	}
	return "invalid"
}

// fieldErrors folds a failed command's field errors into a form's errs (the page then shows the form
// again with them) and reports true; any other failure is answered here (its status, or 500) and it
// reports false. The new-case and first-report forms use it.
func (s *Server) fieldErrors(w http.ResponseWriter, r *http.Request, err error, errs map[string]string) bool {
	status, ue, ok := domainError(err)
	if !ok {
		s.serverError(w, r, err)
		return false
	}
	if len(ue.Fields) == 0 || status != http.StatusUnprocessableEntity {
		s.fail(w, r, status, ue)
		return false
	}
	lang := s.lang(r)
	for _, fe := range ue.Fields {
		errs[fe.Field] = pick(lang, fe.JA, fe.EN)
	}
	return true
}
