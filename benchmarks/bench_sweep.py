"""Benchmark: sweep throughput on a local Dask cluster (cells per minute).

A small grid of the built-in ``third_site_2007`` (doctrine.sspk x interceptor burnout
speed, 4 x 2 = 8 cells by default) with cheap settings per cell: 5 deg footprint, one
Russian pair at one re-flown speed, raids up to 3 with 500 trials, 500 engagement trials.
Each cell is the scenario's headline figures (``analyses.run.headline``), run by
``analyses.sweep.run_sweep`` on a ``LocalCluster`` with ``--workers`` single-threaded
worker processes (2 by default), each finished cell streamed to ``DIR/cells/``.

First a 2-cell warm-up sweep (fly-out tables built into the on-disk cache, Numba caches
loaded), then the measured sweep into a fresh directory. Reported: the wall time of the
measured sweep including the cluster's start and stop (``sweep_wall_s``) and
``cells_per_minute`` from it; the sum of the cells' own times (``cells_serial_s``, what one
process would need) and ``parallel_efficiency`` = cells_serial_s / (workers x sweep_wall_s).

Run: ``.venv/bin/python benchmarks/bench_sweep.py [--workers 2] [--sspk 0.6,0.7,0.8,0.9]
[--speeds 6.3,8.0]``. Prints JSON and writes ``benchmarks/results/sweep.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

CHEAP = [
    "analysis.compare_resolution_deg=5",
    "analysis.reach.speeds_km_s=[6.0]",
    "analysis.reach.launches=[kozelsk]",
    "analysis.reach.targets=[washington]",
    "analysis.raid.max_size=3",
    "analysis.raid.trials=500",
    "analysis.trials=500",
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sspk", default="0.6,0.7,0.8,0.9")
    ap.add_argument("--speeds", default="6.3,8.0")
    args = ap.parse_args()

    import pandas as pd

    from shieldsim.analyses.sweep import run_sweep

    load_before = round(os.getloadavg()[0], 2)
    vary = [f"doctrine.sspk={args.sspk}", f"interceptor_speed_km_s={args.speeds}"]
    with tempfile.TemporaryDirectory(prefix="shieldsim-bench-sweep-") as tmp:
        os.environ.setdefault("DASK_TEMPORARY_DIRECTORY", tmp)
        t0 = time.perf_counter()
        warm = run_sweep("third_site_2007", [f"doctrine.sspk={args.sspk.split(',')[0]}",
                                             f"interceptor_speed_km_s={args.speeds}"],
                         Path(tmp) / "warmup", overrides=CHEAP, n_workers=args.workers, progress=False)
        warmup_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        res = run_sweep("third_site_2007", vary, Path(tmp) / "sweep", overrides=CHEAP, n_workers=args.workers,
                        progress=False)
        wall = time.perf_counter() - t0
        df = pd.read_parquet(Path(tmp) / "sweep" / "sweep.parquet")

    serial = float(df["cell_wall_s"].sum())
    out = {
        "scenario": "third_site_2007", "vary": vary, "overrides": CHEAP, "workers": args.workers,
        "cells": res["cells"], "computed": res["computed"], "sweep_wall_s": round(wall, 2),
        "cells_per_minute": round(res["cells"] / wall * 60.0, 2),
        "cell_wall_s_mean": round(serial / len(df), 3), "cell_wall_s_max": round(float(df["cell_wall_s"].max()), 3),
        "cells_serial_s": round(serial, 2),
        "parallel_efficiency": round(serial / (args.workers * wall), 3),
        "warmup_cells": warm["cells"], "warmup_s": round(warmup_s, 2),
        "load_average_1m_before": load_before, "load_average_1m_after": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(), "python": platform.python_version(),
    }
    print(json.dumps(out, indent=2))
    p = Path(__file__).parent / "results" / "sweep.json"
    p.parent.mkdir(exist_ok=True)
    p.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
