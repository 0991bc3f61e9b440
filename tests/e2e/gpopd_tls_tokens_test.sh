#!/usr/bin/env bash
# The real binaries with TLS and bearer tokens: gpopd (synthetic backend, SQLite state) on
# 127.0.0.1 with a certificate made here by openssl, a hashed tokens file and a policy; gpopctl
# with the right token succeeds, a wrong token is UNAUTHENTICATED, a viewer cannot start, a
# plaintext client cannot talk to the TLS port, the audit log shows exactly what was done and
# survives a restart, the per-principal limits of gpopd's flags hold (running, queued, streams)
# and a policy "limit" line overrides one for its principal after SIGHUP, and a non-loopback
# bind without TLS is refused.
# Usage: gpopd_tls_tokens_test.sh GPOPD GPOPCTL
set -euo pipefail
gpopd=$1 ctl=$2
work=$(mktemp -d)
pid= extra_flags=
fail() { echo "FAIL: $*"; echo "--- gpopd log"; cat "$work/gpopd.log" 2>/dev/null; exit 1; }
trap '[ -n "$pid" ] && kill -TERM $pid 2>/dev/null; rm -rf "$work"' EXIT

# A CA and a server certificate for 127.0.0.1 (openssl, EC P-256, two days).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=test-ca -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost \
  -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
echo "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$work/server.ext"
openssl x509 -req -days 2 -in "$work/server.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" \
  -CAcreateserial -extfile "$work/server.ext" -out "$work/server.crt" 2>/dev/null

# A client certificate for alice from the same CA (the policy maps its CN to alice).
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=alice-client \
  -keyout "$work/alice.key" -out "$work/alice.csr" 2>/dev/null
openssl x509 -req -days 2 -in "$work/alice.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" \
  -CAcreateserial -out "$work/alice.crt" 2>/dev/null

hash() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
admin_token=admin-$RANDOM$RANDOM alice_token=alice-$RANDOM$RANDOM viewer_token=vic-$RANDOM$RANDOM
cat >"$work/tokens" <<TOKENS
admin sha256:$(hash "$admin_token") never
alice sha256:$(hash "$alice_token") never
vic sha256:$(hash "$viewer_token") never
TOKENS
printf 'grant admin admin\ngrant alice operator\ngrant vic viewer\ncert alice-client alice\n' \
  >"$work/policy"

start_gpopd() {
  rm -f "$work/port"
  "$gpopd" --backend=synthetic --state_dir "$work/state" --listen 127.0.0.1:0 \
    --http_listen= --port_file "$work/port" --tls_cert "$work/server.crt" \
    --tls_key "$work/server.key" --tls_client_ca "$work/ca.crt" --tokens_file "$work/tokens" \
    --auth_policy "$work/policy" \
    $extra_flags 2>>"$work/gpopd.log" &
  pid=$!
  for _ in $(seq 1 600); do
    [ -s "$work/port" ] && break
    kill -0 $pid 2>/dev/null || fail "gpopd exited early"
    sleep 0.05
  done
  [ -s "$work/port" ] || fail "gpopd did not write its port"
  server=127.0.0.1:$(cat "$work/port")
}
stop_gpopd() {
  kill -TERM $pid
  wait $pid || fail "gpopd did not exit 0 on SIGTERM"
  pid=
}
# gpopctl over TLS as `token`; the rest of the arguments are its subcommand.
as() { local token=$1; shift; "$ctl" --server "$server" --ca-file "$work/ca.crt" --token "$token" "$@"; }
expect_exit() {  # CODE WHAT COMMAND...
  local want=$1 what=$2; shift 2
  set +e; "$@" >"$work/out" 2>"$work/err"; local rc=$?; set -e
  [ $rc -eq "$want" ] || fail "$what: exit $rc, not $want ($(cat "$work/err"))"
}

