#!/usr/bin/env bash
# Builds gpopd's container image without a container engine, as an OCI image layout and an
# oci-archive tarball (run as root on Debian 12; installs what it needs):
#   build/image/gpopd/            OCI image layout, tag "latest"   (umoci, skopeo oci:DIR:latest)
#   build/image/gpopd-oci.tar     the same layout as one tarball   (podman load -i, skopeo
#                                 copy oci-archive:build/image/gpopd-oci.tar docker-daemon:gpopd:latest)
# Steps: release build of gpopd, gpopctl, gpop-demo-store (build/release) and gpop-health
# (build/release-probe); a Debian 12 minbase root filesystem with the runtime packages
# (debootstrap; cached as build/image/cache/base-HASH.tar, HASH over the package list, the
# mirror and the recipe's version, so a warm run only repacks); the binaries and gpopd.conf
# copied in; setup-rootfs.sh run in it by chroot (user gpop 10001, /var/lib/gpop, /sysvol);
# packed by umoci with the same entrypoint, user, volume and ports as deploy/Dockerfile
# (tests/deploy/image_layout_test.py checks that they agree). Environment: IMAGE_DIR (default build/image), DEBIAN_MIRROR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
out=${IMAGE_DIR:-$root/build/image}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
[ "$(id -u)" -eq 0 ] || { echo "build-image.sh: run as root (debootstrap, chroot)" >&2; exit 1; }

bash deploy/install-deps.sh
export CC=${CC:-clang} CXX=${CXX:-clang++}
export CCACHE_DIR=${CCACHE_DIR:-${HOME:-/tmp}/.cache/gpop-ccache}
echo "== release build (build/release, build/release-probe)"
cmake -G Ninja -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DGPOP_TESTS=OFF >/dev/null
ninja -C build/release -j "${GPOP_JOBS:-2}" gpopd gpopctl gpop-demo-store
cmake -G Ninja -S deploy/image/probe -B build/release-probe -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build/release-probe -j "${GPOP_JOBS:-2}" gpop-health
binaries=(build/release/service/gpopd build/release/client/gpopctl
          build/release/service/backends/sysvol/gpop-demo-store build/release-probe/gpop-health)

# The base root filesystem: Debian 12 minbase + the runtime packages + bookworm's security and
# point-release updates, cached as a tarball.
packages=$(grep -v -e '^#' -e '^$' deploy/image/runtime-packages | paste -sd, -)
# Bump base_recipe when the steps below change, so that cached bases are rebuilt.
base_recipe=1
key=$( (cat deploy/image/runtime-packages; echo "$mirror $base_recipe") | sha256sum | cut -c1-16)
base=$out/cache/base-$key.tar
mkdir -p "$out/cache"
if [ ! -s "$base" ]; then
  echo "== debootstrap --variant=minbase bookworm (+ $packages) from $mirror"
  tmp=$out/cache/rootfs.tmp
  rm -rf "$tmp"
  debootstrap --variant=minbase --include="$packages" bookworm "$tmp" "$mirror" \
    >"$out/cache/debootstrap.log" 2>&1 || { tail -20 "$out/cache/debootstrap.log"; exit 1; }
  security=${mirror%/debian}/debian-security
  [ "$security" != "$mirror" ] || security=http://deb.debian.org/debian-security
  cat >"$tmp/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
SOURCES
  echo "== apt-get upgrade (bookworm-updates, bookworm-security)"
  chroot "$tmp" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    sh -c 'apt-get update -qq && apt-get -y -qq upgrade' >>"$out/cache/debootstrap.log" 2>&1 ||
    { tail -20 "$out/cache/debootstrap.log"; exit 1; }
  tar --numeric-owner -C "$tmp" -cf "$base.tmp" .
  mv "$base.tmp" "$base"
  rm -rf "$tmp"
  find "$out/cache" -name 'base-*.tar' ! -name "base-$key.tar" -delete
fi

echo "== assembling the root filesystem"
layout=$out/gpopd
bundle=$out/bundle
rm -rf "$layout" "$bundle" "$out/gpopd-oci.tar"
umoci init --layout "$layout"
umoci new --image "$layout:latest"
umoci unpack --image "$layout:latest" "$bundle" >/dev/null
rootfs=$bundle/rootfs
tar --numeric-owner -C "$rootfs" -xf "$base"
install -m 0755 "${binaries[@]}" "$rootfs/usr/local/bin/"
install -d -m 0755 "$rootfs/etc/gpop"
install -m 0644 deploy/image/gpopd.conf "$rootfs/etc/gpop/gpopd.conf"
install -m 0755 deploy/image/setup-rootfs.sh "$rootfs/tmp/setup-rootfs.sh"
chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin sh /tmp/setup-rootfs.sh
rm -f "$rootfs/tmp/setup-rootfs.sh"
for bin in "${binaries[@]}"; do  # every shared library resolves inside the image
  if chroot "$rootfs" ldd "/usr/local/bin/$(basename "$bin")" | grep 'not found' >/dev/null; then
    chroot "$rootfs" ldd "/usr/local/bin/$(basename "$bin")" | grep 'not found' >&2
    echo "build-image.sh: $(basename "$bin") misses libraries in the image" >&2; exit 1
  fi
done

echo "== packing the OCI image"
umoci repack --image "$layout:latest" "$bundle"
version=$(sed -n 's/^project(gpop VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
umoci config --image "$layout:latest" \
  --config.user=10001:10001 \
  --config.workingdir=/var/lib/gpop \
  --config.entrypoint=/usr/local/bin/gpopd --config.entrypoint=--config=/etc/gpop/gpopd.conf \
  --clear=config.cmd \
  --config.volume=/var/lib/gpop \
  --config.exposedports=50051/tcp --config.exposedports=9090/tcp \
  --config.label=dev.gpop.healthcheck="/usr/local/bin/gpop-health --address=127.0.0.1:50051 --service=gpop.v1.GroupPolicyOperations" \
  --config.label=org.opencontainers.image.title=gpopd \
  --config.label=org.opencontainers.image.version="$version" \
  --history.created_by="deploy/image/build-image.sh" >/dev/null
umoci gc --layout "$layout"
chmod -R a+rX "$layout"
rm -rf "$bundle"
tar -C "$layout" -cf "$out/gpopd-oci.tar" .
echo "== $layout:latest and $out/gpopd-oci.tar ($(du -h "$out/gpopd-oci.tar" | cut -f1))"
