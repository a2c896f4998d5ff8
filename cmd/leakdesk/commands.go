package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakdesk/leakdesk/internal/auditjob"
	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/buildinfo"
	"github.com/leakdesk/leakdesk/internal/config"
	"github.com/leakdesk/leakdesk/internal/devdb"
	"github.com/leakdesk/leakdesk/internal/pdf"
	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/reminder"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web"
	"github.com/leakdesk/leakdesk/internal/webhook"
)

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func loadConfig(getenv func(string) string) (config.Config, error) {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return cfg, err
	}
	if cfg.DatabaseURL == "" {
		return cfg, errors.New("DATABASE_URL is not set (for the local cluster: eval \"$(make env)\")")
	}
	return cfg, nil
}

func openStore(ctx context.Context, getenv func(string) string) (*store.Store, config.Config, error) {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return nil, cfg, err
	}
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, cfg, err
	}
	if err := st.Ping(ctx); err != nil {
		st.Close()
		return nil, cfg, fmt.Errorf("database unreachable: %w", err)
	}
	// The tools that read cases (verify, replay, export, the audit commands) need every approved
	// rule-set version registered, or a case pinning one does not load.
	if _, err := st.RegisterRuleVersions(ctx); err != nil {
		st.Close()
		return nil, cfg, fmt.Errorf("rule set versions: %w", err)
	}
	return st, cfg, nil
}

func cmdServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags(stdout, "serve", "serve", "Run the web server. Configuration comes from the environment (docs/operations.md):\nDATABASE_URL, LEAKDESK_ADDR, LEAKDESK_BASE_URL, LEAKDESK_DATA_KEY or LEAKDESK_DATA_KEY_FILE, LEAKDESK_SMTP_URL, …")
	if err := fs.parse(args, 0, 0); err != nil {
		return err
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	// A missing or malformed data key stops the server before it serves anything: it must never
	// store the register in plain text.
	keys, err := pii.LoadKeyring(cfg.DataKey, cfg.DataKeyFile)
	if err != nil {
		return fmt.Errorf("data key: %w", err)
	}
	// Likewise the checkpoint signing key: without it serve does not start.
	signer, err := loadSigner(cfg)
	if err != nil {
		return err
	}
	// The pool connects lazily, so a database that is down at start does not stop the server: the
	// readiness loop keeps retrying (with backoff) and /readyz says why until it answers.
	st, err := store.OpenWith(ctx, cfg.DatabaseURL, store.PoolOptions{MaxConns: cfg.DB.MaxConns,
		LockTimeout: cfg.DB.LockTimeout, StatementTimeout: cfg.DB.StatementTimeout, IdleInTxTimeout: cfg.DB.IdleInTxTimeout})
	if err != nil {
		return err
	}
	defer st.Close()
	st.Signer = signer
	if cfg.WitnessDir == "" {
		log.Warn("LEAKDESK_WITNESS_DIR is not set: signed checkpoints stay in the database only (docs/operations.md)")
	}
	offsets, err := reminder.ParseOffsets(cfg.ReminderOffsets)
	if err != nil {
		return fmt.Errorf("LEAKDESK_REMINDER_OFFSETS: %w", err)
	}
	hooks, err := webhook.New(st, webhook.Config{Keys: keys, Logger: log.With("component", "webhook")})
	if err != nil {
		return err
	}
	// One registry for /metrics: the web server's own series and the reminder's mail failures.
	reg := prometheus.NewRegistry()
	rem, err := reminder.New(st, reminder.Config{Metrics: reg, SMTPURL: cfg.SMTPURL, MailFrom: cfg.MailFrom, BaseURL: cfg.BaseURL,
		Offsets: offsets, MyNumberOfficers: cfg.MyNumberOfficers, OnDeadlineReminder: hooks.EnqueueDeadlineTx,
		Logger: log.With("component", "reminder"), LoginRetention: cfg.LoginRetention,
		CompensationExecutiveAbove: cfg.CompensationCEOAbove})
	if err != nil {
		return err
	}
	var printer *pdf.Printer
	if p, err := pdf.New(); err != nil {
		log.Warn("PDF printing unavailable", "err", err)
	} else {
		printer = p
		defer printer.Close()
	}
	jobs, err := auditjob.New(st, auditjob.Config{Logger: log.With("component", "auditjob")})
	if err != nil {
		return err
	}
	srv := web.New(cfg, st, log, web.Options{Registry: reg, Keys: keys, Deadlines: rem.Reader, PDF: printer, Webhooks: hooks.Registry,
		RateLimits: rateLimits(cfg), AuditJobs: jobs})
	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	go srv.Ready().Watch(watchCtx, 4*time.Second)
	// Once the database answers: check the data key against the one the register was written with
	// (a wrong key stops the server), then start the reminder workers and the anchor loop.
	fatal := make(chan error, 1)
	go func() {
		remUp, hooksUp, jobsUp, rulesUp := false, false, false, false
		for watchCtx.Err() == nil {
			if ok, _ := srv.Ready().State(); ok {
				// Only a wrong key or an unfinished rotation stops the server; the database going
				// away between the readiness check and this query is retried like any outage.
				if n, err := st.RegisterRuleVersions(watchCtx); err != nil {
					// Cases pinning a version that is not registered do not load: retried.
					log.Warn("rule set versions not registered yet, retrying", "err", err)
				} else if n > 0 && !rulesUp {
					log.Info("rule set versions registered", "versions", n)
				}
				rulesUp = true
				if err := st.CheckDataKey(watchCtx, keys); errors.Is(err, store.ErrWrongDataKey) || errors.Is(err, store.ErrKeyRotating) {
					fatal <- fmt.Errorf("data key: %w", err)
					return
				} else if err != nil {
					log.Warn("data key not checked yet, retrying", "err", err)
				} else if n, err := st.IndexPersonText(watchCtx, keys); err != nil {
					// Rows from before migration 00015 are not yet found by part of a name; retried.
					log.Warn("register text index not filled yet, retrying", "err", err)
				} else if sealed, err := st.SealPendingEvidence(watchCtx); err != nil {
					log.Warn("evidence not sealed yet, retrying", "err", err)
				} else if totp, err := st.SealPendingTOTP(watchCtx); err != nil {
					// TOTP secrets enrolled before migration 00120 are still in plaintext.
					log.Warn("TOTP secrets not sealed yet, retrying", "err", err)
				} else {
					if !remUp {
						if err := rem.Start(watchCtx); err != nil {
							log.Warn("reminder workers not started, retrying", "err", err)
						} else {
							remUp = true
						}
					}
					if remUp && !hooksUp {
						if err := hooks.Start(watchCtx); err != nil {
							log.Warn("webhook workers not started, retrying", "err", err)
						} else {
							hooksUp = true
						}
					}
					if remUp && hooksUp && !jobsUp {
						if err := jobs.Start(watchCtx); err != nil {
							log.Warn("audit job worker not started, retrying", "err", err)
						} else {
							jobsUp = true
						}
					}
					if remUp && hooksUp && jobsUp {
						if n > 0 {
							log.Info("register text index filled", "rows", n)
						}
						if sealed > 0 {
							log.Info("sealed evidence files stored in plaintext before migration 00032", "files", sealed)
						}
						if totp > 0 {
							log.Info("sealed TOTP secrets stored in plaintext before migration 00120", "users", totp)
						}
						// The history's first wall is that serve's role cannot rewrite it
						// (docs/operations.md, "Database roles"); say so loudly when it can.
						if why, err := st.HistoryRights(watchCtx); err == nil && why != "" {
							log.Warn("DATABASE_URL can rewrite the history: connect serve as a member of leakdesk_app and migrate with LEAKDESK_MIGRATE_URL", "why", why)
						}
						go anchorLoop(watchCtx, st, cfg.WitnessDir, srv.Ready(), log)
						return
					}
				}
			}
			select {
			case <-watchCtx.Done():
				return
			case <-time.After(2 * time.Second):
			}
		}
	}()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen on %s (LEAKDESK_METRICS_ADDR): %w", cfg.MetricsAddr, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", srv.MetricsHandler())
		ms := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
			MaxHeaderBytes: 16 << 10, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		go func() { _ = ms.Serve(mln) }()
		defer ms.Close()
		log.Info("metrics serving", "addr", mln.Addr().String())
	} else if cfg.MetricsToken == "" && cfg.Secure() {
		log.Warn("/metrics is open on the main listener: set LEAKDESK_METRICS_ADDR or LEAKDESK_METRICS_TOKEN (docs/operations.md)")
	}
	log.Info("leakdesk serving", "addr", ln.Addr().String(), "base_url", cfg.BaseURL, "version", buildinfo.String())
	fmt.Fprintf(stdout, "leakdesk is serving at %s\n", cfg.BaseURL)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case err := <-fatal:
		_ = hs.Close()
		return err
	case <-ctx.Done():
	}
	// Graceful shutdown: stop accepting, let in-flight requests (and their transactions) finish.
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := rem.Stop(shutCtx); err != nil {
		log.Warn("reminder workers stop", "err", err)
	}
	if err := jobs.Stop(shutCtx); err != nil {
		log.Warn("audit job worker stop", "err", err)
	}
	if err := hooks.Stop(shutCtx); err != nil {
		log.Warn("webhook workers stop", "err", err)
	}
	log.Info("stopped")
	return nil
}

func cmdMigrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	sub, err := group(stdout, args, "migrate", "Manage the database schema (DATABASE_URL).", []subcommand{
		{"up", "apply every pending migration"}, {"down", "roll the last migration back"}, {"status", "list the migrations and whether each is applied"}})
	if err != nil {
		return err
	}
	about := map[string]string{"up": "Apply every pending migration, then River's own schema for the reminder jobs.",
		"down": "Roll the last applied migration back.", "status": "List the migrations and whether each is applied."}[sub]
	if err := newFlags(stdout, "migrate "+sub, "migrate "+sub, about).parse(args[1:], 0, 0); err != nil {
		return err
	}
	// Migrations run as the owner of the tables (LEAKDESK_MIGRATE_URL); serve's DATABASE_URL is the
	// app role, which may not create, alter or grant anything. A single-role setup leaves
	// LEAKDESK_MIGRATE_URL unset and migrates over DATABASE_URL.
	st, _, err := openStore(ctx, func(k string) string {
		if k == "DATABASE_URL" && getenv("LEAKDESK_MIGRATE_URL") != "" {
			return getenv("LEAKDESK_MIGRATE_URL")
		}
		return getenv(k)
	})
	if err != nil {
		return err
	}
	defer st.Close()
	switch args[0] {
	case "up":
		v, err := st.MigrateUp(ctx)
		if err != nil {
			return err
		}
		// River keeps its own schema for the reminder jobs.
		if err := reminder.Migrate(ctx, st.Pool); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "schema at version %d\n", v)
	case "down":
		v, err := st.MigrateDown(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "schema at version %d\n", v)
	case "status":
		list, err := st.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tSTATE\tAPPLIED AT\tFILE")
		for _, m := range list {
			at := ""
			if !m.AppliedAt.IsZero() {
				at = m.AppliedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", m.Source.Version, m.State, at, filepath.Base(m.Source.Path))
		}
		return tw.Flush()
	}
	return nil
}

func cmdUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	sub, err := group(stdout, args, "user", "Manage the accounts that log in (DATABASE_URL).", []subcommand{
		{"add", "create a user; the password is read from stdin"}, {"disable", "disable a user"}, {"list", "list users"},
		{"mfa-roles", "set the roles that must use a second factor with a password"}})
	if err != nil {
		return err
	}
	var fs *cmdFlags
	var email, name, role *string
	switch sub {
	case "add":
		fs = newFlags(stdout, "user add", "user add --email E --name N --role R[,R] < password",
			"Create a user. The password is the first line of stdin, so it never appears in the process list.")
		email = fs.String("email", "", "e-mail address (the login)")
		name = fs.String("name", "", "display name")
		role = fs.String("role", "", "roles, comma-separated: "+rolesList())
	case "disable":
		fs = newFlags(stdout, "user disable", "user disable --email E", "Disable a user: their sessions and API tokens stop working at once.")
		email = fs.String("email", "", "e-mail address of the user")
	case "mfa-roles":
		fs = newFlags(stdout, "user mfa-roles", "user mfa-roles --role R[,R]|none",
			"Set the roles that must use a second factor with a password (none for none); the sign-in settings page (/admin/security) sets the same.")
		role = fs.String("role", "", "roles, comma-separated, or none: "+rolesList())
	default:
		fs = newFlags(stdout, "user list", "user list", "List the users with their roles and state.")
	}
	if err := fs.parse(args[1:], 0, 0); err != nil {
		return err
	}
	switch {
	case sub == "add" && (*email == "" || *name == "" || *role == ""):
		return fs.misuse("user add needs --email, --name and --role")
	case sub == "disable" && *email == "":
		return fs.misuse("user disable needs --email")
	case sub == "mfa-roles" && *role == "":
		return fs.misuse("user mfa-roles needs --role (roles, comma-separated, or none)")
	}
	st, _, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "add":
		roles, ok := auth.ParseRoles(strings.Split(*role, ","))
		if !ok {
			return fmt.Errorf("unknown role in %q; known roles: %s", *role, rolesList())
		}
		pw, err := readPassword(stdin)
		if err != nil {
			return err
		}
		if ja, en, ok := auth.CheckPasswordPolicy(pw); !ok {
			return fmt.Errorf("%s (%s)", en, ja)
		}
		hash, err := auth.HashPassword(pw, auth.DefaultParams)
		if err != nil {
			return err
		}
		u, err := st.CreateUser(ctx, 0, *email, *name, roles, hash)
		if errors.Is(err, store.ErrDuplicate) {
			return fmt.Errorf("a user with e-mail %s already exists", *email)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created user %d (%s)\n", u.ID, strings.Join(roleNames(u.Roles), ","))
	case "disable":
		u, err := st.UserByEmail(ctx, *email)
		if err != nil {
			return fmt.Errorf("find user: %w", err)
		}
		if err := st.SetDisabled(ctx, 0, u.ID, u.Version, true); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "disabled user %d\n", u.ID)
	case "list":
		users, err := st.ListUsers(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLES\tSTATE")
		for _, u := range users {
			state := "active"
			if u.Disabled {
				state = "disabled"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, strings.Join(roleNames(u.Roles), ","), state)
		}
		return tw.Flush()
	case "mfa-roles":
		// The roles that must use a second factor with a password ("none" for none); the
		// sign-in settings page (/admin/security) sets the same.
		var roles []auth.Role
		if *role != "none" {
			var ok bool
			if roles, ok = auth.ParseRoles(strings.Split(*role, ",")); !ok {
				return fmt.Errorf("unknown role in %q; known roles: %s", *role, rolesList())
			}
		}
		if err := st.SetMFARoles(ctx, 0, roles); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "second factor required for: %s\n", *role)
	}
	return nil
}

// readPassword takes the first line of stdin, so `echo pw | leakdesk user add` and a pipe from a
// password manager both work and the password never appears in the process list.
func readPassword(stdin io.Reader) (string, error) {
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("no password on stdin (pipe it in: printf '%s\\n' \"$PW\" | leakdesk user add ...)")
	}
	return pw, nil
}

func rolesList() string { return strings.Join(roleNames(auth.AllRoles), ",") }

func roleNames(rs []auth.Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

func cmdToken(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if _, err := group(stdout, args, "token", "API tokens (Authorization: Bearer …).", []subcommand{{"create", "print a new API token once (only its hash is stored)"}}); err != nil {
		return err
	}
	fs := newFlags(stdout, "token create", "token create --email E [--label L]", "Print a new API token once; only its hash is stored. The token acts as the user.")
	email := fs.String("email", "", "the user the token acts as")
	label := fs.String("label", "", "what the token is for")
	if err := fs.parse(args[1:], 0, 0); err != nil {
		return err
	}
	if *email == "" {
		return fs.misuse("token create needs --email")
	}
	st, _, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.UserByEmail(ctx, *email)
	if err != nil {
		return fmt.Errorf("find user: %w", err)
	}
	if u.Disabled {
		return errors.New("the user is disabled")
	}
	token, hash, err := auth.NewToken()
	if err != nil {
		return err
	}
	if err := st.CreateToken(ctx, u.ID, hash, *label); err != nil {
		return err
	}
	fmt.Fprintln(stdout, token)
	return nil
}

func cmdVersion(args []string, stdout io.Writer) error {
	if err := newFlags(stdout, "version", "version", "Print the version.").parse(args, 0, 0); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "leakdesk %s\n", buildinfo.String())
	return nil
}

