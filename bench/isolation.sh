#!/usr/bin/env bash
# Tenant isolation benchmark (issue 22), on SQLite, with a receiver that answers after a delay taken from the path
# (bench/delay_receiver.py, plain asyncio).
#
# Scenario (the default): 100 applications with one endpoint each; 10 of them (every tenth) answer after SLOW_MS
# (5 000) ms, 90 at once. MESSAGES (10 000) messages are spread evenly over the applications, posted as fast as the
# server accepts them by POSTERS (4) concurrent keep-alive clients; each 202 is timed. Reported per server: the fast
# endpoints' p50/p99/max from the 202 to the receipt at the receiver, when the last fast one arrived, the slow ones'
# throughput (answered deliveries per second, from their first 202 to their last answer) and when the last slow one
# was answered, counted from the first POST; what had not arrived after CAP (300) seconds is reported as missing.
# Also: deliveries received more than once, the most requests in flight at once (overall and to one endpoint), the
# server's CPU seconds and peak RSS, and the warning/error lines of its log.
#
#   bench/isolation.sh BIN [BIN...]          # each BIN runs at the same time as the others, on its own ports
#   bench/isolation.sh /tmp/bins/hookbird-before22 /tmp/bins/hookbird-after22 "/tmp/bins/hookbird-after22 --workers 256"
#   HOOKBIRD_BIN=/path/to/hookbird bench/isolation.sh
#
# KEEP=1 keeps the scratch directory (202 times, receipts, SQLite files, server logs) for a look afterwards.
# A BIN may carry extra `serve` flags after the path (one quoted argument). Running the builds side by side is how
# bench/side-by-side.sh compares them: both see the same host, which drifts too much between runs on this VM.
#
# Workers sized for I/O (MODE=workers): for each N in WORKERS_LIST (32 256 1024), one server with --workers N and
# --endpoint-max-in-flight 64, one application with SINK_ENDPOINTS (64) endpoints that answer after SINK_MS (2 000)
# ms, and ceil(10·N/64) messages (so about 10·N deliveries, ten rounds of N in flight); the runs are one after the
# other. Reported per N: the most requests in flight the receiver saw, the time to deliver them all, the server's RSS
# idle and at its peak (VmHWM), its CPU seconds (utime+stime from /proc/PID/stat, from the first POST to the last
# answer) and CPU per delivered request.
#
#   MODE=workers bench/isolation.sh /tmp/bins/hookbird-after22
#   MODE=workers WORKERS_LIST="32 1024" bench/isolation.sh /tmp/bins/hookbird-after22
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

MODE=${MODE:-scenario}
MESSAGES=${MESSAGES:-10000}
ENDPOINTS=${ENDPOINTS:-100}
SLOW_EVERY=${SLOW_EVERY:-10}
SLOW_MS=${SLOW_MS:-5000}
POSTERS=${POSTERS:-4}
CAP=${CAP:-300}
WORKERS_LIST=${WORKERS_LIST:-32 256 1024}
SINK_ENDPOINTS=${SINK_ENDPOINTS:-64}
SINK_MS=${SINK_MS:-2000}
PORT_BASE=${PORT_BASE:-18500}
TOKEN=bench-isolation-token-$$
source bench/lib.sh

