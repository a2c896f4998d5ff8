// Package web is leakdesk's HTTP layer: the route table, middleware, page handlers (templ views)
// and the JSON API. Handlers parse, validate, call one service or store method, map the error and
// render; domain rules live in internal/incident and internal/appi.
package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakdesk/leakdesk/internal/auditjob"
	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/config"
	"github.com/leakdesk/leakdesk/internal/pdf"
	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/reminder"
	"github.com/leakdesk/leakdesk/internal/sso"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/webhook"
)

// Server holds what handlers need. Build it with New.
type Server struct {
	cfg      config.Config
	store    *store.Store
	sessions *scs.SessionManager
	log      *slog.Logger
	ready    *Readiness
	metrics  *metrics
	// clientIPs reads the client address, through trusted proxies only (clientip.go).
	clientIPs *clientIPs
	now       func() time.Time
	params    auth.Params
	handler   http.Handler
	svc       *casework.Service
	// keys encrypt and decrypt the affected-person register (nil: the register is unavailable).
	keys *pii.Keyring
	// extraCaseLinks are sub-pages of a case contributed by other parts (register, documents, audit).
	extraCaseLinks []CaseLink
	// law: the deadlines dashboard, reminder jobs, documents and their PDF printer (see dashboard.go).
	deadlines *reminder.Reader
	pdfMu     sync.Mutex
	pdf       *pdf.Printer
	// sso is the OpenID Connect provider (nil: single sign-on is off; see login_oidc.go).
	sso *sso.Provider
	// wa is the WebAuthn relying party for passkeys (nil when the base URL's host cannot be an RP ID).
	wa     *webauthn.WebAuthn
	limits limiters          // per-user rate limits of the expensive routes (ratelimit.go)
	hooks  *webhook.Registry // webhook endpoints (admin pages; see admin_webhooks.go)
	// auditJobs queues the auditor's long work ("verify all") as background jobs (audit_jobs.go).
	auditJobs *auditjob.Service
}

// Options tune a Server; the zero value is production.
type Options struct {
	Now            func() time.Time // the clock; tests inject one
	PasswordParams *auth.Params     // argon2id cost; tests lower it
	Registry       *prometheus.Registry
	Service        *casework.Service // the case engine; built from the store when nil
	Keys           *pii.Keyring      // the data key for the affected-person register
	Deadlines      *reminder.Reader  // dashboard and /admin/jobs queries; built from the store when nil
	PDF            *pdf.Printer      // document PDFs; started on first use when nil
	RateLimits     *RateLimits       // per-user limits of expensive routes; DefaultRateLimits when nil
	Webhooks       *webhook.Registry // webhook endpoints and delivery log; built from the store when nil
	// AuditJobs queues and (once started) works the auditor's background jobs; built from the store
	// when nil, and then only queued until someone calls AuditJobs().Start.
	AuditJobs *auditjob.Service
}

// New wires the server. It does not touch the network until Handler is served.
func New(cfg config.Config, st *store.Store, log *slog.Logger, opts Options) *Server {
	s := &Server{cfg: cfg, store: st, log: log, now: time.Now, params: auth.DefaultParams}
	if opts.Now != nil {
		s.now = opts.Now
	}
	if opts.PasswordParams != nil {
		s.params = *opts.PasswordParams
	}
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	s.metrics = newMetrics(reg, st, func() time.Time { return s.now() }, log)
	if ips, err := newClientIPs(cfg.TrustedProxies); err == nil {
		s.clientIPs = ips
	} else {
		// config.FromEnv checks the list; a bad one here means a test built the config by hand.
		log.Error("trusted proxies ignored", "err", err)
		s.clientIPs = &clientIPs{}
	}
	s.ready = &Readiness{store: st, log: log}
	if opts.RateLimits != nil {
		s.limits = newLimiters(*opts.RateLimits)
	} else {
		s.limits = newLimiters(DefaultRateLimits)
	}
	s.keys = opts.Keys
	s.svc = opts.Service
	if s.svc == nil {
		s.svc = casework.New(st)
		s.svc.Now = s.now
	}
	s.initLaw(opts)
	if s.hooks = opts.Webhooks; s.hooks == nil {
		s.hooks = webhook.NewRegistry(st, opts.Keys)
	}
	if s.auditJobs = opts.AuditJobs; s.auditJobs == nil {
		aj, err := auditjob.New(st, auditjob.Config{Logger: log.With("component", "auditjob")})
		if err != nil {
			// River refuses only a malformed configuration, which is this package's own.
			panic(err)
		}
		s.auditJobs = aj
	}
	s.extraCaseLinks = append(s.extraCaseLinks, CaseLink{Suffix: "/persons", JA: "対象者一覧", EN: "Affected persons", TestID: "link-persons"})
	s.extraCaseLinks = append(s.extraCaseLinks, CaseLink{Suffix: "/report", JA: "第一報", EN: "First report", TestID: "link-first-report"})
	if s.svc.PersonCount == nil {
		// The register's head count feeds the law (category 4 and the 30-minute rule).
		s.svc.PersonCount = func(ctx context.Context, caseID int64) (int, error) {
			n, err := st.AffectedPersonCount(ctx, caseID)
			return int(n), err
		}
	}
	if s.svc.RegisterTotals == nil {
		// The register's compensation total decides whether the CEO approves the compensation policy.
		s.svc.RegisterTotals = st.RegisterTotals
	}
	if s.svc.CompensationExecutiveAbove == 0 {
		s.svc.CompensationExecutiveAbove = cfg.CompensationCEOAbove
	}

	sm := scs.New()
	sm.Store = newTouchStore(pgxstore.NewWithCleanupInterval(st.Pool, 10*time.Minute), sm.Codec, sessionRefresh(cfg.SessionIdle))
	sm.IdleTimeout = cfg.SessionIdle
	sm.Lifetime = cfg.SessionLifetime
	sm.Cookie.Name = "leakdesk_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = cfg.Secure()
	sm.Cookie.Path = "/"
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		s.log.Error("session store", "err", err, "request_id", requestID(r.Context()))
		s.renderError(w, r, http.StatusServiceUnavailable, "セッションを読み込めませんでした。しばらくしてから再度お試しください。", "The session could not be loaded. Please try again shortly.")
	}
	s.sessions = sm
	s.sso = newSSO(s)
	s.wa = newWebAuthn(s)
	s.handler = s.routes()
	return s
}

