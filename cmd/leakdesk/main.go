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
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	code := exitCode(err)
	if code != 0 {
		fmt.Fprintln(os.Stderr, "leakdesk:", err)
		var ue usageError
		if errors.As(err, &ue) {
			if ue.usage == "" {
				ue.usage = usage
			}
			fmt.Fprint(os.Stderr, "\n"+ue.usage)
		}
	}
	os.Exit(code)
}

const usage = `usage: leakdesk <command> [flags]

commands:
  serve                          run the web server (LEAKDESK_ADDR, DATABASE_URL)
  healthcheck [--url U]          ask a running server's /readyz; exit 0 when ready (Docker HEALTHCHECK)
  migrate up|down|status         manage the database schema (as the owner: LEAKDESK_MIGRATE_URL, else DATABASE_URL)
  user add --email E --name N --role R[,R]   create a user; the password is read from stdin
  user disable --email E         disable a user (sessions and tokens stop working)
  user list                      list users
  user mfa-roles --role R[,R]|none   roles that must use a second factor with a password
  token create --email E [--label L]         print a new API token once (only its hash is stored)
  audit verify [--case N]        recompute the hash chains; exits 1 naming the first bad event
  audit verify --witness DIR [--pubkey KEY]  also check the database against every signed checkpoint in DIR
  audit verify-export FILE [--pubkey KEY]    check an exported case file offline, and which key signed it
  audit keygen --out FILE        create an Ed25519 checkpoint signing key (LEAKDESK_SIGNING_KEY_FILE)
  audit pubkey                   print the signing key's public key and fingerprint
  key rotate --new-key-file F    re-encrypt the affected-person register under a new data key
  key reindex                    fill the register's text index of persons written before 00015
  dev db start|stop|remove|env [--dir D] [--fast] [--env]   the local PostgreSQL cluster of this checkout
  dev demo-users [--out F]       create one demo user per role and print their passwords once
  dev packages test|run          install (as root) or name the Debian packages make test / make run need
  dev seed, dev scalebench       scale measurements (docs/performance.md)
  version                        print the version
  help [COMMAND]                 this list, or the usage of one command

leakdesk COMMAND --help (or -h) describes a command and its flags. Exit status: 0 done,
1 failed, 2 misuse of the command line.
`

// run is main without globals, so tests can call it with their own environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{msg: "no command"}
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:], getenv, stdout, stderr)
	case "healthcheck":
		return cmdHealthcheck(ctx, args[1:], getenv, stdout)
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
		return cmdVersion(args[1:], stdout)
	case "help", "-h", "--help", "-help":
		if len(args) > 1 && args[0] == "help" && args[1] != "help" {
			// `leakdesk help user add` is `leakdesk user add --help`.
			return run(ctx, append(append([]string{}, args[1:]...), "--help"), getenv, stdin, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return errHelp
	}
	return usageError{msg: fmt.Sprintf("unknown command %q", args[0])}
}
