package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PoolOptions size the pool and bound how long one session may wait or hold the database. The
// server sets them (config: LEAKDESK_DB_*); command-line tools that bulk-load or migrate use Open,
// which sets no timeouts.
type PoolOptions struct {
	// MaxConns is the pool size; 0 means DefaultMaxConns.
	MaxConns int32
	// LockTimeout bounds the wait for a row or table lock (SET lock_timeout): a writer queued behind
	// a stuck one gives up and the request answers 503 instead of hanging. 0 leaves PostgreSQL's
	// default (no limit).
	LockTimeout time.Duration
	// StatementTimeout bounds one statement (statement_timeout).
	StatementTimeout time.Duration
	// IdleInTxTimeout ends a session whose transaction sits idle that long
	// (idle_in_transaction_session_timeout), releasing its locks.
	IdleInTxTimeout time.Duration
}

// DefaultMaxConns is the pool size when PoolOptions.MaxConns is 0.
const DefaultMaxConns = 32

// OpenWith connects to url with the given pool size and session timeouts; it does not migrate.
// The timeouts are runtime parameters of every connection the pool opens, so they hold for every
// query, inside transactions or not.
func OpenWith(ctx context.Context, url string, o PoolOptions) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: parse DATABASE_URL: %w", err)
	}
	cfg.MaxConns = o.MaxConns
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
	rp := cfg.ConnConfig.RuntimeParams
	rp["application_name"] = "leakdesk"
	rp["timezone"] = "UTC"
	for name, d := range map[string]time.Duration{
		"lock_timeout":                        o.LockTimeout,
		"statement_timeout":                   o.StatementTimeout,
		"idle_in_transaction_session_timeout": o.IdleInTxTimeout,
	} {
		if d > 0 {
			rp[name] = strconv.FormatInt(d.Milliseconds(), 10)
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	return &Store{Pool: pool}, nil
}

// ErrBusy is what Busy recognises: the database refused to wait any longer (a lock, a statement or
// an idle transaction ran past its timeout, or a deadlock was broken). Nothing was written — the
// transaction rolled back — and the same request may succeed when retried.
var ErrBusy = errors.New("store: the database is busy; try again shortly")

// Busy reports whether err is a timeout or deadlock abort of PostgreSQL (or ErrBusy): the caller
// should answer "try again" (503 with Retry-After), not "internal error".
func Busy(err error) bool {
	if errors.Is(err, ErrBusy) {
		return true
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "55P03", // lock_not_available: lock_timeout
		"57014", // query_canceled: statement_timeout
		"25P03", // idle_in_transaction_session_timeout
		"40P01": // deadlock_detected: PostgreSQL broke a cycle; the victim may retry
		return true
	}
	return false
}

// Unavailable reports whether err means PostgreSQL could not be reached or is shutting down or
// starting up, rather than that a query failed: the caller answers "not ready, retry" (503 with
// Retry-After), never "internal error". It is the one place driver errors of this kind are read; web
// asks it rather than inspecting pgconn itself.
func Unavailable(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08: connection exception; 57P01–57P03: admin/crash shutdown, cannot connect now.
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	var ne *net.OpError
	// ErrConnClosed: a pooled connection the server dropped (restart, failover) before the query ran.
	return errors.As(err, &ne) || errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF)
}

// txKey carries the transaction of the command being decided: reads the command needs (the
// register's head count) must use the connection that holds the case's lock, never a second one
// from the pool — with as many writers as connections, each would wait for a connection that none
// gives back.
type txKey struct{}

func withTx(ctx context.Context, tx pgx.Tx) context.Context {
	return context.WithValue(ctx, txKey{}, tx)
}

// q returns the transaction ctx carries (a read on behalf of a command inside its transaction) or
// the pool.
func (s *Store) q(ctx context.Context) querier {
	if tx, ok := ctx.Value(txKey{}).(pgx.Tx); ok {
		return tx
	}
	return s.Pool
}
