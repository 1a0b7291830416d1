#!/usr/bin/env bash
# The fleet's throughput: one replica against two behind haproxy, both sharing one Redis, side by
# side in one run (issue 16). Every request is one Salesloft page of 50 from the sandbox (answers
# memoized, so it is not the bottleneck), the cache off and a budget so large it never refuses:
# each vendor call pays the shared budget's reserve and settle in Redis. Prints one table.
#
#   tests/bench/fleet.sh [--quick]
#
# Installs wrk, haproxy and redis-server when missing, builds Release into build-bench/ (unless
# BENCH_SKIP_BUILD=1), starts everything on 127.0.0.1 and stops it on exit. Each replica runs one
# io thread, so "two replicas" has twice the gateway's threads of "one".
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
quick=0
[ "${1:-}" = --quick ] && quick=1
if [ "$quick" = 1 ]; then duration=5; else duration=10; fi

missing=()
for tool in wrk haproxy redis-server curl; do command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || [ -x "/usr/bin/$tool" ] || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
haproxy_bin=$(command -v haproxy || echo /usr/sbin/haproxy)

build=${BUILD_DIR:-$root/build-bench}
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  "$root/deploy/install-deps.sh" >/dev/null
  BUILD_DIR=$build "$root/deploy/build.sh" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
bin=$build/bin
tmp=$(mktemp -d /tmp/cgw-fleet-bench.XXXXXX)
pids=()
stop() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap stop EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 100); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "fleet.sh: $1 never answered" >&2; exit 1; }

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --logfile "$tmp/redis.log" &
pids+=($!)
sandbox_base=$(free_port)
"$bin/vendor-sandbox" --all --address 127.0.0.1 --base-port "$sandbox_base" --budget 0 --memoize >"$tmp/sandbox.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$sandbox_base/__sandbox/stats"

replica() {  # replica PORT: one gateway of the fleet
  cat >"$tmp/replica-$1.json" <<JSON
{"listen": {"address": "127.0.0.1", "port": $1}, "cursor_secret": "fleet-benchmark-cursor-secret-0123456789",
 "cache": {"ttl_ms": 0}, "server": {"threads": 1}, "logging": {"level": "warn"},
 "shared_state": {"redis": {"url": "redis://127.0.0.1:$redis_port", "timeout_ms": 50}, "expected_replicas": 2},
 "vendors": {"salesloft": {"type": "salesloft", "base_url": "http://127.0.0.1:$sandbox_base",
   "auth": {"bearer_token": "sandbox-salesloft-token"}, "rate_limit": {"points": 1000000000, "per_s": 60}}}}
JSON
  "$bin/conversation-gateway" --config "$tmp/replica-$1.json" 2>"$tmp/replica-$1.log" &
  pids+=($!)
  wait_http "http://127.0.0.1:$1/readyz"
}
balancer() {  # balancer PORT REPLICA_PORT...: haproxy, round robin
  local port=$1
  shift
  { printf 'global\n  maxconn 4096\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n'
    printf 'frontend fleet\n  bind 127.0.0.1:%s\n  default_backend replicas\nbackend replicas\n  balance roundrobin\n  http-reuse always\n' "$port"
    for r in "$@"; do printf '  server r%s 127.0.0.1:%s\n' "$r" "$r"; done; } >"$tmp/haproxy-$port.cfg"
  "$haproxy_bin" -f "$tmp/haproxy-$port.cfg" -db >"$tmp/haproxy-$port.log" 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$port/readyz"
}

r1=$(free_port); replica "$r1"
r2=$(free_port); replica "$r2"
lb1=$(free_port); balancer "$lb1" "$r1"
lb2=$(free_port); balancer "$lb2" "$r1" "$r2"

path='/v1/conversations?vendor=salesloft&sort=-created_at&page_size=50'
run() {  # run NAME URL: one wrk measurement, printed as a table row
  wrk -t2 -c16 -d1s "$2$path" >/dev/null  # warm-up
  local out
  out=$(wrk -t2 -c64 -d"${duration}s" --latency "$2$path")
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  printf '| %s | %s | %s | %s | %s |\n' "$1" "$rps" "$p50" "$p99" "${errors:-0}"
}
echo "fleet throughput: one Salesloft page of 50 per request, cache off, every call through the shared budget in Redis; wrk 64 connections, ${duration} s"
echo
echo "| target | req/s | p50 | p99 | non-2xx |"
echo "| --- | --- | --- | --- | --- |"
run "one replica, direct" "http://127.0.0.1:$r1"
run "one replica behind haproxy" "http://127.0.0.1:$lb1"
run "two replicas behind haproxy" "http://127.0.0.1:$lb2"
echo
echo "machine: $(nproc) cores; redis, the sandboxes, haproxy and wrk share them with the replicas"
