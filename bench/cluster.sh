#!/usr/bin/env bash
# Ingest and delivery on SQLite and on PostgreSQL, one node and two, in one run (issue 5):
#
#   sqlite-1  one `hookbird serve` on a SQLite file (WAL, --durability full), as bench/ingest.sh and delivery.sh
#   pg-1      one node on a PostgreSQL database
#   pg-2      two nodes on one PostgreSQL database: they share the delivery queue (FOR UPDATE SKIP LOCKED, NOTIFY)
#
# For each setup, with fresh databases:
#   a. ingest: wrk + bench/msg.lua against POST /api/v1/app/bench/msg (1 KiB body), CONNECTIONS in all. On two nodes
#      the load is split: one wrk per node with half the connections and half the threads, run together, summed.
#      Every answer must be 2xx; after the run the nodes are SIGKILLed and the database must hold at least as many new
#      messages as wrk counted 2xx answers (a 202 means committed).
#   b. delivery, backlog: MESSAGES messages are posted to an application without endpoints, then an endpoint pointing
#      at `hookbird-loadgen sink` is added and replay-missing queues one delivery per message (as bench/delivery.sh
#      does); the figure is deliveries per second from the replay call to the last receipt. On two nodes both drain.
#   c. delivery, steady: `hookbird-loadgen drive` posts at each of RATES messages/s for DURATION s (on two nodes half
#      the rate to each node); latency from each 202 to the sink's receipt. Every message answered 202 must arrive,
#      once; when deliveries fall behind, the script waits for the queue to empty (catch-up) before checking.
#
# Each phase records the CPU (in cores of the machine) of the Hookbird nodes, PostgreSQL (postmaster + backends), the
# load generator, the sink, everything else (other engineers' builds...), hypervisor steal and idle.
#
#   bench/cluster.sh                          # builds the release binaries in .build-bench, then runs (~5 min)
#   SKIP_BUILD=1 bench/cluster.sh             # reuse the binaries
#   SKIP_BUILD=1 DURATION=2 WARMUP=1 MESSAGES=1000 RATES=200 bench/cluster.sh     # a quick smoke test
#
# Environment: DURATION (s, 10), WARMUP (s, 3), CONNECTIONS (64), THREADS (2), MESSAGES (10000), RATES ("200 500 1000"),
# FILL_RATE (messages/s posted to build the backlog, 1000), CATCH_UP (s to wait for a late queue to drain, 60),
# WORKERS (delivery workers per node, 32), SETUPS ("sqlite-1 pg-1 pg-2"), PG_DURABLE (1: PostgreSQL with fsync=on and
# synchronous_commit=on, like SQLite's --durability full; 0: the throwaway's fsync=off), BASE_PORT (18381; nodes
# take BASE_PORT and BASE_PORT+1, the sink BASE_PORT+9), SKIP_BUILD=1, SCRATCH (.build-bench).
#
# PostgreSQL is a throwaway cluster from scripts/pg-throwaway.sh (same disk as the SQLite file, /tmp), stopped at the
# end. The script starts and stops only its own processes.
set -euo pipefail

cd "$(dirname "$0")/.."
source bench/lib.sh
wrk_load
MESSAGES=${MESSAGES:-10000}
RATES=${RATES:-200 500 1000}
WORKERS=${WORKERS:-32}
SETUPS=${SETUPS:-sqlite-1 pg-1 pg-2}
PG_DURABLE=${PG_DURABLE:-1}
BASE_PORT=${BASE_PORT:-18381}
SINK_PORT=$((BASE_PORT + 9))
CATCH_UP=${CATCH_UP:-60}
FILL_RATE=${FILL_RATE:-1000}
TOKEN=bench-cluster-token-$$
LUA="$ROOT/bench/msg.lua"
MSG_PATH=/api/v1/app/bench/msg

log() { echo "[$(date -u +%T)] $*"; }

# --- tools ------------------------------------------------------------------------------------------------------
need wrk curl sqlite3 psql python3 /usr/bin/time

# --- build ------------------------------------------------------------------------------------------------------
release_binaries cluster-bench.source hookbird hookbird-loadgen
HOOKBIRD="$BIN/hookbird"
LOADGEN="$BIN/hookbird-loadgen"
[[ -x "$HOOKBIRD" && -x "$LOADGEN" ]] || die "release binaries not found in $BIN"

