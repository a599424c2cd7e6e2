-- wrk script for bench/run.sh: one request shape per run, set from the environment.
--   BENCH_METHOD         POST (default) or GET
--   BENCH_AUTHORIZATION  the Authorization header ("Basic ..." or "Bearer ..."); none if unset
--   BENCH_BODY           the form body of a POST (grant_type=...)
--   BENCH_HOST           the Host header (unset: wrk's default, the URL's host and port)
--   BENCH_TOKENS_FILE    rotating refresh: a file of refresh tokens, one per line (first field). Each
--                        thread holds its share as a pool; request() takes one and sends
--                        BENCH_BODY .. token, response() puts the refresh_token of the answer back.
--   BENCH_THREADS        wrk's -t, to share the tokens out (with BENCH_TOKENS_FILE)
--   BENCH_RATE_PER_THREAD  paced run: requests per second per thread (unset: as fast as answers come)
local method = os.getenv("BENCH_METHOD") or "POST"
local authorization = os.getenv("BENCH_AUTHORIZATION")
local body = os.getenv("BENCH_BODY")
local host = os.getenv("BENCH_HOST")
local tokens_file = os.getenv("BENCH_TOKENS_FILE")
local rate = tonumber(os.getenv("BENCH_RATE_PER_THREAD") or "")
if method == "POST" and body == nil then
  error("token.lua needs BENCH_BODY for a POST")
end

wrk.method = method
if method == "POST" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end
if host ~= nil and host ~= "" then wrk.headers["Host"] = host end
if authorization ~= nil and authorization ~= "" then wrk.headers["Authorization"] = authorization end
wrk.headers["Accept"] = "application/json"

-- Rotating refresh tokens ---------------------------------------------------------------------
local all_tokens = nil
local thread_count = 0
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")

function setup(thread)
  if tokens_file == nil then return end
  if all_tokens == nil then
    all_tokens = {}
    for line in io.lines(tokens_file) do
      local t = line:match("^(%S+)")
      if t then all_tokens[#all_tokens + 1] = t end
    end
  end
  local mine = {}
  for i = thread_count + 1, #all_tokens, nthreads do mine[#mine + 1] = all_tokens[i] end
  thread_count = thread_count + 1
  thread:set("tokens", table.concat(mine, "\n"))
end

local pool = nil
local lost = 0

function init(args)
  if tokens_file == nil then return end
  pool = {}
  for t in string.gmatch(tokens or "", "%S+") do pool[#pool + 1] = t end
end

if tokens_file ~= nil then
  function request()
    local t = table.remove(pool)
    if t == nil then
      -- Only when answers without a new token drained the pool; those already count as errors.
      error("token pool empty")
    end
    return wrk.format(nil, nil, nil, body .. t)
  end

  function response(status, headers, resp_body)
    local t = resp_body:match('"refresh_token"%s*:%s*"([^"]+)"')
    if t then pool[#pool + 1] = t else lost = lost + 1 end
  end
end

-- Pacing --------------------------------------------------------------------------------------
-- A fixed rate per thread: each request takes the next free slot on the thread's schedule (1/rate
-- apart), waiting for it with delay(). It paces sends, not arrivals of a real open-loop load: when all
-- the thread's connections wait on answers, slots slip and are not made up, and latency counts from
-- the actual send (coordinated omission), so the achieved rate is printed and compared by run.sh.
if rate ~= nil and rate > 0 then
  local ffi = require("ffi")
  ffi.cdef[[
    typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
    int clock_gettime(int clk_id, bench_timespec *tp);
  ]]
  local ts = ffi.new("bench_timespec")
  local function now_ms()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  local interval = 1000 / rate
  local next_slot = nil

  function delay()
    local now = now_ms()
    if next_slot == nil or next_slot < now then next_slot = now end
    local wait = next_slot - now
    next_slot = next_slot + interval
    return math.floor(wait)
  end
end

-- One machine-readable line for run.sh, next to wrk's own report. Latency is in microseconds;
-- errors.status counts responses with a status of 400 or more (wrk's "Non-2xx or 3xx" line).
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d status_errors=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
