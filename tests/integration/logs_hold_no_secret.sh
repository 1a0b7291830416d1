#!/usr/bin/env bash
# Runs the whole integration suite with every in-process gateway logging at debug level, then
# fails if any configured secret appears in what was logged: each vendor token and password
# of the test configurations (and its HTTP Basic form), the cursor secrets, the client keys.
# (The Program.* tests run the real binary with logs on their own pipes; they are left out.)
# usage: logs_hold_no_secret.sh INTEGRATION_TESTS_BINARY SOURCE_DIR
set -euo pipefail
binary=$1
src=$2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! CGW_TEST_LOG_LEVEL=debug "$binary" --gtest_filter='-Program.*' >"$log" 2>&1; then
  grep -v '"logger"' "$log" | grep -E -A8 'Failure|FAILED' | head -80
  echo "logs_hold_no_secret: the integration suite failed"
  exit 1
fi
grep -q '"logger":"access"' "$log" || { echo "logs_hold_no_secret: nothing was logged, so nothing was checked"; exit 1; }

sources=("$src"/tests/integration/*.cpp "$src"/config/*.json)
mapfile -t secrets < <(
  grep -ohE '"(bearer_token|password|cursor_secret)": *"[^"$]{6,}"' "${sources[@]}" | sed -E 's/.*: *"([^"]+)"$/\1/'
  grep -ohE 'const std::string key = "[^"]+"' "${sources[@]}" | sed -E 's/.*"([^"]+)"$/\1/'
)
mapfile -t users < <(grep -ohE '"username": *"[^"$]+"' "${sources[@]}" | sed -E 's/.*: *"([^"]+)"$/\1/' | sort -u)
for p in "${secrets[@]}"; do
  for u in "${users[@]}"; do secrets+=("$(printf '%s:%s' "$u" "$p" | base64 -w0)"); done
done
[ "${#secrets[@]}" -gt 10 ] || { echo "logs_hold_no_secret: found only ${#secrets[@]} secrets in the sources"; exit 1; }

leaks=0
for s in $(printf '%s\n' "${secrets[@]}" | sort -u); do
  if grep -qF -- "$s" "$log"; then
    echo "logs_hold_no_secret: a secret appears in the logs, first on line $(grep -nF -- "$s" "$log" | head -1 | cut -d: -f1)"
    leaks=$((leaks + 1))
  fi
done
echo "logs_hold_no_secret: $(printf '%s\n' "${secrets[@]}" | sort -u | wc -l) secrets checked over $(wc -l <"$log") log lines; $leaks leaked"
[ "$leaks" -eq 0 ]
