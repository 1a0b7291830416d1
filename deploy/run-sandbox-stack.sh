#!/usr/bin/env bash
# Command 1: install what is missing, build, start the four vendor sandboxes and the
# gateway on loopback, and print a working curl line. Ctrl-C stops everything.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/deploy/install-deps.sh"
"$root/deploy/build.sh"
bin=${BUILD_DIR:-$root/build}/bin

"$bin/vendor-sandbox" --all --base-port 9101 &
sandboxes=$!
trap 'kill $sandboxes ${gateway:-} 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
"$bin/conversation-gateway" --check-config "$root/config/sandbox.json"
"$bin/conversation-gateway" --config "$root/config/sandbox.json" &
gateway=$!
for _ in $(seq 1 50); do
  curl -fsS http://127.0.0.1:8080/readyz >/dev/null 2>&1 && break
  sleep 0.1
done
cat <<MSG

The gateway listens on http://127.0.0.1:8080 in front of the local sandboxes. Try:

  curl -s 'http://127.0.0.1:8080/v1/conversations?vendor=salesloft&page_size=3&language=en-US'

Ctrl-C stops the gateway and the sandboxes.
MSG
wait $gateway
