package incident

import (
	"slices"
	"strconv"
	"strings"
)

// Filings and documents need their own approval (domain.md §5.2(6), §5.3):
// finalising an outgoing document — the Commission 速報/確報, the notice to
// individuals, the 公表文, the warning letter — is a request of kind
// KindFinalise that goes through the same machinery as every other request
// (route of slots, segregation, reasons, deputies). The version asked for
// is frozen when the request is made (its SHA-256 is in the request), so
// the approvers stamp exactly the text that leaves the company; a send-back
// leaves that version frozen and unapproved, and the next edit starts a new
// version. Nobody who saved the version (an editor) may approve it. A
// filing time (FilingFacts) can only be recorded while an approved version
// of the matching document exists, and the facts_changed event names it.

// KindFinalise asks for a document version to be approved as final.
const KindFinalise RequestKind = "finalise_document"

// DocKind names an outgoing document (the same strings as documents.Kind).
type DocKind string

// Document kinds.
const (
	DocReportPrelim  DocKind = "report_prelim"  // 個人情報保護委員会への報告（速報）
	DocReportFinal   DocKind = "report_final"   // 同（確報）
	DocNotice        DocKind = "notice"         // 本人への通知
	DocAnnouncement  DocKind = "announcement"   // 公表文
	DocWarningLetter DocKind = "warning_letter" // 警告書（内容証明郵便）
)

// LabelJA returns the Japanese name of the document kind.
func (k DocKind) LabelJA() string {
	switch k {
	case DocReportPrelim:
		return "個人情報保護委員会への報告（速報）"
	case DocReportFinal:
		return "個人情報保護委員会への報告（確報）"
	case DocNotice:
		return "本人への通知"
	case DocAnnouncement:
		return "公表文"
	case DocWarningLetter:
		return "警告書（内容証明郵便）"
	}
	return string(k)
}

// DocRef names the document version a finalisation request is about: the
// stored row (ID, Version), the SHA-256 (hex) of the frozen text, and every
// user who saved the version (makers, who may not approve it).
type DocRef struct {
	Kind    DocKind `json:"kind"`
	ID      int64   `json:"document_id"`
	Version int     `json:"version"`
	SHA256  string  `json:"sha256"`
	Editors []int64 `json:"editors"`
}

func (d *DocRef) payload() map[string]any {
	eds := make([]any, len(d.Editors))
	for i, e := range d.Editors {
		eds[i] = e
	}
	return map[string]any{"kind": string(d.Kind), "document_id": d.ID, "version": int64(d.Version), "sha256": d.SHA256, "editors": eds}
}

func docRefOf(p map[string]any) *DocRef {
	if p == nil {
		return nil
	}
	d := &DocRef{Kind: DocKind(pStr(p, "kind")), ID: pInt(p, "document_id"), Version: int(pInt(p, "version")), SHA256: pStr(p, "sha256")}
	if xs, ok := p["editors"].([]any); ok {
		for _, x := range xs {
			if n, ok := toInt64(x); ok {
				d.Editors = append(d.Editors, n)
			}
		}
	}
	return d
}

// DocumentRule gives the approval slots of finalising one document kind: the
// document-kind rows of the approval policy (domain.md §5.3).
type DocumentRule struct {
	Doc   DocKind
	Slots []Slot
}

func compensationOffered(c *Case) bool {
	f := c.Facts.Str("compensation_form")
	return f != "" && f != "none"
}

// DocumentPolicy returns the document-kind rows of the default rule set's
// approval policy.
func DocumentPolicy() []DocumentRule { return DefaultRules().DocumentPolicy() }

// DocKinds lists the document kinds.
var DocKinds = []DocKind{DocReportPrelim, DocReportFinal, DocNotice, DocAnnouncement, DocWarningLetter}

// RequiredDocumentSlots returns the slots required to finalise a document
// of kind k on c now, in route order; ok is false for an unknown kind.
func RequiredDocumentSlots(k DocKind, c *Case) ([]RequiredSlot, bool) {
	r, ok := c.Rules().documentRule(k)
	if !ok {
		return nil, false
	}
	return requiredOf(r.Slots, c), true
}

// RequestSlots returns the slots r needs on c now: its document's row for
// a finalisation, its (kind, stage) row otherwise.
func RequestSlots(r *Request, c *Case) ([]RequiredSlot, bool) {
	if r.Kind == KindFinalise {
		if r.Doc == nil {
			return nil, false
		}
		return RequiredDocumentSlots(r.Doc.Kind, c)
	}
	return RequiredSlots(r.Kind, r.Stage, c)
}

// CanPrepareDocuments reports whether a may draft, edit and ask for the
// finalisation of c's documents: general-affairs staff, managers and the
// privacy officer, not auditors, not users involved in the incident.
func CanPrepareDocuments(a Actor, c *Case) error {
	if c != nil && c.Version > 0 && c.Status != StatusOpen {
		return Conflict("この案件は終了しています。", "the case is closed")
	}
	if a.Has(RoleAuditor) {
		return errAuditorReadOnly
	}
	if c != nil && c.Involved[a.UserID] {
		return errInvolved
	}
	if !(a.Has(RoleStaff) || a.Has(RoleManager) || a.Has(RolePrivacyOfficer)) {
		return Forbidden("文書の作成・確定の申請は総務部の担当者・部長又は個人情報保護管理者が行います。",
			"documents are prepared by general-affairs staff, managers or the privacy officer")
	}
	return nil
}

