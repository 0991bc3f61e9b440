#!/usr/bin/env bash
# A baseline package of 84 backups end to end through the real binaries, as a client outside the
# repository would use it: the 16 Windows-made fixture backups, round after round under fresh
# backup IDs and display names, with the manifest.xml GPMC writes (transfer_set_lib.sh), made at
# test time in a temporary folder. gpopctl uploads the set as a tar file (made by GNU tar); the
# location's manifest.xml lists every uploaded backup at once (before any backup or listing of
# the location), record for record as each backup's bkupInfo.xml says; one import-set
# operation imports all 84 into new GPOs created by display name; gpopctl downloads reports (XML
# of 16 new GPOs, HTML of one uploaded backup: well formed, naming their GPO), and new backups of
# the 16 GPOs of the first round (one per original) as one backup set; every settings file must
# be byte-identical to the original's in SYSVOL (all 84 GPOs) and in the downloaded backups (16).
# Usage: transfer_large_set_test.sh GPOPD GPOPCTL GPOP_DEMO_STORE
set -euo pipefail
gpopd=$1 ctl=$2 demo_store=$3
work=$(mktemp -d)
. "$(dirname "$0")/gpopd_test_lib.sh"
. "$(dirname "$0")/transfer_set_lib.sh"
require_fixtures
count=84
# The seconds each phase took, for the log.
phase() { echo "$(date -u +%T) [${SECONDS}s] $*"; }

sysvol=$work/sysvol/demo.test
"$demo_store" "$sysvol" >/dev/null
gpopd_start --sysvol "$sysvol" --state_dir "$work/state" \
  --backup_locations "default=$work/backups,incoming=$work/incoming" --default_location default

phase "making the set"
set_dir=$work/baseline
make_backup_set "$set_dir" $count
[ "$(ls -d "$set_dir"/{* | wc -l)" -eq $count ] || fail "the set does not have $count backups"

phase "uploading"
# As a tar file made by GNU tar (as a publisher ships a baseline), not gpopctl's own stream.
tar -C "$set_dir" -cf "$work/baseline.tar" .
"$ctl" -o json upload "$work/baseline.tar" --location incoming >"$work/upload.json" ||
  fail "upload of the set failed"
upload_id=$(grep -o '"uploadId": *"up-[a-z2-7]*"' "$work/upload.json" | grep -o 'up-[a-z2-7]*')
[ -n "$upload_id" ] || fail "the upload named no upload ID"
grep -q '"backupSet": *true' "$work/upload.json" || fail "the upload was not taken as a set"

# The publish itself listed every uploaded backup in the location's manifest.xml: nothing has
# backed up into or listed the location yet.
[ -f "$work/incoming/manifest.xml" ] || fail "the upload left no manifest.xml in the location"
while read -r id _; do
  grep -q "<ID><!\[CDATA\[$id\]\]></ID>" "$work/incoming/manifest.xml" ||
    fail "manifest.xml of the location does not list the uploaded backup $id"
done <"$set_dir.origins"
[ "$(grep -o '<BackupInst>' "$work/incoming/manifest.xml" | wc -l)" -eq $count ] ||
  fail "manifest.xml of the location does not list exactly $count backups"

phase "importing"
# One operation for the whole set.
"$ctl" import-set --upload "$upload_id" --wait >"$work/import.txt" ||
  fail "the import set failed: $(tail -5 "$work/import.txt")"
grep -q "^$count imported, 0 failed, 0 not started (of $count backups)" "$work/import.txt" ||
  fail "the import set's tally is wrong: $(tail -1 "$work/import.txt")"
