#!/usr/bin/python3
"""Checks the Dockerfile's two stages against the two package lists: the build stage installs
deploy/image/build-packages (not install-deps.sh, which brings test tools, Samba, Wine and
Chromium), the final stage deploy/image/runtime-packages only; and that the build list is
enough: every library, header folder and tool that CMake finds when it configures the release
build (GPOP_TESTS=OFF, g++) belongs to a Debian package in the list or among its dependencies.

Usage: build_packages_test.py [REPO_ROOT]
"""

import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from image_layout_test import dockerfile_final_stage  # noqa: E402  (same Dockerfile parser)

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "..", ".."))
# Found if present, never needed: not part of the build's needs.
OPTIONAL = {"CCACHE_PROGRAM"}


def package_list(name):
    with open(os.path.join(ROOT, "deploy", "image", name)) as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")]


def dockerfile_stages():
    """Every stage's instructions, as dockerfile_final_stage gives the last one."""
    path = os.path.join(ROOT, "deploy", "Dockerfile")
    with open(path) as f:
        text = f.read()
    stages = []
    # Cut the file at each FROM and parse each piece as a one-stage Dockerfile.
    pieces = re.split(r"(?m)^(?=FROM )", text)
    with tempfile.TemporaryDirectory() as tmp:
        for piece in pieces:
            if not piece.lstrip().startswith("FROM"):
                continue
            one = os.path.join(tmp, "Dockerfile")
            with open(one, "w") as f:
                f.write(piece)
            stages.append(dockerfile_final_stage(one))
    return stages


def dependency_closure(packages):
    out = subprocess.run(
        ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
         "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"] + packages,
        check=True, capture_output=True, text=True).stdout
    closure = set(packages)
    for line in out.splitlines():
        line = line.strip()
        if not line:
            continue
        if ":" in line and line.split(":", 1)[0] in ("Depends", "PreDepends"):
            line = line.split(":", 1)[1].strip()
        closure.add(line.strip("<>").split(":")[0])
    return closure


def owners(path):
    """The packages that ship `path` (after symlinks; a folder may have several), or none."""
    for candidate in (path, os.path.realpath(path)):
        done = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if done.returncode == 0:
            names = set()
            for line in done.stdout.splitlines():
                names.update(p.strip().split(":")[0] for p in line.split(": ", 1)[0].split(","))
            return names
    return set()


class BuildPackagesTest(unittest.TestCase):

    def test_dockerfile_stages_use_the_lists(self):
        stages = dockerfile_stages()
        self.assertEqual(len(stages), 2)
        build, final = stages
        build_text = " ".join(arg for _, arg in build)
        final_text = " ".join(arg for _, arg in final)
        self.assertNotIn("install-deps.sh", build_text)
        self.assertIn("deploy/image/build-packages", build_text)
        self.assertIn("apt-get install", build_text)
        self.assertIn("deploy/image/runtime-packages", final_text)
        self.assertNotIn("build-packages", final_text)
        self.assertNotIn("install-deps.sh", final_text)
        # The packages go in before the sources are copied (a cached layer).
        keywords = [(kw, arg) for kw, arg in build]
        install = next(i for i, (kw, arg) in enumerate(keywords)
                       if kw == "RUN" and "apt-get install" in arg)
        sources = next(i for i, (kw, arg) in enumerate(keywords)
                       if kw == "COPY" and arg.split()[0] == ".")
        self.assertLess(install, sources)

    def test_the_build_list_covers_what_cmake_finds(self):
        closure = dependency_closure(package_list("build-packages"))
        with tempfile.TemporaryDirectory() as build:
            env = dict(os.environ)
            env.pop("CC", None)
            env.pop("CXX", None)
            subprocess.run(["cmake", "-G", "Ninja", "-S", ROOT, "-B", build,
                            "-DCMAKE_BUILD_TYPE=Release", "-DGPOP_TESTS=OFF",
                            "-DCMAKE_CXX_COMPILER=g++"],
                           check=True, capture_output=True, env=env)
            with open(os.path.join(build, "CMakeCache.txt")) as f:
                cache = f.read()
        found = {}
        for name, kind, value in re.findall(r"(?m)^([^#/\n][^:\n]*):(FILEPATH|PATH)=(/usr/\S+)$",
                                            cache):
            if name not in OPTIONAL and not name.startswith("CMAKE_INSTALL"):
                found[name] = value
        self.assertGreater(len(found), 10, "CMake found too little: " + repr(found))
        for key in ("gRPC_DIR", "Protobuf_PROTOC_EXECUTABLE", "prometheus-cpp_DIR",
                    "SQLite3_INCLUDE_DIR", "pugixml_DIR", "GRPC_CPP_PLUGIN"):
            self.assertIn(key, found)
        missing = {}
        for name, path in sorted(found.items()):
            packages = owners(path)
            if packages and not packages & closure:
                missing[name] = "%s (%s)" % (path, ", ".join(sorted(packages)))
        self.assertEqual(missing, {}, "found outside deploy/image/build-packages and its "
                         "dependencies")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
