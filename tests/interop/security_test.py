#!/usr/bin/python3
"""Issue 8 from outside the process: the gpopd binary with TLS, mutual TLS, a hashed tokens file
and a policy file, called by Python grpcio (Debian's) with certificates made here by openssl.

Every refused attempt must answer the right code with gpop's ErrorInfo, and leave the state
directory's operations.db (operations, events and the audit table, dumped through sqlite3) and the
audit history exactly as they were. Also: a token revoked by SIGHUP is refused on the next call
and on an open stream's resume; an expired token; certificates swapped by SIGHUP under an open
stream; hostile bytes on every method of every served service (unary and streaming);
tampered and re-bound page tokens; RetryInfo on gpop's RESOURCE_EXHAUSTED (rate and stream
limits; the message-size limit is gRPC's own answer, without details); a cancel past the commit
point visible at once in GetOperation; Delete then Get is OPERATION_DELETED; the Unix socket's
peer mapped by uid and not mapped; a non-loopback bind without TLS refused, and with --insecure
warned about.

Usage: security_test.py --gpopd GPOPD --proto_dir PROTO_DIR
"""

import argparse
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading

import grpc

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import python_client_test as interop  # noqa: E402  (stub generation)

interop.PROTOS = interop.PROTOS + ["gpop/v1/audit.proto", "gpop/v1/transfer.proto"]
TIMEOUT = 30  # seconds; a guard against hangs, nothing waits for it to pass
DEFAULT_DOMAIN_POLICY = "{31B2F340-016D-11D2-945F-00C04FB984F9}"


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "2", "-subj", "/CN=" + name, "-keyout", f"{d}/{name}.key",
            "-out", f"{d}/{name}.crt")


def make_cert(d, ca, name, cn, san):
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-subj", "/CN=" + cn, "-keyout", f"{d}/{name}.key", "-out", f"{d}/{name}.csr")
    with open(f"{d}/{name}.ext", "w") as f:
        f.write("subjectAltName=" + san + "\n")
    openssl("x509", "-req", "-days", "2", "-in", f"{d}/{name}.csr", "-CA", f"{d}/{ca}.crt",
            "-CAkey", f"{d}/{ca}.key", "-CAcreateserial", "-extfile", f"{d}/{name}.ext",
            "-out", f"{d}/{name}.crt")


def read(path, mode="rb"):
    with open(path, mode) as f:
        return f.read()


