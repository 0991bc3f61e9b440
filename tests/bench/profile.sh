#!/bin/sh
# Profiles of gpopd's hot paths under the load driver (RESULTS.md, "Profiles", says what they
# showed). perf samples cpu-clock (VMs often have no hardware counters); strace -c counts the
# system calls of every thread.
#
#   tests/bench/profile.sh [BUILD_DIR [OUT_DIR [PROFILES]]]
#
# Defaults: build/release, /tmp/gpop-profiles, every profile. PROFILES is a comma-separated list
# of start,retained,progress,backup,instructions (e.g. `... build/rel /tmp/p backup`).
#
# Writes OUT_DIR/<name>.perf.txt (flat self-time and, with dwarf call graphs, callers) and
# OUT_DIR/<name>.strace.txt per profile. Needs perf and strace; only loopback, only its own
# processes (each started and stopped here).
set -eu
BUILD=$(cd "${1:-build/release}" && pwd)
OUT=${2:-/tmp/gpop-profiles}
PROFILES=${3:-start,retained,progress,backup,instructions}
# want NAME: whether profile NAME was asked for.
want() {
  case ",$PROFILES," in *",$1,"*) return 0 ;; *) return 1 ;; esac
}
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/gpop-profile.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
GPOPD=$BUILD/service/gpopd
RAW=$BUILD/tests/bench/bench_raw_server
LOAD=$BUILD/tests/bench/bench_load

# start_server NAME COMMAND...: starts a server on a free port; sets PID and TARGET.
start_server() {
  name=$1
  shift
  rm -f "$WORK/$name.port"
  "$@" --listen=127.0.0.1:0 --port_file="$WORK/$name.port" 2>"$WORK/$name.log" &
  PID=$!
  while [ ! -s "$WORK/$name.port" ]; do sleep 0.05; done
  TARGET=127.0.0.1:$(cat "$WORK/$name.port")
}

stop_server() {
  kill "$PID"
  wait "$PID" || true
}

gpopd_synthetic() {
  start_server gpopd "$GPOPD" --backend=synthetic --executor_threads=4 \
    --state_dir="$WORK/state-$1"
}

# perf_during NAME LOAD-ARGS...: perf record of $PID while bench_load runs LOAD-ARGS.
perf_during() {
  name=$1
  shift
  perf record -e cpu-clock -F 499 --call-graph dwarf,16384 -p "$PID" -o "$WORK/$name.data" \
    2>/dev/null &
  perf_pid=$!
  sleep 0.5
  "$LOAD" "$@" --target="$TARGET" --server_pid="$PID" >"$OUT/$name.load.json"
  kill -INT "$perf_pid"
  wait "$perf_pid" || true
  # Self time by symbol, then inclusive time (callers included) of gpop's own frames.
  {
    echo "== self"
    perf report -i "$WORK/$name.data" --stdio --no-children -g none --percent-limit 1 \
      --sort dso,symbol 2>/dev/null | grep -E '^ +[0-9]'
    echo "== inclusive, gpop frames"
    perf report -i "$WORK/$name.data" --stdio --children -g none --percent-limit 0.5 \
      --sort symbol 2>/dev/null | grep -E '^ +[0-9]' | grep -E 'gpop::|fsync'
  } | sed 's/  */ /g' | cut -c1-200 >"$OUT/$name.perf.txt"
}

# strace_during NAME LOAD-ARGS...: strace -c of every thread of $PID while LOAD-ARGS runs.
strace_during() {
  name=$1
  shift
  strace -c -f -p "$PID" -o "$OUT/$name.strace.txt" &
  strace_pid=$!
  sleep 0.5
  "$LOAD" "$@" --target="$TARGET" --server_pid="$PID" >"$OUT/$name.load.json"
  kill -INT "$strace_pid"
  wait "$strace_pid" || true
}

