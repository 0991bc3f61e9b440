#!/usr/bin/python3
"""The I/O floor of a backup: what `cp -a` + `sync` of a store costs against `cp -a` of the same
store plus writing as many more bytes as gpop's backups add (gpreport.xml, Backup.xml, ...),
then `sync`: the least a backup that writes its report can take on this machine, with no CPU
spent building anything. Alternated, prints each run and the ratio of medians.

  tests/bench/backup_floor.py POLICIES_DIR EXTRA_MB [RUNS]

EXTRA_MB: the bytes the backups hold beyond the store's own (backup_bench prints "backups
hold N MB"), spread over one file per GPO folder of POLICIES_DIR.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def copy(policies, dest, extra_bytes):
    t0 = time.monotonic()
    subprocess.run(["cp", "-a", policies, dest], check=True)
    if extra_bytes:
        gpos = sorted(os.listdir(dest))
        per = extra_bytes // len(gpos)
        # UTF-16-like content (ASCII widened), 256 KiB per write as gpop writes its report.
        piece = ("<q1:RegistrySetting>\r\n" * 12000).encode("utf-16-le")[: 256 << 10]
        for g in gpos:
            fd = os.open(os.path.join(dest, g, "gpreport.xml"), os.O_WRONLY | os.O_CREAT, 0o644)
            left = per
            while left > 0:
                left -= os.write(fd, piece[: min(left, len(piece))])
            os.close(fd)
    subprocess.run(["sync"], check=True)
    return time.monotonic() - t0


def main():
    policies, extra_mb = sys.argv[1], float(sys.argv[2])
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    work = tempfile.mkdtemp(prefix="gpop-floor-", dir=os.path.dirname(os.path.abspath(policies)))
    cp, floor = [], []
    try:
        for run in range(runs):
            for with_extra in ([False, True] if run % 2 == 0 else [True, False]):
                dest = os.path.join(work, "copy")
                subprocess.run(["sync"], check=True)
                secs = copy(policies, dest, int(extra_mb * 1e6) if with_extra else 0)
                (floor if with_extra else cp).append(secs)
                print("run %d %s: %.3f s" % (run, "cp -a + extra + sync" if with_extra
                                              else "cp -a + sync", secs), flush=True)
                shutil.rmtree(dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    a, b = statistics.median(cp), statistics.median(floor)
    print("cp -a + sync %.3f s, cp -a + %.0f MB more + sync %.3f s: floor ratio %.2fx"
          % (a, extra_mb, b, b / a))


if __name__ == "__main__":
    main()