[ "$(grep -c "backup [0-9]*/$count {[0-9A-F-]*} (.*): imported into GPO {" "$work/import.txt")" \
  -eq $count ] || fail "not every backup's outcome message was shown"
awk '$1 == "IMPORTED" { print $2, $3 }' "$work/import.txt" >"$work/pairs.txt"
[ "$(wc -l <"$work/pairs.txt")" -eq $count ] || fail "not $count IMPORTED lines"
[ "$(cut -d' ' -f2 "$work/pairs.txt" | sort -u | wc -l)" -eq $count ] ||
  fail "the set was not imported into $count distinct GPOs"

# Each record of the location's manifest.xml is its backup's bkupInfo.xml record (children
# byte for byte), not only its ID.
for d in "$set_dir"/{*; do
  info=$(tr -d '\r\n' <"$d/bkupInfo.xml")
  body=${info#*>}
  body=${body%</BackupInst>}
  grep -qF "<BackupInst>$body</BackupInst>" "$work/incoming/manifest.xml" ||
    fail "manifest.xml of the location does not hold the record of $(basename "$d") as uploaded"
done

phase "reports"
# Reports through the download: XML of 16 new GPOs (each well formed, by python3's parser, and
# naming its GPO), HTML of one uploaded backup (whole, to </html>, and naming its GPO).
to_utf8() {  # FILE: its text in UTF-8 (Windows writes gpreport.xml in UTF-16 with a BOM)
  if [ "$(head -c2 "$1" | od -An -tx1 | tr -d ' \n')" = fffe ]; then
    iconv -f UTF-16 -t UTF-8 "$1"
  else
    cat "$1"
  fi
}
display_name() {  # BACKUP: its GPO display name in the set
  grep -o '<GPODisplayName><!\[CDATA\[[^]]*' "$set_dir/$1/bkupInfo.xml" | sed 's|.*CDATA\[||'
}
mkdir "$work/reports"
head -16 "$work/pairs.txt" >"$work/reported.txt"
while read -r backup gpo; do
  "$ctl" report --gpo "$gpo" --format xml --out "$work/reports/$gpo.xml" >"$work/reports/$gpo.log" 2>&1 ||
    fail "the report of $gpo failed"
  name=$(display_name "$backup")
  [ -n "$name" ] || fail "backup $backup names no display name"
  to_utf8 "$work/reports/$gpo.xml" >"$work/reports/$gpo.utf8"
  grep -qF "$name" "$work/reports/$gpo.utf8" || fail "the report of $gpo does not name \"$name\""
done <"$work/reported.txt"
read -r first_backup _ <"$work/pairs.txt"
"$ctl" report --backup-id "$first_backup" --location incoming --format html \
  --out "$work/reports/backup.html" >"$work/reports/backup.log" 2>&1 || fail "the report of backup $first_backup failed"
to_utf8 "$work/reports/backup.html" >"$work/reports/backup.txt"
grep -qF "$(display_name "$first_backup")" "$work/reports/backup.txt" ||
  fail "the report of backup $first_backup does not name its GPO"
[ "$(tail -c 64 "$work/reports/backup.txt" | tr -d '\r\n' | grep -o '</html>$' || true)" ] ||
  fail "the HTML report of backup $first_backup is cut short"
[ "$(ls "$work/reports"/*.xml | wc -l)" -eq 16 ] || fail "not 16 XML reports"
/usr/bin/python3 -c '
import sys, xml.dom.minidom
for f in sys.argv[1:]:
    xml.dom.minidom.parse(f)
' "$work/reports"/*.utf8 || fail "a downloaded report is not well formed"

phase "backups"
# New backups, downloaded as one backup set.
"$ctl" gpos >"$work/gpos.txt"
mkdir "$work/b"
back_up() {  # GPO: a backup of it, its ID into $work/b/GPO
  "$ctl" -o json backup --gpo "$1" --wait >"$work/b/$1.json" 2>&1 || return 0
  grep -o '"backupId": *"{[0-9A-F-]*}"' "$work/b/$1.json" | tail -1 | grep -o '{[0-9A-F-]*}' \
    >"$work/b/$1" || true
}
# Every GPO is listed; the GPOs of the first round (one per original, the 16 distinct contents:
# the later rounds' settings are the same bytes) are backed up anew, four at a time (gpopctl
# mostly waits for the server).
while read -r backup gpo; do
  grep -q "^$gpo " "$work/gpos.txt" || fail "GPO $gpo of backup $backup is not listed"
done <"$work/pairs.txt"
head -16 "$set_dir.origins" | while read -r backup _; do grep "^$backup " "$work/pairs.txt"; done \
  >"$work/round1.txt"
[ "$(wc -l <"$work/round1.txt")" -eq 16 ] || fail "the first round's GPOs are not all there"
pids=()
while read -r backup gpo; do
  back_up "$gpo" &
  pids+=($!)
  if [ ${#pids[@]} -eq 4 ]; then wait "${pids[@]}"; pids=(); fi
done <"$work/round1.txt"
[ ${#pids[@]} -eq 0 ] || wait "${pids[@]}"
: >"$work/new.txt"
while read -r backup gpo; do
  new=$(cat "$work/b/$gpo" 2>/dev/null || true)
  [ -n "$new" ] || fail "no backup of GPO $gpo: $(cat "$work/b/$gpo.json")"
  echo "$backup $gpo $new" >>"$work/new.txt"
done <"$work/round1.txt"
phase "downloading"
# shellcheck disable=SC2046
"$ctl" download-backup $(cut -d' ' -f3 "$work/new.txt") --out "$work/down" >/dev/null 2>&1 ||
  fail "the download of the 16 new backups failed"
[ -f "$work/down/manifest.xml" ] || fail "the downloaded set has no manifest.xml"

phase "comparing"
# Every GPO's settings in SYSVOL; the new backups' in the downloaded set.
n=0
while read -r backup gpo; do
  n=$((n + 1))
  original=$(grep "^$backup " "$set_dir.origins" | cut -d' ' -f2-)
  [ -n "$original" ] || fail "backup $backup has no original"
  new=$(grep "^$backup " "$work/new.txt" | cut -d' ' -f3 || true)  # empty: not backed up anew
  compare_settings "$original" "$sysvol/Policies/$gpo" "${new:+$work/down/$new}" \
    "$backup ($original)"
done <"$work/pairs.txt"
[ $n -eq $count ] || fail "checked $n GPOs, not $count"
[ "$(ls -d "$work/down"/{* | wc -l)" -eq 16 ] || fail "the downloaded set does not hold 16 backups"

gpopd_stop
echo "transfer of a $count-backup set end to end: passed"
