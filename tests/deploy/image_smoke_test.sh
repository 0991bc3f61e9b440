#!/usr/bin/env bash
# Smoke test of the OCI image that deploy/image/build-image.sh built, without a container
# engine: the image is unpacked (umoci) and its process, as the image's config gives it
# (entrypoint, user, working directory, environment), is started in private mount, PID, network,
# IPC and UTS namespaces (unshare) under chroot, on a read-only root filesystem (as
# deploy/kubernetes.yaml's readOnlyRootFilesystem) with host folders bind-mounted as the
# /var/lib/gpop volume and as /sysvol and a tmpfs /tmp, as a container runtime would. Then, from outside:
#   - the image's own gpop-demo-store (as the image's user) has written a demo GPO tree;
#   - gpopd answers grpc.health (liveness "" and readiness) on the container's 127.0.0.1:50051,
#     asked by gpop-health on the host joined to the container's network namespace only (as
#     kubelet's gRPC probes do), then by the image's HEALTHCHECK command inside the container;
#   - gpopd runs as the image's non-root user (uid from /proc);
#   - the host's gpopctl (not the image's) backs up a GPO through it over 127.0.0.1 and lists
#     the backup, and the backup is on the volume, owned by the image's user;
#   - GET /metrics on the metrics listener (--metrics_listen=0.0.0.0:9090 of the image's
#     gpopd.conf), scraped from the host's own network namespace through a veth pair into the
#     container's (as a Prometheus server in another pod would), before and after the backup:
#     the backup counted, its bytes (the backup folder's) and the store's commits; the HTTP API
#     listener (8080) is not reachable that way, it stays on the container's loopback;
#   - SIGTERM drains it: gpopd exits 0 and logs its shutdown.
# The oci-archive tarball is read back by skopeo and must carry the same config.
# Usage (as root): image_smoke_test.sh [LAYOUT [GPOPCTL [GPOP_HEALTH]]]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
layout=${1:-$root/build/image/gpopd}
gpopctl=${2:-$root/build/release/client/gpopctl}
probe=${3:-$root/build/release-probe/gpop-health}
work=${SMOKE_DIR:-$root/build/image-smoke}
gpo="Workstation Baseline"
[ "$(id -u)" -eq 0 ] || { echo "image_smoke_test.sh: needs root (unshare, chroot)" >&2; exit 1; }
for f in "$gpopctl" "$probe"; do [ -x "$f" ] || { echo "missing $f" >&2; exit 1; }; done

fail() { echo "FAIL: $*" >&2; [ -f "$work/gpopd.log" ] && tail -20 "$work/gpopd.log" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work"
umoci unpack --image "$layout:latest" "$work/bundle" >/dev/null
rootfs=$work/bundle/rootfs

# The process as the image's config describes it (umoci wrote it as an OCI runtime spec).
eval "$(/usr/bin/python3 - "$work/bundle/config.json" <<'PY'
import json, shlex, sys
spec = json.load(open(sys.argv[1]))
p = spec["process"]
print("args=(%s)" % " ".join(shlex.quote(a) for a in p["args"]))
print("envs=(%s)" % " ".join(shlex.quote(e) for e in p.get("env", [])))
print("uid=%d gid=%d cwd=%s" % (p["user"]["uid"], p["user"]["gid"], shlex.quote(p["cwd"])))
PY
)"
[ "$uid" -ne 0 ] || fail "the image runs as root"

# The tarball that users load (podman load, skopeo copy) is read by a foreign reader: skopeo
# (containers/image, as podman) must see the same image config.
archive=$(dirname "$layout")/gpopd-oci.tar
skopeo inspect --config "oci-archive:$archive" >"$work/archive-config.json" ||
  fail "skopeo cannot read $archive"
/usr/bin/python3 - "$work/archive-config.json" "$uid" "$gid" "${args[@]}" <<'PY' ||
import json, sys
config = json.load(open(sys.argv[1]))["config"]
assert config["User"] == "%s:%s" % (sys.argv[2], sys.argv[3]), config["User"]
assert config["Entrypoint"] + (config.get("Cmd") or []) == sys.argv[4:], config["Entrypoint"]
PY
  fail "the archive's config differs from the layout's"
echo "== skopeo reads $(basename "$archive"): user $uid:$gid, entrypoint ${args[*]}"
# As with `docker run IMAGE --domain=gpop.demo`: extra arguments follow the entrypoint.
args+=(--domain=gpop.demo)

# The volumes: host folders owned by the image's user, as a fresh named volume would be.
install -d -o "$uid" -g "$gid" -m 0750 "$work/state"
install -d -o "$uid" -g "$gid" -m 0755 "$work/sysvol"

