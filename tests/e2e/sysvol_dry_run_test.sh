#!/usr/bin/env bash
# Restore, import and copy through the real gpopctl and gpopd (sysvol backend, demo store), each
# first with --dry-run and then for real. A dry run must leave SYSVOL, the backup location and
# the backend's metadata store exactly as they were, and print what would change ("N setting(s)
# would change" and one +/-/~ line per setting); the real run must make that change (a dry run
# after it predicts none), and restore and import print the safety backup's ID: a backup gpopctl
# lists, whose restore brings back the state before the run.
# Usage: sysvol_dry_run_test.sh GPOPD GPOPCTL GPOP_DEMO_STORE
set -euo pipefail
gpopd=$1 ctl=$2 demo_store=$3
work=$(mktemp -d)
. "$(dirname "$0")/gpopd_test_lib.sh"

sysvol=$work/sysvol/demo.test
"$demo_store" "$sysvol" >/dev/null
gpopd_start --sysvol "$sysvol" --state_dir "$work/state" --http_listen= \
  --backup_locations "default=$work/backups" --default_location default
server="{2F8E4D6C-9B1A-4E3F-8D7C-6B5A4F3E2D1C}"  # "Server Hardening" in the demo store
gpt=$sysvol/Policies/$server
[ -f "$gpt/Machine/Registry.pol" ] || fail "the demo store's Server Hardening has no Registry.pol"

snapshot() {  # what a dry run must not change: every file of SYSVOL and of the backup
  # location (names, sizes, modes, SHA-256) and the GPO rows of the metadata store (the
  # intent journal records the dry run's own staging, rolled back, and the operations'
  # database the operation itself, so those are left out)
  (cd "$work" && find sysvol backups -printf '%p %s %m\n' | sort &&
    find sysvol backups -type f -print0 | sort -z | xargs -0 sha256sum)
  for db in "$work"/state/*.db; do
    /usr/bin/python3 -c 'import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
tables = [r[0] for r in db.execute("select name from sqlite_master where type = \"table\"")]
if "gpos" in tables:  # the sysvol metadata store
    for row in db.execute("select * from gpos order by 1"):
        print(row)' "$db"
  done
}
# gpopctl ... --wait prints the operation ID, its progress and, at the end, what it did (the
# rows of `gpopctl get`).
predicted() {  # FILE: the number of settings the dry run printed as changing
  sed -n 's/.*nothing was changed; \([0-9]*\) setting(s) would change.*/\1/p' "$1"
}
safety_id() {  # FILE: the printed safety backup ID
  sed -n 's/.*safety backup: *\({[0-9A-Fa-f-]\{36\}}\).*/\1/p' "$1"
}
dry_run() {  # NAME GPOPCTL-ARGS...: a dry run that changes nothing and predicts something
  local name=$1; shift
  snapshot >"$work/before"
  "$ctl" "$@" --dry-run --wait >"$work/$name.dry" 2>&1 || fail "$name --dry-run: $(cat "$work/$name.dry")"
  snapshot >"$work/after"
  diff "$work/before" "$work/after" >"$work/diff" ||
    fail "$name --dry-run changed the disk: $(head -20 "$work/diff")"
  local n
  n=$(predicted "$work/$name.dry")
  [ -n "$n" ] && [ "$n" -gt 0 ] || fail "$name --dry-run predicted nothing: $(cat "$work/$name.dry")"
  # One line per predicted setting.
  [ "$(grep -c -E '^ *[-+~] (Computer|User|GPO) / ' "$work/$name.dry")" -eq "$n" ] ||
    fail "$name --dry-run: $n settings but not as many lines: $(cat "$work/$name.dry")"
  [ -z "$(safety_id "$work/$name.dry")" ] || fail "$name --dry-run printed a safety backup"
}
no_change_left() {  # NAME GPOPCTL-ARGS...: after the real run, a dry run predicts nothing
  local name=$1; shift
  "$ctl" "$@" --dry-run --wait >"$work/$name.again" 2>&1 ||
    fail "$name again: $(cat "$work/$name.again")"
  [ "$(predicted "$work/$name.again")" = 0 ] ||
    fail "the real $name did not make the predicted change: $(cat "$work/$name.again")"
}

