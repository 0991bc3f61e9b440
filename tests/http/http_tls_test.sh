#!/usr/bin/env bash
# The HTTP listener over TLS, with the real gpopd (synthetic backend) and curl: the gRPC port's
# --tls_cert/--tls_key serve HTTPS too; a plaintext client is refused; the session cookie is
# Secure; SIGHUP with a new certificate (another CA) moves new handshakes to it while an SSE
# stream opened before stays open and keeps receiving events; mutual TLS maps a verified client
# certificate to its principal through the policy file, refuses one from another CA, and with
# --tls_require_client_cert refuses a client without one; a non-loopback --http_listen without
# TLS is refused (and accepted with TLS). Only 127.0.0.1 is contacted.
# Usage: http_tls_test.sh GPOPD
set -euo pipefail
gpopd=$1
work=$(mktemp -d)
pid= sse_pid=
fail() { echo "FAIL: $*"; echo "--- gpopd log"; cat "$work/gpopd.log" 2>/dev/null; exit 1; }
cleanup() {
  [ -n "$sse_pid" ] && kill "$sse_pid" 2>/dev/null
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# Two CAs, a server certificate for 127.0.0.1 from each, and client certificates.
make_ca() {  # NAME
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=$1" -keyout "$work/$1.key" -out "$work/$1.crt" 2>/dev/null
}
make_cert() {  # CA NAME CN EXT
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$3" \
    -keyout "$work/$2.key" -out "$work/$2.csr" 2>/dev/null
  echo "$4" >"$work/$2.ext"
  openssl x509 -req -days 2 -in "$work/$2.csr" -CA "$work/$1.crt" -CAkey "$work/$1.key" \
    -CAcreateserial -extfile "$work/$2.ext" -out "$work/$2.crt" 2>/dev/null
}
make_ca ca1
make_ca ca2
make_cert ca1 server1 localhost "subjectAltName=IP:127.0.0.1,DNS:localhost"
make_cert ca2 server2 localhost "subjectAltName=IP:127.0.0.1,DNS:localhost"
make_cert ca1 robot robot.example "extendedKeyUsage=clientAuth"
make_cert ca2 stranger robot.example "extendedKeyUsage=clientAuth"
cp "$work/server1.crt" "$work/live.crt"
cp "$work/server1.key" "$work/live.key"

hash() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
admin_token=admin-$RANDOM$RANDOM
echo "admin sha256:$(hash "$admin_token") never" >"$work/tokens"
printf 'grant admin admin\ngrant robot viewer\ncert robot.example robot\n' >"$work/policy"

http_listen=127.0.0.1:0
start_gpopd() {  # extra flags...
  rm -f "$work/port" "$work/http_port"
  "$gpopd" --backend=synthetic --state_dir "$work/state" --listen 127.0.0.1:0 \
    --port_file "$work/port" --http_listen "$http_listen" --http_port_file "$work/http_port" \
    --tls_cert "$work/live.crt" --tls_key "$work/live.key" --tokens_file "$work/tokens" \
    --auth_policy "$work/policy" "$@" 2>>"$work/gpopd.log" &
  pid=$!
  for _ in $(seq 1 600); do
    [ -s "$work/http_port" ] && break
    kill -0 $pid 2>/dev/null || fail "gpopd exited early"
    sleep 0.05
  done
  [ -s "$work/http_port" ] || fail "gpopd did not write its HTTP port"
  base=https://127.0.0.1:$(cat "$work/http_port")
}
stop_gpopd() {
  kill -TERM $pid
  wait $pid || fail "gpopd did not exit 0 on SIGTERM"
  pid=
}
# curl as the admin, trusting `ca` (default ca1); prints the body, fails on transport errors.
ca=ca1
get() { curl -sS --max-time 10 --cacert "$work/$ca.crt" -H "Authorization: Bearer $admin_token" "$@"; }
status_of() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@" || true; }
start_backup() {  # prints the operation's name
  get -X POST -H 'Content-Type: application/json' "$base/v1/operations" \
    -d '{"spec":{"backup":{"gpo":{"displayName":"Synthetic GPO"},"location":"tls"}},
         "labels":{"synthetic.steps":"1","synthetic.step_ms":"1"}}' |
    grep -o '"id":"op-[a-z0-9]*"' | head -1 | cut -d'"' -f4
}
wait_for() {  # FILE PATTERN WHAT
  for _ in $(seq 1 400); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  fail "$3 (no '$2' in $1: $(head -c 2000 "$1" 2>/dev/null))"
}

# --- HTTPS with the gRPC port's certificate.
start_gpopd
[ "$(get -o /dev/null -w '%{http_code}' "$base/v1/operations")" = 200 ] ||
  fail "GET /v1/operations over HTTPS is not 200"
[ "$(status_of --cacert "$work/ca1.crt" "$base/v1/operations")" = 401 ] ||
  fail "no token over HTTPS is not 401"
