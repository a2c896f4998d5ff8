package reminder

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/mail"
)

// DeadlineArgs is one reminder of one deadline. All fields form the unique key.
type DeadlineArgs struct {
	CaseID   int64     `json:"case_id" river:"unique"`
	Deadline string    `json:"deadline" river:"unique"`
	DueAt    time.Time `json:"due_at" river:"unique"`
	Reminder string    `json:"reminder" river:"unique"` // "24h", "2h", ..., "missed"
}

// Kind is River's job kind.
func (DeadlineArgs) Kind() string { return "leakdesk_deadline_reminder" }

// WaitingArgs reminds the approvers of a request still pending after the business-hours wait.
type WaitingArgs struct {
	CaseID    int64     `json:"case_id" river:"unique"`
	RequestID int64     `json:"request_id" river:"unique"`
	DueAt     time.Time `json:"due_at" river:"unique"`
}

// Kind is River's job kind.
func (WaitingArgs) Kind() string { return "leakdesk_request_waiting_reminder" }

type deadlineWorker struct {
	river.WorkerDefaults[DeadlineArgs]
	s *Service
}

func (w *deadlineWorker) Work(ctx context.Context, job *river.Job[DeadlineArgs]) error {
	return w.s.workDeadline(ctx, job)
}

type waitingWorker struct {
	river.WorkerDefaults[WaitingArgs]
	s *Service
}

func (w *waitingWorker) Work(ctx context.Context, job *river.Job[WaitingArgs]) error {
	return w.s.workWaiting(ctx, job)
}

// caseInfo is what a reminder may say about a case: its number, never its contents.
type caseInfo struct {
	Number  string
	Drill   bool
	Open    bool
	OwnerID int64
}

// workDeadline sends one deadline reminder, at most once, inside one transaction: the
// reminders_sent row and the job's completion commit together, after the mail was accepted.
func (s *Service) workDeadline(ctx context.Context, job *river.Job[DeadlineArgs]) error {
	a := job.Args
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("reminder: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()

	var dueAt time.Time
	var metAt *time.Time
	var labelJA, labelEN, due string
	var ci caseInfo
	var owner *int64
	err = tx.QueryRow(ctx, `SELECT d.due_at, d.met_at, d.label_ja, d.label_en, d.due, c.number, c.drill, c.status = 'open', d.owner_id
		FROM case_deadlines d JOIN cases c ON c.id = d.case_id WHERE d.case_id = $1 AND d.kind = $2`, a.CaseID, a.Deadline).
		Scan(&dueAt, &metAt, &labelJA, &labelEN, &due, &ci.Number, &ci.Drill, &ci.Open, &owner)
	now := s.now()
	skip := ""
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		skip = "deadline no longer exists"
	case err != nil:
		return fmt.Errorf("reminder: read deadline: %w", err)
	case !ci.Open:
		skip = "case closed"
	case metAt != nil:
		skip = "deadline met"
	case !dueAt.Equal(a.DueAt):
		skip = "stale: due time changed"
	case a.Reminder == LabelMissed && !now.After(dueAt):
		// Scheduled one second after the due instant; a clock behind the database's runs it early.
		return river.JobSnooze(dueAt.Sub(now) + time.Second)
	case a.Reminder != LabelMissed && !now.Before(dueAt):
		skip = "deadline passed before the reminder ran (the missed reminder covers it)"
	}
	if owner != nil {
		ci.OwnerID = *owner
	}
	if skip != "" {
		s.log.Info("reminder skipped", "job_id", job.ID, "case_id", a.CaseID, "deadline", a.Deadline, "reminder", a.Reminder, "why", skip)
		return s.complete(ctx, tx, job)
	}
	msg := deadlineMessage(s.cfg.BaseURL, a.CaseID, ci, a.Deadline, labelJA, labelEN, due, dueAt, a.Reminder, now)
	return s.sendOnce(ctx, tx, job, a.CaseID, a.Deadline, a.DueAt, a.Reminder, ci, msg)
}

