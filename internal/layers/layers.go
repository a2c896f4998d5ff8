// Package layers is the map of leakdesk's packages as data: which room each package lives in, which
// rooms it may import, and which outside libraries only one room may use. docs/architecture.md draws
// the same map; layers_test.go reads the real import graph from `go list` and fails when the code and
// the map disagree, so a newcomer can trust the picture.
//
// The map holds today's code plus the intended direction. Where today's code still breaks the intended
// map, the break is written in Exceptions with why it is there and what removes it; the test fails when
// an exception is no longer needed, so the list can only shrink.
package layers

// Module is the import path prefix of every package the map places.
const Module = "github.com/leakdesk/leakdesk"

// Room is one layer of the map: the packages it holds and the rooms they may import.
type Room struct {
	Name     string
	Holds    string   // what the room is for, in one line
	Packages []string // paths relative to Module
	// MayImport lists the rooms its packages may import besides their own room. A room always may
	// import the assets room.
	MayImport []string
	// StdlibOnly means every dependency, direct or transitive, is the standard library or this room.
	StdlibOnly bool
	// NoStd lists standard-library packages the room may not depend on even so.
	NoStd []string
}

// Rooms is the map, lowest room first. A package imports only downward (or inside its room).
var Rooms = []Room{
	{
		Name:       "domain",
		Holds:      "the case aggregate, stage table, approval policy, the company's rule set as data, law as code, the hash chain: no HTTP, SQL, templates or clock",
		Packages:   []string{"internal/incident", "internal/rules", "internal/appi", "internal/chain"},
		StdlibOnly: true,
		NoStd:      []string{"net/http", "database/sql", "html/template", "os/exec"},
	},
	{
		Name: "lib",
		Holds: "pure code over domain types with no database and no network: auditor's reading (audit), case-file ZIP (archive), " +
			"Merkle checkpoints, CSV parsing, document rendering, field encryption (pii), passwords/tokens/roles (auth), config, " +
			"rule-set files checked against their JSON Schema (rulefile)",
		Packages: []string{
			"internal/audit", "internal/archive", "internal/checkpoint", "internal/csvimport", "internal/documents",
			"internal/pii", "internal/auth", "internal/config", "internal/buildinfo", "internal/rulefile",
		},
		MayImport: []string{"domain"},
	},
	{
		Name:      "adapters",
		Holds:     "one outside system each, no database: SMTP (mail), Chromium (pdf), OpenID providers (sso)",
		Packages:  []string{"internal/mail", "internal/pdf", "internal/sso"},
		MayImport: []string{"domain", "lib"},
	},
	{
		Name:  "store",
		Holds: "all SQL: one transaction per state change, projections, sealed register columns, mapping of driver errors",
		// store seals and opens register columns (pii), stores password hashes and roles (auth), the
		// auditor's comment chain (audit) and checkpoint trees (checkpoint): all lib, none of them SQL.
		Packages:  []string{"internal/store"},
		MayImport: []string{"domain", "lib"},
	},
	{
		Name:      "services",
		Holds:     "commands (casework: one transaction each) and background jobs (reminder mails, webhooks, the auditor's verification) over the store",
		Packages:  []string{"internal/casework", "internal/reminder", "internal/webhook", "internal/auditjob"},
		MayImport: []string{"domain", "lib", "adapters", "store"},
	},
	{
		Name:      "web",
		Holds:     "HTTP: pages and the JSON API (routes, middleware, handlers, problem+json) and the templ views",
		Packages:  []string{"internal/web", "internal/web/view"},
		MayImport: []string{"domain", "lib", "adapters", "store", "services"},
	},
	{
		Name: "tools",
		Holds: "binaries and test/dev tooling: cmd wiring, seeder, per-test and dev databases, load and fault harnesses; " +
			"nothing below imports them",
		Packages: []string{
			"cmd/leakdesk", "cmd/leakbench", "internal/seed", "internal/testdb", "internal/devdb", "internal/loadgen",
			"internal/scalebench", "internal/faults", "internal/casework/docfixture", "internal/mail/mailtest",
			"internal/layers",
		},
		MayImport: []string{"domain", "lib", "adapters", "store", "services", "web"},
	},
	{
		Name:     "assets",
		Holds:    "embedded files: SQL migrations, static files and openapi.json",
		Packages: []string{"migrations", "web"},
	},
}

