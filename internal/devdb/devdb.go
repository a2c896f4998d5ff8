// Package devdb runs a private PostgreSQL cluster for one checkout: the database behind `make run`
// and the throwaway one behind `make test`. It uses Debian's server binaries directly (no Docker),
// and, when run as root, runs the server as an unprivileged user because PostgreSQL refuses root.
package devdb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// DatabaseName is the application database created inside a fresh cluster.
const DatabaseName = "leakdesk"

// Options say how a cluster is started.
type Options struct {
	// Fast turns durability off (fsync, synchronous_commit, full_page_writes). Only for tests:
	// benchmarks and `make run` keep production durability.
	Fast bool
	// Install lets Start install Debian's postgresql package when the server binaries are missing
	// and the process is root with apt-get available.
	Install bool
	// Log receives progress lines meant for a person; nil discards them.
	Log io.Writer
}

// Cluster is a running (or stopped) local cluster.
type Cluster struct {
	Dir    string // the data directory actually used
	Port   int
	BinDir string
	RunAs  string // OS user running the server; empty when it runs as the current user
}

// AppGroup is the group role migrations/00030_app_role.sql grants the app's rights to, and AppUser
// the login role in it that `make run` serves as: it may read and append history, never rewrite it.
const (
	AppGroup = "leakdesk_app"
	AppUser  = "leakdesk_web"
)

// URL is the superuser connection string of the application database: the owner of the tables,
// what `leakdesk migrate` (LEAKDESK_MIGRATE_URL) and the test harness connect as.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, DatabaseName)
}

// AppURL connects to the application database as AppUser, what `leakdesk serve` uses
// (DATABASE_URL). The cluster trusts local connections, so it carries no password.
func (c *Cluster) AppURL() string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", AppUser, c.Port, DatabaseName)
}

// AdminURL connects to the maintenance database "postgres".
func (c *Cluster) AdminURL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.Port)
}

// FindBinDir returns the newest /usr/lib/postgresql/<ver>/bin that holds initdb, or the directory of
// an initdb on PATH.
func FindBinDir() (string, error) {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(matches, func(i, j int) bool { return pgVersion(matches[i]) > pgVersion(matches[j]) })
	if len(matches) > 0 {
		return filepath.Dir(matches[0]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found: install the Debian package \"postgresql\" (apt-get install postgresql)")
}

func pgVersion(initdbPath string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdbPath))))
	return v
}

// EnsureInstalled finds the server binaries, installing Debian's postgresql when allowed and possible.
func EnsureInstalled(ctx context.Context, opts Options) (string, error) {
	if dir, err := FindBinDir(); err == nil {
		return dir, nil
	}
	if !opts.Install {
		return FindBinDir()
	}
	if os.Geteuid() != 0 {
		return "", errors.New("PostgreSQL server binaries not found and not running as root: install the Debian package \"postgresql\" (sudo apt-get install postgresql) and retry")
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return "", errors.New("PostgreSQL server binaries not found and apt-get is unavailable: install PostgreSQL 15 or newer (Debian package \"postgresql\")")
	}
	logf(opts.Log, "PostgreSQL not found: installing Debian package postgresql (apt-get)...")
	// Stop the package from creating and starting its own "main" cluster on :5432; we run our own.
	_ = os.MkdirAll("/etc/postgresql-common/createcluster.d", 0o755)
	_ = os.WriteFile("/etc/postgresql-common/createcluster.d/leakdesk.conf", []byte("create_main_cluster = false\n"), 0o644)
	for _, args := range [][]string{
		{"update", "-q"},
		{"-o", "DPkg::Lock::Timeout=600", "install", "-y", "-q", "--no-install-recommends", "postgresql", "postgresql-contrib"},
	} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("apt-get %s failed: %w\n%s", args[len(args)-1], err, tail(out))
		}
	}
	return FindBinDir()
}