// workWaiting reminds about a request that is still pending after the wait.
func (s *Service) workWaiting(ctx context.Context, job *river.Job[WaitingArgs]) error {
	a := job.Args
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("reminder: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var state, stage string
	var requestedAt time.Time
	var ci caseInfo
	var owner *int64
	err = tx.QueryRow(ctx, `SELECT r.state, r.stage, r.requested_at, c.number, c.drill, c.status = 'open', c.owner_id
		FROM case_requests r JOIN cases c ON c.id = r.case_id WHERE r.id = $1 AND r.case_id = $2`, a.RequestID, a.CaseID).
		Scan(&state, &stage, &requestedAt, &ci.Number, &ci.Drill, &ci.Open, &owner)
	skip := ""
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		skip = "request not found"
	case err != nil:
		return fmt.Errorf("reminder: read request: %w", err)
	case state != "pending":
		skip = "request decided"
	case !ci.Open:
		skip = "case closed"
	}
	if owner != nil {
		ci.OwnerID = *owner
	}
	if skip != "" {
		s.log.Info("reminder skipped", "job_id", job.ID, "case_id", a.CaseID, "request_id", a.RequestID, "why", skip)
		return s.complete(ctx, tx, job)
	}
	msg := waitingMessage(s.cfg.BaseURL, a.CaseID, ci, a.RequestID, stage, requestedAt, s.cfg.WaitingWorkHours)
	return s.sendOnce(ctx, tx, job, a.CaseID, "request:"+strconv.FormatInt(a.RequestID, 10), a.DueAt, LabelWaiting, ci, msg)
}

