#!/usr/bin/env bash
# Runs every libFuzzer target for MINUTES minutes each (default 2), growing the corpus in a
# scratch folder and keeping crashers under tests/fuzz/crashes/. Needs clang-14 and
# libfuzzer-14-dev from Debian (installed if missing). Usage: run.sh [MINUTES] [TARGET...]
# (no targets: every one the build lists in fuzz_targets.txt). Builds and fuzzing are niced, with JOBS (default 2)
# build jobs: the machine is shared. KEEP_CORPUS=DIR keeps each grown corpus as DIR/<target>.
# Ends with one line per target: executions, corpus files before/after, crashers found.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
minutes=${1:-2}
shift || true
jobs=${JOBS:-2}
for p in clang-14 libclang-rt-14-dev libfuzzer-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ -n "${missing[*]:-}" ]; then apt-get update -qq && apt-get install -y -qq "${missing[@]}"; fi
build=$root/build-fuzz
# Line tables only: they are all a crash's stack trace needs, and full debug info of Beast/Asio
# makes the links much slower.
CC=clang-14 CXX=clang++-14 nice -n 15 cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCGW_FUZZ=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -gline-tables-only -DNDEBUG" -DBUILD_TESTING=ON >/dev/null
# "<target> <corpus dir>" a line, written by tests/fuzz/CMakeLists.txt (vendors' corpora live in their folders).
list=$build/fuzz_targets.txt
targets=${*:-$(cut -d' ' -f1 "$list")}
nice -n 15 cmake --build "$build" -j"$jobs" --target $(for t in $targets; do echo "fuzz_$t"; done)
crashes=$root/tests/fuzz/crashes
logs=$build/fuzz-logs
mkdir -p "$crashes" "$logs"
summary=()
# UBSan recovers by default (the build does not pass -fno-sanitize-recover): make undefined
# behaviour a crash, with its stack, so that libFuzzer keeps the input.
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
started=$(date +%s)
for t in $targets; do
  work=$(mktemp -d)
  corpus=$(awk -v t="$t" '$1 == t { print $2 }' "$list")
  [ -d "$corpus" ] || { echo "run.sh: no fuzz target $t (known: $(cut -d' ' -f1 "$list" | xargs))" >&2; exit 2; }
  cp -r "$corpus/." "$work/"
  before=$(find "$work" -type f | wc -l)
  crashes_before=$(find "$crashes" -name "$t-*" -type f | wc -l)
  echo "== fuzz_$t for $minutes min (log: $logs/$t.log)"
  # A crash ends the target's run with a non-zero status: that is a finding, not a script error.
  nice -n 15 "$build/bin/fuzz_$t" "$work" -max_total_time=$((minutes * 60)) -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix="$crashes/$t-" -print_final_stats=1 >"$logs/$t.log" 2>&1 || true
  grep -E "stat::number_of_executed_units|^==[0-9]+==ERROR|SUMMARY|runtime error|Test unit written|deadly signal" "$logs/$t.log" || true
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | tail -1)
  after=$(find "$work" -type f | wc -l)
  found=$(($(find "$crashes" -name "$t-*" -type f | wc -l) - crashes_before))
  summary+=("$(printf '%-22s executions %-10s corpus %4s -> %-6s crashers %s' "$t" "${execs:-?}" "$before" "$after" "$found")")
  if [ -n "${KEEP_CORPUS:-}" ]; then mkdir -p "$KEEP_CORPUS/$t" && cp -r "$work/." "$KEEP_CORPUS/$t/"; fi
  rm -rf "$work"
done
echo "== summary ($(($(date +%s) - started)) s of fuzzing; crashers in $crashes)"
printf '%s\n' "${summary[@]}"
