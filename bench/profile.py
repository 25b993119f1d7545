"""``make profile`` (``python -m bench.profile a``): where a scenario's time goes.

Runs one of the service-layer scenarios (a, b or d, on a fresh PostgreSQL
database) under py-spy, and prints the functions that hold the most samples
of the thread doing the work: inclusive (the function and what it calls) and
self. This is the profile the issue notes quote when a target misses.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import pg, service

WORK = {"a": ("Writer._run",), "b": ("Writer._run",),
        "d": ("create_receipt (", "receive_receipt (")}
"""Frames of the timed work: a sample holding any of them counts (d's seeding and check do not)."""


def child(scenario: str, admin_url: str, seconds: float) -> None:
    databases = pg.Databases(admin_url)
    try:
        url = databases.create(scenario)
        if scenario == "a":
            run = service.hot_sku(url, seconds).run
            print(f"a: {run.per_second:,.0f} orders/s, {run.jobs_per_batch:.1f} orders/batch")
        elif scenario == "b":
            run, _ = service.spread(url, seconds)
            print(f"b: {run.per_second:,.0f} orders/s, {run.jobs_per_batch:.1f} orders/batch")
        else:
            result = service.big_receipt(url)
            print(f"d: create {result.create_s:.2f} s + receive {result.receive_s:.2f} s")
    finally:
        databases.close()


def frame_name(frame: str) -> str:
    """``function (path/file.py:line)`` -> ``function file.py``."""
    function, _, where = frame.partition(" (")
    return f"{function} {where.rsplit('/', 1)[-1].split(':')[0]}" if where else function


def summarise(raw: Path, needles: tuple[str, ...], top: int) -> list[str]:
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not any(needle in stack for needle in needles):
            continue
        n = int(count)
        total += n
        frames = [frame_name(f) for f in stack.split(";")]
        for name in set(frames):
            inclusive[name] += n
        own[frames[-1]] += n
    if not total:
        return ["no samples of the timed work"]
    out = [f"{total:,} samples of the timed work ({' or '.join(needles)})", "inclusive:"]
    out += [f"  {100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(top)]
    out += ["self:"]
    out += [f"  {100 * n / total:5.1f}%  {name}" for name, n in own.most_common(top // 2)]
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=sorted(WORK))
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--postgres", default=os.environ.get("EARMARK_BENCH_POSTGRES_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.scenario, args.postgres, args.seconds)
        return 0
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        print("py-spy is not installed (pip install py-spy)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        raw = Path(scratch) / "profile.txt"
        command = [spy, "record", "--format", "raw", "--rate", "250", "--output", str(raw), "--",
                   sys.executable, "-m", "bench.profile", args.scenario, "--child",
                   "--seconds", str(args.seconds), "--postgres", args.postgres]
        finished = subprocess.run(command, check=False)
        if finished.returncode != 0 or not raw.exists():
            print(f"py-spy failed ({finished.returncode}); it needs ptrace (root or CAP_SYS_PTRACE)",
                  file=sys.stderr)
            return 1
        print("\n".join(summarise(raw, WORK[args.scenario], args.top)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