func cmdDev(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	sub, err := group(stdout, args, "dev", "Development helpers behind make run, make test and the benchmarks.", []subcommand{
		{"db", "the local PostgreSQL cluster: start, stop, remove, env"}, {"demo-users", "one demo user per role"},
		{"packages", "the Debian packages make test / make run need"}, {"seed", "generated cases for scale measurements"},
		{"scalebench", "measure the hot pages of a running server"}})
	if err != nil {
		return err
	}
	switch sub {
	case "db":
		return cmdDevDB(ctx, args[1:], stdout, stderr)
	case "demo-users":
		return cmdDemoUsers(ctx, args[1:], getenv, stdout)
	case "seed":
		return cmdDevSeed(ctx, args[1:], getenv, stdout, stderr)
	case "scalebench":
		return cmdDevScaleBench(ctx, args[1:], getenv, stdout, stderr)
	case "packages":
		return cmdDevPackages(ctx, args[1:], stdout, stderr)
	}
	return nil
}

// cmdDevPackages makes sure the Debian packages a make target needs are installed (as root) or stops
// with one message naming them. `make test` calls it before building anything else.
func cmdDevPackages(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, err := group(stdout, args, "dev packages", "Install, as root with apt-get, the Debian packages a make target needs, or stop naming them.",
		[]subcommand{{"test", "what make test needs: chromium, poppler-utils, the IPAex fonts"},
			{"run", "what make run needs for PDF: chromium and the IPAex fonts (serving works without them)"}})
	if err != nil {
		return err
	}
	if sub == "run" {
		fs := newFlags(stdout, "dev packages run", "dev packages run",
			"Install what PDF documents need (chromium, fonts-ipaexfont-*) as root; otherwise name them and\nsucceed anyway: the server serves without them and offers HTML instead of PDF.")
		if err := fs.parse(args[1:], 0, 0); err != nil {
			return err
		}
		if err := devdb.EnsurePackages(ctx, devdb.RunRequirements(), stderr); err != nil {
			fmt.Fprintf(stderr, "%v\nmake run goes on: until then each PDF document is offered as HTML.\n", err)
		}
		return nil
	}
	fs := newFlags(stdout, "dev packages test", "dev packages test",
		"Install what make test needs (chromium, poppler-utils, fonts-ipaexfont-*) as root; otherwise\nstop at once with one message naming the packages (exit 1).")
	if err := fs.parse(args[1:], 0, 0); err != nil {
		return err
	}
	return devdb.EnsurePackages(ctx, devdb.TestRequirements(), stderr)
}

func cmdDevDB(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, err := group(stdout, args, "dev db", "The local PostgreSQL cluster of this checkout (installed with apt-get as root on first use).", []subcommand{
		{"start", "start (and on first use create) the cluster; prints its DATABASE_URL"}, {"stop", "stop the cluster"},
		{"remove", "stop the cluster and delete its directory"}, {"env", "print export DATABASE_URL=… for a running cluster"}})
	if err != nil {
		return err
	}
	fs := newFlags(stdout, "dev db "+sub, "dev db "+sub+" [--dir D]"+map[bool]string{true: " [--fast] [--env]"}[sub == "start"], map[string]string{
		"start": "Start (and on first use create) the local cluster; print its DATABASE_URL on stdout.", "stop": "Stop the local cluster.",
		"remove": "Stop the local cluster and delete its data directory.", "env": "Print `export DATABASE_URL=…` for the running cluster: eval \"$(leakdesk dev db env)\"."}[sub])
	dir := fs.String("dir", ".data/pg", "data directory")
	fast, env := new(bool), new(bool)
	if sub == "start" {
		fast = fs.Bool("fast", false, "turn durability off (tests only)")
		env = fs.Bool("env", false, "print export lines for DATABASE_URL (the app role) and LEAKDESK_MIGRATE_URL (the owner) instead of the owner's URL")
	}
	if err := fs.parse(args[1:], 0, 0); err != nil {
		return err
	}
	switch sub {
	case "start":
		c, err := devdb.Start(ctx, *dir, devdb.Options{Fast: *fast, Install: true, Log: stderr})
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "PostgreSQL running: data %s, port %d\n", c.Dir, c.Port)
		if *env {
			printDBEnv(stdout, c)
		} else {
			fmt.Fprintln(stdout, c.URL())
		}
	case "stop", "remove":
		c, err := devdb.Open(*dir)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				fmt.Fprintln(stderr, "no local cluster")
				return nil
			}
			return err
		}
		if args[0] == "remove" {
			return c.Remove(ctx)
		}
		if err := c.Stop(ctx); err != nil {
			return err
		}
		fmt.Fprintln(stderr, "PostgreSQL stopped")
	case "env":
		c, err := devdb.Open(*dir)
		if err != nil {
			return err
		}
		if !c.Running() {
			return errors.New("the local cluster is not running: start it with `make run` or `make db`")
		}
		printDBEnv(stdout, c)
	}
	return nil
}

