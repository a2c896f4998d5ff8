// Package faults holds leakdesk's fault tests (issue 7): the real `leakdesk serve` binary, run as
// subprocesses against a private PostgreSQL cluster, while the database is restarted in immediate
// mode, while two instances race for the same approvals, and while an instance is killed with
// SIGKILL. The tests live in the _test files; `make test` runs them with small numbers and
// `make soak` (LEAKDESK_SOAK=1) with large ones. See docs/faults.md.
package faults
