package incident

import (
	"errors"
	"fmt"
	"strings"
)

// Code is the closed set of domain error codes. The web layer maps each code
// to one HTTP status in one table; add codes only at the end.
type Code string

// Error codes.
const (
	CodeInvalid        Code = "invalid"         // input is malformed (422)
	CodeNotFound       Code = "not_found"       // no such case or request (404)
	CodeConflict       Code = "conflict"        // the case's state does not allow it now (409)
	CodeForbidden      Code = "forbidden"       // this user may not do it (403)
	CodeUnmetCriteria  Code = "unmet_criteria"  // exit criteria or skip rules not met (422)
	CodeAlreadyDecided Code = "already_decided" // the request was already approved or sent back (409)
	CodeInternal       Code = "internal"        // a bug or corrupt history (500)
)

// FieldError is one problem with one input field.
type FieldError struct {
	Field string `json:"field"`
	JA    string `json:"ja"`
	EN    string `json:"en"`
}

// Missing is one unmet exit criterion or precondition. Item is a fact name,
// a checklist item ID, or a short code such as "owner" or "stage:investigation".
type Missing struct {
	Item string `json:"item"`
	JA   string `json:"ja"`
	EN   string `json:"en"`
}

// Error is the one error type of the domain. JA and EN are safe to show to
// users; Fields and Missing carry details for forms and checklists.
type Error struct {
	Code    Code
	JA      string
	EN      string
	Fields  []FieldError
	Missing []Missing
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "incident: %s: %s", e.Code, e.EN)
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.EN)
	}
	for _, m := range e.Missing {
		fmt.Fprintf(&b, "; missing %s", m.Item)
	}
	return b.String()
}

// ErrorCode returns the code of the *Error in err's chain, CodeInternal for
// any other non-nil error and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

func newErr(code Code, ja, en string) *Error { return &Error{Code: code, JA: ja, EN: en} }

// Invalid returns a CodeInvalid error.
func Invalid(ja, en string, fields ...FieldError) *Error {
	e := newErr(CodeInvalid, ja, en)
	e.Fields = fields
	return e
}

// NotFound returns a CodeNotFound error.
func NotFound(ja, en string) *Error { return newErr(CodeNotFound, ja, en) }

// Conflict returns a CodeConflict error.
func Conflict(ja, en string) *Error { return newErr(CodeConflict, ja, en) }

// Forbidden returns a CodeForbidden error.
func Forbidden(ja, en string) *Error { return newErr(CodeForbidden, ja, en) }

// Unmet returns a CodeUnmetCriteria error listing what is missing.
func Unmet(ja, en string, missing []Missing) *Error {
	e := newErr(CodeUnmetCriteria, ja, en)
	e.Missing = missing
	return e
}

// AlreadyDecided returns a CodeAlreadyDecided error.
func AlreadyDecided(ja, en string) *Error { return newErr(CodeAlreadyDecided, ja, en) }

// Internal returns a CodeInternal error; the message is for logs, users see
// a generic text.
func Internal(format string, args ...any) *Error {
	return newErr(CodeInternal, "内部エラーが発生しました。", fmt.Sprintf(format, args...))
}
