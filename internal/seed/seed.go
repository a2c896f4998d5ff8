package seed

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/reminder"
	"github.com/leakdesk/leakdesk/internal/store"
)

// Options of a seeding run.
type Options struct {
	Cases   int
	Workers int    // goroutines building cases in memory (CPU)
	Writers int    // concurrent COPY transactions
	Batch   int    // cases per transaction
	Seed    uint64 // the same seed gives the same cases
	Now     time.Time
	// Progress, if set, is called after each written batch.
	Progress func(Stats)
}

// Stats counts what a run wrote.
type Stats struct {
	Cases, Events, Requests, Deadlines, Persons int64
	// Rejected counts scripted commands the domain refused; the case then stops there (it is still
	// a valid case). Expected to be 0.
	Rejected int64
}

func (s *Stats) add(o Stats) {
	atomic.AddInt64(&s.Cases, o.Cases)
	atomic.AddInt64(&s.Events, o.Events)
	atomic.AddInt64(&s.Requests, o.Requests)
	atomic.AddInt64(&s.Deadlines, o.Deadlines)
	atomic.AddInt64(&s.Persons, o.Persons)
	atomic.AddInt64(&s.Rejected, o.Rejected)
}

func (s *Stats) load() Stats {
	return Stats{atomic.LoadInt64(&s.Cases), atomic.LoadInt64(&s.Events), atomic.LoadInt64(&s.Requests),
		atomic.LoadInt64(&s.Deadlines), atomic.LoadInt64(&s.Persons), atomic.LoadInt64(&s.Rejected)}
}

var seedUsers = []struct {
	email, name string
	role        auth.Role
}{
	{"seed-staff@seed.leakdesk.invalid", "シード 担当一", auth.RoleStaff},
	{"seed-staff2@seed.leakdesk.invalid", "シード 担当二", auth.RoleStaff},
	{"seed-manager@seed.leakdesk.invalid", "シード 部長", auth.RoleManager},
	{"seed-deputy@seed.leakdesk.invalid", "シード 副部長", auth.RoleManager},
	{"seed-officer@seed.leakdesk.invalid", "シード 保護管理者", auth.RolePrivacyOfficer},
	{"seed-hr@seed.leakdesk.invalid", "シード 人事", auth.RoleHR},
	{"seed-hrhead@seed.leakdesk.invalid", "シード 人事部長", auth.RoleHR},
}

// EnsureUsers creates (once) the accounts seeded cases are worked by, with random passwords that
// are never shown: nobody logs in as them.
func EnsureUsers(ctx context.Context, st *store.Store) (*Actors, error) {
	var as []incident.Actor
	for _, su := range seedUsers {
		u, err := st.UserByEmail(ctx, su.email)
		if errors.Is(err, store.ErrNotFound) {
			hash, herr := auth.HashPassword(auth.RandomPassword(), auth.DefaultParams)
			if herr != nil {
				return nil, fmt.Errorf("seed: password: %w", herr)
			}
			u, err = st.CreateUser(ctx, 0, su.email, su.name, []auth.Role{su.role}, hash)
		}
		if err != nil {
			return nil, fmt.Errorf("seed: user %s: %w", su.email, err)
		}
		a := incident.Actor{UserID: u.ID, Name: u.Name}
		for _, r := range u.Roles {
			a.Roles = append(a.Roles, incident.Role(r))
		}
		as = append(as, a)
	}
	return &Actors{Staff: as[0], Staff2: as[1], Manager: as[2], Deputy: as[3], Officer: as[4], HR: as[5], HRHead: as[6]}, nil
}

// plan is what is decided about a case before its ids exist.
type plan struct {
	rng     *rand.Rand
	steps   []step
	t0      time.Time
	persons int
	drill   bool
}

var story = fullStory()

func makePlan(seed uint64, i int, now time.Time) plan {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	var steps []step
	kind := r.Float64()
	// The mix gives about 20 events a case: many reports turn out not to be incidents, most open
	// cases are early in their life, one in eight ran its whole course.
	open := kind >= 0.30 && kind < 0.88
	switch {
	case kind < 0.30: // closed early as not an incident
		steps = append(append(steps, story[:r.IntN(8)]...), notIncident()...)
	case open: // still open, more often early in its life than late
		steps = append(steps, story[:r.IntN(1+r.IntN(len(story)-1))]...)
	default: // the whole life, closed
		steps = append(steps, story...)
	}
	var span time.Duration
	for _, s := range steps {
		span += s.gap
	}
	// Open cases are recent; closed ones spread over three years.
	back := time.Duration(r.Int64N(int64(3 * 365 * 24 * time.Hour)))
	if open {
		back = time.Duration(r.Int64N(int64(20 * 24 * time.Hour)))
	}
	t0 := now.Add(-span - back - time.Hour).Truncate(time.Second)
	persons := 0
	if r.IntN(100) < 15 {
		persons = 1 + r.IntN(8)
	}
	return plan{rng: r, steps: steps, t0: t0, persons: persons, drill: r.IntN(100) < 3}
}