WORK=$(mktemp -d /tmp/hookbird-cluster.XXXXXX)
export PG_THROWAWAY_STATE="$WORK/pg-state"   # our own state file: never touch another run's throwaway server
PG_URL=""
SINK_PID=""
NODE_PIDS=()

stop_nodes() { # [signal]
    local pid
    for pid in "${NODE_PIDS[@]}"; do kill -"${1:-TERM}" "$pid" 2>/dev/null || true; done
    for pid in "${NODE_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    NODE_PIDS=()
}

cleanup() {
    stop_nodes TERM
    if [[ -n "$SINK_PID" ]]; then kill "$SINK_PID" 2>/dev/null || true; wait "$SINK_PID" 2>/dev/null || true; fi
    if [[ -n "$PG_URL" ]]; then bash "$ROOT/scripts/pg-throwaway.sh" stop "$PG_URL" || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# --- helpers ----------------------------------------------------------------------------------------------------
node_url() { echo "http://127.0.0.1:$((BASE_PORT + $1))"; }                   # node_url INDEX (0-based)
api() { curl -fsS -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' "$@"; }
sink() { curl -fsS "http://127.0.0.1:$SINK_PORT/$1" "${@:2}"; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# --- CPU accounting ---------------------------------------------------------------------------------------------
sum_ticks() { local t=0 pid; for pid in "$@"; do t=$((t + $(pid_ticks "$pid"))); done; echo "$t"; }
pg_pids() { # the postmaster of our cluster and its children (backends, WAL writer, checkpointer...)
    [[ -n "$PG_URL" ]] || return 0
    local pm
    pm=$(head -1 "$PG_DIR/data/postmaster.pid" 2>/dev/null) || return 0
    echo "$pm"
    ps -o pid= --ppid "$pm" 2>/dev/null || true
}
# snapshot: machine busy / steal / idle jiffies, then the node, PostgreSQL and sink ticks
snapshot() {
    echo "$(machine_cpu)" \
        "$(sum_ticks "${NODE_PIDS[@]}")" "$(sum_ticks $(pg_pids))" "$(sum_ticks ${SINK_PID:+"$SINK_PID"})"
}
# cpu_line SNAP0 SNAP1 SECONDS LOADGEN_CPU_SECONDS: cores used by each party over the interval
cpu_line() {
    awk -v a="$1" -v b="$2" -v secs="$3" -v gen="$4" -v hz="$TICKS" 'BEGIN {
        split(a, x, " "); split(b, y, " ")
        busy = (y[1] - x[1]) / hz / secs; steal = (y[2] - x[2]) / hz / secs; idle = (y[3] - x[3]) / hz / secs
        nodes = (y[4] - x[4]) / hz / secs; pg = (y[5] - x[5]) / hz / secs; snk = (y[6] - x[6]) / hz / secs
        g = gen / secs; other = busy - nodes - pg - snk - g; if (other < 0) other = 0
        printf "nodes_cores=%.2f pg_cores=%.2f loadgen_cores=%.2f sink_cores=%.2f other_cores=%.2f steal_cores=%.2f idle_cores=%.2f",
            nodes, pg, g, snk, other, steal, idle }'
}
cpu_short() { # LINE -> "nodes/pg/loadgen+sink/other/steal/idle"
    awk -v l="$1" 'BEGIN { n = split(l, f, " "); for (i = 1; i <= n; i++) { split(f[i], kv, "="); v[kv[1]] = kv[2] }
        printf "%s/%s/%.2f/%s/%s/%s", v["nodes_cores"], v["pg_cores"], v["loadgen_cores"] + v["sink_cores"],
            v["other_cores"], v["steal_cores"], v["idle_cores"] }'
}
per_node_cpu() { # PIDS_TICKS0 PIDS_TICKS1 SECONDS -> "0.83+0.80"
    awk -v a="$1" -v b="$2" -v secs="$3" -v hz="$TICKS" 'BEGIN { n = split(a, x, " "); split(b, y, " ")
        for (i = 1; i <= n; i++) printf "%s%.2f", (i > 1 ? "+" : ""), (y[i] - x[i]) / hz / secs }'
}
node_ticks_each() { local pid out=""; for pid in "${NODE_PIDS[@]}"; do out+="$(pid_ticks "$pid") "; done; echo "$out"; }
now_us() { date +%s%6N; }
# proc_snap FILE: CPU ticks of every process, to name the "other" CPU afterwards (processes that start and end
# between two snapshots are missed there, not in other_cores).
proc_snap() {
    python3 - "$1" <<'PY'
import glob, json, sys
out = {}
for path in glob.glob("/proc/[0-9]*/stat"):
    try:
        text = open(path).read()
    except OSError:
        continue
    comm = text[text.index("(") + 1:text.rindex(")")]
    f = text[text.rindex(")") + 2:].split()
    out[path.split("/")[2]] = [comm, int(f[1]), int(f[11]) + int(f[12])]   # ppid, utime + stime
json.dump(out, open(sys.argv[1], "w"))
PY
}
# top_others FILE0 FILE1 SECONDS: the three busiest process names that are neither this script's nor our PostgreSQL's.
top_others() {
    python3 - "$1" "$2" "$3" "$$" "$TICKS" $(pg_pids | head -1) <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
secs, me, hz = float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
ours = {me} | set(sys.argv[6:])
def mine(pid):
    seen = 0
    while pid in b and seen < 64:
        if pid in ours: return True
        pid = str(b[pid][1]); seen += 1
    return pid in ours
by = {}
for pid, (comm, _, ticks) in b.items():
    if mine(pid): continue
    name = comm.split("-")[0] if comm.startswith("kworker") else comm
    by[name] = by.get(name, 0) + ticks - (a[pid][2] if pid in a else 0)
top = sorted(((v / hz / secs, k) for k, v in by.items() if v > 0), reverse=True)[:3]
print(", ".join(f"{k} {v:.2f}" for v, k in top) or "none")
PY
}

