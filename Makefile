# leakdesk — `make run` serves the app on a local PostgreSQL; `make test` runs every test.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO        ?= go
BIN       := bin/leakdesk
DATA_DIR  ?= .data
PG_DIR    := $(DATA_DIR)/pg
VERSION   := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/leakdesk/leakdesk/internal/buildinfo.Version=$(VERSION)
export GOFLAGS ?= -buildvcs=false

.PHONY: help build run db stop-db env test test-short lint tidy-check generate check-generated bench bench-go soak fuzz vuln clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-16s %s\n", $$1, $$2}'

build: ## build bin/leakdesk
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/leakdesk

db: build ## start (and on first use create) the local PostgreSQL cluster under .data/
	@$(BIN) dev db start --dir $(PG_DIR) > /dev/null

run: build ## PDF packages (as root) → local cluster (unless DATABASE_URL is set) → migrate (owner) → demo users → serve (app role)
	@$(BIN) dev packages run
	@if [ -z "$${DATABASE_URL:-}" ]; then \
		eval "$$($(BIN) dev db start --dir $(PG_DIR) --env)"; \
		echo "DATABASE_URL=$$DATABASE_URL (serve: the app role)"; echo "LEAKDESK_MIGRATE_URL=$$LEAKDESK_MIGRATE_URL (migrate: the owner)"; \
	else echo "using DATABASE_URL (and LEAKDESK_MIGRATE_URL, if set) from the environment"; fi; \
	if [ -z "$${LEAKDESK_DATA_KEY:-}$${LEAKDESK_DATA_KEY_FILE:-}" ]; then \
		mkdir -p $(DATA_DIR); \
		if [ ! -f $(DATA_DIR)/data-key ]; then umask 077; head -c 32 /dev/urandom | base64 > $(DATA_DIR)/data-key; echo "generated a development data key in $(DATA_DIR)/data-key"; fi; \
		export LEAKDESK_DATA_KEY_FILE="$(abspath $(DATA_DIR))/data-key"; \
	fi; \
	if [ -z "$${LEAKDESK_SIGNING_KEY_FILE:-}" ]; then \
		if [ ! -f $(DATA_DIR)/signing-key ]; then $(BIN) audit keygen --out $(DATA_DIR)/signing-key --name leakdesk-dev; echo "generated a development checkpoint signing key in $(DATA_DIR)/signing-key"; fi; \
		export LEAKDESK_SIGNING_KEY_FILE="$(abspath $(DATA_DIR))/signing-key"; \
	fi; \
	if [ -z "$${LEAKDESK_WITNESS_DIR:-}" ]; then mkdir -p $(DATA_DIR)/witness; export LEAKDESK_WITNESS_DIR="$(abspath $(DATA_DIR))/witness"; fi; \
	$(BIN) migrate up; \
	$(BIN) dev demo-users --out $(DATA_DIR)/demo-users.txt; \
	echo "open $${LEAKDESK_BASE_URL:-http://$${LEAKDESK_ADDR:-127.0.0.1:8080}}/ and log in with a demo user"; \
	exec $(BIN) serve

stop-db: build ## stop the local cluster
	@$(BIN) dev db stop --dir $(PG_DIR)

env: build ## print `export DATABASE_URL=... LEAKDESK_MIGRATE_URL=...` for the local cluster: eval "$$(make -s env)"
	@$(BIN) dev db env --dir $(PG_DIR)

# Tests run against a throwaway cluster (durability off) in a temporary directory, removed afterwards.
test: build ## run every test (unit, store, HTTP, browser) on a throwaway PostgreSQL
	@$(BIN) dev packages test
	@tmp="$$(mktemp -d /tmp/leakdesk-test-XXXXXX)"; \
	trap '$(BIN) dev db remove --dir "$$tmp/pg" >/dev/null 2>&1 || true; rm -rf "$$tmp"' EXIT; \
	export DATABASE_URL="$$($(BIN) dev db start --dir "$$tmp/pg" --fast)"; \
	export LEAKDESK_TEST_REQUIRE_DB=1 LEAKDESK_CHECK_SNAPSHOTS=1; \
	$(GO) test -count=1 -timeout 20m $(TESTFLAGS) ./...

test-short: ## unit tests only (no database, no browser)
	$(GO) test -count=1 -short ./...

lint: ## gofmt and go vet
	@out="$$(gofmt -l cmd internal web migrations)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

tidy-check: ## fail if `go mod tidy` would change go.mod or go.sum
	@if ! diff="$$($(GO) mod tidy -diff 2>&1)"; then echo "go.mod/go.sum are not tidy; run go mod tidy:"; echo "$$diff"; exit 1; fi

generate: ## regenerate templ code
	$(GO) tool templ generate

