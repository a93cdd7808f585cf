#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: a new cluster in a temporary
# directory, on a free port on 127.0.0.1, trusting every local connection.
#
#   url=$(bash scripts/pg-throwaway.sh start)   # prints postgres://postgres@127.0.0.1:PORT/postgres
#   bash scripts/pg-throwaway.sh stop "$url"    # or: stop DIR, or stop (the last one started)
#
# Needs Debian's PostgreSQL server binaries (/usr/lib/postgresql/*/bin). The
# server refuses to run as root, so when run as root it runs as the postgres
# user (runuser). The cluster trades durability for speed (fsync=off): tests only.
#
# Environment:
#   PG_THROWAWAY_STATE  file remembering the running server (default: /tmp/hookbird-pg-throwaway)
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
  # A port can be taken between choosing it and binding it: try a few.
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 \
      -o "-k $dir -c listen_addresses=127.0.0.1 -p $port -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null; then
      echo "$dir" >"$STATE"
      echo "$port" >"$dir/port"
      echo "postgres://postgres@127.0.0.1:$port/postgres"
      return
    fi
  done
  cat "$dir/log" >&2
  exit 1
}

stop() {
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
  if [[ -z "$dir" || ! -d "$dir/data" ]]; then
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
  *)
    echo "usage: $0 start | stop [URL|DIR]" >&2
    exit 2
    ;;
esac
