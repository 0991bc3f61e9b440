#!/usr/bin/python3
"""Interop test: a Python grpcio client, built only from the .proto files, drives gpopd.

It starts the gpopd binary on 127.0.0.1:0 (synthetic backend), then: starts an operation and
streams it with two watchers, resumes a stream from a sequence number, cancels, pages through
ListOperations, watches all operations from a listed revision, checks bad requests' codes and
ErrorInfo reasons, checks health and reflection (v1 and v1alpha), and finally stops gpopd with SIGTERM (planned shutdown, exit 0).

Needs Debian's python3-grpcio and python3-protobuf (run with /usr/bin/python3). Stubs are
generated into a temporary directory with `python3 -m grpc_tools.protoc` when grpc_tools is
installed, else with `protoc --python_out` and Debian's grpc_python_plugin.
"""

import argparse
import importlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

import grpc

PROTOS = [
    "google/rpc/status.proto",
    "google/rpc/error_details.proto",
    "google/longrunning/operations.proto",
    "gpop/v1/operations.proto",
    "grpc/reflection/v1/reflection.proto",
]
RPC_TIMEOUT = 30  # seconds, a guard against hangs; nothing waits for it to pass


def generate_stubs(proto_dir, out_dir):
    """Generates *_pb2.py and *_pb2_grpc.py for PROTOS into out_dir."""
    try:
        import grpc_tools  # noqa: F401
        command = [sys.executable, "-m", "grpc_tools.protoc"]
        plugin = []
    except ImportError:
        protoc = shutil.which("protoc")
        plugin_path = shutil.which("grpc_python_plugin") or "/usr/bin/grpc_python_plugin"
        if not protoc or not os.path.exists(plugin_path):
            raise SystemExit("need grpc_tools, or protoc and grpc_python_plugin")
        command = [protoc]
        plugin = ["--plugin=protoc-gen-grpc=" + plugin_path]
    subprocess.run(
        command + plugin + ["-I", proto_dir, "-I", "/usr/include", "--python_out=" + out_dir,
                            "--grpc_out=" + out_dir] + PROTOS,
        check=True)
    # google/ is a namespace package (google.protobuf lives elsewhere): let it see ours too.
    sys.path.insert(0, out_dir)
    import google
    google.__path__.append(os.path.join(out_dir, "google"))
    grpc.__path__.append(os.path.join(out_dir, "grpc"))  # grpc.reflection.v1, ours


class Gpopd:
    """The gpopd process, started on 127.0.0.1:0; its port read back from --port_file."""

    def __init__(self, binary, work_dir):
        port_file = os.path.join(work_dir, "port")
        self.process = subprocess.Popen(
            [binary, "--backend=synthetic", "--listen=127.0.0.1:0", "--port_file=" + port_file,
             "--heartbeat=1s", "--state_dir=" + os.path.join(work_dir, "state")],
            stderr=subprocess.PIPE, text=True)
        self.log = []
        # gpopd logs "gpopd ready" after it wrote the port file: wait for that line.
        for line in self.process.stderr:
            self.log.append(line)
            if "gpopd ready" in line:
                break
        else:
            raise SystemExit("gpopd exited before it was ready:\n" + "".join(self.log))
        with open(port_file) as f:
            self.port = int(f.read().strip())
        self._drain = threading.Thread(target=self._read_log, daemon=True)
        self._drain.start()

    def _read_log(self):
        for line in self.process.stderr:
            self.log.append(line)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


