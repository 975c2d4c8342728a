#!/usr/bin/env bash
# make bench: starts a fresh parleyd (release build, temporary data dir) on a
# free loopback port and drives it with parley-bench. Rates and sizes can be
# overridden: RATES="1000 5000" CUSTOMERS=100 AGENTS=10 DURATION=10 make bench;
# BENCH_ARGS adds parley-bench flags, e.g. BENCH_ARGS="--strategies '[{\"name\":\"profanity\"}]'"
# PARLEYD and PARLEY_BENCH name other binaries (an older build, to compare).
# After each rate it prints the writer's group commits over that run (from
# /metrics on a second loopback port): commits, jobs, mean and max batch.
set -euo pipefail
cd "$(dirname "$0")/.."

rates=${RATES:-"1000 5000"}
customers=${CUSTOMERS:-100}
agents=${AGENTS:-10}
duration=${DURATION:-10}
port=${PORT:-18080}
metrics_port=$((port + 1))
parleyd=${PARLEYD:-build/parleyd}
bench=${PARLEY_BENCH:-build/parley-bench}
data_dir=$(mktemp -d /tmp/parley-bench-XXXXXX)
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 20)

cleanup() {
  if [ -n "${server_pid:-}" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" || true
  fi
  rm -rf "$data_dir"
}
trap cleanup EXIT

# one counter of /metrics, 0 when unreadable
metric() {
  curl -s "http://127.0.0.1:$metrics_port/metrics" 2>/dev/null |
    awk -v name="$1" '$1 == name { print $2; found = 1 } END { if (!found) print 0 }'
}

"$parleyd" admin create --data-dir "$data_dir" --email admin@bench.local --name Bench \
  --password "$password" >/dev/null
# the bench drives chat far beyond human rates from one address: no rate limits
"$parleyd" --listen "127.0.0.1:$port" --metrics-listen "127.0.0.1:$metrics_port" \
  --data-dir "$data_dir" \
  --limit-customers-per-minute 0 --limit-connections-per-minute 0 \
  --limit-messages-per-minute 0 > "$data_dir/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 50); do
  grep -q "listening on" "$data_dir/server.log" 2>/dev/null && break
  sleep 0.1
done
grep -q "listening on" "$data_dir/server.log" || { cat "$data_dir/server.log"; exit 1; }

for rate in $rates; do
  echo "== $customers customers, $agents agents, $rate msgs/s for ${duration}s"
  batches0=$(metric parley_db_batches_total)
  jobs0=$(metric parley_db_batched_jobs_total)
  status=0
  "$bench" --url "http://127.0.0.1:$port" --admin-email admin@bench.local \
    --admin-password "$password" --customers "$customers" --agents "$agents" \
    --rate "$rate" --duration "$duration" --server-pid "$server_pid" --quiet \
    ${BENCH_ARGS:-} || status=$?
  batches=$(($(metric parley_db_batches_total) - batches0))
  jobs=$(($(metric parley_db_batched_jobs_total) - jobs0))
  echo "writer:     $batches commits of $jobs jobs (mean batch" \
    "$(awk -v j="$jobs" -v b="$batches" 'BEGIN { printf "%.1f", b ? j / b : 0 }'), max since start" \
    "$(metric parley_db_max_batch))"
  [ "$status" -eq 0 ] || exit "$status"
done