// sessionRefresh is how far a session's stored idle expiry may lag its last request (touchStore):
// a minute, or a tenth of a short idle timeout.
func sessionRefresh(idle time.Duration) time.Duration {
	return min(time.Minute, idle/10)
}

// Handler is the root HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Router exposes the route table (a chi.Routes) so tests can enumerate every route.
func (s *Server) Router() http.Handler { return s.handler }

// Readiness reports whether the database answers and the schema is current. It is refreshed in the
// background by Watch so that /readyz and the guard in front of app routes never block on the DB.
type Readiness struct {
	store  *store.Store
	log    *slog.Logger
	mu     sync.RWMutex
	ok     bool
	reason string
	at     time.Time
	// problems are faults outside the database that do not stop the app routes but make /readyz
	// answer 503 (e.g. the witness directory: anchoring retries, nothing is lost meanwhile).
	problems map[string]string
}

// SetProblem records (reason != "") or clears (reason == "") a fault named key for /readyz.
func (rd *Readiness) SetProblem(key, reason string) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if rd.problems == nil {
		rd.problems = map[string]string{}
	}
	if reason == "" {
		delete(rd.problems, key)
	} else {
		rd.problems[key] = reason
	}
}

// Problems returns the recorded faults, sorted by key, as "key: reason".
func (rd *Readiness) Problems() []string {
	rd.mu.RLock()
	defer rd.mu.RUnlock()
	var out []string
	for k, v := range rd.problems {
		out = append(out, k+": "+v)
	}
	sort.Strings(out)
	return out
}

// Check probes the database once and records the verdict.
func (rd *Readiness) Check(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	// The reason is shown to anyone who asks /readyz: the database's error names its host, port,
	// user and database, so it goes to the log only.
	ok, reason := true, ""
	if err := rd.store.Ping(ctx); err != nil {
		ok, reason = false, "database unreachable"
		rd.logDetail(reason, err)
	} else if pending, err := rd.store.Pending(ctx); err != nil {
		ok, reason = false, "migration status unknown"
		rd.logDetail(reason, err)
	} else if pending {
		ok, reason = false, "migrations pending: run `leakdesk migrate up`"
	}
	rd.mu.Lock()
	rd.ok, rd.reason, rd.at = ok, reason, time.Now()
	rd.mu.Unlock()
}

func (rd *Readiness) logDetail(reason string, err error) {
	if rd.log != nil {
		rd.log.Warn("not ready", "reason", reason, "err", err)
	}
}

// State returns the last verdict.
func (rd *Readiness) State() (ok bool, reason string) {
	rd.mu.RLock()
	defer rd.mu.RUnlock()
	if rd.at.IsZero() {
		return false, "starting: database not checked yet"
	}
	return rd.ok, rd.reason
}

// Watch re-checks every interval until ctx ends; faster while not ready so recovery shows quickly.
func (rd *Readiness) Watch(ctx context.Context, interval time.Duration) {
	for {
		rd.Check(ctx)
		wait := interval
		if ok, _ := rd.State(); !ok {
			wait = interval / 4
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// Ready exposes the readiness tracker (serve starts its Watch loop).
func (s *Server) Ready() *Readiness { return s.ready }

func (s *Server) String() string { return fmt.Sprintf("leakdesk server on %s", s.cfg.Addr) }
