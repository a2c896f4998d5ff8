package casework

import (
	"context"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/store"
)

// FileFirstReport opens a case in discovery from a first report (第一報) and records the report
// with it, in one transaction; the reminder hook schedules the alert to 総務部 in the same one.
// A reporter files for themselves: they are recorded as its reporter (their account and name) and
// the case has no handler yet. 総務部 entering a call sets ByPhone: the report has no account
// behind it, and the person who took the call becomes the handler. Errors as
// incident.FileFirstReport.
func (s *Service) FileFirstReport(ctx context.Context, a incident.Actor, r incident.FirstReport) (*incident.Case, error) {
	now := s.now()
	fr := store.FirstReport{EnteredBy: a.UserID, Channel: store.ChannelSystem, MyNumber: r.InvolvesMyNumber}
	var owner int64
	if r.ByPhone {
		fr.Channel, owner = store.ChannelPhone, a.UserID
	} else {
		fr.ReporterID, r.ReporterName = a.UserID, a.Name
	}
	fr.Report = r
	return s.Store.OpenReportedCase(ctx, now, fr, func(id int64, number string) (*incident.Case, []incident.Event, error) {
		c := &incident.Case{}
		events, err := s.apply(ctx, c, incident.FileFirstReport{ID: id, Number: number, Report: r, OwnerID: owner}, a, now)
		return c, events, err
	})
}
