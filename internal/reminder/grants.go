package reminder

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/mail"
	"github.com/leakdesk/leakdesk/internal/store"
)

// The admin's actions are visible (issue 21): when an administrator gives someone a role that reads
// case contents (a new account with one, or one added to an account), every privacy officer gets a
// mail. A periodic job (every minute, enqueued by the leader) looks at admin events not yet handled;
// each is claimed in admin_event_notices in the transaction that sends its mail, so a grant is
// announced once however many instances run, and a mail server that is down delays it, never drops
// it. The grant logic itself is the admin pages' (and issue 20's); this only watches admin_events.

// NotifyGrantsArgs is the job's (empty) argument.
type NotifyGrantsArgs struct{}

// Kind names the job in river_job.
func (NotifyGrantsArgs) Kind() string { return "notify_role_grants" }

type notifyGrantsWorker struct {
	river.WorkerDefaults[NotifyGrantsArgs]
	s *Service
}

func (w *notifyGrantsWorker) Work(ctx context.Context, _ *river.Job[NotifyGrantsArgs]) error {
	_, err := w.s.store.HandleAdminEvents(ctx, 100, w.s.announceGrant)
	return err
}

// addedCaseRoles are the case-reading roles e gives that the target's previous role event did not.
func addedCaseRoles(e store.AdminEvent) []string {
	var out []string
	for _, r := range e.Roles {
		if auth.ReadsCases(auth.Role(r)) && !slices.Contains(e.PrevRoles, r) {
			out = append(out, r)
		}
	}
	return out
}

// announceGrant mails the privacy officers about e when it adds a case-reading role.
func (s *Service) announceGrant(ctx context.Context, e store.AdminEvent) (bool, error) {
	added := addedCaseRoles(e)
	if len(added) == 0 {
		return false, nil
	}
	users, err := s.store.ListUsers(ctx)
	if err != nil {
		return false, err
	}
	var to []string
	for _, u := range users {
		if !u.Disabled && auth.Has(u.Roles, auth.RolePrivacyOfficer) && u.ID != e.TargetID {
			to = append(to, u.Email)
		}
	}
	if len(to) == 0 {
		s.log.Warn("role grant not announced: no privacy officer", "event_id", e.ID)
		return false, nil
	}
	labels := make([]string, len(added))
	for i, r := range added {
		ja, _ := auth.Role(r).Label()
		labels[i] = ja + "（" + r + "）"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "管理者が案件を閲覧できる役割を付与しました。\nAn administrator granted a role that reads case contents.\n\n")
	fmt.Fprintf(&b, "日時: %s\n", e.At.In(appi.JST).Format("2006-01-02 15:04")+" JST")
	fmt.Fprintf(&b, "付与された役割: %s\n", strings.Join(labels, "、"))
	fmt.Fprintf(&b, "対象の利用者: #%d\n実行した管理者: #%d\n操作: %s\n\n", e.TargetID, e.ActorID, e.Action)
	fmt.Fprintf(&b, "監査の画面で確認できます: %s/audit/admin-events\n", strings.TrimRight(s.cfg.BaseURL, "/"))
	msg := mail.Message{To: to, Subject: "[leakdesk] 役割の付与（案件の閲覧） / role granted", Text: b.String()}
	if err := s.sender.Send(ctx, msg); err != nil {
		return false, err
	}
	return true, nil
}

func notifyGrantsJob(every time.Duration) *river.PeriodicJob {
	if every <= 0 {
		every = time.Minute
	}
	return river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return NotifyGrantsArgs{}, &river.InsertOpts{Queue: Queue} },
		&river.PeriodicJobOpts{RunOnStart: true})
}
