package main

// leakdesk dev: the local database cluster and the Debian packages the make targets need.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/leakdesk/leakdesk/internal/devdb"
)

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