# Inside the namespaces: mounts, the demo store written by the image's own writer as the
# image's user, then gpopd exec'ed as PID 1 of the namespace (as in a container).
inner='set -e
r=$1; state=$2; sysvol=$3; uid=$4; gid=$5; fifo=$6; shift 6
ip link set lo up
echo namespaces >"$fifo"
mount --bind "$r" "$r"
mount -o remount,bind,ro "$r"
mount --bind "$state" "$r/var/lib/gpop"
mount --bind "$sysvol" "$r/sysvol"
mount -t proc -o nosuid,nodev,noexec proc "$r/proc"
mount -t tmpfs -o nosuid,mode=0755 tmpfs "$r/dev"
for d in null zero full random urandom tty; do touch "$r/dev/$d"; mount --bind "/dev/$d" "$r/dev/$d"; done
mount -t tmpfs -o nosuid,nodev tmpfs "$r/tmp"
chroot --userspec="$uid:$gid" --groups="" "$r" /usr/local/bin/gpop-demo-store /sysvol >&2
exec chroot --userspec="$uid:$gid" --groups="" "$r" "$@"'
mkfifo "$work/ns.fifo"
unshare --mount --pid --net --ipc --uts --fork --kill-child \
  sh -c "$inner" sh "$rootfs" "$work/state" "$work/sysvol" "$uid" "$gid" "$work/ns.fifo" \
  /usr/bin/env -i -C "$cwd" "${envs[@]}" "${args[@]}" 2>"$work/gpopd.log" &
container=$!
# On failure: kill the namespace's PID 1 (which ends every process in it). The
# parent-death signal of --kill-child does not survive chroot's change of user, so it is not
# enough alone.
stop_container() {
  local init=""
  read -r init _ <"/proc/$container/task/$container/children" 2>/dev/null || true
  # unshare reaps its child and exits; unshare itself is killed only when there is no child.
  if [ -n "$init" ]; then kill -KILL "$init" 2>/dev/null || true
  else kill -KILL "$container" 2>/dev/null || true; fi
  wait "$container" 2>/dev/null || true
}
trap stop_container EXIT
# Once the inner script wrote to the FIFO, unshare (its parent) is in the new namespaces.
read -r -t 120 _ <"$work/ns.fifo" || fail "the namespaces were not set up"
netns=/proc/$container/ns/net
from_outside() { nsenter --net="$netns" "$@"; }

# A network between the host and the container, as a pod network: a veth pair, the host end
# 10.250.0.1, the container's eth0 10.250.0.2 (a /30 of the private range, removed with the
# container's namespace).
veth=gpopsmk$$
ip link add "$veth" type veth peer name eth0 netns "$container" || fail "cannot create a veth pair"
ip addr add 10.250.0.1/30 dev "$veth"
ip link set "$veth" up
from_outside ip addr add 10.250.0.2/30 dev eth0
from_outside ip link set eth0 up
pod_ip=10.250.0.2

echo "== readiness and liveness from outside (host gpop-health in the container's network)"
from_outside "$probe" --address=127.0.0.1:50051 --service=gpop.v1.GroupPolicyOperations \
  --timeout=60s || fail "gpopd did not become ready"
from_outside "$probe" --address=127.0.0.1:50051 --service= || fail "liveness is not SERVING"

read -r gpopd_pid _ <"/proc/$container/task/$container/children" || true
[ -n "$gpopd_pid" ] || fail "no gpopd process"
echo "== gpopd is PID 1 of its namespace (host pid $gpopd_pid): $(tr '\0' ' ' <"/proc/$gpopd_pid/cmdline")"
grep -q "^NSpid:.*[[:space:]]1$" "/proc/$gpopd_pid/status" || fail "gpopd is not PID 1 inside"
[ "$(tr '\0' '\n' <"/proc/$gpopd_pid/cmdline" | head -1)" = /usr/local/bin/gpopd ] ||
  fail "the container runs $(tr '\0' ' ' <"/proc/$gpopd_pid/cmdline"), not gpopd"
read -r _ ruid euid suid fsuid < <(grep '^Uid:' "/proc/$gpopd_pid/status")
for u in "$ruid" "$euid" "$suid" "$fsuid"; do [ "$u" = "$uid" ] || fail "gpopd runs as uid $u, not $uid"; done
echo "== gpopd runs as uid $uid (non-root)"

if nsenter --target "$gpopd_pid" --mount --root /usr/bin/touch /usr/rofs-check 2>/dev/null; then
  fail "the root filesystem is writable"
fi
echo "== the root filesystem is read-only, even for root"

echo "== the image's HEALTHCHECK command, inside the container"
health=$(/usr/bin/python3 -c '
import json, sys
idx = json.load(open(sys.argv[1] + "/index.json"))
blob = lambda d: json.load(open(sys.argv[1] + "/blobs/sha256/" + d.split(":")[1]))
print(blob(blob(idx["manifests"][0]["digest"])["config"]["digest"])["config"]["Labels"]["dev.gpop.healthcheck"])
' "$layout")
# shellcheck disable=SC2086  # the label is a command line
nsenter --target "$gpopd_pid" --mount --net --pid --ipc --uts --root --wd --setuid "$uid" \
  --setgid "$gid" $health || fail "the HEALTHCHECK command ($health) failed"

# GET /metrics on the container's metrics listener, from the host's network namespace.
fetch() {
  /usr/bin/python3 -c '
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=30) as r:
    sys.stdout.write(r.read().decode())' "$1"
}
scrape() { fetch "http://$pod_ip:9090/metrics" >"$work/$1" || fail "GET $pod_ip:9090/metrics failed"; }
# The value of one sample line ("name{labels} value"); 0 when absent (a counter not yet moved).
sample() { awk -v s="$2" '$1 == s { v = $2 } END { printf "%.0f\n", v }' "$work/$1"; }
scrape metrics-before.txt
echo "== /metrics from the host at $pod_ip:9090 before: $(wc -l <"$work/metrics-before.txt") lines"
# The API's HTTP listener is on the container's loopback only: not reachable from the host.
if fetch "http://$pod_ip:8080/metrics" >/dev/null 2>&1; then
  fail "the HTTP API listener answers on the pod address"
