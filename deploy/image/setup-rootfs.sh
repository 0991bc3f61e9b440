#!/bin/sh
# Runs inside the image's root filesystem once the runtime packages are installed: by the
# Dockerfile (RUN) and by build-image.sh (chroot), so that both images have the same layout.
#   - user and group gpop (uid/gid 10001, no login, home /var/lib/gpop): gpopd never runs as root
#   - /var/lib/gpop: the state directory (a volume), owned by gpop, mode 0750
#   - /sysvol: where the GPO tree is mounted (the folder holding Policies/)
#   - no apt lists or package caches left behind
set -eu
groupadd --gid 10001 gpop
useradd --uid 10001 --gid gpop --home-dir /var/lib/gpop --no-create-home \
  --shell /usr/sbin/nologin gpop
install -d -o gpop -g gpop -m 0750 /var/lib/gpop
install -d -o gpop -g gpop -m 0755 /sysvol
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt/* /var/log/dpkg.log