// Start initialises dir on first use, starts the server if it is not running, and makes sure the
// application database exists. A second Start on the same dir reuses the data.
func Start(ctx context.Context, dir string, opts Options) (*Cluster, error) {
	bin, err := EnsureInstalled(ctx, opts)
	if err != nil {
		return nil, err
	}
	c := &Cluster{BinDir: bin}
	if os.Geteuid() == 0 {
		c.RunAs = serverUser()
	}
	if c.Dir, err = usableDir(ctx, dir, c.RunAs, opts.Log); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := c.initdb(ctx, opts); err != nil {
			return nil, err
		}
	}
	if port, ok := c.runningPort(); ok {
		c.Port = port
	} else {
		if err := c.start(ctx); err != nil {
			return nil, err
		}
	}
	if err := c.createDatabase(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Open describes the cluster in dir without starting it (for stop and env).
func Open(dir string) (*Cluster, error) {
	bin, err := FindBinDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{BinDir: bin, Dir: redirectedDir(dir)}
	if os.Geteuid() == 0 {
		c.RunAs = serverUser()
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "PG_VERSION")); err != nil {
		return nil, fmt.Errorf("no cluster in %s: %w", c.Dir, err)
	}
	if port, ok := c.runningPort(); ok {
		c.Port = port
	}
	return c, nil
}

// Running reports whether the server answers pg_ctl status.
func (c *Cluster) Running() bool {
	_, ok := c.runningPort()
	return ok
}

// Stop stops the server (fast shutdown). Stopping a stopped cluster is not an error.
func (c *Cluster) Stop(ctx context.Context) error {
	if !c.Running() {
		return nil
	}
	return c.pgctl(ctx, "stop", "-m", "fast", "-w")
}

// Restart restarts the server; immediate mode simulates a crash (no shutdown checkpoint).
func (c *Cluster) Restart(ctx context.Context, immediate bool) error {
	mode := "fast"
	if immediate {
		mode = "immediate"
	}
	return c.pgctl(ctx, "restart", "-m", mode, "-w", "-l", filepath.Join(c.Dir, "server.log"))
}

// StopImmediate stops the server without a checkpoint, as a crash would.
func (c *Cluster) StopImmediate(ctx context.Context) error {
	return c.pgctl(ctx, "stop", "-m", "immediate", "-w")
}

// StartServer starts an initialised, stopped cluster on its configured port.
func (c *Cluster) StartServer(ctx context.Context) error {
	return c.pgctl(ctx, "start", "-w", "-t", "60", "-l", filepath.Join(c.Dir, "server.log"))
}

// Remove stops the cluster and deletes its data directory.
func (c *Cluster) Remove(ctx context.Context) error {
	_ = c.pgctl(ctx, "stop", "-m", "immediate", "-w")
	return os.RemoveAll(c.Dir)
}

func (c *Cluster) initdb(ctx context.Context, opts Options) error {
	logf(opts.Log, "creating PostgreSQL cluster in %s", c.Dir)
	if err := c.run(ctx, filepath.Join(c.BinDir, "initdb"), "-D", c.Dir, "-U", "postgres",
		"--auth=trust", "--locale=C", "--encoding=UTF8", "--no-sync"); err != nil {
		return fmt.Errorf("initdb: %w", err)
	}
	port, err := freePort(54320)
	if err != nil {
		return err
	}
	conf := []string{
		"# written by leakdesk devdb",
		"listen_addresses = '127.0.0.1'",
		fmt.Sprintf("port = %d", port),
		fmt.Sprintf("unix_socket_directories = '%s'", c.Dir),
		"max_connections = 200",
		"timezone = 'UTC'",
		"log_min_messages = warning",
	}
	if opts.Fast {
		conf = append(conf, "fsync = off", "synchronous_commit = off", "full_page_writes = off")
	}
	f, err := os.OpenFile(filepath.Join(c.Dir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("devdb: open postgresql.conf: %w", err)
	}
	defer f.Close()
	_, err = f.WriteString("\n" + strings.Join(conf, "\n") + "\n")
	return err
}

func (c *Cluster) start(ctx context.Context) error {
	port := c.configuredPort()
	if !portFree(port) {
		// Something else took our port since the last run: move to a free one.
		p, err := freePort(54320)
		if err != nil {
			return err
		}
		f, err := os.OpenFile(filepath.Join(c.Dir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(f, "port = %d\n", p)
		f.Close()
		if err != nil {
			return err
		}
		port = p
	}
	if err := c.StartServer(ctx); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.Dir, "server.log"))
		return fmt.Errorf("pg_ctl start: %w\n%s", err, tail(log))
	}
	c.Port = port
	return nil
}

