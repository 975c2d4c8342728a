#!/usr/bin/env bash
# make bench: parleyd side by side with the peer servers of bench/peers/
# (bench/peers/README.md), driven by the same parley-bench.
#
# For each rate, each server in turn (parleyd at rate A, the peer at rate A,
# parleyd at rate B, ...) is started fresh on a new temporary data dir and a
# free loopback port, loaded with parley-bench --json, and stopped. From the
# moment the load starts (parley-bench's "load:" line: set-up and its argon2
# logins are excluded) until parley-bench exits (warm-up, measured window and
# drain), the server process's CPU (utime+stime, /proc/PID/stat) and bytes
# written to storage (write_bytes, /proc/PID/io) are divided by the messages
# it delivered in that time; peak RSS is VmHWM at the end, reset (clear_refs)
# when the load starts. One table at the end.
#
#   RATES="1000 5000 8000 12000 16000" CUSTOMERS=100 AGENTS=10 DURATION=10 make bench
#   PEERS=node (default) | "node other" | parleyd-pg | none
#
# PEERS=parleyd-pg runs the same parleyd on PostgreSQL beside it on SQLite
# (issue 12): a PostgreSQL 15 cluster of the bench's own
# (scripts/pg-test-cluster.sh with PARLEY_PG_DURABLE=1: fsync on,
# synchronous_commit on as parleyd sets it), a fresh database per run. Its
# CPU and bytes written are parleyd's plus every PostgreSQL process's
# (the postmaster and its children: backends, WAL writer, checkpointer),
# so both rows count what storing a message costs the machine.
#
# PEERS=none keeps the parleyd-only mode: one parleyd for all the rates
# (default RATES="1000 5000") and parley-bench's own report for each.
# BENCH_ARGS adds parley-bench flags (split on spaces), e.g.
# BENCH_ARGS='--strategies [{"name":"profanity"}]' (with PEERS=none: the peers
# implement no strategies). PARLEYD and PARLEY_BENCH name other binaries
# (an older build, to compare). Exit status: 1 when a run failed or its
# integrity check did not pass.
set -euo pipefail
cd "$(dirname "$0")/.."

peers=${PEERS:-node}
customers=${CUSTOMERS:-100}
agents=${AGENTS:-10}
duration=${DURATION:-10}
port=${PORT:-0} # 0: a free port the server picks
parleyd=${PARLEYD:-build/parleyd}    # another build, to compare (an older parleyd)
bench=${PARLEY_BENCH:-build/parley-bench}
work=$(mktemp -d /tmp/parley-bench-XXXXXX)
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 20)
admin=admin@bench.local
server_pid=
pg_state=$work/pg.state # PEERS=parleyd-pg: the cluster, started at its first run
pg_runs=0

# SIGTERM, and SIGKILL after 60 s: an overloaded server may still be working
# through what it read (the figures are taken before this)
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    for _ in $(seq 1 600); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" || true
  fi
  server_pid=
}
cleanup() {
  stop_server
  if [ -f "$pg_state" ]; then bash scripts/pg-test-cluster.sh stop "$pg_state" >/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# start_server NAME DATA_DIR PORT: starts it in the background (server_pid),
# waits for its "listening on http://..." line and sets server_url from it.
start_server() {
  local name=$1 dir=$2 p=$3
  mkdir -p "$dir"
  case $name in
  parleyd | parleyd-pg)
    if [ "$name" = parleyd-pg ]; then
      if [ ! -f "$pg_state" ]; then
        PARLEY_PG_DURABLE=1 bash scripts/pg-test-cluster.sh start "$pg_state" >&2 || return 1
      fi
      pg_runs=$((pg_runs + 1))
      local host
      host=$(sed -n 's/^host=\([^ ]*\) .*/\1/p' "$pg_state")
      psql -X -q -h "$host" -U parley -d postgres -c "CREATE DATABASE bench_$pg_runs" >&2 ||
        return 1
      export PARLEY_DATABASE="postgres:///bench_$pg_runs?host=$host&user=parley"
    else
      unset PARLEY_DATABASE
    fi
    "$parleyd" admin create --data-dir "$dir" --email "$admin" --name Bench \
      --password "$password" >/dev/null
    # the bench drives chat far beyond human rates from one address: no rate limits
    "$parleyd" --listen "127.0.0.1:$p" --data-dir "$dir" \
      --limit-customers-per-minute 0 --limit-connections-per-minute 0 \
      --limit-messages-per-minute 0 >"$dir/server.log" 2>&1 &
    ;;
  *)
    local peer=bench/peers/$name
    if [ ! -f "$peer/server.mjs" ] || [ ! -d "$peer/node_modules" ]; then
      echo "bench: no peer $peer (or its npm packages: bash scripts/deps.sh)" >&2
      return 1
    fi
    node "$peer/server.mjs" --listen "127.0.0.1:$p" --data-dir "$dir" \
      --admin-email "$admin" --admin-password "$password" >"$dir/server.log" 2>&1 &
    ;;
  esac
  server_pid=$!
  for _ in $(seq 1 100); do
    server_url=$(grep -o -m1 "listening on http://[^ ]*" "$dir/server.log" 2>/dev/null || true)
    if [ -n "$server_url" ]; then
      server_url=${server_url#listening on }
      return 0
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$dir/server.log" >&2
  return 1
}

