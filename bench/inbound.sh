#!/usr/bin/env bash
# Inbound benchmark: Stripe-signed 1 KiB events on POST /webhook/{source} of `hookbird serve` (verify the signature,
# dedupe on the event id, store the request and its message durably, then 200) against the seed design it replaces:
# a FastAPI receiver under uvicorn (bench/fastapi_receiver.py: the same HMAC check and one SQLite insert per request,
# WAL + synchronous=FULL), with --workers 1 and --workers 2. Same client, same load, same kind of request.
#
#   bench/inbound.sh                         # 10 s per target, 64 connections; target: Hookbird ≥ 10× the FastAPI rate
#   SKIP_BUILD=1 DURATION=30 bench/inbound.sh
#   TARGETS="hookbird fastapi-2" SKIP_BUILD=1 bench/inbound.sh
#
# Environment: DURATION (s, default 10), WARMUP (s, 3), CONNECTIONS (64), THREADS (2), TARGETS ("fastapi-1 hookbird
# fastapi-2"; fastapi-N = uvicorn --workers N), BENCH_DB_DIR (where the SQLite files go; default a fresh mktemp
# directory), SKIP_BUILD=1 (reuse the release binary), HOOKBIRD_BIN (another hookbird binary to measure, e.g. an older build), VENV (.venv-bench: made with `python3 -m venv`, then
# `pip install --upgrade fastapi $UVICORN_PACKAGE`), SKIP_PIP=1 (use the venv as it is), UVICORN_PACKAGE
# ("uvicorn[standard]": uvloop + httptools, what `fastapi[standard]` installs; "uvicorn" for the pure-Python
# asyncio + h11 stack), WARMUP_REQUESTS (signed requests generated for each warm-up, 60000), REQUESTS (for each
# measured run; default 1.5 × the warm-up rate × DURATION + 2000), HOOKBIRD_PORT (18191), FASTAPI_PORT (18192).
#
# wrk's LuaJIT has no HMAC, so the requests are signed beforehand: right before each run, Python writes that many
# whole requests (each with its own event id `evt_…` and `Stripe-Signature: t=<now>,v1=<HMAC-SHA256>`), one file per
# wrk thread, and bench/signed.lua sends them in order. A thread that runs out starts over; those repeats are
# counted (`wrapped`) and answered as duplicates, which are cheaper, so the table shows them.
#
# Correctness checks (the run fails loudly otherwise): every answer is 2xx; after each run the server is killed with
# SIGKILL and its database must hold at least as many newly accepted events as wrk counted 2xx answers that were not
# duplicates (Hookbird: rows of inbound_requests with outcome 'accepted', and as many messages; FastAPI: rows of its
# events table).
set -euo pipefail

cd "$(dirname "$0")/.."
source bench/lib.sh
wrk_load
TARGETS=${TARGETS:-fastapi-1 hookbird fastapi-2}
HOOKBIRD_PORT=${HOOKBIRD_PORT:-18191}
FASTAPI_PORT=${FASTAPI_PORT:-18192}
VENV=${VENV:-.venv-bench}
UVICORN_PACKAGE=${UVICORN_PACKAGE:-uvicorn[standard]}
WARMUP_REQUESTS=${WARMUP_REQUESTS:-60000}
BODY_BYTES=1024
TOKEN=bench-admin-token-$$
SECRET=whsec_bench_secret
LUA="$ROOT/bench/signed.lua"
RUN_ID=$(date +%s)$$ # part of every event id: ids never repeat across runs

# Requests are signed just before a run with the time of signing; they must stay within Stripe's 300 s tolerance.
((DURATION <= 240 && WARMUP <= 240)) || die "DURATION and WARMUP must be at most 240 s (signatures expire after 300 s)"

# --- tools ------------------------------------------------------------------------------------------------------
need wrk curl sqlite3 python3 /usr/bin/time setsid

