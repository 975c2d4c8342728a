#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/fuzz_*.c) with clang, ASan and UBSan,
# runs each on a copy of its seed corpus, and merges what they found.
#
#   bash scripts/fuzz.sh [SECONDS]      (default 10 per target; `make fuzz` passes FUZZ_SECONDS)
#   FUZZ_BUDGET=900 bash scripts/fuzz.sh
#                                       (a total of 900 s split evenly across the targets,
#                                        at least 5 s each; CI uses this, so adding a target
#                                        does not lengthen CI)
#   FUZZ_UPDATE_CORPUS=1 bash scripts/fuzz.sh 60
#                                       (`make fuzz-corpus`: also copy the new inputs into
#                                        fuzz/corpus/<target>/ for a commit)
#
# Installs nothing (`make fuzz` runs scripts/deps.sh first). Each target
# fuzzes a copy in build-fuzz/fuzz-work/<target>/corpus. Inputs named
# fuzz/corpus/<target>/regression-* are first run once each, as regression
# tests. Exits non-zero when a regression input still fails or when fuzzing
# finds a crash, leak, timeout or out-of-memory, and prints the
# reproducer's path (re-run it with: build-fuzz/<target> <path>).
#
# The corpus grows: after fuzzing, `-merge=1` adds to a copy of the committed
# corpus only the work inputs that add coverage (at most 8 KiB each) into
# build-fuzz/corpus-out/<target>/, and the summary says how many are new.
# With FUZZ_UPDATE_CORPUS=1 the new ones are copied into fuzz/corpus/<target>/
# (named by their SHA-1, as libFuzzer names them); with CI=true the script
# leaves build-fuzz/corpus-out/ as the directory CI keeps as an artifact
# (build-fuzz/corpus-out/NEW lists the new files). The committed corpus
# itself is only changed by FUZZ_UPDATE_CORPUS=1.
# Total time is bounded: about SECONDS per target (or FUZZ_BUDGET in all),
# plus the build and a few seconds of merging per target.
set -euo pipefail

SECONDS_PER_TARGET="${1:-10}"
if ! [[ "$SECONDS_PER_TARGET" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [SECONDS]  (a whole number of seconds per target)" >&2
  exit 2
fi
BUDGET="${FUZZ_BUDGET:-}"
if [ -n "$BUDGET" ] && ! [[ "$BUDGET" =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz: FUZZ_BUDGET must be a whole number of seconds" >&2
  exit 2
fi
UPDATE_CORPUS="${FUZZ_UPDATE_CORPUS:-0}"
MAX_CORPUS_FILE=8192

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

if [ -n "$BUDGET" ]; then
  SECONDS_PER_TARGET=$((BUDGET / ${#TARGETS[@]}))
  [ "$SECONDS_PER_TARGET" -ge 5 ] || SECONDS_PER_TARGET=5
  echo "fuzz: budget ${BUDGET}s over ${#TARGETS[@]} targets: ${SECONDS_PER_TARGET}s each"
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

OUT="$BUILD/corpus-out"
rm -rf "$WORK" "$OUT"
mkdir -p "$WORK" "$OUT"
: >"$OUT/NEW"
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
  summary_line="$(printf '%-22s runs %-9s exec/s %-7s %-22s peak rss %s MB' \
    "$t" "${execs:-?}" "${rate:-?}" "${cov:-cov: ?}" "${rss:-?}")"
  grep -E '^stat::' "$dir/fuzz.log" || true
  [ -z "$done_line" ] || echo "$done_line"

  # Grow the corpus: to a copy of the committed one, merge the work inputs
  # that add coverage; what is not in the committed corpus is new.
  new=0
  if [ "$status" -eq 0 ]; then
    mkdir -p "$OUT/$t" "$dir/merge-in"
    shopt -s nullglob
    for f in "$seeds"/*; do cp "$f" "$OUT/$t/"; done
    for f in "$dir"/corpus/*; do
      if [ "$(stat -c %s "$f")" -le "$MAX_CORPUS_FILE" ]; then cp "$f" "$dir/merge-in/"; fi
    done
    shopt -u nullglob
    if "$BUILD/$t" -merge=1 -timeout=10 -rss_limit_mb=2048 "$OUT/$t" "$dir/merge-in" \
      >"$dir/merge.log" 2>&1; then
      for f in "$OUT/$t"/*; do
        if [ ! -e "$seeds/$(basename "$f")" ]; then
          new=$((new + 1))
          echo "$t/$(basename "$f")" >>"$OUT/NEW"
          if [ "$UPDATE_CORPUS" = "1" ]; then
            cp "$f" "$seeds/"
          fi
        fi
      done
    else
      echo "fuzz: $t: merging the corpus failed; log: $dir/merge.log"
    fi
  fi

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
  summary+=("$summary_line  new inputs $new")
done

echo
echo "== summary (${SECONDS_PER_TARGET}s per target; cov/ft from libFuzzer's last line;"
echo "   new inputs: kept by the merge and not yet in fuzz/corpus/<target>/)"
printf '%s\n' "${summary[@]}"
total_new="$(wc -l <"$OUT/NEW")"
if [ "$UPDATE_CORPUS" = "1" ]; then
  echo "fuzz: $total_new new input(s) copied into fuzz/corpus/ (review and commit them)"
elif [ "${CI:-}" = "true" ]; then
  echo "fuzz: $total_new new input(s); the merged corpora are in $OUT (the CI artifact)"
else
  echo "fuzz: $total_new new input(s) in $OUT (FUZZ_UPDATE_CORPUS=1 / make fuzz-corpus keeps them)"
fi
if [ ${#failures[@]} -gt 0 ]; then
  echo
  echo "fuzz: ${#failures[@]} failure(s):"
  printf '  %s\n' "${failures[@]}"
  exit 1
fi
echo "fuzz: all targets ran clean"