start_gpopd
labels="--label synthetic.steps=2 --label synthetic.step_ms=1"
expect_exit 0 "alice's backup" as "$alice_token" backup --gpo "Synthetic GPO" $labels --wait
expect_exit 7 "a wrong token" as "wrong-$alice_token" ls
grep -q UNAUTHENTICATED "$work/err" || fail "a wrong token did not say UNAUTHENTICATED"
expect_exit 7 "no token" "$ctl" --server "$server" --ca-file "$work/ca.crt" ls
grep -q UNAUTHENTICATED "$work/err" || fail "no token did not say UNAUTHENTICATED"
expect_exit 7 "the viewer's backup" as "$viewer_token" backup --gpo "Synthetic GPO" $labels
grep -q PERMISSION_DENIED "$work/err" || fail "the viewer's start did not say PERMISSION_DENIED"
expect_exit 0 "the viewer lists" as "$viewer_token" ls
[ "$(grep -c '^op-' "$work/out")" -eq 1 ] || fail "the viewer does not see exactly one operation"
# Credentials and TLS settings from the environment, with no flags: $GPOP_TOKEN is used (the
# viewer's start is PERMISSION_DENIED, not UNAUTHENTICATED), and so are $GPOP_TLS_CA,
# $GPOP_TLS_CERT and $GPOP_TLS_KEY (the certificate alone authenticates alice).
expect_exit 7 "the viewer's backup, token from GPOP_TOKEN" env GPOP_TOKEN="$viewer_token" \
  GPOP_TLS_CA="$work/ca.crt" "$ctl" --server "$server" backup --gpo "Synthetic GPO" $labels
grep -q PERMISSION_DENIED "$work/err" || fail "GPOP_TOKEN was not used: $(cat "$work/err")"
expect_exit 0 "alice by her certificate from GPOP_TLS_CERT/KEY" env GPOP_TLS_CA="$work/ca.crt" \
  GPOP_TLS_CERT="$work/alice.crt" GPOP_TLS_KEY="$work/alice.key" "$ctl" --server "$server" ls
[ "$(grep -c '^op-' "$work/out")" -eq 1 ] || fail "alice's certificate does not see her operation"
expect_exit 0 "alice by --cert/--key" "$ctl" --server "$server" --ca-file "$work/ca.crt" \
  --cert "$work/alice.crt" --key "$work/alice.key" ls
expect_exit 7 "no token and no certificate" env GPOP_TLS=1 GPOP_TLS_CA="$work/ca.crt" "$ctl" \
  --server "$server" ls
grep -q UNAUTHENTICATED "$work/err" || fail "no credentials did not say UNAUTHENTICATED"
expect_exit 9 "a plaintext client on the TLS port" "$ctl" --server "$server" \
  --token "$alice_token" --call-timeout 5s ls

# The audit log: alice's START and FINISH, nothing from the refused calls.
expect_exit 0 "audit" as "$admin_token" audit
grep -q "alice.*START" "$work/out" || fail "no START by alice in the audit log: $(cat "$work/out")"
grep -q "FINISH.*SUCCEEDED.*effects=APPLIED" "$work/out" ||
  fail "no FINISH in the audit log: $(cat "$work/out")"
[ "$(grep -c -E 'START|FINISH|CANCEL|DELETE' "$work/out")" -eq 2 ] ||
  fail "the audit log has entries of refused calls: $(cat "$work/out")"

# It survives a restart of the real binary on the same state.
stop_gpopd
start_gpopd
expect_exit 0 "audit after a restart" as "$admin_token" -o json audit --principal alice
[ "$(grep -c '"action"' "$work/out")" -eq 2 ] ||
  fail "after a restart alice's audit entries are not both there: $(cat "$work/out")"
stop_gpopd