// Tech is a library (outside, or one of the module's) that only some rooms (or named packages) may import.
type Tech struct {
	Prefix string   // import path prefix; a module package is written with the Module prefix
	Rooms  []string // rooms that may import it
	Also   []string // single packages outside those rooms that may, each with its reason in Why
	Why    string
}

// Techs are the technology rules of the map.
var Techs = []Tech{
	{
		Prefix: "github.com/jackc/pgx",
		Rooms:  []string{"store", "tools"},
		// reminder, webhook and auditjob insert River jobs inside the store's transaction: River's API
		// takes pgx.Tx, so they name the type (and River's pgx driver), not run SQL of their own.
		Also: []string{"internal/reminder", "internal/webhook", "internal/auditjob"},
		Why:  "SQL lives in internal/store; tools manage databases themselves (dev cluster, per-test databases, bench reads)",
	},
	{
		Prefix: Module + "/internal/config",
		Rooms:  []string{"web", "tools"},
		Why:    "settings are read once in cmd and handed to each package as values; libraries do not read the configuration",
	},
	{Prefix: "database/sql", Rooms: []string{"store", "tools"}, Why: "goose migrations and pgtestdb take *sql.DB; nothing else talks SQL"},
	{Prefix: "github.com/a-h/templ", Rooms: []string{"web"}, Why: "templates are presentation: internal/web/view, rendered by internal/web"},
	{Prefix: "github.com/go-chi/chi", Rooms: []string{"web"}, Why: "routing is internal/web's"},
	{
		Prefix: "github.com/riverqueue/river",
		Rooms:  []string{"services", "tools"},
		Why:    "background jobs are the services' (reminder, webhook, auditjob); tools migrate River's tables",
	},
}

// Exception is an import the intended map forbids that today's code still makes.
type Exception struct {
	From   string // package path relative to Module
	Import string // import path prefix (a module package relative to Module, or an outside library)
	Why    string // why it is there today
	Plan   string // what removes it
}

// Exceptions are today's breaks of the map, each named in issue 13 or found by the layering test.
// Remove an entry when its import goes; the test fails on an entry nothing needs any more.
var Exceptions = []Exception{}

// SQLFiles are the files outside the store and tools rooms that still hold SQL text. The layering test
// finds SQL by its string literals (SELECT, INSERT INTO, UPDATE … SET, DELETE FROM, WITH …) and fails on
// any other file, and on an entry here that holds none any more.
var SQLFiles = []Exception{
	{From: "internal/reminder/index.go", Why: "the case_deadlines projection (a case hook)", Plan: "issue 13 slice 6: into internal/store"},
	{From: "internal/reminder/jobs.go", Why: "the reminder jobs' reads and the reminders_sent ledger", Plan: "issue 13 slice 6: into internal/store"},
	{From: "internal/reminder/digest.go", Why: "the daily checkpoint digest's recipients", Plan: "into internal/store"},
	{From: "internal/reminder/firstreport.go", Why: "the first-report alert's recipients and due time", Plan: "into internal/store"},
}

// MaxFileLines is the longest a hand-written Go file may be (tests included; generated templ code
// and declarative tables excepted): a file longer than that holds more than one thing a newcomer
// would look for by its name.
const MaxFileLines = 600

// LongFiles are today's files over MaxFileLines, each with why and what shortens it. The test fails
// on a file over the limit that is not listed, and on an entry that is no longer over it.
var LongFiles = []Exception{}
