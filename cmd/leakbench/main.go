// Command leakbench is `make bench`: it starts its own PostgreSQL cluster with durability ON (fsync
// and synchronous_commit as in production), serves leakdesk from bin/leakdesk on a loopback port,
// drives it with internal/loadgen for a bounded time per scenario, and prints one table in which
// every figure stands beside a reference measured in the same run on the same cluster: pgbench -N
// for approved transitions, a trivial handler on the same server for page and API reads, COPY for
// the CSV import, plain SHA-256 of the same bytes for hash-chain verification, and a plain
// single-row insert+commit for the request+approve Go benchmark. CPU seconds of the app and of the
// database (every process of the cluster) are recorded per scenario.
package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/leakdesk/leakdesk/internal/checkpoint"
	"github.com/leakdesk/leakdesk/internal/devdb"
	"github.com/leakdesk/leakdesk/internal/loadgen"
	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/store"
)

type options struct {
	leakdesk    string
	duration    time.Duration
	warmup      time.Duration
	seedCases   int
	readyCases  int
	csvRows     int
	goBench     string
	goBenchTime string
	mdOut       string
	keepDir     bool
	only        string
	cpuProfile  string
}

func main() {
	var o options
	flag.StringVar(&o.leakdesk, "leakdesk", "bin/leakdesk", "the leakdesk binary to serve and migrate with")
	flag.DurationVar(&o.duration, "duration", 8*time.Second, "measured time of each load scenario")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured warm-up before each load scenario")
	flag.IntVar(&o.seedCases, "seed-cases", 1000, "cases opened before the read scenarios, so lists and the dashboard are not empty")
	flag.IntVar(&o.readyCases, "ready-cases", 2000, "cases opened and ticked beforehand for the request → approve scenario (0: skip it)")
	flag.IntVar(&o.csvRows, "csv-rows", 20000, "rows in the CSV import file")
	flag.StringVar(&o.goBench, "go-bench", "./internal/casework", "package whose request+approve Go benchmarks run on the same cluster (empty: skip)")
	flag.StringVar(&o.goBenchTime, "go-benchtime", "3s", "-benchtime for the Go benchmarks")
	flag.StringVar(&o.mdOut, "md", "", "also write the table (Markdown) to this file")
	flag.BoolVar(&o.keepDir, "keep", false, "keep the cluster and logs (prints where)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of this process per step to FILE.<step number> (the import and verification run in-process)")
	flag.StringVar(&o.only, "only", "", "run only the steps whose names contain one of these comma-separated words (e.g. \"CSV,verification\"); empty: all")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "leakbench:", err)
		os.Exit(1)
	}
}

// bench holds what the scenarios share.
type bench struct {
	o       options
	log     io.Writer
	cluster *devdb.Cluster
	st      *store.Store
	keys    *pii.Keyring
	dataKey string
	pgPID   int
	server  *exec.Cmd
	baseURL string
	tmp     string
	started time.Time
	// factsJSON is the discovery facts of every case the load opens.
	factsJSON string
	staff     benchUser
	manager   benchUser
	caseIDs   []int64
	// ready are cases whose discovery may be completed at once, for request → approve alone.
	ready    []int64
	sessions []*session
	rows     []row
	// idle is serve's memory once ready, before any load: the reference of the memory rows.
	idle loadgen.Memory
}

