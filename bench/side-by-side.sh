#!/usr/bin/env bash
# Compares two builds of Hookbird's delivery engine at the same moment: each server drains a 10 000-delivery
# backlog to its own sink, both at once, so both see the same host (this VM's speed drifts by up to ±30 % within
# minutes, which hides a 5–10 % change between runs made one after the other). Prints, per build, the time until
# its sink had every delivery and its server's CPU per delivery. Run it a few times, swapping the order.
#
#   bench/side-by-side.sh DIR_A DIR_B     # each DIR holds a release `hookbird` and `hookbird-loadgen`
set -uo pipefail
A=$1; B=$2; TMP=$(mktemp -d); TOKEN=side-by-side-$$
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
"$A/hookbird-loadgen" sink --port 18402 >/dev/null 2>&1 & PIDS+=($!)
"$B/hookbird-loadgen" sink --port 18412 >/dev/null 2>&1 & PIDS+=($!)
"$A/hookbird" serve --port 18401 --database "sqlite:$TMP/a.sqlite" --admin-token "$TOKEN" --egress-allow 127.0.0.0/8 \
    --workers 32 --log-level warning >"$TMP/a.log" 2>&1 & PA=$!; PIDS+=($PA)
"$B/hookbird" serve --port 18411 --database "sqlite:$TMP/b.sqlite" --admin-token "$TOKEN" --egress-allow 127.0.0.0/8 \
    --workers 32 --log-level warning >"$TMP/b.log" 2>&1 & PB=$!; PIDS+=($PB)
sleep 1.5
api() { curl -sf -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' "$@"; }
endpoint() { api -X POST "http://127.0.0.1:$1/api/v1/app/b/endpoint" -d "{\"url\":\"http://127.0.0.1:$2/hook\"}" \
    | python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])'; }
for port in 18401 18411; do
    api -X POST "http://127.0.0.1:$port/api/v1/app" -d '{"name":"b","uid":"b"}' >/dev/null
    "$A/hookbird-loadgen" drive --api "http://127.0.0.1:$port" --token "$TOKEN" --app b --rate 4000 --duration 2.5 \
        --output "$TMP/drive.txt" >/dev/null
done
EA=$(endpoint 18401 18402); EB=$(endpoint 18411 18412)
SINCE=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }   # clock ticks (1/100 s)
a0=$(cpu $PA); b0=$(cpu $PB); t0=$(date +%s%N)
api -X POST "http://127.0.0.1:18401/api/v1/app/b/endpoint/$EA/replay-missing" -d "{\"since\":\"$SINCE\"}" -o /dev/null & C1=$!
api -X POST "http://127.0.0.1:18411/api/v1/app/b/endpoint/$EB/replay-missing" -d "{\"since\":\"$SINCE\"}" -o /dev/null & C2=$!
wait $C1 $C2
da=""; db=""
for _ in $(seq 1 1500); do
    if [[ -z "$da" && "$(curl -sf http://127.0.0.1:18402/count)" -ge 10000 ]]; then da=$((($(date +%s%N) - t0) / 1000000)); a1=$(cpu $PA); fi
    if [[ -z "$db" && "$(curl -sf http://127.0.0.1:18412/count)" -ge 10000 ]]; then db=$((($(date +%s%N) - t0) / 1000000)); b1=$(cpu $PB); fi
    [[ -n "$da" && -n "$db" ]] && break
    sleep 0.02
done
[[ -n "$da" && -n "$db" ]] || { echo "side-by-side.sh: FAIL: a backlog did not drain in 30 s" >&2; exit 1; }
# ticks × 10 000 µs / 10 000 deliveries = ticks µs per delivery
echo "$A: drained in ${da} ms, server CPU $((a1 - a0)) µs/delivery | $B: drained in ${db} ms, server CPU $((b1 - b0)) µs/delivery"
