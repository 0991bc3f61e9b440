# Shared by the shell tests of backup sets (source it after gpopd_test_lib.sh and
# require_fixtures): makes a backup set of any size from the Windows-made fixture backups, at
# test time, in a temporary folder.
#
#   make_backup_set DIR COPIES
#       DIR gets COPIES copies of each of the 16 fixture backups (gpmc-backups and hardenad),
#       each under a fresh backup ID with the display name "<original> (copy K)" (an import set
#       writes each GPO once, so no two backups of one set may share a display name), and the
#       manifest.xml GPMC writes beside them: root <Backups mfst:version="1.0">, one
#       <BackupInst> per backup holding the children of its bkupInfo.xml. Only bkupInfo.xml
#       (ID, GPODisplayName) and Backup.xml (DisplayName) differ from the original; every
#       settings file is the original's byte for byte.
#       Writes DIR.origins: one line "NEW_ID ORIGINAL_FOLDER" per backup.

make_backup_set() {
  local dir=$1 copies=$2
  local ns=http://www.microsoft.com/GroupPolicy/GPOOperations/Manifest
  mkdir -p "$dir"
  : >"$dir.origins"
  local originals=("$fixtures"/gpmc-backups/{*} "$fixtures"/hardenad/*/{*})
  [ ${#originals[@]} -eq 16 ] || fail "expected 16 fixture backups, found ${#originals[@]}"
  {
    printf '<Backups xmlns="%s" xmlns:mfst="%s" mfst:version="1.0">' "$ns" "$ns"
    local k b id new
    for k in $(seq 1 "$copies"); do
      for b in "${originals[@]}"; do
        id=$(tr a-z A-Z </proc/sys/kernel/random/uuid)
        new=$dir/{$id}
        cp -r "$b" "$new"
        chmod -R u+w "$new"
        sed -i -e "s|<ID><!\[CDATA\[{[0-9A-Fa-f-]*}\]\]></ID>|<ID><![CDATA[{$id}]]></ID>|" \
          -e "s|<GPODisplayName><!\[CDATA\[\([^]]*\)\]\]>|<GPODisplayName><![CDATA[\1 (copy $k)]]>|" \
          "$new/bkupInfo.xml"
        sed -i -e "s|<DisplayName><!\[CDATA\[\([^]]*\)\]\]></DisplayName>|<DisplayName><![CDATA[\1 (copy $k)]]></DisplayName>|" \
          "$new/Backup.xml"
        grep -q "{$id}" "$new/bkupInfo.xml" || fail "the ID of $new was not replaced"
        grep -q "(copy $k)]]></DisplayName>" "$new/Backup.xml" ||
          fail "the display name in $new/Backup.xml was not replaced"
        echo "{$id} $b" >>"$dir.origins"
        # bkupInfo.xml is one BackupInst element; in the manifest it inherits the namespace.
        tr -d '\r\n' <"$new/bkupInfo.xml" | sed "s| xmlns=\"$ns\"||"
      done
    done
    printf '</Backups>'
  } >"$dir/manifest.xml"
}

# compare_settings ORIGINAL_BACKUP GPO_FOLDER DOWNLOADED_BACKUP LABEL
#   Every file under the original's DomainSysvol/GPO/{Machine,User} must be byte-identical in the
#   GPO's folder in SYSVOL (names matched case-insensitively, as Windows does) and, when
#   DOWNLOADED_BACKUP is not empty, in that backup. Fails when there is nothing to compare.
compare_settings() {
  local original=$1 live_root=$2 down=$3 label=$4 side src f live files=0
  for side in Machine User; do
    src=$original/DomainSysvol/GPO/$side
    [ -d "$src" ] || continue
    while read -r f; do
      files=$((files + 1))
      live=$(find "$live_root/$side" -type f -ipath "$live_root/$side/$f" | head -1)
      [ -n "$live" ] || fail "$label: $side/$f is not in the GPO's folder"
      cmp -s "$src/$f" "$live" || fail "$label: $side/$f differs in SYSVOL after the import"
      if [ -n "$down" ]; then
        cmp -s "$src/$f" "$down/DomainSysvol/GPO/$side/$f" ||
          fail "$label: $side/$f differs in the downloaded backup"
      fi
    done < <(cd "$src" && find . -type f | sed 's|^\./||' | sort)
  done
  [ $files -gt 0 ] || fail "$label has no settings files to compare"
}
