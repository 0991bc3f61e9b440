#!/usr/bin/python3
"""Checks that deploy/Dockerfile and the OCI image built by deploy/image/build-image.sh give
the same layout: user (numeric, non-root, the one setup-rootfs.sh creates), working directory,
volume, exposed port, entrypoint (no CMD), health check, the binaries in /usr/local/bin and
/etc/gpop/gpopd.conf; and that the image's root filesystem holds them with the right owners.

Usage: image_layout_test.py [REPO_ROOT [OCI_LAYOUT]]   (layout default: build/image/gpopd)
"""

import json
import os
import re
import shlex
import sys
import tarfile
import unittest

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "..", ".."))
LAYOUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "build", "image", "gpopd")
HEALTH_LABEL = "dev.gpop.healthcheck"


def dockerfile_final_stage(path):
    """The instructions of the last FROM stage as (KEYWORD, argument) pairs, continuations
    joined and comments dropped."""
    lines, current = [], ""
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not current and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if line.endswith("\\"):
                current += line[:-1] + " "
                continue
            lines.append(current + line)
            current = ""
    stages = []
    for line in lines:
        keyword, _, arg = line.strip().partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stages.append([])
        stages[-1].append((keyword, arg.strip()))
    return stages[-1]


def exec_form(arg):
    """A JSON-array (exec form) argument; shell form is refused: it would run /bin/sh."""
    value = json.loads(arg)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("not an exec-form array: " + arg)
    return value


def read_blob(digest):
    with open(os.path.join(LAYOUT, "blobs", "sha256", digest.split(":", 1)[1]), "rb") as f:
        return f.read()


def oci_image():
    """(config, manifest) of the layout's "latest" image."""
    index = json.loads(read_blob_path("index.json"))
    refs = [m for m in index["manifests"]
            if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "latest"]
    if len(refs) != 1:
        raise ValueError("the layout has no single 'latest' image")
    manifest = json.loads(read_blob(refs[0]["digest"]))
    return json.loads(read_blob(manifest["config"]["digest"])), manifest


def read_blob_path(name):
    with open(os.path.join(LAYOUT, name), "rb") as f:
        return f.read()


def rootfs_entries(manifest):
    """(path -> TarInfo, path -> text of the few files read) over every layer; later layers
    win, whiteouts remove."""
    entries, texts = {}, {}
    for layer in manifest["layers"]:
        path = os.path.join(LAYOUT, "blobs", "sha256", layer["digest"].split(":", 1)[1])
        with tarfile.open(path, "r:*") as tar:
            for info in tar:
                name = info.name[2:] if info.name.startswith("./") else info.name
                name = os.path.normpath(name.strip("/") or ".")
                base = os.path.basename(name)
                if base.startswith(".wh."):
                    entries.pop(os.path.join(os.path.dirname(name), base[4:]), None)
                    continue
                entries[name] = info
                if info.isfile() and name in ("etc/passwd", "etc/gpop/gpopd.conf"):
                    texts[name] = tar.extractfile(info).read().decode()
    return entries, texts


class LayoutTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.stage = dockerfile_final_stage(os.path.join(ROOT, "deploy", "Dockerfile"))
        cls.config, manifest = oci_image()
        cls.image = cls.config["config"]
        cls.rootfs, cls.texts = rootfs_entries(manifest)
        with open(os.path.join(ROOT, "deploy", "image", "setup-rootfs.sh")) as f:
            setup = f.read()
        cls.uid = int(re.search(r"useradd .*--uid (\d+)", setup).group(1))
        cls.gid = int(re.search(r"groupadd .*--gid (\d+)", setup).group(1))

    def one(self, keyword):
        values = [arg for kw, arg in self.stage if kw == keyword]
        self.assertEqual(len(values), 1, "Dockerfile: one %s expected, found %r" % (keyword, values))
        return values[0]

    def test_user_is_numeric_non_root_and_created_by_setup(self):
        user = self.one("USER")
        self.assertEqual(user, "%d:%d" % (self.uid, self.gid))
        self.assertEqual(self.image["User"], user)
        self.assertNotEqual(self.uid, 0)
        passwd = [l.split(":") for l in self.texts["etc/passwd"].splitlines()]
        gpop = [p for p in passwd if p[0] == "gpop"]
        self.assertEqual(len(gpop), 1, "no gpop user in the image")
        self.assertEqual((int(gpop[0][2]), int(gpop[0][3])), (self.uid, self.gid))
        self.assertEqual(gpop[0][5], "/var/lib/gpop")

    def test_volume_and_working_directory(self):
        self.assertEqual(exec_form(self.one("VOLUME")), ["/var/lib/gpop"])
        self.assertEqual(sorted(self.image["Volumes"]), ["/var/lib/gpop"])
        self.assertEqual(self.one("WORKDIR"), "/var/lib/gpop")
        self.assertEqual(self.image["WorkingDir"], "/var/lib/gpop")
        for path, mode in (("var/lib/gpop", 0o750), ("sysvol", 0o755)):
            info = self.rootfs[path]
            self.assertTrue(info.isdir(), path)
            self.assertEqual((info.uid, info.gid, info.mode & 0o7777), (self.uid, self.gid, mode),
                             path)

    def test_ports(self):
        self.assertEqual(self.one("EXPOSE").split(), sorted(self.image["ExposedPorts"]))

    def test_entrypoint_and_no_cmd(self):
        entrypoint = exec_form(self.one("ENTRYPOINT"))
        self.assertEqual(self.image["Entrypoint"], entrypoint)
        self.assertEqual([kw for kw, _ in self.stage if kw == "CMD"], [])
        self.assertFalse(self.image.get("Cmd"))
        self.assertEqual(entrypoint[0], "/usr/local/bin/gpopd")
        config_flags = [a for a in entrypoint if a.startswith("--config=")]
        self.assertEqual(len(config_flags), 1)
        self.assertEqual(config_flags, ["--config=/etc/gpop/gpopd.conf"])
        conf = self.texts["etc/gpop/gpopd.conf"]
        with open(os.path.join(ROOT, "deploy", "image", "gpopd.conf")) as f:
            self.assertEqual(conf, f.read())
        self.assertIn("--state_dir=/var/lib/gpop", conf.splitlines())

    def test_health_check(self):
        healthcheck = self.one("HEALTHCHECK").split(None, 1)
        self.assertEqual(healthcheck[0], "CMD")
        command = exec_form(healthcheck[1])
        self.assertEqual(shlex.split(self.image["Labels"][HEALTH_LABEL]), command)
        self.assertIn("--service=gpop.v1.GroupPolicyOperations", command)

    def test_same_binaries(self):
        copies = [shlex.split(arg) for kw, arg in self.stage if kw == "COPY"]
        binaries = set()
        for copy in copies:
            if copy[-1] == "/usr/local/bin/":
                binaries |= {os.path.basename(src) for src in copy[:-1] if not src.startswith("--")}
        in_image = {os.path.basename(p) for p, info in self.rootfs.items()
                    if os.path.dirname(p) == "usr/local/bin" and info.isfile()}
        self.assertEqual(binaries, in_image)
        self.assertEqual(binaries, {"gpopd", "gpopctl", "gpop-demo-store", "gpop-health"})
        for name in binaries:
            info = self.rootfs["usr/local/bin/" + name]
            self.assertEqual((info.uid, info.mode & 0o7777), (0, 0o755), name)

    def test_same_packages_and_setup(self):
        run = " ".join(arg for kw, arg in self.stage if kw == "RUN")
        self.assertIn("/tmp/gpop-image/runtime-packages", run)
        self.assertIn("sh /tmp/gpop-image/setup-rootfs.sh", run)
        copied = " ".join(arg for kw, arg in self.stage if kw == "COPY")
        self.assertIn("deploy/image/runtime-packages deploy/image/setup-rootfs.sh", copied)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
