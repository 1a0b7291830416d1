#!/usr/bin/env bash
# Builds the integration suite under ThreadSanitizer in build-tsan/ and runs it with
# halt_on_error=1, so the first data race fails the run. The gateway runs one io_context on
# several threads (and the sandboxes their own), which is what this is for; ASan/UBSan
# (CGW_SANITIZE) cannot be combined with TSan, so it is kept off here.
# Extra arguments go to integration_tests (for example --gtest_filter=Fanout*).
# Build and run are niced: the machine is shared. JOBS (default 2) sets build parallelism.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-tsan}
jobs=${JOBS:-2}
# RelWithDebInfo at -O1 -g1: line tables are all a TSan report needs, and full debug info of
# Beast/Asio makes the links several times slower. g++ warns (-Wtsan) that it cannot instrument
# atomic_thread_fence: Asio's std_fenced_block uses one around a handler run in place, on the
# thread that already owns it; handoffs between threads go through the scheduler's mutex, which
# TSan does see.
start=$(date +%s)
nice -n 15 cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON -DCGW_SANITIZE=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
  -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread >/dev/null
nice -n 15 cmake --build "$build" -j"$jobs" --target integration_tests
built=$(date +%s)
echo "tsan: build took $((built - start)) s"
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$root/tests/tsan.supp ${TSAN_OPTIONS:-}"
status=0
nice -n 15 "$build/bin/integration_tests" "$@" || status=$?
echo "tsan: run took $(($(date +%s) - built)) s, exit status $status"
exit "$status"
