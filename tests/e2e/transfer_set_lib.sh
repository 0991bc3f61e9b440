# Shared by the shell tests of backup sets (source it after gpopd_test_lib.sh and
# require_fixtures): makes a backup set of any size from the Windows-made fixture backups, at
# test time, in a temporary folder.
#
#   make_backup_set DIR COUNT
#       DIR gets COUNT backups: the 16 fixture backups (gpmc-backups and hardenad) in turn, round
#       after round, each copy under a fresh backup ID with the display name
#       "<original> (copy K)" for round K (an import set writes each GPO once, so no two backups
#       of one set may share a display name), and the manifest.xml GPMC writes beside them: root
#       <Backups mfst:version="1.0">, one <BackupInst> per backup holding the children of its
#       bkupInfo.xml. Only bkupInfo.xml (ID, GPODisplayName) and Backup.xml (DisplayName)
#       differ from the original; every settings file is the original's byte for byte.
#       Writes DIR.origins: one line "NEW_ID ORIGINAL_FOLDER" per backup.

make_backup_set() {
  local dir=$1 count=$2
  local ns=http://www.microsoft.com/GroupPolicy/GPOOperations/Manifest
  mkdir -p "$dir"
  : >"$dir.origins"
  local originals=("$fixtures"/gpmc-backups/{*} "$fixtures"/hardenad/*/{*})
  [ ${#originals[@]} -eq 16 ] || fail "expected 16 fixture backups, found ${#originals[@]}"
  # Each original's bkupInfo.xml as text (builtins below: thousands of processes would take
  # seconds).
  local -a infos
  local i info
  for i in "${!originals[@]}"; do
    IFS= read -r -d '' info <"${originals[$i]}/bkupInfo.xml" || true
    infos[$i]=$info
  done
  local manifest k b id new old_id name entry
  manifest=$(printf '<Backups xmlns="%s" xmlns:mfst="%s" mfst:version="1.0">' "$ns" "$ns")
  for i in $(seq 0 $((count - 1))); do
    k=$((i / 16 + 1))
    b=${originals[$((i % 16))]}
    info=${infos[$((i % 16))]}
    read -r id </proc/sys/kernel/random/uuid
    id={${id^^}}
    new=$dir/$id
    cp -r "$b" "$new"
    old_id=${info#*<ID><![CDATA[}
    old_id=${old_id%%]]></ID>*}
    name=${info#*<GPODisplayName><![CDATA[}
    name=${name%%]]></GPODisplayName>*}
    [ "$old_id" != "$info" ] && [ "$name" != "$info" ] || fail "$b/bkupInfo.xml: no ID or name"
    info=${info/"<ID><![CDATA[$old_id]]>"/"<ID><![CDATA[$id]]>"}
    info=${info/"<GPODisplayName><![CDATA[$name]]>"/"<GPODisplayName><![CDATA[$name (copy $k)]]>"}
    chmod u+w "$new" "$new/bkupInfo.xml"
    printf '%s' "$info" >"$new/bkupInfo.xml"
    sed -i "s|<DisplayName><!\[CDATA\[\([^]]*\)\]\]></DisplayName>|<DisplayName><![CDATA[\1 (copy $k)]]></DisplayName>|" \
      "$new/Backup.xml"
    echo "$id $b" >>"$dir.origins"
    # bkupInfo.xml is one BackupInst element; in the manifest it inherits the namespace.
    entry=${info//$'\r'/}
    entry=${entry//$'\n'/}
    manifest+=${entry/ xmlns=\"$ns\"/}
  done
  chmod -R u+w "$dir"
  printf '%s</Backups>' "$manifest" >"$dir/manifest.xml"
}

# compare_settings ORIGINAL_BACKUP GPO_FOLDER DOWNLOADED_BACKUP LABEL
#   Every file under the original's DomainSysvol/GPO/{Machine,User} must be byte-identical in the
#   GPO's folder in SYSVOL (names matched case-insensitively, as Windows does) and, when
#   DOWNLOADED_BACKUP is not empty, in that backup; stray *.backup files must not be imported.
#   Fails when there is nothing to compare.
compare_settings() {
  local original=$1 live_root=$2 down=$3 label=$4 side src f live files=0 root
  for side in Machine User; do
    src=$original/DomainSysvol/GPO/$side
    [ -d "$src" ] || continue
    # Files a publisher left beside GPMC's (such as *.xml.backup, not listed in Backup.xml)
    # are never imported.
    while read -r f; do
      [ -z "$(find "$live_root/$side" -ipath "$live_root/$side/$f")" ] ||
        fail "$label: the stray $side/$f was imported"
    done < <(cd "$src" && find . -type f -name '*.backup' | sed 's|^\./||')
    (cd "$src" && find . -type f ! -name '*.backup' | sed 's|^\./||' | sort) >"$work/files.txt"
    files=$((files + $(wc -l <"$work/files.txt")))
    # Quick: one digest run per folder, where the names are as in the backup.
    (cd "$src" && tr '\n' '\0' <"$work/files.txt" | xargs -0 -r sha256sum) >"$work/want.sum"
    for root in "$live_root/$side" ${down:+"$down/DomainSysvol/GPO/$side"}; do
      if (cd "$root" 2>/dev/null && tr '\n' '\0' <"$work/files.txt" |
        xargs -0 -r sha256sum 2>/dev/null) | cmp -s - "$work/want.sum"; then
        continue
      fi
      # Otherwise file by file, matching names case-insensitively as Windows does, to say which.
      while read -r f; do
        live=$root/$f
        [ -f "$live" ] || live=$(find "$root" -type f -ipath "$root/$f" | head -1)
        [ -n "$live" ] || fail "$label: $side/$f is not in $root"
        cmp -s "$src/$f" "$live" || fail "$label: $side/$f differs in $root"
      done <"$work/files.txt"
    done
  done
  [ $files -gt 0 ] || fail "$label has no settings files to compare"
}
