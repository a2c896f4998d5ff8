package faults_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leakdesk/leakdesk/internal/checkpoint"
	"github.com/leakdesk/leakdesk/internal/devdb"
	"github.com/leakdesk/leakdesk/internal/mail/mailtest"
	"github.com/leakdesk/leakdesk/internal/testdb"
)

// The binary under test is built once per package run, into a directory TestMain removes.
var (
	binDir   string
	binOnce  sync.Once
	binPath  string
	binErr   error
	password = "faults-test-password-" + strconv.Itoa(os.Getpid())
)

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "leakdesk-faults-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	if shared != nil {
		if err := shared.Remove(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "remove the fault tests' cluster:", err)
		}
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// soak reports whether the large versions run (`make soak`).
func soak() bool { return os.Getenv("LEAKDESK_SOAK") == "1" }

// size picks the make-test or the soak figure; env (e.g. LEAKDESK_SOAK_RACES) overrides both.
func size(env string, small, large int) int {
	if v, err := strconv.Atoi(os.Getenv(env)); err == nil && v > 0 {
		return v
	}
	if soak() {
		return large
	}
	return small
}

// needServer skips in -short runs and where PostgreSQL's server binaries are missing — unless
// LEAKDESK_TEST_REQUIRE_DB=1 (make test, CI), where a missing server must fail, not skip.
func needServer(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("fault tests start PostgreSQL clusters and app processes; skipped with -short")
	}
	if _, err := devdb.FindBinDir(); err != nil {
		if testdb.Require() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// binary builds cmd/leakdesk once.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			binErr = fmt.Errorf("go tool not on PATH: %w", err)
			return
		}
		binPath = filepath.Join(binDir, "leakdesk")
		cmd := exec.Command(goTool, "build", "-o", binPath, "github.com/leakdesk/leakdesk/cmd/leakdesk")
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// rig is one private cluster (durability ON: an immediate restart must not lose a commit), the
// app's environment, a mail sink, and the app instances started on it.
type rig struct {
	t       *testing.T
	bin     string
	cluster *devdb.Cluster
	db      *pgxpool.Pool // the test's own superuser connection, for the checks afterwards
	smtp    *mailtest.Server
	env     []string
	dir     string
	users   map[string]user
	insts   []*instance
}

type user struct {
	ID    int64
	Email string
	Token string
}

func newRig(t *testing.T) *rig {
	t.Helper()
	needServer(t)
	start := time.Now()
	r := &rig{t: t, bin: binary(t), dir: t.TempDir(), users: map[string]user{}}
	ctx := context.Background()
	defer func() {
		t.Logf("rig ready in %s (binary, cluster, migrations, users)", time.Since(start).Round(time.Millisecond))
	}()
	c := sharedCluster(t)
	r.cluster = c
	dbURL := r.database()
	smtp, err := mailtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(smtp.Close)
	r.smtp = smtp
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	keyFile := filepath.Join(r.dir, "data-key")
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	signingKey := filepath.Join(r.dir, "signing-key")
	skey, _, err := checkpoint.GenerateKey("leakdesk-faults")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(signingKey, []byte(skey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.env = append(os.Environ(),
		"DATABASE_URL="+dbURL,
		"LEAKDESK_SIGNING_KEY_FILE="+signingKey,
		"LEAKDESK_DATA_KEY=",
		"LEAKDESK_DATA_KEY_FILE="+keyFile,
		"SMTP_URL="+smtp.URL(),
		"LEAKDESK_MAIL_FROM=leakdesk@example.jp",
		"LEAKDESK_LOG_LEVEL=warn",
		// The writers share one user's token far above a person's pace: the per-user API limit
		// (issue 20) would answer 429 and hide what these tests look for.
		"LEAKDESK_API_RATE=0",
		"LEAKDESK_BASE_URL=",
	)
	r.run(nil, "migrate", "up")
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	r.db = pool
	// The rig signs in with passwords alone (a second factor is tested in internal/web).
	r.run(nil, "user", "mfa-roles", "--role", "none")
	for _, u := range []struct{ key, role string }{
		{"staff", "staff"}, {"manager1", "manager"}, {"manager2", "manager"},
	} {
		email := u.key + "@example.jp"
		r.run(strings.NewReader(password+"\n"), "user", "add", "--email", email, "--name", "障害試験 "+u.key, "--role", u.role)
		tok := strings.TrimSpace(r.run(nil, "token", "create", "--email", email, "--label", "faults"))
		var id int64
		if err := pool.QueryRow(ctx, `SELECT id FROM users WHERE email = $1`, email).Scan(&id); err != nil {
			t.Fatal(err)
		}
		r.users[u.key] = user{ID: id, Email: email, Token: tok}
	}
	return r
}

// The tests share one private cluster (started on first use, removed by TestMain; never the shared
// test cluster of `make test`, which the restart test must not touch) and get a database each.
// They do not run in parallel: the restart test stops and restarts the whole cluster.
var (
	clusterOnce sync.Once
	shared      *devdb.Cluster
	clusterErr  error
	dbSeq       atomic.Int64
)

func sharedCluster(t *testing.T) *devdb.Cluster {
	t.Helper()
	clusterOnce.Do(func() {
		shared, clusterErr = devdb.Start(context.Background(), filepath.Join(binDir, "pg"), devdb.Options{})
	})
	if clusterErr != nil {
		t.Fatalf("start private cluster: %v", clusterErr)
	}
	// A restart test that failed while the database was held down leaves it stopped.
	if !shared.Running() {
		if err := shared.StartServer(context.Background()); err != nil {
			t.Fatalf("start private cluster: %v", err)
		}
	}
	return shared
}

// database creates a fresh database for the rig in the shared cluster, dropped after the test.
func (r *rig) database() string {
	r.t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("faults_%d", dbSeq.Add(1))
	admin, err := pgx.Connect(ctx, r.cluster.AdminURL())
	if err != nil {
		r.t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() {
		ctx := context.Background()
		if conn, err := pgx.Connect(ctx, r.cluster.AdminURL()); err == nil {
			_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			conn.Close(ctx)
		}
	})
	return strings.Replace(r.cluster.URL(), "/"+devdb.DatabaseName+"?", "/"+name+"?", 1)
}

// run executes one leakdesk subcommand against the rig's database and returns its stdout.
func (r *rig) run(stdin io.Reader, args ...string) string {
	r.t.Helper()
	out, err := r.runErr(stdin, args...)
	if err != nil {
		r.t.Fatalf("leakdesk %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (r *rig) runErr(stdin io.Reader, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.bin, args...)
	cmd.Env = r.env
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}
