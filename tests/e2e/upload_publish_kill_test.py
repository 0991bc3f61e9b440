#!/usr/bin/python3
"""SIGKILL inside the publish of a multi-backup upload, through the real gpopd and its API.

gpopd (sysvol backend on a gpop-demo-store tree) is started with its test-only kill hook
(service/test_upload_kill_hook.h, builds with GPOP_TEST_HOOKS) armed at one step of a publish:
every backup folder staged (no journal yet), the publish journal durable, after the 1st, 2nd
and 3rd of the set's three renames into the location, after manifest.xml. A set of three
Windows-made fixture backups is uploaded through BackupTransfer (CreateUpload, WriteUpload);
gpopd kills itself at the step (the marker file says it did, and the location holds exactly the
folders renamed so far). gpopd is then started again, without the hook, on the same --state_dir,
SYSVOL and backup locations, and must show all of the set or none of it:

- killed before the commit point (staged): no backup folder in the location, manifest.xml lists
  none, GetUpload says RECEIVING with every byte received; a WriteUpload at that offset with no
  data then publishes it (PUBLISHED, the three IDs);
- killed at or after the journal: the three folders in the location, each file byte for byte
  the fixture's, manifest.xml lists exactly the three, ListBackups lists them, GetUpload says
  PUBLISHED with the three IDs (also after a further planned restart).

Never any staging folder left in the location. Each round uploads into its own location.
Needs Debian's python3-grpcio and python3-protobuf, protoc and grpc_python_plugin (stubs are
generated at test time, as tests/interop does).
"""

import argparse
import hashlib
import io
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import xml.etree.ElementTree as ET

import grpc

PROTOS = ["google/rpc/status.proto", "gpop/v1/operations.proto", "gpop/v1/transfer.proto"]
RPC_TIMEOUT = 60  # seconds, a guard against hangs; nothing waits for it to pass
SET = ["{32D5EEFD-DACE-44DC-BC16-D364B32B0D2A}", "{403B3DA7-7021-439A-8CA4-B2B0C1138937}",
       "{A2A38432-E322-437F-9975-B7CC7F16F4AA}"]
# (kill point, folders of the set in the location when gpopd died, published after recovery)
ROUNDS = [("upload-staged:1", 0, False), ("upload-journal:1", 0, True),
          ("upload-rename:1", 1, True), ("upload-rename:2", 2, True),
          ("upload-rename:3", 3, True), ("upload-manifest:1", 3, True)]
MANIFEST_NS = "{http://www.microsoft.com/GroupPolicy/GPOOperations/Manifest}"
STARTED = []  # every gpopd this test started: any still running at the end is killed


def fail(message, gpopd=None):
    print("FAIL: " + message)
    if gpopd is not None:
        print("--- gpopd log\n" + "".join(gpopd.log[-40:]))
    sys.exit(1)


def generate_stubs(proto_dir, out_dir):
    protoc = shutil.which("protoc")
    plugin = shutil.which("grpc_python_plugin") or "/usr/bin/grpc_python_plugin"
    if not protoc or not os.path.exists(plugin):
        fail("need protoc and grpc_python_plugin")
    subprocess.run([protoc, "--plugin=protoc-gen-grpc=" + plugin, "-I", proto_dir, "-I",
                    "/usr/include", "--python_out=" + out_dir, "--grpc_out=" + out_dir] + PROTOS,
                   check=True)
    sys.path.insert(0, out_dir)
    import google
    google.__path__.append(os.path.join(out_dir, "google"))