func (c *Cluster) createDatabase(ctx context.Context) error {
	var conn *pgx.Conn
	var err error
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err = pgx.Connect(ctx, c.AdminURL())
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("devdb: connect: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", DatabaseName).Scan(&exists); err != nil {
		return fmt.Errorf("devdb: check database: %w", err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+DatabaseName); err != nil {
			return fmt.Errorf("devdb: create database: %w", err)
		}
	}
	// The app's roles (cluster-wide): the group the migrations grant to, and a login role in it.
	if _, err := conn.Exec(ctx, `DO $$ BEGIN
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '`+AppGroup+`') THEN CREATE ROLE `+AppGroup+` NOLOGIN; END IF;
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '`+AppUser+`') THEN
			CREATE ROLE `+AppUser+` LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT IN ROLE `+AppGroup+`;
		END IF;
	END $$`); err != nil {
		return fmt.Errorf("devdb: create the app roles: %w", err)
	}
	return nil
}

// runningPort reads the port from postmaster.pid when pg_ctl says the server runs.
func (c *Cluster) runningPort() (int, bool) {
	if err := c.run(context.Background(), filepath.Join(c.BinDir, "pg_ctl"), "status", "-D", c.Dir); err != nil {
		return 0, false
	}
	b, err := os.ReadFile(filepath.Join(c.Dir, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, false
	}
	p, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	return p, err == nil
}

func (c *Cluster) configuredPort() int {
	b, _ := os.ReadFile(filepath.Join(c.Dir, "postgresql.conf"))
	port := 5432
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "port = ") {
			if p, err := strconv.Atoi(strings.TrimPrefix(line, "port = ")); err == nil {
				port = p // the last assignment wins, as in PostgreSQL
			}
		}
	}
	return port
}

func (c *Cluster) pgctl(ctx context.Context, args ...string) error {
	return c.run(ctx, filepath.Join(c.BinDir, "pg_ctl"), append([]string{args[0], "-D", c.Dir}, args[1:]...)...)
}

func (c *Cluster) run(ctx context.Context, name string, args ...string) error {
	var cmd *exec.Cmd
	if c.RunAs != "" {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", c.RunAs, "--", name}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, name, args...)
	}
	// The server must not inherit our working directory's permissions problems (e.g. /root).
	cmd.Dir = "/"
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", filepath.Base(name), args[0], err, tail(out.Bytes()))
	}
	return nil
}

func serverUser() string {
	for _, name := range []string{"postgres", "nobody"} {
		if _, err := user.Lookup(name); err == nil {
			return name
		}
	}
	return "nobody"
}

// usableDir returns dir, or — when the server user could not reach dir (e.g. a checkout under
// /root, mode 0700) — a directory under /var/tmp derived from dir's absolute path. The choice is
// remembered in dir's parent so that later runs find the same cluster.
func usableDir(ctx context.Context, dir, runAs string, log io.Writer) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	target := redirectedDir(abs)
	if target == abs && runAs != "" && !reachable(ctx, filepath.Dir(abs), runAs) {
		sum := sha256.Sum256([]byte(abs))
		target = filepath.Join("/var/tmp", "leakdesk-pg-"+hex.EncodeToString(sum[:6]))
		logf(log, "%s is not reachable by the %q user; using %s for the cluster", abs, runAs, target)
		if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(abs+".location", []byte(target+"\n"), 0o644); err != nil {
			return "", err
		}
	}
	if err := os.MkdirAll(target, 0o700); err != nil {
		return "", fmt.Errorf("devdb: create %s: %w", target, err)
	}
	if runAs != "" {
		u, err := user.Lookup(runAs)
		if err != nil {
			return "", err
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(target, uid, gid); err != nil {
			return "", fmt.Errorf("devdb: chown %s: %w", target, err)
		}
	}
	return target, nil
}

func redirectedDir(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	if b, err := os.ReadFile(abs + ".location"); err == nil {
		return strings.TrimSpace(string(b))
	}
	return abs
}

// reachable asks the server user itself whether it can enter and write dir (after creating it).
func reachable(ctx context.Context, dir, runAs string) bool {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false
	}
	// The parent must at least be traversable; make the checkout's own .data dir traversable.
	_ = os.Chmod(dir, 0o755)
	cmd := exec.CommandContext(ctx, "runuser", "-u", runAs, "--", "test", "-x", dir)
	cmd.Dir = "/"
	return cmd.Run() == nil
}

func freePort(from int) (int, error) {
	for p := from; p < from+200; p++ {
		if portFree(p) {
			return p, nil
		}
	}
	return 0, fmt.Errorf("devdb: no free port in %d-%d", from, from+199)
}

func portFree(p int) bool {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return s
}
