// Package migrations holds the goose SQL migrations, embedded into the binary
// so that `leakdesk migrate up` needs nothing but the executable.
package migrations

import "embed"

// FS holds every *.sql migration, in goose's numbered order.
//
//go:embed *.sql
var FS embed.FS
