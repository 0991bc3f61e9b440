#!/usr/bin/env bash
# Transfers end to end through the real binaries, on every Windows-made fixture backup:
# gpopctl uploads the backups (one folder, backup sets with and without manifest.xml), gpopd
# (sysvol backend) imports each into a new GPO and backs that up, gpopctl downloads the new
# backups and the settings files must be byte-identical to the originals; hostile tar files are
# refused with nothing written, and a download with case-only duplicate names is not unpacked.
# Usage: transfer_gpopctl_test.sh GPOPD GPOPCTL GPOP_DEMO_STORE
set -euo pipefail
gpopd=$1 ctl=$2 demo_store=$3
work=$(mktemp -d)
. "$(dirname "$0")/gpopd_test_lib.sh"
require_fixtures

"$demo_store" "$work/sysvol/demo.test" >/dev/null
gpopd_start --sysvol "$work/sysvol/demo.test" --state_dir "$work/state" \
  --backup_locations "default=$work/backups,incoming=$work/incoming" --default_location default

# The uploads: the eight GPMC backups as one set (without the fixtures' sample manifest), and
# each HardenAD set with its manifest.xml as a tar file.
mkdir -p "$work/set"
for b in "$fixtures"/gpmc-backups/{*}; do cp -r "$b" "$work/set/"; done
"$ctl" upload "$work/set" --location incoming >"$work/up1.txt" || fail "upload of the set failed"
[ "$(grep -c '^{' "$work/up1.txt")" -eq 8 ] || fail "the set upload did not name 8 backups"
for s in "$fixtures"/hardenad/*/; do
  tar -C "$s" -cf "$work/one.tar" . 
  "$ctl" upload "$work/one.tar" --location incoming >>"$work/up2.txt" ||
    fail "upload of $s failed"
done
[ "$(grep -c '^{' "$work/up2.txt")" -eq 8 ] || fail "the HardenAD uploads did not name 8 backups"
[ "$("$ctl" backups --location incoming | grep -c '^{')" -eq 16 ] || fail "ListBackups lacks uploads"

# Round trip: import each into a new GPO, back it up, download the backup, compare.
n=0
for id in $(cat "$work/up1.txt" "$work/up2.txt" | grep -o '^{[0-9A-F-]*}'); do
  n=$((n + 1))
  "$ctl" import --backup-id "$id" --location incoming --create-if-needed "Round trip $n" \
    --wait >/dev/null || fail "import of $id failed"
  "$ctl" -o json backup --gpo "Round trip $n" --wait >"$work/b.json" || fail "backup $n failed"
  new=$(grep -o '"backupId": *"{[0-9A-F-]*}"' "$work/b.json" | tail -1 | grep -o '{[0-9A-F-]*}')
  [ -n "$new" ] || fail "no backup ID for GPO $n"
  "$ctl" download-backup "$new" --out "$work/down-$n" >/dev/null 2>&1 ||
    fail "download of $new failed"
  original=$(find "$work/incoming" -maxdepth 1 -iname "$id")
  for side in Machine User; do
    src="$original/DomainSysvol/GPO/$side"
    [ -d "$src" ] || continue
    (cd "$src" && find . -type f | sort) | while read -r f; do
      # Files a publisher left beside GPMC's (not listed in Backup.xml) are never imported.
      case "$f" in *.backup) [ -e "$work/down-$n/DomainSysvol/GPO/$side/$f" ] &&
          { echo "FAIL: $id: the stray $f was imported"; exit 1; }; continue ;; esac
      cmp -s "$src/$f" "$work/down-$n/DomainSysvol/GPO/$side/$f" ||
        { echo "FAIL: $id: $side/$f differs after upload, import, backup and download"; exit 1; }
    done || fail "settings files of $id differ"
  done
done
[ $n -eq 16 ] || fail "round-tripped $n backups, not 16"

# A backup set and a tar file come back too.
"$ctl" download-backup $(grep -o '^{[0-9A-F-]*}' "$work/up1.txt" | head -2) --location incoming \
  --out "$work/two" >/dev/null 2>&1 || fail "download of two backups failed"
[ -f "$work/two/manifest.xml" ] || fail "a downloaded set has no manifest.xml"
"$ctl" download-backup "$(grep -o '^{[0-9A-F-]*}' "$work/up1.txt" | head -1)" \
  --location incoming --out "$work/one-down.tar" >/dev/null 2>&1 || fail "tar download failed"
tar -tf "$work/one-down.tar" >"$work/list.txt"
grep -q '^Backup.xml$' "$work/list.txt" || fail "the tar lacks Backup.xml"

# Hostile tar files: refused (exit 6), nothing written into the location.
before=$(find "$work/backups" | sort | md5sum)
mkdir -p "$work/evil/sub"
echo x >"$work/evil/sub/file"
ln -s /etc/passwd "$work/evil/link"
tar -C "$work/evil" -cf "$work/link.tar" link
# (python3's tarfile writes the "../" name as given; GNU tar would strip it)
python3 - "$work/dotdot.tar" "$work/evil/sub/file" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    t.add(sys.argv[2], arcname="../../escape/file")
PY
tar -tf "$work/dotdot.tar" >"$work/list.txt"
grep -q '^\.\./\.\./escape/file$' "$work/list.txt" || fail "the ../ tar was not written"
set +e
"$ctl" upload "$work/link.tar" >/dev/null 2>&1; rc_link=$?
"$ctl" upload "$work/dotdot.tar" >/dev/null 2>&1; rc_dotdot=$?
set -e
[ $rc_link -eq 6 ] || fail "a symlink tar gave exit $rc_link, not 6"
[ $rc_dotdot -eq 6 ] || fail "a ../ tar gave exit $rc_dotdot, not 6"
[ "$(find "$work/backups" | sort | md5sum)" = "$before" ] || fail "a refused upload wrote files"
[ ! -e "$work/escape" ] && [ ! -e "$work/../escape" ] || fail "a ../ entry escaped"

# A download gpopctl must not unpack as it is: a backup in the location holding two names that
# differ only in case (one would overwrite the other on Windows). gpopctl refuses to extract it
# and creates nothing under --out; the same download as a .tar file is written whole.
odd='{0DD0DD00-0000-4000-8000-000000000001}'
cp -r "$fixtures/gpmc-backups/{32D5EEFD-DACE-44DC-BC16-D364B32B0D2A}" "$work/backups/$odd"
chmod -R u+w "$work/backups/$odd"
sed -i "s|{32D5EEFD-DACE-44DC-BC16-D364B32B0D2A}|$odd|" "$work/backups/$odd/bkupInfo.xml"
echo x >"$work/backups/$odd/DomainSysvol/GPO/Machine/REGISTRY.POL"
set +e
"$ctl" download-backup "$odd" --out "$work/odd" >"$work/odd.txt" 2>&1; rc_odd=$?
set -e
[ $rc_odd -ne 0 ] || fail "a download with case-only duplicate names was unpacked"
grep -q 'not a safe tar' "$work/odd.txt" || fail "the refusal does not say why: $(cat "$work/odd.txt")"
[ ! -e "$work/odd" ] || fail "a refused download left $work/odd"
[ -z "$(find "$work" -maxdepth 1 -name '.gpopctl-*')" ] || fail "a refused download left scratch"
"$ctl" download-backup "$odd" --out "$work/odd.tar" >/dev/null 2>&1 ||
  fail "the same download as a tar file failed"
tar -tf "$work/odd.tar" | grep 'REGISTRY.POL' >/dev/null || fail "the tar file lacks an entry"

gpopd_stop
echo "transfer gpopctl end to end: passed"
