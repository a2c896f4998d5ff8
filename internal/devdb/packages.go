package devdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Requirement is one Debian package a target needs, with the check that tells whether it is there.
type Requirement struct {
	Package string      // the Debian package name, as `apt-get install` takes it
	Why     string      // what needs it, for the message a person reads
	Present func() bool // true when what the package provides is already on the machine
}

// TestRequirements are what `make test` needs beyond Go and PostgreSQL (which Start installs):
// the browser tests and the PDF output drive Chromium, read PDFs back with pdftotext, and the
// documents are set in the IPAex fonts.
func TestRequirements() []Requirement {
	return []Requirement{
		{Package: "chromium", Why: "browser tests and PDF documents", Present: chromiumPresent},
		{Package: "poppler-utils", Why: "pdftotext, to read the generated PDFs back", Present: commandPresent("pdftotext")},
		{Package: "fonts-ipaexfont-gothic", Why: "Japanese font of the documents", Present: fontPresent("ipaexg.ttf")},
		{Package: "fonts-ipaexfont-mincho", Why: "Japanese font of the documents", Present: fontPresent("ipaexm.ttf")},
	}
}

// RunRequirements are what `make run` needs for PDF documents: Chromium lays them out in the IPAex
// fonts. Without them the server still serves, and offers each document as HTML instead.
func RunRequirements() []Requirement {
	var out []Requirement
	for _, r := range TestRequirements() {
		if r.Package != "poppler-utils" {
			out = append(out, r)
		}
	}
	return out
}

// Missing returns the requirements that are not met, in order.
func Missing(reqs []Requirement) []Requirement {
	var out []Requirement
	for _, r := range reqs {
		if !r.Present() {
			out = append(out, r)
		}
	}
	return out
}

// EnsurePackages installs the missing requirements with apt-get when the process is root, and
// otherwise fails at once with one message naming every missing package and the command that
// installs them, so that a run never turns into a page of failing tests.
func EnsurePackages(ctx context.Context, reqs []Requirement, log io.Writer) error {
	missing := Missing(reqs)
	if len(missing) == 0 {
		return nil
	}
	names := make([]string, len(missing))
	for i, r := range missing {
		names[i] = r.Package
	}
	install := "apt-get install -y --no-install-recommends " + strings.Join(names, " ")
	var why strings.Builder
	for _, r := range missing {
		fmt.Fprintf(&why, "\n  %-24s %s", r.Package, r.Why)
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("missing Debian packages:%s\ninstall them as root and retry:\n  sudo %s", why.String(), install)
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return fmt.Errorf("missing Debian packages and apt-get is unavailable:%s", why.String())
	}
	logf(log, "installing Debian packages: %s", strings.Join(names, " "))
	for _, args := range [][]string{
		{"-o", "DPkg::Lock::Timeout=600", "update", "-q"},
		append([]string{"-o", "DPkg::Lock::Timeout=600", "install", "-y", "-q", "--no-install-recommends"}, names...),
	} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("apt-get %s: %w\n%s", args[3], err, tail(out))
		}
	}
	if still := Missing(missing); len(still) > 0 {
		return errors.New("apt-get finished but these are still missing: " + still[0].Package)
	}
	return nil
}

func commandPresent(name string) func() bool {
	return func() bool { _, err := exec.LookPath(name); return err == nil }
}

// chromiumPresent mirrors internal/pdf's lookup (LEAKDESK_CHROMIUM, Debian's paths, PATH).
func chromiumPresent() bool {
	if p := os.Getenv("LEAKDESK_CHROMIUM"); p != "" {
		st, err := os.Stat(p)
		return err == nil && !st.IsDir()
	}
	for _, p := range []string{"/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return true
		}
	}
	return commandPresent("chromium")()
}

// fontPresent looks for a font file in the Debian font tree (fc-list may itself be missing).
func fontPresent(file string) func() bool {
	return func() bool {
		found := false
		_ = filepath.WalkDir("/usr/share/fonts", func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && d.Name() == file {
				found = true
				return filepath.SkipAll
			}
			return nil
		})
		return found
	}
}
