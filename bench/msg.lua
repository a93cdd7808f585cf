-- wrk script for bench/ingest.sh: POSTs the same 1 KiB JSON message to BENCH_PATH (default the Hookbird
-- message route) and counts response statuses per thread, so the run can be checked for non-2xx answers.
--
--   BENCH_PATH=/api/v1/app/bench/msg BENCH_TOKEN=... wrk -t2 -c64 -d10s -s bench/msg.lua http://127.0.0.1:8071
--
-- The bare ceiling (hookbird-bench, BENCH_PATH=/noop) gets byte-for-byte the same request.

local path = os.getenv("BENCH_PATH") or "/api/v1/app/bench/msg"
local token = os.getenv("BENCH_TOKEN") or "bench-token"
local size = tonumber(os.getenv("BENCH_BODY_BYTES") or "1024")

-- A webhook-like payload, padded to exactly `size` bytes of request body.
local head = '{"eventType":"bench.event","payload":{'
  .. '"type":"invoice.paid","id":"evt_2mX8fQ1vJ0aR7bL3nC5dE9gH","created":1732280000,"livemode":false,'
  .. '"data":{"object":{"id":"in_1QfZ8a2eZvKYlo2C7xk3Bq9R","amount_due":4200,"amount_paid":4200,"currency":"eur",'
  .. '"customer":{"id":"cus_R4nd0mCu5t0m3r","email":"ada@example.com","name":"Ada Lovelace"},'
  .. '"lines":[{"id":"li_1","amount":2100,"quantity":1,"description":"Pro plan (monthly)"},'
  .. '{"id":"li_2","amount":2100,"quantity":1,"description":"Extra seats x3"}],'
  .. '"metadata":{"order_id":"ord_000123","source":"web"}}},"note":"'
local tail = '"}}'
local padding = size - #head - #tail
assert(padding >= 0, "BENCH_BODY_BYTES too small for the payload skeleton")
local body = head .. string.rep("x", padding) .. tail
assert(#body == size)

wrk.method = "POST"
wrk.path = path
wrk.body = body
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer " .. token

local threads = {}
-- BENCH_IDEMPOTENCY_KEYS=1: every request carries an `Idempotency-Key` of its own (what a client retrying safely
-- sends); each is new, so every request creates a message.
local keyed = os.getenv("BENCH_IDEMPOTENCY_KEYS") == "1"

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  ok = 0      -- 2xx
  bad = 0     -- anything else
  statuses = {}
  sent = 0
  nonce = tostring(os.time()) .. "-" .. tostring(tid)
end

if keyed then
  function request()
    sent = sent + 1
    wrk.headers["idempotency-key"] = "bench-" .. nonce .. "-" .. sent
    return wrk.format()
  end
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    bad = bad + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local ok_total, bad_total, detail = 0, 0, ""
  for _, thread in ipairs(threads) do
    ok_total = ok_total + thread:get("ok")
    bad_total = bad_total + thread:get("bad")
  end
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  -- One machine-readable line for ingest.sh; times in microseconds.
  io.write(string.format(
    "BENCH requests=%d ok=%d non2xx=%d socket_errors=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d body_bytes=%d\n",
    summary.requests, ok_total, bad_total, socket_errors, summary.duration,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, #body))
end
