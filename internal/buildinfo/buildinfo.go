// Package buildinfo reports the version baked into the binary.
package buildinfo

import "runtime/debug"

// Version is set with -ldflags "-X github.com/leakdesk/leakdesk/internal/buildinfo.Version=..." by
// the Makefile; otherwise the module version or "dev".
var Version = ""

// String returns the version for `leakdesk version` and the metrics build label.
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
