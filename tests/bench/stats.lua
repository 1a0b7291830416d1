-- wrk script for tests/bench/run.sh: prints one line "BENCH_JSON {...}" with the run's figures
-- (latencies in milliseconds). wrk is closed-loop: each connection sends its next request when
-- the previous answer is in, so the percentiles are those of a saturated client, not of an
-- open-loop arrival rate (no coordinated-omission correction).
--
-- Environment:
--   BENCH_HEADER="Name: value"  one extra request header (optional)
--   BENCH_META=1                also read the gateway's meta.timing from every 200 answer and
--                               report gateway-added latency = total_ms - slowest_vendor_ms
--                               (0.1 ms resolution: the gateway rounds both to 0.1 ms)
--   BENCH_VARY=N                append &created_before=2030-01-01T00:00:00.<k>Z, k one of N (<= 1000)
--                               values: the same records, but distinct vendor requests, so the gateway
--                               cannot share one vendor call between concurrent requests (Flex
--                               Insights takes no such filter)
--   BENCH_PATHS=FILE            request the paths of FILE (one a line) instead of the URL's own
--                               (nginx asked the vendor requests the gateway makes for BENCH_VARY)
--   BENCH_THREADS=T             wrk's thread count, for the rotation below
-- With BENCH_VARY or BENCH_PATHS, thread t of T asks variants t, t+T, t+2T, ... (mod N): requests in
-- flight at once are distinct whenever N is at least the connection count, and N primed answers
-- keep the memoizing sandboxes out of the measurement.

local header = os.getenv("BENCH_HEADER")
if header and header ~= "" then
  local name, value = header:match("^([^:]+):%s*(.*)$")
  if name then wrk.headers[name] = value end
end

local with_meta = os.getenv("BENCH_META") == "1"
local vary = math.min(tonumber(os.getenv("BENCH_VARY") or "0") or 0, 1000)
local paths_file = os.getenv("BENCH_PATHS") or ""
local step = tonumber(os.getenv("BENCH_THREADS") or "1") or 1
local paths = nil
if paths_file ~= "" then
  paths = {}
  for line in io.lines(paths_file) do
    if line ~= "" then table.insert(paths, line) end
  end
  if #paths == 0 then error("BENCH_PATHS " .. paths_file .. " holds no path") end
end
local variants = paths and #paths or vary
local next_k = 0

if variants > 0 then
  function request()
    local k = next_k
    next_k = (next_k + step) % variants
    if paths then return wrk.format(nil, paths[k + 1]) end
    return wrk.format(nil, wrk.path .. string.format("&created_before=2030-01-01T00:00:00.%03dZ", k))
  end
end
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  if variants > 0 then next_k = (tid or 0) % variants end
  added = {}       -- tenths of a millisecond -> count; per thread, merged in done()
  added_n = 0
  cache_hits = 0   -- answers whose meta says a vendor part came from the cache
  meta_missing = 0 -- 200 answers without meta.timing
end

if with_meta then
  function response(status, headers, body)
    if status ~= 200 then return end
    -- meta.timing is the answer's last member: read only the tail, so that this client's CPU
    -- (shared with the gateway on a small machine) stays small next to the gateway's.
    local tail = body:sub(-256)
    -- Boost.JSON writes doubles as 4.6E0 or 5E-1.
    local total = tonumber(tail:match('"total_ms":(%-?[%d%.]+[eE]?[%+%-]?%d*)') or "")
    local slowest = tonumber(tail:match('"slowest_vendor_ms":(%-?[%d%.]+[eE]?[%+%-]?%d*)') or "")
    if not total or not slowest then
      meta_missing = meta_missing + 1
      return
    end
    local k = math.floor((total - slowest) * 10 + 0.5)
    if k < 0 then k = 0 end
    added[k] = (added[k] or 0) + 1
    added_n = added_n + 1
  end
end

-- Percentile p (0..100) of a {tenths -> count} histogram, in milliseconds.
local function percentile(hist, n, p)
  if n == 0 then return nil end
  local keys = {}
  for k in pairs(hist) do table.insert(keys, k) end
  table.sort(keys)
  local rank = math.max(1, math.ceil(n * p / 100))
  local seen = 0
  for _, k in ipairs(keys) do
    seen = seen + hist[k]
    if seen >= rank then return k / 10 end
  end
  return keys[#keys] / 10
end

local function num(x)
  if x == nil then return "null" end
  return string.format("%.3f", x)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local parts = {
    string.format('"requests":%d', summary.requests),
    string.format('"duration_s":%.3f', seconds),
    string.format('"rps":%.1f', summary.requests / seconds),
    string.format('"bytes":%d', summary.bytes),
    string.format('"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}',
                  e.connect, e.read, e.write, e.status, e.timeout),
    string.format('"latency_ms":{"mean":%s,"p50":%s,"p90":%s,"p99":%s,"p99_9":%s,"max":%s}',
                  num(latency.mean / 1000), num(latency:percentile(50) / 1000),
                  num(latency:percentile(90) / 1000), num(latency:percentile(99) / 1000),
                  num(latency:percentile(99.9) / 1000), num(latency.max / 1000)),
  }
  if with_meta then
    local hist, n, missing = {}, 0, 0
    for _, t in ipairs(threads) do
      for k, c in pairs(t:get("added")) do hist[k] = (hist[k] or 0) + c end
      n = n + t:get("added_n")
      missing = missing + t:get("meta_missing")
    end
    table.insert(parts, string.format(
      '"gateway_added_ms":{"samples":%d,"meta_missing":%d,"p50":%s,"p90":%s,"p99":%s,"p99_9":%s,"max":%s}',
      n, missing, num(percentile(hist, n, 50)), num(percentile(hist, n, 90)), num(percentile(hist, n, 99)),
      num(percentile(hist, n, 99.9)), num(percentile(hist, n, 100))))
  end
  io.write("BENCH_JSON {" .. table.concat(parts, ",") .. "}\n")
end
