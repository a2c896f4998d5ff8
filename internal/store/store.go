// Package store is leakdesk's PostgreSQL layer (pgx). Each method that changes state runs in one
// transaction; PostgreSQL errors are mapped to the sentinel errors below or to domain errors, so
// that no caller needs to know pgx.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/leakdesk/leakdesk/internal/checkpoint"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/migrations"
)

// Errors returned by account methods.
var (
	ErrNotFound  = errors.New("store: not found")
	ErrConflict  = errors.New("store: the row changed since it was read")
	ErrDuplicate = errors.New("store: already exists")
)

// Store wraps the connection pool.
type Store struct {
	Pool *pgxpool.Pool
	// CaseHooks run inside the transaction of every case change, after its events are appended, so
	// that work caused by the change (e.g. scheduling reminders) commits or rolls back with it.
	CaseHooks []CaseHook
	// Signer, when set, signs a checkpoint of the whole history with every anchor (WriteAnchor);
	// serve sets it from LEAKDESK_SIGNING_KEY_FILE.
	Signer *checkpoint.Signer
	// keys is the data key CheckDataKey accepted: evidence bytes are sealed with it like the
	// register (evidence.go).
	keys atomic.Pointer[pii.Keyring]
}

// CaseHook is called with the changed case (after the events were applied) and the new events.
type CaseHook func(ctx context.Context, tx pgx.Tx, c *incident.Case, events []incident.Event) error

// Open connects to url with the default pool size and no session timeouts (for the command-line
// tools; the server uses OpenWith); it does not migrate.
func Open(ctx context.Context, url string) (*Store, error) {
	return OpenWith(ctx, url, PoolOptions{})
}

// Close releases the pool.
func (s *Store) Close() { s.Pool.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.Pool.Ping(ctx) }

// sqlDB opens a database/sql handle on the pool for goose; close it after use.
func (s *Store) sqlDB() *sql.DB { return stdlib.OpenDBFromPool(s.Pool) }

func (s *Store) provider() (*goose.Provider, *sql.DB, error) {
	db := s.sqlDB()
	// The session lock keeps two app instances that migrate at the same time from interleaving.
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("store: migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS, goose.WithSessionLocker(locker))
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("store: migrations: %w", err)
	}
	return p, db, nil
}

// MigrateUp applies every pending migration and returns the new version.
func (s *Store) MigrateUp(ctx context.Context) (int64, error) {
	p, db, err := s.provider()
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if _, err := p.Up(ctx); err != nil {
		return 0, fmt.Errorf("store: migrate up: %w", err)
	}
	return p.GetDBVersion(ctx)
}

// MigrateDown rolls back the newest migration.
func (s *Store) MigrateDown(ctx context.Context) (int64, error) {
	p, db, err := s.provider()
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if _, err := p.Down(ctx); err != nil {
		return 0, fmt.Errorf("store: migrate down: %w", err)
	}
	return p.GetDBVersion(ctx)
}

// MigrationStatus lists every known migration and whether it is applied.
func (s *Store) MigrationStatus(ctx context.Context) ([]*goose.MigrationStatus, error) {
	p, db, err := s.provider()
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return p.Status(ctx)
}

// Pending reports whether migrations are missing from the database.
func (s *Store) Pending(ctx context.Context) (bool, error) {
	p, db, err := s.provider()
	if err != nil {
		return false, err
	}
	defer db.Close()
	return p.HasPending(ctx)
}

// inTx runs fn in a transaction, committing on nil and rolling back otherwise.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.Pool, fn)
}

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
