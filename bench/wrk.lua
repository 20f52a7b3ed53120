-- wrk script of bench/run.sh. Request from the environment:
--   BENCH_AUTH       Authorization header value (optional)
--   BENCH_BODY_FILE  JSON body to POST (optional; without it the request is a GET)
-- done() prints one line run.sh parses. "status_errors" is wrk's own count of responses with status >= 400
-- (what wrk reports as "Non-2xx or 3xx responses"); counting in a response() callback would slow wrk down.
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then
  wrk.headers["Authorization"] = auth
end

local body_file = os.getenv("BENCH_BODY_FILE")
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.method = "POST"
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "application/json"
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f status_errors=%d socket_errors=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
