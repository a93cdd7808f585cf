#!/usr/bin/env bash
# Ingest benchmark: POST /api/v1/app/{app}/msg on `hookbird serve` against a bare Hummingbird route
# (`hookbird-bench`, POST /noop) with the same HTTP stack, the same client and the same 1 KiB request.
#
#   bench/ingest.sh                      # full and normal durability, 10 s each, 64 connections
#   DURATION=30 DURABILITIES=full bench/ingest.sh
#   BENCH_DB_DIR=/dev/shm bench/ingest.sh   # database on tmpfs: no real fsync (NOT the default; for profiling)
#
# Environment: DURATION (s, default 10), WARMUP (s, 3), CONNECTIONS (64), THREADS (2), DURABILITIES ("full normal"),
# BENCH_DB_DIR (where the SQLite file goes; default a fresh mktemp directory), SKIP_BUILD=1 (reuse binaries), BIN
# (a directory with both binaries: no build), HOOKBIRD_BIN (another hookbird binary to measure, e.g. an older build,
# against the same bare route), HOOKBIRD_PORT (18181), BARE_PORT (18182), BENCH_IDEMPOTENCY_KEYS=1 (every request
# with an `Idempotency-Key` of its own, see bench/msg.lua).
#
# Correctness checks (the run fails loudly otherwise): every response is 2xx, and after each durability the server
# is killed with SIGKILL and the database must hold at least as many new messages as wrk counted 2xx answers
# (a 202 means committed). Output: one line per run, then a table with req/s, p50/p99, the ratio to the bare route,
# the server's CPU per request, and how busy the rest of the machine was (other processes / hypervisor steal / idle).
set -euo pipefail

cd "$(dirname "$0")/.."
source bench/lib.sh
wrk_load
DURABILITIES=${DURABILITIES:-full normal}
HOOKBIRD_PORT=${HOOKBIRD_PORT:-18181}
BARE_PORT=${BARE_PORT:-18182}
TOKEN=bench-admin-token-$$
LUA="$ROOT/bench/msg.lua"
MSG_PATH=/api/v1/app/bench/msg

# --- tools ------------------------------------------------------------------------------------------------------
need wrk curl sqlite3 /usr/bin/time

# --- build ------------------------------------------------------------------------------------------------------
# What the binaries were built from goes to ingest-bench.source, for the report (SKIP_BUILD=1 runs reuse them).
release_binaries ingest-bench.source hookbird hookbird-bench
HOOKBIRD="${HOOKBIRD_BIN:-$BIN/hookbird}"
BARE="$BIN/hookbird-bench"
[[ -x "$HOOKBIRD" && -x "$BARE" ]] || die "release binaries not found in $BIN"

WORK=$(mktemp -d /tmp/hookbird-bench.XXXXXX)
DB_DIR=${BENCH_DB_DIR:-$WORK}
[[ "$DB_DIR" == "$WORK" ]] || DB_DIR=$(mktemp -d "$DB_DIR/hookbird-bench.XXXXXX")
SERVER_PID=""

cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
    [[ "$DB_DIR" == "$WORK" ]] || rm -rf "$DB_DIR"
}
trap cleanup EXIT

