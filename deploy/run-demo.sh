#!/usr/bin/env bash
# The main job, end to end on this machine: installs the dependencies, builds gpopd, gpopctl and
# gpop-demo-store (release build in build/release), writes a demo GPO store with gpop's own
# writers, starts gpopd on it (sysvol backend, loopback, a free port), backs up a GPO with a live
# progress bar, lists the backups, writes an HTML report of the GPO and shuts gpopd down cleanly.
# Everything it writes goes under build/demo/ (DEMO_DIR overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
demo=${DEMO_DIR:-$root/build/demo}

bash deploy/install-deps.sh
export CCACHE_DIR=${CCACHE_DIR:-${HOME:-/tmp}/.cache/gpop-ccache}
cmake -G Ninja -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DGPOP_TESTS=OFF >/dev/null
ninja -C build/release gpopd gpopctl gpop-demo-store
bin=$root/build/release

rm -rf "$demo"
mkdir -p "$demo"
echo "== writing a demo GPO store into $demo/sysvol/gpop.demo"
"$bin/service/backends/sysvol/gpop-demo-store" "$demo/sysvol/gpop.demo"

echo "== starting gpopd (sysvol backend, 127.0.0.1, any free port)"
"$bin/service/gpopd" --sysvol "$demo/sysvol/gpop.demo" --state_dir "$demo/state" \
  --backup_locations "default=$demo/backups" --listen 127.0.0.1:0 \
  --port_file "$demo/port" 2>"$demo/gpopd.log" &
gpopd_pid=$!
trap 'kill -TERM $gpopd_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do
  [ -s "$demo/port" ] && break
  kill -0 $gpopd_pid 2>/dev/null || { cat "$demo/gpopd.log"; exit 1; }
  sleep 0.05
done
[ -s "$demo/port" ] || { echo "gpopd did not start"; cat "$demo/gpopd.log"; exit 1; }
export GPOP_SERVER=127.0.0.1:$(cat "$demo/port")
ctl=$bin/client/gpopctl

echo "== gpopctl gpos"
"$ctl" gpos
echo "== gpopctl backup --gpo \"Workstation Baseline\" --wait"
"$ctl" backup --gpo "Workstation Baseline" --comment "gpop demo backup" --wait
echo "== gpopctl backups"
"$ctl" backups
echo "== gpopctl report --gpo \"Workstation Baseline\" --format html --out $demo/report.html"
"$ctl" report --gpo "Workstation Baseline" --format html --out "$demo/report.html"
echo "== gpopctl ls"
"$ctl" ls

kill -TERM $gpopd_pid
wait $gpopd_pid
trap - EXIT
echo "== done: backups in $demo/backups, report in $demo/report.html, gpopd log in $demo/gpopd.log"
