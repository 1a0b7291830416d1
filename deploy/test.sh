#!/usr/bin/env bash
# Command 2: install what is missing, build, and run every test through ctest — once as
# built for production (g++), and once more built by clang under AddressSanitizer +
# UndefinedBehaviorSanitizer (separate build directory), so that lifetime and bounds bugs on
# hostile bytes fail the run and the tree stays buildable by both compilers.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/deploy/install-deps.sh"

run() {  # run NAME BUILD_DIR [cmake args...]
  local name=$1 dir=$2
  shift 2
  local start=$(date +%s)
  BUILD_DIR=$dir "$root/deploy/build.sh" "$@"
  local built=$(date +%s)
  (cd "$dir" && ctest --output-on-failure -j"$(nproc)" --timeout 300)
  echo "test: $name: build $((built - start)) s, tests $(($(date +%s) - built)) s"
}

run release "$root/build" -DCMAKE_BUILD_TYPE=Release -DCGW_SANITIZE=OFF
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run sanitizers "$root/build-asan" -DCMAKE_BUILD_TYPE=Sanitize -DCGW_SANITIZE=ON -DCMAKE_CXX_COMPILER=clang++
