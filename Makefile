# Parley - the two commands that matter: `make run` and `make test`.
# Every target installs what is missing first (scripts/deps.sh).

MAKEFLAGS   += --no-print-directory
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 10
FUZZ_BUDGET ?=
LISTEN      ?= 127.0.0.1:8080
DATA_DIR    ?= ./parley-data

.PHONY: all deps build run test test-asan test-valgrind fuzz fuzz-corpus bench bench-strategies bench-desk bench-translation bench-search format clean

all: build

deps:
	@bash scripts/deps.sh

# Release-style build; the binary lands at build/parleyd.
build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j $(JOBS)

# Builds and starts parleyd on SQLite with the demo page (and a demo admin
# whose password is printed and kept in $(DATA_DIR)/demo-admin.txt).
run: build
	@bash scripts/run.sh build/parleyd "$(LISTEN)" "$(DATA_DIR)"

# The whole suite: unit + integration tests under ASan/UBSan, then the
# integration tests again against a debug build under valgrind.
test: deps test-asan test-valgrind

test-asan:
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPARLEY_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS)

test-valgrind:
	@cmake -S . -B build-valgrind -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build build-valgrind -j $(JOBS) --target parleyd
	@cd build-valgrind && \
		PARLEYD_WRAPPER="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --track-fds=no --quiet" \
		PARLEY_TEST_TIMEOUT_SCALE=10 \
		ctest --output-on-failure -L integration -j $(JOBS)

# libFuzzer targets (clang), each run for FUZZ_SECONDS on its seed corpus
# (or FUZZ_BUDGET seconds in all, split across the targets); the inputs that
# add coverage are merged into build-fuzz/corpus-out/ (fuzz/README.md).
fuzz: deps
	@FUZZ_BUDGET=$(FUZZ_BUDGET) bash scripts/fuzz.sh $(FUZZ_SECONDS)

# The same, then the new inputs are copied into fuzz/corpus/<target>/ to commit.
fuzz-corpus: deps
	@FUZZ_BUDGET=$(FUZZ_BUDGET) FUZZ_UPDATE_CORPUS=1 bash scripts/fuzz.sh $(FUZZ_SECONDS)

# parleyd and the Node.js peer (bench/peers/) driven by the same parley-bench,
# interleaved, each run on a fresh server and data dir; one table of
# delivered rate, latency, server CPU and bytes written per message, peak RSS.
# RATES="1000 5000" DURATION=10 CUSTOMERS=100 AGENTS=10; PEERS=none: parleyd only.
bench: build
	@bash scripts/bench.sh

# Issue 11 B: parleyd's RSS per idle WebSocket (steps up to what the fd
# limit allows), after connect/disconnect churn, and delivery p99 at the
# top. STEPS=0,1000,5000 ROUNDS=3 to change the run.
bench-conns: build
	@bash bench/conns/run.sh

# Per-message cost of each strategy and of the pipeline, in-process (no
# server); ARGS="--iterations 5000 --only spam" to narrow it.
bench-strategies: build
	@build/parley-strategy-bench $(ARGS)

# Issue 11: the dispatcher's queue positions and mean wait, before and
# after (CPU per call); ARGS="--sessions 100000 --queue 13000".
bench-desk: build
	@build/parley-desk-bench $(ARGS)

# Issue 16: what translating both ways adds per message (reader lookups in
# a real SQLite file); ARGS="--iterations 5000" for less.
bench-translation: build
	@build/parley-translation-bench $(ARGS)

# Issue 9: sends while worst-case searches run on a generated database
# (2,000,000 messages by default; ARGS="--messages 500000" for less).
bench-search: build
	@python3 bench/search_dos.py --parleyd build/parleyd $(ARGS)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-valgrind build-fuzz
