#!/usr/bin/env bash
# Delivery benchmark (issue 3): in one run, on loopback,
#   1. a raw AsyncHTTPClient POST loop to a sink that answers 200 at once (the ceiling),
#   2. Hookbird's delivery engine draining a backlog to the same sink (deliveries per second),
#   3. end-to-end latency from the 202 of POST /msg to the sink's receipt at a steady 1 000 messages/s.
#
#   bench/delivery.sh                     # MESSAGES=10000 backlog, RATE=1000/s for DURATION=10 s
#   MESSAGES=40000 bench/delivery.sh      # a backlog that drains for several seconds (queued in several replays)
#   SKIP_BUILD=1 bench/delivery.sh        # reuse the release binaries
set -euo pipefail
cd "$(dirname "$0")/.."

MESSAGES=${MESSAGES:-10000}
RATE=${RATE:-1000}
DURATION=${DURATION:-10}
WORKERS=${WORKERS:-32}
PORT=${HOOKBIRD_PORT:-18281}
SINK_PORT=${SINK_PORT:-18282}
TOKEN=bench-delivery-token-$$
source bench/lib.sh

release_binaries delivery-bench.source hookbird hookbird-loadgen
TMP=$(mktemp -d)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

api() { curl -sf -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' "$@"; }
receipts() { curl -sf "http://127.0.0.1:$SINK_PORT/receipts"; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB, kernel $(uname -r)"
"$BIN/hookbird-loadgen" sink --port "$SINK_PORT" >"$TMP/sink.log" 2>&1 & PIDS+=($!)
wait_port "$SINK_PORT" /receipts || die "port $SINK_PORT did not open"

echo "== 1. raw AsyncHTTPClient POST loop, 32 concurrent, ${DURATION}s"
RAW=$("$BIN/hookbird-loadgen" post-loop --url "http://127.0.0.1:$SINK_PORT/hook" --concurrency 32 --duration "$DURATION")
echo "$RAW"
RAW_RPS=$(sed -n 's/.*rps=\([0-9]*\).*/\1/p' <<<"$RAW")
curl -sf -X POST "http://127.0.0.1:$SINK_PORT/reset" >/dev/null

"$BIN/hookbird" serve --port "$PORT" --database "sqlite:$TMP/db.sqlite" --admin-token "$TOKEN" --egress-allow 127.0.0.0/8 \
    --workers "$WORKERS" --log-level warning >"$TMP/server.log" 2>&1 & PIDS+=($!)
wait_port "$PORT" /api/v1/health || die "port $PORT did not open"

echo "== 2. delivery engine draining a backlog of $MESSAGES messages (workers $WORKERS)"
api -X POST "http://127.0.0.1:$PORT/api/v1/app" -d '{"name":"backlog","uid":"backlog"}' >/dev/null
FILL_START=$(date -u +%s)
"$BIN/hookbird-loadgen" drive --api "http://127.0.0.1:$PORT" --token "$TOKEN" --app backlog --rate 4000 \
    --duration "$(python3 -c "print($MESSAGES/4000)")" --output "$TMP/backlog.txt"
api -X POST "http://127.0.0.1:$PORT/api/v1/app/backlog/endpoint" -d "{\"url\":\"http://127.0.0.1:$SINK_PORT/hook\"}" >"$TMP/ep.json"
EP=$(python3 -c "import json;print(json.load(open('$TMP/ep.json'))['id'])")
FILL_END=$(($(date -u +%s) + 1))
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
replay() { api -X POST "http://127.0.0.1:$PORT/api/v1/app/backlog/endpoint/$EP/replay-missing" -d "$1" \
    | sed -n 's/.*"count":\([0-9]*\).*/\1/p'; }
# The drain is timed from the moment the backlog is queued (the first replay-missing call has answered; inserting
# the deliveries is not delivering them) to the last receipt.
if ((MESSAGES <= 10000)); then
    QUEUED=$(replay "{\"since\":\"$(iso $((FILL_START - 3600)))\"}")
    T0=$(date +%s%6N)
else
    # One replay-missing queues at most 10 000 deliveries: a larger backlog is queued in 2-second windows of the
    # fill (at 4 000 messages/s, ~8 000 each), one call after the other; the first ones drain meanwhile.
    QUEUED=0
    for ((from = FILL_START - 1; from < FILL_END; from += 2)); do
        QUEUED=$((QUEUED + $(replay "{\"since\":\"$(iso $from)\",\"until\":\"$(iso $((from + 2)))\"}")))
        [[ -n "${T0:-}" ]] || T0=$(date +%s%6N)
    done
fi
echo "queued $QUEUED deliveries"
# Poll the count only (curl, no interpreter): listing and parsing every receipt ten times a second would take CPU
# from the server being measured.
for _ in $(seq 1 600); do
    GOT=$(curl -sf "http://127.0.0.1:$SINK_PORT/count")
    [[ "$GOT" -ge "$QUEUED" ]] && break
    sleep 0.1
done
[[ "$GOT" -ge "$QUEUED" ]] || die "only $GOT of $QUEUED deliveries arrived"
DELIVERY=$(receipts | python3 -c "
import json,sys
r=json.load(sys.stdin)['receipts'].values()
span=(max(r)-$T0)/1e6
print(f'deliveries={len(r)} seconds={span:.2f} per_second={len(r)/span:.0f}')")
echo "DELIVERY $DELIVERY"
DELIVERY_RPS=$(sed -n 's/.*per_second=\([0-9]*\).*/\1/p' <<<"$DELIVERY")
curl -sf -X POST "http://127.0.0.1:$SINK_PORT/reset" >/dev/null

# The host's speed drifts within minutes: the raw loop runs again right after the drain (Hookbird idle), and the
# drain is compared with the mean of the two.
echo "== 2b. raw AsyncHTTPClient POST loop again, 32 concurrent, ${DURATION}s"
RAW_AFTER=$("$BIN/hookbird-loadgen" post-loop --url "http://127.0.0.1:$SINK_PORT/hook" --concurrency 32 --duration "$DURATION")
echo "$RAW_AFTER"
RAW_AFTER_RPS=$(sed -n 's/.*rps=\([0-9]*\).*/\1/p' <<<"$RAW_AFTER")
RAW_BEFORE_RPS=$RAW_RPS
RAW_RPS=$(((RAW_BEFORE_RPS + RAW_AFTER_RPS) / 2))
curl -sf -X POST "http://127.0.0.1:$SINK_PORT/reset" >/dev/null

echo "== 3. end-to-end latency, 202 → sink receipt, at $RATE messages/s for ${DURATION}s"
api -X POST "http://127.0.0.1:$PORT/api/v1/app" -d '{"name":"steady","uid":"steady"}' >/dev/null
api -X POST "http://127.0.0.1:$PORT/api/v1/app/steady/endpoint" -d "{\"url\":\"http://127.0.0.1:$SINK_PORT/hook\"}" >/dev/null
"$BIN/hookbird-loadgen" drive --api "http://127.0.0.1:$PORT" --token "$TOKEN" --app steady --rate "$RATE" \
    --duration "$DURATION" --output "$TMP/steady.txt"
sleep 2
receipts >"$TMP/receipts.json"
LATENCY=$(python3 - "$TMP/steady.txt" "$TMP/receipts.json" <<'PY'
import json, sys
acks = dict(line.split() for line in open(sys.argv[1]) if line.strip())
got = json.load(open(sys.argv[2]))["receipts"]
lat = sorted((got[i] - int(t)) / 1000 for i, t in acks.items() if i in got)
missing = sum(1 for i in acks if i not in got)
def p(q): return lat[min(len(lat) - 1, int(q * len(lat)))]
early = sum(1 for x in lat if x < 0)
print(f"messages={len(acks)} delivered={len(lat)} missing={missing} p50_ms={p(0.50):.2f} p90_ms={p(0.90):.2f} "
      f"p99_ms={p(0.99):.2f} max_ms={lat[-1]:.2f} delivered_before_202_seen={early}")
PY
)
echo "LATENCY $LATENCY"

echo
echo "| measure | figure |"
echo "| --- | --- |"
echo "| raw AsyncHTTPClient POST loop to the sink (before, after the drain) | $RAW_RPS req/s ($RAW_BEFORE_RPS, $RAW_AFTER_RPS) |"
echo "| Hookbird deliveries to the same sink | $DELIVERY_RPS /s ($(python3 -c "print(round(100*$DELIVERY_RPS/$RAW_RPS))") % of the raw loop's mean) |"
echo "| end-to-end at $RATE msg/s (202 → receipt) | $LATENCY |"