# --- servers ----------------------------------------------------------------------------------------------------
# start_nodes SETUP: starts the setup's nodes on its database (DB_URL), one after the other (the first applies the
# migrations).
start_nodes() {
    local count=${1##*-} i extra=()
    [[ "$1" == sqlite-* ]] && extra=(--durability full)
    for ((i = 0; i < count; i++)); do
        "$HOOKBIRD" serve --port "$((BASE_PORT + i))" --database "$DB_URL" --admin-token "$TOKEN" \
            --egress-allow 127.0.0.0/8 --workers "$WORKERS" --log-level warning "${extra[@]}" \
            >>"$WORK/node-$1-$i.log" 2>&1 &
        NODE_PIDS+=($!)
        wait_http "$(node_url "$i")/api/v1/health/ping" "$!" 300
    done
}

count_messages() { # [app uid]
    local where=""
    [[ -n "${1:-}" ]] && where=" where app_id = (select id from applications where uid = '$1')"
    if [[ "$DB_URL" == sqlite:* ]]; then
        sqlite3 "${DB_URL#sqlite:}" "select count(*) from messages$where"
    else
        psql -qAt "$DB_URL" -c "select count(*) from messages$where"
    fi
}

# --- ingest -----------------------------------------------------------------------------------------------------
# wrk_split NODES SECONDS PREFIX: one wrk per node, CONNECTIONS/NODES connections each, in parallel; output files
# PREFIX-i.out. Echoes the summed line (with CPU). Fails on any non-2xx answer.
wrk_split() {
    local nodes=$1 seconds=$2 prefix=$3 i pids=() s0 s1 t0 t1
    local conns=$((CONNECTIONS / nodes)) threads=$((THREADS / nodes))
    ((threads >= 1)) || threads=1
    s0=$(snapshot); t0=$(now_us)
    for ((i = 0; i < nodes; i++)); do
        BENCH_PATH="$MSG_PATH" BENCH_TOKEN="$TOKEN" /usr/bin/time -f 'WRKCPU %U %S' \
            wrk -t"$threads" -c"$conns" -d"${seconds}s" -s "$LUA" "$(node_url "$i")" >"$prefix-$i.out" 2>&1 &
        pids+=($!)
    done
    for i in "${!pids[@]}"; do wait "${pids[$i]}" || { cat "$prefix-$i.out" >&2; die "wrk failed against node $i"; }; done
    s1=$(snapshot); t1=$(now_us)
    local lines="" gen
    for ((i = 0; i < nodes; i++)); do
        grep -q '^BENCH ' "$prefix-$i.out" || { cat "$prefix-$i.out" >&2; die "no summary from wrk (node $i)"; }
        lines+="$(grep '^BENCH ' "$prefix-$i.out")"$'\n'
    done
    gen=$(cat "$prefix"-*.out | awk '/^WRKCPU/ { s += $2 + $3 } END { print s + 0 }')
    # Sum requests, 2xx, non-2xx and req/s; p50/p99 are those of the worse node (wrk's histograms cannot be merged).
    awk 'NF > 0 { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
           req += v["requests"]; ok += v["ok"]; bad += v["non2xx"]; se += v["socket_errors"]; rps += v["rps"]
           if (v["p50_us"] > p50) p50 = v["p50_us"]; if (v["p99_us"] > p99) p99 = v["p99_us"]; per = per sep int(v["rps"]); sep = "+" }
         END { printf "INGEST requests=%d ok=%d non2xx=%d socket_errors=%d rps=%.0f per_node_rps=%s p50_us=%d p99_us=%d",
               req, ok, bad, se, rps, per, p50, p99 }' <<<"$lines"
    echo " $(cpu_line "$s0" "$s1" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e6 }')" "$gen")"
}

