#!/usr/bin/env bash
# Runs every libFuzzer target for MINUTES minutes each (default 2), growing the corpus in a
# scratch folder and keeping crashers under tests/fuzz/crashes/. Needs clang-14 and
# libfuzzer-14-dev from Debian (installed if missing).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
minutes=${1:-2}
for p in clang-14 libclang-rt-14-dev libfuzzer-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ -n "${missing[*]:-}" ]; then apt-get update -qq && apt-get install -y -qq "${missing[@]}"; fi
build=$root/build-fuzz
CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCGW_FUZZ=ON \
  -DBUILD_TESTING=ON >/dev/null
targets=$(sed -n 's/^set(cgw_fuzz_targets \(.*\))$/\1/p' "$root/tests/fuzz/CMakeLists.txt")
cmake --build "$build" -j"$(nproc)" --target $(for t in $targets; do echo "fuzz_$t"; done)
mkdir -p "$root/tests/fuzz/crashes"
for t in $targets; do
  work=$(mktemp -d)
  cp -r "$root/tests/fuzz/corpus/$t/." "$work/"
  echo "== fuzz_$t for $minutes min"
  "$build/bin/fuzz_$t" "$work" -max_total_time=$((minutes * 60)) -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$root/tests/fuzz/crashes/$t-" -print_final_stats=1 2>&1 | grep -E "stat::number_of_executed_units|ERROR|crash-" || true
  rm -rf "$work"
done
