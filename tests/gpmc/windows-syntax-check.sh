#!/usr/bin/env bash
# Compiles every source of gpopd as the Windows build would (mingw-w64 g++, _WIN32, the GPMC
# backend, the Windows platform layer), with -fsyntax-only: there are no Windows gRPC, protobuf
# or Abseil libraries on this machine, so their Linux headers stand in (they are the same
# versions, and they have their own _WIN32 branches). Nothing is linked.
#
#   tests/gpmc/windows-syntax-check.sh [BUILD_DIR]      (default: build/mingw)
#
# The generated .pb.h/.grpc.pb.h are made here with the host's protoc and grpc_cpp_plugin.
# Those headers are placed AFTER mingw-w64's own (-idirafter), through a folder that links
# only absl, google (protobuf), grpc, grpc++, grpcpp, openssl (+ its arch config) and sqlite3.h,
# so that no glibc header can stand in for a Windows one. Exits non-zero if any source fails.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-build/mingw}"
case "$build" in /*) ;; *) build="$repo/$build" ;; esac
out="$build/windows-syntax"
cxx=x86_64-w64-mingw32-g++-posix

for tool in "$cxx" protoc grpc_cpp_plugin; do
  command -v "$tool" >/dev/null || { echo "windows-syntax-check: $tool not found (deploy/install-deps.sh installs it)" >&2; exit 2; }
done

rm -rf "$out"
mkdir -p "$out/gen" "$out/host-include/openssl"
for dir in absl google grpc grpc++ grpcpp prometheus gnutls; do
  [ -d "/usr/include/$dir" ] && ln -s "/usr/include/$dir" "$out/host-include/$dir"
done
ln -s /usr/include/openssl/* "$out/host-include/openssl/"
arch_openssl="/usr/include/$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)/openssl"
[ -d "$arch_openssl" ] && ln -sf "$arch_openssl"/* "$out/host-include/openssl/"
for header in sqlite3.h microhttpd.h; do
  [ -f "/usr/include/$header" ] && ln -s "/usr/include/$header" "$out/host-include/$header"
done

# The host's GnuTLS headers (the HTTP listener's TLS) include <sys/uio.h> for struct iovec,
# which mingw-w64 lacks (GnuTLS's Windows build declares its own); a one-struct stand-in,
# searched after everything else, lets those sources be checked.
mkdir -p "$out/shim/sys"
printf '#pragma once\n#include <stddef.h>\nstruct iovec { void* iov_base; size_t iov_len; };\n' \
  >"$out/shim/sys/uio.h"

( cd "$repo/proto" && find . -name '*.proto' -printf '%P\n' ) | sort | while read -r proto; do
  protoc --cpp_out="$out/gen" --grpc_out="$out/gen" \
    --plugin=protoc-gen-grpc="$(command -v grpc_cpp_plugin)" \
    -I "$repo/proto" -I /usr/include "$repo/proto/$proto"
done

# gpopd's sources on Windows: what the top-level CMakeLists.txt builds for WIN32 (no sysvol
# backend; the _windows.cc half of the platform layer).
cd "$repo"
sources=$(ls service/main.cc service/backend_flags.cc service/core/*.cc service/engine/*.cc \
             service/store/*.cc service/sqlite/*.cc service/api/*.cc service/api/auth/*.cc \
             service/metrics/*.cc service/http/*.cc service/backends/synthetic/*.cc \
             service/backends/gpmc/*.cc service/platform/*.cc 2>/dev/null | grep -v '_posix\.cc$')

flags=(-std=c++17 -fsyntax-only -Wall -Wextra -Wno-unused-parameter -Werror
       -D_WIN32_WINNT=0x0A00 -DWIN32_LEAN_AND_MEAN -DNOGDI -DNOMINMAX -DUNICODE -D_UNICODE
       -I "$repo" -I "$out/gen" -idirafter "$out/host-include" -idirafter "$out/shim")
jobs="${GPOP_JOBS:-2}"
mkdir -p "$out/errors"
# One compiler per source, `jobs` at a time; a source that fails leaves its errors in
# $out/errors/<source>.err.
check_one() {
  local src=$1 err="$out/errors/${1//\//_}.err"
  if ! "$cxx" "${flags[@]}" "$src" 2>"$err.log"; then
    { echo "$src"; cat "$err.log"; } >"$err"
  fi
  rm -f "$err.log"
}
export -f check_one
export cxx out
export FLAGS_LINE="${flags[*]}"
printf '%s\n' $sources | xargs -P "$jobs" -I{} bash -c 'flags=($FLAGS_LINE); check_one "$1"' _ {}
count=$(printf '%s\n' $sources | wc -l)
failed=0
for err in "$out"/errors/*.err; do
  [ -e "$err" ] || continue
  failed=$((failed + 1))
  echo "windows-syntax-check: FAILED $(head -1 "$err")" >&2
  sed -n '2,21p' "$err" >&2
done
echo "windows-syntax-check: $((count - failed)) of $count gpopd sources compile for Windows"
[ "$failed" -eq 0 ]
