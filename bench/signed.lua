-- wrk script for bench/inbound.sh: sends pre-generated, pre-signed raw HTTP requests (each a Stripe event with its
-- own event id and a fresh Stripe-Signature), because wrk's LuaJIT has no HMAC. bench/inbound.sh writes one file per
-- wrk thread, BENCH_REQS.<n> (n = 1…threads), holding whole requests (request line, headers, body), each followed by
-- a NUL byte. Every thread sends its own file in order; if a thread runs out it starts over, and every request past
-- the end is counted as `wrapped` (a repeat of an event id: the server answers it as a duplicate).
--
--   BENCH_REQS=/tmp/reqs wrk -t2 -c64 -d10s -s bench/signed.lua http://127.0.0.1:18191
--
-- Response statuses are counted per thread, and so are 2xx answers whose body says "duplicate".

local prefix = os.getenv("BENCH_REQS") or error("BENCH_REQS is not set")

local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

local reqs, n, i = {}, 0, 0

function init(args)
  local id = wrk.thread:get("id")
  local f = assert(io.open(prefix .. "." .. id, "rb"))
  local data = f:read("*a")
  f:close()
  local pos = 1
  while true do
    local e = string.find(data, "\0", pos, true)
    if not e then break end
    n = n + 1
    reqs[n] = string.sub(data, pos, e - 1)
    pos = e + 1
  end
  assert(n > 0, "no requests in " .. prefix .. "." .. id)
  ok = 0        -- 2xx
  dup = 0       -- 2xx whose body says duplicate
  bad = 0       -- anything else
  wrapped = 0   -- requests sent after this thread's file ran out
  loaded = n
end

function request()
  i = i + 1
  if i > n then
    wrapped = wrapped + 1
    return reqs[(i - 1) % n + 1]
  end
  return reqs[i]
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
    if string.find(body, "duplicate", 1, true) then dup = dup + 1 end
  else
    bad = bad + 1
    if bad <= 3 then io.stderr:write("non-2xx " .. status .. ": " .. tostring(body) .. "\n") end
  end
end

function done(summary, latency, requests)
  local ok_total, dup_total, bad_total, wrapped_total, loaded_total = 0, 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    ok_total = ok_total + thread:get("ok")
    dup_total = dup_total + thread:get("dup")
    bad_total = bad_total + thread:get("bad")
    wrapped_total = wrapped_total + thread:get("wrapped")
    loaded_total = loaded_total + thread:get("loaded")
  end
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  -- One machine-readable line for inbound.sh; times in microseconds.
  io.write(string.format(
    "BENCH requests=%d ok=%d duplicates=%d non2xx=%d socket_errors=%d wrapped=%d loaded=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, ok_total, dup_total, bad_total, socket_errors, wrapped_total, loaded_total, summary.duration,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