ingest() { # SETUP
    local setup=$1 nodes=${1##*-} line before after stored ok note t0 t1 e0 e1
    api -o /dev/null -X POST "$(node_url 0)/api/v1/app" -d '{"name":"bench","uid":"bench"}' || die "cannot create the application"
    wrk_split "$nodes" "$WARMUP" "$WORK/warm-$setup" >/dev/null
    before=$(count_messages bench)
    note=$(busy_note)
    proc_snap "$WORK/p0"; e0=$(node_ticks_each); t0=$(now_us)
    line=$(wrk_split "$nodes" "$DURATION" "$WORK/ingest-$setup")
    e1=$(node_ticks_each); t1=$(now_us); proc_snap "$WORK/p1"
    stop_nodes KILL   # SIGKILL: whatever was acknowledged must already be committed
    after=$(count_messages bench)
    stored=$((after - before)); ok=$(field "$line" ok)
    line+=" stored=$stored per_node_cores=$(per_node_cpu "$e0" "$e1" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e6 }')")"
    OTHERS[$setup/ingest]=$(top_others "$WORK/p0" "$WORK/p1" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e6 }')")
    log "$setup ingest: $line"
    echo "    during: $note; busiest other processes (cores): ${OTHERS[$setup/ingest]}"
    [[ "$(field "$line" non2xx)" == 0 ]] || die "$setup: $(field "$line" non2xx) non-2xx answers"
    [[ "$(field "$line" socket_errors)" == 0 ]] || echo "    WARNING: $(field "$line" socket_errors) socket errors/timeouts"
    ((stored >= ok)) || die "$setup: $ok messages were acknowledged but only $stored are in the database"
    INGEST[$setup]=$line
    NOTES[$setup]="ingest: $note"
}

# --- delivery ---------------------------------------------------------------------------------------------------
# drive_split NODES RATE SECONDS APP PREFIX: one `hookbird-loadgen drive` per node at RATE/NODES messages/s; writes
# PREFIX-i.txt (message id, 202 time) and echoes the loadgen CPU seconds. Posts not answered 202 are counted
# (not_accepted): when the offered rate is above what the setup ingests, requests queue in the loadgen's client and
# it gives up on those that wait more than 10 s for a connection (AsyncHTTPClient's connect timeout) - overload,
# which ingest (wrk, closed loop) checks for server errors.
drive_split() {
    local nodes=$1 rate=$2 seconds=$3 app=$4 prefix=$5 i pids=()
    for ((i = 0; i < nodes; i++)); do
        /usr/bin/time -f 'GENCPU %U %S' "$LOADGEN" drive --api "$(node_url "$i")" --token "$TOKEN" --app "$app" \
            --rate "$((rate / nodes))" --duration "$seconds" --output "$prefix-$i.txt" >"$prefix-$i.log" 2>&1 &
        pids+=($!)
    done
    for i in "${!pids[@]}"; do wait "${pids[$i]}" || { cat "$prefix-$i.log" >&2; die "drive failed (node $i)"; }; done
    for ((i = 0; i < nodes; i++)); do
        grep -q '^DRIVE ' "$prefix-$i.log" || { cat "$prefix-$i.log" >&2; die "no summary from drive (node $i)"; }
    done
    cat "$prefix"-*.log | awk '/^GENCPU/ { s += $2 + $3 } END { print s + 0 }'
}
not_accepted() { cat "$1"-*.log | awk '/^DRIVE / { for (i = 2; i <= NF; i++) if ($i ~ /^failed=/) { split($i, kv, "="); s += kv[2] } } END { print s + 0 }'; }

add_endpoint() { # APP -> endpoint id
    api -X POST "$(node_url 0)/api/v1/app/$1/endpoint" -d "{\"url\":\"http://127.0.0.1:$SINK_PORT/hook\"}" | json "['id']"
}

