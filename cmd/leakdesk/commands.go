package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
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

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/buildinfo"
	"github.com/leakdesk/leakdesk/internal/config"
	"github.com/leakdesk/leakdesk/internal/devdb"
	"github.com/leakdesk/leakdesk/internal/pdf"
	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/reminder"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web"
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
	return st, cfg, nil
}

func cmdServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	// A missing or malformed data key stops the server before it serves anything: it must never
	// store the register in plain text.
	keys, err := pii.LoadKeyring(cfg)
	if err != nil {
		return fmt.Errorf("data key: %w", err)
	}
	// The pool connects lazily, so a database that is down at start does not stop the server: the
	// readiness loop keeps retrying (with backoff) and /readyz says why until it answers.
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	offsets, err := reminder.ParseOffsets(cfg.ReminderOffsets)
	if err != nil {
		return fmt.Errorf("LEAKDESK_REMINDER_OFFSETS: %w", err)
	}
	rem, err := reminder.New(st, reminder.Config{SMTPURL: cfg.SMTPURL, MailFrom: cfg.MailFrom, BaseURL: cfg.BaseURL,
		Offsets: offsets, Logger: log.With("component", "reminder")})
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
	srv := web.New(cfg, st, log, web.Options{Keys: keys, Deadlines: rem.Reader, PDF: printer})
	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	go srv.Ready().Watch(watchCtx, 4*time.Second)
	// Once the database answers: check the data key against the one the register was written with
	// (a wrong key stops the server), then start the reminder workers and the anchor loop.
	fatal := make(chan error, 1)
	go func() {
		for watchCtx.Err() == nil {
			if ok, _ := srv.Ready().State(); ok {
				// Only a wrong key or an unfinished rotation stops the server; the database going
				// away between the readiness check and this query is retried like any outage.
				if err := st.CheckDataKey(watchCtx, keys); errors.Is(err, store.ErrWrongDataKey) || errors.Is(err, store.ErrKeyRotating) {
					fatal <- fmt.Errorf("data key: %w", err)
					return
				} else if err != nil {
					log.Warn("data key not checked yet, retrying", "err", err)
				} else if err := rem.Start(watchCtx); err != nil {
					log.Warn("reminder workers not started, retrying", "err", err)
				} else {
					go anchorLoop(watchCtx, st, log)
					return
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
	log.Info("stopped")
	return nil
}

func cmdMigrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 1 {
		return usageError{"migrate needs one of up, down, status"}
	}
	st, _, err := openStore(ctx, getenv)
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
	default:
		return usageError{"migrate needs one of up, down, status"}
	}
	return nil
}

func cmdUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{"user needs add, disable, list or mfa-roles"}
	}
	fs := flag.NewFlagSet("user "+args[0], flag.ContinueOnError)
	email := fs.String("email", "", "e-mail address")
	name := fs.String("name", "", "display name")
	role := fs.String("role", "", "roles, comma-separated: "+rolesList())
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	st, _, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	switch args[0] {
	case "add":
		if *email == "" || *name == "" || *role == "" {
			return usageError{"user add needs --email, --name and --role"}
		}
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
		if *email == "" {
			return usageError{"user disable needs --email"}
		}
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
		if *role == "" {
			return usageError{"user mfa-roles needs --role (roles, comma-separated, or none)"}
		}
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
	default:
		return usageError{"user needs add, disable, list or mfa-roles"}
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
	if len(args) == 0 || args[0] != "create" {
		return usageError{"token needs create"}
	}
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	email := fs.String("email", "", "the user the token acts as")
	label := fs.String("label", "", "what the token is for")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	if *email == "" {
		return usageError{"token create needs --email"}
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

func cmdVersion(stdout io.Writer) error {
	fmt.Fprintf(stdout, "leakdesk %s\n", buildinfo.String())
	return nil
}

func cmdDev(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"dev needs db or demo-users"}
	}
	switch args[0] {
	case "db":
		return cmdDevDB(ctx, args[1:], stdout, stderr)
	case "demo-users":
		return cmdDemoUsers(ctx, args[1:], getenv, stdout)
	case "seed":
		return cmdDevSeed(ctx, args[1:], getenv, stdout, stderr)
	case "scalebench":
		return cmdDevScaleBench(ctx, args[1:], getenv, stdout, stderr)
	case "packages":
		return cmdDevPackages(ctx, args[1:], stderr)
	}
	return usageError{"dev needs db, demo-users, seed, scalebench or packages"}
}

// cmdDevPackages makes sure the Debian packages a make target needs are installed (as root) or stops
// with one message naming them. `make test` calls it before building anything else.
func cmdDevPackages(ctx context.Context, args []string, stderr io.Writer) error {
	if len(args) != 1 || args[0] != "test" {
		return usageError{"dev packages needs test"}
	}
	return devdb.EnsurePackages(ctx, devdb.TestRequirements(), stderr)
}

func cmdDevDB(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"dev db needs start, stop or env"}
	}
	fs := flag.NewFlagSet("dev db", flag.ContinueOnError)
	dir := fs.String("dir", ".data/pg", "data directory")
	fast := fs.Bool("fast", false, "turn durability off (tests only)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	switch args[0] {
	case "start":
		c, err := devdb.Start(ctx, *dir, devdb.Options{Fast: *fast, Install: true, Log: stderr})
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "PostgreSQL running: data %s, port %d\n", c.Dir, c.Port)
		fmt.Fprintln(stdout, c.URL())
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
		fmt.Fprintf(stdout, "export DATABASE_URL='%s'\n", c.URL())
	default:
		return usageError{"dev db needs start, stop or env"}
	}
	return nil
}

// anchorLoop writes a chain anchor every few minutes, so that deleting the newest events of a case
// is detectable by `leakdesk audit verify` (several instances may run it; the store serialises).
func anchorLoop(ctx context.Context, st *store.Store, log *slog.Logger) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		if _, err := st.WriteAnchor(ctx, time.Now()); err != nil && ctx.Err() == nil {
			log.Warn("chain anchor", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// cmdKey rotates the data key of the affected-person register.
func cmdKey(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "rotate" {
		return usageError{"key rotate --new-key-file F"}
	}
	fs := flag.NewFlagSet("key rotate", flag.ContinueOnError)
	newFile := fs.String("new-key-file", "", "file with the new key (base64 of 32 random bytes)")
	if err := fs.Parse(args[1:]); err != nil || *newFile == "" {
		return usageError{"key rotate --new-key-file F"}
	}
	st, cfg, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	old, err := pii.LoadKeyring(cfg)
	if err != nil {
		return fmt.Errorf("current data key: %w", err)
	}
	newKey, err := pii.ReadKeyFile(*newFile)
	if err != nil {
		return fmt.Errorf("new data key: %w", err)
	}
	if err := store.Rotate(ctx, st, old, newKey); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rotated to key %s; point LEAKDESK_DATA_KEY(_FILE) at it and start the servers\n", newKey.ID())
	return nil
}
