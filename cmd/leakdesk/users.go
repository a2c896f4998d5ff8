package main

// leakdesk user and leakdesk token: accounts, roles and API tokens from the command line.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/store"
)

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
