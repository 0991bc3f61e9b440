#!/usr/bin/env bash
# A baseline package end to end through the real binaries: the eight Windows-made GPMC backups
# of the fixtures become one backup set with the manifest.xml GPMC writes beside them (root
# <Backups mfst:version="1.0">, one <BackupInst> per backup with the children of its
# bkupInfo.xml); gpopctl uploads it, import-set imports it (a dry run that changes nothing,
# then the real run) into new GPOs of the backups' display names; every settings file of every
# backup must then be byte-identical in the GPO's folder in SYSVOL, and again in a new backup
# of the GPO downloaded with download-backup. A set that cannot import exits non-zero.
# Usage: transfer_import_set_test.sh GPOPD GPOPCTL GPOP_DEMO_STORE
set -euo pipefail
gpopd=$1 ctl=$2 demo_store=$3
work=$(mktemp -d)
. "$(dirname "$0")/gpopd_test_lib.sh"
require_fixtures

sysvol=$work/sysvol/demo.test
"$demo_store" "$sysvol" >/dev/null
gpopd_start --sysvol "$sysvol" --state_dir "$work/state" \
  --backup_locations "default=$work/backups,incoming=$work/incoming" --default_location default

# The set: the backup folders and a manifest.xml listing them, as GPMC writes it.
set_dir=$work/baseline
mkdir -p "$set_dir"
ns=http://www.microsoft.com/GroupPolicy/GPOOperations/Manifest
{
  printf '<Backups xmlns="%s" xmlns:mfst="%s" mfst:version="1.0">' "$ns" "$ns"
  for b in "$fixtures"/gpmc-backups/{*}; do
    cp -r "$b" "$set_dir/"
    chmod -R u+w "$set_dir/$(basename "$b")"
    # bkupInfo.xml is one BackupInst element; in the manifest it inherits the namespace.
    tr -d '\r\n' <"$b/bkupInfo.xml" | sed "s| xmlns=\"$ns\"||"
  done
  printf '</Backups>'
} >"$set_dir/manifest.xml"
count=$(ls -d "$set_dir"/{*} | wc -l)
[ "$count" -eq 8 ] || fail "the set has $count backups, not 8"

"$ctl" -o json upload "$set_dir" --location incoming >"$work/upload.json" ||
  fail "upload of the set failed"
upload_id=$(grep -o '"uploadId": *"up-[a-z2-7]*"' "$work/upload.json" | grep -o 'up-[a-z2-7]*')
[ -n "$upload_id" ] || fail "the upload named no upload ID"
grep -q '"backupSet": *true' "$work/upload.json" || fail "the upload was not taken as a set"
"$ctl" gpos >"$work/gpos-before.txt"

# The dry run: every backup PREDICTED, nothing changed.
"$ctl" import-set --upload "$upload_id" --dry-run --wait >"$work/dry.txt" ||
  fail "the dry run failed: $(cat "$work/dry.txt")"
[ "$(grep -c '^PREDICTED ' "$work/dry.txt")" -eq 8 ] || fail "the dry run did not predict 8"
grep -q 'dry run: 8 predicted, 0 failed, 0 not started (of 8 backups)' "$work/dry.txt" ||
  fail "the dry run's tally is wrong: $(tail -1 "$work/dry.txt")"
"$ctl" gpos >"$work/gpos-dry.txt"
cmp -s "$work/gpos-before.txt" "$work/gpos-dry.txt" || fail "the dry run changed the GPOs"

# The real run, with the per-backup progress lines a pipe gets.
"$ctl" import-set --upload "$upload_id" --wait >"$work/real.txt" ||
  fail "the import set failed: $(cat "$work/real.txt")"
grep -q '8 imported, 0 failed, 0 not started (of 8 backups)' "$work/real.txt" ||
  fail "the import set's tally is wrong: $(tail -1 "$work/real.txt")"
# Each backup's outcome is an event (always delivered); progress values may be skipped by a slow
# reader, so they are not counted.
[ "$(grep -c 'backup [1-8]/8 {[0-9A-F-]*} (.*): imported into GPO {' "$work/real.txt")" -eq 8 ] ||
  fail "not every backup's outcome message was shown"
awk '$1 == "IMPORTED" { print $2, $3 }' "$work/real.txt" >"$work/pairs.txt"
[ "$(wc -l <"$work/pairs.txt")" -eq 8 ] || fail "not 8 IMPORTED lines"

# Each GPO: in ListGpos, its settings files in SYSVOL, then a new backup of it downloaded.
"$ctl" gpos >"$work/gpos-after.txt"
n=0
while read -r backup gpo; do
  n=$((n + 1))
  grep -q "^$gpo " "$work/gpos-after.txt" || fail "GPO $gpo of backup $backup is not listed"
  original=$fixtures/gpmc-backups/$backup
  "$ctl" -o json backup --gpo "$gpo" --wait >"$work/b.json" || fail "backup of $gpo failed"
  new=$(grep -o '"backupId": *"{[0-9A-F-]*}"' "$work/b.json" | tail -1 | grep -o '{[0-9A-F-]*}')
  [ -n "$new" ] || fail "no backup ID for GPO $gpo"
  "$ctl" download-backup "$new" --out "$work/down-$n" >/dev/null 2>&1 ||
    fail "download of $new failed"
  files=0
  for side in Machine User; do
    src=$original/DomainSysvol/GPO/$side
    [ -d "$src" ] || continue
    while read -r f; do
      files=$((files + 1))
      live=$(find "$sysvol/Policies/$gpo/$side" -type f -ipath "$sysvol/Policies/$gpo/$side/$f" |
        head -1)
      [ -n "$live" ] || fail "$backup: $side/$f is not in GPO $gpo's folder"
      cmp -s "$src/$f" "$live" || fail "$backup: $side/$f differs in SYSVOL after the import"
      cmp -s "$src/$f" "$work/down-$n/DomainSysvol/GPO/$side/$f" ||
        fail "$backup: $side/$f differs in the downloaded backup of $gpo"
    done < <(cd "$src" && find . -type f | sed 's|^\./||' | sort)
  done
  [ $files -gt 0 ] || fail "$backup has no settings files to compare"
done <"$work/pairs.txt"
[ $n -eq 8 ] || fail "checked $n GPOs, not 8"

# The same set again, now into the GPOs that exist (overwritten, with a safety backup each).
"$ctl" import-set --all --location incoming --wait >"$work/again.txt" ||
  fail "importing the set again failed: $(cat "$work/again.txt")"
grep -q '8 imported, 0 failed' "$work/again.txt" || fail "the second import's tally is wrong"
grep -q 'safety backup {' "$work/again.txt" || fail "no safety backup was named"

# A set that cannot import: exit non-zero, and no GPO changes.
"$ctl" gpos >"$work/gpos-ok.txt"
set +e
"$ctl" import-set --upload "$upload_id" --migration-table no-such-table --wait \
  >"$work/bad.txt" 2>&1
rc_bad=$?
"$ctl" import-set "{00000000-0000-0000-0000-000000000001}" --location incoming --wait \
  >"$work/missing.txt" 2>&1
rc_missing=$?
set -e
[ $rc_bad -ne 0 ] || fail "an unknown migration table exited 0"
[ $rc_missing -ne 0 ] || fail "an unknown backup exited 0"
"$ctl" gpos | cut -c1-39 >"$work/g1.txt"
cut -c1-39 "$work/gpos-ok.txt" >"$work/g0.txt"
cmp -s "$work/g0.txt" "$work/g1.txt" || fail "a refused import set changed the GPO list"

gpopd_stop
echo "transfer import-set end to end: passed"
