#!/usr/bin/env bash
# Installs every Debian 12 package that gpop's build, tests and tools need.
# Idempotent and quiet: packages already present are not fetched again.
set -euo pipefail

packages=(
  # build
  cmake ninja-build ccache g++ pkg-config
  # gRPC, protobuf, Abseil (service/api, client/, generated code)
  libgrpc++-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libabsl-dev libssl-dev
  # tests
  libgtest-dev libgmock-dev googletest clang libclang-rt-14-dev
  # store and formats
  libsqlite3-dev libpugixml-dev
  # clients written by others (end-to-end tests); openssl makes the TLS tests' certificates;
  # python3-yaml reads the Kubernetes manifest in its offline check
  python3-grpcio python3-protobuf openssl python3-yaml
  # real sysvol trees for the sysvol backend's tests
  samba samba-ad-provision samba-dsdb-modules samba-vfs-modules
  # the GPMC adapter: cross-build and run under Wine
  g++-mingw-w64-x86-64-posix mingw-w64-tools wine wine64
  # the HTTP/JSON + SSE listener (service/http) and its browser tests (tests/http)
  libmicrohttpd-dev libgnutls28-dev chromium
  # Prometheus metrics at GET /metrics (service/metrics)
  prometheus-cpp-dev
  # tar streams of uploaded and downloaded backups (service/transfer)
  libarchive-dev
  # the container image, assembled without a container engine (deploy/image/build-image.sh)
  debootstrap umoci skopeo iproute2
)
# What the release build needs (also the Dockerfile's build stage).
here=$(cd "$(dirname "$0")" && pwd)
mapfile -t build_packages < <(grep -v -e '^#' -e '^$' "$here/image/build-packages")
packages+=("${build_packages[@]}")
# Node.js and npm run the browser tests (puppeteer-core from npm); a Node.js installed another
# way (it bundles npm) is kept.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'install ok installed' >/dev/null || missing+=("$p")
done

if ((${#missing[@]})); then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