# A backup, then a change it does not hold: the computer side's registry settings removed.
"$ctl" backup --gpo "Server Hardening" --wait >/dev/null || fail "backup"
"$ctl" backups --gpo "Server Hardening" >"$work/backups.out" || fail "backups"
backup=$(grep -o -E '\{[0-9A-Fa-f-]{36}\}' "$work/backups.out" | head -1 || true)
[ -n "$backup" ] || fail "no backup ID in: $(cat "$work/backups.out")"
rm "$gpt/Machine/Registry.pol"

# Restore: the dry run predicts the registry settings coming back.
dry_run restore restore --backup-id "$backup"
grep -E '^ *\+ Computer / ' "$work/restore.dry" >/dev/null ||
  fail "restore --dry-run does not predict the registry settings added: $(cat "$work/restore.dry")"
"$ctl" restore --backup-id "$backup" --wait >"$work/restore.out" 2>&1 ||
  fail "restore: $(cat "$work/restore.out")"
cmp -s "$gpt/Machine/Registry.pol" "$work/backups/$backup/DomainSysvol/GPO/Machine/Registry.pol" ||
  fail "the restore did not bring Registry.pol back"
safety=$(safety_id "$work/restore.out")
[ -n "$safety" ] || fail "restore printed no safety backup: $(cat "$work/restore.out")"
grep "gpopctl restore --backup-id $safety" "$work/restore.out" >/dev/null ||
  fail "restore does not print how to undo it: $(cat "$work/restore.out")"
"$ctl" backups --gpo "Server Hardening" >"$work/backups.out" || fail "backups"
grep -F "$safety" "$work/backups.out" >/dev/null || fail "the safety backup $safety is not listed"
no_change_left restore restore --backup-id "$backup"
# The safety backup undoes the restore: Registry.pol is gone again.
"$ctl" restore --backup-id "$safety" --no-safety-backup --wait >/dev/null 2>&1 ||
  fail "restore of the safety backup"
[ ! -e "$gpt/Machine/Registry.pol" ] || fail "the safety backup holds Registry.pol"

# Import of the backup into another GPO.
dry_run import import --backup-id "$backup" --target "Audit Policy"
"$ctl" import --backup-id "$backup" --target "Audit Policy" --wait >"$work/import.out" 2>&1 ||
  fail "import: $(cat "$work/import.out")"
safety=$(safety_id "$work/import.out")
[ -n "$safety" ] || fail "import printed no safety backup: $(cat "$work/import.out")"
"$ctl" backups --gpo "Audit Policy" >"$work/backups.out" || fail "backups"
grep -F "$safety" "$work/backups.out" >/dev/null || fail "the safety backup $safety is not listed"
no_change_left import import --backup-id "$backup" --target "Audit Policy"

# Copy to a new GPO: the dry run makes no GPO; the real run does, without a safety backup.
dry_run copy copy --gpo "Audit Policy" --new-name "Audit Policy Copy"
"$ctl" gpos >"$work/gpos.out" || fail "gpos"
! grep -F "Audit Policy Copy" "$work/gpos.out" >/dev/null || fail "copy --dry-run made a GPO"
"$ctl" copy --gpo "Audit Policy" --new-name "Audit Policy Copy" --wait >"$work/copy.out" 2>&1 ||
  fail "copy: $(cat "$work/copy.out")"
[ -z "$(safety_id "$work/copy.out")" ] || fail "copy printed a safety backup"
"$ctl" gpos >"$work/gpos.out" || fail "gpos"
grep -F "Audit Policy Copy" "$work/gpos.out" >/dev/null || fail "copy made no GPO"

gpopd_stop
echo "sysvol dry runs and safety backups through gpopctl: passed"