check-generated: ## fail if `templ generate` changes any committed file
	$(GO) tool templ generate
	@if [ -n "$$(git status --porcelain -- '*.go' '*.templ')" ]; then echo "generated code is stale or uncommitted:"; git status --porcelain -- '*.go' '*.templ'; exit 1; fi

# Benchmarks keep durability ON: they measure what production does.
# `make bench` is cmd/leakbench: its own cluster, the server, load, pgbench and the casework Go
# benchmarks, in about four minutes; it prints the table docs/performance.md holds and keeps it in
# $(DATA_DIR)/bench.md. `make bench-go` runs every package's Go benchmarks (several minutes more).
bench: build ## the benchmark table: every figure beside a reference measured in the same run
	$(GO) build -o bin/leakbench ./cmd/leakbench
	@mkdir -p $(DATA_DIR)
	bin/leakbench --leakdesk $(BIN) --md $(DATA_DIR)/bench.md

bench-go: build ## every package's Go benchmarks on a durable throwaway cluster
	@tmp="$$(mktemp -d /tmp/leakdesk-bench-XXXXXX)"; \
	trap '$(BIN) dev db remove --dir "$$tmp/pg" >/dev/null 2>&1 || true; rm -rf "$$tmp"' EXIT; \
	export DATABASE_URL="$$($(BIN) dev db start --dir "$$tmp/pg")"; \
	export LEAKDESK_TEST_REQUIRE_DB=1 LEAKDESK_CHECK_SNAPSHOTS=1; \
	$(GO) test -count=1 -run '^$$' -bench . -benchtime 3s -timeout 30m ./...

# Fuzzing: every `func FuzzX` under internal/ and cmd/, one fuzzer per `go test -fuzz` run (the tool
# takes one at a time), FUZZTIME each on top of its committed corpus in testdata/fuzz. The short
# budget is CI's; `make soak` runs the same with the long one.
# Go 1.26's fuzz coordinator can report a bare "context deadline exceeded" when -fuzztime ends while
# a worker is busy (golang/go#75804, fixed in Go 1.27) — no input found, nothing written. Such a run
# is repeated once; a run that writes a failing input, or fails any other way, fails at once.
FUZZTIME      ?= 5s
SOAK_FUZZTIME ?= 3m
fuzz: ## run every fuzzer for FUZZTIME each (CI: 5s)
	@log="$$(mktemp)"; trap 'rm -f "$$log"' EXIT; \
	for dir in $$(grep -rl --include='*_test.go' '^func Fuzz' internal cmd | xargs -n1 dirname | sort -u); do \
		for name in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go | sed 's/^func //'); do \
			for try in 1 2; do \
				echo "fuzz $$name ./$$dir ($(FUZZTIME))"; \
				if $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) ./$$dir > "$$log" 2>&1; then cat "$$log"; break; fi; \
				cat "$$log"; \
				if [ $$try = 1 ] && grep -q 'context deadline exceeded' "$$log" && ! grep -q 'Failing input written' "$$log"; then \
					echo "fuzz $$name: Go fuzz coordinator deadline race (golang/go#75804), no input found; running it again"; \
				else exit 1; fi; \
			done; \
		done; \
	done

# govulncheck (pinned in go.mod as a tool) fails on a known vulnerability in code that is called.
# When its database cannot be reached the scan did not happen: that is printed, loudly, and only
# fails with VULN_REQUIRED=1. VULNFLAGS=-db=file:///path/to/mirror scans against a local mirror.
vuln: ## known vulnerabilities in called code (govulncheck)
	@out="$$(mktemp)"; rc=0; $(GO) tool govulncheck $(VULNFLAGS) ./... > "$$out" 2>&1 || rc=$$?; cat "$$out"; \
	if [ $$rc -eq 3 ]; then rm -f "$$out"; echo "vuln: FAILED: known vulnerabilities in called code (above)"; exit 1; fi; \
	if [ $$rc -ne 0 ] && grep -q 'fetching vulnerabilities' "$$out"; then rm -f "$$out"; \
		echo "vuln: ************************************************************"; \
		echo "vuln: NOT SCANNED: the Go vulnerability database could not be reached."; \
		echo "vuln: No claim is made about known vulnerabilities in this build."; \
		echo "vuln: ************************************************************"; \
		if [ -n "$${VULN_REQUIRED:-}" ]; then exit 1; fi; exit 0; fi; \
	rm -f "$$out"; exit $$rc

# Soak: the fault tests at full size (docs/faults.md). One line per part, so parts merge cleanly.
soak: build ## long fault tests (10 000 approval races, 20 database restarts, 10 kills) and long fuzzing
	LEAKDESK_SOAK=1 LEAKDESK_TEST_REQUIRE_DB=1 $(GO) test -count=1 -timeout 120m -v -run '^TestFaults_' ./internal/faults/
	$(MAKE) fuzz FUZZTIME=$(SOAK_FUZZTIME)

clean: ## remove build output (keeps .data)
	rm -rf bin
