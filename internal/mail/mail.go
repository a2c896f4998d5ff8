// Package mail sends plain-text e-mail through the SMTP server named by SMTP_URL. It knows nothing
// about cases: callers build the message (and are responsible for keeping personal data out of it).
package mail

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Message is one plain-text e-mail to one or more recipients.
type Message struct {
	To      []string
	Subject string
	Text    string
}

// Sender delivers messages. Send returns an error when the server refused or could not be
// reached; the caller decides whether to retry.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// ErrNotConfigured is returned by a Sender built without SMTP_URL: reminders stay queued (and are
// retried) instead of being dropped silently.
var ErrNotConfigured = errors.New("mail: SMTP_URL is not set")

// SMTP is a Sender for one SMTP server.
type SMTP struct {
	host     string
	port     int
	user     string
	pass     string
	implicit bool // smtps://: TLS from the first byte
	from     string
	timeout  time.Duration
}

// NewSMTP parses rawURL, one of
//
//	smtp://[user:pass@]host[:port]    STARTTLS when the server offers it (port 587 by default)
//	smtp+insecure://host[:port]       no TLS at all (local relays and tests; port 25 by default)
//	smtps://[user:pass@]host[:port]   TLS from the start (port 465 by default)
//
// An empty rawURL gives a Sender whose every Send fails with ErrNotConfigured.
func NewSMTP(rawURL, from string) (Sender, error) {
	if rawURL == "" {
		return unconfigured{}, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP_URL is not a URL")
	}
	s := &SMTP{host: u.Hostname(), from: from, timeout: 20 * time.Second}
	if s.host == "" {
		return nil, fmt.Errorf("mail: SMTP_URL has no host")
	}
	if s.from == "" {
		return nil, fmt.Errorf("mail: LEAKDESK_MAIL_FROM is empty")
	}
	switch u.Scheme {
	case "smtp":
		s.port = 587
	case "smtp+insecure":
		s.port = 25
	case "smtps":
		s.port, s.implicit = 465, true
	default:
		return nil, fmt.Errorf("mail: SMTP_URL scheme %q is not smtp, smtps or smtp+insecure", u.Scheme)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("mail: SMTP_URL has a bad port")
		}
		s.port = n
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	insecure := u.Scheme == "smtp+insecure"
	if insecure && s.user != "" {
		return nil, fmt.Errorf("mail: refusing to send a password without TLS (use smtp:// or smtps://)")
	}
	return s, nil
}

func (s *SMTP) client() (*gomail.Client, error) {
	opts := []gomail.Option{gomail.WithPort(s.port), gomail.WithTimeout(s.timeout)}
	switch {
	case s.implicit:
		opts = append(opts, gomail.WithSSL())
	case s.port == 25 && s.user == "":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default:
		// With credentials, TLS is mandatory; without, take it when offered.
		if s.user != "" {
			opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
		} else {
			opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
		}
	}
	if s.user != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.user), gomail.WithPassword(s.pass))
	}
	return gomail.NewClient(s.host, opts...)
}

// Send delivers m in one SMTP session.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if len(m.To) == 0 {
		return errors.New("mail: no recipients")
	}
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("mail: sender address: %w", err)
	}
	if err := msg.To(m.To...); err != nil {
		return fmt.Errorf("mail: recipient address: %s", redactAddresses(err, m.To))
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	c, err := s.client()
	if err != nil {
		return fmt.Errorf("mail: client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("mail: send: %s", redactAddresses(err, m.To))
	}
	return nil
}

// redactAddresses is err's text with every recipient address replaced: go-mail names the affected
// recipients in its errors, and these errors are logged and kept on the job for /admin/jobs, where
// no e-mail address may appear.
func redactAddresses(err error, to []string) string {
	msg := err.Error()
	for _, a := range to {
		if a != "" {
			msg = strings.ReplaceAll(msg, a, "<recipient>")
		}
	}
	return msg
}

type unconfigured struct{}

func (unconfigured) Send(context.Context, Message) error { return ErrNotConfigured }

// Counted wraps s so that every failed Send also calls failed (the /metrics counter of mail send
// failures): a reminder or first-report alert that cannot go out must reach the company's
// monitoring, not only the job's error on /admin/jobs.
func Counted(s Sender, failed func()) Sender { return counted{s, failed} }

type counted struct {
	Sender
	failed func()
}

func (c counted) Send(ctx context.Context, m Message) error {
	err := c.Sender.Send(ctx, m)
	if err != nil {
		c.failed()
	}
	return err
}
