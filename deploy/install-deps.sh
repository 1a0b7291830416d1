#!/usr/bin/env bash
# Installs, from Debian's archive, exactly the build and test dependencies that are missing.
# Debian bookworm, as root (or with sudo). Safe to run again: it does nothing when all is there.
set -euo pipefail

packages=(
  build-essential cmake
  clang libclang-rt-14-dev clang-format                        # the sanitizer build (clang, ASan + UBSan; the runtimes are only Recommended) and the format check
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev   # not libboost-dev: that is 1.74, without JSON or URL
  libspdlog-dev libssl-dev ca-certificates
  libgtest-dev libgmock-dev
  libjemalloc-dev                                              # the gateway's allocator (Release builds)
  libbenchmark-dev                                             # tests/bench/micro_bench (Google Benchmark)
  libhiredis-dev redis-server                                  # the fleet's shared state, and the tests that run a real Redis
  haproxy yamllint python3-yaml                                # the fleet script and the deploy/ checks
  python3-jsonschema                                           # answers validated against /openapi.json
  curl
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything is installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
