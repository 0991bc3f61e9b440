#!/usr/bin/env bash
# Refused attempts change nothing on disk: the real gpopd on a demo store (sysvol backend) with a
# tokens file and a policy, driven by the real gpopctl. Restores, imports, copies, backups and
# cancels by a stranger, a wrong and an expired token, a viewer, an operator into the Default
# Domain Policy (admin-only, also when only the backup names it) and a "Finance *" operator
# outside its grant are each refused with exit 7 and UNAUTHENTICATED or PERMISSION_DENIED; then
# every file of SYSVOL and of the backup location (names, sizes, modes, times, SHA-256), the
# state directory's databases (SQL dumps) and the audit log are exactly as before. An allowed
# restore afterwards does change them (the comparison can see a change).
# Usage: sysvol_refusals_test.sh GPOPD GPOPCTL GPOP_DEMO_STORE
set -euo pipefail
gpopd=$1 ctl=$2 demo_store=$3
work=$(mktemp -d)
. "$(dirname "$0")/gpopd_test_lib.sh"

"$demo_store" "$work/sysvol/demo.test" >/dev/null
hash() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
admin=admin-$RANDOM$RANDOM ops=ops-$RANDOM$RANDOM vic=vic-$RANDOM$RANDOM fin=fin-$RANDOM$RANDOM
old=old-$RANDOM$RANDOM
cat >"$work/tokens" <<TOKENS
admin sha256:$(hash "$admin") never
ops sha256:$(hash "$ops") never
vic sha256:$(hash "$vic") never
fin sha256:$(hash "$fin") never
old sha256:$(hash "$old") 2020-01-01T00:00:00Z
TOKENS
printf '%s\n' 'grant admin admin' 'grant ops operator' 'grant vic viewer' \
  'grant fin operator gpo="Finance *"' 'grant old admin' >"$work/policy"
gpopd_start --sysvol "$work/sysvol/demo.test" --state_dir "$work/state" --http_listen= \
  --backup_locations "default=$work/backups" --default_location default \
  --tokens_file "$work/tokens" --auth_policy "$work/policy"
as() { local token=$1; shift; "$ctl" --token "$token" "$@"; }

# Backups to restore, made by the admin.
as "$admin" backup --gpo "Default Domain Policy" --wait >/dev/null || fail "backup of the DDP"
as "$admin" backup --gpo "Audit Policy" --wait >/dev/null || fail "backup of Audit Policy"
backup_of() {  # the newest backup ID of GPO
  as "$admin" backups --gpo "$1" >"$work/backups.out" || fail "backups --gpo $1"
  grep -o -E '\{[0-9A-Fa-f-]{36}\}' "$work/backups.out" | head -1
}
ddp_backup=$(backup_of "Default Domain Policy")
audit_backup=$(backup_of "Audit Policy")
[ -n "$ddp_backup" ] && [ -n "$audit_backup" ] || fail "no backup IDs: $(cat "$work/backups.out")"
as "$admin" backup --gpo "Server Hardening" --wait >"$work/finished.out" || fail "a third backup"
finished=$(head -1 "$work/finished.out")

snapshot() {  # everything on disk that a call could change, as text (the databases as SQL: a
  # reader, this one too, touches their -shm index)
  (cd "$work" && find sysvol backups state ! -name '*.db-shm' ! -name '*.db-wal' \
    -printf '%p %s %m %T@\n' | sort &&
    find sysvol backups -type f -print0 | sort -z | xargs -0 sha256sum)
  for db in "$work"/state/*.db; do
    /usr/bin/python3 -c 'import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print("\n".join(db.iterdump()))' "$db"
  done
}
snapshot >"$work/before"
as "$admin" -o json audit >"$work/audit.before" || fail "audit"

refused() {  # REASON TOKEN GPOPCTL-ARGS...: exit 7 with REASON
  local reason=$1 token=$2; shift 2
  local rc=0
  if [ -n "$token" ]; then
    as "$token" "$@" >"$work/out" 2>"$work/err" || rc=$?
  else
    "$ctl" "$@" >"$work/out" 2>"$work/err" || rc=$?
  fi
  [ $rc -eq 7 ] || fail "'$*' as ${token%%-*}: exit $rc, not 7 ($(cat "$work/err"))"
  grep "$reason" "$work/err" >/dev/null || fail "'$*': not $reason: $(cat "$work/err")"
}
U=UNAUTHENTICATED P=PERMISSION_DENIED
for token in "" "wrong-$admin" "$old"; do
  refused $U "$token" restore --backup-id "$audit_backup" --no-safety-backup
  refused $U "$token" import --backup-id "$audit_backup" --target "Server Hardening"
  refused $U "$token" backup --gpo "Audit Policy"
  refused $U "$token" cancel "$finished"
  refused $U "$token" get "$finished"
done
refused $P "$vic" restore --backup-id "$audit_backup"
refused $P "$vic" import --backup-id "$audit_backup" --target "Server Hardening"
refused $P "$vic" copy --gpo "Audit Policy" --new-name "Viewer Copy"
refused $P "$vic" backup --gpo "Audit Policy"
refused $P "$vic" cancel "$finished"
refused $P "$ops" restore --backup-id "$ddp_backup"  # only the backup names the DDP
refused $P "$ops" import --backup-id "$audit_backup" --target "Default Domain Policy"
ddp_guid="{31B2F340-016D-11D2-945F-00C04FB984F9}"
refused $P "$ops" import --backup-id "$audit_backup" --target "$ddp_guid"
refused $P "$ops" cancel "$finished"  # the admin's
refused $P "$fin" restore --backup-id "$audit_backup"
refused $P "$fin" backup --gpo "Audit Policy"
refused $P "$fin" copy --gpo "Audit Policy" --new-name "Finance Copy"

snapshot >"$work/after"
diff "$work/before" "$work/after" >"$work/diff" ||
  fail "refused calls changed the disk: $(head -20 "$work/diff")"
as "$admin" -o json audit >"$work/audit.after" || fail "audit"
cmp -s "$work/audit.before" "$work/audit.after" ||
  fail "refused calls reached the audit log: $(diff "$work/audit.before" "$work/audit.after")"

# The operator's own restore of a GPO it may touch is allowed, and the comparison sees it.
as "$ops" restore --backup-id "$audit_backup" --no-safety-backup --wait >/dev/null ||
  fail "the operator's restore of Audit Policy"
snapshot >"$work/after"
! cmp -s "$work/before" "$work/after" || fail "an allowed restore changed nothing on disk"
gpopd_stop
echo "sysvol refusals change nothing on disk: passed"
