#!/usr/bin/env bash
# Upstream economy: replays 1,000 dashboard requests against the gateway twice — cache off,
# then cache on (ttl 15 s) — and prints how many vendor requests each run cost, per vendor,
# and how the clients were answered.
#
# The mix (20 panels, weights from a Zipf-like popularity, replayed at 50 requests/s so a
# run lasts 20 s, longer than the cache TTL): the default all-vendor page (sizes 20 and 50),
# all-vendor pages sorted by created_at, filtered by language, channel and a start date,
# each vendor's own page, page 2 of the default page (by cursor), four get-by-id panels and
# one batch of ids. Sandboxes: 3,000 records per vendor, Salesloft's 600 points/minute
# budget switched off in the sandbox so that only the gateway's own budget limits it.
#
# usage: tests/bench/dashboard_replay.sh [REQUESTS]   (needs a Release build: deploy/build.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BUILD_DIR:-$root/build}/bin
requests=${1:-1000}
base_port=9311
gateway_port=8311
work=$(mktemp -d)
trap 'kill ${sandboxes:-} ${gateway:-} 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

"$bin/vendor-sandbox" --all --base-port $base_port --budget 0 >"$work/sandbox.log" 2>&1 &
sandboxes=$!

stats() {  # requests seen by each sandbox so far
  for i in 0 1 2 3; do
    curl -fsS "http://127.0.0.1:$((base_port + i))/__sandbox/stats" | sed 's/.*"requests":\([0-9]*\).*/\1/'
    echo
  done | paste -sd' '
}

start_gateway() {  # start_gateway TTL_MS
  sed -e "s/\"port\": 8080/\"port\": $gateway_port/" \
      -e "s/127.0.0.1:9101/127.0.0.1:$base_port/; s/127.0.0.1:9102/127.0.0.1:$((base_port + 1))/" \
      -e "s/127.0.0.1:9103/127.0.0.1:$((base_port + 2))/; s/127.0.0.1:9104/127.0.0.1:$((base_port + 3))/" \
      -e "s/\"request_deadline_ms\": 5000,/\"request_deadline_ms\": 5000, \"cache\": {\"ttl_ms\": $1},/" \
      -e 's/"level": "debug"/"level": "warn"/' \
      "$root/config/sandbox.json" >"$work/gateway.json"
  "$bin/conversation-gateway" --config "$work/gateway.json" >"$work/gateway.log" 2>&1 &
  gateway=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$gateway_port/readyz" >/dev/null 2>&1 && return
    sleep 0.1
  done
  echo "the gateway did not start" >&2
  cat "$work/gateway.log" >&2
  exit 1
}

panels() {  # one target per line; the ids and the cursor come from a first look at the data
  local g="http://127.0.0.1:$gateway_port"
  local first
  first=$(curl -fsS "$g/v1/conversations?page_size=20")
  local cursor
  cursor=$(echo "$first" | sed 's/.*"next_cursor":"\([^"]*\)".*/\1/')
  local ids
  ids=$(echo "$first" | grep -o '"id":"[a-z_]*:[^"]*"' | sed 's/"id":"\(.*\)"/\1/' | grep -v '^zild' | head -3)
  local zid=48000  # the Zild sandbox's first id
  cat <<PANELS
/v1/conversations?page_size=20
/v1/conversations?page_size=50
/v1/conversations?page_size=20&cursor=$cursor
/v1/conversations?page_size=20&sort=-created_at
/v1/conversations?page_size=20&language=en-US
/v1/conversations?page_size=20&channel=voice
/v1/conversations?page_size=20&started_after=2025-05-01T00:00:00Z
/v1/conversations?vendor=salesloft&page_size=20&sort=-created_at
/v1/conversations?vendor=salesloft&page_size=20
/v1/conversations?vendor=twilio_flex&page_size=20
/v1/conversations?vendor=twilio_insights&page_size=20
/v1/conversations?vendor=twilio_insights&page_size=20&sort=-created_at
/v1/conversations/$(echo "$ids" | sed -n 1p)
/v1/conversations/$(echo "$ids" | sed -n 2p)
/v1/conversations/$(echo "$ids" | sed -n 3p)
/v1/conversations/zild:$zid
/v1/conversations?id=$(echo "$ids" | paste -sd,),zild:$zid
/v1/conversations?page_size=10&sort=-duration_ms
/v1/conversations?page_size=20&channel=chat&sort=-created_at
/v1/conversations/zild:$((zid + 1))
PANELS
}

replay() {  # replay TTL_MS -> prints a result line
  start_gateway "$1"
  panels >"$work/panels"
  # Panel k is asked with weight 1/k (Zipf): a deterministic sequence of $requests targets.
  awk -v n="$requests" 'NR == FNR { t[++k] = $0; next } END {
      total = 0; for (i = 1; i <= k; i++) total += 1 / i
      srand(7); for (r = 0; r < n; r++) { x = rand() * total; for (i = 1; i <= k; i++) { x -= 1 / i; if (x <= 0) break }
        if (i > k) i = k; print t[i] } }' "$work/panels" /dev/null >"$work/sequence"
  local before after
  before=$(stats)
  : >"$work/codes"
  split -l 50 "$work/sequence" "$work/second."
  for batch in "$work"/second.*; do  # 50 requests a second, 16 at a time
    sed "s|^|http://127.0.0.1:$gateway_port|" "$batch" |
      xargs -P 16 -n 1 curl -s -o /dev/null -w '%{http_code}\n' >>"$work/codes" &
    sleep 1
    wait $!
  done
  rm -f "$work"/second.*
  after=$(stats)
  kill $gateway
  wait $gateway 2>/dev/null || true
  # The panel look-up above made a few vendor calls of its own before `before`; they are not counted.
  read -r -a b <<<"$before"
  read -r -a a <<<"$after"
  local total=0 per=""
  for i in 0 1 2 3; do
    per="$per $((a[i] - b[i]))"
    total=$((total + a[i] - b[i]))
  done
  printf '%-9s %8s %9s %11s %15s %4s %8s %6s %6s  %s\n' "$2" "$requests" $per "$total" \
    "$(grep -c '^200$' "$work/codes")" "$(grep -c '^429$' "$work/codes")" \
    "$(grep -v '^200$\|^429$' "$work/codes" | sort | uniq -c | awk '{printf "%s x%s ", $2, $1}')"
}

printf '%-9s %8s %9s %11s %15s %4s %8s %6s %6s  %s\n' cache client salesloft twilio_flex twilio_insights zild upstream ok_200 429 other
replay 0 off
replay 15000 on