class Client:
    def __init__(self, port):
        from gpop.v1 import operations_pb2, operations_pb2_grpc
        from google.rpc import error_details_pb2, status_pb2
        self.pb = operations_pb2
        self.status_pb2 = status_pb2
        self.error_details_pb2 = error_details_pb2
        self.channel = grpc.insecure_channel("127.0.0.1:%d" % port)
        self.stub = operations_pb2_grpc.GroupPolicyOperationsStub(self.channel)

    def backup(self, steps, step_ms, request_id="", comment="", **labels):
        request = self.pb.StartOperationRequest(request_id=request_id)
        request.spec.backup.gpo.display_name = "Python GPO"
        request.spec.backup.comment = comment
        # Own backup location per operation: no waiting on another operation's locks.
        Client._next_location = getattr(Client, "_next_location", 0) + 1
        request.spec.backup.location = "py%d" % Client._next_location
        request.labels["synthetic.steps"] = str(steps)
        request.labels["synthetic.step_ms"] = str(step_ms)
        for key, value in labels.items():
            request.labels[key.replace("__", ".")] = value
        return request

    def start(self, request):
        return self.stub.StartOperation(request, timeout=RPC_TIMEOUT)

    def error_info(self, error):
        """The (code, reason, metadata) of a failed call, from grpc-status-details-bin."""
        details = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
        assert details, "no grpc-status-details-bin in %r" % (error,)
        status = self.status_pb2.Status.FromString(details)
        assert status.code == error.code().value[0], (status.code, error.code())
        assert len(status.details) == 1, status
        info = self.error_details_pb2.ErrorInfo()
        assert status.details[0].Unpack(info), status
        assert info.domain == "gpop.dev", info
        return error.code(), info.reason, dict(info.metadata)


def stream(client, operation_id, after=0, stop_after_events=None, on_event=None):
    """Reads StreamStatus; returns (events, final code). Cancels after stop_after_events."""
    call = client.stub.StreamStatus(
        client.pb.StreamStatusRequest(operation_id=operation_id, after_sequence=after),
        timeout=120)
    events = []
    try:
        for update in call:
            if update.WhichOneof("item") != "event":
                continue
            events.append(update.event)
            if on_event:
                on_event(update.event)
            if stop_after_events is not None and len(events) >= stop_after_events:
                call.cancel()
                break
        return events, call.code()
    except grpc.RpcError as error:
        return events, error.code()


def expect_gap_free(events, first):
    sequences = [e.sequence for e in events]
    assert sequences == list(range(first, first + len(events))), sequences


