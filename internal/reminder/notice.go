package reminder

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/riverqueue/river"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/mail"
)

// Request notices tell people about an approval request at once, where the waiting reminder only
// nudges after four business hours: when a request is made (or a slot of its route is stamped),
// everyone who may fill the next slot gets a mail; when it is decided, the requester does. The job
// is inserted by the case hook, in the transaction of the request, and sent through the same
// reminders_sent ledger as the reminders, so each notice goes out once across instances.

// Notice kinds.
const (
	NoticeNextSlot = "next_slot" // the people who may fill the request's next open slot
	NoticeDecided  = "decided"   // the requester: approved or sent back
)

// RequestNoticeArgs is one notice about one request. Approvals is the number of stamps when the
// notice was planned: a next-slot notice is stale (nothing sent) once another stamp was added.
type RequestNoticeArgs struct {
	CaseID    int64  `json:"case_id" river:"unique"`
	RequestID int64  `json:"request_id" river:"unique"`
	Notice    string `json:"notice" river:"unique"`
	Approvals int    `json:"approvals" river:"unique"`
}

// Kind is River's job kind.
func (RequestNoticeArgs) Kind() string { return "leakdesk_request_notice" }

type noticeWorker struct {
	river.WorkerDefaults[RequestNoticeArgs]
	s *Service
}

func (w *noticeWorker) Work(ctx context.Context, job *river.Job[RequestNoticeArgs]) error {
	return w.s.workNotice(ctx, job)
}

// noticeJobs plans the notices of the request events among events.
func noticeJobs(s *Service, c *incident.Case, events []incident.Event) []river.InsertManyParams {
	var out []river.InsertManyParams
	add := func(id int64, notice string, approvals int) {
		out = append(out, river.InsertManyParams{
			Args:       RequestNoticeArgs{CaseID: c.ID, RequestID: id, Notice: notice, Approvals: approvals},
			InsertOpts: s.insertOpts(c.UpdatedAt, c.UpdatedAt),
		})
	}
	for _, e := range events {
		id, ok := payloadInt(e.Payload, "request_id")
		if !ok {
			continue
		}
		switch e.Type {
		case incident.EventRequestSubmitted:
			add(id, NoticeNextSlot, 0)
		case incident.EventRequestApproved:
			if final, _ := e.Payload["final"].(bool); final {
				add(id, NoticeDecided, 0)
			} else if r := c.Request(id); r != nil {
				add(id, NoticeNextSlot, len(r.Approvals))
			}
		case incident.EventRequestSentBack:
			add(id, NoticeDecided, 0)
		}
	}
	return out
}

