# Shared by the shell end-to-end tests (source it): starts gpopd on a free loopback port and
# waits until it is ready, stops it, and cleans up. The sourcing test sets $gpopd (the binary)
# and $work (its temporary folder) first; gpopd's stderr goes to $work/gpopd.log.
#
#   gpopd_start [gpopd flags...]   start; sets $gpopd_pid and exports GPOP_SERVER
#   gpopd_stop                     SIGTERM; fails unless gpopd exits 0
#   fail MESSAGE                   print MESSAGE and the end of gpopd's log, exit 1
#   require_fixtures               sets $fixtures (GPOP_FIXTURES, else ../shared/fixtures beside
#                                  the repository); missing: FAIL under CI=true, else skip (exit 0)
# On exit gpopd is killed and $work removed (kept when $KEEP is set).

fail() {
  echo "FAIL: $*"
  echo "--- gpopd log"
  tail -50 "$work/gpopd.log" 2>/dev/null
  exit 1
}

require_fixtures() {
  fixtures=${GPOP_FIXTURES:-$(dirname "${BASH_SOURCE[0]}")/../../../shared/fixtures}
  if [ ! -d "$fixtures/gpmc-backups" ]; then
    [ "${CI:-}" = true ] && { echo "FAIL: fixtures not found at $fixtures"; exit 1; }
    echo "fixtures not found at $fixtures: skipped"; exit 0
  fi
}

gpopd_pid=
trap 'if [ -n "$gpopd_pid" ]; then kill -TERM $gpopd_pid 2>/dev/null || true; fi
      [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

gpopd_start() {
  rm -f "$work/port"
  "$gpopd" "$@" --listen 127.0.0.1:0 --port_file "$work/port" 2>"$work/gpopd.log" &
  gpopd_pid=$!
  # gpopd logs "gpopd ready" once the port file is written.
  local ready=
  for _ in $(seq 1 600); do
    if grep -q "gpopd ready" "$work/gpopd.log" 2>/dev/null; then ready=1; break; fi
    kill -0 $gpopd_pid 2>/dev/null || fail "gpopd exited early"
    sleep 0.05
  done
  [ -n "$ready" ] || fail "gpopd did not get ready in 30 s"
  GPOP_SERVER=127.0.0.1:$(cat "$work/port")
  export GPOP_SERVER
}

gpopd_stop() {
  kill -TERM $gpopd_pid
  local rc=0
  wait $gpopd_pid || rc=$?
  gpopd_pid=
  [ $rc -eq 0 ] || fail "gpopd exited $rc on SIGTERM, not 0"
}