// sendOnce claims the reminder in reminders_sent, sends the mail and completes the job, all in tx.
// A concurrent claim of the same reminder waits on the primary key until this transaction ends,
// then finds the row and sends nothing. A send error rolls the claim back for River to retry.
func sendOnceTx[T river.JobArgs](ctx context.Context, tx pgx.Tx, s *Service, job *river.Job[T], caseID int64, kind string, dueAt time.Time, label string, ci caseInfo, to []string, msg mail.Message) error {
	tag, err := tx.Exec(ctx, `INSERT INTO reminders_sent (case_id, kind, due_at, reminder, sent_at, recipients, drill, job_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
		caseID, kind, dueAt, label, s.now().UTC(), len(to), ci.Drill, job.ID)
	if err != nil {
		return fmt.Errorf("reminder: claim: %w", err)
	}
	if tag.RowsAffected() == 0 {
		s.log.Info("reminder already sent", "job_id", job.ID, "case_id", caseID, "kind", kind, "reminder", label)
		return completeTx(ctx, tx, job)
	}
	if len(to) == 0 {
		s.log.Warn("reminder has no recipients", "job_id", job.ID, "case_id", caseID, "kind", kind)
	} else {
		msg.To = to
		if err := s.sender.Send(ctx, msg); err != nil {
			// Logged without the addresses; River records the error on the job for /admin/jobs.
			s.log.Warn("reminder mail not sent, will retry", "job_id", job.ID, "case_id", caseID, "attempt", job.Attempt, "err", err)
			return err
		}
	}
	s.log.Info("reminder sent", "job_id", job.ID, "case_id", caseID, "kind", kind, "reminder", label, "recipients", len(to))
	return completeTx(ctx, tx, job)
}

func (s *Service) sendOnce(ctx context.Context, tx pgx.Tx, job any, caseID int64, kind string, dueAt time.Time, label string, ci caseInfo, msg mail.Message) error {
	to, err := recipients(ctx, tx, caseID, ci)
	if err != nil {
		return err
	}
	switch j := job.(type) {
	case *river.Job[DeadlineArgs]:
		return sendOnceTx(ctx, tx, s, j, caseID, kind, dueAt, label, ci, to, msg)
	case *river.Job[WaitingArgs]:
		return sendOnceTx(ctx, tx, s, j, caseID, kind, dueAt, label, ci, to, msg)
	}
	return fmt.Errorf("reminder: unknown job type %T", job)
}

func (s *Service) complete(ctx context.Context, tx pgx.Tx, job any) error {
	switch j := job.(type) {
	case *river.Job[DeadlineArgs]:
		return completeTx(ctx, tx, j)
	case *river.Job[WaitingArgs]:
		return completeTx(ctx, tx, j)
	case *river.Job[RequestNoticeArgs]:
		return completeTx(ctx, tx, j)
	}
	return fmt.Errorf("reminder: unknown job type %T", job)
}

func completeTx[T river.JobArgs](ctx context.Context, tx pgx.Tx, job *river.Job[T]) error {
	if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
		return fmt.Errorf("reminder: complete job: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("reminder: commit: %w", err)
	}
	return nil
}

// recipients are the case handler and every active manager — for a drill, the handler only —
// leaving out anyone recorded as involved in the incident.
func recipients(ctx context.Context, tx pgx.Tx, caseID int64, ci caseInfo) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT u.email FROM users u, cases c
		WHERE c.id = $1 AND u.disabled_at IS NULL
		  AND (u.id = $2 OR (NOT $3 AND 'manager' = ANY(u.roles)))
		  AND NOT (u.id = ANY(c.involved_ids))
		ORDER BY u.id`, caseID, ci.OwnerID, ci.Drill)
	if err != nil {
		return nil, fmt.Errorf("reminder: recipients: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

var reminderText = map[string][2]string{
	LabelMissed: {"期限を過ぎました", "is overdue"},
}

// deadlineMessage is the reminder text: Japanese, then English. It names the case by number only
// and carries no personal data: no names, no facts, no title (a title may describe people).
func deadlineMessage(base string, caseID int64, ci caseInfo, kind, labelJA, labelEN, due string, dueAt time.Time, label string, now time.Time) mail.Message {
	link := strings.TrimRight(base, "/") + "/cases/" + strconv.FormatInt(caseID, 10)
	dueJST := dueAt.In(appi.JST).Format("2006-01-02 15:04") + " JST"
	drillJA, drillEN := "", ""
	if ci.Drill {
		drillJA, drillEN = "【訓練】", "[DRILL] "
	}
	if labelJA == "" {
		labelJA, labelEN = kind, kind
	}
	var whenJA, whenEN string
	if t, ok := reminderText[label]; ok {
		whenJA, whenEN = t[0], t[1]
	} else {
		left := dueAt.Sub(now).Round(time.Minute)
		whenJA = "期限まで残り " + durJA(left)
		whenEN = "is due in " + durEN(left)
	}
	subject := fmt.Sprintf("%s【leakdesk】案件 %s: %s %s / %sCase %s: %s %s", drillJA, ci.Number, labelJA, whenJA, drillEN, ci.Number, labelEN, whenEN)
	var b strings.Builder
	fmt.Fprintf(&b, "%s案件 %s の「%s」は%s。\n", drillJA, ci.Number, labelJA, whenJA)
	fmt.Fprintf(&b, "期限: %s（%s）\n", dueJST, due)
	fmt.Fprintf(&b, "案件を開く: %s\n", link)
	if ci.Drill {
		b.WriteString("この案件は訓練です。担当者にのみ通知しています。\n")
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "%sCase %s: %s %s.\n", drillEN, ci.Number, labelEN, whenEN)
	fmt.Fprintf(&b, "Due: %s (%s)\n", dueJST, due)
	fmt.Fprintf(&b, "Open the case: %s\n", link)
	if ci.Drill {
		b.WriteString("This case is a drill; only its handler is notified.\n")
	}
	b.WriteString("\n-- \nleakdesk（このメールには個人情報を含めていません / this message contains no personal data）\n")
	return mail.Message{Subject: subject, Text: b.String()}
}

func waitingMessage(base string, caseID int64, ci caseInfo, requestID int64, stage string, requestedAt time.Time, wait time.Duration) mail.Message {
	link := strings.TrimRight(base, "/") + "/cases/" + strconv.FormatInt(caseID, 10)
	at := requestedAt.In(appi.JST).Format("2006-01-02 15:04") + " JST"
	drillJA, drillEN := "", ""
	if ci.Drill {
		drillJA, drillEN = "【訓練】", "[DRILL] "
	}
	hours := strconv.FormatFloat(wait.Hours(), 'f', -1, 64)
	subject := fmt.Sprintf("%s【leakdesk】案件 %s: 承認待ちが%s営業時間を超えました / %sCase %s: approval waiting over %s business hours", drillJA, ci.Number, hours, drillEN, ci.Number, hours)
	var b strings.Builder
	fmt.Fprintf(&b, "%s案件 %s の承認依頼（番号 %d、段階 %s）が %s から承認待ちです。\n", drillJA, ci.Number, requestID, stage, at)
	fmt.Fprintf(&b, "案件を開く: %s\n\n", link)
	fmt.Fprintf(&b, "%sCase %s: request %d (stage %s) has been waiting for approval since %s.\n", drillEN, ci.Number, requestID, stage, at)
	fmt.Fprintf(&b, "Open the case: %s\n", link)
	b.WriteString("\n-- \nleakdesk（このメールには個人情報を含めていません / this message contains no personal data）\n")
	return mail.Message{Subject: subject, Text: b.String()}
}

func durJA(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	if h >= 24 {
		return fmt.Sprintf("%d日%d時間", h/24, h%24)
	}
	return fmt.Sprintf("%d時間%d分", h, m)
}

func durEN(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	if h >= 24 {
		return fmt.Sprintf("%dd %dh", h/24, h%24)
	}
	return fmt.Sprintf("%dh %02dm", h, m)
}
