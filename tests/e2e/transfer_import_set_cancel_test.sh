#!/usr/bin/env bash
# Cancelling an import set mid-set through gpopctl, on the real binaries: a set of 24 Windows-made
# backups (the 16 fixtures round after round, transfer_set_lib.sh) is uploaded and imported with
# `gpopctl import-set --wait --cancel-on-interrupt`. gpopd runs with the test-only
# --test_import_set_hold_after 2: the set holds after its second GPO until it is cancelled, so
# the cancel lands mid-set at a known point, with no race and no sleep. Once gpopctl has printed
# the two outcomes (read line by line from a FIFO), it gets SIGTERM (as Ctrl-C), sends Cancel and
# keeps watching to the end. The operation must end CANCELLED (exit 3) with effects APPLIED, and
# gpopctl must say for every backup whether it was imported or left its GPO untouched: exactly
# the first two are IMPORTED, each one's GPO holding every settings file of its backup byte for
# byte; the other 22 are NOT STARTED and have no GPO at all. gpopd is then restarted without the
# hold on the same state, the stored result is read again, and importing the location's backups
# again brings in the rest.
# Usage: transfer_import_set_cancel_test.sh GPOPD GPOPCTL GPOP_DEMO_STORE
set -euo pipefail
gpopd=$1 ctl=$2 demo_store=$3
work=$(mktemp -d)
. "$(dirname "$0")/gpopd_test_lib.sh"
. "$(dirname "$0")/transfer_set_lib.sh"
require_fixtures
count=24
hold=2