# cpu_ticks PID / write_bytes PID / peak_rss_kib PID
cpu_ticks() {
  local stat rest
  read -r stat <"/proc/$1/stat"
  rest=${stat##*) }
  # shellcheck disable=SC2086
  set -- $rest
  echo $((${12} + ${13}))
}
write_bytes() { awk '$1 == "write_bytes:" { print $2 }' "/proc/$1/io"; }
# storage_pids NAME PID: the processes whose cost a run counts (parleyd-pg:
# parleyd and the cluster's postmaster with its children)
storage_pids() {
  echo "$2"
  if [ "$1" = parleyd-pg ]; then
    local host pm
    host=$(sed -n 's/^host=\([^ ]*\) .*/\1/p' "$pg_state")
    pm=$(head -n 1 "$host/data/postmaster.pid")
    echo "$pm"
    pgrep -P "$pm" || true
  fi
}
# sum_over FUNCTION PID...: FUNCTION's figure summed over the processes
# (one that exited meanwhile counts 0)
sum_over() {
  local f=$1 total=0 v
  shift
  for pid in "$@"; do
    v=$("$f" "$pid" 2>/dev/null || echo 0)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}
peak_rss_kib() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$1/status"; }

# run_bench URL RATE [parley-bench flags]; BENCH_ARGS is split on spaces
run_bench() {
  local url=$1 rate=$2
  shift 2
  # shellcheck disable=SC2086
  "$bench" --url "$url" --admin-email "$admin" --admin-password "$password" \
    --customers "$customers" --agents "$agents" --rate "$rate" --duration "$duration" \
    ${BENCH_ARGS:-} "$@"
}

if [ "$peers" = none ]; then
  rates=${RATES:-"1000 5000"}
  start_server parleyd "$work/parleyd" "$port"
  for rate in $rates; do
    echo "== $customers customers, $agents agents, $rate msgs/s for ${duration}s"
    run_bench "$server_url" "$rate" --quiet
  done
  exit 0
fi

rates=${RATES:-"1000 5000 8000 12000 16000"}
servers="parleyd $peers"
results=$work/results.tsv
: >"$results"
failed=0
run=0
for rate in $rates; do
  for name in $servers; do
    run=$((run + 1))
    p=$port
    [ "$port" -eq 0 ] || p=$((port + run - 1))
    dir=$work/$name-$rate
    echo "== $name: $customers customers, $agents agents, $rate msgs/s for ${duration}s" >&2
    if ! start_server "$name" "$dir" "$p"; then
      echo "bench: $name did not start" >&2
      printf '%s\t%s\tstart-failed\n' "$name" "$rate" >>"$results"
      failed=1
      stop_server
      continue
    fi
    out=$work/$name-$rate.json
    progress=$work/$name-$rate.progress
    run_bench "$server_url" "$rate" --json >"$out" 2>"$progress" &
    bench_pid=$!
    # the load starts once set-up and connect are done
    while kill -0 "$bench_pid" 2>/dev/null && ! grep -qs "load: .* msgs/s for" "$progress"; do
      sleep 0.02
    done
    # shellcheck disable=SC2046
    set -- $(storage_pids "$name" "$server_pid")
    cpu0=$(sum_over cpu_ticks "$@")
    io0=$(sum_over write_bytes "$@")
    # peak RSS from here on: set-up's argon2 hashing (64 MiB each) is not the message path
    echo 5 >"/proc/$server_pid/clear_refs" 2>/dev/null || true
    status=0
    wait "$bench_pid" || status=$?
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "bench: $name exited during the run" >&2
      tail -n 5 "$dir/server.log" >&2
      printf '%s\t%s\tstart-failed\n' "$name" "$rate" >>"$results"
      failed=1
      server_pid=
      continue
    fi
    cpu1=$(sum_over cpu_ticks "$@")
    io1=$(sum_over write_bytes "$@")
    rss=$(peak_rss_kib "$server_pid")
    stop_server
    if [ "$status" -ne 0 ]; then
      failed=1
      [ "$status" -eq 1 ] || tail -n 5 "$progress" >&2
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$rate" "$out" "$((cpu1 - cpu0))" \
      "$((io1 - io0))" "$rss" "$status" >>"$results"
    rm -rf "$dir"
  done
done

python3 - "$results" "$(getconf CLK_TCK)" "$customers" "$agents" "$duration" <<'EOF'
import json, sys
results, hz, customers, agents, duration = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
print(f"\n{customers} customers, {agents} agents, 64-byte messages, {duration} s measured; "
      "CPU and bytes written per delivered message and peak RSS over warm-up + window + drain\n")
print("| offered msgs/s | server | delivered msgs/s | deliver p50 ms | p99 ms "
      "| server CPU µs/msg | bytes written/msg | peak RSS MB | integrity |")
print("|---:|---|---:|---:|---:|---:|---:|---:|---|")
for line in open(results):
    f = line.rstrip("\n").split("\t")
    name, rate = f[0], f[1]
    if f[2] == "start-failed":
        print(f"| {rate} | {name} | | | | | | | did not start or exited |")
        continue
    ticks, written, rss, status = int(f[3]), int(f[4]), int(f[5] or 0), int(f[6])
    try:
        r = json.load(open(f[2]))
    except (OSError, ValueError):
        r = {}
    if "messages" not in r:
        print(f"| {rate} | {name} | | | | | | {rss / 1024:.0f} | failed: {r.get('error', 'exit %d' % status)} |")
        continue
    delivered = r["messages"]["delivered"]
    lat = r["latency_ms"]["deliver"]
    fmt = lambda v: "-" if v is None else f"{v:.1f}"
    cpu_us = ticks / hz * 1e6 / delivered if delivered else float("nan")
    per_msg = written / delivered if delivered else float("nan")
    i = r["integrity"]
    integrity = "OK" if i["ok"] else "FAILED: " + ", ".join(
        f"{k.replace('_', ' ')} {i[k]}" for k in (
            "unanswered", "lost", "duplicate_deliveries", "duplicate_acks", "seq_gaps",
            "seq_regressions", "seq_mismatches", "misrouted", "delivered_without_ack")
        if i.get(k))
    if r.get("disconnects", {}).get("count"):
        integrity += f" ({r['disconnects']['count']} disconnects)"
    print(f"| {rate} | {name} | {r['throughput']['delivered_per_s']:.0f} | {fmt(lat.get('p50'))} "
          f"| {fmt(lat.get('p99'))} | {cpu_us:.0f} | {per_msg:,.0f} | {rss / 1024:.0f} | {integrity} |")
EOF
# the reports of the last run stay in build/bench-last/ (BENCH_KEEP=dir)
keep=${BENCH_KEEP:-build/bench-last}
rm -rf "$keep" && mkdir -p "$keep" && cp "$work"/*.json "$work"/*.progress "$results" "$keep"/
echo "(parley-bench's reports: $keep/)"
exit "$failed"