class Gpopd:
    """gpopd on 127.0.0.1:0 (port from --port_file), its stderr kept in self.log."""

    def __init__(self, args, work, kill_at=None):
        env = dict(os.environ)
        env.pop("GPOP_TEST_KILL_AT", None)
        if kill_at:
            env["GPOP_TEST_KILL_AT"] = kill_at
            env["GPOP_TEST_KILL_MARKER"] = os.path.join(work, "killed")
        port_file = os.path.join(work, "port")
        if os.path.exists(port_file):
            os.remove(port_file)
        self.process = subprocess.Popen(
            [args.gpopd, "--listen=127.0.0.1:0", "--port_file=" + port_file,
             "--sysvol=" + os.path.join(work, "sysvol", "demo.test"),
             "--state_dir=" + os.path.join(work, "state"),
             "--backup_locations=" + ",".join(
                 "r%d=%s" % (i, os.path.join(work, "r%d" % i)) for i in range(len(ROUNDS))),
             "--default_location=r0", "--http_listen="],
            stderr=subprocess.PIPE, text=True, env=env)
        STARTED.append(self.process)
        self.log = []
        for line in self.process.stderr:
            self.log.append(line)
            if "gpopd ready" in line:
                break
        else:
            fail("gpopd exited before it was ready", self)
        with open(port_file) as f:
            self.port = int(f.read().strip())
        threading.Thread(target=self._drain, daemon=True).start()
        self.channel = grpc.insecure_channel("127.0.0.1:%d" % self.port)

    def _drain(self):
        for line in self.process.stderr:
            self.log.append(line)

    def stop(self):
        self.channel.close()
        self.process.send_signal(signal.SIGTERM)
        rc = self.process.wait(timeout=60)
        if rc != 0:
            fail("gpopd exited %d on SIGTERM, not 0" % rc, self)


def set_tar(fixtures):
    """The three backups as one tar (folders {ID}/...), and every file's bytes by path."""
    files = {}
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for backup in SET:
            root = os.path.join(fixtures, "gpmc-backups", backup)
            for folder, dirs, names in os.walk(root):
                dirs.sort()
                rel = os.path.relpath(folder, root)
                prefix = backup if rel == "." else backup + "/" + rel.replace(os.sep, "/")
                info = tarfile.TarInfo(prefix)
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
                for name in sorted(names):
                    with open(os.path.join(folder, name), "rb") as f:
                        data = f.read()
                    files[prefix + "/" + name] = data
                    info = tarfile.TarInfo(prefix + "/" + name)
                    info.size, info.mode = len(data), 0o644
                    tar.addfile(info, io.BytesIO(data))
    return out.getvalue(), files


def folders_in(location):
    return sorted(n for n in os.listdir(location) if n.startswith("{")) \
        if os.path.isdir(location) else []


def manifest_ids(location):
    path = os.path.join(location, "manifest.xml")
    if not os.path.exists(path):
        return []
    root = ET.parse(path).getroot()
    return sorted(e.text for e in root.iter(MANIFEST_NS + "ID"))


def write(stub, pb, upload_id, offset, data):
    def requests():
        yield pb.WriteUploadRequest(upload_id=upload_id, offset=offset)
        for at in range(0, len(data), 256 * 1024):
            yield pb.WriteUploadRequest(data=data[at:at + 256 * 1024])
    return stub.WriteUpload(requests(), timeout=RPC_TIMEOUT)


