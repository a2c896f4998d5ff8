package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// errHelp ends a command that printed its usage because it was asked to (-h, --help, help): the
// process exits 0.
var errHelp = errors.New("help printed")

// usageError is a misuse of the command line: the process prints the message and the usage of the
// command that was misused (usage; the whole list when empty) and exits 2.
type usageError struct {
	msg   string
	usage string
}

func (e usageError) Error() string { return e.msg }

// exitCode is the status a command's error ends the process with: 0 for nil and help, 2 for
// misuse, 1 for everything else.
func exitCode(err error) int {
	var ue usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.As(err, &ue):
		return 2
	}
	return 1
}

// cmdFlags is the flag set of one command. Its usage is the standard flag package's (each flag
// with its default) under a synopsis line; -h and --help print it on stdout.
type cmdFlags struct {
	*flag.FlagSet
	synopsis, about string
	out             io.Writer
}

// newFlags makes the flag set of `leakdesk <synopsis>`; name is the command path ("user add").
func newFlags(out io.Writer, name, synopsis, about string) *cmdFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, usage printed by parse
	return &cmdFlags{FlagSet: fs, synopsis: synopsis, about: about, out: out}
}

func (f *cmdFlags) usage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: leakdesk %s\n\n%s\n", f.synopsis, f.about)
	n := 0
	f.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		b.WriteString("\nflags:\n")
		f.SetOutput(&b)
		f.PrintDefaults()
		f.SetOutput(io.Discard)
	}
	return b.String()
}

// parse parses args; errHelp after printing the usage for -h/--help, a usageError for bad flags.
// A "help" argument asks for help too, when the command takes no positional arguments (maxArgs 0).
func (f *cmdFlags) parse(args []string, minArgs, maxArgs int) error {
	err := f.Parse(args)
	if errors.Is(err, flag.ErrHelp) || (err == nil && maxArgs == 0 && f.NArg() == 1 && f.Arg(0) == "help") {
		fmt.Fprint(f.out, f.usage())
		return errHelp
	}
	if err != nil {
		return f.misuse(err.Error())
	}
	if f.NArg() < minArgs || (maxArgs >= 0 && f.NArg() > maxArgs) {
		if f.NArg() < minArgs {
			return f.misuse(fmt.Sprintf("%s: missing arguments", f.Name()))
		}
		return f.misuse(fmt.Sprintf("%s: unexpected argument %q", f.Name(), f.Arg(maxArgs)))
	}
	return nil
}

// misuse is a usageError carrying this command's usage.
func (f *cmdFlags) misuse(msg string) error { return usageError{msg: msg, usage: f.usage()} }

// subcommand is one entry of a command group's list.
type subcommand struct{ name, synopsis string }

// group picks the subcommand of a command group (migrate, user, dev …): help for no-ish
// arguments that ask for it, a usageError listing the subcommands for none or an unknown one.
func group(out io.Writer, args []string, name, about string, subs []subcommand) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: leakdesk %s <subcommand> [flags]\n\n%s\n\nsubcommands:\n", name, about)
	for _, s := range subs {
		fmt.Fprintf(&b, "  %-34s %s\n", name+" "+s.name, s.synopsis)
	}
	fmt.Fprintf(&b, "\nleakdesk %s <subcommand> --help describes one.\n", name)
	if len(args) == 0 {
		return "", usageError{msg: name + " needs a subcommand", usage: b.String()}
	}
	switch args[0] {
	case "-h", "--help", "-help", "help":
		fmt.Fprint(out, b.String())
		return "", errHelp
	}
	for _, s := range subs {
		if s.name == args[0] {
			return s.name, nil
		}
	}
	return "", usageError{msg: fmt.Sprintf("%s: unknown subcommand %q", name, args[0]), usage: b.String()}
}
