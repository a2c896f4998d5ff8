package audit

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leakdesk/leakdesk/internal/chain"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// Comment kinds.
const (
	KindComment = "comment" // a review comment
	KindSignoff = "signoff" // 監査済み: the review of a scope was completed on a date
)

// Comment is one auditor's review comment or sign-off on a case. It lives beside the case's
// history, in its own hash chain per case (seq 1, 2, ...), and never changes the case.
type Comment struct {
	CaseID      int64     `json:"case_id"`
	Seq         int64     `json:"seq"`
	Kind        string    `json:"kind"`
	AuthorID    int64     `json:"author_id"`
	AuthorName  string    `json:"author_name,omitempty"` // display only, not hashed
	At          time.Time `json:"at"`
	CaseVersion int64     `json:"case_version"` // the case version the auditor was looking at
	Body        string    `json:"body"`
	Scope       string    `json:"scope,omitempty"`       // sign-off: what the review covered
	ReviewedOn  string    `json:"reviewed_on,omitempty"` // sign-off: YYYY-MM-DD (JST)
	PrevHash    []byte    `json:"prev_hash"`
	Hash        []byte    `json:"hash"`
}

// MaxCommentLen is the longest comment body, in characters.
const MaxCommentLen = 10000

// NewComment validates an auditor's input. Errors: CodeInvalid with the fields at fault.
func NewComment(caseID, caseVersion, authorID int64, kind, body, scope, reviewedOn string, at time.Time) (Comment, error) {
	body, scope, reviewedOn = strings.TrimSpace(body), strings.TrimSpace(scope), strings.TrimSpace(reviewedOn)
	var fields []incident.FieldError
	if kind != KindComment && kind != KindSignoff {
		fields = append(fields, incident.FieldError{Field: "kind", JA: "種類が正しくありません。", EN: "unknown kind"})
	}
	if body == "" {
		fields = append(fields, incident.FieldError{Field: "body", JA: "本文を入力してください。", EN: "the text is required"})
	}
	if utf8.RuneCountInString(body) > MaxCommentLen || !utf8.ValidString(body) {
		fields = append(fields, incident.FieldError{Field: "body", JA: fmt.Sprintf("本文は%d文字以内で入力してください。", MaxCommentLen), EN: fmt.Sprintf("at most %d characters", MaxCommentLen)})
	}
	if kind == KindSignoff {
		if scope == "" || utf8.RuneCountInString(scope) > 2000 || !utf8.ValidString(scope) {
			fields = append(fields, incident.FieldError{Field: "scope", JA: "監査の範囲を2000文字以内で入力してください。", EN: "the scope is required (at most 2000 characters)"})
		}
		if _, err := time.ParseInLocation("2006-01-02", reviewedOn, incident.JST()); err != nil {
			fields = append(fields, incident.FieldError{Field: "reviewed_on", JA: "監査日を YYYY-MM-DD で入力してください。", EN: "the review date must be YYYY-MM-DD"})
		}
	} else {
		scope, reviewedOn = "", ""
	}
	if len(fields) > 0 {
		return Comment{}, incident.Invalid("入力内容を確認してください。", "Check the input.", fields...)
	}
	return Comment{CaseID: caseID, CaseVersion: caseVersion, AuthorID: authorID, Kind: kind, Body: body,
		Scope: scope, ReviewedOn: reviewedOn, At: at.UTC()}, nil
}

// Canonical is the canonical JSON the comment's hash covers: everything but the author's display
// name and the hashes themselves.
func (c Comment) Canonical() ([]byte, error) {
	return chain.Canonical(map[string]any{
		"case_id": c.CaseID, "seq": c.Seq, "kind": c.Kind, "author_id": c.AuthorID,
		"at": c.At.UTC().Format(time.RFC3339Nano), "case_version": c.CaseVersion,
		"body": c.Body, "scope": c.Scope, "reviewed_on": c.ReviewedOn,
	})
}

// Link returns the comment as a link of its case's comment chain.
func (c Comment) Link() (chain.Link, error) {
	canon, err := c.Canonical()
	if err != nil {
		return chain.Link{}, err
	}
	return chain.Link{Seq: c.Seq, Canonical: canon, PrevHash: c.PrevHash, Hash: c.Hash}, nil
}

// Chain sets Seq, PrevHash and Hash of c so that it follows prev (nil for the first comment).
func (c Comment) Chain(prev *Comment) (Comment, error) {
	c.Seq, c.PrevHash = 1, chain.GenesisPrev
	if prev != nil {
		c.Seq, c.PrevHash = prev.Seq+1, prev.Hash
	}
	canon, err := c.Canonical()
	if err != nil {
		return c, err
	}
	c.Hash = chain.Hash(c.PrevHash, canon)
	return c, nil
}

// VerifyComments checks one case's comment chain, in stored order; see chain.Verify.
func VerifyComments(cs []Comment) (ok bool, firstBad int64, reason string) {
	links := make([]chain.Link, 0, len(cs))
	for _, c := range cs {
		l, err := c.Link()
		if err != nil {
			return false, c.Seq, "comment cannot be canonicalised"
		}
		links = append(links, l)
	}
	return chain.Verify(links)
}