// printDBEnv prints the two connection strings: serve's (the app role, which cannot rewrite history)
// and migrate's (the owner of the tables).
func printDBEnv(w io.Writer, c *devdb.Cluster) {
	fmt.Fprintf(w, "export DATABASE_URL='%s'\n", c.AppURL())
	fmt.Fprintf(w, "export LEAKDESK_MIGRATE_URL='%s'\n", c.URL())
}

// cmdKey rotates the data key of the affected-person register.
func cmdKey(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	sub, err := group(stdout, args, "key", "The data key of the affected-person register (docs/persons.md).",
		[]subcommand{{"rotate", "re-encrypt the register under a new data key"}, {"reindex", "fill the register's text index of older rows"}})
	if err != nil {
		return err
	}
	if sub == "reindex" {
		return cmdKeyReindex(ctx, args[1:], getenv, stdout)
	}
	fs := newFlags(stdout, "key rotate", "key rotate --new-key-file F",
		"Re-encrypt and re-index the affected-person register, and re-seal the evidence files and webhook secrets,\nunder a new data key, in batches; safe to run again after an interruption. The current key comes from LEAKDESK_DATA_KEY(_FILE). Stop every server first.")
	newFile := fs.String("new-key-file", "", "file with the new key (base64 of 32 random bytes)")
	if err := fs.parse(args[1:], 0, 0); err != nil {
		return err
	}
	if *newFile == "" {
		return fs.misuse("key rotate needs --new-key-file")
	}
	st, cfg, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	old, err := pii.LoadKeyring(cfg.DataKey, cfg.DataKeyFile)
	if err != nil {
		return fmt.Errorf("current data key: %w", err)
	}
	newKey, err := pii.ReadKeyFile(*newFile)
	if err != nil {
		return fmt.Errorf("new data key: %w", err)
	}
	if err := store.Rotate(ctx, st, old, newKey, webhook.ResealSecrets(st)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rotated to key %s; point LEAKDESK_DATA_KEY(_FILE) at it and start the servers\n", newKey.ID())
	return nil
}

// cmdKeyReindex fills the text index (migration 00015) of persons written before it; serve does the
// same at start, this is for doing it in a maintenance window instead.
func cmdKeyReindex(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := newFlags(stdout, "key reindex", "key reindex",
		"Fill the search index of part of names, kana and addresses for persons written before migration 00015,\n500 rows per transaction (serve does it at start too). Needs the data key, LEAKDESK_DATA_KEY(_FILE).")
	if err := fs.parse(args, 0, 0); err != nil {
		return err
	}
	st, cfg, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	keys, err := pii.LoadKeyring(cfg.DataKey, cfg.DataKeyFile)
	if err != nil {
		return fmt.Errorf("data key: %w", err)
	}
	if err := st.CheckDataKey(ctx, keys); err != nil {
		return fmt.Errorf("data key: %w", err)
	}
	n, err := st.IndexPersonText(ctx, keys)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "indexed %d persons\n", n)
	return nil
}

// rateLimits are web.DefaultRateLimits with the API's per-user rate from LEAKDESK_API_RATE
// (0: no limit on API calls; the expensive routes keep theirs).
func rateLimits(cfg config.Config) *web.RateLimits {
	l := web.DefaultRateLimits
	if cfg.APIRate == 0 {
		l.API = web.RateLimit{Every: 0, Burst: 1} // rate.Every(0) is rate.Inf: every call allowed
	} else {
		l.API = web.RateLimit{Every: time.Second / time.Duration(cfg.APIRate), Burst: int(10 * cfg.APIRate)}
	}
	return &l
}
