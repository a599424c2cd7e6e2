-- wrk script for Lanyard's token endpoint: one fixed, form-encoded POST per request.
-- Everything request-specific comes from the environment, set by bench/run.sh:
--   BENCH_AUTHORIZATION  the Authorization header ("Basic base64(id:secret)")
--   BENCH_BODY           the form body (grant_type=...)
--   BENCH_HOST           the Host header (default auth.localhost; wrk connects to the URL's address)
local authorization = os.getenv("BENCH_AUTHORIZATION")
local body = os.getenv("BENCH_BODY")
if authorization == nil or body == nil then
  error("token.lua needs BENCH_AUTHORIZATION and BENCH_BODY")
end

wrk.method = "POST"
wrk.body = body
wrk.headers["Host"] = os.getenv("BENCH_HOST") or "auth.localhost"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = authorization
wrk.headers["Accept"] = "application/json"

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
