package loadgen

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentile_NearestRank(t *testing.T) {
	ms := func(xs ...int) []time.Duration {
		out := make([]time.Duration, len(xs))
		for i, x := range xs {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value", ms(7), 99, 7 * time.Millisecond},
		{"median of four is the second", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p50 of 1..100", ms(hundred...), 50, 50 * time.Millisecond},
		{"p100 is the maximum", ms(1, 5, 9), 100, 9 * time.Millisecond},
		{"p99 of three is the maximum", ms(1, 5, 9), 99, 9 * time.Millisecond},
	} {
		if got := Percentile(tc.sorted, tc.p); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRun_BoundedCountsAndErrors(t *testing.T) {
	var calls atomic.Int64
	seen := make([]atomic.Bool, 4)
	boom := errors.New("boom")
	res := Run(context.Background(), Config{Clients: 4, Duration: 200 * time.Millisecond}, func(ctx context.Context, w int) error {
		seen[w].Store(true)
		n := calls.Add(1)
		time.Sleep(2 * time.Millisecond)
		if n%10 == 0 {
			return boom
		}
		return nil
	})
	if res.Elapsed < 200*time.Millisecond || res.Elapsed > 2*time.Second {
		t.Fatalf("elapsed %v: the run is not bounded by its duration", res.Elapsed)
	}
	if int64(res.Ops+res.Errors) != calls.Load() {
		t.Fatalf("ops %d + errors %d != calls %d", res.Ops, res.Errors, calls.Load())
	}
	if res.Errors == 0 || !errors.Is(res.FirstErr, boom) {
		t.Fatalf("errors %d, first %v", res.Errors, res.FirstErr)
	}
	for i := range seen {
		if !seen[i].Load() {
			t.Errorf("client %d never ran", i)
		}
	}
	if res.P50 < 2*time.Millisecond || res.P99 < res.P50 {
		t.Fatalf("p50 %v p99 %v: latencies below the 2 ms sleep or out of order", res.P50, res.P99)
	}
	if res.PerSecond() <= 0 || res.Clients != 4 {
		t.Fatalf("result %v", res)
	}
}

func TestRun_StopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	res := Run(ctx, Config{Clients: 2, Duration: time.Hour}, func(ctx context.Context, _ int) error {
		time.Sleep(time.Millisecond)
		return nil
	})
	if res.Elapsed > 5*time.Second {
		t.Fatalf("ran %v after the context ended", res.Elapsed)
	}
}

func TestRun_EndsWhenThePoolIsDrained(t *testing.T) {
	pool := make(chan int, 50)
	for i := range 50 {
		pool <- i
	}
	close(pool)
	res := Run(context.Background(), Config{Clients: 3, Duration: time.Hour}, func(ctx context.Context, _ int) error {
		if _, ok := <-pool; !ok {
			return ErrDone
		}
		return nil
	})
	if res.Ops != 50 || res.Errors != 0 || res.Elapsed > 5*time.Second {
		t.Fatalf("%v: want exactly the 50 pooled items, no errors, an early end", res)
	}
}

func TestParseStat_NameWithParenthesesAndSpaces(t *testing.T) {
	line := "4242 (post gres: (x) idle) S 17 4242 4242 0 -1 4194560 100 0 0 0 123 45 6 7 20 0 1 0 100 0 0\n"
	st, err := parseStat(line)
	if err != nil {
		t.Fatal(err)
	}
	if st.ppid != 17 || st.utime != 123 || st.stime != 45 || st.cutime != 6 || st.cstime != 7 {
		t.Fatalf("parsed %+v", st)
	}
	if _, err := parseStat("4242 no parenthesis"); err == nil {
		t.Fatal("a malformed line parsed")
	}
}

func TestTreeCPU_CountsReapedChildren(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	before, err := TreeCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// A child that burns about 300 ms of CPU and exits: once reaped, its time is in our cutime.
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperBurn$")
	cmd.Env = append(os.Environ(), "LOADGEN_BURN=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("burn child: %v %s", err, out)
	}
	after, err := TreeCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after-before < 200*time.Millisecond {
		t.Fatalf("tree CPU grew by %v, want at least the child's ~300ms", after-before)
	}
	own, err := ProcessCPU(os.Getpid())
	// The test process itself may have used less than one clock tick (10 ms) of CPU: 0 is valid.
	if err != nil || own < 0 || own > after {
		t.Fatalf("own CPU %v (tree %v): %v", own, after, err)
	}
}

func TestHelperBurn(t *testing.T) {
	if os.Getenv("LOADGEN_BURN") != "1" {
		t.Skip("helper process for TestTreeCPU_CountsReapedChildren")
	}
	// Burn by CPU time, not wall time: on a shared machine wall time says little about CPU.
	x := 0
	for {
		for range 1_000_000 {
			x++
		}
		if cpu, err := ProcessCPU(os.Getpid()); err != nil || cpu >= 300*time.Millisecond {
			break
		}
	}
	_ = x
}

func TestPostmasterPID(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/postmaster.pid", []byte("12345\n/data\n1700000000\n5432\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if pid, err := PostmasterPID(dir); err != nil || pid != 12345 {
		t.Fatalf("pid %d, %v", pid, err)
	}
	if _, err := PostmasterPID(t.TempDir()); err == nil {
		t.Fatal("missing file gave no error")
	}
}

func TestParseStatus(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     Memory
		bad      bool
	}{
		{"both", "Name:\tleakdesk\nVmPeak:\t 900000 kB\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\nThreads:\t9\n", Memory{RSS: 40960 << 10, Peak: 51200 << 10}, false},
		{"kernel thread has neither", "Name:\tkworker/0:1\nThreads:\t1\n", Memory{}, true},
		{"unit not kB", "VmHWM:\t 1 MB\nVmRSS:\t 1 kB\n", Memory{}, true},
		{"not a number", "VmHWM:\t x kB\nVmRSS:\t 1 kB\n", Memory{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStatus(tc.in)
			if (err != nil) != tc.bad || got != tc.want {
				t.Fatalf("parseStatus = %+v, %v; want %+v, error %v", got, err, tc.want, tc.bad)
			}
		})
	}
}

func TestProcessMemory_Self(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	m, err := ProcessMemory(os.Getpid())
	// A Go test binary is resident for at least a megabyte, and the peak is never below the present.
	if err != nil || m.RSS < 1<<20 || m.Peak < m.RSS {
		t.Fatalf("ProcessMemory(self) = %+v, %v", m, err)
	}
}
