// Package testdb gives each test its own migrated PostgreSQL database, cloned from a template with
// pgtestdb, on the throwaway cluster that `make test` starts (DATABASE_URL, a superuser).
//
// Three roles, as in production (docs/operations.md): the migrations run as the owner
// (leakdesk_test_owner, not a superuser), the store connects as a login role that is only a member
// of the group leakdesk_app (leakdesk_test_app), and tests that tamper use the cluster superuser.
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
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
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

// Every test that uses this package proves that writing from the case snapshot equals replaying
// the history (store.CheckSnapshots), in its own process and in the processes it starts (the
// environment variable). LEAKDESK_CHECK_SNAPSHOTS=0 turns it off, for benchmarks and profiles of
// the write path itself.
func init() {
	if os.Getenv("LEAKDESK_CHECK_SNAPSHOTS") == "0" {
		return
	}
	store.CheckSnapshots = true
	os.Setenv("LEAKDESK_CHECK_SNAPSHOTS", "1")
}

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
		// The migrations run as an owner that is not a superuser, as in production; the store
		// then connects as AppRole (New), so triggers and grants are tested as they will run.
		TestRole:                  &pgtestdb.Role{Username: "leakdesk_test_owner", Password: "leakdesk_test_owner", Capabilities: "NOSUPERUSER NOCREATEDB NOCREATEROLE"},
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

// AppRole is the login role the tests' store connects as: a member of leakdesk_app and nothing
// else, like the role `serve` uses in production.
const AppRole = "leakdesk_test_app"

// DB is an isolated, migrated database for one test.
type DB struct {
	Store *store.Store
	// URL connects as the app role (AppRole); OwnerURL as the role that ran the migrations and owns
	// the tables (what `leakdesk migrate` uses); SuperURL as the cluster superuser, for tests that
	// tamper with rows neither of the others may touch.
	URL, OwnerURL, SuperURL string
}

// New creates a fresh database for t and closes it at the end of the test.
func New(t testing.TB) *DB {
	t.Helper()
	base := Base(t)
	ensureAppRole(t, base)
	conf := pgtestdb.Custom(t, base, Migrator())
	app := *conf
	app.User, app.Password = AppRole, AppRole
	st, err := store.Open(context.Background(), app.URL())
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(st.Close)
	super := base
	super.Database = conf.Database
	return &DB{Store: st, URL: app.URL(), OwnerURL: conf.URL(), SuperURL: super.URL()}
}

var appRoleOnce sync.Once
var appRoleErr error

// ensureAppRole creates (as the superuser, once per process) the group role the migrations grant to
// and the tests' login role in it. Several test binaries start at once on one cluster: the session
// advisory lock orders them, and the statements only create what is missing.
func ensureAppRole(t testing.TB, base pgtestdb.Config) {
	t.Helper()
	appRoleOnce.Do(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, base.URL())
		if err != nil {
			appRoleErr = err
			return
		}
		defer conn.Close(ctx)
		for _, q := range []string{
			`SELECT pg_advisory_lock(7310090)`,
			`DO $$ BEGIN
				IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'leakdesk_app') THEN CREATE ROLE leakdesk_app NOLOGIN; END IF;
				IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '` + AppRole + `') THEN
					CREATE ROLE ` + AppRole + ` LOGIN PASSWORD '` + AppRole + `' NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT;
				END IF;
			END $$`,
			`GRANT leakdesk_app TO ` + AppRole,
			`SELECT pg_advisory_unlock(7310090)`,
		} {
			if _, err := conn.Exec(ctx, q); err != nil {
				appRoleErr = fmt.Errorf("%s: %w", q, err)
				return
			}
		}
	})
	if appRoleErr != nil {
		t.Fatalf("testdb: app role: %v", appRoleErr)
	}
}