def test_stream_two_watchers_resume_and_cancel(client):
    pb = client.pb
    op = client.start(client.backup(500, 20, synthetic__messages="1"))
    assert op.state == pb.QUEUED and op.id.startswith("op-"), op

    # Two watchers follow the operation from the start.
    running = [threading.Event(), threading.Event()]
    results = [None, None]

    def watch(i):
        def on_event(e):
            if e.state == pb.RUNNING:
                running[i].set()
        results[i] = stream(client, op.id, on_event=on_event)
        running[i].set()

    threads = [threading.Thread(target=watch, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for r in running:
        assert r.wait(60)

    # Resume: read three events, cut the stream, continue from the last sequence seen.
    first, code = stream(client, op.id, stop_after_events=3)
    assert len(first) == 3 and code == grpc.StatusCode.CANCELLED, (len(first), code)
    more, _ = stream(client, op.id, after=first[-1].sequence, stop_after_events=2)
    expect_gap_free(first + more, 1)

    cancelled = client.stub.Cancel(pb.CancelRequest(operation_id=op.id), timeout=RPC_TIMEOUT)
    assert cancelled.cancel_requested and cancelled.state in (pb.CANCELLING, pb.CANCELLED)
    for t in threads:
        t.join(120)
    for events, code in results:
        assert code == grpc.StatusCode.OK, code
        expect_gap_free(events, 1)
        assert [e.state for e in events[-2:]] == [pb.CANCELLING, pb.CANCELLED], events[-2:]
        assert events[-1].effects == pb.NONE
        assert events[-1].error.code == grpc.StatusCode.CANCELLED.value[0]

    # A resumed stream from the middle sees exactly the rest, ending with CANCELLED.
    middle = first[-1].sequence
    rest, code = stream(client, op.id, after=middle)
    assert code == grpc.StatusCode.OK
    expect_gap_free(rest, middle + 1)
    assert rest[-1].state == pb.CANCELLED
    assert rest[-1].sequence == results[0][0][-1].sequence


def test_list_pages(client):
    pb = client.pb
    ids = {client.start(client.backup(1, 1, batch="pages")).id for _ in range(5)}
    request = pb.ListOperationsRequest(page_size=2, filter="labels.batch=pages")
    seen, sizes = [], []
    while True:
        page = client.stub.ListOperations(request, timeout=RPC_TIMEOUT)
        sizes.append(len(page.operations))
        seen += [o.id for o in page.operations]
        if not page.next_page_token:
            break
        request.page_token = page.next_page_token
    assert sizes == [2, 2, 1], sizes
    assert set(seen) == ids and len(seen) == len(ids)


def test_watch_from_listed_revision(client):
    pb = client.pb
    before = {client.start(client.backup(2, 5, batch="watch")).id for _ in range(2)}
    listing = client.stub.ListOperations(
        pb.ListOperationsRequest(filter="labels.batch=watch"), timeout=RPC_TIMEOUT)
    position = {o.id: o.last_sequence for o in listing.operations}
    done = {o.id for o in listing.operations if o.state in (pb.SUCCEEDED, pb.FAILED, pb.CANCELLED)}
    assert set(position) == before

    call = client.stub.WatchOperations(
        pb.WatchOperationsRequest(after_revision=listing.revision, filter="labels.batch=watch"),
        timeout=120)
    after = {client.start(client.backup(2, 5, batch="watch")).id for _ in range(2)}
    everyone = before | after
    sequences = {}
    last_revision = listing.revision
    for item in call:
        if item.WhichOneof("item") != "event":
            continue
        e = item.event
        assert e.revision > last_revision
        last_revision = e.revision
        assert e.operation_id in everyone, e.operation_id
        sequences.setdefault(e.operation_id, []).append(e.sequence)
        if e.state in (pb.SUCCEEDED, pb.FAILED, pb.CANCELLED):
            done.add(e.operation_id)
        if done == everyone:
            break
    call.cancel()
    assert done == everyone
    for op_id in everyone:
        first = position.get(op_id, 0) + 1
        got = sequences.get(op_id, [])
        assert got == list(range(first, first + len(got))), (op_id, first, got)
        last = client.stub.GetOperation(pb.GetOperationRequest(operation_id=op_id),
                                        timeout=RPC_TIMEOUT).last_sequence
        assert first + len(got) - 1 == last, (op_id, got, last)


def test_bad_requests(client):
    pb = client.pb

    def expect(fn, code, reason, field=None):
        try:
            result = fn()
            if hasattr(result, "__iter__") and not hasattr(result, "SerializeToString"):
                list(result)
        except grpc.RpcError as error:
            got_code, got_reason, metadata = client.error_info(error)
            assert got_code == code, (got_code, code, error.details())
            assert got_reason == reason, (got_reason, reason)
            if field is not None:
                assert metadata.get("field") == field, metadata
            return
        raise AssertionError("call succeeded; expected %s" % code)

    long_comment = client.backup(1, 1, comment="c" * 2048)
    expect(lambda: client.start(long_comment), grpc.StatusCode.INVALID_ARGUMENT,
           "INVALID_FIELD", "spec.backup.comment")
    expect(lambda: client.start(pb.StartOperationRequest()), grpc.StatusCode.INVALID_ARGUMENT,
           "INVALID_FIELD", "spec")
    expect(lambda: client.stub.ListOperations(pb.ListOperationsRequest(filter="bogus"),
                                              timeout=RPC_TIMEOUT),
           grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD", "filter")
    expect(lambda: client.stub.GetOperation(pb.GetOperationRequest(operation_id="x"),
                                            timeout=RPC_TIMEOUT),
           grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD", "operation_id")
    unknown = "op-" + "a" * 26
    expect(lambda: client.stub.GetOperation(pb.GetOperationRequest(operation_id=unknown),
                                            timeout=RPC_TIMEOUT),
           grpc.StatusCode.NOT_FOUND, "OPERATION_NOT_FOUND")
    expect(lambda: client.stub.StreamStatus(pb.StreamStatusRequest(operation_id=unknown),
                                            timeout=RPC_TIMEOUT),
           grpc.StatusCode.NOT_FOUND, "OPERATION_NOT_FOUND")

    retried = client.backup(1, 1, request_id="py-retry")
    first = client.start(retried)
    assert client.start(retried).id == first.id
    reused = client.backup(1, 1, request_id="py-retry", comment="different")
    expect(lambda: client.start(reused), grpc.StatusCode.ALREADY_EXISTS, "REQUEST_ID_REUSED")

    events, code = stream(client, first.id)
    assert code == grpc.StatusCode.OK
    expect(lambda: client.stub.StreamStatus(
        pb.StreamStatusRequest(operation_id=first.id, after_sequence=events[-1].sequence + 10),
        timeout=RPC_TIMEOUT), grpc.StatusCode.OUT_OF_RANGE, "SEQUENCE_OUT_OF_RANGE")


def test_health_and_reflection(client):
    """grpc.health.v1 and server reflection answer, spoken in raw protobuf bytes (no stubs)."""
    identity = lambda b: b  # noqa: E731
    check = client.channel.unary_unary("/grpc.health.v1.Health/Check",
                                       request_serializer=identity,
                                       response_deserializer=identity)
    # HealthCheckResponse{status: SERVING} is field 1 = 1.
    assert check(b"", timeout=RPC_TIMEOUT) == b"\x08\x01"  # liveness ("")
    service = b"gpop.v1.GroupPolicyOperations"
    request = b"\x0a" + bytes([len(service)]) + service
    assert check(request, timeout=RPC_TIMEOUT) == b"\x08\x01"  # readiness
    reflect = client.channel.stream_stream(
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        request_serializer=identity, response_deserializer=identity)
    # ServerReflectionRequest{list_services: ""} is field 7, an empty string.
    responses = list(reflect(iter([b"\x3a\x00"]), timeout=RPC_TIMEOUT))
    assert responses and service in responses[0], responses
    assert b"google.longrunning.Operations" in responses[0], responses


def test_reflection_v1_and_v1alpha(client):
    """Both reflection versions list gpop's services and return its file descriptors."""
    from grpc.reflection.v1 import reflection_pb2
    from google.protobuf import descriptor_pb2
    request = reflection_pb2.ServerReflectionRequest
    expected = {"gpop.v1.GroupPolicyOperations", "google.longrunning.Operations", "gpop.v1.Audit",
                "grpc.reflection.v1.ServerReflection",
                "grpc.reflection.v1alpha.ServerReflection"}
    for version in ("v1", "v1alpha"):
        # The versions differ only in their package: v1's messages are v1alpha's bytes.
        call = client.channel.stream_stream(
            "/grpc.reflection.%s.ServerReflection/ServerReflectionInfo" % version,
            request_serializer=request.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
        responses = list(call(iter([
            request(list_services=""),
            request(file_containing_symbol="gpop.v1.GroupPolicyOperations.StartOperation"),
            request(file_by_filename="gpop/v1/operations.proto"),
            request(file_containing_symbol="gpop.v1.NoSuchMessage"),
        ]), timeout=RPC_TIMEOUT))
        assert len(responses) == 4, (version, responses)
        names = {s.name for s in responses[0].list_services_response.service}
        assert expected <= names, (version, sorted(names))
        for response in responses[1:3]:
            files = [descriptor_pb2.FileDescriptorProto.FromString(b)
                     for b in response.file_descriptor_response.file_descriptor_proto]
            assert files and files[0].name == "gpop/v1/operations.proto", (version, response)
            assert "GroupPolicyOperations" in [s.name for s in files[0].service], version
            # Every import comes along, so that a client can build the descriptors.
            sent = {f.name for f in files}
            assert set(files[0].dependency) <= sent, (version, files[0].dependency, sent)
        error = responses[3].error_response
        assert error.error_code == grpc.StatusCode.NOT_FOUND.value[0], (version, responses[3])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gpopd", required=True)
    parser.add_argument("--proto_dir",
                        default=os.path.join(os.path.dirname(__file__), "..", "..", "proto"))
    args = parser.parse_args()
    work_dir = tempfile.mkdtemp(prefix="gpop-interop-")
    try:
        generate_stubs(args.proto_dir, work_dir)
        server = Gpopd(args.gpopd, work_dir)
        failures = 0
        try:
            client = Client(server.port)
            for test in (test_health_and_reflection, test_reflection_v1_and_v1alpha,
                         test_stream_two_watchers_resume_and_cancel,
                         test_list_pages, test_watch_from_listed_revision, test_bad_requests):
                try:
                    test(client)
                    print("PASS", test.__name__)
                except Exception as error:  # report every test, then fail
                    failures += 1
                    print("FAIL", test.__name__, repr(error))
            client.channel.close()
        finally:
            code = server.stop()
        if code != 0:
            failures += 1
            print("FAIL gpopd exit code %d after SIGTERM" % code)
        else:
            print("PASS planned shutdown (exit 0)")
        if failures:
            print("".join(server.log[-40:]))
        return 1 if failures else 0
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