// checkFinaliseRequest validates a finalisation request.
func (d *decider) checkFinaliseRequest(cmd SubmitRequest) error {
	if cmd.Stage != "" {
		return Invalid("文書の確定申請には段階を指定しません。", "a document request has no stage",
			FieldError{Field: "stage", JA: "指定できません。", EN: "must be empty"})
	}
	doc := cmd.Doc
	if doc == nil || doc.ID <= 0 || doc.Version < 1 || strings.TrimSpace(doc.SHA256) == "" {
		return Invalid("確定する文書の版を指定してください。", "name the document version to finalise",
			FieldError{Field: "doc_version", JA: "確定する文書の版を指定してください。", EN: "required"})
	}
	if _, ok := d.sim.Rules().documentRule(doc.Kind); !ok {
		return Invalid("文書の種類が正しくありません。", "unknown document kind",
			FieldError{Field: "kind", JA: "文書の種類が正しくありません。", EN: "unknown document kind"})
	}
	if err := CanPrepareDocuments(d.actor, d.sim); err != nil {
		return err
	}
	if p := d.sim.PendingDocumentRequest(doc.Kind); p != nil {
		return Conflict("「"+doc.Kind.LabelJA()+"」の確定は既に承認待ちです（第"+strconv.Itoa(p.Doc.Version)+"版）。",
			"a finalisation of this document already awaits approval")
	}
	return nil
}

// PendingDocumentRequest returns the pending finalisation request of a
// document kind, or nil.
func (c *Case) PendingDocumentRequest(k DocKind) *Request {
	for _, r := range c.Requests {
		if r.Kind == KindFinalise && r.State == RequestPending && r.Doc != nil && r.Doc.Kind == k {
			return r
		}
	}
	return nil
}

// DocumentRequest returns the latest finalisation request of document
// version (k, version), or nil.
func (c *Case) DocumentRequest(k DocKind, version int) *Request {
	for i := len(c.Requests) - 1; i >= 0; i-- {
		r := c.Requests[i]
		if r.Kind == KindFinalise && r.Doc != nil && r.Doc.Kind == k && r.Doc.Version == version {
			return r
		}
	}
	return nil
}

// ApprovedDocument returns the approved finalisation request of the newest
// approved version of document kind k, or nil when no version is approved.
func (c *Case) ApprovedDocument(k DocKind) *Request {
	var best *Request
	for _, r := range c.Requests {
		if r.Kind == KindFinalise && r.State == RequestApproved && r.Doc != nil && r.Doc.Kind == k {
			if best == nil || r.Doc.Version > best.Doc.Version {
				best = r
			}
		}
	}
	return best
}

// FilingFacts maps each filing time to the document it files: the time can
// be recorded only while an approved version of that document exists.
var FilingFacts = map[string]DocKind{
	"prelim_submitted_at": DocReportPrelim,
	"final_submitted_at":  DocReportFinal,
	"notice_started_at":   DocNotice,
	"published_at":        DocAnnouncement,
}

// filingDocuments checks the filing times among the changes and returns
// what the facts_changed event records about them: for each filing time
// set, the approved document version it files.
func (d *decider) filingDocuments(changes []any) ([]any, error) {
	var out []any
	var fes []FieldError
	for _, ch := range changes {
		m := ch.(map[string]any)
		field, _ := m["field"].(string)
		k, ok := FilingFacts[field]
		if !ok || m["new"] == nil {
			continue
		}
		r := d.sim.ApprovedDocument(k)
		if r == nil {
			fes = append(fes, FieldError{Field: field,
				JA: "「" + k.LabelJA() + "」の確定版が承認されるまで、この日時は記録できません（文書画面で確定を申請し、承認を受けてください）。",
				EN: "record this time only after a final version of the document is approved"})
			continue
		}
		out = append(out, map[string]any{"field": field, "kind": string(k), "document_id": r.Doc.ID,
			"version": int64(r.Doc.Version), "sha256": r.Doc.SHA256, "request_id": r.ID})
	}
	if len(fes) > 0 {
		slices.SortFunc(fes, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
		return nil, Invalid("提出・通知・公表の日時は、承認済みの確定文書があるときだけ記録できます。",
			"a filing time needs an approved final document", fes...)
	}
	return out, nil
}

// Filing is the document a filing time was recorded for.
type Filing struct {
	Field      string  `json:"field"`
	Kind       DocKind `json:"kind"`
	DocumentID int64   `json:"document_id"`
	Version    int     `json:"version"`
	SHA256     string  `json:"sha256"`
	RequestID  int64   `json:"request_id"`
}

func (c *Case) applyFilings(p map[string]any) {
	for _, m := range pList(p, "documents") {
		if c.Filings == nil {
			c.Filings = map[string]Filing{}
		}
		f := Filing{Field: pStr(m, "field"), Kind: DocKind(pStr(m, "kind")), DocumentID: pInt(m, "document_id"),
			Version: int(pInt(m, "version")), SHA256: pStr(m, "sha256"), RequestID: pInt(m, "request_id")}
		c.Filings[f.Field] = f
	}
}

func containsID(ids []int64, id int64) bool { return slices.Contains(ids, id) }

// sameDoc: two requests are rounds of one 稟議 when they are about the same
// document kind (or neither is about a document).
func sameDoc(a, b *DocRef) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Kind == b.Kind
}
