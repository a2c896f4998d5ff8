package mail_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/leakdesk/leakdesk/internal/mail"
	"github.com/leakdesk/leakdesk/internal/mail/mailtest"
)

func TestSMTP_SendsJapaneseTextAndFailsWhenDown(t *testing.T) {
	srv, err := mailtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	s, err := mail.NewSMTP(srv.URL(), "leakdesk@example.jp")
	if err != nil {
		t.Fatal(err)
	}
	msg := mail.Message{To: []string{"a@example.jp", "b@example.jp"}, Subject: "【leakdesk】期限のお知らせ", Text: "確報の期限が近づいています。\nFinal report due soon."}
	if err := s.Send(context.Background(), msg); err != nil {
		t.Fatalf("send: %v", err)
	}
	got := srv.Messages()
	if len(got) != 1 || len(got[0].To) != 2 || got[0].Subject != msg.Subject || !strings.Contains(got[0].Text, "確報の期限") {
		t.Fatalf("got %+v", got)
	}
	srv.SetDown(true)
	err = s.Send(context.Background(), msg)
	if err == nil {
		t.Fatal("send to a down server succeeded")
	}
	// Errors are logged and shown on /admin/jobs: they must not carry the addresses.
	bad := mail.Message{To: []string{"taro.yamada@@example.jp"}, Subject: "x", Text: "x"}
	for _, e := range []error{err, s.Send(context.Background(), bad)} {
		if e == nil || strings.Contains(e.Error(), "@example.jp") {
			t.Errorf("error carries a recipient address (or is missing): %v", e)
		}
	}
}

func TestNewSMTP_URLs(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"smtp://user:pw@mail.example.jp:587", true},
		{"smtps://mail.example.jp", true},
		{"smtp+insecure://127.0.0.1:2525", true},
		{"smtp+insecure://user:pw@127.0.0.1:2525", false},
		{"http://mail.example.jp", false},
		{"smtp://:25", false},
	} {
		_, err := mail.NewSMTP(tc.url, "x@example.jp")
		if (err == nil) != tc.ok {
			t.Errorf("%s: err=%v", tc.url, err)
		}
	}
	s, _ := mail.NewSMTP("", "x@example.jp")
	if err := s.Send(context.Background(), mail.Message{To: []string{"a@example.jp"}}); !errors.Is(err, mail.ErrNotConfigured) {
		t.Fatalf("unconfigured: %v", err)
	}
}