# Per-principal limits from gpopd's flags: one running, one queued, one open stream.
extra_flags="--max_running_per_principal=1 --max_queued_per_principal=1"
extra_flags="$extra_flags --max_streams_per_principal=1"
start_gpopd
long="--label synthetic.steps=400 --label synthetic.step_ms=50"
expect_exit 0 "alice's first start" as "$alice_token" backup --gpo "Synthetic GPO" $long
first=$(head -1 "$work/out")
for _ in $(seq 1 200); do  # until the first one runs (it then no longer counts as queued)
  as "$alice_token" get "$first" | grep RUNNING >/dev/null && break
  sleep 0.05
done
as "$alice_token" get "$first" | grep RUNNING >/dev/null || fail "the first operation never ran"
expect_exit 0 "alice's second start (queued behind the running one)" \
  as "$alice_token" backup --gpo "Synthetic GPO" $long
second=$(head -1 "$work/out")
as "$alice_token" get "$second" | grep QUEUED >/dev/null || fail "the second operation is not queued"
expect_exit 8 "alice's third start" as "$alice_token" backup --gpo "Synthetic GPO" $long
grep -q QUEUE_FULL "$work/err" || fail "the third start did not say QUEUE_FULL"
expect_exit 0 "the admin starts beside alice" as "$admin_token" backup --gpo "Synthetic GPO" $long
third=$(head -1 "$work/out")
as "$alice_token" watch "$first" >"$work/watch.out" 2>&1 &
watcher=$!
# The background watch holds alice's one stream once it has printed the operation's first
# state; only then is a second stream tried (else the two race for the one slot).
for _ in $(seq 1 400); do
  [ -s "$work/watch.out" ] && break
  kill -0 "$watcher" 2>/dev/null || fail "the background watch ended: $(cat "$work/watch.out")"
  sleep 0.05
done
[ -s "$work/watch.out" ] || fail "the background watch never printed anything"
refused=
set +e; as "$alice_token" watch "$first" --wait-timeout 1s >/dev/null 2>"$work/err"; rc=$?; set -e
[ $rc -eq 8 ] && refused=yes
[ -n "$refused" ] || fail "a second stream of alice was never refused"
grep -q TOO_MANY_STREAMS "$work/err" || fail "the second stream did not say TOO_MANY_STREAMS"
# A "limit" line of the policy file raises alice's own queued limit past the flag's, from the
# next SIGHUP on (the policy is read again; no restart).
echo "limit alice max_queued=2" >>"$work/policy"
kill -HUP $pid
fourth=
for _ in $(seq 1 200); do  # until the reload took effect (refused starts change nothing)
  set +e; as "$alice_token" backup --gpo "Synthetic GPO" $long >"$work/out" 2>"$work/err"; rc=$?
  set -e
  if [ $rc -eq 0 ]; then fourth=$(head -1 "$work/out"); break; fi
  grep -q QUEUE_FULL "$work/err" || fail "alice's start after SIGHUP: $(cat "$work/err")"
  sleep 0.05
done
[ -n "$fourth" ] || fail "alice's own max_queued=2 never let a second operation queue"
as "$alice_token" get "$fourth" | grep QUEUED >/dev/null || fail "alice's third operation is not queued"
expect_exit 8 "alice's start past her own limit" as "$alice_token" backup --gpo "Synthetic GPO" $long
grep -q QUEUE_FULL "$work/err" || fail "the start past alice's own limit did not say QUEUE_FULL"
for op in "$first" "$second" "$third" "$fourth"; do as "$admin_token" cancel "$op" >/dev/null; done
wait $watcher || true
stop_gpopd
extra_flags=

# Without TLS a non-loopback address is refused at start-up.
set +e
"$gpopd" --backend=synthetic --operation_store=memory --http_listen= --listen 0.0.0.0:0 \
  >/dev/null 2>"$work/refused.log"
rc=$?
set -e
[ $rc -eq 2 ] || fail "gpopd on 0.0.0.0 without TLS exited $rc, not 2"
grep -q "not a loopback address" "$work/refused.log" || fail "the refusal does not say why"
echo "gpopd with TLS and tokens, driven by gpopctl: passed"
