# gitdest — the two promised commands are `make demo` and `make test`; both set up what
# they need on a fresh Debian machine (as root, or with sudo).
BUILD_DIR    ?= build
COVERAGE_DIR ?= build-coverage
JOBS         ?= 2
MESON_SETUP   = meson setup --wipe
CORE_SOURCES  = $(shell git ls-files 'core/*.cc' 'core/*.h' 'sim/*.cc' 'sim/*.h' \
                  'adapters/*.cc' 'adapters/*.h' 'tests/*.cc' 'tests/*.h' 'bench/*.cc')

.PHONY: all deps build test test-unit test-e2e cluster-up cluster-down lint format \
        coverage clean demo demo-down bench bench-git asan mutation

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	meson setup $(BUILD_DIR)

build: deps $(BUILD_DIR)/build.ninja
	ninja -C $(BUILD_DIR) -j $(JOBS)

# Every suite: unit + property (RapidCheck), then end to end against a real API server;
# ends with one line `tests: N passed, M failed` over all of them.
test: build
	@BUILD_DIR=$(BUILD_DIR) JOBS=$(JOBS) bash scripts/run-tests.sh

test-unit: build
	meson test -C $(BUILD_DIR) --print-errorlogs --num-processes $(JOBS)

test-e2e: build
	@bash tests/e2e/run.sh

cluster-up: deps
	@bash tests/e2e/cluster/cluster.sh up

cluster-down:
	@bash tests/e2e/cluster/cluster.sh down

lint:
	@clang-format --dry-run --Werror $(CORE_SOURCES) && echo "lint: clang-format clean"
	@bash scripts/mutation.sh --check

format:
	clang-format -i $(CORE_SOURCES)

# Line coverage of core/ from its own suite (a debug build of those tests only).
coverage: deps
	@[ -f $(COVERAGE_DIR)/build.ninja ] || meson setup $(COVERAGE_DIR) -Db_coverage=true \
	  -Dbuildtype=debug
	ninja -C $(COVERAGE_DIR) build.ninja
	ninja -C $(COVERAGE_DIR) -j $(JOBS) $$(bash scripts/suite-targets.sh $(COVERAGE_DIR) core)
	find $(COVERAGE_DIR) -name '*.gcda' -delete
	meson test -C $(COVERAGE_DIR) --no-rebuild --num-processes $(JOBS) --suite core
	@bash scripts/coverage-report.sh $(COVERAGE_DIR)

# Core steps/s and simulated time per wall second for 1,000 destinations on 100 branches
# (a measurement: prints a table, exits 0). E.g. BENCH_ARGS="--reps=9 --busy-one-in=1".
bench: build
	$(BUILD_DIR)/bench/core_bench $(BENCH_ARGS)

# The Git adapter against the git CLI on the same repositories: over file://, then over
# the test HTTPS server (reads, 1,000 changes in batches of 20, a 100,000-file repository).
bench-git: build
	$(BUILD_DIR)/bench/git_bench --large $(GIT_BENCH_ARGS)
	bash tests/git/with-servers.sh $(BUILD_DIR)/bench/git_bench --https --large $(GIT_BENCH_ARGS)

# The Git adapter's suites and a 10,000-push soak under AddressSanitizer, LeakSanitizer
# and UBSan (meson's b_sanitize), in their own build directory.
# Full stacks, so that the suppressions (leaks inside libgit2 1.5 itself) can match.
ASAN_ENV = ASAN_OPTIONS=fast_unwind_on_malloc=0 \
           LSAN_OPTIONS=suppressions=$(CURDIR)/tests/git/lsan.supp
asan: deps
	@[ -f build-asan/build.ninja ] || meson setup build-asan -Db_sanitize=address,undefined \
	  -Db_lundef=false -Dbuildtype=debug
	ninja -C build-asan -j $(JOBS) bench/git_bench tests/git/libgit2_remote_test \
	  tests/git/git_remote_contract_test
	$(ASAN_ENV) bash tests/git/with-servers.sh build-asan/tests/git/git_remote_contract_test
	$(ASAN_ENV) bash tests/git/with-servers.sh build-asan/tests/git/libgit2_remote_test
	$(ASAN_ENV) build-asan/bench/git_bench --reps=3 --changes=100 --soak=10000

# Deliberate bugs (scripts/mutants/) applied one at a time to a copy of the tree; the
# tests must kill each. Ends with `mutation: K of N mutants killed`.
mutation: deps
	@JOBS=$(JOBS) bash scripts/mutation.sh $(MUTATION_ARGS)

clean:
	rm -rf $(BUILD_DIR) $(COVERAGE_DIR)

# gitdest-controller (two replicas) on a real API server and an HTTPS Git server, both
# on loopback: status, shared reads, an outside commit followed, failover. Stays up.
demo: build
	@BUILD_DIR=$(BUILD_DIR) bash scripts/demo.sh up

demo-down:
	@bash scripts/demo.sh down
