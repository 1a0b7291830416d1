#!/usr/bin/env bash
# The gateway's benchmark, side by side with nginx as a reference, in one run:
#
#   tests/bench/run.sh [--quick] [--soak MINUTES]
#
# Installs wrk, nginx and python3 with apt-get when missing, builds a Release binary into
# build-bench/, starts the four vendor sandboxes (answers memoized, so they are not the
# bottleneck), the gateway and nginx on 127.0.0.1, and runs five scenarios:
#   1 proxy overhead   one Salesloft page of 50 through the gateway vs nginx proxy_pass, identical
#                      queries and distinct ones (each its own vendor call; nginx asked the same
#                      distinct vendor requests), cache off
#   2 fan-out          all-vendor page of 50, each sandbox adding 50 ms
#   3 throughput       all-vendor page of 50 at 1/16/64/256 connections, gateway-added latency;
#                      a Flex scan page (1,000 records read)
#   4 cache hits       as 3 with the gateway's cache on, and page 2 of the Flex scan by its cursor
#                      (skipped when the build has no cache keys)
#   5 memory           gateway VmRSS idle, with 1,000 idle keep-alive connections, after each
#                      scenario, and before/after a soak of MINUTES with --soak
# Prints one table per scenario, then a summary of issue 17's figures (figure | gateway |
# reference | ratio | target | met?), and writes scenarioN.json and summary.json into
# build-bench/bench-results/ (BENCH_RESULTS overrides). Each wrk run: 2 threads, a warm-up,
# then 10 s measured (--quick: 1 s and 5 s).
#
# Environment: BENCH_PORT (default 19100; sandboxes +1..+4, gateway +80, nginx +90),
# BENCH_RECORDS (records per sandbox, default 1000), BENCH_SKIP_BUILD=1, BENCH_LOG_LEVEL (warn).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/bench

quick=0
soak_min=0
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --soak) soak_min=${2:?--soak needs MINUTES}; shift ;;
    -h | --help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$quick" = 1 ]; then warmup=1 duration=5; else warmup=2 duration=10; fi

# --- tools ------------------------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v python3 >/dev/null || missing+=(python3)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

# --- build ------------------------------------------------------------------------------------
build=$root/build-bench
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  echo "== building Release into $build"
  "$root/deploy/install-deps.sh" >/dev/null
  # The benchmark needs two programs; when something else in the tree does not build (tests in
  # progress), build just those two rather than give up.
  if ! BUILD_DIR=$build "$root/deploy/build.sh" -DCMAKE_BUILD_TYPE=Release; then
    echo "run.sh: the full build failed; building only conversation-gateway and vendor-sandbox" >&2
    cmake --build "$build" -j"$(nproc)" --target conversation-gateway vendor-sandbox
  fi
