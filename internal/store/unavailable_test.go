package store

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestUnavailable_DriverErrorsThatMeanRetry(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"connect refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{"wrapped reset", fmt.Errorf("store: get case: %w", syscall.ECONNRESET), true},
		{"server shutting down", fmt.Errorf("store: %w", &pgconn.PgError{Code: "57P01"}), true},
		{"cannot connect now", &pgconn.PgError{Code: "57P03"}, true},
		{"connection exception", &pgconn.PgError{Code: "08006"}, true},
		{"connection lost mid-read", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"pooled conn dropped by a restart", fmt.Errorf("store: update case: %w", pgconn.ErrConnClosed), true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"plain bug", errors.New("nil map"), false},
	}
	for _, tc := range cases {
		if got := Unavailable(tc.err); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
