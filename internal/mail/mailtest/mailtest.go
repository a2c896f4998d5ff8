// Package mailtest is a small in-process SMTP server for tests: it accepts every message, records
// it decoded, and can be switched to refuse service (421) to simulate a mail server that is down.
package mailtest

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
)

// Message is one received message.
type Message struct {
	From    string
	To      []string
	Subject string
	Text    string
	Raw     string
}

// Server is a running test SMTP server.
type Server struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []Message
	down bool
	wg   sync.WaitGroup
}

// Start listens on 127.0.0.1 on a free port.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// URL is the SMTP_URL for this server (plain SMTP, no TLS).
func (s *Server) URL() string { return "smtp+insecure://" + s.ln.Addr().String() }

// SetDown makes the server answer 421 (service not available) to every new session.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// Messages returns a copy of what was received so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Close stops the server.
func (s *Server) Close() {
	_ = s.ln.Close()
	s.wg.Wait()
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.session(c)
		}()
	}
}

func (s *Server) session(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	w := func(line string) { _, _ = io.WriteString(c, line+"\r\n") }
	s.mu.Lock()
	down := s.down
	s.mu.Unlock()
	if down {
		w("421 mailtest: service not available")
		return
	}
	w("220 mailtest ESMTP")
	var from string
	var to []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		cmd := strings.ToUpper(line)
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			w("250-mailtest")
			w("250-8BITMIME")
			w("250 PIPELINING")
		case strings.HasPrefix(cmd, "HELO"):
			w("250 mailtest")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			from, to = addr(line[len("MAIL FROM:"):]), nil
			w("250 OK")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			to = append(to, addr(line[len("RCPT TO:"):]))
			w("250 OK")
		case cmd == "DATA":
			w("354 end with .")
			var buf bytes.Buffer
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" || l == ".\n" {
					break
				}
				l = strings.TrimPrefix(l, ".")
				buf.WriteString(l)
			}
			s.record(from, to, buf.String())
			w("250 OK queued")
		case cmd == "RSET", cmd == "NOOP":
			w("250 OK")
		case cmd == "QUIT":
			w("221 bye")
			return
		default:
			w("502 not implemented")
		}
	}
}

func addr(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, ">"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimPrefix(s, "<")
}

func (s *Server) record(from string, to []string, raw string) {
	m := Message{From: from, To: to, Raw: raw}
	if msg, err := mail.ReadMessage(strings.NewReader(raw)); err == nil {
		dec := new(mime.WordDecoder)
		if subj, err := dec.DecodeHeader(msg.Header.Get("Subject")); err == nil {
			m.Subject = subj
		}
		body, _ := io.ReadAll(msg.Body)
		switch strings.ToLower(msg.Header.Get("Content-Transfer-Encoding")) {
		case "quoted-printable":
			if b, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body))); err == nil {
				body = b
			}
		case "base64":
			if b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(body)), "")); err == nil {
				body = b
			}
		}
		m.Text = strings.ReplaceAll(string(body), "\r\n", "\n")
	}
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	s.mu.Unlock()
}