def write(path, data):
    with open(path + ".tmp", "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    os.replace(path + ".tmp", path)


class Gpopd:
    """A gpopd process; `lines` collects its stderr, `wait_for` waits for a new line."""

    def __init__(self, binary, work, name, flags):
        self.port_file = os.path.join(work, name + ".port")
        self.process = subprocess.Popen(
            [binary, "--backend=synthetic", "--http_listen=", "--heartbeat=1s",
             "--port_file=" + self.port_file] + flags,
            stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.cv = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if not self.wait_for("gpopd ready"):
            raise AssertionError("gpopd %s was not ready:\n%s" % (name, "".join(self.lines)))
        self.port = int(read(self.port_file, "r").strip())

    def _read(self):
        for line in self.process.stderr:
            with self.cv:
                self.lines.append(line)
                self.cv.notify_all()
        with self.cv:
            self.lines.append(None)  # end of output
            self.cv.notify_all()

    def wait_for(self, text, start=0):
        """True once a line from index `start` on contains `text`; False when gpopd ended."""
        with self.cv:
            while True:
                for line in self.lines[start:]:
                    if line is None:
                        return False
                    if text in line:
                        return True
                start = len(self.lines)
                if not self.cv.wait(timeout=TIMEOUT):
                    return False

    def mark(self):
        with self.cv:
            return len(self.lines)

    def sighup_and_wait(self, text):
        start = self.mark()
        self.process.send_signal(1)
        assert self.wait_for(text, start), "no %r after SIGHUP:\n%s" % (text, self.log())

    def log(self):
        return "".join(line for line in self.lines if line)

    def stop(self):
        self.process.terminate()
        return self.process.wait(timeout=60)


class Api:
    def __init__(self):
        from gpop.v1 import operations_pb2, operations_pb2_grpc, audit_pb2, audit_pb2_grpc
        from gpop.v1 import transfer_pb2  # noqa: F401  (its descriptors, for the hostile calls)
        from google.longrunning import operations_pb2 as lro_pb2, operations_pb2_grpc as lro_grpc
        from google.rpc import error_details_pb2, status_pb2
        self.pb, self.ops_grpc = operations_pb2, operations_pb2_grpc
        self.audit_pb, self.audit_grpc = audit_pb2, audit_pb2_grpc
        self.lro_pb, self.lro_grpc = lro_pb2, lro_grpc
        self.details_pb, self.status_pb = error_details_pb2, status_pb2


def details(api, error):
    """(code, ErrorInfo, [RetryInfo]) of a failed call, from grpc-status-details-bin."""
    raw = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    assert raw, "no grpc-status-details-bin in %r" % (error,)
    status = api.status_pb.Status.FromString(raw)
    assert status.code == error.code().value[0], (status.code, error.code())
    info, retries = None, []
    for any_detail in status.details:
        if any_detail.Is(api.details_pb.ErrorInfo.DESCRIPTOR):
            info = api.details_pb.ErrorInfo()
            any_detail.Unpack(info)
        elif any_detail.Is(api.details_pb.RetryInfo.DESCRIPTOR):
            retry = api.details_pb.RetryInfo()
            any_detail.Unpack(retry)
            retries.append(retry)
    assert info is not None and info.domain == "gpop.dev", status
    return error.code(), info, retries


def refused(api, call, code, reason=None):
    """Runs `call` (a thunk; a stream is read to its end); it must fail with `code` and the
    ErrorInfo `reason`. RESOURCE_EXHAUSTED must carry a RetryInfo with a positive delay."""
    try:
        result = call()
        if hasattr(result, "__iter__") and not hasattr(result, "SerializeToString"):
            for _ in result:
                pass
    except grpc.RpcError as error:
        got, info, retries = details(api, error)
        assert got == code, (got, code, error.details())
        if reason is not None:
            assert info.reason == reason, (info.reason, reason, error.details())
        if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
            assert len(retries) == 1, ("no RetryInfo", error.details())
            delay = retries[0].retry_delay
            assert delay.seconds > 0 or delay.nanos > 0, retries[0]
        return error, info
    raise AssertionError("the call succeeded; expected %s %s" % (code, reason))


class Caller:
    """Stubs of one channel, calling with one bearer token (or none)."""

    def __init__(self, api, channel, token=""):
        self.api, self.channel = api, channel
        self.metadata = [("authorization", "Bearer " + token)] if token else []
        self.ops = api.ops_grpc.GroupPolicyOperationsStub(channel)
        self.audit = api.audit_grpc.AuditStub(channel)
        self.lro = api.lro_grpc.OperationsStub(channel)

    def kw(self, timeout=TIMEOUT):
        return {"metadata": self.metadata, "timeout": timeout}

    def start(self, steps=1, step_ms=1, gpo="Synthetic GPO", labels=None, **script):
        request = self.api.pb.StartOperationRequest()
        request.spec.backup.gpo.display_name = gpo
        # Own backup location per operation: no waiting on another operation's locks.
        Caller.locations = getattr(Caller, "locations", 0) + 1
        request.spec.backup.location = "sec%d" % Caller.locations
        request.labels["synthetic.steps"] = str(steps)
        request.labels["synthetic.step_ms"] = str(step_ms)
        for key, value in script.items():
            request.labels["synthetic." + key] = str(value)
        for key, value in (labels or {}).items():
            request.labels[key] = value
        return self.ops.StartOperation(request, **self.kw())

    def get(self, op_id):
        return self.ops.GetOperation(self.api.pb.GetOperationRequest(operation_id=op_id),
                                     **self.kw())

    def cancel(self, op_id):
        return self.ops.Cancel(self.api.pb.CancelRequest(operation_id=op_id), **self.kw())

    def stream(self, op_id, after=0, timeout=120):
        return self.ops.StreamStatus(
            self.api.pb.StreamStatusRequest(operation_id=op_id, after_sequence=after),
            **self.kw(timeout))

    def audit_entries(self):
        return list(self.audit.ListAuditEntries(self.api.audit_pb.ListAuditEntriesRequest(),
                                                **self.kw()).entries)


def first_event(call):
    for update in call:
        if update.WhichOneof("item") == "event":
            return update.event
    raise AssertionError("the stream ended without an event")


def read_to_end(api, call, events):
    """Appends the rest of the stream's events; returns the last state."""
    for update in call:
        if update.WhichOneof("item") == "event":
            events.append(update.event)
    return events[-1].state


class Fixture:
    def __init__(self, args, work, api):
        self.args, self.work, self.api = args, work, api
        for ca in ("ca1", "ca2"):
            make_ca(work, ca)
        make_cert(work, "ca1", "server1", "localhost", "IP:127.0.0.1,DNS:localhost")
        make_cert(work, "ca2", "server2", "localhost", "IP:127.0.0.1,DNS:localhost")
        make_cert(work, "ca1", "alice", "alice-client", "DNS:alice.example")
        make_cert(work, "ca2", "mallory", "alice-client", "DNS:alice.example")
        self.cert, self.key = work + "/server.crt", work + "/server.key"
        write(self.cert, read(work + "/server1.crt"))
        write(self.key, read(work + "/server1.key"))
        self.tokens = {name: "%s-%s" % (name, os.urandom(8).hex())
                       for name in ("admin", "alice", "bob", "vic", "fin", "old", "rl", "sw", "q")}
        self.tokens_file = work + "/tokens"
        self.write_tokens(self.tokens)
        write(work + "/policy",
              "grant admin admin\ngrant alice operator\ngrant bob operator\ngrant vic viewer\n"
              "grant fin operator kind=backup gpo=\"Finance *\"\ngrant old admin\n"
              "grant rl operator\ngrant sw viewer\ncert alice-client alice\n"
              "limit rl starts_per_minute=1\nlimit sw max_streams=1\n"
              "grant q operator\nlimit q max_running=0 max_queued=1\n")
        self.state = work + "/state"
        self.gpopd = Gpopd(args.gpopd, work, "tls", [
            "--listen=127.0.0.1:0", "--state_dir=" + self.state, "--tls_cert=" + self.cert,
            "--tls_key=" + self.key, "--tls_client_ca=" + work + "/ca1.crt",
            "--tokens_file=" + self.tokens_file, "--auth_policy=" + work + "/policy",
            "--start_burst=1", "--max_request_bytes=65536"])
        self.target = "127.0.0.1:%d" % self.gpopd.port

    def write_tokens(self, tokens):
        lines = []
        for name, token in tokens.items():
            expiry = "2020-01-01T00:00:00Z" if name == "old" else "never"
            lines.append("%s sha256:%s %s\n" % (name, hashlib.sha256(token.encode()).hexdigest(),
                                                expiry))
        write(self.tokens_file, "".join(lines))

    def channel(self, ca="ca1", client=None):
        credentials = grpc.ssl_channel_credentials(
            root_certificates=read("%s/%s.crt" % (self.work, ca)),
            private_key=read("%s/%s.key" % (self.work, client)) if client else None,
            certificate_chain=read("%s/%s.crt" % (self.work, client)) if client else None)
        # Own subchannel per channel: a new handshake each time, not a shared connection.
        return grpc.secure_channel(self.target, credentials,
                                   options=[("grpc.use_local_subchannel_pool", 1)])

    def caller(self, name=None, ca="ca1"):
        return Caller(self.api, self.channel(ca), self.tokens[name] if name else "")

    def disk(self):
        """operations.db's whole content (every table, audit included), as SQL text."""
        db = sqlite3.connect("file:%s/operations.db?mode=ro" % self.state, uri=True)
        try:
            return "\n".join(db.iterdump())
        finally:
            db.close()


def test_refusals_change_nothing(f):
    api = f.api
    admin, alice, bob, vic, fin = (f.caller(n) for n in ("admin", "alice", "bob", "vic", "fin"))
    # Alice's operation runs, and sits in a one-minute step: no writes while the attempts run.
    op = alice.start(steps=100, step_ms=60000)
    call = alice.stream(op.id)
    while first_event(call).state != api.pb.RUNNING:
        pass
    call.cancel()
    disk, history = f.disk(), admin.audit_entries()
    unknown = "op-" + "a" * 26
    stranger = f.caller()
    wrong = Caller(api, f.channel(), "wrong-" + f.tokens["alice"])
    expired = f.caller("old")
    U, P = grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED
    for who in (stranger, wrong, expired):
        e1, _ = refused(api, lambda: who.get(op.id), U, "UNAUTHENTICATED")
        e2, _ = refused(api, lambda: who.get(unknown), U, "UNAUTHENTICATED")
        assert e1.details() == e2.details(), "an existing operation looks different"
        refused(api, lambda: who.start(), U, "UNAUTHENTICATED")
        refused(api, lambda: who.cancel(op.id), U, "UNAUTHENTICATED")
        refused(api, lambda: who.stream(op.id), U, "UNAUTHENTICATED")
        refused(api, lambda: who.ops.WatchOperations(api.pb.WatchOperationsRequest(),
                                                     **who.kw()), U, "UNAUTHENTICATED")
        refused(api, lambda: who.ops.ListOperations(api.pb.ListOperationsRequest(), **who.kw()),
                U, "UNAUTHENTICATED")
        refused(api, lambda: who.audit_entries(), U, "UNAUTHENTICATED")
        refused(api, lambda: who.lro.CancelOperation(
            api.lro_pb.CancelOperationRequest(name="operations/" + op.id), **who.kw()), U)
    refused(api, lambda: vic.start(), P, "PERMISSION_DENIED")
    refused(api, lambda: vic.cancel(op.id), P, "PERMISSION_DENIED")
    _, info = refused(api, lambda: bob.cancel(op.id), P, "PERMISSION_DENIED")
    assert info.metadata["required_role"] == "admin", info
    refused(api, lambda: bob.lro.CancelOperation(
        api.lro_pb.CancelOperationRequest(name="operations/" + op.id), **bob.kw()), P)
    refused(api, lambda: bob.lro.DeleteOperation(
        api.lro_pb.DeleteOperationRequest(name="operations/" + op.id), **bob.kw()), P)
    refused(api, lambda: fin.start(), P, "PERMISSION_DENIED")  # "Synthetic GPO": outside
    refused(api, lambda: fin.get(op.id), P, "PERMISSION_DENIED")
    # Imports into the default domain GPOs are admin-only.
    into = api.pb.StartOperationRequest()
    spec = getattr(into.spec, "import")
    spec.backup.location = "x"
    spec.backup.backup_id = "{11111111-2222-3333-4444-555555555555}"
    spec.target_gpo.guid = DEFAULT_DOMAIN_POLICY
    refused(api, lambda: alice.ops.StartOperation(into, **alice.kw()), P, "PERMISSION_DENIED")
    # The viewer sees the operation; nobody's refused cancel reached it.
    assert vic.get(op.id).cancel_requested is False
    assert f.disk() == disk, "a refused attempt changed operations.db"
    assert admin.audit_entries() == history, "a refused attempt reached the audit history"
    # The owner may cancel it; that does change the store (the snapshot sees changes).
    assert alice.cancel(op.id).cancel_requested
    assert f.disk() != disk


def test_watch_and_list_show_only_what_the_caller_may_see(f):
    api = f.api
    admin, fin = f.caller("admin"), f.caller("fin")  # fin: operator of "Finance *" backups
    listing = fin.ops.ListOperations(api.pb.ListOperationsRequest(), **fin.kw())
    call = fin.ops.WatchOperations(api.pb.WatchOperationsRequest(after_revision=listing.revision),
                                   **fin.kw(120))
    hidden = admin.start()  # "Synthetic GPO": created before fin's own, so its revision is lower
    own = fin.start(gpo="Finance Laptops")
    seen = set()
    for item in call:
        if item.WhichOneof("item") != "event":
            continue
        seen.add(item.event.operation_id)
        if item.event.operation_id == own.id and item.event.state in (
                api.pb.SUCCEEDED, api.pb.FAILED, api.pb.CANCELLED):
            break
    call.cancel()
    assert seen == {own.id}, (seen, own.id, hidden.id)
    listed = {o.id for o in fin.ops.ListOperations(api.pb.ListOperationsRequest(),
                                                    **fin.kw()).operations}
    assert own.id in listed and hidden.id not in listed, listed
    assert hidden.id in {o.id for o in admin.ops.ListOperations(
        api.pb.ListOperationsRequest(page_size=1000), **admin.kw()).operations}


def test_mutual_tls(f):
    api = f.api
    alice = Caller(api, f.channel(client="alice"))  # no token: the certificate is the principal
    assert alice.start().principal == "alice"
    for channel in (grpc.insecure_channel(f.target),  # plaintext against the TLS port
                    f.channel(client="mallory")):  # the same names from an untrusted CA
        who = Caller(api, channel, f.tokens["admin"])
        try:
            who.ops.ListOperations(api.pb.ListOperationsRequest(), **who.kw(10))
            raise AssertionError("the call succeeded")
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.UNAVAILABLE, error


def test_revoked_token(f):
    api = f.api
    bob = f.caller("bob")
    op = bob.start(steps=40, step_ms=100)
    call = bob.stream(op.id)
    seen = first_event(call)
    del f.tokens["bob"]
    f.write_tokens(f.tokens)
    f.gpopd.sighup_and_wait("credentials reloaded")
    refused(api, lambda: bob.get(op.id), grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED")
    # The open stream's resume (a new StreamStatus from its last sequence) is refused.
    call.cancel()
    refused(api, lambda: bob.stream(op.id, after=seen.sequence), grpc.StatusCode.UNAUTHENTICATED,
            "UNAUTHENTICATED")
    f.caller("admin").cancel(op.id)


def test_limits_carry_retry_info(f):
    api = f.api
    rl, sw = f.caller("rl"), f.caller("sw")
    rl.start()
    refused(api, lambda: rl.start(), grpc.StatusCode.RESOURCE_EXHAUSTED, "START_RATE_LIMITED")
    op = f.caller("admin").start(steps=50, step_ms=100)
    held = sw.stream(op.id)
    first_event(held)
    refused(api, lambda: sw.stream(op.id), grpc.StatusCode.RESOURCE_EXHAUSTED, "TOO_MANY_STREAMS")
    held.cancel()
    f.caller("admin").cancel(op.id)
    q = f.caller("q")  # may run none and queue one
    waiting = q.start()
    refused(api, lambda: q.start(), grpc.StatusCode.RESOURCE_EXHAUSTED, "QUEUE_FULL")
    assert q.get(waiting.id).state == api.pb.QUEUED
    q.cancel(waiting.id)


def test_message_size_limit(f):
    """--max_request_bytes holds. The answer is gRPC's own RESOURCE_EXHAUSTED: gRPC refuses the
    message before gpop sees it, so it carries neither ErrorInfo nor RetryInfo (not fixed)."""
    api = f.api
    admin = f.caller("admin")
    small = api.pb.ListOperationsRequest(filter="x" * 60000)  # under the limit: gpop answers
    refused(api, lambda: admin.ops.ListOperations(small, **admin.kw()),
            grpc.StatusCode.INVALID_ARGUMENT)
    large = api.pb.ListOperationsRequest(filter="x" * 70000)
    try:
        admin.ops.ListOperations(large, **admin.kw())
        raise AssertionError("a request past --max_request_bytes was taken")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error


def test_hostile_bytes_on_every_method(f):
    """Every method of every service the server lists, fed bytes that do not parse."""
    api = f.api
    from google.protobuf import descriptor_pb2, descriptor_pool
    admin = f.caller("admin")
    identity = lambda b: b  # noqa: E731
    names = [s.name for s in _list_services(f, admin)
             if not s.name.startswith(("grpc.health", "grpc.reflection"))]
    assert {"gpop.v1.GroupPolicyOperations", "gpop.v1.Audit",
            "google.longrunning.Operations"} <= set(names), names
    pool = descriptor_pool.Default()
    tried = 0
    for name in names:
        proto = descriptor_pb2.ServiceDescriptorProto()
        pool.FindServiceByName(name).CopyToProto(proto)
        for method in proto.method:
            request = pool.FindMessageTypeByName(method.input_type.lstrip("."))
            payloads = [b"\x08\xff", b"\xff\xff\xff\xff\xff", b"\x0a\x05ab"]  # truncated, garbage
            strings = [fd for fd in request.fields if fd.type == fd.TYPE_STRING]
            if strings:  # invalid UTF-8 in a string field
                payloads.append(bytes([strings[0].number << 3 | 2, 2, 0xff, 0xfe]))
            path = "/%s/%s" % (name, method.name)
            kind = {(False, False): admin.channel.unary_unary,
                    (False, True): admin.channel.unary_stream,
                    (True, False): admin.channel.stream_unary,
                    (True, True): admin.channel.stream_stream}[
                        (method.client_streaming, method.server_streaming)]
            call = kind(path, request_serializer=identity, response_deserializer=identity)
            for payload in payloads:
                if method.client_streaming:
                    thunk = lambda: call(iter([payload]), **admin.kw())  # noqa: E731
                else:
                    thunk = lambda: call(payload, **admin.kw())  # noqa: E731
                try:
                    refused(api, thunk, grpc.StatusCode.INVALID_ARGUMENT, "MALFORMED_REQUEST")
                except AssertionError as error:
                    raise AssertionError("%s with %r: %s" % (path, payload, error))
                tried += 1
    print("  hostile bytes: %d calls on %d services" % (tried, len(names)))


def _list_services(f, caller):
    from grpc.reflection.v1 import reflection_pb2
    call = caller.channel.stream_stream(
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
    responses = list(call(iter([reflection_pb2.ServerReflectionRequest(list_services="")]),
                          **caller.kw()))
    return responses[0].list_services_response.service


def test_page_tokens(f):
    api = f.api
    admin, alice = f.caller("admin"), f.caller("alice")
    for _ in range(3):
        admin.start(labels={"batch": "tokens"})
    request = api.pb.ListOperationsRequest(page_size=1, filter="labels.batch=tokens")
    page = admin.ops.ListOperations(request, **admin.kw())
    token = page.next_page_token
    assert token and len(page.operations) == 1
    tampered = token[:len(token) // 2] + ("A" if token[len(token) // 2] != "A" else "B") + \
        token[len(token) // 2 + 1:]
    bad = [api.pb.ListOperationsRequest(page_size=1, filter=request.filter, page_token=tampered),
           api.pb.ListOperationsRequest(page_size=2, filter=request.filter, page_token=token),
           api.pb.ListOperationsRequest(page_size=1, filter="", page_token=token)]
    for r in bad:
        refused(api, lambda: admin.ops.ListOperations(r, **admin.kw()),
                grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")
    r = api.pb.ListOperationsRequest(page_size=1, filter=request.filter, page_token=token)
    refused(api, lambda: alice.ops.ListOperations(r, **alice.kw()),
            grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")  # another caller's token
    assert admin.ops.ListOperations(r, **admin.kw()).operations  # the token itself is good


def test_cancel_past_commit_and_delete(f):
    api = f.api
    admin = f.caller("admin")
    op = admin.start(steps=60, step_ms=50, commit_at=1)
    call = admin.stream(op.id)
    events = []
    for update in call:  # until step 2 is done: past the commit point at step 1
        if update.WhichOneof("item") == "event":
            events.append(update.event)
        elif update.WhichOneof("item") == "progress" and update.progress.numerator >= 2:
            break
    assert events and events[-1].state == api.pb.RUNNING, events
    cancelled = admin.cancel(op.id)
    assert cancelled.state == api.pb.RUNNING and cancelled.cancel_requested, cancelled
    seen = admin.get(op.id)
    assert seen.cancel_requested and seen.cancelled_by == "admin", seen
    assert read_to_end(api, call, events) == api.pb.SUCCEEDED
    admin.lro.DeleteOperation(api.lro_pb.DeleteOperationRequest(name="operations/" + op.id),
                              **admin.kw())
    refused(api, lambda: admin.get(op.id), grpc.StatusCode.NOT_FOUND, "OPERATION_DELETED")


def test_certificates_reload_under_an_open_stream(f):
    """Last of the TLS tests: the server's certificate is from ca2 afterwards."""
    api = f.api
    admin = f.caller("admin")
    op = admin.start(steps=100, step_ms=100)
    call = admin.stream(op.id)
    events = [first_event(call)]
    write(f.key, b"not a key\n")  # a broken pair is refused and changes nothing
    f.gpopd.sighup_and_wait("TLS reload failed")
    write(f.cert, read(f.work + "/server2.crt"))
    write(f.key, read(f.work + "/server2.key"))
    f.gpopd.sighup_and_wait("TLS files reloaded")
    # gRPC looks at the staged files once a second: new handshakes switch within a few.
    switched = False
    for _ in range(50):
        fresh = f.caller("admin", ca="ca2")
        try:
            seen = fresh.ops.GetOperation(api.pb.GetOperationRequest(operation_id=op.id),
                                          metadata=fresh.metadata, timeout=0.5,
                                          wait_for_ready=True)
            # Still running: the stream opened before the reload is still open now.
            assert seen.state == api.pb.RUNNING, seen
            switched = True
            break
        except grpc.RpcError:
            pass
        finally:
            fresh.channel.close()
    assert switched, "the new certificate was never served"
    assert read_to_end(api, call, events) == api.pb.SUCCEEDED, "the open stream did not finish"
    sequences = [e.sequence for e in events]
    assert sequences == list(range(1, len(events) + 1)), sequences


def test_unix_socket_peers(args, work, api):
    uid = os.getuid()
    for name, policy, mapped in (("mapped", "uid %d ops\ngrant ops operator\n" % uid, True),
                                 ("unmapped", "uid %d other\ngrant other admin\n" % (uid + 1),
                                  False)):
        write("%s/%s.policy" % (work, name), policy)
        sock = "%s/%s.sock" % (work, name)
        server = Gpopd(args.gpopd, work, name, [
            "--listen=unix:" + sock, "--operation_store=memory",
            "--auth_policy=%s/%s.policy" % (work, name)])
        try:
            who = Caller(api, grpc.insecure_channel("unix:" + sock))
            if mapped:
                assert who.start().principal == "ops"
            else:
                refused(api, lambda: who.start(), grpc.StatusCode.UNAUTHENTICATED,
                        "UNAUTHENTICATED")
            who.channel.close()
        finally:
            assert server.stop() == 0


def test_non_loopback_bind(args, work, api):
    refused_run = subprocess.run(
        [args.gpopd, "--backend=synthetic", "--operation_store=memory", "--http_listen=",
         "--listen=0.0.0.0:0"], stderr=subprocess.PIPE, text=True, timeout=60)
    assert refused_run.returncode == 2, refused_run
    assert "not a loopback address" in refused_run.stderr, refused_run.stderr
    server = Gpopd(args.gpopd, work, "insecure", ["--listen=0.0.0.0:0", "--insecure",
                                                  "--operation_store=memory"])
    try:
        assert "insecure" in server.log().lower() and " W " in server.log(), server.log()
    finally:
        assert server.stop() == 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gpopd", required=True)
    parser.add_argument("--proto_dir", required=True)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="gpop-security-")
    failures = 0
    try:
        interop.generate_stubs(args.proto_dir, work)
        api = Api()
        f = Fixture(args, work, api)
        tests = [test_refusals_change_nothing,
                 test_watch_and_list_show_only_what_the_caller_may_see, test_mutual_tls,
                 test_revoked_token, test_limits_carry_retry_info, test_message_size_limit,
                 test_hostile_bytes_on_every_method, test_page_tokens,
                 test_cancel_past_commit_and_delete,
                 test_certificates_reload_under_an_open_stream]
        try:
            for test in tests:
                try:
                    test(f)
                    print("PASS", test.__name__)
                except Exception as error:  # report every test, then fail
                    failures += 1
                    print("FAIL", test.__name__, repr(error))
        finally:
            code = f.gpopd.stop()
            if code != 0:
                failures += 1
                print("FAIL gpopd exit code %d after SIGTERM" % code)
            if failures:
                print(f.gpopd.log()[-6000:])
        for test in (test_unix_socket_peers, test_non_loopback_bind):
            try:
                test(args, work, api)
                print("PASS", test.__name__)
            except Exception as error:
                failures += 1
                print("FAIL", test.__name__, repr(error))
        return 1 if failures else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