# --- build ------------------------------------------------------------------------------------------------------
# .build-bench is shared with the other benchmarks: SwiftPM waits by itself while another build holds its lock.
release_binaries inbound-bench.source hookbird
HOOKBIRD="${HOOKBIRD_BIN:-$BIN/hookbird}"
[[ -x "$HOOKBIRD" ]] || die "release binary not found in $BIN"

# What the binary was built from: the newest note that a benchmark script left next to it.
built_from() {
    local note newest=""
    for note in "$SCRATCH/inbound-bench.source" "$SCRATCH/ingest-bench.source"; do
        [[ -f "$note" && ( -z "$newest" || "$note" -nt "$newest" ) ]] && newest=$note
    done
    if [[ -n "$newest" && ! "$HOOKBIRD" -nt "$newest" ]]; then
        cat "$newest"
    else
        echo "unknown (binary modified $(date -u -r "$HOOKBIRD" +%FT%TZ), after the last note of a benchmark build)"
    fi
}

# --- the FastAPI receiver's environment ---------------------------------------------------------------------------
if [[ "$TARGETS" == *fastapi* ]]; then
    if [[ ! -x "$VENV/bin/python" ]]; then
        python3 -m venv "$VENV" || die "cannot create $VENV (python3-venv missing?)"
    fi
    if [[ "${SKIP_PIP:-0}" != 1 ]]; then
        echo "pip install fastapi $UVICORN_PACKAGE into $VENV..." >&2
        "$VENV/bin/pip" install -q --upgrade fastapi "$UVICORN_PACKAGE" >&2 || die "pip install failed"
    fi
    "$VENV/bin/python" -c 'import fastapi, uvicorn' || die "fastapi/uvicorn not importable from $VENV"
fi

WORK=$(mktemp -d /tmp/hookbird-inbound.XXXXXX)
DB_DIR=${BENCH_DB_DIR:-$WORK}
[[ "$DB_DIR" == "$WORK" ]] || DB_DIR=$(mktemp -d "$DB_DIR/hookbird-inbound.XXXXXX")
SERVER_PID=""

# Servers are started with setsid, so SERVER_PID leads a process group holding the server and (uvicorn --workers N)
# its worker processes; stopping kills that group, and only it.
stop_server() { # [signal]
    [[ -n "$SERVER_PID" ]] || return 0
    kill -"${1:-TERM}" -- -"$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

own_group() { # the server must lead its own process group, or stop_server would kill the wrong processes
    sleep 0.2
    [[ "$(ps -o pgid= -p "$SERVER_PID" | tr -d ' ')" == "$SERVER_PID" ]] \
        || { kill "$SERVER_PID"; SERVER_PID=""; die "the server is not in a process group of its own"; }
}

cleanup() {
    stop_server KILL
    rm -rf "$WORK"
    [[ "$DB_DIR" == "$WORK" ]] || rm -rf "$DB_DIR"
}
trap cleanup EXIT

# --- helpers ----------------------------------------------------------------------------------------------------
tree_pids() { # PID and all its descendants
    local pid=$1 child
    echo "$pid"
    for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do tree_pids "$child"; done
}
# all_cpu: "pid comm ticks" (utime + stime) of every process, kernel threads included, to name the "other" CPU users
all_cpu() {
    cat /proc/[0-9]*/stat 2>/dev/null | awk '{
        lp = index($0, "("); rp = match($0, /\) [A-Za-z] /)
        comm = substr($0, lp + 1, rp - lp - 1); gsub(/[^A-Za-z0-9._:\/-]/, "_", comm)
        split(substr($0, rp + 2), f, " "); print $1, comm, f[12] + f[13] }'
}
# top_other BEFORE AFTER SECONDS EXCLUDED_PIDS: the 3 processes that used most CPU in between, but the excluded and wrk,
# as comm:cores,… (processes that ended in between are not seen)
top_other() {
    awk -v secs="$3" -v hz="$TICKS" -v skip=" $4 " '
        FNR == NR { before[$1] = $3; next }
        index(skip, " " $1 " ") == 0 && $2 != "wrk" { d = $3 - before[$1]; if (d > 0) print d / hz / secs, $2 }' \
        <(echo "$1") <(echo "$2") | sort -g -r | head -3 | awk '{ printf "%s%s:%.2f", (NR > 1 ? "," : ""), $2, $1 }'
}
process_cpu() { # utime + stime of a process and its descendants (uvicorn's workers), in ticks
    local total=0 pid ticks
    for pid in $(tree_pids "$1"); do
        ticks=$(pid_ticks "$pid")
        total=$((total + ticks))
    done
    echo "$total"
}

