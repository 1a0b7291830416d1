#!/usr/bin/env bash
# Command 2: install what is missing, build, and run every test through ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/deploy/install-deps.sh"
start=$(date +%s)
"$root/deploy/build.sh"
echo "test: build took $(( $(date +%s) - start )) s"
cd "${BUILD_DIR:-$root/build}"
ctest --output-on-failure -j"$(nproc)" --timeout 300