backlog() { # SETUP
    local setup=$1 app="backlog" ep queued got=0 s0 s1 t0 t1 e0 e1 line
    sink reset -X POST -o /dev/null
    api -o /dev/null -X POST "$(node_url 0)/api/v1/app" -d "{\"name\":\"$app\",\"uid\":\"$app\"}"
    # Fill: MESSAGES messages at FILL_RATE/s, no endpoint yet, so nothing is delivered.
    drive_split 1 "$FILL_RATE" "$(awk -v m="$MESSAGES" -v r="$FILL_RATE" 'BEGIN { print m / r }')" "$app" "$WORK/fill-$setup" >/dev/null
    local lost
    lost=$(not_accepted "$WORK/fill-$setup")
    ((lost == 0)) || echo "    note: $lost of the $MESSAGES fill posts were not answered 202 in time (fill rate above this setup's ingest)"
    ep=$(add_endpoint "$app")
    local since
    since=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
    proc_snap "$WORK/p0"; s0=$(snapshot); e0=$(node_ticks_each); t0=$(now_us)
    queued=$(api -X POST "$(node_url 0)/api/v1/app/$app/endpoint/$ep/replay-missing" -d "{\"since\":\"$since\"}" | json "['count']")
    for _ in $(seq 1 300); do   # poll the count only: the receipts' own times give the figure, not the poll
        got=$(sink count)
        ((got >= queued)) && break
        sleep 0.2
    done
    s1=$(snapshot); e1=$(node_ticks_each); t1=$(now_us); proc_snap "$WORK/p1"
    ((got >= queued)) || die "$setup backlog: only $got of $queued deliveries arrived within 60 s"
    sleep 1   # anything delivered twice would arrive now
    sink receipts >"$WORK/backlog-$setup.json"
    line=$(python3 - "$WORK/backlog-$setup.json" "$t0" "$queued" <<'PY'
import json, sys
data = json.load(open(sys.argv[1])); t0 = int(sys.argv[2]); queued = int(sys.argv[3])
r = sorted(data["receipts"].values())
span = (r[-1] - t0) / 1e6
tail = (r[-1] - r[0]) / 1e6 or 1e-6
print(f"BACKLOG queued={queued} received={data['count']} unique={len(r)} seconds={span:.2f} per_second={len(r) / span:.0f} "
      f"first_to_last_per_second={len(r) / tail:.0f}")
PY
)
    local secs
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e6 }')   # CPU over the poll window (≤ 0.2 s longer)
    line+=" $(cpu_line "$s0" "$s1" "$secs" 0) per_node_cores=$(per_node_cpu "$e0" "$e1" "$secs")"
    OTHERS[$setup/backlog]=$(top_others "$WORK/p0" "$WORK/p1" "$secs")
    log "$setup backlog: $line"
    echo "    busiest other processes (cores): ${OTHERS[$setup/backlog]}"
    [[ "$(field "$line" unique)" == "$queued" ]] || die "$setup backlog: $(field "$line" unique) distinct messages arrived, $queued queued"
    [[ "$(field "$line" received)" == "$queued" ]] || die "$setup backlog: $(field "$line" received) deliveries for $queued messages (duplicates)"
    BACKLOG[$setup]=$line
}

