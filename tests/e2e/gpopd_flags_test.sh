#!/usr/bin/env bash
# gpopd's engine flags from the command line: --shutdown_cancel_bound, --cancel_commit_wait and
# --end_commit_hold are listed, a negative value of any is refused with a clear message and exit
# code 2, and a valid bound lets gpopd start.
#
# Usage: gpopd_flags_test.sh GPOPD
set -uo pipefail
gpopd=$1
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$work/err" 2>/dev/null; exit 1; }

"$gpopd" --helpfull >"$work/help" 2>&1
grep -q -- "--shutdown_cancel_bound" "$work/help" || fail "--shutdown_cancel_bound not listed"

"$gpopd" --backend synthetic --shutdown_cancel_bound=-1s --state_dir "$work/state" --listen 127.0.0.1:0 2>"$work/err"
code=$?
[ "$code" -eq 2 ] || fail "negative --shutdown_cancel_bound: exit $code, want 2"
grep -q "shutdown_cancel_bound not negative" "$work/err" || fail "no message naming the flag"

grep -q -- "--cancel_commit_wait" "$work/help" || fail "--cancel_commit_wait not listed"
"$gpopd" --backend synthetic --cancel_commit_wait=-1ms --state_dir "$work/state" --listen 127.0.0.1:0 2>"$work/err"
code=$?
[ "$code" -eq 2 ] || fail "negative --cancel_commit_wait: exit $code, want 2"
grep -q "cancel_commit_wait not negative" "$work/err" || fail "no message naming --cancel_commit_wait"

grep -q -- "--end_commit_hold" "$work/help" || fail "--end_commit_hold not listed"
"$gpopd" --backend synthetic --end_commit_hold=-1ms --state_dir "$work/state" --listen 127.0.0.1:0 2>"$work/err"
code=$?
[ "$code" -eq 2 ] || fail "negative --end_commit_hold: exit $code, want 2"
grep -q "end_commit_hold not negative" "$work/err" || fail "no message naming --end_commit_hold"

"$gpopd" --backend synthetic --shutdown_cancel_bound=250ms --state_dir "$work/state" --listen 127.0.0.1:0 \
  --port_file "$work/port" 2>"$work/err" &
pid=$!
for _ in $(seq 1 600); do
  grep -q "gpopd ready" "$work/err" 2>/dev/null && break
  kill -0 $pid 2>/dev/null || fail "gpopd exited with a valid --shutdown_cancel_bound"
  sleep 0.05
done
grep -q "gpopd ready" "$work/err" || fail "gpopd not ready"
kill -TERM $pid
wait $pid || fail "gpopd did not stop cleanly"
pid=
echo "PASS"
