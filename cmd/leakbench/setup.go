package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/store"
)

var randRead = rand.Read

// environment is the header of the table: what the figures were measured on.
type environment struct {
	CPU        string
	Cores      int
	Postgres   string
	Fsync      string
	SyncCommit string
	Seeded     int
	SeedTime   time.Duration
	Total      time.Duration
}

type benchUser struct {
	ID       int64
	Email    string
	Password string
	Token    string
	Actor    incident.Actor
}

// setup migrates, checks durability, creates the two users the scenarios act as and opens the
// seed cases.
func (b *bench) setup(ctx context.Context) (environment, error) {
	var env environment
	url := b.cluster.URL()
	mig := exec.CommandContext(ctx, b.o.leakdesk, "migrate", "up")
	mig.Env = append(os.Environ(), "DATABASE_URL="+url)
	if out, err := mig.CombinedOutput(); err != nil {
		return env, fmt.Errorf("migrate: %w: %s", err, trimOutput(out))
	}
	st, err := store.Open(ctx, url)
	if err != nil {
		return env, err
	}
	b.st = st
	row := st.Pool.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit')`)
	if err := row.Scan(&env.Postgres, &env.Fsync, &env.SyncCommit); err != nil {
		return env, fmt.Errorf("read settings: %w", err)
	}
	// The whole point of the table is production durability: refuse to print figures without it.
	if env.Fsync != "on" || env.SyncCommit != "on" {
		return env, fmt.Errorf("durability is off (fsync=%s, synchronous_commit=%s)", env.Fsync, env.SyncCommit)
	}
	env.CPU, env.Cores = cpuModel(), runtime.NumCPU()

	if b.dataKey, b.keys, err = dataKeyB64(); err != nil {
		return env, err
	}
	if err := st.CheckDataKey(ctx, b.keys); err != nil {
		return env, fmt.Errorf("record data key: %w", err)
	}
	if b.factsJSON, err = discoveryJSON(b.started); err != nil {
		return env, err
	}
	if b.staff, err = b.createUser(ctx, "staff@bench.example.jp", "ベンチ 担当者", auth.RoleStaff); err != nil {
		return env, err
	}
	if b.manager, err = b.createUser(ctx, "manager@bench.example.jp", "ベンチ 部長", auth.RoleManager); err != nil {
		return env, err
	}

	b.logf("opening %d seed cases", b.o.seedCases)
	t0 := time.Now()
	if err := b.seed(ctx); err != nil {
		return env, err
	}
	if b.o.readyCases > 0 {
		b.logf("opening and ticking %d cases for request → approve", b.o.readyCases)
		if b.ready, err = b.prepareReady(ctx); err != nil {
			return env, err
		}
	}
	env.Seeded, env.SeedTime = len(b.caseIDs)+len(b.ready), time.Since(t0)
	return env, nil
}

func (b *bench) createUser(ctx context.Context, email, name string, role auth.Role) (benchUser, error) {
	u := benchUser{Email: email, Password: auth.RandomPassword()}
	// Production parameters: the logins of the page scenarios cost what they cost in production.
	hash, err := auth.HashPassword(u.Password, auth.DefaultParams)
	if err != nil {
		return u, err
	}
	su, err := b.st.CreateUser(ctx, 0, email, name, []auth.Role{role}, hash)
	if err != nil {
		return u, fmt.Errorf("create user %s: %w", email, err)
	}
	// The page scenarios sign in with a password alone: a second factor is not what is measured.
	if err := b.st.SetMFARoles(ctx, 0, nil); err != nil {
		return u, err
	}
	tok, tokHash, err := auth.NewToken()
	if err != nil {
		return u, err
	}
	if err := b.st.CreateToken(ctx, su.ID, tokHash, "leakbench"); err != nil {
		return u, err
	}
	u.ID, u.Token = su.ID, tok
	u.Actor = incident.Actor{UserID: su.ID, Name: su.Name, Roles: []incident.Role{incident.Role(role)}}
	return u, nil
}

// seedTitles vary so that the filtered list (a search for one of them) matches about a quarter of
// the cases: enough for a full 50-row page that the index has to find.
var seedTitles = []string{"USBメモリ紛失", "メール誤送信", "不正アクセス", "書類の誤廃棄"}

