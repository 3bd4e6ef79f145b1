# Tahsil — the developer's API. `make help` lists the targets; CI (.ci/run)
# calls the same ones.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

GO      ?= go
BIN     := bin/tahsil
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

# Tests: override e.g. `make test PKGS=./projections/ TESTFLAGS=-v`.
PKGS      ?= ./...
TESTFLAGS ?=

# Fuzz targets as package:Target:executions. `go test -fuzz` accepts one
# target per run, so each is fuzzed in turn. The budget is a count of
# executions (about 15 s each on a 2-core machine), not a duration: go1.26's
# coordinator can report a spurious "context deadline exceeded" failure when a
# -fuzztime duration expires mid-execution (go.dev/issue/75804); a count has no
# deadline to race. FUZZTIME=60s (or 1000000x) overrides every budget. A listed
# target that no longer exists fails the run instead of silently not being fuzzed.
FUZZTIME ?=
FUZZ_TARGETS := \
	./access:FuzzNeedsRehash:600000x \
	./access:FuzzVerifyTOTP:600000x \
	./access:FuzzTokenPrefix:600000x \
	./collection:FuzzNormalizeMobile:600000x \
	./collection:FuzzDebtorInput:600000x \
	./collection:FuzzSearchText:120000x \
	./collection:FuzzDebtLedger:120000x \
	./collection:FuzzPlanStatus:500000x \
	./importcsv:FuzzRead:150000x \
	./events:FuzzParseEvent:100000x \
	./events:FuzzParseCommand:150000x \
	./blobseal:FuzzOpen:15000x

# System tools, installed by scripts/deps (apt-get when root). An external
# PostgreSQL (TAHSIL_DATABASE_URL, TAHSIL_TEST_DATABASE_URL) needs no initdb.
RUN_TOOLS  := $(if $(TAHSIL_DATABASE_URL)$(TAHSIL_DATABASE_URL_FILE),,initdb)
TEST_TOOLS := $(if $(TAHSIL_TEST_DATABASE_URL),,initdb) kcat oathtool pdftotext zbarimg cc

BENCH_ARGS ?=

.PHONY: help
help: ## list the targets
	@echo "Tahsil (تحصيل) — make targets:"
	@awk 'BEGIN { FS = ":.*## " } \
		/^##@/ { printf "\n%s\n", substr($$0, 5) } \
		/^[a-zA-Z0-9_-]+:.*## / { printf "  %-16s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
	@echo
	@echo "Variables: VERSION=$(VERSION) PKGS=$(PKGS) FUZZTIME=$(FUZZTIME) BENCH_ARGS='$(BENCH_ARGS)'"

##@ Develop

.PHONY: run
run: deps-run build ## build and run `tahsil serve --demo` (embedded Kafka and PostgreSQL under .tahsil/)
	@echo "Starting Tahsil: API on http://$${TAHSIL_HTTP_ADDR:-127.0.0.1:8080}, Kafka on $${TAHSIL_KAFKA_BROKERS:-$${TAHSIL_EMBEDDED_KAFKA_ADDR:-127.0.0.1:9092} (embedded)}, data in $${TAHSIL_DATA_DIR:-.tahsil}. Ctrl-C stops it."
	$(BIN) serve --demo

.PHONY: build
build: ## build bin/tahsil
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/tahsil

.PHONY: generate
generate: ## regenerate store/ from migrations/ and store/queries/ (sqlc)
	$(GO) tool sqlc generate

.PHONY: deps-run
deps-run: ## install what `make run` needs (PostgreSQL binaries)
	@scripts/deps $(RUN_TOOLS)

.PHONY: deps-test
deps-test: ## install what `make test` needs (PostgreSQL binaries, kcat, a C compiler for -race)
	@scripts/deps $(TEST_TOOLS)

##@ Check

.PHONY: test
test: deps-test ## run every test with the race detector (one private PostgreSQL for the run, unless TAHSIL_TEST_DATABASE_URL is set)
	scripts/with-test-postgres $(GO) test -race -count=1 -timeout 20m $(TESTFLAGS) $(PKGS)

.PHONY: fuzz
fuzz: ## fuzz each target for its execution budget (FUZZTIME overrides)
	@log=$$(mktemp); trap 'rm -f "$$log"' EXIT; \
	for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; rest=$${t#*:}; name=$${rest%%:*}; budget=$${rest#*:}; \
		budget=$${FUZZTIME:-$$budget}; \
		echo "--- fuzz $$pkg $$name ($$budget)"; \
		$(GO) test -run=NONE -fuzz="^$$name\$$" -fuzztime=$$budget $$pkg 2>&1 | tee "$$log"; \
		if ! grep -q '^fuzz: elapsed' "$$log"; then \
			echo "fuzz target $$name not found in $$pkg: update FUZZ_TARGETS in the Makefile" >&2; exit 1; \
		fi; \
	done

.PHONY: lint
lint: ## gofmt, go vet and check-generated
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	@$(MAKE) check-generated

.PHONY: check-generated
check-generated: generate ## fail when store/ differs from what sqlc generates
	@git diff --exit-code --stat -- store/ || { echo "store/ is stale: run 'make generate' and commit the result" >&2; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard -- store/); \
	if [ -n "$$untracked" ]; then echo "sqlc generated files that are not committed:"; echo "$$untracked"; exit 1; fi

.PHONY: bench
bench: deps-run ## run the load benchmarks (bench/cmd/tahsil-bench) and print the figures for docs/PERFORMANCE.md
	$(GO) run ./bench/cmd/tahsil-bench $(BENCH_ARGS)

##@ Package

.PHONY: docker
docker: ## build the container image tahsil:VERSION
	docker build --build-arg VERSION=$(VERSION) -t tahsil:$(VERSION) .

.PHONY: clean
clean: ## remove build outputs (keeps the local data in .tahsil/)
	rm -rf bin/ cover.out cover.html

.PHONY: clean-data
clean-data: ## DELETE the local data directory .tahsil/ (Kafka log, PostgreSQL, master key)
	rm -rf .tahsil/
