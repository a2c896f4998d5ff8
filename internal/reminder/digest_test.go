package reminder_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/checkpoint"
	"github.com/leakdesk/leakdesk/internal/mail/mailtest"
)

// TestDigest_MailsTheNewestCheckpointToAuditors: once the history is signed, the daily digest
// (run at start, then every day) mails the newest signed checkpoint to the active auditors only,
// through the real SMTP path, with no personal data; the mailed note verifies with the key.
func TestDigest_MailsTheNewestCheckpointToAuditors(t *testing.T) {
	e := newEnv(t, jst(2026, 5, 1, 10, 5))
	ctx := context.Background()
	skey, vkey, err := checkpoint.GenerateKey("leakdesk-digest")
	if err != nil {
		t.Fatal(err)
	}
	if e.db.Store.Signer, err = checkpoint.NewSigner(skey); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Open(ctx, e.actors["staff"], "案件", facts(), false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Store.WriteAnchor(ctx, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.start(e.worker(e.db.Store, true))
	var digest []mailtest.Message
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && len(digest) == 0; time.Sleep(200 * time.Millisecond) {
		for _, m := range e.smtp.Messages() {
			if strings.Contains(m.Subject, "チェックポイント") {
				digest = append(digest, m)
			}
		}
	}
	if len(digest) != 1 {
		t.Fatalf("digest mails: %d", len(digest))
	}
	m := digest[0]
	if len(m.To) != 1 || m.To[0] != e.emails["auditor"] || !strings.Contains(m.Subject, "2026-05-01") {
		t.Fatalf("digest to %v: %q", m.To, m.Subject)
	}
	if strings.Contains(m.Text, "山田") || strings.Contains(m.Text, "USB") {
		t.Fatal("the digest carries case data")
	}
	start := strings.Index(m.Text, "leakdesk case history")
	end := strings.Index(m.Text, "----- end -----")
	if start < 0 || end < start {
		t.Fatalf("no checkpoint in the digest:\n%s", m.Text)
	}
	note := strings.ReplaceAll(m.Text[start:end], "\r\n", "\n")
	if h, key, err := checkpoint.Open([]byte(note), []string{vkey}); err != nil || key != vkey || h.Size != 2 {
		t.Fatalf("the mailed checkpoint does not verify: %+v %v\n%q", h, err, note)
	}
}
