#!/usr/bin/python3
"""Offline checks of deploy/kubernetes.yaml (no cluster, no kubeconform in Debian): it parses
as YAML, each object has the fields of its kind that matter and no unknown ones where a typo
would be silently ignored by kubectl apply's client side, and the objects agree with each other,
with the image (user, volume, entrypoint) and with gpopd's flags:
  - native gRPC probes: liveness service "", readiness "gpop.v1.GroupPolicyOperations", on a
    numeric port that is a container port and the one --health_listen binds;
  - the state directory /var/lib/gpop and /sysvol on PersistentVolumeClaims of this manifest;
  - TLS and token flags read files of the mounted Secret, and the Secret has those keys;
  - terminationGracePeriodSeconds = --shutdown_grace + --shutdown_deadline + 10 s;
  - Prometheus scrapes --metrics_listen: a non-loopback address whose port is the "metrics"
    container port, the prometheus.io/port annotation and a port of the Service;
  - every flag is one gpopd --helpfull lists (or one of the PENDING flags, none now).

Usage: kubernetes_manifest_test.py REPO_ROOT GPOPD
"""

import os
import re
import subprocess
import sys
import unittest

import yaml

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "..", ".."))
GPOPD = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "build", "release", "service",
                                                           "gpopd")
# Flags the manifest uses before gpopd has them (none now). Remove each one here as
# it lands; the test then checks it against gpopd --helpfull like every other flag.
PENDING = set()
READINESS = "gpop.v1.GroupPolicyOperations"
GRACE_MARGIN_SECONDS = 10

KINDS = {("v1", "Secret"), ("v1", "PersistentVolumeClaim"), ("apps/v1", "Deployment"),
         ("v1", "Service")}
