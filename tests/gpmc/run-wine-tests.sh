#!/usr/bin/env bash
# Cross-builds the GPMC adapter and its tests with mingw-w64 and runs them under Wine.
#
#   tests/gpmc/run-wine-tests.sh [BUILD_DIR]      (default: build/mingw)
#
# Needs the packages deploy/install-deps.sh installs (g++-mingw-w64-x86-64-posix, wine, wine64,
# googletest, cmake, ninja-build). Works without a display or stdin (CI=true). Exits non-zero
# when configuring, building or any test fails.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-build/mingw}"
case "$build" in /*) ;; *) build="$repo/$build" ;; esac
jobs="${GPOP_JOBS:-2}"

for tool in x86_64-w64-mingw32-g++-posix wine wineboot cmake ninja; do
  command -v "$tool" >/dev/null || { echo "run-wine-tests: $tool not found (deploy/install-deps.sh installs it)" >&2; exit 2; }
done

cmake -G Ninja -S "$repo" -B "$build" \
  -DCMAKE_TOOLCHAIN_FILE="$repo/cmake/mingw-w64.cmake" \
  -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-Debug}" -DGPOP_TESTS=ON
cmake --build "$build" -j "$jobs"

# A private Wine prefix in the build tree (the tests' ENVIRONMENT names the same one). Created
# once; headless: no display, no Mono/Gecko installers, no debug chatter.
export WINEPREFIX="$build/wineprefix"
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="
export DISPLAY=
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "run-wine-tests: creating Wine prefix $WINEPREFIX"
  wineboot -i </dev/null >/dev/null 2>&1 || true
  wineserver -w || true
  [ -f "$WINEPREFIX/system.reg" ] || { echo "run-wine-tests: wineboot failed" >&2; exit 2; }
fi

status=0
(cd "$build" && ctest --output-on-failure --no-tests=error </dev/null) || status=$?
# Let the prefix's wineserver exit, so that nothing outlives the run.
wineserver -w 2>/dev/null || true
exit "$status"
