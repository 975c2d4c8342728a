#!/usr/bin/env bash
# redis-test-server.sh start|stop|restart|kill STATE_FILE - a throwaway
# redis-server for the cluster tests (the ctest fixture redis_server in
# CMakeLists.txt, and tests/integration/test_cluster.py, which restarts it).
#
# start: a fresh mktemp directory under /tmp, owned by an unprivileged user
#   (when run as root: `redis` if the package made it, else `nobody`, via
#   runuser; otherwise the caller), no persistence (no RDB, no AOF), bound
#   to 127.0.0.1 on a free port the script picks (redis has no port 0),
#   daemonized; waits until PING answers. STATE_FILE gets two lines:
#     redis://127.0.0.1:PORT
#     /tmp/parley-redis.XXXXXX
# restart: kill -9, then start again in the same directory on the same port
#   (what a crashed Redis coming back looks like to the nodes).
# kill: kill -9 only (the state stays: restart brings it back).
# stop: kill -9 (nothing to keep) and remove the directory and STATE_FILE;
#   fine when nothing runs or STATE_FILE is missing.
#
# Needs Debian's redis-server (scripts/deps.sh installs it).
set -euo pipefail

action=${1:-}
state=${2:-}
if [ -z "$action" ] || [ -z "$state" ]; then
  echo "usage: $0 start|stop|restart|kill STATE_FILE" >&2
  exit 2
fi
if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis-test-server: redis-server not found; install it (scripts/deps.sh)" >&2
  exit 1
fi

owner=""
if [ "$(id -u)" -eq 0 ]; then
  if getent passwd redis >/dev/null; then owner=redis; else owner=nobody; fi
fi
as_owner() {
  if [ -n "$owner" ]; then runuser -u "$owner" -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# run DIR PORT: starts redis-server in DIR on PORT and waits for PING
run() {
  local dir=$1 port=$2
  as_owner redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' \
    --appendonly no --daemonize yes --pidfile "$dir/redis.pid" \
    --logfile "$dir/redis.log" --protected-mode yes >/dev/null
  for _ in $(seq 1 100); do
    if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
      return 0
    fi
    sleep 0.05
  done
  echo "redis-test-server: no PONG on port $port" >&2
  cat "$dir/redis.log" >&2 || true
  return 1
}

# the directory and port named in STATE_FILE
read_state() {
  url=$(sed -n 1p "$state")
  dir=$(sed -n 2p "$state")
  port=${url##*:}
  case "$dir" in
  /tmp/parley-redis.*) ;;
  *) echo "redis-test-server: $state names no server of this script" >&2; exit 1 ;;
  esac
}

kill9() {
  if [ -f "$dir/redis.pid" ]; then
    pid=$(cat "$dir/redis.pid")
    kill -9 "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.02
    done
    rm -f "$dir/redis.pid"
  fi
}

case "$action" in
start)
  if [ -f "$state" ]; then "$0" stop "$state" || true; fi
  dir=$(mktemp -d /tmp/parley-redis.XXXXXX)
  chmod 755 "$dir"
  if [ -n "$owner" ]; then chown "$owner" "$dir"; fi
  # a port picked free can be taken before redis binds it: try a few
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    if run "$dir" "$port"; then
      mkdir -p "$(dirname "$state")"
      printf 'redis://127.0.0.1:%s\n%s\n' "$port" "$dir" >"$state"
      echo "redis-test-server: started on port $port in $dir"
      exit 0
    fi
  done
  rm -rf "$dir"
  exit 1
  ;;
kill)
  read_state
  kill9
  ;;
restart)
  read_state
  kill9
  run "$dir" "$port"
  ;;
stop)
  [ -f "$state" ] || exit 0
  read_state
  kill9
  rm -rf "$dir" "$state"
  ;;
*)
  echo "usage: $0 start|stop|restart|kill STATE_FILE" >&2
  exit 2
  ;;
esac
