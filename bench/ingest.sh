#!/usr/bin/env bash
# Ingest benchmark: POST /api/v1/app/{app}/msg on `hookbird serve` against a bare Hummingbird route
# (`hookbird-bench`, POST /noop) with the same HTTP stack, the same client and the same 1 KiB request.
#
#   bench/ingest.sh                      # full and normal durability, 10 s each, 64 connections
#   DURATION=30 DURABILITIES=full bench/ingest.sh
#   BENCH_DB_DIR=/dev/shm bench/ingest.sh   # database on tmpfs: no real fsync (NOT the default; for profiling)
#
# Environment: DURATION (s, default 10), WARMUP (s, 3), CONNECTIONS (64), THREADS (2), DURABILITIES ("full normal"),
# BENCH_DB_DIR (where the SQLite file goes; default a fresh mktemp directory), SKIP_BUILD=1 (reuse binaries), HOOKBIRD_BIN
# (another hookbird binary to measure, e.g. an older build, against the same bare route),
# HOOKBIRD_PORT (18181), BARE_PORT (18182), BENCH_IDEMPOTENCY_KEYS=1 (every request with an `Idempotency-Key` of its
# own, see bench/msg.lua).
#
# Correctness checks (the run fails loudly otherwise): every response is 2xx, and after each durability the server
# is killed with SIGKILL and the database must hold at least as many new messages as wrk counted 2xx answers
# (a 202 means committed). Output: one line per run, then a table with req/s, p50/p99, the ratio to the bare route,
# the server's CPU per request, and how busy the rest of the machine was (other processes / hypervisor steal / idle).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
DURABILITIES=${DURABILITIES:-full normal}
HOOKBIRD_PORT=${HOOKBIRD_PORT:-18181}
BARE_PORT=${BARE_PORT:-18182}
SCRATCH=${SCRATCH:-.build-bench}
TOKEN=bench-admin-token-$$
LUA="$ROOT/bench/msg.lua"
MSG_PATH=/api/v1/app/bench/msg

die() { echo "ingest.sh: FAIL: $*" >&2; exit 1; }

# --- tools ------------------------------------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
    echo "wrk missing; installing the Debian package" >&2
    apt-get install -y wrk >/dev/null || die "cannot install wrk"
fi
for tool in curl sqlite3 /usr/bin/time; do command -v "$tool" >/dev/null || die "$tool is required"; done

# --- build ------------------------------------------------------------------------------------------------------
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    echo "building release binaries in $SCRATCH (a clean build takes ~10 min on 2 cores)..." >&2
    swift build -c release --scratch-path "$SCRATCH" --product hookbird >&2
    swift build -c release --scratch-path "$SCRATCH" --product hookbird-bench >&2
    # What the binaries were built from, for the report (SKIP_BUILD=1 runs reuse them).
    echo "$(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- Sources Package.swift 2>/dev/null \
        || echo ' + uncommitted changes in Sources/ or Package.swift') (built $(date -u +%FT%TZ))" >"$SCRATCH/ingest-bench.source"
fi
BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)
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
# field LINE KEY: the value of KEY=value in a BENCH line.
field() { sed -n "s/.*[[:space:]]$2=\([^[:space:]]*\).*/\1/p" <<<"$1"; }

wait_for() { # URL
    for _ in $(seq 1 100); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || die "server exited during start-up (see its log above)"
        sleep 0.1
    done
    die "no answer from $1"
}

stop_server() { # [signal]
    kill -"${1:-TERM}" "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

busy_note() { # what else is using the CPU right now
    local compilers
    compilers=$(pgrep -c -x swift-frontend || true)
    echo "load $(cut -d' ' -f1-3 /proc/loadavg), swift-frontend processes: ${compilers:-0}"
}

TICKS=$(getconf CLK_TCK)
# busy (user nice system irq softirq), steal (taken by the hypervisor for other guests), idle (idle + iowait) jiffies
machine_cpu() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $9, $5 + $6 }' /proc/stat; }
process_cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }                      # utime + stime of one process

# run_wrk NAME BASE_URL PATH SECONDS: runs wrk, echoes the BENCH line extended with CPU figures, in cores (1.00 = one
# core busy for the whole run): server_us_per_req (server CPU per response), server_cores, wrk_cores, other_cores
# (every other process: other engineers' builds...), steal_cores (CPU the hypervisor gave to other guests) and
# idle_cores. Fails on any non-2xx answer.
run_wrk() {
    local name=$1 base=$2 path=$3 seconds=$4 out line m0 m1 s0 s1
    m0=$(machine_cpu); s0=$(process_cpu "$SERVER_PID")
    out=$(BENCH_PATH="$path" BENCH_TOKEN="$TOKEN" /usr/bin/time -f 'WRKCPU %U %S' \
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" -s "$LUA" "$base" 2>&1) || {
        echo "$out" >&2
        die "wrk failed ($name)"
    }
    m1=$(machine_cpu); s1=$(process_cpu "$SERVER_PID")
    line=$(grep '^BENCH ' <<<"$out") || { echo "$out" >&2; die "no summary from wrk ($name)"; }
    line+=$(awk -v w="$(grep '^WRKCPU ' <<<"$out" | cut -d' ' -f2-)" -v m0="$m0" -v m1="$m1" -v s=$((s1 - s0)) \
        -v hz="$TICKS" -v n="$(field "$line" requests)" -v t="$(field "$line" duration_us)" 'BEGIN {
        split(w, wc, " "); split(m0, a, " "); split(m1, b, " "); secs = t / 1e6
        wrk = (wc[1] + wc[2]) / secs; server = s / hz / secs
        busy = (b[1] - a[1]) / hz / secs; steal = (b[2] - a[2]) / hz / secs; idle = (b[3] - a[3]) / hz / secs
        other = busy - wrk - server; if (other < 0) other = 0
        printf " server_us_per_req=%.0f server_cores=%.2f wrk_cores=%.2f other_cores=%.2f steal_cores=%.2f idle_cores=%.2f",
            1e6 * s / hz / n, server, wrk, other, steal, idle }')
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
echo "cores (nproc):  $(nproc)"
echo "cpu:            $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "memory:         $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "kernel:         $(uname -sr)"
echo "swift:          $(swift --version 2>/dev/null | head -1)"
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
    wait_for "http://127.0.0.1:$BARE_PORT/noop"
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
    wait_for "http://127.0.0.1:$HOOKBIRD_PORT/api/v1/health/ping"
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
