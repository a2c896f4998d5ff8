package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/incident"
)

// First-report channels (first_reports.channel).
const (
	ChannelSystem = "system" // filed by the reporter at /report or through the API
	ChannelPhone  = "phone"  // taken by 総務部 by phone and entered by them
)

// FirstReport is one first report (第一報) as received: the case it opened, who reported it and who
// entered it, and the report as the reporter gave it.
type FirstReport struct {
	CaseID     int64
	Number     string // the case's number (joined)
	ReporterID int64  // 0: a caller without an account (phone)
	EnteredBy  int64
	Channel    string
	ReceivedAt time.Time
	MyNumber   bool
	Report     incident.FirstReport
}

// ReportMessage is one question from 総務部 to the reporter, or the reporter's answer.
type ReportMessage struct {
	ID         int64     `json:"id"`
	CaseID     int64     `json:"-"`
	AuthorID   int64     `json:"author_id"`
	AuthorName string    `json:"author_name"`
	Kind       string    `json:"kind"` // question, answer
	Body       string    `json:"body"`
	At         time.Time `json:"at"`
}

// OpenReportedCase opens a case as OpenCase does and records its first report in the same
// transaction, before the case hooks run (so the reminder hook can schedule the alert to 総務部
// with it). fr.CaseID is filled from the new case.
func (s *Store) OpenReportedCase(ctx context.Context, now time.Time, fr FirstReport, decide func(id int64, number string) (*incident.Case, []incident.Event, error)) (*incident.Case, error) {
	decideTx := func(_ context.Context, id int64, number string) (*incident.Case, []incident.Event, error) {
		return decide(id, number)
	}
	return s.openCase(ctx, now, decideTx, func(ctx context.Context, tx pgx.Tx, c *incident.Case, _ []incident.Event) error {
		body, err := json.Marshal(fr.Report)
		if err != nil {
			return fmt.Errorf("store: encode first report: %w", err)
		}
		var reporter *int64
		if fr.ReporterID != 0 {
			reporter = &fr.ReporterID
		}
		if _, err := tx.Exec(ctx, `INSERT INTO first_reports (case_id, reporter_id, entered_by, channel, received_at, my_number, report)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.ID, reporter, fr.EnteredBy, fr.Channel, now, fr.MyNumber, body); err != nil {
			return fmt.Errorf("store: insert first report: %w", err)
		}
		return nil
	})
}

const firstReportCols = `f.case_id, c.number, COALESCE(f.reporter_id, 0), f.entered_by, f.channel, f.received_at, f.my_number, f.report`

func scanFirstReport(row pgx.CollectableRow) (FirstReport, error) {
	var fr FirstReport
	var body []byte
	if err := row.Scan(&fr.CaseID, &fr.Number, &fr.ReporterID, &fr.EnteredBy, &fr.Channel, &fr.ReceivedAt, &fr.MyNumber, &body); err != nil {
		return fr, err
	}
	if err := json.Unmarshal(body, &fr.Report); err != nil {
		return fr, fmt.Errorf("store: decode first report of case %d: %w", fr.CaseID, err)
	}
	return fr, nil
}

// GetFirstReport returns the first report that opened the case; ErrNotFound when the case was
// not opened from one.
func (s *Store) GetFirstReport(ctx context.Context, caseID int64) (FirstReport, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+firstReportCols+` FROM first_reports f JOIN cases c ON c.id = f.case_id WHERE f.case_id = $1`, caseID)
	if err != nil {
		return FirstReport{}, fmt.Errorf("store: first report %d: %w", caseID, err)
	}
	fr, err := pgx.CollectExactlyOneRow(rows, scanFirstReport)
	if errors.Is(err, pgx.ErrNoRows) {
		return FirstReport{}, ErrNotFound
	}
	if err != nil {
		return FirstReport{}, fmt.Errorf("store: first report %d: %w", caseID, err)
	}
	return fr, nil
}

// FirstReportsBy lists the reports a user filed themselves, newest first (at most limit).
func (s *Store) FirstReportsBy(ctx context.Context, reporterID int64, limit int) ([]FirstReport, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+firstReportCols+` FROM first_reports f JOIN cases c ON c.id = f.case_id
		WHERE f.reporter_id = $1 ORDER BY f.received_at DESC, f.case_id DESC LIMIT $2`, reporterID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: first reports by %d: %w", reporterID, err)
	}
	out, err := pgx.CollectRows(rows, scanFirstReport)
	if err != nil {
		return nil, fmt.Errorf("store: first reports by %d: %w", reporterID, err)
	}
	return out, nil
}

// AddReportMessage appends a question or an answer to a first report's thread; ErrNotFound when
// the case has no first report.
func (s *Store) AddReportMessage(ctx context.Context, caseID, authorID int64, kind, body string, now time.Time) (ReportMessage, error) {
	m := ReportMessage{CaseID: caseID, AuthorID: authorID, Kind: kind, Body: body, At: Now(now)}
	err := s.Pool.QueryRow(ctx, `INSERT INTO report_messages (case_id, author_id, kind, body, created_at)
		SELECT case_id, $2, $3, $4, $5 FROM first_reports WHERE case_id = $1
		RETURNING id, (SELECT name FROM users WHERE id = $2)`, caseID, authorID, kind, body, m.At).Scan(&m.ID, &m.AuthorName)
	if errors.Is(err, pgx.ErrNoRows) {
		return m, ErrNotFound
	}
	if err != nil {
		return m, fmt.Errorf("store: add report message to case %d: %w", caseID, err)
	}
	return m, nil
}

// ReportMessages is a first report's thread, oldest first.
func (s *Store) ReportMessages(ctx context.Context, caseID int64) ([]ReportMessage, error) {
	rows, err := s.Pool.Query(ctx, `SELECT m.id, m.case_id, m.author_id, u.name, m.kind, m.body, m.created_at
		FROM report_messages m JOIN users u ON u.id = m.author_id WHERE m.case_id = $1 ORDER BY m.id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store: report messages of case %d: %w", caseID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ReportMessage, error) {
		var m ReportMessage
		err := r.Scan(&m.ID, &m.CaseID, &m.AuthorID, &m.AuthorName, &m.Kind, &m.Body, &m.At)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: report messages of case %d: %w", caseID, err)
	}
	return out, nil
}