if want start; then
# 1. StartOperation on a fresh server, concurrency 8: syscalls per call against the raw echo.
gpopd_synthetic s1
strace_during start-c8.gpop start --concurrency=8 --ops=4000
stop_server
start_server raw "$RAW"
strace_during start-c8.raw start --raw --concurrency=8 --ops=4000
stop_server
gpopd_synthetic p1
perf_during start-c8.gpop start --concurrency=8 --ops=4000
stop_server

fi
if want retained; then
# 2. StartOperation once 10,000 operations are retained (retention's removal on every Start).
gpopd_synthetic p2
"$LOAD" retained --target="$TARGET" --checkpoints=10000 --ops=10 >/dev/null
perf_during start-retained.gpop start --concurrency=8 --ops=2000
stop_server

fi
if want progress; then
# 3. An operation's progress with 1,000 watchers (100 changes/s asked).
gpopd_synthetic p3
perf_during progress-1000.gpop progress --watchers=1000 --steps=300 --step_ms=10
stop_server

fi
if want backup; then
# 4. sysvol backup of a registry-heavy store (gpreport.xml, fsyncs, listing): BACKUP_GPOS GPOs
#    (default 50) of BACKUP_MB MB of registry.pol in all (default 50).
"$BUILD/service/backends/sysvol/gpop-demo-store" --gpos "${BACKUP_GPOS:-50}" --megabytes "${BACKUP_MB:-50}" \
  "$WORK/store/bench.test" >/dev/null
# sysvol_gpopd N: gpopd on the store with an empty backup location of its own.
sysvol_gpopd() {
  mkdir -p "$WORK/backups-$1"
  sync
  start_server gpopd "$GPOPD" --backend=sysvol --sysvol="$WORK/store/bench.test" \
    --domain=bench.test --backup_locations=default="$WORK/backups-$1" \
    --detect_running_dc=false --state_dir="$WORK/state-sysvol-$1"
}
sysvol_gpopd 1
perf_during backup.gpop backup --concurrency=8
stop_server
sysvol_gpopd 2
strace_during backup.gpop backup --concurrency=8
stop_server
fi
if want instructions; then
# 5. Instructions per call (callgrind: exact counts, unaffected by the machine's load): the
#    server's instructions for 600 calls minus those for 200, divided by the 400 calls between,
#    gpopd's Start against the raw echo, at concurrency 1 (under valgrind a deeper queue fills:
#    QUEUE_FULL answers are cheap).
# callgrind_calls NAME N SERVER-COMMAND...: "INSTRUCTIONS OK-CALLS" of a server that was sent N
# calls.
callgrind_calls() {
  name=$1
  n=$2
  shift 2
  start_server "$name" valgrind --tool=callgrind --callgrind-out-file="$WORK/$name.$n.cg" "$@"
  case "$name" in raw*) raw_flag=--raw ;; *) raw_flag= ;; esac
  ok=$("$LOAD" start $raw_flag --target="$TARGET" --concurrency=1 --ops="$n" --seconds=600 |
    tee -a "$OUT/instructions.load.json" | sed 's/.*"ok": \([0-9]*\).*/\1/')
  stop_server
  ir=$(callgrind_annotate "$WORK/$name.$n.cg" 2>/dev/null |
    awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
  echo "$ir $ok"
}
rm -f "$OUT/instructions.txt" "$OUT/instructions.load.json"
for server in gpop raw; do
  if [ "$server" = gpop ]; then
    set -- $(callgrind_calls gpop-cg 200 "$GPOPD" --backend=synthetic --state_dir="$WORK/cg-1") \
      $(callgrind_calls gpop-cg 600 "$GPOPD" --backend=synthetic --state_dir="$WORK/cg-2")
  else
    set -- $(callgrind_calls raw-cg 200 "$RAW") $(callgrind_calls raw-cg 600 "$RAW")
  fi
  echo "$server: $(( ($3 - $1) / ($4 - $2) )) server instructions per Start/Echo" \
    "($2 calls: $1, $4 calls: $3)" | tee -a "$OUT/instructions.txt"
  callgrind_annotate "$WORK/$server-cg.600.cg" 2>/dev/null | head -60 >"$OUT/$server.callgrind.txt"
done
fi
echo "profiles in $OUT"