# generate NAME BASE_URL PATH COUNT: COUNT signed requests in $WORK/reqs/NAME.1 … NAME.$THREADS (round robin), each a
# whole HTTP/1.1 request followed by a NUL byte; signed now, so run them right away (Stripe's tolerance is 300 s).
generate() {
    mkdir -p "$WORK/reqs"
    python3 - "$WORK/reqs/$1" "$THREADS" "$4" "${2#http://}" "$3" "$SECRET" "${RUN_ID}_$1" "$BODY_BYTES" <<'PY'
import hashlib, hmac, sys, time
prefix, threads, count, host, path, secret, run, size = sys.argv[1:]
threads, count, size = int(threads), int(count), int(size)
secret = secret.encode()
run = "".join(c for c in run if c.isalnum())
t = int(time.time())
# A Stripe invoice.paid event; `id` is evt_<run><sequence>, the note pads the body to exactly `size` bytes.
head = ('{"id":"evt_%s%%09d","object":"event","api_version":"2024-06-20","created":%d,"type":"invoice.paid",'
        '"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"data":{"object":{'
        '"id":"in_1QfZ8a2eZvKYlo2C7xk3Bq9R","object":"invoice","amount_due":4200,"amount_paid":4200,'
        '"currency":"eur","customer":"cus_R4nd0mCu5t0m3r","customer_email":"ada@example.com","status":"paid",'
        '"lines":{"object":"list","data":[{"id":"il_1","amount":2100,"quantity":1,"description":"Pro plan (monthly)"},'
        '{"id":"il_2","amount":2100,"quantity":1,"description":"Extra seats x3"}]},'
        '"metadata":{"order_id":"ord_000123","source":"web"},"note":"' % (run, t))
tail = '"}}}'
padding = size - len(head % 0) - len(tail)
assert padding >= 0, "body size too small for the event skeleton"
template = head + "x" * padding + tail
request_head = ("POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)\r\n"
                "Content-Type: application/json; charset=utf-8\r\nContent-Length: %d\r\n"
                "Stripe-Signature: t=%d,v1=" % (path, host, size, t)).encode()
stamp = b"%d." % t
files = [open("%s.%d" % (prefix, n + 1), "wb") for n in range(threads)]
for seq in range(count):
    body = (template % seq).encode()
    assert len(body) == size
    signature = hmac.new(secret, stamp + body, hashlib.sha256).hexdigest().encode()
    files[seq % threads].write(request_head + signature + b"\r\n\r\n" + body + b"\0")
for f in files:
    f.close()
PY
}

# run_wrk NAME BASE_URL SECONDS REQUESTS_FILE: runs wrk, echoes the BENCH line extended with CPU figures, in cores
# (1.00 = one core busy for the whole run): server_us_per_req (server CPU per response), server_cores, wrk_cores,
# other_cores (every other process: other engineers' builds...), steal_cores (CPU the hypervisor gave to other
# guests), idle_cores, and top_other (the 3 other processes that used most, comm:cores). Fails on any non-2xx answer.
run_wrk() {
    local name=$1 base=$2 seconds=$3 reqs=$4 out line m0 m1 s0 s1 p0 p1 top
    p0=$(all_cpu); m0=$(machine_cpu); s0=$(process_cpu "$SERVER_PID")
    out=$(BENCH_REQS="$reqs" /usr/bin/time -f 'WRKCPU %U %S' \
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" -s "$LUA" "$base" 2>&1) || {
        echo "$out" >&2
        die "wrk failed ($name)"
    }
    m1=$(machine_cpu); s1=$(process_cpu "$SERVER_PID"); p1=$(all_cpu)
    line=$(grep '^BENCH ' <<<"$out") || { echo "$out" >&2; die "no summary from wrk ($name)"; }
    top=$(top_other "$p0" "$p1" "$(awk -v t="$(field "$line" duration_us)" 'BEGIN { print t / 1e6 }')" \
        "$(tree_pids "$SERVER_PID" | tr '\n' ' ')")
    line+=$(wrk_cpu "$(grep '^WRKCPU ' <<<"$out" | cut -d' ' -f2-)" "$m0" "$m1" $((s1 - s0)) "$line")" top_other=${top:-none}"
    [[ "$(field "$line" non2xx)" == 0 ]] || { echo "$out" >&2; die "$name: $(field "$line" non2xx) non-2xx responses"; }
    [[ "$(field "$line" socket_errors)" == 0 ]] || echo "WARNING: $name: $(field "$line" socket_errors) socket errors/timeouts" >&2
    echo "$line"
}

ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