BINS=("$@")
[[ ${#BINS[@]} -gt 0 ]] || BINS=("${HOOKBIRD_BIN:-}")
[[ -n "${BINS[0]}" ]] || die "give a hookbird binary (argument or HOOKBIRD_BIN)"
for b in "${BINS[@]}"; do read -r path _ <<<"$b"; [[ -x "$path" ]] || die "$path is not executable"; done

TMP=$(mktemp -d /tmp/hookbird-isolation.XXXXXX)
PIDS=()
# KEEP=1 keeps the scratch directory (receipts, 202 times, server logs) and prints where it is.
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done; wait 2>/dev/null
    if [[ "${KEEP:-0}" == 1 ]]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# post.py API TOKEN APPS MESSAGES POSTERS OUT: POSTs MESSAGES messages, message i to application app-(i mod APPS),
# from POSTERS threads with a keep-alive connection each; writes "msg_id app t_202_us" lines to OUT.
cat >"$TMP/post.py" <<'PY'
import http.client, json, sys, threading, time
api, token, apps, total, posters, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
host, port = api.split("//")[1].split(":")
acks, errors = [[] for _ in range(posters)], [0] * posters
def post(k):
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    for i in range(k, total, posters):
        body = json.dumps({"eventType": "bench.isolation", "payload": {"n": i, "pad": "x" * 200}})
        for _ in range(5):
            try:
                conn.request("POST", f"/api/v1/app/app-{i % apps:03d}/msg", body,
                             {"authorization": f"Bearer {token}", "content-type": "application/json"})
                r = conn.getresponse(); data = r.read(); t = time.time_ns() // 1000
                if r.status == 202:
                    acks[k].append((json.loads(data)["id"], i % apps, t)); break
                errors[k] += 1
            except (OSError, http.client.HTTPException):
                errors[k] += 1; conn.close(); conn = http.client.HTTPConnection(host, int(port), timeout=60)
threads = [threading.Thread(target=post, args=(k,)) for k in range(posters)]
[t.start() for t in threads]; [t.join() for t in threads]
with open(out, "w") as f:
    for a in acks:
        for m, app, t in a: f.write(f"{m} {app} {t}\n")
if sum(errors): print(f"post.py: {sum(errors)} non-202 answers or connection errors (retried)", file=sys.stderr)
PY

# start_pair PORT FLAGS...: a receiver on PORT+1 and a server on PORT with a throwaway SQLite file; sets SERVER_PID.
start_pair() {
    local port=$1 bin=$2; shift 2
    python3 "$ROOT/bench/delay_receiver.py" $((port + 1)) >"$TMP/recv-$port.log" 2>&1 & PIDS+=($!)
    "$bin" serve --port "$port" --database "sqlite:$TMP/db-$port.sqlite" --admin-token "$TOKEN" \
        --egress-allow 127.0.0.0/8 --log-level warning "$@" >"$TMP/server-$port.log" 2>&1 & SERVER_PID=$!; PIDS+=($SERVER_PID)
    wait_port $((port + 1)) /count 150 || die "receiver on $((port + 1)) did not start"
    wait_port "$port" /api/v1/health 150 || { cat "$TMP/server-$port.log" >&2; die "server on $port did not start"; }
}
api() { curl -sf -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' "$@"; }
create_app() { api -X POST "http://127.0.0.1:$1/api/v1/app" -d "{\"name\":\"$2\",\"uid\":\"$2\"}" >/dev/null; }
create_endpoint() { api -X POST "http://127.0.0.1:$1/api/v1/app/$2/endpoint" -d "{\"url\":\"$3\"}" >/dev/null; }
log_problems() { grep -ciE '(warning|error|critical)' "$1" || true; }

# --- the tenant scenario, one server ------------------------------------------------------------------------------
scenario_one() { # INDEX "BIN [FLAGS]"
    local idx=$1 port=$((PORT_BASE + 10 * $1)) bin flags out="$TMP/result-$1.txt"
    read -r bin flags <<<"$2"
    # shellcheck disable=SC2086
    start_pair "$port" "$bin" $flags
    local recv=$((port + 1))
    for ((i = 0; i < ENDPOINTS; i++)); do
        local name delay=0
        name=$(printf 'app-%03d' "$i")
        ((i % SLOW_EVERY == 0)) && delay=$SLOW_MS
        create_app "$port" "$name" || die "$bin: cannot create $name"
        create_endpoint "$port" "$name" "http://127.0.0.1:$recv/d/$delay/$name" || die "$bin: cannot create an endpoint"
    done
    local c0 t0 t1 got=0 deadline
    c0=$(pid_ticks "$SERVER_PID"); t0=$(date +%s%6N)
    python3 "$TMP/post.py" "http://127.0.0.1:$port" "$TOKEN" "$ENDPOINTS" "$MESSAGES" "$POSTERS" "$TMP/acks-$idx.txt"
    t1=$(date +%s%6N)
    deadline=$((t0 / 1000000 + CAP))
    while (($(date +%s) < deadline)); do
        got=$(curl -sf "http://127.0.0.1:$recv/count") || got=0
        ((got >= MESSAGES)) && break
        sleep 0.5
    done
    # The last slow requests are answered SLOW_MS after they arrived.
    ((got >= MESSAGES)) && sleep $((SLOW_MS / 1000 + 1))
    local c1 hwm
    c1=$(pid_ticks "$SERVER_PID"); hwm=$(kib "$SERVER_PID" VmHWM)
    curl -sf "http://127.0.0.1:$recv/receipts" >"$TMP/receipts-$idx.json"
    curl -sf "http://127.0.0.1:$recv/stats" >"$TMP/stats-$idx.json"
    python3 - "$TMP/acks-$idx.txt" "$TMP/receipts-$idx.json" "$TMP/stats-$idx.json" "$t0" "$t1" "$SLOW_EVERY" \
        "$(((c1 - c0) * 100 / TICKS))" "$hwm" "$(log_problems "$TMP/server-$port.log")" "$2" "$CAP" >"$out" <<'PY'
import json, sys
acks_f, rec_f, stats_f, t0, t1, every, cpu_cs, hwm, logn, label, cap = sys.argv[1:]
t0, t1, every = int(t0), int(t1), int(every)
acks = {}
for line in open(acks_f):
    m, app, t = line.split(); acks[m] = (int(app), int(t))
receipts = json.load(open(rec_f)); stats = json.load(open(stats_f))
first = {}  # one endpoint per application: a message id is one delivery
for mid, path, rt, at in receipts:
    if mid not in first: first[mid] = (rt, at)
dups = len(receipts) - len(first)
fast = sorted((first[m][0] - t) / 1000 for m, (a, t) in acks.items() if a % every and m in first)
nfast = sum(1 for a, _ in acks.values() if a % every)
slow = [(t, first[m]) for m, (a, t) in acks.items() if not a % every and m in first]
nslow = sum(1 for a, _ in acks.values() if not a % every)
answered = [at for _, (_, at) in slow if at is not None]
def p(xs, q): return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")
fast_last = max((first[m][0] for m, (a, _) in acks.items() if a % every and m in first), default=t0)
slow_first = min((t for m, (a, t) in acks.items() if not a % every), default=t0)
slow_last = max(answered, default=t0)
span = (slow_last - slow_first) / 1e6
print(f"{label}\tposted={len(acks)} in {(t1 - t0) / 1e6:.1f}s ({len(acks) / ((t1 - t0) / 1e6):.0f}/s)"
      f"\tfast: {len(fast)}/{nfast} p50={p(fast, .5):.0f}ms p99={p(fast, .99):.0f}ms max={(fast[-1] if fast else 0):.0f}ms"
      f" last_at={(fast_last - t0) / 1e6:.1f}s"
      f"\tslow: {len(answered)}/{nslow} answered, {len(answered) / span if span > 0 else 0:.1f}/s, last_at={(slow_last - t0) / 1e6:.1f}s"
      f" p50={p(sorted((r - t) / 1e6 for t, (r, _) in slow), .5):.1f}s"
      f"\tduplicates={dups} max_in_flight={stats['max_in_flight']} max_per_endpoint={stats['max_in_flight_per_path']}"
      f"\tcpu={int(cpu_cs) / 100:.1f}s ({int(cpu_cs) * 1e4 / max(1, len(receipts)):.0f}µs/delivery) peak_rss={int(hwm) // 1024}MiB"
      f" log_warn_err={logn}" + ("" if len(first) >= len(acks) else f"\tMISSING={len(acks) - len(first)} after {cap}s"))
PY
    cp "$TMP/server-$port.log" "$TMP/server-log-$idx.txt"
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done; wait 2>/dev/null
}

# --- workers sized for I/O, one N at a time -----------------------------------------------------------------------
workers_one() { # N BIN
    local n=$1 bin=$2 port=$PORT_BASE
    # A build from before issue 22 has no per-endpoint limit (every endpoint may take every worker).
    local limit=(--endpoint-max-in-flight 64)
    "$bin" serve --help 2>&1 | grep -q -- --endpoint-max-in-flight || limit=()
    start_pair "$port" "$bin" --workers "$n" "${limit[@]}"
    local recv=$((port + 1)) msgs=$(((10 * n + SINK_ENDPOINTS - 1) / SINK_ENDPOINTS))
    create_app "$port" sink || die "cannot create the application"
    for ((i = 0; i < SINK_ENDPOINTS; i++)); do
        create_endpoint "$port" sink "http://127.0.0.1:$recv/d/$SINK_MS/ep-$i" || die "cannot create an endpoint"
    done
    local want=$((msgs * SINK_ENDPOINTS)) idle c0 t0 got=0 t1 c1 hwm
    sleep 1
    idle=$(kib "$SERVER_PID" VmRSS); c0=$(pid_ticks "$SERVER_PID"); t0=$(date +%s%N)
    python3 "$TMP/post.py" "http://127.0.0.1:$port" "$TOKEN" 1 "$msgs" 1 "$TMP/acks-w$n.txt"
    for _ in $(seq 1 $((CAP * 10))); do
        got=$(curl -sf "http://127.0.0.1:$recv/stats" | python3 -c 'import json,sys;s=json.load(sys.stdin);print(s["received"]-s["in_flight"])') || got=0
        ((got >= want)) && break
        sleep 0.1
    done
    t1=$(date +%s%N); c1=$(pid_ticks "$SERVER_PID"); hwm=$(kib "$SERVER_PID" VmHWM)
    local st; st=$(curl -sf "http://127.0.0.1:$recv/stats")
    python3 - "$n" "$want" "$got" "$idle" "$hwm" "$((c1 - c0))" "$TICKS" "$(((t1 - t0) / 1000000))" "$st" \
        "$(log_problems "$TMP/server-$port.log")" <<'PY'
import json, sys
n, want, got, idle, hwm, ticks, hz, ms, st, logn = sys.argv[1:]
s = json.loads(st); got, ticks, hz = int(got), int(ticks), int(hz)
cpu = ticks / hz
print(f"| {n} | {s['max_in_flight']} | {got}/{want} | {int(ms) / 1000:.1f} | {int(idle) // 1024} | {int(hwm) // 1024} |"
      f" {(int(hwm) - int(idle)) / max(1, s['max_in_flight']):.0f} | {cpu:.2f} | {1e6 * cpu / max(1, got):.0f} |"
      f" {s['received'] - s['distinct_ids']} | {logn} |")
PY
    kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done; wait 2>/dev/null; PIDS=()
    rm -f "$TMP/db-$port.sqlite"*
}

echo "== $(date -u +%FT%TZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ "$MODE" == workers ]]; then
    read -r bin _ <<<"${BINS[0]}"
    # post.py names applications app-NNN; the workers run has one, called "sink".
    sed -i 's|/api/v1/app/app-{i % apps:03d}/msg|/api/v1/app/sink/msg|' "$TMP/post.py"
    echo "== workers sized for I/O: $bin, $SINK_ENDPOINTS endpoints answering after $SINK_MS ms, --endpoint-max-in-flight 64"
    echo "| --workers | most in flight | delivered | seconds | RSS idle MiB | RSS peak MiB | KiB per request in flight | server CPU s | CPU µs per delivery | duplicates | log warnings/errors |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    for n in $WORKERS_LIST; do workers_one "$n" "$bin"; done
    exit 0
fi

echo "== tenant scenario: $ENDPOINTS endpoints (every ${SLOW_EVERY}th answers after $SLOW_MS ms), $MESSAGES messages, $POSTERS posters, cap ${CAP}s"
JOBS=()
for i in "${!BINS[@]}"; do scenario_one "$i" "${BINS[$i]}" & JOBS+=($!); done
wait "${JOBS[@]}"
for i in "${!BINS[@]}"; do
    cat "$TMP/result-$i.txt" 2>/dev/null || echo "${BINS[$i]}: no result"
    if [[ -s "$TMP/server-log-$i.txt" ]] && grep -qiE '(warning|error|critical)' "$TMP/server-log-$i.txt"; then
        echo "   first log lines with warning/error:"; grep -iE '(warning|error|critical)' "$TMP/server-log-$i.txt" | head -3 | cut -c1-300 | sed 's/^/   /'
    fi
done
