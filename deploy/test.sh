#!/usr/bin/env bash
# The test command: installs what the build needs, then builds and runs every test suite.
#   1. the test build: clang, ASan+UBSan, everything (ctest), fuzzers replay their corpus and
#      fuzz for a few seconds each;
#   2. the engine tests again under ThreadSanitizer (no gRPC linked);
#   3. the GPMC adapter and the platform layer, cross-built with mingw-w64 and run under Wine;
#      every gpopd source compiled for Windows (-fsyntax-only);
#   4. the container image: built without a container engine (deploy/image/build-image.sh),
#      its layout checked against the Dockerfile, the Kubernetes manifest checked offline, and
#      the image started in private namespaces and driven from outside (tests/deploy/).
# Ends with one line "N passed, M failed" over the four suites; exits non-zero on any failure.
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
      LSAN_OPTIONS=suppressions=$root/tests/lsan_suppressions.txt \
      ctest --test-dir build/asan --output-on-failure -j "$jobs" --timeout 900
}

tsan() {
  cmake -G Ninja -S . -B build/tsan -DGPOP_SANITIZE=thread -DGPOP_WITH_GRPC=OFF >/dev/null &&
    ninja -C build/tsan -j "$jobs" engine_test engine_parts_test synthetic_backend_test \
      store_conformance_test sqlite_store_test restart_test history_test &&
    TSAN_OPTIONS=halt_on_error=1 ctest --test-dir build/tsan --output-on-failure \
      -R '^(engine_test|engine_parts_test|synthetic_backend_test|store_conformance_test|'\
'sqlite_store_test|restart_test|history_test)$'
}

wine_gpmc() {
  if [ -x tests/gpmc/run-wine-tests.sh ] && [ -x tests/gpmc/windows-syntax-check.sh ]; then
    # The adapter, the platform layer and the Windows service's state machine under Wine, then
    # every gpopd source compiled for Windows (-fsyntax-only against gRPC/protobuf/Abseil).
    tests/gpmc/run-wine-tests.sh build/mingw && tests/gpmc/windows-syntax-check.sh build/mingw
  else
    echo "tests/gpmc/run-wine-tests.sh or windows-syntax-check.sh missing"; return 1
  fi
}

container_image() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "the container image suite needs root (debootstrap, chroot, unshare)"; return 1
  fi
  bash deploy/image/build-image.sh &&
    /usr/bin/python3 tests/deploy/image_layout_test.py "$root" &&
    /usr/bin/python3 tests/deploy/kubernetes_manifest_test.py "$root" build/release/service/gpopd &&
    tests/deploy/image_smoke_test.sh
}

suite "ASan+UBSan build: unit, end-to-end, fixture, interop and fuzz tests" asan
suite "ThreadSanitizer: engine tests" tsan
suite "mingw-w64 + Wine: GPMC adapter and platform tests, gpopd compiled for Windows" wine_gpmc
suite "container image: OCI build, layout vs Dockerfile, Kubernetes manifest, smoke run" container_image

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
