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

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/mail"
)

// LabelFirstReport is the reminders_sent label of the alert that a first report came in.
const LabelFirstReport = "first_report"

// FirstReportArgs alerts 総務部 at once that a first report (第一報) opened a case.
type FirstReportArgs struct {
	CaseID int64 `json:"case_id" river:"unique"`
}

// Kind is River's job kind.
func (FirstReportArgs) Kind() string { return "leakdesk_first_report_alert" }

type firstReportWorker struct {
	river.WorkerDefaults[FirstReportArgs]
	s *Service
}

func (w *firstReportWorker) Work(ctx context.Context, job *river.Job[FirstReportArgs]) error {
	return w.s.workFirstReport(ctx, job)
}

// firstReportAlert plans the alert for a case just opened, in its transaction: one job, due now,
// when the case was opened from a first report (store.OpenReportedCase wrote the row before the
// hooks ran), none otherwise.
func firstReportAlert(ctx context.Context, tx pgx.Tx, caseID int64, now time.Time) ([]river.InsertManyParams, error) {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM first_reports WHERE case_id = $1`, caseID).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reminder: first report of case %d: %w", caseID, err)
	}
	return []river.InsertManyParams{{Args: FirstReportArgs{CaseID: caseID}, InsertOpts: &river.InsertOpts{
		Queue: Queue, UniqueOpts: river.UniqueOpts{ByArgs: true},
	}}}, nil
}

// workFirstReport mails every active general-affairs user (staff and managers) not involved in the
// case — and the My Number officer when the reporter ticked My Number — once, like a reminder:
// the reminders_sent row and the job's completion commit with the accepted mail.
func (s *Service) workFirstReport(ctx context.Context, job *river.Job[FirstReportArgs]) error {
	caseID := job.Args.CaseID
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("reminder: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var ci caseInfo
	var channel string
	var receivedAt time.Time
	var myNumber bool
	err = tx.QueryRow(ctx, `SELECT c.number, c.drill, c.status = 'open', f.channel, f.received_at, f.my_number
		FROM first_reports f JOIN cases c ON c.id = f.case_id WHERE f.case_id = $1`, caseID).
		Scan(&ci.Number, &ci.Drill, &ci.Open, &channel, &receivedAt, &myNumber)
	if errors.Is(err, pgx.ErrNoRows) {
		s.log.Info("first-report alert skipped", "job_id", job.ID, "case_id", caseID, "why", "no first report")
		return completeTx(ctx, tx, job)
	}
	if err != nil {
		return fmt.Errorf("reminder: read first report: %w", err)
	}
	// The first-report deadline as the law engine put it in the index in the opening transaction.
	var dueAt *time.Time
	if err := tx.QueryRow(ctx, `SELECT due_at FROM case_deadlines WHERE case_id = $1 AND kind = $2`, caseID, appi.KindFirstInternalReport).
		Scan(&dueAt); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("reminder: read first-report deadline: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT u.email FROM users u, cases c
		WHERE c.id = $1 AND u.disabled_at IS NULL AND u.roles && ARRAY['staff', 'manager']
		  AND NOT (u.id = ANY(c.involved_ids))
		ORDER BY u.id`, caseID)
	if err != nil {
		return fmt.Errorf("reminder: first-report recipients: %w", err)
	}
	to, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("reminder: first-report recipients: %w", err)
	}
	if myNumber {
		to = append(to, s.cfg.MyNumberOfficers...)
	}
	msg := firstReportMessage(s.cfg.BaseURL, caseID, ci.Number, channel, receivedAt, dueAt, myNumber)
	return sendOnceTx(ctx, tx, s, job, caseID, LabelFirstReport, receivedAt, LabelFirstReport, ci, to, msg)
}

// firstReportMessage names the case by number only: no reporter, no description, no data items.
func firstReportMessage(base string, caseID int64, number, channel string, receivedAt time.Time, dueAt *time.Time, myNumber bool) mail.Message {
	link := strings.TrimRight(base, "/") + "/cases/" + strconv.FormatInt(caseID, 10)
	at := receivedAt.In(appi.JST).Format("2006-01-02 15:04") + " JST"
	viaJA, viaEN := "leakdesk の第一報フォーム", "the leakdesk first-report form"
	if channel == "phone" {
		viaJA, viaEN = "電話（総務部が入力）", "phone (entered by general affairs)"
	}
	subject := fmt.Sprintf("【leakdesk】第一報を受け付けました: 案件 %s / First report received: case %s", number, number)
	var b strings.Builder
	fmt.Fprintf(&b, "第一報を受け付けました。案件 %s（受付 %s、経路: %s）\n", number, at, viaJA)
	if dueAt != nil {
		fmt.Fprintf(&b, "総務部への第一報の期限: %s\n", dueAt.In(appi.JST).Format("2006-01-02 15:04")+" JST")
	}
	if myNumber {
		b.WriteString("マイナンバーを含む可能性があるため、事務取扱責任者にも通知しています。\n")
	}
	fmt.Fprintf(&b, "案件を開いて、報告者に連絡してください: %s\n\n", link)
	fmt.Fprintf(&b, "A first report opened case %s (received %s via %s).\n", number, at, viaEN)
	if dueAt != nil {
		fmt.Fprintf(&b, "First internal report due: %s\n", dueAt.In(appi.JST).Format("2006-01-02 15:04")+" JST")
	}
	if myNumber {
		b.WriteString("My Number may be involved: the My Number officer is notified too.\n")
	}
	fmt.Fprintf(&b, "Open the case and contact the reporter: %s\n", link)
	b.WriteString("\n-- \nleakdesk（このメールには個人情報を含めていません / this message contains no personal data）\n")
	return mail.Message{Subject: subject, Text: b.String()}
}
