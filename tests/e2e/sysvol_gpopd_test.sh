#!/usr/bin/env bash
# End to end through the real binaries: gpop-demo-store writes a store, gpopd serves it with the
# sysvol backend (its default), gpopctl backs up a GPO, lists backups, reports and is refused
# what it must be refused. Usage: sysvol_gpopd_test.sh GPOPD GPOPCTL GPOP_DEMO_STORE
set -euo pipefail
gpopd=$1 ctl=$2 demo_store=$3
work=$(mktemp -d)
. "$(dirname "$0")/gpopd_test_lib.sh"

# One generated GPO large enough that its report exceeds gRPC's default 4 MiB message, then
# the demo GPOs beside it.
"$demo_store" --gpos 1 --megabytes 3 "$work/sysvol/demo.test" >/dev/null
"$demo_store" "$work/sysvol/demo.test" >/dev/null
gpopd_start --sysvol "$work/sysvol/demo.test" --state_dir "$work/state" \
  --backup_locations "default=$work/backups,offsite=$work/offsite" --default_location default

"$ctl" gpos | grep "Server Hardening" >/dev/null || fail "ListGpos lacks a demo GPO"
"$ctl" backup --gpo "server hardening" --location offsite --comment "e2e" --wait >/dev/null ||
  fail "backup did not succeed"
[ -f "$work/offsite/manifest.xml" ] || fail "no manifest.xml in the location"
ls "$work/offsite" | grep -E '^\{[0-9A-F-]{36}\}$' >/dev/null || fail "no backup folder named by a backup ID"
"$ctl" -o json backups --location offsite | grep '"gpoDisplayName": *"Server Hardening"' >/dev/null ||
  fail "ListBackups lacks the backup"
"$ctl" report --gpo "Audit Policy" --format xml --out "$work/report.xml" >/dev/null ||
  fail "report failed"
grep -q "<GPO" "$work/report.xml" || fail "the XML report has no GPO element"
"$ctl" report --gpo "Generated GPO 0001" --format xml --out "$work/big.xml" >/dev/null ||
  fail "the report of a large GPO failed"
[ "$(stat -c %s "$work/big.xml")" -gt 4194304 ] || fail "the large report is not over 4 MiB"

# Refusals: a location that is a path, an unknown GPO, an over-long comment.
set +e
"$ctl" backup --gpo "Audit Policy" --location ../etc >/dev/null 2>&1; rc_path=$?
"$ctl" backup --gpo "No Such GPO" --wait >/dev/null 2>&1; rc_missing=$?
"$ctl" backup --gpo "Audit Policy" --comment "$(head -c 2048 /dev/zero | tr '\0' x)" \
  >/dev/null 2>&1; rc_comment=$?
set -e
[ $rc_path -eq 6 ] || fail "a location path gave exit $rc_path, not 6 (INVALID_ARGUMENT)"
[ $rc_missing -eq 2 ] || fail "an unknown GPO gave exit $rc_missing, not 2 (operation FAILED)"
[ $rc_comment -eq 6 ] || fail "a 2,048-character comment gave exit $rc_comment, not 6"

gpopd_stop
echo "sysvol gpopd end to end: passed"
