#!/usr/bin/env python3
"""Runs the gpop load suite: every scenario against gpopd and the raw gRPC baseline.

Each measurement starts its own server process (gpopd or bench_raw_server); gpop and the
baseline alternate within each of --runs runs; figures are medians over the runs with their
spread (min-max). Writes RESULTS.md and results.json (machine description, medians, spread,
ratios) to --out-dir, keeping whatever RESULTS.md holds below the profiles marker.

  tests/bench/run_bench.py --build-dir build/release            # the full suite (~25 min)
  tests/bench/run_bench.py --quick --build-dir build/asan --out-dir /tmp/q   # seconds

Exit status: 0, or 1 when a scenario lost work (bench_load failed) or a server did not start.
There are no time thresholds.
"""

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
MARKER = "<!-- profiles: everything below this line is kept by run_bench.py -->"

FULL = {
    "runs": 3,
    "start_concurrency": [1, 8, 64],
    "start_ops": 4000,
    "retained": [1000, 10000, 100000],
    "retained_window": 2000,
    "progress_watchers": [0, 1000, 5000],
    "progress_rates": [(100, 10, 300), (1000, 1, 1000)],  # asked rate, step_ms, steps
    "cancel_iterations": 200,
    "rtt_iterations": 2000,
    "idle_watchers": [1000, 5000],
    "backup_stores": [("payload-heavy", 200, 20, 480), ("registry-heavy", 200, 219, 0)],
    "history": [1000, 10000, 100000],
    "history_ops": 300,
    "history_report_bytes": 4096,
    "retained_calls": 200,
}
QUICK = {
    "runs": 1,
    "start_concurrency": [1, 8],
    "start_ops": 200,
    "retained": [100, 300],
    "retained_window": 100,
    "progress_watchers": [0, 50],
    "progress_rates": [(100, 10, 30)],
    "cancel_iterations": 10,
    "rtt_iterations": 100,
    "idle_watchers": [50],
    "backup_stores": [("payload-heavy", 4, 1, 4), ("registry-heavy", 4, 2, 0)],
    "history": [100, 300],
    "history_ops": 20,
    "history_report_bytes": 4096,
    "retained_calls": 20,
}


class Failure(Exception):
    pass


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