fi
from_outside /usr/bin/python3 -c '
import urllib.request
urllib.request.urlopen("http://127.0.0.1:8080/metrics", timeout=30).read()' ||
  fail "the HTTP listener does not answer on the container's loopback"
echo "== the HTTP API listener (8080) answers on the container's loopback only"

echo "== gpopctl (host binary) backs up \"Server Hardening\" through the container's 127.0.0.1:50051"
export GPOP_SERVER=127.0.0.1:50051
from_outside "$gpopctl" gpos | grep "$gpo" >/dev/null || fail "gpopctl gpos does not list $gpo"
from_outside "$gpopctl" backup --gpo "Server Hardening" --comment "image smoke test" --wait ||
  fail "backup did not succeed"
from_outside "$gpopctl" backups | tee "$work/backups.txt" | grep "image smoke test" >/dev/null ||
  fail "gpopctl backups does not list the backup"
backup_id=$(grep -o -m1 '{[0-9A-F-]*}' "$work/backups.txt")
backup_dir=$work/state/backups/$backup_id
[ -d "$backup_dir" ] || fail "backup $backup_id is not on the volume ($backup_dir)"
[ "$(stat -c %u "$backup_dir")" = "$uid" ] || fail "backup owned by $(stat -c %u "$backup_dir")"
find "$backup_dir" -type f | grep . >/dev/null || fail "backup $backup_id is empty"
echo "== backup $backup_id on the volume, $(find "$backup_dir" -type f | wc -l) files, owner uid $uid"

scrape metrics-after.txt
succeeded='gpop_operations_finished_total{kind="backup",state="SUCCEEDED"}'
for m in "$succeeded" gpop_backup_bytes_total gpop_store_commit_seconds_count \
         gpop_store_commit_batch_size_sum; do
  before=$(sample metrics-before.txt "$m")
  after=$(sample metrics-after.txt "$m")
  echo "   $m: $before -> $after"
  awk -v a="$after" -v b="$before" 'BEGIN { exit !(a > b) }' || fail "$m did not move"
done
awk -v a="$(sample metrics-after.txt "$succeeded")" 'BEGIN { exit !(a == 1) }' || fail "not exactly one backup counted"
bytes=$(sample metrics-after.txt gpop_backup_bytes_total)
on_disk=$(find "$backup_dir" -type f -printf '%s\n' | awk '{ t += $1 } END { print t + 0 }')
awk -v a="$bytes" -v b="$on_disk" 'BEGIN { exit !(a == b) }' || fail "gpop_backup_bytes_total $bytes, the backup folder has $on_disk"
echo "== /metrics moved: one backup SUCCEEDED, $bytes bytes (the backup folder's), store commits"

echo "== SIGTERM while a backup runs: gpopd drains (the backup succeeds), then exits 0"
mkfifo "$work/drain.fifo"
from_outside "$gpopctl" backup --gpo "$gpo" --comment "drain" --wait \
  >"$work/drain.fifo" 2>&1 &
client=$!
exec 4<"$work/drain.fifo"
while IFS= read -r line <&4; do
  echo "$line" >>"$work/drain.txt"
  case $line in *RUNNING*) break ;; esac
done
kill -TERM "$gpopd_pid"
echo "-- SIGTERM sent" >>"$work/drain.txt"
cat <&4 >>"$work/drain.txt"
exec 4<&-
client_rc=0
wait "$client" || client_rc=$?
rc=0
wait "$container" || rc=$?
trap - EXIT
grep -v '^progress' "$work/drain.txt"
grep -q RUNNING "$work/drain.txt" || fail "the drain backup never ran"
[ "$client_rc" -eq 0 ] && grep -q SUCCEEDED "$work/drain.txt" ||
  fail "the backup running at SIGTERM did not succeed (gpopctl exit $client_rc)"
[ "$rc" -eq 0 ] || fail "gpopd exited $rc after SIGTERM"
# Whether the backup was still running when gpopd took the signal depends on timing; say which.
if sed -n '/^-- SIGTERM sent/,$p' "$work/drain.txt" | grep '^progress .*([0-9]\{1,2\}%)' >/dev/null; then
  echo "== the backup reported progress after SIGTERM: gpopd drained a running operation"
else
  echo "== note: the backup had ended its progress before SIGTERM arrived"
fi
grep -q "SIGTERM" "$work/gpopd.log" || fail "gpopd did not log the SIGTERM"
grep -q "stopped" "$work/gpopd.log" || fail "gpopd did not log its stop"
echo "PASS: image smoke test"