# measure NAME LABEL BASE_URL PATH: warm-up, then the measured run with enough fresh requests; sets LINE and NOTE,
# and calls the target's `snapshot` (database counts) right before the measured run.
measure() {
    local name=$1 label=$2 base=$3 path=$4 warm count
    generate "$name-warmup" "$base" "$path" "$WARMUP_REQUESTS"
    warm=$(run_wrk "$label warm-up" "$base" "$WARMUP" "$WORK/reqs/$name-warmup")
    echo "$label warm-up: rps=$(field "$warm" rps) wrapped=$(field "$warm" wrapped) duplicates=$(field "$warm" duplicates)"
    rm -f "$WORK/reqs/$name-warmup".*
    # Enough requests for the measured run at 1.5 × the warm-up rate (warm-up duplicates only make this larger).
    count=${REQUESTS:-$(awk -v r="$(field "$warm" rps)" -v d="$DURATION" 'BEGIN { printf "%d", r * d * 1.5 + 2000 }')}
    generate "$name" "$base" "$path" "$count"
    snapshot
    NOTE=$(busy_note)
    LINE=$(run_wrk "$label" "$base" "$DURATION" "$WORK/reqs/$name")
    rm -f "$WORK/reqs/$name".*
}

ROWS=()
add_row() { # target line note stored
    ROWS+=("$1|$(field "$2" rps)|$(field "$2" p50_us)|$(field "$2" p99_us)|$(field "$2" requests)|$(field "$2" duplicates)|$(field "$2" server_us_per_req)|$(field "$2" other_cores)/$(field "$2" steal_cores)/$(field "$2" idle_cores)|$3; busiest other processes: $(field "$2" top_other)|$4")
}

# check LABEL STORED: the database must hold every acknowledged new event.
check_stored() {
    local ok dup fresh
    ok=$(field "$LINE" ok); dup=$(field "$LINE" duplicates); fresh=$((ok - dup))
    echo "  2xx answers: $ok, of them duplicates: $dup (requests past the end of the generated set: $(field "$LINE" wrapped) of $(field "$LINE" loaded))"
    echo "  accepted events stored during the run (counted after SIGKILL of the server): $2"
    (($2 >= fresh)) || die "$1: $fresh new events were acknowledged but only $2 are in the database"
}

# --- machine ----------------------------------------------------------------------------------------------------
echo "== machine"
machine
echo "build:          release (-c release), $BIN"
echo "built from:     $(built_from)"
if [[ "$TARGETS" == *fastapi* ]]; then
    echo "python stack:   $("$VENV/bin/python" - <<'PY'
import importlib.metadata as m, platform, sqlite3
names = ["fastapi", "starlette", "uvicorn", "uvloop", "httptools", "h11"]
found = []
for name in names:
    try:
        found.append(f"{name} {m.version(name)}")
    except m.PackageNotFoundError:
        pass
