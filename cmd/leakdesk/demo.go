package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/store"
)

// demoUsers are one account per role plus a second clerk and a deputy head, so that a demo can show
// maker ≠ checker and deputy approval.
var demoUsers = []struct {
	Email, Name string
	Roles       []auth.Role
}{
	{"staff@demo.example.jp", "佐藤 花子（総務部）", []auth.Role{auth.RoleStaff}},
	{"staff2@demo.example.jp", "高橋 健（総務部）", []auth.Role{auth.RoleStaff}},
	{"manager@demo.example.jp", "鈴木 一郎（総務部長）", []auth.Role{auth.RoleManager}},
	{"deputy@demo.example.jp", "田中 美咲（総務副部長）", []auth.Role{auth.RoleManager}},
	{"privacy@demo.example.jp", "伊藤 誠（個人情報保護管理者）", []auth.Role{auth.RolePrivacyOfficer}},
	{"ceo@demo.example.jp", "渡辺 直樹（代表取締役）", []auth.Role{auth.RoleExecutive}},
	{"hr@demo.example.jp", "山本 由美（人事部）", []auth.Role{auth.RoleHR}},
	{"auditor@demo.example.jp", "中村 剛（監査責任者）", []auth.Role{auth.RoleAuditor}},
	{"admin@demo.example.jp", "小林 翔（システム管理者）", []auth.Role{auth.RoleAdmin}},
}

// cmdDemoUsers creates the demo accounts that do not exist yet and prints their passwords once.
// The same lines are kept in --out (mode 0600, inside the git-ignored .data/) for the developer.
func cmdDemoUsers(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := newFlags(stdout, "dev demo-users", "dev demo-users [--out F]", "Create the demo users that do not exist yet, one per role, and print their passwords once.")
	out := fs.String("out", ".data/demo-users.txt", "file that keeps the printed logins")
	if err := fs.parse(args, 0, 0); err != nil {
		return err
	}
	st, _, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	var lines []string
	for _, d := range demoUsers {
		if _, err := st.UserByEmail(ctx, d.Email); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		pw := auth.RandomPassword()
		hash, err := auth.HashPassword(pw, auth.DefaultParams)
		if err != nil {
			return err
		}
		if _, err := st.CreateUser(ctx, 0, d.Email, d.Name, d.Roles, hash); err != nil {
			return fmt.Errorf("create demo user %s: %w", d.Email, err)
		}
		lines = append(lines, fmt.Sprintf("%-26s %-22s %s", d.Email, pw, strings.Join(roleNames(d.Roles), ",")))
	}
	if len(lines) == 0 {
		fmt.Fprintf(stdout, "demo users already exist; their passwords were printed when they were created and are kept in %s\n", *out)
		return nil
	}
	text := "demo logins (e-mail, password, roles) — shown once:\n" + strings.Join(lines, "\n") + "\n"
	fmt.Fprint(stdout, text)
	if *out != "" {
		if err := os.MkdirAll(filepath.Dir(*out), 0o700); err != nil {
			return err
		}
		f, err := os.OpenFile(*out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := f.WriteString(text); err != nil {
			return err
		}
	}
	return nil
}
