"""Benchmark: ``shieldsim reach third_site_2007 --json`` (55 pairs x 7 speeds), cold and warm, before vs after.

Before (``analyses/reach.py`` of ``--before-rev``), each speed of the grid ran its own
``interceptors.at_burnout_speed`` search (2-5 flights of the fan, one small batch each);
after, ``at_burnout_speeds`` runs the searches of all seven speeds side by side, one batch per
iteration (each speed's answer is that of its own search, so the JSON must not change).

Each variant runs in child processes with its own cache folder (CPU time from the child's
rusage, wall time beside it): one run to compile the kernels and fill the cache, then
``cold``: the fly-out tables deleted (``fan-*.npz``; compiled kernels kept), and ``warm``:
every table cached (best of ``--repeat``). The outputs of every run are compared (``pairs``).

    .venv/bin/python benchmarks/bench_reach.py [--repeat 2] [--before-rev REV] [--repo PATH]

Prints JSON and writes ``benchmarks/results/reach.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import finish  # benchmarks/_common.py (scripts run from this folder)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_flyout_table import ROOT, machine, run_cli, variant_env  # noqa: E402

BEFORE_REV = "6ab2708"  # reach.py calling at_burnout_speed once per speed
ARGS = ["reach", "third_site_2007", "--json"]


def before_tree(rev: str, repo: Path) -> Path:
    """This checkout's package with ``analyses/reach.py`` from ``rev``."""
    d = Path(tempfile.mkdtemp(prefix="shieldsim-before-"))
    shutil.copytree(ROOT / "src" / "shieldsim", d / "shieldsim", ignore=shutil.ignore_patterns("__pycache__"))
    blob = subprocess.check_output(["git", "show", f"{rev}:src/shieldsim/analyses/reach.py"], cwd=repo)
    (d / "shieldsim" / "analyses" / "reach.py").write_bytes(blob)
    return d


def _pairs(stdout: str) -> str:
    return json.dumps(json.loads(stdout)["pairs"], sort_keys=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before-rev", default=BEFORE_REV)
    ap.add_argument("--repo", default=str(ROOT), help="git checkout holding --before-rev")
    ap.add_argument("--repeat", type=int, default=2, help="warm runs per variant (best kept)")
    ap.add_argument("--no-before", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "reach.json"))
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-reach-"))
    variants = {"after": None}
    if not args.no_before:
        variants["before"] = before_tree(args.before_rev, Path(args.repo))
    result = {"machine": machine(), "before_rev": None if args.no_before else args.before_rev, "command": ARGS}
    outputs = set()
    for name, src in variants.items():
        cache = work / f"cache-{name}"
        env = variant_env(src, cache)
        outputs.add(_pairs(run_cli(ARGS, env)["stdout"]))  # compile the kernels, fill the cache
        tables = list(cache.glob("fan-*.npz"))
        for p in tables:
            p.unlink()
        cold = run_cli(ARGS, env)
        warm = [run_cli(ARGS, env) for _ in range(args.repeat)]
        outputs.update(_pairs(r["stdout"]) for r in [cold, *warm])
        best = min(warm, key=lambda r: r["cpu_s"])
        result[name] = {"tables_deleted_for_cold": len(tables),
                        "cold": {k: round(cold[k], 3) for k in ("cpu_s", "wall_s", "peak_mb")},
                        "warm": {k: round(best[k], 3) for k in ("cpu_s", "wall_s", "peak_mb")},
                        "warm_cpu_s_runs": [round(r["cpu_s"], 3) for r in warm]}
        print(f"{name:6s} cold {cold['cpu_s']:7.2f} s CPU {cold['wall_s']:7.2f} s wall {cold['peak_mb']:6.0f} MB | "
              f"warm {best['cpu_s']:7.2f} s CPU {best['wall_s']:7.2f} s wall", file=sys.stderr, flush=True)
    result["pairs_identical"] = len(outputs) == 1
    if "before" in variants:
        result["cold_cpu_ratio_before_over_after"] = round(result["before"]["cold"]["cpu_s"]
                                                           / result["after"]["cold"]["cpu_s"], 2)
        result["warm_cpu_ratio_before_over_after"] = round(result["before"]["warm"]["cpu_s"]
                                                           / result["after"]["warm"]["cpu_s"], 2)
    finish(result, args.out, work, variants)


if __name__ == "__main__":
    main()