class Server:
    """One server process (gpopd or bench_raw_server) on a free loopback port."""

    def __init__(self, argv, workdir, name):
        os.makedirs(workdir, exist_ok=True)
        self.port_file = os.path.join(workdir, name + ".port")
        if os.path.exists(self.port_file):
            os.remove(self.port_file)
        self.log_path = os.path.join(workdir, name + ".log")
        self.log = open(self.log_path, "wb")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            argv + ["--listen=127.0.0.1:0", "--port_file=" + self.port_file],
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 600
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise Failure("%s did not start (see %s)" % (name, self.log_path))
            time.sleep(0.005)
        # From exec to listening: recovery, the audit log's start, the server's.
        self.startup_seconds = time.monotonic() - t0
        with open(self.port_file) as f:
            self.port = int(f.read().strip())

    @property
    def target(self):
        return "127.0.0.1:%d" % self.port

    def stop(self):
        """Stops the server with SIGTERM; a server that does not exit 0 (a crash, a sanitizer
        report) fails the run."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if self.proc.returncode != 0:
            with open(self.log_path, errors="replace") as f:
                log(f.read()[-4000:])
            raise Failure("server exited with %d (see %s)" % (self.proc.returncode, self.log_path))


class Suite:
    def __init__(self, args, cfg):
        self.args = args
        self.cfg = cfg
        bd = os.path.abspath(args.build_dir)
        self.gpopd = os.path.join(bd, "service", "gpopd")
        self.raw = os.path.join(bd, "tests", "bench", "bench_raw_server")
        self.load = os.path.join(bd, "tests", "bench", "bench_load")
        self.demo_store = os.path.join(bd, "service", "backends", "sysvol", "gpop-demo-store")
        for path in (self.gpopd, self.raw, self.load):
            if not os.access(path, os.X_OK):
                raise Failure("missing %s: build gpopd bench_load bench_raw_server" % path)
        self.work = tempfile.mkdtemp(prefix="gpop-load-")
        self.auth_flags = self.write_principals(4)
        self.samples = {}  # key -> list of values, one per run
        self.rows = []     # every JSON line measured, with its run number

    def write_principals(self, count):
        """Tokens and grants for bench_load's principals (load_support.cc's PrincipalToken:
        "bench-principal-I" is both the token and the principal's name), each an admin, so that
        every one may watch an operation another started. Without them gpopd maps every token
        to one principal ("local"), and its per-principal stream limit (5,000) is shared."""
        tokens = os.path.join(self.work, "tokens")
        policy = os.path.join(self.work, "policy")
        with open(tokens, "w") as t, open(policy, "w") as g:
            for i in range(count):
                name = "bench-principal-%d" % i
                digest = hashlib.sha256(name.encode()).hexdigest()
                t.write("%s sha256:%s never\n" % (name, digest))
                g.write("grant %s admin\n" % name)
        return ["--tokens_file=" + tokens, "--auth_policy=" + policy]

    def add(self, key, value):
        self.samples.setdefault(key, []).append(value)

    def start_gpopd(self, extra=None, state=None):
        state = state or tempfile.mkdtemp(dir=self.work, prefix="state-")
        argv = [self.gpopd, "--executor_threads=4", "--state_dir=" + state]
        argv += extra or ["--backend=synthetic"]
        return Server(argv, self.work, "gpopd")

    def start_raw(self):
        return Server([self.raw], self.work, "raw")

    def drive(self, server, scenario, options, run, raw=False):
        argv = [self.load, scenario, "--target=" + server.target,
                "--server_pid=%d" % server.proc.pid] + options
        if raw:
            argv.append("--raw")
        out = subprocess.run(argv, stdout=subprocess.PIPE, text=True,
                             timeout=self.args.time_limit + 600)
        lines = [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]
        for line in lines:
            line["run"] = run
            self.rows.append(line)
            log("  " + json.dumps(line))
        if out.returncode != 0:
            raise Failure("bench_load %s failed (exit %d)" % (" ".join(argv[1:]), out.returncode))
        return lines

    def with_server(self, raw, fn, extra=None):
        server = self.start_raw() if raw else self.start_gpopd(extra)
        try:
            return fn(server)
        finally:
            server.stop()

    # Scenarios: each measures raw then gpop (or gpop then raw on odd runs) per run.
    def order(self, run):
        return [True, False] if run % 2 == 0 else [False, True]

    def start(self, run):
        """StartOperation against the raw Echo, with gpopd's memory store and with its default
        SQLite store (issue #13 item 3: >= 0.8x and >= 0.5x of the echo; issue #7: SQLite >=
        0.5x of memory), the three rotated within each run."""
        servers = ["raw", "memory", "sqlite"]
        for c in self.cfg["start_concurrency"]:
            for i in range(len(servers)):
                who = servers[(i + run) % len(servers)]
                opts = ["--concurrency=%d" % c, "--ops=%d" % self.cfg["start_ops"], "--seconds=60"]
                extra = ["--backend=synthetic"] + (["--operation_store=memory"]
                                                   if who == "memory" else [])
                line = self.with_server(who == "raw",
                                        lambda s: self.drive(s, "start", opts, run, who == "raw"),
                                        extra)[0]
                line["store"] = who
                self.add(("start_qps", c, who), line["qps"])
                self.add(("start_p99_us", c, who), line["p99_us"])
                self.add(("start_errors", c, who), line["errors"])

    STORES = ("memory", "sqlite")
    CALLS = ("start", "cancel", "get", "event")

    def store_flags(self, store):
        return ["--operation_store=memory"] if store == "memory" else []

    def add_calls(self, prefix, n, store, line, calls):
        for call in calls:
            for p_ in ("p50", "p99"):
                self.add(("%s_%s_%s_us" % (prefix, call, p_), n, store),
                         line["%s_%s_us" % (call, p_)])

    def retained(self, run):
        """Start after N started (gpopd's default cap of 10,000 retained), per store: the fill,
        RSS, per-call latencies at concurrency 1 and a Start window at concurrency 8."""
        opts = ["--concurrency=8", "--ops=%d" % self.cfg["retained_window"],
                "--calls=%d" % self.cfg["retained_calls"],
                "--fill_concurrency=%d" % self.args.fill_concurrency,
                "--seconds=%d" % self.args.time_limit, "--principals=4",
                "--checkpoints=" + ",".join(str(n) for n in self.cfg["retained"])]
        for i in range(len(self.STORES)):
            store = self.STORES[(i + run) % len(self.STORES)]
            extra = ["--backend=synthetic"] + self.auth_flags + self.store_flags(store)
            for line in self.with_server(False, lambda s: self.drive(s, "retained", opts, run),
                                         extra):
                line["store"] = store
                n = min(self.cfg["retained"], key=lambda c: abs(c - line["started_before"]))
                self.add(("retained_qps", n, store), line["qps"])
                self.add(("retained_errors", n, store), line["errors"])
                self.add(("retained_rss_mib", n, store), line["rss_kib"] / 1024.0)
                self.add(("retained_fill_s", n, store), line["fill_seconds"])
                self.add_calls("retained", n, store, line, self.CALLS)

    def progress(self, run):
        """gpop's progress rate by watchers, and at the most watchers the delivery latency
        against the raw broadcast of every change to as many streams (alternated)."""
        top = max(self.cfg["progress_watchers"])
        for rate, step_ms, steps in self.cfg["progress_rates"]:
            for w in self.cfg["progress_watchers"]:
                opts = ["--watchers=%d" % w, "--steps=%d" % steps, "--step_ms=%d" % step_ms,
                        "--channels=4", "--principals=4"]
                for raw in (self.order(run) if w == top and w > 0 else [False]):
                    line = self.with_server(
                        raw, lambda s: self.drive(s, "progress", opts, run, raw),
                        ["--backend=synthetic"] + self.auth_flags)[0]
                    who = "raw" if raw else "gpop"
                    if w > 0:
                        self.add(("delivery_p50_us", rate, w, who), line["delivery_p50_us"])
                        self.add(("delivery_p99_us", rate, w, who), line["delivery_p99_us"])
                        self.add(("delivery_items", rate, w, who),
                                 line["progress_items_per_watcher"])
                    if raw:
                        self.add(("broadcast_rate", rate, w), line["rate"])
                        self.add(("broadcast_drain_s", rate, w), line["drain_seconds"])
                        continue
                    self.add(("progress_rate", rate, w), line["rate"])
                    self.add(("progress_items", rate, w), line["progress_items_per_watcher"])

    def cancel(self, run):
        for raw in self.order(run):
            if raw:
                opts = ["--iterations=%d" % self.cfg["rtt_iterations"]]
            else:
                opts = ["--iterations=%d" % self.cfg["cancel_iterations"]]
            line = self.with_server(raw, lambda s: self.drive(s, "cancel", opts, run, raw),
                                    ["--backend=synthetic"] + self.auth_flags)[0]
            who = "raw" if raw else "gpop"
            self.add(("cancel_p50_us", who), line["p50_us"])
            self.add(("cancel_p99_us", who), line["p99_us"])

    def idle(self, run):
        for w in self.cfg["idle_watchers"]:
            for raw in self.order(run):
                opts = ["--watchers=%d" % w, "--channels=4", "--principals=4"]
                line = self.with_server(raw, lambda s: self.drive(s, "idle", opts, run, raw),
                                        ["--backend=synthetic"] + self.auth_flags)[0]
                self.add(("idle_kib", w, "raw" if raw else "gpop"), line["kib_per_watcher"])

    def make_store(self, name, gpos, registry_mb, payload_mb):
        root = os.path.join(self.work, "store-" + name)
        if os.path.isdir(root):
            return root
        sysvol = os.path.join(root, "bench.test")
        subprocess.run([self.demo_store, "--gpos", str(gpos), "--megabytes", str(registry_mb),
                        sysvol], check=True, stdout=subprocess.DEVNULL)
        if payload_mb:
            # Payload: a startup script folder with one opaque file per GPO.
            per_gpo = payload_mb * 1024 * 1024 // gpos
            block = os.urandom(per_gpo)
            policies = os.path.join(sysvol, "Policies")
            for guid in sorted(os.listdir(policies)):
                folder = os.path.join(policies, guid, "Machine", "Scripts", "Startup")
                os.makedirs(folder, exist_ok=True)
                with open(os.path.join(folder, "payload.bin"), "wb") as f:
                    f.write(guid.encode() + block[len(guid):])
        subprocess.run(["sync"], check=True)
        return root

    def tree_mb(self, path):
        total = 0
        for d, _, files in os.walk(path):
            for f in files:
                total += os.lstat(os.path.join(d, f)).st_size
        return total / 1e6

    def backup(self, run):
        if not os.access(self.demo_store, os.X_OK):
            log("  backup: no gpop-demo-store, skipped")
            return
        for name, gpos, registry_mb, payload_mb in self.cfg["backup_stores"]:
            root = self.make_store(name, gpos, registry_mb, payload_mb)
            sysvol = os.path.join(root, "bench.test")
            self.add(("backup_store_mb", name), self.tree_mb(os.path.join(sysvol, "Policies")))
            for raw in self.order(run):
                copy = os.path.join(root, "copy")
                backups = os.path.join(root, "backups")
                for d in (copy, backups):
                    shutil.rmtree(d, ignore_errors=True)
                subprocess.run(["sync"], check=True)
                if raw:
                    t0 = time.monotonic()
                    subprocess.run(["cp", "-a", os.path.join(sysvol, "Policies"), copy], check=True)
                    subprocess.run(["sync"], check=True)
                    secs = time.monotonic() - t0
                    log("  cp -a + sync %s: %.3f s" % (name, secs))
                    self.rows.append({"scenario": "backup", "server": "cp", "store": name,
                                      "seconds": secs, "run": run})
                    self.add(("backup_s", name, "cp"), secs)
                else:
                    os.makedirs(backups)
                    extra = ["--backend=sysvol", "--sysvol=" + sysvol, "--domain=bench.test",
                             "--backup_locations=default=" + backups,
                             "--detect_running_dc=false"]
                    line = self.with_server(
                        False, lambda s: self.drive(s, "backup", ["--concurrency=8"], run),
                        extra)[0]
                    line["store"] = name
                    self.add(("backup_s", name, "gpop"), line["seconds"])
                shutil.rmtree(copy, ignore_errors=True)
                shutil.rmtree(backups, ignore_errors=True)

    HISTORY_CALLS = ("start", "cancel", "get", "event", "list", "replay")

    def history(self, run):
        """RSS and per-call latency with N operations retained (gpopd keeps them all), per
        store. The SQLite gpopd is restarted on its state after each checkpoint: its start-up
        time with N retained."""
        base = ["--ops=%d" % self.cfg["history_ops"],
                "--report_bytes=%d" % self.cfg["history_report_bytes"],
                "--fill_concurrency=%d" % self.args.fill_concurrency,
                "--seconds=%d" % self.args.time_limit, "--principals=4"]
        keep = max(self.cfg["history"]) + len(self.cfg["history"]) * self.cfg["history_ops"] + 1
        extra = ["--backend=synthetic", "--retained_operations=%d" % keep,
                 "--max_queued_per_principal=1000"] + self.auth_flags

        def record(line, store):
            line["store"] = store
            n = min(self.cfg["history"], key=lambda c: abs(c - line["retained"]))
            self.add(("history_rss_mib", n, store), line["rss_kib"] / 1024.0)
            self.add(("history_fill_s", n, store), line["fill_seconds"])
            self.add_calls("history", n, store, line, self.HISTORY_CALLS)
            return n

        for i in range(len(self.STORES)):
            store = self.STORES[(i + run) % len(self.STORES)]
            if store == "memory":
                opts = base + ["--checkpoints=" + ",".join(str(n) for n in self.cfg["history"])]
                for line in self.with_server(False, lambda s: self.drive(s, "history", opts, run),
                                             extra + self.store_flags(store)):
                    record(line, store)
                continue
            state = tempfile.mkdtemp(dir=self.work, prefix="state-")
            ids_file = os.path.join(state, "bench-ids")
            server = self.start_gpopd(extra, state)
            for n in self.cfg["history"]:
                try:
                    opts = base + ["--checkpoints=%d" % n, "--ids_file=" + ids_file]
                    for line in self.drive(server, "history", opts, run):
                        record(line, store)
                finally:
                    server.stop()
                # Start-up with n retained, then the next fill from there.
                server = self.start_gpopd(extra, state)
                log("  gpopd start-up with %d retained: %.3f s" % (n, server.startup_seconds))
                self.rows.append({"scenario": "startup", "server": "gpop", "store": store,
                                  "retained": n, "seconds": server.startup_seconds, "run": run})
                self.add(("history_startup_s", n, store), server.startup_seconds)
            server.stop()
            if not self.args.keep:  # --keep: the state stays for profiles of its start-up
                shutil.rmtree(state, ignore_errors=True)

    def run(self):
        scenarios = ["start", "retained", "progress", "cancel", "idle", "backup",
                     "history"]
        if self.args.only:
            only = set(self.args.only.split(","))
            if "store" in only:  # the store comparison is part of the start scenario
                only.add("start")
            scenarios = [s for s in scenarios if s in only]
        for run in range(self.cfg["runs"]):
            for name in scenarios:
                log("run %d/%d: %s" % (run + 1, self.cfg["runs"], name))
                getattr(self, name)(run)

    def close(self):
        shutil.rmtree(self.work, ignore_errors=True)


def merge_previous(suite, out_dir, mach):
    """With --only, keeps the previous results.json's figures of the scenarios not re-run."""
    path = os.path.join(out_dir, "results.json")
    if not os.path.exists(path):
        return
    with open(path) as f:
        old = json.load(f)
    measured = set(row["scenario"] for row in suite.rows)
    if "rtt" in measured or "cancel" in measured:
        measured |= {"rtt", "cancel"}
    kept_keys = 0
    for entry in old.get("results", []):
        key = tuple(entry["key"])
        if key not in suite.samples:
            suite.samples[key] = entry["values"]
            kept_keys += 1
    suite.rows = [r for r in old.get("measurements", []) if r["scenario"] not in measured] + suite.rows
    if kept_keys:
        mach["merged_from"] = old.get("machine", {}).get("date_utc", "")


def machine():
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    commit = subprocess.run(["git", "-C", SOURCE, "rev-parse", "--short", "HEAD"],
                            stdout=subprocess.PIPE, text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "cpu_model": cpu, "memory_gib": round(mem_kib / 2**20, 1),
            "kernel": platform.release(), "loadavg_start": os.getloadavg()[0],
            "commit": commit, "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values)}


def fmt(x, digits=0):
    if x is None:
        return "–"
    if abs(x) >= 100 or digits == 0:
        return "{:,.0f}".format(x)
    return "{:.{}f}".format(x, digits)


def cell(stats, key, digits=0):
    s = stats.get(key)
    if not s:
        return "–"
    if s["n"] == 1:
        return fmt(s["median"], digits)
    return "%s (%s–%s)" % (fmt(s["median"], digits), fmt(s["min"], digits), fmt(s["max"], digits))


def ratio(stats, a, b):
    if a not in stats or b not in stats or not stats[b]["median"]:
        return None
    return stats[a]["median"] / stats[b]["median"]


def rfmt(r):
    return "–" if r is None else "%.2fx" % r


def calls_table(stats, prefix, ns, calls, label, extras):
    """A table with a column per (checkpoint, store) and a growth column per store: the extra
    rows (name, key, digits), then each call's p50 / p99."""
    stores = Suite.STORES
    cols = [(n, st) for st in stores for n in ns]
    out = ["| %s | " % label + " | ".join("%s %s" % (fmt(n), st) for n, st in cols) + " | " +
           " | ".join("growth %s" % st for st in stores) + " |",
           "|---|" + "---|" * (len(cols) + len(stores))]
    first, last = ns[0], ns[-1]
    for name, key, digits in extras:
        out.append("| %s | " % name + " | ".join(cell(stats, (key, n, st), digits)
                                                 for n, st in cols) + " | " +
                   " | ".join(rfmt(ratio(stats, (key, last, st), (key, first, st)))
                              for st in stores) + " |")
    for call in calls:
        k50, k99 = "%s_%s_p50_us" % (prefix, call), "%s_%s_p99_us" % (prefix, call)
        out.append("| %s p50 / p99 µs | " % call + " | ".join(
            "%s / %s" % (cell(stats, (k50, n, st)), cell(stats, (k99, n, st))) for n, st in cols) +
            " | " + " | ".join(rfmt(ratio(stats, (k50, last, st), (k50, first, st)))
                               for st in stores) + " |")
    return "\n".join(out)


def render(cfg, mach, stats, quick):
    out = []
    w = out.append
    w("# gpop load benchmarks: results\n")
    w("Written by `tests/bench/run_bench.py%s` (see tests/bench/README.md). Every figure is the "
      "median of %d run%s with the spread (min–max) in brackets; gpop and the baseline ran in "
      "separate processes, alternated within each run. Ratios are gpop / baseline medians.\n"
      % (" --quick" if quick else "", cfg["runs"], "" if cfg["runs"] == 1 else "s"))
    w("Machine: %(nproc)d vCPU, %(cpu_model)s, %(memory_gib)s GiB, Linux %(kernel)s; load "
      "average %(loadavg_start).2f at the start, %(loadavg_end).2f at the end; gpop commit "
      "%(commit)s, %(date_utc)s." % mach)
    if mach.get("merged_from"):
        w("Scenarios not named by `--only` keep the figures of the run of %s (a figure without "
          "a spread in brackets comes from a single run).\n" % mach["merged_from"])
    w("**The machine was shared with other engineers' builds and tests while this ran: "
      "absolute figures are noisy and low, ratios measured in the same run are the figures to "
      "read.**\n")
    w("## StartOperation, fresh server (%d calls each), against the raw Echo\n"
      % cfg["start_ops"])
    w("gpopd with `--operation_store=memory` (its audit log in memory) and with the default "
      "SQLite store (its audit log in the same file, inside the group commit). Targets (issue "
      "#13 item 3): memory >= 0.8x, SQLite >= 0.5x of the echo.\n")
    w("| concurrency | raw echo QPS | memory QPS | ratio | SQLite QPS | ratio | raw p99 µs | "
      "memory p99 µs | SQLite p99 µs | errors memory / SQLite |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for c in cfg["start_concurrency"]:
        w("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |" % (
            c, cell(stats, ("start_qps", c, "raw")), cell(stats, ("start_qps", c, "memory")),
            rfmt(ratio(stats, ("start_qps", c, "memory"), ("start_qps", c, "raw"))),
            cell(stats, ("start_qps", c, "sqlite")),
            rfmt(ratio(stats, ("start_qps", c, "sqlite"), ("start_qps", c, "raw"))),
            cell(stats, ("start_p99_us", c, "raw")), cell(stats, ("start_p99_us", c, "memory")),
            cell(stats, ("start_p99_us", c, "sqlite")),
            cell(stats, ("start_errors", c, "memory")), cell(stats, ("start_errors", c, "sqlite"))))
    w("\n## StartOperation, fresh server: the SQLite store against the memory store (the same "
      "runs; issue #7's target >= 0.5x)\n")
    w("| concurrency | memory QPS | SQLite QPS | ratio |")
    w("|---|---|---|---|")
    for c in cfg["start_concurrency"]:
        w("| %d | %s | %s | %s |" % (
            c, cell(stats, ("start_qps", c, "memory")), cell(stats, ("start_qps", c, "sqlite")),
            rfmt(ratio(stats, ("start_qps", c, "sqlite"), ("start_qps", c, "memory")))))
    w("\n## StartOperation after N operations were started (gpopd's default cap: 10,000 "
      "retained)\n")
    w("Per store: the fill (synthetic 0 ms reports), gpopd's RSS, then %d rounds at concurrency "
      "1 of Start, Cancel (of a running operation), Get (of a retained one) and one event "
      "(a message event's or CANCELLED's time in gpopd to its arrival at a watcher), then a "
      "window of %d Starts (synthetic backups, one location) at concurrency 8. Growth = the "
      "last checkpoint's p50 over the first's.\n" % (cfg["retained_calls"],
                                                     cfg["retained_window"]))
    ns = sorted(set(k[1] for k in stats if k[0] == "retained_qps") | set(cfg["retained"]))
    w(calls_table(stats, "retained", ns, Suite.CALLS, "started before",
                  [("window QPS (c=8)", "retained_qps", 0), ("window errors", "retained_errors", 0),
                   ("gpopd RSS MiB", "retained_rss_mib", 1), ("fill s", "retained_fill_s", 1)]))
    w("\n## An operation's progress rate with watchers (4 channels, 4 bearer-token principals)\n")
    w("| asked changes/s | watchers | changes/s reached | ratio to 0 watchers | "
      "progress items per watcher |")
    w("|---|---|---|---|---|")
    for rate, _, steps in cfg["progress_rates"]:
        for n in cfg["progress_watchers"]:
            w("| %d (%d steps) | %s | %s | %s | %s |" % (
                rate, steps, fmt(n), cell(stats, ("progress_rate", rate, n), 1),
                rfmt(ratio(stats, ("progress_rate", rate, n), ("progress_rate", rate, 0))),
                cell(stats, ("progress_items", rate, n), 1) if n else "–"))
    top = max(cfg["progress_watchers"])
    w("\n## Progress delivery latency (arrival - Progress.observe_time, one host's clock) against "
      "a raw broadcast of every change to as many streams\n")
    w("gpop shows its streams the newest value, paced (`--stream_progress_per_second`); the raw "
      "server (`Broadcast`) writes every change to every stream, in order. Target (issue #13 "
      "item 4): gpop's p99 no worse than the raw broadcast's.\n")
    w("| asked changes/s | watchers | raw p50 / p99 ms | gpop p50 / p99 ms | p99 ratio | "
      "raw changes/s reached | raw drain after the last change s | items per stream raw / gpop |")
    w("|---|---|---|---|---|---|---|---|")

    def ms(key):
        s_ = stats.get(key)
        return cell({key: {k: (v / 1000.0 if k != "n" else v) for k, v in s_.items()}}, key, 1) \
            if s_ else "–"

    for rate, _, steps in cfg["progress_rates"]:
        for n in [x for x in cfg["progress_watchers"] if x > 0]:
            r = ratio(stats, ("delivery_p99_us", rate, n, "gpop"),
                      ("delivery_p99_us", rate, n, "raw"))
            w("| %d (%d steps) | %s | %s / %s | %s / %s | %s | %s | %s | %s / %s |" % (
                rate, steps, fmt(n),
                ms(("delivery_p50_us", rate, n, "raw")), ms(("delivery_p99_us", rate, n, "raw")),
                ms(("delivery_p50_us", rate, n, "gpop")), ms(("delivery_p99_us", rate, n, "gpop")),
                "–" if r is None or n != top else "%.3gx" % r,
                cell(stats, ("broadcast_rate", rate, n), 1),
                cell(stats, ("broadcast_drain_s", rate, n), 2),
                cell(stats, ("delivery_items", rate, n, "raw"), 1),
                cell(stats, ("delivery_items", rate, n, "gpop"), 1)))
    w("\n## Cancel -> CANCELLED seen by a watcher (%d cancels) against the raw unary round trip "
      "(%d calls)\n" % (cfg["cancel_iterations"], cfg["rtt_iterations"]))
    w("| | raw unary RTT µs | gpop cancel -> CANCELLED µs | ratio |")
    w("|---|---|---|---|")
    for p in ("p50", "p99"):
        k = "cancel_%s_us" % p
        w("| %s | %s | %s | %s |" % (p, cell(stats, (k, "raw")), cell(stats, (k, "gpop")),
                                     rfmt(ratio(stats, (k, "gpop"), (k, "raw")))))
    w("\n## Memory per idle watcher (server RSS growth / streams)\n")
    w("| streams | raw Push KiB | gpop StreamStatus KiB | ratio |")
    w("|---|---|---|---|")
    for n in cfg["idle_watchers"]:
        w("| %s | %s | %s | %s |" % (
            fmt(n), cell(stats, ("idle_kib", n, "raw"), 1), cell(stats, ("idle_kib", n, "gpop"), 1),
            rfmt(ratio(stats, ("idle_kib", n, "gpop"), ("idle_kib", n, "raw")))))
    w("\n## sysvol backup of every GPO (8 at a time) against `cp -a` + `sync` of the same tree\n")
    w("| store | GPOs | MB | `cp -a` + `sync` s | gpop backup s | ratio |")
    w("|---|---|---|---|---|---|")
    for name, gpos, _, _ in cfg["backup_stores"]:
        w("| %s | %d | %s | %s | %s | %s |" % (
            name, gpos, cell(stats, ("backup_store_mb", name), 1),
            cell(stats, ("backup_s", name, "cp"), 2), cell(stats, ("backup_s", name, "gpop"), 2),
            rfmt(ratio(stats, ("backup_s", name, "gpop"), ("backup_s", name, "cp")))))
    w("\n## History: gpopd's RSS and per-call latency by operations retained (synthetic "
      "reports of %s bytes, every operation kept, %d rounds of calls at concurrency 1; "
      "growth = the last checkpoint's figure over the first's)\n"
      % (fmt(cfg["history_report_bytes"]), cfg["history_ops"]))
    w("Start-up: the SQLite gpopd restarted on its state after each checkpoint, from exec to "
      "listening (recovery and the audit log's start included).\n")
    w(calls_table(stats, "history", cfg["history"], Suite.HISTORY_CALLS, "retained",
                  [("gpopd RSS MiB", "history_rss_mib", 1), ("fill s", "history_fill_s", 1),
                   ("start-up s", "history_startup_s", 2)]))
    w("")
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--build-dir", default=os.path.join(SOURCE, "build", "release"))
    p.add_argument("--out-dir", default=HERE)
    p.add_argument("--quick", action="store_true", help="seconds: one small run of everything")
    p.add_argument("--runs", type=int, help="runs to take the median of (default 3; quick 1)")
    p.add_argument("--retained", help="checkpoints, e.g. 1000,10000,100000")
    p.add_argument("--history", help="retained operations of the history scenario, "
                   "e.g. 1000,10000,100000")
    p.add_argument("--fill-concurrency", dest="fill_concurrency", type=int, default=32,
                   help="callers filling the retained and history scenarios (default 32)")
    p.add_argument("--time-limit", dest="time_limit", type=int, default=3600,
                   help="seconds a fill or a measurement may take (default 3600)")
    p.add_argument("--keep", action="store_true", help="keep the work folder (servers' logs)")
    p.add_argument("--only", help="comma-separated scenarios: "
                   "start,store,retained,progress,cancel,idle,backup,history")
    args = p.parse_args()
    cfg = dict(QUICK if args.quick else FULL)
    if args.runs:
        cfg["runs"] = args.runs
    if args.retained:
        cfg["retained"] = [int(x) for x in args.retained.split(",")]
    if args.history:
        cfg["history"] = [int(x) for x in args.history.split(",")]
    mach = machine()
    suite = None
    try:
        suite = Suite(args, cfg)
        suite.run()
    except (Failure, subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        log("run_bench: %s" % e)
        return 1
    finally:
        if suite and not args.keep:
            suite.close()
    mach["loadavg_end"] = os.getloadavg()[0]
    if args.only:
        merge_previous(suite, args.out_dir, mach)
    stats = {k: summary(v) for k, v in suite.samples.items()}
    text = render(cfg, mach, stats, args.quick)
    print(text)
    os.makedirs(args.out_dir, exist_ok=True)
    results = os.path.join(args.out_dir, "RESULTS.md")
    kept = ""
    if os.path.exists(results):
        with open(results) as f:
            old = f.read()
        if MARKER in old:
            kept = old[old.index(MARKER) + len(MARKER):]
    with open(results, "w") as f:
        f.write(text + "\n" + MARKER + kept)
    ratios = {}
    for c in cfg["start_concurrency"]:
        ratios["start_qps_memory_c%d" % c] = ratio(stats, ("start_qps", c, "memory"),
                                                   ("start_qps", c, "raw"))
        ratios["start_qps_sqlite_c%d" % c] = ratio(stats, ("start_qps", c, "sqlite"),
                                                   ("start_qps", c, "raw"))
    for c in cfg["start_concurrency"]:
        ratios["store_start_qps_c%d" % c] = ratio(stats, ("start_qps", c, "sqlite"),
                                                  ("start_qps", c, "memory"))
    for n in cfg["retained"]:
        for st in Suite.STORES:
            ratios["retained_%d_%s_qps" % (n, st)] = ratio(stats, ("retained_qps", n, st),
                                                           ("start_qps", 8, "raw"))
    for rate, _, _ in cfg["progress_rates"]:
        for n in cfg["progress_watchers"]:
            ratios["progress_%d_w%d" % (rate, n)] = ratio(
                stats, ("progress_rate", rate, n), ("progress_rate", rate, 0))
    for rate, _, _ in cfg["progress_rates"]:
        n = max(cfg["progress_watchers"])
        ratios["delivery_p99_%d_w%d" % (rate, n)] = ratio(
            stats, ("delivery_p99_us", rate, n, "gpop"), ("delivery_p99_us", rate, n, "raw"))
    for p_ in ("p50", "p99"):
        k = "cancel_%s_us" % p_
        ratios["cancel_" + p_] = ratio(stats, (k, "gpop"), (k, "raw"))
    for n in cfg["idle_watchers"]:
        ratios["idle_kib_%d" % n] = ratio(stats, ("idle_kib", n, "gpop"), ("idle_kib", n, "raw"))
    for name, _, _, _ in cfg["backup_stores"]:
        ratios["backup_" + name] = ratio(stats, ("backup_s", name, "gpop"), ("backup_s", name, "cp"))
    for n in cfg["history"]:
        for st in Suite.STORES:
            ratios["history_rss_%d_%s" % (n, st)] = ratio(
                stats, ("history_rss_mib", n, st), ("history_rss_mib", cfg["history"][0], st))
    doc = {"machine": mach, "config": {k: v for k, v in cfg.items()},
           "results": [{"key": list(k), **v, "values": suite.samples[k]} for k, v in stats.items()],
           "ratios": ratios, "measurements": suite.rows}
    with open(os.path.join(args.out_dir, "results.json"), "w") as f:
        json.dump(doc, f, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