func run(ctx context.Context, o options, stdout, stderr io.Writer) error {
	started := time.Now()
	tmp, err := os.MkdirTemp("", "leakbench-")
	if err != nil {
		return err
	}
	b := &bench{o: o, log: stderr, tmp: tmp, started: started}
	defer func() {
		if o.keepDir {
			fmt.Fprintf(stderr, "kept %s\n", tmp)
			return
		}
		if b.cluster != nil {
			_ = b.cluster.Remove(context.Background())
		}
		_ = os.RemoveAll(tmp)
	}()
	b.logf("starting a durable PostgreSQL cluster in %s", tmp)
	b.cluster, err = devdb.Start(ctx, filepath.Join(tmp, "pg"), devdb.Options{Install: true, Log: stderr})
	if err != nil {
		return fmt.Errorf("start cluster: %w", err)
	}
	if b.pgPID, err = loadgen.PostmasterPID(b.cluster.Dir); err != nil {
		return err
	}
	env, err := b.setup(ctx)
	if err != nil {
		return err
	}
	if err := b.startServer(ctx); err != nil {
		return err
	}
	defer b.stopServer()

	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"approved transitions and pgbench", b.transitions},
		{"reads", b.reads},
		{"CSV import and COPY", b.csvImport},
		{"hash-chain verification", b.verify},
		{"signed checkpoints", b.checkpoints},
	}
	for i, s := range steps {
		if !selected(o.only, s.name) {
			continue
		}
		b.logf("%s", s.name)
		stopProfile, err := startProfile(o.cpuProfile, i)
		if err != nil {
			return err
		}
		err = s.fn(ctx)
		stopProfile()
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	if err := b.memoryRow("whole run (every step above)", 0); err != nil {
		return err
	}
	b.stopServer()
	if o.goBench != "" {
		b.logf("Go benchmarks in %s", o.goBench)
		if err := b.goBenchmarks(ctx); err != nil {
			return fmt.Errorf("go benchmarks: %w", err)
		}
	}
	env.Total = time.Since(started)
	table := b.table(env)
	fmt.Fprint(stdout, table)
	if o.mdOut != "" {
		if err := os.WriteFile(o.mdOut, []byte(table), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// startProfile starts a CPU profile into base.<step> (nothing when base is empty).
func startProfile(base string, step int) (func(), error) {
	if base == "" {
		return func() {}, nil
	}
	f, err := os.Create(fmt.Sprintf("%s.%d", base, step))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// selected reports whether the step named name runs under -only (a comma-separated list of words,
// any of which the name must contain; empty selects every step).
func selected(only, name string) bool {
	if only == "" {
		return true
	}
	for _, w := range strings.Split(only, ",") {
		if w = strings.TrimSpace(w); w != "" && strings.Contains(name, w) {
			return true
		}
	}
	return false
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "leakbench: "+format+"\n", args...)
}

// startServer runs `leakdesk serve` as its own process, so its CPU time is the app's alone (the
// load generator runs here), and waits until /readyz says the database is ready.
func (b *bench) startServer(ctx context.Context) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	logf, err := os.Create(filepath.Join(b.tmp, "server.log"))
	if err != nil {
		return err
	}
	signingKey := filepath.Join(b.tmp, "signing-key")
	skey, _, err := checkpoint.GenerateKey("leakbench")
	if err != nil {
		return err
	}
	if err := os.WriteFile(signingKey, []byte(skey+"\n"), 0o600); err != nil {
		return err
	}
	cmd := exec.Command(b.o.leakdesk, "serve")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+b.cluster.URL(), "LEAKDESK_ADDR="+addr, "LEAKDESK_BASE_URL=",
		"LEAKDESK_SIGNING_KEY_FILE="+signingKey,
		"LEAKDESK_DATA_KEY="+b.dataKey, "LEAKDESK_DATA_KEY_FILE=", "LEAKDESK_LOG_LEVEL=warn", "LEAKDESK_SMTP_URL=", "LEAKDESK_API_RATE=0")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s serve: %w", b.o.leakdesk, err)
	}
	b.server = cmd
	b.baseURL = "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		resp, err := http.Get(b.baseURL + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				b.logf("server ready at %s (pid %d)", b.baseURL, cmd.Process.Pid)
				if b.idle, err = loadgen.ProcessMemory(cmd.Process.Pid); err != nil {
					return err
				}
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return errors.New("the server did not become ready within 60 s (see server.log with --keep)")
}

func (b *bench) stopServer() {
	if b.server == nil || b.server.Process == nil {
		return
	}
	_ = b.server.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = b.server.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = b.server.Process.Kill()
		<-done
	}
	b.server = nil
}

// memoryRow adds serve's resident-set peak so far (VmHWM, the kernel's high-water mark, so no
// sample can miss it) beside its idle RSS after start-up. Issue 19's budget is 150 MB under the
// 32-client load.
func (b *bench) memoryRow(during string, clients int) error {
	if b.server == nil || b.server.Process == nil {
		return nil
	}
	m, err := loadgen.ProcessMemory(b.server.Process.Pid)
	if err != nil {
		return err
	}
	const mb = 1 << 20
	b.rows = append(b.rows, row{Group: "memory", Figure: "serve peak RSS (VmHWM), " + during, Clients: clients,
		Value: float64(m.Peak) / mb, Unit: "MB", App: -1, DB: -1,
		RefName: "idle RSS", Ref: float64(b.idle.RSS) / mb, RefUnit: "MB",
		Note: fmt.Sprintf("RSS now %.0f MB; budget 150 MB (ratio = peak ÷ idle)", float64(m.RSS)/mb)})
	return nil
}

// cpu is the CPU time used so far by the app process and by the whole database cluster.
type cpu struct{ app, db time.Duration }

func (b *bench) cpuNow() cpu {
	var c cpu
	if b.server != nil && b.server.Process != nil {
		c.app, _ = loadgen.ProcessCPU(b.server.Process.Pid)
	}
	c.db, _ = loadgen.TreeCPU(b.pgPID)
	return c
}

// cpuInProcess is cpuNow for work that runs in this process (the import and verification call
// the store directly): the app is this process.
func (b *bench) cpuInProcess() cpu {
	c := cpu{}
	c.app, _ = loadgen.ProcessCPU(os.Getpid())
	c.db, _ = loadgen.TreeCPU(b.pgPID)
	return c
}

func (c cpu) since(before cpu) cpu { return cpu{app: c.app - before.app, db: c.db - before.db} }

// dataKeyB64 returns a fresh random data key in the form LEAKDESK_DATA_KEY takes.
func dataKeyB64() (string, *pii.Keyring, error) {
	material := make([]byte, pii.KeySize)
	if _, err := randRead(material); err != nil {
		return "", nil, err
	}
	k, err := pii.NewKey(material)
	if err != nil {
		return "", nil, err
	}
	return base64.StdEncoding.EncodeToString(material), pii.NewKeyring(k), nil
}

func trimOutput(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	return s
}