// seedFilter is the case-list search of the filtered-list scenario.
const seedFilter = "メール誤送信"

// seed opens cases through the application service (the same path as the API, without HTTP).
// Every other case also completes discovery, so the list and dashboard show several stages.
func (b *bench) seed(ctx context.Context) error {
	svc := casework.New(b.st)
	ids, err := inParallel(b.o.seedCases, func(i int) (int64, error) { return b.seedOne(ctx, svc, i) })
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if len(ids) == 0 {
		return errors.New("seed: no cases (use --seed-cases ≥ 1)")
	}
	b.caseIDs = append(b.caseIDs, ids...)
	return nil
}

// prepareReady opens cases and ticks their required discovery item, so that "complete discovery"
// can be requested at once.
func (b *bench) prepareReady(ctx context.Context) ([]int64, error) {
	svc := casework.New(b.st)
	ids, err := inParallel(b.o.readyCases, func(i int) (int64, error) {
		c, err := svc.Open(ctx, b.staff.Actor, fmt.Sprintf("USBメモリ紛失（承認待ち %d）", i), discoveryFacts(b.started), false)
		if err != nil {
			return 0, fmt.Errorf("open: %w", err)
		}
		if _, _, err := svc.Do(ctx, c.ID, c.Version, b.staff.Actor, incident.TickChecklist{ItemID: "discovery.evidence_preserved", Checked: true}); err != nil {
			return 0, fmt.Errorf("tick: %w", err)
		}
		return c.ID, nil
	})
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	return ids, nil
}

// inParallel runs one(0..n-1) on four goroutines (case creation queues on the case-number row,
// more would only wait) and returns the ids it made; a goroutine stops at its first error.
func inParallel(n int, one func(i int) (int64, error)) ([]int64, error) {
	const workers = 4
	ids := make([][]int64, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				id, err := one(i)
				if err != nil {
					errs[w] = err
					return
				}
				ids[w] = append(ids[w], id)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []int64
	for _, l := range ids {
		out = append(out, l...)
	}
	return out, nil
}

func (b *bench) seedOne(ctx context.Context, svc *casework.Service, i int) (int64, error) {
	title := fmt.Sprintf("%s（ベンチマーク %d）", seedTitles[i%len(seedTitles)], i)
	c, err := svc.Open(ctx, b.staff.Actor, title, discoveryFacts(b.started), false)
	if err != nil {
		return 0, fmt.Errorf("open: %w", err)
	}
	if i%2 == 1 {
		return c.ID, nil
	}
	c, _, err = svc.Do(ctx, c.ID, c.Version, b.staff.Actor, incident.TickChecklist{ItemID: "discovery.evidence_preserved", Checked: true})
	if err != nil {
		return 0, fmt.Errorf("tick: %w", err)
	}
	_, req, err := svc.Submit(ctx, c.ID, c.Version, b.staff.Actor, incident.SubmitRequest{Kind: incident.RequestKind("complete"), Stage: incident.StageDiscovery, Note: "第一報完了"})
	if err != nil {
		return 0, fmt.Errorf("submit: %w", err)
	}
	if _, _, err := svc.Approve(ctx, req.ID, b.manager.Actor, "承認します", 0); err != nil {
		return 0, fmt.Errorf("approve: %w", err)
	}
	return c.ID, nil
}

// discoveryFacts are the facts discovery needs before "complete discovery" may be requested (those
// of the API tests), dated a few hours before the run: a leak recognised today has its deadlines
// days ahead, so the reminder workers stay as quiet as they would in production instead of
// chasing thousands of long-overdue deadlines during the measurement.
func discoveryFacts(now time.Time) map[string]any {
	at := func(ago time.Duration) string { return now.Add(-ago).In(incident.JST()).Format("2006-01-02T15:04") }
	return map[string]any{
		"recognized_at": at(3 * time.Hour), "reported_to_soumu_at": at(2 * time.Hour),
		"containment_ordered_at": at(time.Hour), "prelim_screen": "suspected",
		"exec_notification_decision": "not_needed", "involves_my_number": "no",
		"suspected_route": "media_lost", "estimated_count_max": 3000,
	}
}

// discoveryJSON is discoveryFacts as the API's request body takes it.
func discoveryJSON(now time.Time) (string, error) {
	b, err := json.Marshal(discoveryFacts(now))
	return string(b), err
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
