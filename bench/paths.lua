-- wrk script for GET lookups over many paths: each request takes a random line of a file.
-- From the environment, set by bench/scale.sh:
--   BENCH_PATHS          file with one request path (and query) per line
--   BENCH_AUTHORIZATION  the Authorization header ("Bearer ...")
--   BENCH_HOST           the Host header (default auth.localhost)
--   BENCH_EXPECT         optional: text every response body must contain; others count as mismatches
-- Prints one BENCH_RESULT line like token.lua, with mismatches=<count>.
local paths_file = os.getenv("BENCH_PATHS")
local authorization = os.getenv("BENCH_AUTHORIZATION")
local expect = os.getenv("BENCH_EXPECT")
if paths_file == nil or authorization == nil then
  error("paths.lua needs BENCH_PATHS and BENCH_AUTHORIZATION")
end

local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local paths = {}
mismatches = 0
function init(args)
  for line in io.lines(paths_file) do
    if line ~= "" then table.insert(paths, line) end
  end
  if #paths == 0 then error("paths.lua: no paths in " .. paths_file) end
  math.randomseed(os.time() * 1000 + id)
  wrk.headers["Host"] = os.getenv("BENCH_HOST") or "auth.localhost"
  wrk.headers["Authorization"] = authorization
  wrk.headers["Accept"] = "application/json"
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

if expect ~= nil and expect ~= "" then
  function response(status, headers, body)
    if status == 200 and not string.find(body, expect, 1, true) then
      mismatches = mismatches + 1
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local m = 0
  for _, thread in ipairs(threads) do m = m + (thread:get("mismatches") or 0) end
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d status_errors=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d mismatches=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout, m))
end
