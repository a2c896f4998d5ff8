package main

// leakdesk serve: the web server with its background services.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakdesk/leakdesk/internal/auditjob"
	"github.com/leakdesk/leakdesk/internal/buildinfo"
	"github.com/leakdesk/leakdesk/internal/pdf"
	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/reminder"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web"
	"github.com/leakdesk/leakdesk/internal/webhook"
)

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