// builder builds cases in memory; one per worker goroutine.
type builder struct {
	actors   *Actors
	svc      *casework.Service
	law      appi.Options
	register int // persons in the register of the case being built
}

func newBuilder(actors *Actors) *builder {
	b := &builder{actors: actors, law: appi.DefaultOptions()}
	b.svc = &casework.Service{Law: appi.DefaultOptions(), PersonCount: func(context.Context, int64) (int, error) { return b.register, nil }}
	return b
}

// build runs the plan's commands through the real domain and records what the hooks would write.
func (b *builder) build(ctx context.Context, p plan, id int64, number string, reqIDs, docIDs, personIDs []int64) (store.SeedCase, int64, error) {
	s := &script{rng: p.rng, t0: p.t0, count: 1 + p.rng.IntN(20000), dept: pick(p.rng, depts), reqs: map[string]int64{}}
	s.title = fmt.Sprintf("%s（%s）", pick(p.rng, titles), s.dept)
	s.nextReq = func() int64 {
		if len(reqIDs) == 0 {
			return 0
		}
		x := reqIDs[0]
		reqIDs = reqIDs[1:]
		return x
	}
	sc := store.SeedCase{Case: &incident.Case{}}
	c := sc.Case
	var deadlines []store.SeedDeadline
	b.register = 0
	now := p.t0
	var rejected int64
	run := func(a incident.Actor, cmd incident.Command) error {
		if sr, ok := cmd.(incident.SubmitRequest); ok && sr.Kind == incident.KindFinalise {
			doc, err := b.document(ctx, c, sr.Doc.Kind, &docIDs, now)
			if err != nil {
				return err
			}
			sr.Doc = doc.ref
			cmd = sr
			sc.Documents = append(sc.Documents, doc.row)
		}
		evs, err := b.svc.Apply(ctx, c, cmd, a, now)
		if err != nil {
			return err
		}
		sc.Events = append(sc.Events, evs...)
		b.hook(c, evs, &deadlines)
		return nil
	}
	if err := run(b.actors.Staff, incident.OpenCase{ID: id, Number: number, Title: s.title, Facts: s.openFacts(), OwnerID: b.actors.Staff.UserID, Drill: p.drill}); err != nil {
		return sc, 0, fmt.Errorf("seed: open case: %w", err)
	}
	// The register is filled right after opening (a CSV import), so the law sees its count from then on.
	for i, pid := range personIDs {
		sc.Persons = append(sc.Persons, person(p.rng, pid, i, b.actors.Staff.UserID, now.Add(time.Minute)))
	}
	b.register = len(personIDs)
	for _, st := range p.steps {
		now = now.Add(st.gap)
		if err := run(st.actor(b.actors), st.cmd(s)); err != nil {
			if incident.ErrorCode(err) == "" {
				return sc, 0, err
			}
			rejected++
			break
		}
	}
	if c.Status != incident.StatusOpen {
		for i := range sc.Persons {
			sc.Persons[i].Notice = store.PersonNotice{Status: "notified", Method: "post"}
		}
	}
	sc.Deadlines = deadlines
	return sc, rejected, nil
}

// hook mirrors the reminder package's case hook: the deadlines index follows each new assessment,
// and the per-case columns follow closing, reopening and a new handler.
func (b *builder) hook(c *incident.Case, evs []incident.Event, rows *[]store.SeedDeadline) {
	var assessSeq int64
	changed := false
	for _, e := range evs {
		switch e.Type {
		case incident.EventAssessmentChanged:
			assessSeq = e.Seq
		case incident.EventCaseClosed, incident.EventCaseReopened, incident.EventOwnerAssigned:
			changed = true
		}
	}
	now := c.UpdatedAt
	switch {
	case assessSeq != 0:
		idx := reminder.IndexRows(c, b.law, now)
		out := make([]store.SeedDeadline, len(idx))
		for i, r := range idx {
			out[i] = store.SeedDeadline{Kind: r.Kind, Due: r.Due, DueAt: r.DueAt, MetAt: r.MetAt, Basis: r.Basis,
				LabelJA: r.LabelJA, LabelEN: r.LabelEN, Drill: c.Drill, CaseOpen: c.Status == incident.StatusOpen,
				OwnerID: c.OwnerID, EventSeq: assessSeq, UpdatedAt: now.UTC()}
		}
		*rows = out
	case changed:
		for i := range *rows {
			(*rows)[i].CaseOpen = c.Status == incident.StatusOpen
			(*rows)[i].OwnerID = c.OwnerID
			(*rows)[i].Drill = c.Drill
		}
	}
}

