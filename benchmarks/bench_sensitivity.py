"""Benchmark: the default OAT sensitivity of ``third_site_2007`` (every parameter), cold and warm.

Cold: a fresh, empty fly-out cache (``SHIELDSIM_CACHE`` pointed at a temporary directory,
so every interceptor table the run needs, the base one included, is flown); warm: the
same run again in a new process with that cache filled. Each run is a subprocess of
``shieldsim sensitivity third_site_2007 --json`` (Numba's compiled kernels stay cached as
usual in both). Reported: wall and CPU seconds of each run, the number of parameter
points evaluated, and the acceptance limit (5 minutes on two cores).

Run: ``.venv/bin/python benchmarks/bench_sensitivity.py [--warm-only]``. Prints JSON and
writes ``benchmarks/results/sensitivity.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT_S = 300.0


def one_run(env: dict) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "shieldsim.cli", "sensitivity", "third_site_2007", "--json"],
                          env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = json.loads(proc.stdout)
    return {"wall_s": round(wall, 1), "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1),
            "evaluations": res["evaluations"], "parameters": len(res["parameters"]), "seconds_reported": res["seconds"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--warm-only", action="store_true", help="use the usual cache, skip the cold run")
    args = ap.parse_args()
    out = {"benchmark": "sensitivity oat third_site_2007", "cpus": os.cpu_count(), "python": platform.python_version(),
           "limit_s": LIMIT_S}
    if args.warm_only:
        out["warm"] = one_run(dict(os.environ))
    else:
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, SHIELDSIM_CACHE=cache)
            out["cold"] = one_run(env)
            out["warm"] = one_run(env)
    out["within_limit"] = all(r["wall_s"] < LIMIT_S for k, r in out.items() if k in ("cold", "warm"))
    path = Path(__file__).parent / "results" / "sensitivity.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
