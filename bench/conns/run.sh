#!/usr/bin/env bash
# bench/conns/run.sh - starts a fresh parleyd (BUILD_DIR, default build/) on
# a free loopback port in a temp data dir, with the rate limits off, and
# runs parley-conns-bench against it (issue 11 B: RSS per idle WebSocket,
# under churn, delivery p99 at the top). STEPS, ROUNDS, SAMPLES, SOURCES
# change the run; EXTRA_ARGS go to parleyd. The server raises its soft fd
# limit to the hard one (ulimit -Hn) itself; so does the bench.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$here/build}
steps=${STEPS:-0,1000,2000,5000,10000,15000}
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$data/parleyd.log
# shellcheck disable=SC2086
"$build/parleyd" --listen "127.0.0.1:$port" --data-dir "$data" --max-connections 19900 \
    --limit-customers-per-minute 0 --limit-connections-per-minute 0 \
    --limit-messages-per-minute 0 --limit-logins-per-minute 0 ${EXTRA_ARGS:-} >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do
    grep -q "listening on" "$log" && break
    sleep 0.1
done
echo "parleyd $(git -C "$here" rev-parse --short HEAD) pid $pid, hard fd limit $(ulimit -Hn)"
"$build/parley-conns-bench" --pid "$pid" --port "$port" --steps "$steps" \
    --churn-rounds "${ROUNDS:-3}" --samples "${SAMPLES:-1000}" --sources "${SOURCES:-4}"
