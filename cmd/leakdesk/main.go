// Command leakdesk is the whole product in one binary: the web server, migrations, account and
// token administration, and the development helpers behind `make run` and `make test`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, "leakdesk:", err)
			fmt.Fprint(os.Stderr, usage)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "leakdesk:", err)
		os.Exit(1)
	}
}

const usage = `usage: leakdesk <command> [flags]

commands:
  serve                          run the web server (LEAKDESK_ADDR, DATABASE_URL)
  migrate up|down|status         manage the database schema
  user add --email E --name N --role R[,R]   create a user; the password is read from stdin
  user disable --email E         disable a user (sessions and tokens stop working)
  user list                      list users
  user mfa-roles --role R[,R]|none   roles that must use a second factor with a password
  token create --email E [--label L]         print a new API token once (only its hash is stored)
  audit verify [--case N]        recompute the hash chains; exits 1 naming the first bad event
  audit verify-export FILE       check an exported case file offline
  key rotate --new-key-file F    re-encrypt the affected-person register under a new data key
  dev db start|stop|env [--dir D] [--fast]   the local PostgreSQL cluster of this checkout
  dev demo-users                 create one demo user per role and print their passwords once
  version                        print the version
`

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// run is main without globals, so tests can call it with their own environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"no command"}
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		return cmdMigrate(ctx, args[1:], getenv, stdout)
	case "user":
		return cmdUser(ctx, args[1:], getenv, stdin, stdout)
	case "token":
		return cmdToken(ctx, args[1:], getenv, stdout)
	case "audit":
		return cmdAudit(ctx, args[1:], getenv, stdout)
	case "key":
		return cmdKey(ctx, args[1:], getenv, stdout)
	case "dev":
		return cmdDev(ctx, args[1:], getenv, stdout, stderr)
	case "version":
		return cmdVersion(stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q", args[0])}
}
