// Package testdb gives each test its own migrated PostgreSQL database, cloned from a template with
// pgtestdb, on the throwaway cluster that `make test` starts (DATABASE_URL, a superuser).
package testdb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for pgtestdb
	"github.com/peterldowns/pgtestdb"
	"github.com/peterldowns/pgtestdb/migrators/goosemigrator"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/leakdesk/leakdesk/internal/reminder"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/migrations"
)

// Require reports whether a missing database must fail the test rather than skip it: `make test`
// and CI set LEAKDESK_TEST_REQUIRE_DB=1, so a broken setup can never pass as "skipped".
func Require() bool { return os.Getenv("LEAKDESK_TEST_REQUIRE_DB") == "1" }

// Base returns the pgtestdb config for DATABASE_URL, or skips/fails the test when unset.
func Base(t testing.TB) pgtestdb.Config {
	t.Helper()
	raw := os.Getenv("DATABASE_URL")
	if raw == "" {
		if Require() {
			t.Fatal("DATABASE_URL is not set: run the tests with `make test`")
		}
		t.Skip("DATABASE_URL not set; run `make test` for database tests")
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("parse DATABASE_URL: %v", err)
	}
	pw, _ := u.User.Password()
	return pgtestdb.Config{
		DriverName: "pgx",
		Host:       u.Hostname(),
		Port:       u.Port(),
		User:       u.User.Username(),
		Password:   pw,
		Database:   strings.TrimPrefix(u.Path, "/"),
		Options:    u.RawQuery,
		// The app role of the tests is not a superuser, as in production: triggers and grants
		// are tested as they will run.
		TestRole:                  &pgtestdb.Role{Username: "leakdesk_test_app", Password: "leakdesk_test_app", Capabilities: "NOSUPERUSER NOCREATEDB NOCREATEROLE"},
		ForceTerminateConnections: true,
	}
}

// Migrator migrates a template database with the embedded goose migrations and then River's job
// tables (rivermigrate), so that every test database holds both schemas.
func Migrator() pgtestdb.Migrator {
	return composite{goose: goosemigrator.New(".", goosemigrator.WithFS(migrations.FS))}
}

// composite is goose followed by rivermigrate. Its hash covers the goose files and River's latest
// migration version, so a River upgrade builds a new template.
type composite struct {
	goose *goosemigrator.GooseMigrator
}

func (m composite) Hash() (string, error) {
	gh, err := m.goose.Hash()
	if err != nil {
		return "", err
	}
	rm, err := rivermigrate.New(riverpgxv5.New(nil), nil)
	if err != nil {
		return "", fmt.Errorf("testdb: river migrator: %w", err)
	}
	all := rm.AllVersions()
	latest := 0
	if len(all) > 0 {
		latest = all[len(all)-1].Version
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("goose=%s;river=%d", gh, latest)))
	return hex.EncodeToString(sum[:]), nil
}

func (m composite) Migrate(ctx context.Context, db *sql.DB, conf pgtestdb.Config) error {
	if err := m.goose.Migrate(ctx, db, conf); err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, conf.URL())
	if err != nil {
		return fmt.Errorf("testdb: river pool: %w", err)
	}
	defer pool.Close()
	return reminder.Migrate(ctx, pool)
}

// DB is an isolated, migrated database for one test.
type DB struct {
	Store *store.Store
	// URL connects as the (non-superuser) app role; SuperURL as the cluster superuser to the same
	// database, for tests that tamper with rows the app itself cannot touch.
	URL, SuperURL string
}

// New creates a fresh database for t and closes it at the end of the test.
func New(t testing.TB) *DB {
	t.Helper()
	base := Base(t)
	conf := pgtestdb.Custom(t, base, Migrator())
	st, err := store.Open(context.Background(), conf.URL())
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(st.Close)
	super := base
	super.Database = conf.Database
	return &DB{Store: st, URL: conf.URL(), SuperURL: super.URL()}
}
