package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The rule book's yearly review deadline (issue 16, SEED003 第3条4項; incident.RuleReviewAt
// computes it, docs/rules.md "Yearly review deadline"): what it is computed from, for the
// dashboard, and the once-only ledger of its reminders (rule_review_reminders, migration 00160).

// ruleBookMigration is the migration that installed the versioned rule book.
const ruleBookMigration = 160

// RuleReviewClock returns, in one query (the dashboard is performance-tracked, issue 19), when the
// rule book was last approved into force or reviewed unchanged (zero when never; the same as
// LastRuleReview) and the base the first year runs from: when migration 00160 (the versioned rule
// book) was applied — the installation date for an installation that started with it, the
// upgrade date for an older one. That row is written once by `leakdesk migrate up` and the app
// role may not change it (00030 revokes INSERT, UPDATE, DELETE on goose_db_version), so the
// first due date cannot be moved by the application. Zero when the row is absent. goose stores a
// timestamp without time zone in the migrating session's zone; it is read in this session's zone,
// the server's default for both.
func (s *Store) RuleReviewClock(ctx context.Context) (last, base time.Time, err error) {
	var l, b *time.Time
	err = s.Pool.QueryRow(ctx, `SELECT
		(SELECT max(at) FROM rule_events WHERE kind IN ('in_force', 'reviewed')),
		(SELECT min(tstamp)::timestamptz FROM goose_db_version WHERE version_id = $1 AND is_applied)`, ruleBookMigration).Scan(&l, &b)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("store: rule review clock: %w", err)
	}
	if l != nil {
		last = l.UTC()
	}
	if b != nil {
		base = b.UTC()
	}
	return last, base, nil
}

// SendRuleReviewReminderOnce claims the reminder (dueOn, label) in rule_review_reminders and calls
// send with the addresses of every active manager (総務部長) and privacy officer (個人情報保護管理者),
// in one transaction: the claim commits only when send succeeded, so a mail server that is down
// delays the reminder and never drops it. A second instance claiming the same reminder waits on
// the primary key until the first commits, then finds the row and sends nothing. sent is false
// when it was claimed already, or when nobody holds either role (nothing is claimed then: the
// first manager or privacy officer appointed still gets it).
func (s *Store) SendRuleReviewReminderOnce(ctx context.Context, dueOn time.Time, label string, now time.Time,
	send func(ctx context.Context, to []string) error) (sent bool, recipients int, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO rule_review_reminders (due_on, label, sent_at) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, dueOn, label, Now(now))
		if err != nil {
			return fmt.Errorf("store: claim rule review reminder: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		rows, err := tx.Query(ctx, `SELECT email FROM users WHERE disabled_at IS NULL
			AND roles && ARRAY['manager', 'privacy_officer']::text[] ORDER BY id`)
		if err != nil {
			return fmt.Errorf("store: rule review recipients: %w", err)
		}
		to, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("store: rule review recipients: %w", err)
		}
		if len(to) == 0 {
			return errNoRecipients
		}
		if err := send(ctx, to); err != nil {
			return err
		}
		sent, recipients = true, len(to)
		return nil
	})
	if errors.Is(err, errNoRecipients) {
		return false, 0, nil
	}
	return sent, recipients, err
}

// errNoRecipients rolls the claim back when nobody could receive the reminder.
var errNoRecipients = errors.New("store: no rule review recipients")

// RuleReviewRemindersSent lists the labels sent for a due date, oldest first (tests, operations).
func (s *Store) RuleReviewRemindersSent(ctx context.Context, dueOn time.Time) ([]string, error) {
	rows, err := s.Pool.Query(ctx, `SELECT label FROM rule_review_reminders WHERE due_on = $1 ORDER BY sent_at, label`, dueOn)
	if err != nil {
		return nil, fmt.Errorf("store: rule review reminders: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("store: rule review reminders: %w", err)
	}
	return out, nil
}