get -o /dev/null "$base/" || fail "the dashboard is not served over HTTPS"
# A plaintext client gets no HTTP answer from the TLS port.
plain=$(status_of "http://127.0.0.1:$(cat "$work/http_port")/v1/operations")
[ "$plain" = 000 ] || fail "a plaintext client got HTTP status $plain from the HTTPS port"
# The certificate is checked: a client trusting another CA refuses it.
if curl -s -o /dev/null --max-time 10 --cacert "$work/ca2.crt" "$base/"; then
  fail "a client trusting only ca2 accepted the ca1 certificate"
fi
# The session cookie is Secure over TLS.
get -D "$work/headers" -o /dev/null -X POST -H 'Content-Type: application/json' "$base/v1/session"
grep -i '^set-cookie:' "$work/headers" | grep '; Secure' >/dev/null ||
  fail "the session cookie has no Secure attribute: $(grep -i set-cookie "$work/headers")"

# --- SIGHUP with a certificate from ca2 while an SSE stream is open.
get -N "$base/v1/operations:watch" >"$work/sse" 2>"$work/sse.err" &
sse_pid=$!
first=$(start_backup)
[ -n "$first" ] || fail "could not start a backup over HTTPS"
wait_for "$work/sse" "$first" "the watch stream did not show the first backup"
cp "$work/server2.crt" "$work/live.crt.new" && mv "$work/live.crt.new" "$work/live.crt"
cp "$work/server2.key" "$work/live.key.new" && mv "$work/live.key.new" "$work/live.key"
kill -HUP $pid
wait_for "$work/gpopd.log" "HTTPS certificate reloaded" "gpopd did not log the HTTPS reload"
ca=ca2
[ "$(get -o /dev/null -w '%{http_code}' "$base/v1/operations")" = 200 ] ||
  fail "after SIGHUP a client trusting ca2 is refused"
if curl -s -o /dev/null --max-time 10 --cacert "$work/ca1.crt" "$base/"; then
  fail "after SIGHUP the old certificate is still served"
fi
second=$(start_backup)
[ -n "$second" ] || fail "could not start a backup after the reload"
wait_for "$work/sse" "$second" "the stream opened before the reload missed the second backup"
kill -0 $sse_pid 2>/dev/null || fail "the SSE stream closed across the reload"
# A broken certificate on reload keeps the current one.
echo broken >"$work/live.crt"
kill -HUP $pid
wait_for "$work/gpopd.log" "HTTPS reload failed" "gpopd did not refuse a broken certificate"
[ "$(get -o /dev/null -w '%{http_code}' "$base/v1/operations")" = 200 ] ||
  fail "a failed reload broke HTTPS"
kill "$sse_pid"
wait "$sse_pid" 2>/dev/null || true
sse_pid=
stop_gpopd
cp "$work/server1.crt" "$work/live.crt"
cp "$work/server1.key" "$work/live.key"
ca=ca1

# --- Mutual TLS: a ca1 client certificate is principal robot (a viewer).
start_gpopd --tls_client_ca "$work/ca1.crt"
robot() { curl -s --max-time 10 --cacert "$work/ca1.crt" --cert "$work/robot.crt" \
  --key "$work/robot.key" "$@"; }
robot -o "$work/session.json" "$base/v1/session" || fail "the robot's client certificate was refused"
grep -q '"robot"' "$work/session.json" || fail "the client certificate is not robot: $(cat "$work/session.json")"
code=$(robot -o "$work/out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  "$base/v1/operations" -d '{"spec":{"backup":{"gpo":{"displayName":"Synthetic GPO"}}}}')
[ "$code" = 403 ] || fail "the viewer robot's start is $code, not 403"
code=$(status_of --cacert "$work/ca1.crt" --cert "$work/stranger.crt" --key "$work/stranger.key" \
  "$base/v1/operations")
[ "$code" = 401 ] || fail "a certificate from another CA got $code, not 401"
[ "$(get -o /dev/null -w '%{http_code}' "$base/v1/operations")" = 200 ] ||
  fail "a token without a client certificate is refused when certificates are optional"
stop_gpopd
start_gpopd --tls_client_ca "$work/ca1.crt" --tls_require_client_cert
[ "$(status_of --cacert "$work/ca1.crt" -H "Authorization: Bearer $admin_token" \
  "$base/v1/operations")" = 401 ] || fail "no client certificate is accepted when required"
[ "$(robot -o /dev/null -w '%{http_code}' "$base/v1/operations")" = 200 ] ||
  fail "the required client certificate is refused"
stop_gpopd

# --- A non-loopback HTTP address needs TLS (or --insecure). 0.0.0.0 binds; the test connects
# through 127.0.0.1 only.
set +e
"$gpopd" --backend=synthetic --state_dir "$work/state" --listen 127.0.0.1:0 \
  --http_listen 0.0.0.0:0 2>"$work/refused.log"
rc=$?
set -e
[ $rc -eq 2 ] || fail "a non-loopback --http_listen without TLS exited $rc, not 2"
grep -q "http_listen 0.0.0.0:0 is not a loopback address" "$work/refused.log" ||
  fail "the refusal does not say why: $(cat "$work/refused.log")"
http_listen=0.0.0.0:0 start_gpopd
[ "$(get -o /dev/null -w '%{http_code}' "$base/v1/operations")" = 200 ] ||
  fail "HTTPS on 0.0.0.0 does not answer"
stop_gpopd
echo PASS