# --- helpers ----------------------------------------------------------------------------------------------------
stop_server() { # [signal]
    kill -"${1:-TERM}" "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

# run_wrk NAME BASE_URL PATH SECONDS: runs wrk, echoes the BENCH line extended with CPU figures, in cores (1.00 = one
# core busy for the whole run): server_us_per_req (server CPU per response), server_cores, wrk_cores, other_cores
# (every other process: other engineers' builds...), steal_cores (CPU the hypervisor gave to other guests) and
# idle_cores. Fails on any non-2xx answer.
run_wrk() {
    local name=$1 base=$2 path=$3 seconds=$4 out line m0 m1 s0 s1
    m0=$(machine_cpu); s0=$(pid_ticks "$SERVER_PID")
    out=$(BENCH_PATH="$path" BENCH_TOKEN="$TOKEN" /usr/bin/time -f 'WRKCPU %U %S' \
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" -s "$LUA" "$base" 2>&1) || {
        echo "$out" >&2
        die "wrk failed ($name)"
    }
    m1=$(machine_cpu); s1=$(pid_ticks "$SERVER_PID")
    line=$(grep '^BENCH ' <<<"$out") || { echo "$out" >&2; die "no summary from wrk ($name)"; }
    line+=$(wrk_cpu "$(grep '^WRKCPU ' <<<"$out" | cut -d' ' -f2-)" "$m0" "$m1" $((s1 - s0)) "$line")
    [[ "$(field "$line" non2xx)" == 0 ]] || { echo "$out" >&2; die "$name: $(field "$line" non2xx) non-2xx responses"; }
    [[ "$(field "$line" socket_errors)" == 0 ]] || echo "WARNING: $name: $(field "$line" socket_errors) socket errors/timeouts" >&2
    echo "$line"
}

ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

ROWS=()
add_row() { # route durability line note
    ROWS+=("$1|$2|$(field "$3" rps)|$(field "$3" p50_us)|$(field "$3" p99_us)|$(field "$3" requests)|$(field "$3" server_us_per_req)|$(field "$3" other_cores)/$(field "$3" steal_cores)/$(field "$3" idle_cores)|$4")
}

# --- machine ----------------------------------------------------------------------------------------------------
echo "== machine"
machine
echo "build:          release (-c release), $BIN"
echo "wrk:            $(wrk -v 2>&1 | head -1)"
echo "sqlite file in: $DB_DIR ($(df -T "$DB_DIR" | awk 'NR == 2 { print $2 " on " $1 }'))"
echo "load now:       $(busy_note)"
echo "built from:     $(cat "$SCRATCH/ingest-bench.source" 2>/dev/null || echo 'unknown (binaries not built by this script)')"
echo "run:            wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s (warm-up ${WARMUP}s), ${BENCH_BODY_BYTES:-1024}-byte JSON body, loopback"
echo

# --- bare ceiling -----------------------------------------------------------------------------------------------
bare_run() { # label
    "$BARE" --port "$BARE_PORT" >"$WORK/bare.log" 2>&1 &
    SERVER_PID=$!
    wait_http "http://127.0.0.1:$BARE_PORT/noop" "$SERVER_PID" 100 "$WORK/bare.log"
    run_wrk "bare warm-up" "http://127.0.0.1:$BARE_PORT" /noop "$WARMUP" >/dev/null
    local note line
    note=$(busy_note)
    line=$(run_wrk "bare" "http://127.0.0.1:$BARE_PORT" /noop "$DURATION")
    echo "bare ($1): $line"
    echo "  during: $note"
    add_row "POST /noop (bare, $1)" "-" "$line" "$note"
    stop_server
    BARE_RPS+=("$(field "$line" rps)")
}
BARE_RPS=()
echo "== runs"
bare_run before

# --- hookbird ---------------------------------------------------------------------------------------------------
count_messages() { sqlite3 "$1" 'select count(*) from messages'; }

for durability in $DURABILITIES; do
    db="$DB_DIR/bench-$durability.sqlite"
    "$HOOKBIRD" serve --port "$HOOKBIRD_PORT" --database "sqlite:$db" --admin-token "$TOKEN" \
        --durability "$durability" --log-level warning >"$WORK/hookbird-$durability.log" 2>&1 &
    SERVER_PID=$!
    wait_http "http://127.0.0.1:$HOOKBIRD_PORT/api/v1/health/ping" "$SERVER_PID" 100 "$WORK/hookbird-$durability.log"
    curl -fsS -o /dev/null -X POST "http://127.0.0.1:$HOOKBIRD_PORT/api/v1/app" \
        -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
        -d '{"name":"bench","uid":"bench"}' || die "cannot create the application"
    mode=$(sqlite3 "$db" 'pragma journal_mode')
    [[ "$mode" == wal ]] || die "database is in journal_mode=$mode, expected wal"

    run_wrk "hookbird $durability warm-up" "http://127.0.0.1:$HOOKBIRD_PORT" "$MSG_PATH" "$WARMUP" >/dev/null
    before=$(count_messages "$db")
    note=$(busy_note)
    line=$(run_wrk "hookbird $durability" "http://127.0.0.1:$HOOKBIRD_PORT" "$MSG_PATH" "$DURATION")
    # SIGKILL, not a graceful stop: whatever was acknowledged must already be in the file.
    stop_server KILL
    after=$(count_messages "$db")
    stored=$((after - before))
    ok=$(field "$line" ok)
    echo "hookbird ($durability): $line"
    echo "  during: $note"
    echo "  stored messages during the run (counted after SIGKILL of the server): $stored; 2xx answers: $ok"
    ((stored >= ok)) || die "$durability: $ok messages were acknowledged but only $stored are in the database"
    if [[ -s "$WORK/hookbird-$durability.log" ]]; then
        echo "  server log (warnings and worse):"
        sed 's/^/    /' "$WORK/hookbird-$durability.log" | tail -20
    fi
    add_row "POST $MSG_PATH" "$durability" "$line" "$note"
done

bare_run after

# --- table ------------------------------------------------------------------------------------------------------
bare=$(printf '%s\n' "${BARE_RPS[@]}" | awk '{ s += $1 } END { printf "%.1f", s / NR }')
echo
echo "== results (bare ceiling = mean of the two bare runs = $bare req/s)"
printf '| %-34s | %-10s | %9s | %8s | %8s | %9s | %7s | %13s | %16s |\n' route durability "req/s" "p50 ms" "p99 ms" \
    requests "vs bare" "server µs/req" "other/steal/idle"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..36})" "$(printf -- '-%.0s' {1..12})" \
    "$(printf -- '-%.0s' {1..11})" "$(printf -- '-%.0s' {1..10})" "$(printf -- '-%.0s' {1..10})" \
    "$(printf -- '-%.0s' {1..11})" "$(printf -- '-%.0s' {1..9})" "$(printf -- '-%.0s' {1..15})" "$(printf -- '-%.0s' {1..18})"
for row in "${ROWS[@]}"; do
    IFS='|' read -r route durability rps p50 p99 requests cpu other _ <<<"$row"
    ratio=$(awk -v a="$rps" -v b="$bare" 'BEGIN { printf "%.0f%%", 100 * a / b }')
    printf '| %-34s | %-10s | %9.0f | %8s | %8s | %9s | %7s | %13s | %16s |\n' "$route" "$durability" "$rps" \
        "$(ms "$p50")" "$(ms "$p99")" "$requests" "$ratio" "$cpu" "$other"
done
echo
echo "server µs/req: server process CPU (user+system) per response. other/steal/idle, in cores of the 2: CPU used by"
echo "every process but the server and wrk (other engineers' builds...) / taken by the hypervisor for other guests /"
echo "left idle. Other or steal above ~0.2 disturbs the figures; idle cores during a run mean the server is not CPU-bound."
for row in "${ROWS[@]}"; do
    IFS='|' read -r route durability _ _ _ _ _ _ note <<<"$row"
    echo "load during $route $durability: $note"
done