# pg_counters: the database's statements (pg_stat_statements, utility statements included), transactions and the
# cluster's WAL position, as "statements transactions wal_bytes"; pg_reset_statements clears the first.
pg_counters() {
    [[ "$DB_URL" == postgres* ]] || { echo "0 0 0"; return; }
    local db=${DB_URL##*/}
    psql -qAt "$PG_URL" -F ' ' -c "select
        coalesce((select sum(calls) from pg_stat_statements s join pg_database d on d.oid = s.dbid where d.datname = '$db'), 0),
        (select xact_commit + xact_rollback from pg_stat_database where datname = '$db'),
        pg_current_wal_lsn() - '0/0'"
}
pg_reset_statements() { [[ "$DB_URL" == postgres* && "${PGSS:-0}" == 1 ]] && psql -qAt "$PG_URL" -c 'select pg_stat_statements_reset()' >/dev/null || true; }

steady() { # SETUP RATE
    local setup=$1 rate=$2 nodes=${1##*-} app="steady$2" s0 s1 t0 t1 gen line c0 c1
    sink reset -X POST -o /dev/null
    api -o /dev/null -X POST "$(node_url 0)/api/v1/app" -d "{\"name\":\"$app\",\"uid\":\"$app\"}"
    add_endpoint "$app" >/dev/null
    sleep 1.5   # the engines' idle polls and metrics settle before counting
    pg_reset_statements; c0=$(pg_counters)
    proc_snap "$WORK/p0"; s0=$(snapshot); t0=$(now_us)
    gen=$(drive_split "$nodes" "$rate" "$DURATION" "$app" "$WORK/steady-$setup-$rate")
    s1=$(snapshot); t1=$(now_us); proc_snap "$WORK/p1"
    # When the deliveries fall behind, wait up to CATCH_UP s for the queue to empty (reported as catch_up_s).
    local sent got=0
    sent=$(cat "$WORK/steady-$setup-$rate"-*.txt | grep -c . || true)
    for _ in $(seq 1 $((CATCH_UP * 5))); do
        got=$(sink count)
        ((got >= sent)) && break
        sleep 0.2
    done
    sleep 1   # anything delivered twice would arrive now
    c1=$(pg_counters)
    sink receipts >"$WORK/steady-$setup-$rate.json"
    line=$(python3 - "$WORK/steady-$setup-$rate.json" "$WORK/steady-$setup-$rate"-*.txt <<'PY'
import json, sys
got = json.load(open(sys.argv[1]))
receipts = got["receipts"]
acks = {}
for name in sys.argv[2:]:
    acks.update(line.split() for line in open(name) if line.strip())
lat = sorted((receipts[i] - int(t)) / 1000 for i, t in acks.items() if i in receipts)
missing = sum(1 for i in acks if i not in receipts)
def p(q): return lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")
times = [int(t) for t in acks.values()]
last = max((receipts[i] for i in acks if i in receipts), default=max(times))
print(f"STEADY messages={len(acks)} delivered={len(lat)} missing={missing} duplicates={got['count'] - len(receipts)} "
      f"p50_ms={p(0.50):.2f} p90_ms={p(0.90):.2f} p99_ms={p(0.99):.2f} max_ms={(lat[-1] if lat else float('nan')):.2f} "
      f"catch_up_s={max(0, last - max(times)) / 1e6:.2f} delivered_per_s={len(lat) / ((last - min(times)) / 1e6):.0f}")
PY
)
    line+=" not_accepted=$(not_accepted "$WORK/steady-$setup-$rate")"
    # Per delivered message, over the whole run and its drain: statements, transactions, WAL bytes.
    line+=" $(awk -v a="$c0" -v b="$c1" -v n="$(field "$line" delivered)" 'BEGIN { split(a, x, " "); split(b, y, " ")
        if (n <= 0) n = 1
        printf "statements_per_msg=%.2f xacts_per_msg=%.2f wal_bytes_per_msg=%.0f", (y[1] - x[1]) / n, (y[2] - x[2]) / n, (y[3] - x[3]) / n }')"
    if [[ "$DB_URL" == postgres* && "${PGSS:-0}" == 1 ]]; then
        local db=${DB_URL##*/}
        psql -qAt "$PG_URL" -F ' | ' -c "select calls, left(regexp_replace(query, '\s+', ' ', 'g'), 90) from pg_stat_statements s
            join pg_database d on d.oid = s.dbid where d.datname = '$db' order by calls desc limit 8" >"$WORK/statements-$setup-$rate.txt" || true
    fi
    line+=" $(cpu_line "$s0" "$s1" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e6 }')" "$gen")"
    OTHERS[$setup/$rate]=$(top_others "$WORK/p0" "$WORK/p1" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e6 }')")
    log "$setup steady $rate/s: $line"
    echo "    busiest other processes (cores): ${OTHERS[$setup/$rate]}"
    [[ "$(field "$line" missing)" == 0 ]] || die "$setup steady $rate/s: $(field "$line" missing) messages never arrived"
    [[ "$(field "$line" duplicates)" == 0 ]] || die "$setup steady $rate/s: $(field "$line" duplicates) deliveries were duplicates"
    STEADY[$setup/$rate]=$line
}

# --- machine ----------------------------------------------------------------------------------------------------
declare -A INGEST BACKLOG STEADY NOTES OTHERS
echo "== machine"
machine
echo "wrk:            $(wrk -v 2>&1 | head -1)"
echo "built from:     $(cat "$SCRATCH/cluster-bench.source" 2>/dev/null || echo 'unknown (binaries not built by this script)')"
echo "files in:       $WORK ($(df -T "$WORK" | awk 'NR == 2 { print $2 " on " $1 }'))"
echo "load now:       $(busy_note)"
echo "run:            setups: $SETUPS; ingest wrk ${CONNECTIONS} connections/${THREADS} threads in all, ${DURATION}s (warm-up ${WARMUP}s);"
echo "                backlog $MESSAGES messages; steady ${RATES// //} msg/s for ${DURATION}s; $WORKERS delivery workers per node"

"$LOADGEN" sink --port "$SINK_PORT" >"$WORK/sink.log" 2>&1 &
SINK_PID=$!
wait_http "http://127.0.0.1:$SINK_PORT/receipts" "$SINK_PID" 300

if [[ " $SETUPS " == *" pg-"* ]]; then
    PG_URL=$(bash "$ROOT/scripts/pg-throwaway.sh" start)
    PG_DIR=$(cat "$PG_THROWAWAY_STATE")
    if [[ "$PG_DURABLE" == 1 ]]; then
        # The throwaway runs with fsync=off and synchronous_commit=off (set on its command line, which ALTER SYSTEM
        # cannot override). A fair comparison with SQLite's synchronous=FULL needs PostgreSQL's defaults: restart the
        # same cluster on the same port without those options.
        pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
        as_pg=(); [[ "$(id -u)" -eq 0 ]] && as_pg=(runuser -u postgres --)
        "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 30 restart -m fast \
            -o "-k $PG_DIR -c listen_addresses=127.0.0.1 -p $(cat "$PG_DIR/port") -c max_connections=200 \
                -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_utility=on" >/dev/null \
            || die "could not restart PostgreSQL with fsync on"
    fi
    echo "postgresql:     $(psql -qAt "$PG_URL" -c 'show server_version') at $PG_URL; fsync=$(psql -qAt "$PG_URL" -c 'show fsync')," \
        "synchronous_commit=$(psql -qAt "$PG_URL" -c 'show synchronous_commit'), shared_buffers=$(psql -qAt "$PG_URL" -c 'show shared_buffers')"
    [[ "$PG_DURABLE" != 1 || "$(psql -qAt "$PG_URL" -c 'show fsync')" == on ]] || die "could not turn fsync on"
    # Statements per message (utility statements such as BEGIN, COMMIT and NOTIFY included), where the server has it.
    if psql -qAt "$PG_URL" -c 'create extension if not exists pg_stat_statements' >/dev/null 2>&1 \
        && psql -qAt "$PG_URL" -c 'select 1 from pg_stat_statements limit 1' >/dev/null 2>&1; then
        PGSS=1
    else
        PGSS=0
        echo "note: pg_stat_statements is not loaded: no statement counts"
    fi
fi
echo

# --- runs -------------------------------------------------------------------------------------------------------
echo "== runs"
RUN_START=$(date +%s)
for setup in $SETUPS; do
    case "$setup" in
        sqlite-1) DB_URL="sqlite:$WORK/$setup.sqlite" ;;
        pg-1 | pg-2)
            db="bench_${setup//-/_}"
            psql -qAt "$PG_URL" -c "create database $db" >/dev/null
            DB_URL="${PG_URL%/*}/$db"
            ;;
        *) die "unknown setup $setup (sqlite-1, pg-1, pg-2)" ;;
    esac
    log "$setup: starting ${setup##*-} node(s) on $DB_URL"
    start_nodes "$setup"
    ingest "$setup"
    start_nodes "$setup"
    backlog "$setup"
    for rate in $RATES; do steady "$setup" "$rate"; done
    NOTES[$setup]+="; end of delivery: $(busy_note)"
    stop_nodes TERM
    for ((i = 0; i < ${setup##*-}; i++)); do
        if grep -qv '^$' "$WORK/node-$setup-$i.log" 2>/dev/null; then
            echo "    node $i log (warnings and worse, last 10 lines):"
            tail -10 "$WORK/node-$setup-$i.log" | sed 's/^/      /'
        fi
    done
done
echo "runs took $(($(date +%s) - RUN_START)) s"

# --- tables -----------------------------------------------------------------------------------------------------
ms() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'; }
per_msg() { awk -v n="$(field "$1" nodes_cores)" -v p="$(field "$1" pg_cores)" -v r="$2" 'BEGIN { printf "%.0f", 1e6 * (n + p) / r }'; }
echo
echo "== ingest: POST $MSG_PATH, 1 KiB, $CONNECTIONS connections in all, ${DURATION}s"
echo "| setup | req/s | per node | p50 ms | p99 ms | 2xx | stored | node cores | CPU µs/msg nodes+pg | cores nodes/pg/wrk/other/steal/idle |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
for setup in $SETUPS; do
    l=${INGEST[$setup]}
    echo "| $setup | $(field "$l" rps) | $(field "$l" per_node_rps) | $(ms "$(field "$l" p50_us)") | $(ms "$(field "$l" p99_us)") |" \
        "$(field "$l" ok) | $(field "$l" stored) | $(field "$l" per_node_cores) | $(per_msg "$l" "$(field "$l" rps)") | $(cpu_short "$l") |"
done
echo
echo "== delivery: backlog of $MESSAGES messages (replay-missing → last receipt), $WORKERS workers per node"
echo "| setup | deliveries/s | seconds | first→last /s | node cores | CPU µs/delivery nodes+pg | cores nodes/pg/sink/other/steal/idle |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
for setup in $SETUPS; do
    l=${BACKLOG[$setup]}
    echo "| $setup | $(field "$l" per_second) | $(field "$l" seconds) | $(field "$l" first_to_last_per_second) |" \
        "$(field "$l" per_node_cores) | $(per_msg "$l" "$(field "$l" per_second)") | $(cpu_short "$l") |"
done
echo
echo "== delivery: 202 → receipt at a steady rate for ${DURATION}s (two nodes: half the rate to each)"
echo "| setup | msg/s | 202s | no 202 | delivered | missing | p50 ms | p90 ms | p99 ms | max ms | catch-up s | cores nodes/pg/drive+sink/other/steal/idle |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
for setup in $SETUPS; do
    for rate in $RATES; do
        l=${STEADY[$setup/$rate]}
        echo "| $setup | $rate | $(field "$l" messages) | $(field "$l" not_accepted) | $(field "$l" delivered) | $(field "$l" missing) | $(field "$l" p50_ms) | $(field "$l" p90_ms) |" \
            "$(field "$l" p99_ms) | $(field "$l" max_ms) | $(field "$l" catch_up_s) | $(cpu_short "$l") |"
    done
done
echo
echo "== cost per delivered message at a steady rate (ingest, claim, attempt record; the whole run and its drain)"
echo "| setup | msg/s | node CPU µs/msg | PostgreSQL CPU µs/msg | statements/msg | transactions/msg | WAL bytes/msg |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for setup in $SETUPS; do
    for rate in $RATES; do
        l=${STEADY[$setup/$rate]}
        d=$(field "$l" delivered); [[ "$d" -gt 0 ]] 2>/dev/null || d=1
        secs_rate=$(awk -v r="$rate" 'BEGIN { print r }')
        echo "| $setup | $rate | $(awk -v c="$(field "$l" nodes_cores)" -v r="$rate" 'BEGIN { printf "%.0f", 1e6 * c / r }') |" \
            "$(awk -v c="$(field "$l" pg_cores)" -v r="$rate" 'BEGIN { printf "%.0f", 1e6 * c / r }') |" \
            "$(field "$l" statements_per_msg) | $(field "$l" xacts_per_msg) | $(field "$l" wal_bytes_per_msg) |"
    done
done
for f in "$WORK"/statements-*.txt; do
    [[ -f "$f" ]] || continue
    echo; echo "busiest statements, $(basename "$f" .txt | sed 's/^statements-//') (calls | query):"
    sed 's/^/    /' "$f"
done
echo
echo "cores: CPU in cores of the $(nproc) over each phase. nodes = the Hookbird process(es), pg = postmaster and backends,"
echo "wrk/drive/sink = load generator and receiver, other = every other process (other engineers' builds...), steal ="
echo "taken by the hypervisor, idle = left over. p50/p99 of two-node ingest are the worse node's."
echo "no 202: posts the loadgen gave up on (overload: they waited > 10 s for a connection); missing counts only 202s."
echo "catch-up s: how long after the last 202 the last delivery arrived (0 = deliveries kept pace with the rate)."
for setup in $SETUPS; do
    echo "load during $setup: ${NOTES[$setup]}"
    echo "  busiest other processes (cores): ingest: ${OTHERS[$setup/ingest]}; backlog: ${OTHERS[$setup/backlog]}$(
        for rate in $RATES; do printf '; %s/s: %s' "$rate" "${OTHERS[$setup/$rate]}"; done)"
done