// workNotice sends one request notice at most once.
func (s *Service) workNotice(ctx context.Context, job *river.Job[RequestNoticeArgs]) error {
	a := job.Args
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("reminder: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	c, err := s.store.GetCase(ctx, a.CaseID)
	if err != nil {
		return fmt.Errorf("reminder: read case %d: %w", a.CaseID, err)
	}
	// The slots may depend on the register's totals, as in casework.FillOutside.
	c.Outside.CompensationExecutiveAbove = s.cfg.CompensationExecutiveAbove
	if c.Outside.RegisterCount, c.Outside.RegisterCompensationTotal, err = s.store.RegisterTotals(ctx, a.CaseID); err != nil {
		return err
	}
	r := c.Request(a.RequestID)
	skip := ""
	switch {
	case r == nil:
		skip = "request not found"
	case a.Notice == NoticeNextSlot && r.State != incident.RequestPending:
		skip = "request decided"
	case a.Notice == NoticeNextSlot && len(r.Approvals) != a.Approvals:
		skip = "stale: stamped since"
	case a.Notice == NoticeDecided && r.State == incident.RequestPending:
		skip = "request not decided"
	}
	if skip != "" {
		s.log.Info("request notice skipped", "job_id", job.ID, "case_id", a.CaseID, "request_id", a.RequestID, "why", skip)
		return completeTx(ctx, tx, job)
	}
	to, err := s.noticeRecipients(ctx, c, r, a.Notice)
	if err != nil {
		return err
	}
	ci := caseInfo{Number: c.Number, Drill: c.Drill, Open: c.Status == incident.StatusOpen, OwnerID: c.OwnerID}
	msg := noticeMessage(s.cfg.BaseURL, c.ID, ci, r, a.Notice)
	label := a.Notice
	if a.Notice == NoticeNextSlot {
		label += ":" + strconv.Itoa(a.Approvals)
	}
	return sendOnceTx(ctx, tx, s, job, a.CaseID, "request:"+strconv.FormatInt(a.RequestID, 10), r.RequestedAt, label, ci, to, msg)
}

// noticeRecipients: for the next slot, every active user the domain would let approve the request
// now (incident.CanApprove: the slot's role, not the requester, not an editor of the stage, not
// involved) and every registered deputy who may stamp it now for an absent principal
// (incident.CanApproveAsDeputy: in the registration's period, the same separation rules); for a
// decision, the requester unless disabled or involved since.
func (s *Service) noticeRecipients(ctx context.Context, c *incident.Case, r *incident.Request, notice string) ([]string, error) {
	users, err := s.store.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	deputyOf := map[int64][]int64{} // deputy → principals registered for now
	if notice == NoticeNextSlot {
		dels, err := s.store.ListDelegations(ctx)
		if err != nil {
			return nil, err
		}
		for _, d := range dels {
			if !now.Before(d.From) && now.Before(d.Until) {
				deputyOf[d.DeputyID] = append(deputyOf[d.DeputyID], d.PrincipalID)
			}
		}
	}
	var to []string
	for _, u := range users {
		if u.Disabled {
			continue
		}
		a := incident.Actor{UserID: u.ID, Name: u.Name}
		for _, role := range u.Roles {
			a.Roles = append(a.Roles, incident.Role(role))
		}
		if incident.CanRead(a, c) != nil { // no mail about a case its reader may not open
			continue
		}
		switch notice {
		case NoticeNextSlot:
			if incident.CanApprove(a, r, c) == nil {
				to = append(to, u.Email)
				continue
			}
			for _, pid := range deputyOf[u.ID] {
				dl, err := s.store.DelegationFor(ctx, pid, u.ID, now)
				if err != nil {
					return nil, err
				}
				if dl != nil && incident.CanApproveAsDeputy(a, dl, r, c, now) == nil {
					to = append(to, u.Email)
					break
				}
			}
		case NoticeDecided:
			if u.ID == r.RequestedBy {
				to = append(to, u.Email)
			}
		}
	}
	slices.Sort(to)
	return to, nil
}

// noticeMessage names the case by number, the request by its number and stage, and links to the
// case: no title, names or facts (a title may describe people).
func noticeMessage(base string, caseID int64, ci caseInfo, r *incident.Request, notice string) mail.Message {
	link := strings.TrimRight(base, "/") + "/cases/" + strconv.FormatInt(caseID, 10) + "#requests"
	drillJA, drillEN := "", ""
	if ci.Drill {
		drillJA, drillEN = "【訓練】", "[DRILL] "
	}
	stageJA, stageEN := "案件全体", "whole case"
	if r.Stage != "" {
		stageJA, stageEN = r.Stage.LabelJA(), r.Stage.LabelEN()
	}
	if r.Doc != nil { // a document finalisation: the document's kind and version, never its text
		stageJA = fmt.Sprintf("文書「%s」第%d版の確定", r.Doc.Kind.LabelJA(), r.Doc.Version)
		stageEN = fmt.Sprintf("finalising %s v%d", r.Doc.Kind, r.Doc.Version)
	}
	var whatJA, whatEN string
	switch {
	case notice == NoticeNextSlot:
		whatJA, whatEN = "あなたの承認を待っています", "awaits your approval"
	case r.State == incident.RequestApproved:
		whatJA, whatEN = "承認されました", "was approved"
	case r.State == incident.RequestSentBack:
		whatJA, whatEN = "差し戻されました（コメントは案件の画面で確認してください）", "was sent back (see the comment on the case page)"
	default:
		whatJA, whatEN = "処理されました", "was decided"
	}
	subject := fmt.Sprintf("%s【leakdesk】案件 %s: 承認依頼 %d（%s）が%s / %sCase %s: request %d (%s) %s",
		drillJA, ci.Number, r.ID, stageJA, firstClause(whatJA), drillEN, ci.Number, r.ID, stageEN, firstClause(whatEN))
	var b strings.Builder
	fmt.Fprintf(&b, "%s案件 %s の承認依頼（番号 %d、段階「%s」）が%s。\n", drillJA, ci.Number, r.ID, stageJA, whatJA)
	fmt.Fprintf(&b, "案件を開く: %s\n\n", link)
	fmt.Fprintf(&b, "%sCase %s: request %d (stage %s) %s.\n", drillEN, ci.Number, r.ID, stageEN, whatEN)
	fmt.Fprintf(&b, "Open the case: %s\n", link)
	b.WriteString("\n-- \nleakdesk（このメールには個人情報を含めていません / this message contains no personal data）\n")
	return mail.Message{Subject: subject, Text: b.String()}
}

// firstClause drops a parenthesised hint from a subject line.
func firstClause(s string) string {
	for _, sep := range []string{"（", " ("} {
		if i := strings.Index(s, sep); i > 0 {
			return s[:i]
		}
	}
	return s
}
