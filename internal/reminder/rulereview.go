package reminder

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/mail"
)

// The rule book's yearly review (issue 16, SEED003 第3条4項; docs/rules.md "Yearly review
// deadline"): the managers (総務部長) and privacy officers (個人情報保護管理者) are mailed 30 and 7
// days before the due date and once when it has passed (incident.RuleReviewOffsetDays). A periodic
// job (hourly, enqueued by River's elected leader, and once when a leader starts) works out the
// deadline and the reminder due now (incident.RuleReviewAt); the store claims (due date, label) in
// rule_review_reminders in the transaction that sends, so each goes out once however often the
// job runs and however many instances run. Approving a version or recording 見直し済み・変更なし
// moves the due date a year on, and the new date's labels start afresh. The mail carries dates and
// the link only: no names, no case.

// RuleReviewArgs is the job's (empty) argument.
type RuleReviewArgs struct{}

// Kind names the job in river_job.
func (RuleReviewArgs) Kind() string { return "leakdesk_rule_review_reminder" }

type ruleReviewWorker struct {
	river.WorkerDefaults[RuleReviewArgs]
	s *Service
}

func (w *ruleReviewWorker) Work(ctx context.Context, _ *river.Job[RuleReviewArgs]) error {
	_, err := w.s.RemindRuleReview(ctx)
	return err
}

// ruleReviewJob is the periodic job (every interval, default an hour: a reminder is a day's
// matter, and the claim makes running it often harmless).
func ruleReviewJob(every time.Duration) *river.PeriodicJob {
	if every <= 0 {
		every = time.Hour
	}
	return river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return RuleReviewArgs{}, &river.InsertOpts{Queue: Queue} },
		&river.PeriodicJobOpts{RunOnStart: true})
}

// RemindRuleReview sends the yearly review's reminder that is due now, once: it returns the label
// it sent ("30d", "7d", "overdue"), or "" when none is due, it went out already, or nobody holds
// either role. A send error is returned for River to retry; nothing is recorded then.
func (s *Service) RemindRuleReview(ctx context.Context) (string, error) {
	now := s.now()
	last, base, err := s.store.RuleReviewClock(ctx)
	if err != nil {
		return "", err
	}
	r := incident.RuleReviewAt(last, base, now)
	label := r.Reminder(incident.RuleReviewOffsetDays)
	if label == "" {
		return "", nil
	}
	msg := ruleReviewMessage(s.cfg.BaseURL, r, label)
	sent, n, err := s.store.SendRuleReviewReminderOnce(ctx, r.DueOn, label, now, func(ctx context.Context, to []string) error {
		msg.To = to
		if err := s.sender.Send(ctx, msg); err != nil {
			// Logged without the addresses.
			s.log.Warn("rule review reminder not sent, will retry", "due_on", r.DueOn.Format(time.DateOnly), "reminder", label, "err", err)
			return fmt.Errorf("reminder: rule review mail: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if !sent {
		return "", nil
	}
	s.log.Info("rule review reminder sent", "due_on", r.DueOn.Format(time.DateOnly), "reminder", label, "recipients", n)
	return label, nil
}

// ruleReviewMessage is the reminder text, Japanese first: the due date, how long is left or
// overdue, what meets the deadline and the link to /rules. No personal data.
func ruleReviewMessage(base string, r incident.RuleReview, label string) mail.Message {
	link := strings.TrimRight(base, "/") + "/rules"
	due := r.DueOn.Format("2006-01-02")
	var stateJA, stateEN string
	if label == incident.RuleReviewLabelOverdue {
		stateJA = fmt.Sprintf("期限を過ぎています（%d日超過）", -r.DaysLeft)
		stateEN = fmt.Sprintf("is overdue (%d days)", -r.DaysLeft)
	} else {
		stateJA = fmt.Sprintf("期限まで残り%d日です", r.DaysLeft)
		stateEN = fmt.Sprintf("is due in %d days", r.DaysLeft)
	}
	sinceJA, sinceEN := "前回の承認・見直し", "the last approval or review"
	if r.FromBase {
		sinceJA, sinceEN = "規程ルールセットの導入（見直しの記録なし）", "the rule book's installation (no review recorded yet)"
	}
	since := incident.JSTDate(r.Since).Format("2006-01-02")
	subject := fmt.Sprintf("【leakdesk】規程の年次見直し: %s / Yearly rule review: %s", stateJA, stateEN)
	var b strings.Builder
	fmt.Fprintf(&b, "規程（ルールセット）の年次見直し（SEED003 第3条4項）は%s。\n", stateJA)
	fmt.Fprintf(&b, "期限: %s（日本時間の当日中）\n", due)
	fmt.Fprintf(&b, "起算日: %s（%s）\n", since, sinceJA)
	b.WriteString("対応する人: 総務部長・個人情報保護管理者\n")
	b.WriteString("新しい版を起案して二人が承認するか、「見直し済み・変更なし」を記録すると、期限は1年後に移ります。\n")
	fmt.Fprintf(&b, "規程ルールセットを開く: %s\n\n", link)
	fmt.Fprintf(&b, "The yearly review of the rule book (SEED003 art. 3(4)) %s.\n", stateEN)
	fmt.Fprintf(&b, "Due: %s (by the end of the day, Japan time)\n", due)
	fmt.Fprintf(&b, "Counted from: %s (%s)\n", since, sinceEN)
	b.WriteString("Who acts: the head of general affairs and the privacy officer\n")
	b.WriteString("Approving a new version (both approvers) or recording \"reviewed, unchanged\" moves the deadline a year on.\n")
	fmt.Fprintf(&b, "Open the rule book: %s\n", link)
	b.WriteString("\n-- \nleakdesk（このメールには個人情報を含めていません / this message contains no personal data）\n")
	return mail.Message{Subject: subject, Text: b.String()}
}