# Known fields of the objects kubectl would otherwise accept with a typo (client-side apply
# drops unknown fields with only a warning on older clusters).
FIELDS = {
    "container": {"name", "image", "imagePullPolicy", "args", "command", "ports", "env",
                  "readinessProbe", "livenessProbe", "startupProbe", "resources",
                  "securityContext", "volumeMounts"},
    "probe": {"grpc", "initialDelaySeconds", "periodSeconds", "timeoutSeconds",
              "failureThreshold", "successThreshold", "terminationGracePeriodSeconds"},
    "grpc": {"port", "service"},
    "podSpec": {"terminationGracePeriodSeconds", "securityContext", "containers", "volumes",
                "serviceAccountName", "nodeSelector", "affinity", "tolerations"},
    "podSecurityContext": {"runAsNonRoot", "runAsUser", "runAsGroup", "fsGroup",
                           "seccompProfile", "fsGroupChangePolicy"},
    "securityContext": {"allowPrivilegeEscalation", "readOnlyRootFilesystem", "capabilities",
                        "runAsNonRoot", "runAsUser", "runAsGroup", "privileged"},
    "volumeMount": {"name", "mountPath", "readOnly", "subPath"},
    "port": {"name", "containerPort", "protocol"},
}
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def duration_seconds(text):
    """An absl duration flag value made of h/m/s parts ("60s", "1m30s") in seconds."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|m|s)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError("unsupported duration: " + text)
    return sum(float(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts)


def gpopd_flags():
    out = subprocess.run([GPOPD, "--helpfull"], capture_output=True, text=True).stdout
    return set(re.findall(r"^\s+--([a-z_0-9]+) ", out, re.M))


class ManifestTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        with open(os.path.join(ROOT, "deploy", "kubernetes.yaml")) as f:
            cls.docs = [d for d in yaml.safe_load_all(f) if d is not None]
        cls.by_kind = {}
        for doc in cls.docs:
            cls.by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
        (cls.deployment,) = cls.by_kind["Deployment"].values()
        cls.pod = cls.deployment["spec"]["template"]["spec"]
        (cls.container,) = cls.pod["containers"]
        cls.args = cls.container["args"]
        with open(os.path.join(ROOT, "deploy", "image", "setup-rootfs.sh")) as f:
            setup = f.read()
        cls.uid = int(re.search(r"useradd .*--uid (\d+)", setup).group(1))
        cls.gid = int(re.search(r"groupadd .*--gid (\d+)", setup).group(1))

    def flag(self, name):
        values = [a.split("=", 1)[1] for a in self.args if a.startswith("--%s=" % name)]
        self.assertEqual(len(values), 1, "one --%s=... expected in args" % name)
        return values[0]

    def assertKnownFields(self, kind, obj):
        unknown = set(obj) - FIELDS[kind]
        self.assertFalse(unknown, "%s: unknown fields %s" % (kind, sorted(unknown)))

    def test_objects_and_fields(self):
        for doc in self.docs:
            self.assertIn((doc["apiVersion"], doc["kind"]), KINDS)
            self.assertRegex(doc["metadata"]["name"], DNS_LABEL)
        self.assertKnownFields("podSpec", self.pod)
        self.assertKnownFields("podSecurityContext", self.pod["securityContext"])
        self.assertKnownFields("container", self.container)
        self.assertKnownFields("securityContext", self.container["securityContext"])
        for port in self.container["ports"]:
            self.assertKnownFields("port", port)
            self.assertIsInstance(port["containerPort"], int)
        for mount in self.container["volumeMounts"]:
            self.assertKnownFields("volumeMount", mount)

    def test_selectors_and_service(self):
        spec = self.deployment["spec"]
        labels = spec["template"]["metadata"]["labels"]
        self.assertEqual(spec["selector"]["matchLabels"], labels)
        self.assertEqual(spec["replicas"], 1, "the SQLite store allows one replica")
        self.assertEqual(spec["strategy"]["type"], "Recreate", "ReadWriteOnce state volume")
        port_names = {p["name"] for p in self.container["ports"]}
        for service in self.by_kind["Service"].values():
            for key, value in service["spec"]["selector"].items():
                self.assertEqual(labels.get(key), value)
            for port in service["spec"]["ports"]:
                self.assertIn(port["targetPort"], port_names)

    def test_non_root_as_the_image(self):
        security = self.pod["securityContext"]
        self.assertIs(security["runAsNonRoot"], True)
        self.assertEqual((security["runAsUser"], security["runAsGroup"], security["fsGroup"]),
                         (self.uid, self.gid, self.gid))
        container = self.container["securityContext"]
        self.assertIs(container["allowPrivilegeEscalation"], False)
        self.assertEqual(container["capabilities"]["drop"], ["ALL"])

    def test_grpc_probes_on_the_health_listener(self):
        health_port = int(self.flag("health_listen").rsplit(":", 1)[1])
        container_ports = {p["containerPort"] for p in self.container["ports"]}
        expected = {"livenessProbe": "", "readinessProbe": READINESS}
        for probe_name, service in expected.items():
            probe = self.container[probe_name]
            self.assertKnownFields("probe", probe)
            self.assertKnownFields("grpc", probe["grpc"])
            port = probe["grpc"]["port"]
            self.assertIsInstance(port, int, "gRPC probe ports must be numbers")
            self.assertEqual(port, health_port, probe_name)
            self.assertIn(port, container_ports, probe_name)
            self.assertEqual(probe["grpc"].get("service", ""), service, probe_name)

    def test_volumes(self):
        volumes = {v["name"]: v for v in self.pod["volumes"]}
        mounts = {m["mountPath"]: m["name"] for m in self.container["volumeMounts"]}
        for name in mounts.values():
            self.assertIn(name, volumes)
        for path in ("/var/lib/gpop", "/sysvol"):
            claim = volumes[mounts[path]]["persistentVolumeClaim"]["claimName"]
            self.assertIn(claim, self.by_kind["PersistentVolumeClaim"], path)
            pvc = self.by_kind["PersistentVolumeClaim"][claim]
            self.assertEqual(pvc["spec"]["accessModes"], ["ReadWriteOnce"])
            self.assertIn("storage", pvc["spec"]["resources"]["requests"])
        if self.container["securityContext"].get("readOnlyRootFilesystem"):
            self.assertIn("/tmp", mounts, "a read-only root needs a writable /tmp")

    def test_secret_holds_the_tls_and_token_files(self):
        volumes = {v["name"]: v for v in self.pod["volumes"]}
        for flag in ("tls_cert", "tls_key", "tls_client_ca", "tokens_file"):
            path = self.flag(flag)
            mount = [m for m in self.container["volumeMounts"]
                     if os.path.dirname(path) == m["mountPath"]]
            self.assertEqual(len(mount), 1, "--%s=%s is not in a mounted volume" % (flag, path))
            self.assertIs(mount[0].get("readOnly"), True)
            secret_name = volumes[mount[0]["name"]]["secret"]["secretName"]
            self.assertIn(secret_name, self.by_kind["Secret"])
            secret = self.by_kind["Secret"][secret_name]
            keys = set(secret.get("stringData", {})) | set(secret.get("data", {}))
            self.assertIn(os.path.basename(path), keys, "--%s" % flag)
        for volume in volumes.values():
            if "secret" in volume:
                self.assertEqual(volume["secret"]["defaultMode"] & 0o007, 0,
                                 "secret files must not be world-readable")

    def test_prometheus_scrapes_the_metrics_listener(self):
        host, port = self.flag("metrics_listen").rsplit(":", 1)
        self.assertNotIn(host, ("127.0.0.1", "localhost", "[::1]"),
                         "a loopback --metrics_listen cannot be scraped from another pod")
        ports = {p["name"]: p["containerPort"] for p in self.container["ports"]}
        self.assertEqual(ports.get("metrics"), int(port))
        annotations = self.deployment["spec"]["template"]["metadata"]["annotations"]
        self.assertEqual(annotations["prometheus.io/scrape"], "true")
        self.assertEqual(annotations["prometheus.io/port"], port)
        self.assertEqual(annotations["prometheus.io/path"], "/metrics")
        (service,) = self.by_kind["Service"].values()
        self.assertIn("metrics", {p["targetPort"] for p in service["spec"]["ports"]})

    def test_termination_grace_matches_shutdown_grace(self):
        grace = duration_seconds(self.flag("shutdown_grace"))
        deadline = duration_seconds(self.flag("shutdown_deadline"))
        self.assertEqual(self.pod["terminationGracePeriodSeconds"],
                         grace + deadline + GRACE_MARGIN_SECONDS)

    def test_flags_are_gpopd_flags(self):
        known = gpopd_flags()
        self.assertIn("shutdown_grace", known, "could not read %s --helpfull" % GPOPD)
        for arg in self.args:
            self.assertTrue(arg.startswith("--"), arg)
            name = arg[2:].split("=", 1)[0]
            if name.startswith("no") and name[2:] in known and "=" not in arg:
                name = name[2:]  # --noinsecure
            self.assertTrue(name in known or name in PENDING, "gpopd has no flag --" + name)
        landed = PENDING & known
        if landed:
            print("note: pending flags now in gpopd, remove them from PENDING:", sorted(landed))


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