fi
bin=$build/bin
results=${BENCH_RESULTS:-$build/bench-results}
mkdir -p "$results"
rm -f "$results"/*.json  # one run's files only
tmp=$(mktemp -d /tmp/cgw-bench.XXXXXX)
raw=$tmp/raw
mkdir -p "$raw"

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

port=${BENCH_PORT:-19100}
sandbox_base=$((port + 1))
sandbox_ports="$sandbox_base,$((port + 2)),$((port + 3)),$((port + 4))"
gw_port=$((port + 80))
nginx_port=$((port + 90))
records=${BENCH_RECORDS:-1000}

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() {  # URL: up to 10 s
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "run.sh: $1 does not answer" >&2
  return 1
}

# --- sandboxes ----------------------------------------------------------------------------------
# --budget 0: no per-minute vendor budget (it would 429 a benchmark); --memoize: the answer to an
# identical vendor request is computed once and replayed, so the sandbox costs next to nothing.
"$bin/vendor-sandbox" --all --base-port "$sandbox_base" --records "$records" --budget 0 --memoize \
  >"$tmp/sandbox.log" 2>&1 &
sandbox_pid=$!
pids+=("$sandbox_pid")
for p in ${sandbox_ports//,/ }; do wait_http "http://127.0.0.1:$p/__sandbox/stats"; done

set_latency() {  # MS on every sandbox (the whole fault menu is replaced)
  for p in ${sandbox_ports//,/ }; do
    curl -fsS -X POST -d "{\"latency_ms\": $1}" "http://127.0.0.1:$p/__sandbox/faults"
  done
}

# --- gateway ------------------------------------------------------------------------------------
# config/sandbox.json with our ports, quiet logs and the cache as asked: CACHE_TTL_MS "" leaves
# the key out (a build without the cache keys rejects it). UNLIMITED 1 switches off the gateway's
# own per-account vendor limits (rate_limit points 0, max_concurrency 0): the sandboxes run with
# --budget 0, and a benchmark of the gateway must not measure Salesloft's 600 points a minute.
# ADMISSION 1 raises server.max_connections_per_ip (default 256) above the 1,000 idle connections
# and wrk's, which all come from 127.0.0.1.
write_config() {  # FILE CACHE_TTL_MS UNLIMITED ADMISSION
  python3 - "$root/config/sandbox.json" "$1" "$gw_port" "$sandbox_base" "${BENCH_LOG_LEVEL:-warn}" "$2" "$3" "$4" <<'PY'
import json, sys
src, dst, gw_port, base, level, ttl, unlimited, admission = sys.argv[1:9]
c = json.load(open(src))
c["listen"] = {"address": "127.0.0.1", "port": int(gw_port)}
c["logging"] = {"level": level, "format": "text"}
offsets = {"salesloft": 0, "twilio_flex_insights": 1, "twilio_insights_v3": 2, "zild": 3}
for v in c["vendors"].values():
    v["base_url"] = f"http://127.0.0.1:{int(base) + offsets[v['type']]}"
    if unlimited == "1":
        v["rate_limit"] = {"points": 0}
        v["max_concurrency"] = 0
if admission == "1":
    c.setdefault("server", {})["max_connections_per_ip"] = 4096
if ttl != "":
    c["cache"] = {"ttl_ms": int(ttl), "max_bytes": 33554432}
json.dump(c, open(dst, "w"), indent=1)
PY
}
accepted() { "$bin/conversation-gateway" --check-config "$1" >/dev/null 2>&1; }

cache_supported=0 unlimited=0 admission=0
write_config "$tmp/probe.json" "" 0 1
accepted "$tmp/probe.json" && admission=1
write_config "$tmp/probe.json" "" 1 "$admission"
accepted "$tmp/probe.json" && unlimited=1
write_config "$tmp/probe.json" 0 "$unlimited" "$admission"
accepted "$tmp/probe.json" && cache_supported=1
if [ $cache_supported = 1 ]; then
  write_config "$tmp/gateway.json" 0 "$unlimited" "$admission"          # cache off for scenarios 1-3 and 5
  write_config "$tmp/gateway-cache.json" 15000 "$unlimited" "$admission"
else
  write_config "$tmp/gateway.json" "" "$unlimited" "$admission"         # no cache in this build
fi
"$bin/conversation-gateway" --check-config "$tmp/gateway.json" >/dev/null

gw_pid=
start_gateway() {  # CONFIG
  "$bin/conversation-gateway" --config "$1" >>"$tmp/gateway.log" 2>&1 &
  gw_pid=$!
  pids+=("$gw_pid")
  wait_http "http://127.0.0.1:$gw_port/readyz"
}
stop_gateway() {
  kill "$gw_pid"
  wait "$gw_pid" 2>/dev/null || true
}
start_gateway "$tmp/gateway.json"
gw=http://127.0.0.1:$gw_port

# --- the requests -------------------------------------------------------------------------------
# A single-vendor page of 50 that is one vendor call: sort=-created_at, an order Salesloft serves
# natively (the default -started_at is a scan of every Salesloft page).
single_q='vendor=salesloft&page_size=50&sort=-created_at'
# All vendors, same sort: Salesloft and Twilio Insights v3 serve it natively (one call each).
# No Flex Insights record has created_at, so Flex only holds the null tail of this order and is
# not called while the others fill the page. Zild cannot list and is marked unsupported.
all_q='page_size=50&sort=-created_at'
# A page that needs the Flex scan (no native order: read, map and sort every record it has; with
# BENCH_RECORDS <= 1000, its page size, one call): what an all-vendor page costs when Flex is in it.
scan_q='page_size=50&sort=-started_at&vendor=twilio_flex'

# Distinct queries: this many created_before variants (same records), at least the connection
# count so that no two requests in flight are the same query (stats.lua rotates through them).
variants=1000
python3 "$here/bench.py" targets --url "$gw/v1/conversations?$single_q" --out "$tmp/single_target.txt"
upstream_target=$(cat "$tmp/single_target.txt")
# What the gateway asks Salesloft for each variant, for nginx to ask the same.
python3 "$here/bench.py" targets --url "$gw/v1/conversations?$single_q" --vary "$variants" --out "$tmp/distinct_targets.txt"
vendors_called=$(curl -fsS "$gw/v1/conversations?$all_q" | python3 -c '
import json, sys
v = json.load(sys.stdin)["meta"]["vendors"]
print(sum(1 for x in v.values() if x.get("upstream_requests", 0) > 0))')

revision="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo ' + uncommitted changes')"
machine="$(nproc) cores, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
python3 - "$raw/meta.json" "$machine" "$vendors_called" "$upstream_target" "$quick" "$revision" "$cache_supported" "$unlimited" <<'PY'
import json, os, sys
out, machine, n, target, quick, revision, cache, unlimited = sys.argv[1:9]
json.dump({"machine": machine, "load_average_at_start": os.getloadavg(), "revision": revision,
           "cache_keys": cache == "1", "vendor_limits_off": unlimited == "1",
           "vendors_called": int(n), "salesloft_target": target, "quick": quick == "1"}, open(out, "w"))
PY

# --- nginx --------------------------------------------------------------------------------------
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx/nginx.conf" <<NGINX
worker_processes auto;   # one per core, as the gateway's server.threads 0
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;        # the gateway runs with logging.level ${BENCH_LOG_LEVEL:-warn}: no access lines either
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  upstream salesloft {
    server 127.0.0.1:$sandbox_base;
    keepalive 64;
  }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://salesloft;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer sandbox-salesloft-token";
      proxy_buffers 16 64k;
    }
  }
}
NGINX
"$nginx_bin" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" 2>>"$tmp/nginx/error.log" &
nginx_pid=$!
pids+=("$nginx_pid")
wait_http "http://127.0.0.1:$nginx_port$upstream_target"

# --- helpers ------------------------------------------------------------------------------------
measure() {  # NAME URL CONNECTIONS PIDS [--meta]
  python3 "$here/bench.py" measure --name "$1" --url "$2" --connections "$3" --pids "$4" \
    --sandbox-ports "$sandbox_ports" --metrics "$gw/metrics" --warmup "$warmup" --duration "$duration" --out "$raw/$1.json" "${@:5}"
}
memory_samples=()
sample_rss() {  # WHEN [DETAIL]
  memory_samples+=("$(python3 "$here/bench.py" rss "$gw_pid" | python3 -c '
import json, sys
d = json.load(sys.stdin); d["when"] = sys.argv[1]; d["detail"] = sys.argv[2]; print(json.dumps(d))' "$1" "${2:-}")")
}
report() {  # SCENARIO NOTE
  echo
  python3 "$here/bench.py" report --scenario "$1" --raw "$raw" --out "$results/scenario$1.json" --note "$2"
}
gwp="gateway=$gw_pid,sandboxes=$sandbox_pid"

echo
echo "== gateway pid $gw_pid on :$gw_port, nginx pid $nginx_pid on :$nginx_port, sandboxes pid $sandbox_pid on :$sandbox_base-$((sandbox_base + 3)) ($records records each, memoized)"
echo "== cache keys supported by this build: $([ $cache_supported = 1 ] && echo "yes (off for 1-3, 5)" || echo no);" \
  "per-account vendor limits: $([ $unlimited = 1 ] && echo "switched off (rate_limit.points 0, max_concurrency 0)" || echo "not configurable in this build")"
echo "== revision $revision; $machine; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== wrk: 2 threads, ${warmup}s warm-up + ${duration}s measured per run"
sample_rss "idle after start"

# --- 5a: idle keep-alive connections (first, on a fresh process) --------------------------------
# First with a trivial request (what a connection itself costs), then with an all-vendor page of
# 50 each (what the requests leave behind: buffers, and the allocator's retained heap).
idle_round=0
idle_conns() {  # PATH LABEL
  idle_round=$((idle_round + 1))
  local out=$tmp/idle$idle_round.out
  : >"$out"
  python3 "$here/bench.py" idle --port "$gw_port" --count 1000 --path "$1" >"$out" &
  local idle_pid=$!
  pids+=("$idle_pid")
  until grep -q '^ready' "$out"; do
    kill -0 "$idle_pid" 2>/dev/null || { echo "run.sh: the idle-connection client failed" >&2; exit 1; }
    sleep 0.2
  done
  sample_rss "1000 idle keep-alive conns, $2" "$(cat "$out")"
  kill "$idle_pid"
  wait "$idle_pid" 2>/dev/null || true
  sleep 1
  sample_rss "after those 1000 conns closed"
}
idle_conns /healthz "one GET /healthz each"
idle_conns "/v1/conversations?$all_q" "one all-vendor page of 50 each"

# --- 1: proxy overhead --------------------------------------------------------------------------
measure s1_gateway "$gw/v1/conversations?$single_q" 64 "$gwp"
measure s1_gateway_distinct "$gw/v1/conversations?$single_q" 64 "$gwp" --vary "$variants"
measure s1_nginx "http://127.0.0.1:$nginx_port$upstream_target" 64 "nginx=$nginx_pid,sandboxes=$sandbox_pid"
measure s1_nginx_distinct "http://127.0.0.1:$nginx_port$upstream_target" 64 "nginx=$nginx_pid,sandboxes=$sandbox_pid" \
  --paths "$tmp/distinct_targets.txt"
sample_rss "after scenario 1"
report 1 "single-vendor page: GET /v1/conversations?$single_q (sort=-created_at: one Salesloft call, served natively);
nginx proxies the request the gateway makes (from explain=true) to the same sandbox, upstream keepalive 64; cache off.
vendor calls/req < 1: the gateway made one vendor call for several identical requests in flight."

# --- 2: fan-out ---------------------------------------------------------------------------------
set_latency 50
measure s2_c1 "$gw/v1/conversations?$all_q" 1 "$gwp" --meta
measure s2_c16 "$gw/v1/conversations?$all_q" 16 "$gwp" --meta
measure s2_scan_c1 "$gw/v1/conversations?$scan_q" 1 "$gwp" --meta --label "twilio_flex scan"
# The slowest vendor as a client sees it without the gateway: the Salesloft page, through nginx.
measure s2_vendor_c1 "http://127.0.0.1:$nginx_port$upstream_target" 1 "nginx=$nginx_pid,sandboxes=$sandbox_pid" \
  --label "salesloft via nginx"
set_latency 0
sample_rss "after scenario 2"
report 2 "all: $vendors_called vendors are called (zild cannot list; Flex's records have no created_at and come after
this page); limit = one vendor's 50 ms, serial = the sum of the calls. twilio_flex scan: one 1,000-record answer read whole.
salesloft via nginx: one vendor's page with its 50 ms, without the gateway (the target is its p50 + 0.5 ms)."

# --- 3: throughput ------------------------------------------------------------------------------
for c in 1 16 64 256; do
  measure "s3_c$c" "$gw/v1/conversations?$all_q" "$c" "$gwp" --meta
done
measure s3_scan_c64 "$gw/v1/conversations?$scan_q" 64 "$gwp" --meta --label "twilio_flex scan"
sample_rss "after scenario 3"
report 3 "gw-added = meta.timing.total_ms - meta.timing.slowest_vendor_ms of every answer (0.1 ms steps); a vendor's
time includes its adapter's parsing and mapping. Identical queries: vendor calls/req below the vendors called means shared calls."

# --- 4: cache hits ------------------------------------------------------------------------------
if [ $cache_supported = 1 ]; then
  stop_gateway
  start_gateway "$tmp/gateway-cache.json"
  gwp="gateway=$gw_pid,sandboxes=$sandbox_pid"
  for c in 1 16 64 256; do
    measure "s4_c$c" "$gw/v1/conversations?$all_q" "$c" "$gwp" --meta
  done
  measure s4_scan_c64 "$gw/v1/conversations?$scan_q" 64 "$gwp" --meta --label "twilio_flex scan"
  # Pages 2..n of one scan: page 1's next_cursor, fetched once; every request then asks page 2.
  cursor=$(curl -fsS "$gw/v1/conversations?$scan_q" | python3 -c 'import json, sys; print(json.load(sys.stdin)["meta"]["next_cursor"] or "")')
  if [ -n "$cursor" ]; then
    measure s4_scan_page2_c64 "$gw/v1/conversations?$scan_q&cursor=$cursor" 64 "$gwp" --meta --label "twilio_flex scan page 2"
  else
    echo "run.sh: the Flex scan's page 1 has no next_cursor (BENCH_RECORDS $records <= 50?): page 2 not measured" >&2
  fi
  sample_rss "after scenario 4 (cache on, new process)"
  report 4 "cache ttl_ms 15000, max_bytes 32 MiB; identical queries, so after the warm-up every vendor part is a hit.
twilio_flex scan page 2: page 1's next_cursor, fetched once, then every request asks that same page 2."
  stop_gateway
  start_gateway "$tmp/gateway.json"
  gwp="gateway=$gw_pid,sandboxes=$sandbox_pid"
else
  echo
  echo "Scenario 4 (cache hits) skipped: this build rejects the top-level \"cache\" key (conversation-gateway --check-config fails)."
fi

# --- 5b: soak -----------------------------------------------------------------------------------
# In segments, with VmRSS after each: flat from the second segment on means no growth per request.
if [ "$soak_min" -gt 0 ]; then
  segments=$((soak_min < 4 ? 4 : soak_min))
  segment_s=$((soak_min * 60 / segments))
  for i in $(seq 1 "$segments"); do
    python3 "$here/bench.py" measure --name "s5_soak_$i" --url "$gw/v1/conversations?$all_q" --connections 64 \
      --pids "$gwp" --sandbox-ports "$sandbox_ports" --metrics "$gw/metrics" --warmup "$([ "$i" = 1 ] && echo "$warmup" || echo 0)" \
      --duration "$segment_s" --out "$raw/s5_soak_$i.json" --meta
    sample_rss "soak segment $i/$segments done ($((i * segment_s)) s, 64 conns)"
  done
fi
printf '%s\n' "${memory_samples[@]}" | python3 -c 'import json, sys; json.dump([json.loads(l) for l in sys.stdin], open(sys.argv[1], "w"), indent=1)' "$raw/s5_memory.json"
report 5 "VmRSS/VmHWM from /proc/<pid>/status; scenario 4 (if run) used a fresh gateway process."

echo
echo "== summary: issue 17's figures, side by side with nginx in this run"
python3 "$here/bench.py" summary --raw "$raw" --out "$results/summary.json"

cp "$raw"/*.json "$results/" 2>/dev/null || true
echo
echo "== results: $results (scenarioN.json, summary.json; raw wrk runs beside them)"
