package reminder

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/mail"
)

// DigestArgs is the daily checkpoint digest: the newest signed checkpoint mailed to the auditors,
// one more copy of the history's head outside the database (as CloudTrail's digest files are), in
// mailboxes the database's administrators do not hold. One job per JST day (unique by Day).
type DigestArgs struct {
	Day string `json:"day"` // YYYY-MM-DD, JST
}

func (DigestArgs) Kind() string { return "leakdesk_checkpoint_digest" }

func (DigestArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type digestWorker struct {
	river.WorkerDefaults[DigestArgs]
	s *Service
}

func (w *digestWorker) Work(ctx context.Context, job *river.Job[DigestArgs]) error {
	return w.s.workDigest(ctx, job)
}

// digestJob schedules the digest every day, and once when a leader starts (the unique Day keeps it
// to one a day across restarts and instances).
func (s *Service) digestJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour), func() (river.JobArgs, *river.InsertOpts) {
		return DigestArgs{Day: s.now().In(incident.JST()).Format("2006-01-02")}, nil
	}, &river.PeriodicJobOpts{RunOnStart: true})
}

// workDigest mails the newest checkpoint to every active auditor. Nothing signed yet, or no
// auditor: nothing to send. The note holds tree sizes and hashes only, no personal data.
func (s *Service) workDigest(ctx context.Context, job *river.Job[DigestArgs]) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("reminder: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var seq int64
	var note, key string
	err = tx.QueryRow(ctx, `SELECT seq, note, key FROM chain_checkpoints ORDER BY seq DESC LIMIT 1`).Scan(&seq, &note, &key)
	if errors.Is(err, pgx.ErrNoRows) {
		return completeTx(ctx, tx, job)
	}
	if err != nil {
		return fmt.Errorf("reminder: digest: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT email FROM users WHERE disabled_at IS NULL AND 'auditor' = ANY(roles) ORDER BY id`)
	if err != nil {
		return fmt.Errorf("reminder: digest recipients: %w", err)
	}
	to, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("reminder: digest recipients: %w", err)
	}
	if len(to) == 0 {
		return completeTx(ctx, tx, job)
	}
	msg := digestMessage(job.Args.Day, seq, note, key, s.cfg.BaseURL)
	msg.To = to
	if err := s.sender.Send(ctx, msg); err != nil {
		return fmt.Errorf("reminder: digest mail: %w", err)
	}
	s.log.Info("checkpoint digest sent", "day", job.Args.Day, "checkpoint", seq, "recipients", len(to))
	return completeTx(ctx, tx, job)
}

func digestMessage(day string, seq int64, note, key, baseURL string) mail.Message {
	var b strings.Builder
	fmt.Fprintf(&b, "leakdesk の履歴チェックポイント（%s 時点の最新: 第 %d 号）です。\n", day, seq)
	b.WriteString("このメールは削除せず保管してください。データベースの外にある写しとして、後日の検証に使います。\n")
	b.WriteString("This is the newest signed checkpoint of the leakdesk history. Keep this mail: it is a copy outside the database.\n\n")
	b.WriteString("----- checkpoint -----\n")
	b.WriteString(note)
	b.WriteString("----- end -----\n\n")
	fmt.Fprintf(&b, "署名鍵 / signing key: %s\n", key)
	b.WriteString("検証 / verify: leakdesk audit verify --witness DIR（立会いディレクトリの同じ番号のファイルと一致すること）\n")
	if baseURL != "" {
		fmt.Fprintf(&b, "%s/audit/verify\n", strings.TrimRight(baseURL, "/"))
	}
	return mail.Message{Subject: fmt.Sprintf("[leakdesk] 履歴チェックポイント %s (No.%d)", day, seq), Text: b.String()}
}
