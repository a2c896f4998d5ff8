package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/leakdesk/leakdesk/internal/buildinfo"
	"github.com/leakdesk/leakdesk/internal/config"
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
	// The tools that read cases (verify, replay, export, the audit commands) need every approved
	// rule-set version registered, or a case pinning one does not load.
	if _, err := st.RegisterRuleVersions(ctx); err != nil {
		st.Close()
		return nil, cfg, fmt.Errorf("rule set versions: %w", err)
	}
	return st, cfg, nil
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

func cmdVersion(args []string, stdout io.Writer) error {
	if err := newFlags(stdout, "version", "version", "Print the version.").parse(args, 0, 0); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "leakdesk %s\n", buildinfo.String())
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
