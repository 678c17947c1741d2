"""Benchmark: the footprint of Europe at 0.5 deg, this checkout against a base commit, side by side.

The built-in ``third_site_2007`` defence against ``iran-irbm`` launches from Semnan aimed at every
point of Europe (34-72 N, 25 W-45 E) at 0.5 deg: 77 x 141 = 10,857 aim points, 4,559 in reach,
each aimed (``aim(interpolate=True)``), flown, observed and assessed (issue 14's target: under 3 s
of CPU; issue 15: at least 1.5x faster than the commit before it).

Each variant runs in its own child process with ``PYTHONPATH`` at its ``src``: "head" is this
checkout, "base" a ``git worktree`` of ``--base-rev`` made for the run and removed after it (or
``--base-src``, an existing tree's ``src``). In each child the scenario is loaded and a 5 deg
footprint flown first (Numba kernels loaded or compiled, fly-out table and targeting tables
filled: warm caches), then the 0.5 deg footprint is timed: CPU time (user + system of the
process, all threads) beside wall time. The variants alternate (base, head, base, head, ...) for
``--repeats`` rounds and the best of each is kept. Each child also hashes its grid (reachable,
defended, shot opportunities, intercept altitude, missile per point): equal digests mean the two
commits give the same map.

    .venv/bin/python benchmarks/bench_footprint_europe.py [--repeats 1] [--base-rev 6ab2708]

Prints JSON and writes ``benchmarks/results/footprint_europe.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import finish  # benchmarks/_common.py (scripts run from this folder)
from bench_flyout_table import machine

ROOT = Path(__file__).resolve().parent.parent
BASE_REV = "6ab2708"  # the commit before issue 15's engine changes

_CHILD = r"""
import hashlib, json, sys, time
import numpy as np
import shieldsim
from shieldsim.analyses.context import load_context
from shieldsim.analyses.run import footprint_for
res = float(sys.argv[1])
t0 = time.perf_counter()
ctx = load_context("third_site_2007")
context_s = time.perf_counter() - t0
t0 = time.perf_counter()
footprint_for(ctx, launch="semnan", missile="iran-irbm", resolution_deg=5.0)
warmup_s = time.perf_counter() - t0
c0, w0 = time.process_time(), time.perf_counter()
fp = footprint_for(ctx, launch="semnan", missile="iran-irbm", resolution_deg=res)
cpu, wall = time.process_time() - c0, time.perf_counter() - w0
h = hashlib.sha256()
for a in (fp.reachable, fp.defended, fp.shot_opportunities.astype(np.int64), np.round(fp.intercept_altitude_km, 6),
          fp.missile_index.astype(np.int64)):
    h.update(np.ascontiguousarray(a).tobytes())
print(json.dumps({"cpu_s": round(cpu, 3), "wall_s": round(wall, 3), "context_s": round(context_s, 3),
                  "warmup_s": round(warmup_s, 3), "aim_points": fp.aim_points,
                  "reachable_points": int(fp.reachable.sum()), "defended_fraction": round(fp.defended_fraction, 4),
                  "grid_sha256": h.hexdigest()[:16], "package": shieldsim.__file__}))
"""


def run_variant(src: Path, resolution: float) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src)
    p = subprocess.run([sys.executable, "-c", _CHILD, str(resolution)], env=env, capture_output=True, text=True,
                       cwd=src.parent)
    if p.returncode != 0:
        raise RuntimeError(f"footprint child for {src} failed ({p.returncode}): {p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--resolution-deg", type=float, default=0.5)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--base-rev", default=BASE_REV)
    ap.add_argument("--base-src", default=None, help="an existing tree's src folder instead of a new worktree")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "footprint_europe.json"))
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-footprint-europe-"))
    worktree = None
    if args.base_src:
        base_src = Path(args.base_src)
    else:
        worktree = work / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(worktree), args.base_rev], cwd=ROOT, check=True,
                       capture_output=True)
        base_src = worktree / "src"
    variants = {"base": base_src, "head": ROOT / "src"}
    result = {"benchmark": "footprint of Europe, third_site_2007, iran-irbm from semnan",
              "resolution_deg": args.resolution_deg, "base_rev": args.base_rev if worktree else str(base_src),
              "machine": machine(), "runs": {k: [] for k in variants}}
    try:
        for _ in range(max(1, args.repeats)):
            for name, src in variants.items():
                result["runs"][name].append(run_variant(src, args.resolution_deg))
    finally:
        if worktree is not None:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, capture_output=True)
    best = {k: min(v, key=lambda r: r["cpu_s"]) for k, v in result["runs"].items()}
    result["best"] = best
    result["speedup_cpu"] = round(best["base"]["cpu_s"] / best["head"]["cpu_s"], 2)
    result["speedup_wall"] = round(best["base"]["wall_s"] / best["head"]["wall_s"], 2)
    result["same_grid"] = best["base"]["grid_sha256"] == best["head"]["grid_sha256"]
    finish(result, args.out, work, {})


if __name__ == "__main__":
    main()
