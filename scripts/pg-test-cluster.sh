#!/usr/bin/env bash
# pg-test-cluster.sh start|stop|down|up STATE_FILE - a throwaway PostgreSQL 15 cluster
# for the tests (the ctest fixture pg_cluster in CMakeLists.txt: one cluster
# per test run, one database per test, created and dropped by the tests).
#
# start: initdb in a fresh mktemp directory under /tmp, as an unprivileged
#   user (when run as root: the package's `postgres` user, else `nobody`,
#   via runuser; otherwise the caller itself), trust authentication for the
#   superuser `parley`, no TCP (listen_addresses = ''), the Unix socket in
#   the cluster's own directory; pg_ctl starts it and waits. STATE_FILE
#   gets one line, the conninfo of the maintenance database:
#     host=/tmp/parley-pg.XXXXXX port=5432 user=parley dbname=postgres
# stop: pg_ctl stops the cluster named in STATE_FILE (immediate mode) and
#   removes its directory and STATE_FILE. Stopping a cluster that is not
#   running, or without STATE_FILE, is fine (a cleanup after a failed start).
#   PARLEY_PG_DURABLE=1 at start keeps fsync and full_page_writes on (the
#   benchmark's cluster, scripts/bench.sh PEERS=parleyd-pg).
# down: stops the cluster named in STATE_FILE as a crash would (immediate
#   mode), keeping its directory; up: starts it again with the same options
#   (crash recovery runs). For tests that take the database away under load
#   (test_pg_restart.py runs a cluster of its own for that).
#
# Needs Debian's postgresql-15 (scripts/deps.sh installs it).
set -euo pipefail

action=${1:-}
state=${2:-}
if [ -z "$action" ] || [ -z "$state" ]; then
  echo "usage: $0 start|stop|down|up STATE_FILE" >&2
  exit 2
fi

bindir=/usr/lib/postgresql/15/bin
if [ ! -x "$bindir/initdb" ]; then
  echo "pg-test-cluster: $bindir/initdb not found; install postgresql-15 (scripts/deps.sh)" >&2
  exit 1
fi

# as_owner CMD...: runs CMD as the cluster's owner
owner=""
if [ "$(id -u)" -eq 0 ]; then
  if getent passwd postgres >/dev/null; then owner=postgres; else owner=nobody; fi
fi
as_owner() {
  if [ -n "$owner" ]; then
    runuser -u "$owner" -- "$@"
  else
    "$@"
  fi
}

# pg_start DIR: starts the cluster in DIR (its options: no TCP, the socket
# in DIR; fsync off - a test cluster lives for one run - unless it was
# started with PARLEY_PG_DURABLE=1, as the benchmark does: DIR/durable)
pg_start() {
  local opts="-c listen_addresses='' -c unix_socket_directories=$1 -c port=5432"
  opts="$opts -c max_connections=100"
  if [ ! -f "$1/durable" ]; then opts="$opts -c fsync=off -c full_page_writes=off"; fi
  as_owner "$bindir/pg_ctl" -D "$1/data" -l "$1/server.log" -o "$opts" -w -t 60 start >/dev/null
}

# state_dir: the cluster directory STATE_FILE names (refusing any other)
state_dir() {
  local dir
  dir=$(sed -n 's/^host=\([^ ]*\) .*/\1/p' "$state")
  case "$dir" in
  /tmp/parley-pg.*) echo "$dir" ;;
  *) echo "pg-test-cluster: $state names no cluster of this script" >&2; return 1 ;;
  esac
}

case "$action" in
start)
  # a cluster left over by an interrupted run of this build is stopped first
  if [ -f "$state" ]; then "$0" stop "$state" || true; fi
  dir=$(mktemp -d /tmp/parley-pg.XXXXXX)
  chmod 755 "$dir"
  if [ -n "$owner" ]; then chown "$owner" "$dir"; fi
  if [ "${PARLEY_PG_DURABLE:-0}" = 1 ]; then touch "$dir/durable"; fi
  if ! as_owner "$bindir/initdb" -D "$dir/data" -U parley --auth=trust -E UTF8 --locale=C \
         --no-sync >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    rm -rf "$dir"
    exit 1
  fi
  # fsync off: a test cluster lives for one run; nothing must survive a crash
  if ! pg_start "$dir"; then
    cat "$dir/server.log" >&2 || true
    rm -rf "$dir"
    exit 1
  fi
  mkdir -p "$(dirname "$state")"
  echo "host=$dir port=5432 user=parley dbname=postgres" >"$state"
  echo "pg-test-cluster: started in $dir"
  ;;
stop)
  [ -f "$state" ] || exit 0
  dir=$(state_dir)
  if [ -d "$dir/data" ]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  rm -f "$state"
  echo "pg-test-cluster: stopped $dir"
  ;;
down)
  dir=$(state_dir)
  as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
  echo "pg-test-cluster: down $dir"
  ;;
up)
  dir=$(state_dir)
  if ! pg_start "$dir"; then
    tail -20 "$dir/server.log" >&2 || true
    exit 1
  fi
  echo "pg-test-cluster: up $dir"
  ;;
*)
  echo "usage: $0 start|stop|down|up STATE_FILE" >&2
  exit 2
  ;;
esac