func person(r *rand.Rand, id int64, i int, by int64, at time.Time) store.SeedPerson {
	sur, giv := pick(r, surnames), pick(r, given)
	return store.SeedPerson{
		ID: id,
		Data: store.PersonData{
			Name: sur + " " + giv, Kana: "", Postal: fmt.Sprintf("%03d-%04d", r.IntN(1000), r.IntN(10000)),
			Address:    fmt.Sprintf("東京都新宿区西新宿%d-%d-%d", 1+r.IntN(8), 1+r.IntN(30), 1+r.IntN(20)),
			Phone:      fmt.Sprintf("090-%04d-%04d", r.IntN(10000), r.IntN(10000)),
			Email:      fmt.Sprintf("p%d.%d@example.jp", id, i),
			CustomerID: fmt.Sprintf("C%09d", id),
			DataItems:  []string{"name", "address", "phone"},
		},
		CreatedBy: by,
		At:        at,
	}
}

// maxRequests is more than the request ids any script uses.
const maxRequests = 16

// maxDocuments is more than the document versions any script freezes.
const maxDocuments = 4

// Run seeds opt.Cases cases into st: Workers goroutines build batches, Writers write them.
func Run(ctx context.Context, st *store.Store, kr *pii.Keyring, opt Options) (Stats, error) {
	if opt.Workers <= 0 {
		opt.Workers = 2
	}
	if opt.Writers <= 0 {
		opt.Writers = 2
	}
	if opt.Batch <= 0 {
		opt.Batch = 500
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	actors, err := EnsureUsers(ctx, st)
	if err != nil {
		return Stats{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var firstErr error
	var once sync.Once
	fail := func(err error) {
		once.Do(func() { firstErr = err; cancel() })
	}
	starts := make(chan int)
	batches := make(chan []store.SeedCase, opt.Writers)
	var total Stats
	var gen, wr sync.WaitGroup
	for w := 0; w < opt.Workers; w++ {
		gen.Add(1)
		go func() {
			defer gen.Done()
			b := newBuilder(actors)
			for start := range starts {
				n := min(opt.Batch, opt.Cases-start)
				batch, rejected, err := buildBatch(ctx, st, b, opt, start, n)
				if err != nil {
					fail(err)
					return
				}
				total.add(Stats{Rejected: rejected})
				select {
				case batches <- batch:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	for w := 0; w < opt.Writers; w++ {
		wr.Add(1)
		go func() {
			defer wr.Done()
			for batch := range batches {
				if err := st.SeedWrite(ctx, kr, batch); err != nil {
					fail(err)
					return
				}
				var s Stats
				for _, sc := range batch {
					s.Cases++
					s.Events += int64(len(sc.Events))
					s.Requests += int64(len(sc.Case.Requests))
					s.Deadlines += int64(len(sc.Deadlines))
					s.Persons += int64(len(sc.Persons))
				}
				total.add(s)
				if opt.Progress != nil {
					opt.Progress(total.load())
				}
			}
		}()
	}
feed:
	for start := 0; start < opt.Cases; start += opt.Batch {
		select {
		case starts <- start:
		case <-ctx.Done():
			break feed
		}
	}
	close(starts)
	gen.Wait()
	close(batches)
	wr.Wait()
	if firstErr != nil {
		return total.load(), firstErr
	}
	return total.load(), ctx.Err()
}

func buildBatch(ctx context.Context, st *store.Store, b *builder, opt Options, start, n int) ([]store.SeedCase, int64, error) {
	plans := make([]plan, n)
	years := map[int]int{}
	nPersons := 0
	for i := range plans {
		plans[i] = makePlan(opt.Seed, start+i, opt.Now)
		years[store.SeedYear(plans[i].t0)]++
		nPersons += plans[i].persons
	}
	numbers := map[int][]string{}
	for y, k := range years {
		ns, err := st.SeedNumbers(ctx, y, k)
		if err != nil {
			return nil, 0, err
		}
		numbers[y] = ns
	}
	ids, err := st.SeedIDs(ctx, "cases_id_seq", n)
	if err != nil {
		return nil, 0, err
	}
	reqIDs, err := st.SeedIDs(ctx, "case_request_id_seq", n*maxRequests)
	if err != nil {
		return nil, 0, err
	}
	docIDs, err := st.SeedIDs(ctx, "case_documents_id_seq", n*maxDocuments)
	if err != nil {
		return nil, 0, err
	}
	var personIDs []int64
	if nPersons > 0 {
		if personIDs, err = st.SeedIDs(ctx, "affected_persons_id_seq", nPersons); err != nil {
			return nil, 0, err
		}
	}
	out := make([]store.SeedCase, n)
	var rejected int64
	for i, p := range plans {
		y := store.SeedYear(p.t0)
		number := numbers[y][0]
		numbers[y] = numbers[y][1:]
		sc, rej, err := b.build(ctx, p, ids[i], number, reqIDs[i*maxRequests:(i+1)*maxRequests], docIDs[i*maxDocuments:(i+1)*maxDocuments], personIDs[:p.persons])
		if err != nil {
			return nil, 0, err
		}
		personIDs = personIDs[p.persons:]
		rejected += rej
		out[i] = sc
	}
	return out, rejected, nil
}
