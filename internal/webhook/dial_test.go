package webhook

import (
	"context"
	"errors"
	"net"
	"testing"
)

// The address actually dialled is checked, whatever name led to it: a host name that resolves (or
// re-resolves) to an internal address is refused at connect time.
func TestDialer_RefusesInternalAddressAtConnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	if _, err := dialer(false)(context.Background(), "tcp", "localhost:"+port); !errors.Is(err, ErrPrivate) {
		t.Errorf("dial localhost without permission: %v, want ErrPrivate", err)
	}
	c, err := dialer(true)(context.Background(), "tcp", "localhost:"+port)
	if err != nil {
		t.Fatalf("dial localhost with permission: %v", err)
	}
	c.Close()
}
