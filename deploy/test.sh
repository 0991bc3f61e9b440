#!/usr/bin/env bash
# The test command: installs what the build needs, then builds and runs every test suite.
#   1. the test build: clang, ASan+UBSan, everything (ctest), fuzzers replay their corpus and
#      fuzz for a few seconds each;
#   2. the engine tests again under ThreadSanitizer (no gRPC linked);
#   3. the GPMC adapter, cross-built with mingw-w64 and run under Wine.
# Ends with one line "N passed, M failed" over the three suites; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${GPOP_JOBS:-$(nproc)}

bash deploy/install-deps.sh || { echo "dependency install failed"; exit 1; }
export CC=clang CXX=clang++
export CCACHE_DIR=${CCACHE_DIR:-${HOME:-/tmp}/.cache/gpop-ccache}
export GPOP_FIXTURES=${GPOP_FIXTURES:-$root/../shared/fixtures}

passed=0
failed=0
suite() {  # suite NAME COMMAND...: runs one suite, counts it
  local name=$1; shift
  echo "=== $name"
  if "$@"; then passed=$((passed + 1)); echo "=== $name: passed"
  else failed=$((failed + 1)); echo "=== $name: FAILED"; fi
}

asan() {
  cmake -G Ninja -S . -B build/asan -DGPOP_SANITIZE=address -DGPOP_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null &&
    ninja -C build/asan -j "$jobs" &&
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
      ctest --test-dir build/asan --output-on-failure -j "$jobs" --timeout 900
}

tsan() {
  cmake -G Ninja -S . -B build/tsan -DGPOP_SANITIZE=thread -DGPOP_WITH_GRPC=OFF >/dev/null &&
    ninja -C build/tsan -j "$jobs" engine_test synthetic_backend_test store_conformance_test \
      sqlite_store_test restart_test &&
    TSAN_OPTIONS=halt_on_error=1 ctest --test-dir build/tsan --output-on-failure \
      -R '^(engine_test|synthetic_backend_test|store_conformance_test|sqlite_store_test|restart_test)$'
}

wine_gpmc() {
  if [ -x tests/gpmc/run-wine-tests.sh ]; then
    tests/gpmc/run-wine-tests.sh build/mingw
  else
    echo "tests/gpmc/run-wine-tests.sh missing"; return 1
  fi
}

suite "ASan+UBSan build: unit, end-to-end, fixture, interop and fuzz tests" asan
suite "ThreadSanitizer: engine tests" tsan
suite "mingw-w64 + Wine: GPMC adapter tests" wine_gpmc

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
