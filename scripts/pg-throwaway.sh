#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: a new cluster in a temporary
# directory, on a free port on 127.0.0.1, trusting every local connection.
#
#   url=$(bash scripts/pg-throwaway.sh start)   # prints postgres://postgres@127.0.0.1:PORT/postgres
#   bash scripts/pg-throwaway.sh kill "$url"    # stop it at once (pg_ctl stop -m immediate), keep its data
#   bash scripts/pg-throwaway.sh restart "$url" # start it again on the same data directory and port
#   bash scripts/pg-throwaway.sh stop "$url"    # or: stop DIR, or stop (the last one started); deletes it
#
# kill and restart are for tests of a database outage (tests/cluster); they take
# the same URL-or-DIR argument as stop.
#
# Needs Debian's PostgreSQL server binaries (/usr/lib/postgresql/*/bin). The
# server refuses to run as root, so when run as root it runs as the postgres
# user (runuser). The cluster trades durability for speed (fsync=off): tests only.
#
# Environment:
#   PG_THROWAWAY_STATE  file remembering the running server (default: /tmp/hookbird-pg-throwaway)
#   PG_THROWAWAY_DURABLE=1  keep synchronous_commit on, so that `kill` loses no
#                       acknowledged commit (with it off, commits of the last
#                       few hundred milliseconds die with the server); for tests
#                       that kill the server and count what survived
set -euo pipefail

STATE="${PG_THROWAWAY_STATE:-/tmp/hookbird-pg-throwaway}"

pg_bindir() {
  if command -v pg_config >/dev/null 2>&1 && [[ -x "$(pg_config --bindir)/initdb" ]]; then
    pg_config --bindir
    return
  fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -z "$dir" || ! -x "$dir/initdb" ]]; then
    echo "pg-throwaway: no PostgreSQL server binaries (install the postgresql package)" >&2
    exit 1
  fi
  echo "$dir"
}

# Runs a command as the postgres user when we are root, as ourselves otherwise.
as_owner() {
  if [[ "$(id -u)" -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# pg_start BIN DIR PORT: runs the server of DIR/data on PORT until it answers.
# The commit mode is kept in DIR/synchronous_commit, so that restart uses the one start chose.
pg_start() {
  local sync=off
  if [[ -f "$2/synchronous_commit" ]]; then sync=$(cat "$2/synchronous_commit"); fi
  as_owner "$1/pg_ctl" -D "$2/data" -l "$2/log" -w -t 30 \
    -o "-k $2 -c listen_addresses=127.0.0.1 -p $3 -c fsync=off -c synchronous_commit=$sync -c full_page_writes=off -c max_connections=500" \
    start >/dev/null
}

start() {
  local bin dir port
  bin=$(pg_bindir)
  dir=$(mktemp -d /tmp/hookbird-pg.XXXXXX)
  chmod 755 "$dir"
  if [[ "$(id -u)" -eq 0 ]]; then chown postgres: "$dir"; fi
  as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    exit 1
  }
  if [[ "${PG_THROWAWAY_DURABLE:-0}" == "1" ]]; then echo on >"$dir/synchronous_commit"; fi
  # A port can be taken between choosing it and binding it: try a few.
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    if pg_start "$bin" "$dir" "$port"; then
      echo "$dir" >"$STATE"
      echo "$port" >"$dir/port"
      echo "postgres://postgres@127.0.0.1:$port/postgres"
      return
    fi
  done
  cat "$dir/log" >&2
  exit 1
}

# server_dir [URL|DIR]: the directory of the server named by a URL (its port) or a directory, or of the last one
# started; empty when there is none.
server_dir() {
  local dir="${1:-}"
  if [[ "$dir" == postgres://* ]]; then
    local port="${dir##*:}"
    port="${port%%/*}"
    dir=""
    for candidate in /tmp/hookbird-pg.*; do
      if [[ -f "$candidate/port" && "$(cat "$candidate/port")" == "$port" ]]; then dir="$candidate"; fi
    done
  fi
  if [[ -z "$dir" && -f "$STATE" ]]; then dir=$(cat "$STATE"); fi
  if [[ -n "$dir" && -d "$dir/data" ]]; then echo "$dir"; fi
}

# kill [URL|DIR]: stops the server at once, as a crash would (clients see their connections drop); keeps its data.
kill_server() {
  local dir
  dir=$(server_dir "${1:-}")
  if [[ -z "$dir" ]]; then
    echo "pg-throwaway: no server to kill" >&2
    exit 1
  fi
  as_owner "$(pg_bindir)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
}

# restart [URL|DIR]: starts a killed (or running) server again on the same data directory and port.
restart() {
  local dir bin
  dir=$(server_dir "${1:-}")
  if [[ -z "$dir" ]]; then
    echo "pg-throwaway: no server to restart" >&2
    exit 1
  fi
  bin=$(pg_bindir)
  as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  pg_start "$bin" "$dir" "$(cat "$dir/port")" || {
    tail -n 20 "$dir/log" >&2
    exit 1
  }
}

stop() {
  local dir
  dir=$(server_dir "${1:-}")
  if [[ -z "$dir" ]]; then
    echo "pg-throwaway: no server to stop" >&2
    return 0
  fi
  as_owner "$(pg_bindir)/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  if [[ -f "$STATE" && "$(cat "$STATE")" == "$dir" ]]; then rm -f "$STATE"; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  kill) kill_server "${2:-}" ;;
  restart) restart "${2:-}" ;;
  *)
    echo "usage: $0 start | stop [URL|DIR] | kill [URL|DIR] | restart [URL|DIR]" >&2
    exit 2
    ;;
esac
