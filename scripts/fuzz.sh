#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/fuzz_*.c) with clang, ASan and UBSan,
# and runs each for SECONDS seconds on a copy of its seed corpus.
#
#   bash scripts/fuzz.sh [SECONDS]      (default 10; `make fuzz` passes FUZZ_SECONDS)
#
# Installs nothing (`make fuzz` runs scripts/deps.sh first). The committed
# corpus is never grown: each target fuzzes a copy in build-fuzz/fuzz-work/.
# Inputs named fuzz/corpus/<target>/regression-* are first run once each, as
# regression tests. Exits non-zero when a regression input still fails or
# when fuzzing finds a crash, leak, timeout or out-of-memory, and prints the
# reproducer's path (re-run it with: build-fuzz/<target> <path>).
# Total time is bounded: about 4 x SECONDS plus the build.
set -euo pipefail

SECONDS_PER_TARGET="${1:-10}"
if ! [[ "$SECONDS_PER_TARGET" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [SECONDS]  (a whole number of seconds per target)" >&2
  exit 2
fi

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
BUILD="$ROOT/build-fuzz"
WORK="$BUILD/fuzz-work"
JOBS="$(nproc 2>/dev/null || echo 2)"

for tool in clang cmake; do
  if ! command -v "$tool" >/dev/null; then
    echo "fuzz: $tool is missing (run 'make deps' or scripts/deps.sh)" >&2
    exit 2
  fi
done

# -fsanitize=fuzzer-no-link instruments the libraries the targets link
# (parley_core, parley_storage, parley_net) for coverage feedback; the
# targets themselves get -fsanitize=fuzzer from CMakeLists.txt.
cmake -S . -B "$BUILD" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
  -DPARLEY_FUZZ=ON -DPARLEY_SANITIZE=ON -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link >/dev/null

TARGETS=()
for src in fuzz/fuzz_*.c; do
  TARGETS+=("$(basename "$src" .c)")
done
if [ ${#TARGETS[@]} -eq 0 ]; then
  echo "fuzz: no fuzz/fuzz_*.c targets" >&2
  exit 2
fi
cmake --build "$BUILD" -j "$JOBS" --target "${TARGETS[@]}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

rm -rf "$WORK"
mkdir -p "$WORK"
failures=()
summary=()

for t in "${TARGETS[@]}"; do
  seeds="fuzz/corpus/$t"
  dir="$WORK/$t"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  echo "== $t: ${SECONDS_PER_TARGET}s"

  # Regression inputs: each must run clean; one that fails is reported and
  # left out of the fuzzing corpus (it would stop the run at once).
  shopt -s nullglob
  for f in "$seeds"/regression-*; do
    if "$BUILD/$t" -runs=1 "$f" >"$dir/regression.log" 2>&1; then
      cp "$f" "$dir/corpus/"
    else
      echo "fuzz: $t: regression input still fails: $f"
      grep -E '^(==[0-9]+==ERROR|SUMMARY|    #[0-9] )' "$dir/regression.log" | head -12 || true
      failures+=("$t: $f (regression)")
    fi
  done
  for f in "$seeds"/*; do
    case "$(basename "$f")" in regression-*) ;; *) cp "$f" "$dir/corpus/" ;; esac
  done
  shopt -u nullglob

  dict=()
  if [ -f "fuzz/dict/$t.dict" ]; then
    dict=("-dict=fuzz/dict/$t.dict")
  fi
  status=0
  "$BUILD/$t" "$dir/corpus" "${dict[@]}" \
    -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/" >"$dir/fuzz.log" 2>&1 || status=$?

  done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$dir/fuzz.log" | tail -1 || true)"
  [ -n "$done_line" ] || done_line="$(grep -E '^#[0-9]+' "$dir/fuzz.log" | tail -1 || true)"
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log" | tail -1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/fuzz.log" | tail -1)"
  rss="$(sed -n 's/^stat::peak_rss_mb: *//p' "$dir/fuzz.log" | tail -1)"
  cov="$(grep -oE 'cov: [0-9]+ ft: [0-9]+' <<<"$done_line" || true)"
  summary+=("$(printf '%-20s runs %-9s exec/s %-7s %-22s peak rss %s MB' \
    "$t" "${execs:-?}" "${rate:-?}" "${cov:-cov: ?}" "${rss:-?}")")
  grep -E '^stat::' "$dir/fuzz.log" || true
  [ -z "$done_line" ] || echo "$done_line"

  artifacts=("$dir"/artifacts/*)
  if [ "$status" -ne 0 ] || [ -e "${artifacts[0]}" ]; then
    echo "fuzz: $t FAILED (exit $status); log: $dir/fuzz.log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|    #[0-9] |ALARM|.*-- out-of-memory)' "$dir/fuzz.log" | head -20 || true
    found=0
    for a in "${artifacts[@]}"; do
      if [ -e "$a" ]; then
        echo "fuzz: reproducer: $a   (re-run: $BUILD/$t $a)"
        failures+=("$t: $a")
        found=1
      fi
    done
    [ "$found" -eq 1 ] || failures+=("$t: exit $status, see $dir/fuzz.log")
  fi
done

echo
echo "== summary (${SECONDS_PER_TARGET}s per target; cov/ft from libFuzzer's last line)"
printf '%s\n' "${summary[@]}"
if [ ${#failures[@]} -gt 0 ]; then
  echo
  echo "fuzz: ${#failures[@]} failure(s):"
  printf '  %s\n' "${failures[@]}"
  exit 1
fi
echo "fuzz: all targets ran clean"