ctl_pid=
trap 'if [ -n "$ctl_pid" ]; then kill -KILL $ctl_pid 2>/dev/null || true; fi
      if [ -n "$gpopd_pid" ]; then kill -TERM $gpopd_pid 2>/dev/null || true; fi
      [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

sysvol=$work/sysvol/demo.test
"$demo_store" "$sysvol" >/dev/null
gpopd_args=(--sysvol "$sysvol" --state_dir "$work/state"
  --backup_locations "default=$work/backups,incoming=$work/incoming" --default_location default)
gpopd_start "${gpopd_args[@]}" --test_import_set_hold_after $hold

set_dir=$work/baseline
make_backup_set "$set_dir" $count
"$ctl" -o json upload "$set_dir" --location incoming >"$work/upload.json" ||
  fail "upload of the set failed"
upload_id=$(grep -o '"uploadId": *"up-[a-z2-7]*"' "$work/upload.json" | grep -o 'up-[a-z2-7]*')
[ -n "$upload_id" ] || fail "the upload named no upload ID"
"$ctl" gpos | cut -d' ' -f1 | sort >"$work/gpos-before.txt"

# The import set, followed by gpopctl through a FIFO (one line per event, flushed as it comes),
# cancelled by a signal once both outcomes before the hold are printed. The set cannot go past
# the hold, so the read below ends exactly there.
mkfifo "$work/cancel.fifo"
"$ctl" import-set --upload "$upload_id" --wait --cancel-on-interrupt >"$work/cancel.fifo" \
  2>"$work/cancel.err" &
ctl_pid=$!
exec 3<"$work/cancel.fifo"
: >"$work/cancel.txt"
imported=0
while [ "$imported" -lt $hold ] && IFS= read -r line <&3; do
  printf '%s\n' "$line" >>"$work/cancel.txt"
  n=$(grep -o ': imported into GPO {' <<<"$line" | wc -l || true)
  imported=$((imported + n))
done
[ "$imported" -eq $hold ] ||
  fail "gpopctl ended before showing $hold backups imported: $(cat "$work/cancel.txt" "$work/cancel.err")"
kill -TERM $ctl_pid
cat <&3 >>"$work/cancel.txt"
exec 3<&-
rc=0
wait $ctl_pid || rc=$?
ctl_pid=
[ $rc -eq 3 ] || fail "gpopctl exited $rc, not 3 (CANCELLED): $(tail -5 "$work/cancel.txt")"
op=$(head -1 "$work/cancel.txt")

# gpopctl's account: the terminal event, one line per backup, the tally.
grep -q "CANCELLED .*effects=APPLIED" "$work/cancel.txt" ||
  fail "no CANCELLED event with effects APPLIED: $(grep CANCELLED "$work/cancel.txt")"
grep -q 'every GPO is either untouched or fully imported' "$work/cancel.txt" ||
  fail "the cancelled set does not say that each GPO is untouched or fully imported"
awk '$1 == "IMPORTED" { print $2, $3 }' "$work/cancel.txt" >"$work/imported.txt"
awk '$1 == "NOT" && $2 == "STARTED" { print $3 }' "$work/cancel.txt" >"$work/untouched.txt"
k=$(wc -l <"$work/imported.txt")
m=$(wc -l <"$work/untouched.txt")
[ "$k" -eq $hold ] || fail "$k backups listed as IMPORTED, not the $hold before the hold"
[ "$m" -eq $((count - hold)) ] || fail "$m backups listed as NOT STARTED, not $((count - hold))"
[ $((k + m)) -eq $count ] || fail "$k imported + $m not started is not the $count backups"
grep -q "^$k imported, 0 failed, $m not started (of $count backups)" "$work/cancel.txt" ||
  fail "the tally is wrong: $(tail -1 "$work/cancel.txt")"
[ "$(grep -c '^NOT STARTED .*GPO untouched' "$work/cancel.txt")" -eq "$m" ] ||
  fail "not every NOT STARTED line says its GPO is untouched"

# The same account from the server.
"$ctl" -o json get "$op" >"$work/op.json" || fail "get $op failed"
grep -q '"state": *"CANCELLED"' "$work/op.json" || fail "the operation is not CANCELLED"
grep -q '"effects": *"EFFECTS_APPLIED"\|"effects": *"APPLIED"' "$work/op.json" ||
  fail "the operation's effects are not APPLIED: $(grep effects "$work/op.json")"
[ "$(grep -c '"outcome": *"IMPORTED"' "$work/op.json")" -eq "$k" ] ||
  fail "the result does not list $k IMPORTED backups"
[ "$(grep -c '"outcome": *"NOT_STARTED"' "$work/op.json")" -eq "$m" ] ||
  fail "the result does not list $m NOT_STARTED backups"

# Untouched: exactly the imported GPOs are new, each fully imported; no GPO of a backup that was
# not started exists, not even an empty one.
"$ctl" gpos >"$work/gpos-after.txt"
"$ctl" -o json gpos >"$work/gpos-after.json"
cut -d' ' -f1 "$work/gpos-after.txt" | sort >"$work/gpos-after-ids.txt"
[ "$(comm -13 "$work/gpos-before.txt" "$work/gpos-after-ids.txt" | wc -l)" -eq "$k" ] ||
  fail "the cancelled set did not leave exactly $k new GPOs"
while read -r backup gpo; do
  grep -q "^$gpo " "$work/gpos-after.txt" || fail "GPO $gpo of imported backup $backup is missing"
  original=$(grep "^$backup " "$set_dir.origins" | cut -d' ' -f2-)
  compare_settings "$original" "$sysvol/Policies/$gpo" "" "imported $backup"
done <"$work/imported.txt"
while read -r backup; do
  name=$(grep -o '<GPODisplayName><!\[CDATA\[[^]]*' "$set_dir/$backup/bkupInfo.xml" |
    sed 's|.*CDATA\[||')
  [ -n "$name" ] || fail "backup $backup names no display name"
  if grep -qF "\"$name\"" "$work/gpos-after.json"; then
    fail "backup $backup was not started, yet a GPO \"$name\" exists"
  fi
done <"$work/untouched.txt"

# The stored account survives a restart (without the hold, on the same state).
gpopd_stop
gpopd_start "${gpopd_args[@]}"
"$ctl" -o json get "$op" >"$work/op-restarted.json" || fail "get $op after the restart failed"
grep -q '"state": *"CANCELLED"' "$work/op-restarted.json" ||
  fail "after the restart the operation is not CANCELLED"
[ "$(grep -c '"outcome": *"IMPORTED"' "$work/op-restarted.json")" -eq "$k" ] &&
  [ "$(grep -c '"outcome": *"NOT_STARTED"' "$work/op-restarted.json")" -eq "$m" ] ||
  fail "after the restart the stored result does not list $k IMPORTED and $m NOT_STARTED"

# The rest comes in when the location's backups are imported again (the imported ones are
# overwritten).
"$ctl" import-set --all --location incoming --wait >"$work/again.txt" ||
  fail "importing the set again failed: $(tail -3 "$work/again.txt")"
grep -q "^$count imported, 0 failed, 0 not started (of $count backups)" "$work/again.txt" ||
  fail "the second import's tally is wrong: $(tail -1 "$work/again.txt")"

gpopd_stop
echo "import set cancelled mid-set through gpopctl: passed"
