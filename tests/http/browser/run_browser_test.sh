#!/usr/bin/env bash
# ctest entry of the dashboard's browser tests: installs puppeteer-core from npm
# (package-lock.json) into WORK_DIR once, then runs SCRIPT (default browser_test.mjs) there
# against GPOPD with Debian's Chromium. Each test has its own WORK_DIR (ctest may run them at once).
# Exit 77 (ctest: skipped) when node, npm or /usr/bin/chromium is missing.
# Usage: run_browser_test.sh GPOPD GPOPCTL WORK_DIR [SCRIPT]
set -euo pipefail
gpopd=$1 gpopctl=$2 work=$3 script=${4:-browser_test.mjs}
here=$(cd "$(dirname "$0")" && pwd)
chromium=${CHROMIUM:-/usr/bin/chromium}
for tool in node npm; do
  command -v $tool >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done
[ -x "$chromium" ] || { echo "SKIP: $chromium is not installed"; exit 77; }
mkdir -p "$work/shots"
cp "$here/package.json" "$here/package-lock.json" "$here/$script" "$work/"
# node_modules stays in the build tree; reinstalled only when the lock file changes.
if ! cmp -s "$here/package-lock.json" "$work/node_modules/.gpop-lock" 2>/dev/null; then
  (cd "$work" && HOME=${HOME:-$work} npm ci --no-audit --no-fund --loglevel=error)
  cp "$here/package-lock.json" "$work/node_modules/.gpop-lock"
fi
cd "$work"
CHROMIUM=$chromium node "$script" "$gpopd" "$gpopctl" "$work/shots"
echo "screenshots: $work/shots"