print(f"Python {platform.python_version()}, " + ", ".join(found) + f", SQLite {sqlite3.sqlite_version}")
PY
)"
fi
echo "wrk:            $(wrk -v 2>&1 | head -1)"
echo "sqlite files:   $DB_DIR ($(df -T "$DB_DIR" | awk 'NR == 2 { print $2 " on " $1 }'))"
echo "load now:       $(busy_note)"
echo "run:            wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s (warm-up ${WARMUP}s) with bench/signed.lua, $BODY_BYTES-byte Stripe event, unique event ids, loopback"
echo

# --- targets ----------------------------------------------------------------------------------------------------
run_hookbird() {
    local db="$DB_DIR/hookbird.sqlite" base="http://127.0.0.1:$HOOKBIRD_PORT" stored messages
    setsid "$HOOKBIRD" serve --port "$HOOKBIRD_PORT" --database "sqlite:$db" --admin-token "$TOKEN" \
        --log-level warning >"$WORK/hookbird.log" 2>&1 &
    SERVER_PID=$!
    own_group
    wait_http "$base/api/v1/health/ping" "$SERVER_PID" 200 "$WORK"/*.log
    curl -fsS -o /dev/null -X POST "$base/api/v1/app" -H "authorization: Bearer $TOKEN" \
        -H 'content-type: application/json' -d '{"name":"in","uid":"in"}' || die "cannot create the application"
    curl -fsS -o /dev/null -X POST "$base/api/v1/source" -H "authorization: Bearer $TOKEN" \
        -H 'content-type: application/json' \
        -d "{\"name\":\"Stripe\",\"uid\":\"stripe\",\"provider\":\"stripe\",\"secrets\":[\"$SECRET\"],\"appId\":\"in\"}" \
        || die "cannot create the source"
    local mode sync
    mode=$(sqlite3 "$db" 'pragma journal_mode')
    [[ "$mode" == wal ]] || die "Hookbird's database is in journal_mode=$mode, expected wal"
    count_accepted() { sqlite3 "$db" "select count(*) from inbound_requests where outcome = 'accepted'"; }
    count_messages() { sqlite3 "$db" 'select count(*) from messages'; }
    snapshot() { BEFORE=$(count_accepted); MESSAGES_BEFORE=$(count_messages); }
    measure hookbird "hookbird" "$base" /webhook/stripe
    # SIGKILL, not a graceful stop: whatever was acknowledged must already be in the file.
    stop_server KILL
    stored=$(($(count_accepted) - BEFORE))
    messages=$(($(count_messages) - MESSAGES_BEFORE))
    echo "hookbird: $LINE"
    echo "  during: $NOTE"
    check_stored hookbird "$stored"
    echo "  stored outcomes of the whole database: $(sqlite3 "$db" "select group_concat(outcome || ' ' || n, ', ') from (select outcome, count(*) n from inbound_requests group by outcome)")"
    echo "  messages created during the run: $messages"
    ((messages >= stored)) || die "hookbird: $stored accepted requests but only $messages messages"
    if [[ -s "$WORK/hookbird.log" ]]; then
        echo "  server log (warnings and worse):"
        sed 's/^/    /' "$WORK/hookbird.log" | tail -20
    fi
    add_row "hookbird POST /webhook/stripe" "$LINE" "$NOTE" "$stored"
    HOOKBIRD_RPS=$(field "$LINE" rps)
}

run_fastapi() { # workers
    local workers=$1 db="$DB_DIR/fastapi-$1.sqlite" base="http://127.0.0.1:$FASTAPI_PORT" stored
    (cd "$ROOT/bench" && BENCH_DB="$db" BENCH_SECRET="$SECRET" exec setsid "$ROOT/$VENV/bin/uvicorn" \
        fastapi_receiver:app --host 127.0.0.1 --port "$FASTAPI_PORT" --workers "$workers" --log-level warning \
        >"$WORK/fastapi-$workers.log" 2>&1) &
    SERVER_PID=$!
    own_group
    wait_http "$base/health" "$SERVER_PID" 200 "$WORK"/*.log
    sleep 1 # with --workers N, /health answers once the first worker is up
    [[ "$(sqlite3 "$db" 'pragma journal_mode')" == wal ]] || die "FastAPI's database is not in WAL mode"
    count_accepted() { sqlite3 "$db" 'select count(*) from events'; }
    snapshot() { BEFORE=$(count_accepted); }
    measure "fastapi-$workers" "fastapi --workers $workers" "$base" /webhook
    stop_server KILL
    stored=$(($(count_accepted) - BEFORE))
    echo "fastapi --workers $workers: $LINE"
    echo "  during: $NOTE"
    check_stored "fastapi --workers $workers" "$stored"
    if [[ -s "$WORK/fastapi-$workers.log" ]]; then
        echo "  server log (warnings and worse):"
        sed 's/^/    /' "$WORK/fastapi-$workers.log" | tail -20
    fi
    add_row "fastapi+uvicorn --workers $workers POST /webhook" "$LINE" "$NOTE" "$stored"
    FASTAPI_RPS+=("$(field "$LINE" rps) $workers")
}

echo "== runs"
HOOKBIRD_RPS=""
FASTAPI_RPS=()
for target in $TARGETS; do
    case $target in
        hookbird) run_hookbird ;;
        fastapi-[0-9]*) run_fastapi "${target#fastapi-}" ;;
        *) die "unknown target $target (hookbird, fastapi-N)" ;;
    esac
done

# --- table ------------------------------------------------------------------------------------------------------
best=""
if ((${#FASTAPI_RPS[@]} > 0)); then best=$(printf '%s\n' "${FASTAPI_RPS[@]}" | sort -g -r | head -1); fi
echo
echo "== results"
printf '| %-46s | %9s | %8s | %8s | %9s | %6s | %10s | %13s | %16s |\n' target "req/s" "p50 ms" "p99 ms" \
    requests dups "Hookbird ×" "server µs/req" "other/steal/idle"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..48})" "$(printf -- '-%.0s' {1..11})" \
    "$(printf -- '-%.0s' {1..10})" "$(printf -- '-%.0s' {1..10})" "$(printf -- '-%.0s' {1..11})" \
    "$(printf -- '-%.0s' {1..8})" "$(printf -- '-%.0s' {1..12})" "$(printf -- '-%.0s' {1..15})" "$(printf -- '-%.0s' {1..18})"
for row in "${ROWS[@]}"; do
    IFS='|' read -r target rps p50 p99 requests dups cpu other _ <<<"$row"
    ratio="–"
    [[ -n "$HOOKBIRD_RPS" ]] && ratio=$(awk -v a="$HOOKBIRD_RPS" -v b="$rps" 'BEGIN { printf "%.1f×", a / b }')
    printf '| %-46s | %9.0f | %8s | %8s | %9s | %6s | %10s | %13s | %16s |\n' "$target" "$rps" \
        "$(ms "$p50")" "$(ms "$p99")" "$requests" "$dups" "$ratio" "$cpu" "$other"
done
echo
if [[ -n "$HOOKBIRD_RPS" && -n "$best" ]]; then
    read -r best_rps best_workers <<<"$best"
    awk -v a="$HOOKBIRD_RPS" -v b="$best_rps" -v w="$best_workers" 'BEGIN {
        r = a / b
        printf "Hookbird / best FastAPI (--workers %d): %.0f / %.0f req/s = %.1f× (target ≥ 10×: %s)\n",
            w, a, b, r, (r >= 10 ? "met" : "NOT met") }'
fi
echo "Hookbird ×: Hookbird's req/s divided by the row's. dups: 2xx answers saying \"duplicate\" (repeats after wrk ran"
echo "out of generated requests; 0 means every request carried a new event id)."
echo "server µs/req: server CPU (user+system, uvicorn's workers included) per response. other/steal/idle, in cores of"
echo "the $(nproc): CPU used by every process but the server and wrk / taken by the hypervisor for other guests / left idle."
echo "Other or steal above ~0.2 disturbs the figures."
for row in "${ROWS[@]}"; do
    IFS='|' read -r target _ _ _ _ _ _ _ note _ <<<"$row"
    echo "load during $target: $note"
done
