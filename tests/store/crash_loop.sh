#!/usr/bin/env bash
# Crash loop through the real binaries: gpopd (sysvol backend on a gpop-demo-store tree) is
# killed with SIGKILL at random moments while backups start, run and are cancelled, then started
# again on the same --state_dir. After each restart: every acknowledged operation is there, a
# retried request_id returns the same operation; at the end none is left QUEUED or RUNNING and a
# `gpopctl watch` that ran across every restart ended with the operation's terminal event.
#
# Usage: crash_loop.sh GPOPD GPOPCTL GPOP_DEMO_STORE ITERATIONS [SEED]
# (ctest runs a few iterations; a longer run: crash_loop.sh ... 200, the seed is printed first)
set -uo pipefail
gpopd=$1 ctl=$2 demo_store=$3 iterations=$4
seed=${5:-$(( $(date +%s) % 100000 ))}
echo "crash loop: seed $seed, $iterations iterations (rerun: $0 $gpopd $ctl $demo_store $iterations $seed)"
RANDOM=$seed
work=$(mktemp -d)
pid=
watcher=
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  [ -n "$watcher" ] && kill -KILL "$watcher" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL (seed $seed): $*"; echo "--- last gpopd log"; tail -20 "$work/gpopd.log"; exit 1; }

"$demo_store" "$work/sysvol/demo.test" >/dev/null || fail "gpop-demo-store failed"
listen=127.0.0.1:0
start_gpopd() {
  : >"$work/gpopd.log"
  rm -f "$work/port"
  "$gpopd" --sysvol "$work/sysvol/demo.test" --state_dir "$work/state" --listen "$listen" \
    --port_file "$work/port" 2>"$work/gpopd.log" &
  pid=$!
  for _ in $(seq 1 600); do
    grep -q "gpopd ready" "$work/gpopd.log" 2>/dev/null && break
    kill -0 $pid 2>/dev/null || fail "gpopd did not start"
    sleep 0.05
  done
  grep -q "gpopd ready" "$work/gpopd.log" || fail "gpopd not ready"
  listen=127.0.0.1:$(cat "$work/port")  # the same port on every restart
  export GPOP_SERVER=$listen
}
gpos=("Server Hardening" "Default Domain Policy")
: >"$work/acked"  # request_id operation_id, for every Start that was answered
n=0

start_gpopd
first=$("$ctl" backup --gpo "${gpos[0]}" --request-id watched) || fail "first start"
echo "watched $first" >>"$work/acked"
"$ctl" --reconnect-for 120s watch "$first" >"$work/watch.out" 2>"$work/watch.err" &
watcher=$!

for ((i = 1; i <= iterations; i++)); do
  # Every operation acknowledged so far is there, and a retried request_id is the same one.
  while read -r rid id; do
    "$ctl" get "$id" >/dev/null 2>&1 || fail "iteration $i: acknowledged $id is gone"
  done <"$work/acked"
  if [ -s "$work/acked" ]; then
    read -r rid id < <(shuf -n 1 --random-source=<(yes $seed$i) "$work/acked")
    gpo=${gpos[0]}
    [ "$rid" != watched ] && gpo=${gpos[$(( ${rid#r} % 2 ))]}
    again=$("$ctl" backup --gpo "$gpo" --request-id "$rid" 2>/dev/null) &&
      [ "$again" != "$id" ] && fail "request_id $rid gave $again, first $id"
  fi
  # Start a few, cancel some, and kill gpopd meanwhile.
  for ((k = 0; k < 1 + RANDOM % 4; k++)); do
    n=$((n + 1))
    (id=$("$ctl" backup --gpo "${gpos[$((n % 2))]}" --request-id "r$n" 2>/dev/null) &&
      echo "r$n $id" >>"$work/acked" &&
      if [ $((RANDOM % 3)) -eq 0 ]; then "$ctl" cancel "$id" >/dev/null 2>&1; fi) &
  done
  sleep "0.$(printf %02d $((20 + RANDOM % 60)))"
  kill -KILL $pid
  wait $pid 2>/dev/null
  pid=  # reaped: cleanup must not signal a pid the kernel may have given to another process
  wait $(jobs -p | grep -v "^$watcher$") 2>/dev/null
  start_gpopd
done

# Nothing stays unfinished: every acknowledged operation ends.
for _ in $(seq 1 200); do
  open=0
  while read -r rid id; do
    state=$("$ctl" -o json get "$id" 2>/dev/null | grep -o '"state": *"[A-Z]*"' | grep -o '[A-Z]*"$')
    case "$state" in SUCCEEDED\" | FAILED\" | CANCELLED\") ;; *) open=1 ;; esac
  done <"$work/acked"
  [ $open -eq 0 ] && break
  sleep 0.1
done
[ $open -eq 0 ] || fail "an acknowledged operation never finished"
wait $watcher
rc=$?
watcher=
grep -Eq "SUCCEEDED|FAILED|CANCELLED" "$work/watch.out" ||
  fail "the watch across restarts saw no terminal event (rc $rc): $(cat "$work/watch.out" "$work/watch.err")"
echo "crash loop: $(wc -l <"$work/acked") acknowledged operations intact over $iterations SIGKILLs"
