package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func runCLI(args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	env := func(string) string { return "" } // no database: help and misuse never need one
	err := run(context.Background(), args, env, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), exitCode(err)
}

// subcommandsOf reads the subcommand names from a group's help ("  dev db start   …").
func subcommandsOf(path, help string) []string {
	_, list, ok := strings.Cut(help, "subcommands:\n")
	if !ok {
		return nil
	}
	var out []string
	for _, line := range strings.Split(list, "\n") {
		if !strings.HasPrefix(line, "  "+path+" ") {
			break
		}
		out = append(out, strings.Fields(strings.TrimPrefix(line, "  "+path+" "))[0])
	}
	return out
}

// Every command and subcommand, found by walking the groups' own help: --help and -h print the
// usage on stdout and exit 0; an unknown flag exits 2. A subcommand added to a group without help
// fails here.
func TestCLI_EveryCommandAnswersHelpAndMisuse(t *testing.T) {
	queue := []string{"serve", "healthcheck", "migrate", "user", "token", "audit", "key", "dev", "version"}
	seen := 0
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		args := strings.Fields(path)
		t.Run(path, func(t *testing.T) {
			for _, h := range []string{"--help", "-h"} {
				out, _, code := runCLI(append(args, h)...)
				if code != 0 || !strings.HasPrefix(out, "usage: leakdesk "+path) {
					t.Errorf("%s %s: exit %d, stdout %q", path, h, code, out)
				}
			}
			out, _, _ := runCLI(append(args, "--help")...)
			if subs := subcommandsOf(path, out); subs != nil {
				for _, s := range subs {
					queue = append(queue, path+" "+s)
				}
				if _, _, code := runCLI(args...); code != 2 {
					t.Errorf("%s without a subcommand: exit %d, want 2", path, code)
				}
			}
			if _, errOut, code := runCLI(append(args, "--no-such-flag")...); code != 2 || errOut != "" {
				t.Errorf("%s --no-such-flag: exit %d, want 2 (stderr is main's to write: %q)", path, code, errOut)
			}
		})
		seen++
	}
	if seen < 25 {
		t.Errorf("only %d commands found", seen)
	}
}

func TestCLI_HelpListsFlagsWithDefaults(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"help"}, []string{"usage: leakdesk <command>", "audit verify-export FILE", "healthcheck"}},
		{[]string{"audit", "verify-export", "--help"}, []string{"usage: leakdesk audit verify-export FILE"}},
		{[]string{"help", "dev", "db", "start"}, []string{"-dir string", `(default ".data/pg")`, "-fast"}},
		{[]string{"dev", "seed", "-h"}, []string{"-cases int", "(default 1000)"}},
		{[]string{"healthcheck", "--help"}, []string{"-url string", "http://127.0.0.1:8080/readyz", "-timeout duration", "(default 3s)"}},
	} {
		out, _, code := runCLI(c.args...)
		for _, w := range c.want {
			if code != 0 || !strings.Contains(out, w) {
				t.Errorf("%v: exit %d, output lacks %q:\n%s", c.args, code, w, out)
			}
		}
	}
	for _, misuse := range [][]string{{}, {"nosuch"}, {"audit", "verify-export"}, {"audit", "verify-export", "a", "b"}, {"user", "add"}, {"key", "rotate"}, {"migrate", "sideways"}} {
		if _, _, code := runCLI(misuse...); code != 2 {
			t.Errorf("%v: exit %d, want 2", misuse, code)
		}
	}
}

func TestReadyzURL(t *testing.T) {
	for in, want := range map[string]string{"": "http://127.0.0.1:8080/readyz", "0.0.0.0:8080": "http://127.0.0.1:8080/readyz",
		":9000": "http://127.0.0.1:9000/readyz", "10.0.0.5:8080": "http://10.0.0.5:8080/readyz", "[::]:8080": "http://[::1]:8080/readyz"} {
		if got := readyzURL(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