def check_published(gpopd, tpb, ops, location_name, location, upload_id, files, label):
    if folders_in(location) != sorted(SET):
        fail("%s: the location holds %s, not the set" % (label, folders_in(location)), gpopd)
    for path, data in files.items():
        with open(os.path.join(location, path), "rb") as f:
            if f.read() != data:
                fail("%s: %s differs from the fixture's" % (label, path), gpopd)
    if manifest_ids(location) != sorted(SET):
        fail("%s: manifest.xml lists %s" % (label, manifest_ids(location)), gpopd)
    transfer = tpb[1].BackupTransferStub(gpopd.channel)
    upload = transfer.GetUpload(tpb[0].GetUploadRequest(upload_id=upload_id), timeout=RPC_TIMEOUT)
    if upload.state != tpb[0].PUBLISHED or \
            sorted(b.backup.backup_id for b in upload.backups) != sorted(SET) or \
            not upload.backup_set:
        fail("%s: GetUpload says %s" % (label, upload), gpopd)
    listed = ops[1].GroupPolicyOperationsStub(gpopd.channel).ListBackups(
        ops[0].ListBackupsRequest(location=location_name), timeout=RPC_TIMEOUT)
    if sorted(b.backup_id for b in listed.backups) != sorted(SET):
        fail("%s: ListBackups lists %s" % (label, [b.backup_id for b in listed.backups]), gpopd)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gpopd", required=True)
    parser.add_argument("--demo_store", required=True)
    parser.add_argument("--proto_dir", required=True)
    args = parser.parse_args()
    fixtures = os.environ.get("GPOP_FIXTURES") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "fixtures")
    if not os.path.isdir(os.path.join(fixtures, "gpmc-backups")):
        if os.environ.get("CI") == "true":
            fail("fixtures not found at " + fixtures)
        # CTest reads 77 as skipped (SKIP_RETURN_CODE in tests/e2e/CMakeLists.txt).
        print("fixtures not found at %s: skipped" % fixtures)
        sys.exit(77)

    work = tempfile.mkdtemp(prefix="gpop-upload-kill-")
    try:
        generate_stubs(args.proto_dir, work)
        from gpop.v1 import operations_pb2, operations_pb2_grpc, transfer_pb2, transfer_pb2_grpc
        tpb = (transfer_pb2, transfer_pb2_grpc)
        ops = (operations_pb2, operations_pb2_grpc)
        subprocess.run([args.demo_store, os.path.join(work, "sysvol", "demo.test")], check=True,
                       stdout=subprocess.DEVNULL)
        data, files = set_tar(fixtures)
        digest = hashlib.sha256(data).hexdigest()
        for i, (kill_at, renamed, published) in enumerate(ROUNDS):
            label = "killed at " + kill_at
            name, location = "r%d" % i, os.path.join(work, "r%d" % i)
            marker = os.path.join(work, "killed")
            if os.path.exists(marker):
                os.remove(marker)
            gpopd = Gpopd(args, work, kill_at)
            if not any("test hook armed: SIGKILL at " + kill_at in l for l in gpopd.log):
                fail("gpopd has no upload kill hook (a build without GPOP_TEST_HOOKS?)", gpopd)
            transfer = transfer_pb2_grpc.BackupTransferStub(gpopd.channel)
            upload = transfer.CreateUpload(transfer_pb2.CreateUploadRequest(
                location=name, total_bytes=len(data), sha256=digest), timeout=RPC_TIMEOUT)
            try:
                write(transfer, transfer_pb2, upload.upload_id, 0, data)
                fail(label + ": the upload succeeded; the hook did not fire", gpopd)
            except grpc.RpcError:
                pass  # gpopd died under the call
            rc = gpopd.process.wait(timeout=120)
            gpopd.channel.close()
            if rc != -signal.SIGKILL or not os.path.exists(marker):
                fail("%s: gpopd ended with %d, marker %s" % (label, rc, os.path.exists(marker)),
                     gpopd)
            if len(folders_in(location)) != renamed:
                fail("%s: %d folders in the location at the kill, not %d" %
                     (label, len(folders_in(location)), renamed), gpopd)

            gpopd = Gpopd(args, work)
            transfer = transfer_pb2_grpc.BackupTransferStub(gpopd.channel)
            if not published:
                got = transfer.GetUpload(transfer_pb2.GetUploadRequest(
                    upload_id=upload.upload_id), timeout=RPC_TIMEOUT)
                if got.state != transfer_pb2.RECEIVING or got.received_bytes != len(data) or \
                        got.backups:
                    fail("%s: GetUpload says %s" % (label, got), gpopd)
                if folders_in(location) or manifest_ids(location):
                    fail("%s: not published, yet the location holds %s, manifest lists %s" %
                         (label, folders_in(location), manifest_ids(location)), gpopd)
                done = write(transfer, transfer_pb2, upload.upload_id, len(data), b"")
                if done.state != transfer_pb2.PUBLISHED:
                    fail("%s: finishing again gave %s" % (label, done), gpopd)
            check_published(gpopd, tpb, ops, name, location, upload.upload_id, files, label)
            if os.path.exists(os.path.join(location, ".gpop-staging")):
                fail(label + ": staging left in the location", gpopd)
            gpopd.stop()
            # The published record survives a planned restart too.
            gpopd = Gpopd(args, work)
            check_published(gpopd, tpb, ops, name, location, upload.upload_id, files,
                            label + ", after a further restart")
            gpopd.stop()
            print("%s: %d of %d folders in at the kill; after restart %s" %
                  (label, renamed, len(SET), "all published" if published else
                   "none published, then all by finishing the upload again"))
        print("upload publish kill test: %d SIGKILLs inside the publish, every set all or none"
              % len(ROUNDS))
    finally:
        for process in STARTED:
            if process.poll() is None:
                process.kill()
                process.wait()
        if not os.environ.get("KEEP"):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("kept " + work)


if __name__ == "__main__":
    main()
