"""Benchmark: one fly-out table (``interceptors.build_table``) and ``shieldsim reach``, before vs after.

Before: the fan flown with dense output (``fly_rockets``), every trajectory resampled on the
1 s grid through numpy (``Trajectory.geodetic``, ``velocity_ecef``, ``site_relative``,
``_local_components``: ~10 arrays of fan x 1,501 samples), then ``_crossings`` per trajectory
and ``_fill_table`` per azimuth bin and family. After: one compiled parallel region
(``interceptors._fan_table``) that flies each trajectory, evaluates its dense output at the
1 s grid points on the fly and keeps only the altitude crossings, then fills the table.

"Before" runs this checkout with ``flight.py`` and ``interceptors.py`` from ``--before-rev``
(the last commit before the change), in a child process with its own cache folder; "after"
runs the checkout. Every figure comes from a child process: CPU time (user + system) beside
wall time, and the peak RSS while the table is built (the kernel's high-water mark is reset
just before: ``/proc/self/clear_refs``), over its RSS just before. The two tables are compared
array by array (they are identical: the kernel does the numpy path's operations in the same
order).

Cases: the European GBI (``gbi-2stage``) at Redzikowo's latitude, 54.48 N, and ``sm3-iia``
at 40.6 N. With ``--reach``: ``shieldsim reach third_site_2007 --json`` (55 pairs x 7 speeds:
a rescaled interceptor and a new table per speed) with the kernels compiled and no table
cached ("cold tables"), then again with every table cached ("warm"); the JSON of both
variants is compared.

    .venv/bin/python benchmarks/bench_flyout_table.py [--reach] [--repeat 2] [--before-rev REV]

Prints JSON and writes ``benchmarks/results/flyout_table.json``. CPU time depends on how many
threads run: on the 2 vCPUs here two threads cost ~25 % more CPU than one for the same work
(``NUMBA_NUM_THREADS=1 ... --out benchmarks/results/flyout_table_1thread.json`` measures one).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import finish  # benchmarks/_common.py (scripts run from this folder)

ROOT = Path(__file__).resolve().parent.parent
BEFORE_REV = "ddbf85d"  # the last commit with the resampling fly-out table and no serial small-batch path
CHANGED = ("flight.py", "interceptors.py")
CASES = (("gbi-2stage", 54.48), ("sm3-iia", 40.6))
ARRAYS = ("az", "d", "h", "t", "vd", "vu", "tb", "vb", "tmax")

# Runs a `shieldsim` command in this process; writes its CPU time and peak RSS to $BENCH_RUSAGE.
_CLI_WRAPPER = r"""
import atexit, json, os, resource, sys, time
w0 = time.perf_counter()
def _report():
    r = resource.getrusage(resource.RUSAGE_SELF)
    with open(os.environ["BENCH_RUSAGE"], "w") as f:
        json.dump({"cpu_s": r.ru_utime + r.ru_stime, "peak_mb": r.ru_maxrss / 1024}, f)
atexit.register(_report)
sys.argv = ["shieldsim", *sys.argv[1:]]
from shieldsim.cli import app
app()
"""


# --- shared with bench_small_batches.py --------------------------------------------------------
def before_tree(rev: str = BEFORE_REV) -> Path:
    """This checkout's package with CHANGED from ``rev``, in a temporary folder (put it on PYTHONPATH)."""
    d = Path(tempfile.mkdtemp(prefix="shieldsim-before-"))
    shutil.copytree(ROOT / "src" / "shieldsim", d / "shieldsim", ignore=shutil.ignore_patterns("__pycache__"))
    for name in CHANGED:
        blob = subprocess.check_output(["git", "show", f"{rev}:src/shieldsim/{name}"], cwd=ROOT)
        (d / "shieldsim" / name).write_bytes(blob)
    return d


def variant_env(src: Path | None, cache: Path) -> dict:
    """Environment of a child: its own cache folder; ``src`` first on the path for "before"."""
    env = dict(os.environ)
    env["SHIELDSIM_CACHE"] = str(cache)
    env.pop("NUMBA_CACHE_DIR", None)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(src), env.get("PYTHONPATH", "")) if p)
    return env


def run_cli(args: list[str], env: dict) -> dict:
    """``shieldsim ARGS`` in a child: {cpu_s, wall_s, peak_mb, stdout}."""
    fd, rpath = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    w0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", _CLI_WRAPPER, *args], env={**env, "BENCH_RUSAGE": rpath},
                       capture_output=True, text=True)
    wall = time.perf_counter() - w0
    if p.returncode != 0:
        raise RuntimeError(f"shieldsim {' '.join(args)} failed ({p.returncode}): {p.stderr[-2000:]}")
    with open(rpath) as f:
        r = json.load(f)
    os.unlink(rpath)
    return {"cpu_s": r["cpu_s"], "wall_s": wall, "peak_mb": r["peak_mb"], "stdout": p.stdout}


def run_child(script: Path, args: list[str], env: dict) -> dict:
    """``python SCRIPT ARGS`` in a child; the JSON object it prints last."""
    p = subprocess.run([sys.executable, str(script), *args], env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{script.name} {' '.join(args)} failed ({p.returncode}): {p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def machine() -> dict:
    """Where, when and under what load the figures were taken."""
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {"date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "cpu": cpu, "cores": os.cpu_count(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()], "python": sys.version.split()[0],
            "NUMBA_NUM_THREADS": os.environ.get("NUMBA_NUM_THREADS", f"(default: {os.cpu_count()})"),
            "git_head": head.stdout.strip()}


def status_kb(field: str) -> float:
    with open("/proc/self/status") as f:
        return float(next(ln.split()[1] for ln in f if ln.startswith(field + ":")))


def cpu_s() -> float:
    return time.process_time()


# --- child: one table --------------------------------------------------------------------------
def child_table(name: str, lat: float, out: str) -> None:
    import numpy as np

    from shieldsim import catalog
    from shieldsim import interceptors as I
    from shieldsim.interceptor_specs import interceptor_from_catalog

    booster = interceptor_from_catalog(catalog.get(name)).booster
    I.build_table(booster, lat, t_max_s=30.0, use_cache=False)  # load (or compile) the kernels
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the peak RSS (VmHWM) to the current RSS
        reset = True
    except OSError:
        reset = False
    rss0 = status_kb("VmRSS")
    c0, w0 = cpu_s(), time.perf_counter()
    t = I.build_table(booster, lat, use_cache=False)
    c1, w1 = cpu_s(), time.perf_counter()
    peak = status_kb("VmHWM")
    np.savez(out, az=t.az_rad, d=t.d_m, h=t.h_m, t=t.t_s, vd=t.v_down, vu=t.v_up, tb=t.burnout_time_s,
             vb=t.burnout_speed_m_s, tmax=t.t_max_s)
    print(json.dumps({"cpu_s": c1 - c0, "wall_s": w1 - w0, "rss_before_mb": rss0 / 1024, "peak_mb": peak / 1024,
                      "peak_over_before_mb": (peak - rss0) / 1024 if reset else None, "shape": list(t.t_s.shape)}))


def compare_tables(a: str, b: str) -> dict:
    import numpy as np

    za, zb = np.load(a), np.load(b)
    out = {}
    for k in ARRAYS:
        x, y = za[k], zb[k]
        if x.shape != y.shape:
            out[k] = {"identical": False, "shapes": [list(x.shape), list(y.shape)]}
            continue
        same = (x == y) | (np.isnan(x) & np.isnan(y))
        fin = np.isfinite(x) & np.isfinite(y)
        out[k] = {"identical": bool(np.all(same)), "cells_differing": int(np.size(same) - np.count_nonzero(same)),
                  "finite_mismatch": int(np.count_nonzero(np.isfinite(x) != np.isfinite(y))),
                  "max_abs_diff": float(np.max(np.abs(x[fin].astype(float) - y[fin]))) if np.any(fin) else 0.0}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before-rev", default=BEFORE_REV)
    ap.add_argument("--repeat", type=int, default=2, help="measured table builds per case and variant (best CPU kept)")
    ap.add_argument("--reach", action="store_true", help="also time `shieldsim reach third_site_2007` (minutes)")
    ap.add_argument("--no-before", action="store_true", help="only the current code")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "flyout_table.json"))
    args = ap.parse_args()
    me = Path(__file__).resolve()
    work = Path(tempfile.mkdtemp(prefix="bench-flyout-"))
    variants = {"after": None}
    if not args.no_before:
        variants["before"] = before_tree(args.before_rev)
    result = {"machine": machine(), "before_rev": None if args.no_before else args.before_rev, "tables": {}}
    for vname, src in variants.items():
        env = variant_env(src, work / f"cache-{vname}")
        for name, lat in CASES:
            runs = []
            for rep in range(args.repeat + 1):  # the first run compiles the kernels into the variant's cache
                r = run_child(me, ["--child-table", name, str(lat), str(work / f"{vname}-{name}.npz")], env)
                if rep > 0:
                    runs.append(r)
                note = "  (compiling run)" if rep == 0 else ""
                print(f"{vname:6s} {name:10s} cpu {r['cpu_s']:6.2f} s  wall {r['wall_s']:6.2f} s  "
                      f"peak +{r['peak_over_before_mb'] or float('nan'):.0f} MB{note}", file=sys.stderr, flush=True)
            best = min(runs, key=lambda r: r["cpu_s"])
            best["cpu_s_runs"] = [round(r["cpu_s"], 3) for r in runs]
            result["tables"].setdefault(name, {})[vname] = best
    for name, _ in CASES:
        res = result["tables"][name]
        if "before" in res:
            res["cpu_ratio_before_over_after"] = res["before"]["cpu_s"] / res["after"]["cpu_s"]
            res["compare"] = compare_tables(str(work / f"before-{name}.npz"), str(work / f"after-{name}.npz"))
            res["identical"] = all(v["identical"] for v in res["compare"].values())
    if args.reach:
        result["reach"] = {}
        outputs = {}
        for vname, src in variants.items():
            cache = work / f"reach-cache-{vname}"
            env = variant_env(src, cache)
            cmd = ["reach", "third_site_2007", "--json"]
            run_cli(cmd, env)  # compile every kernel, build every table
            for f in cache.glob("fan-*.npz"):
                f.unlink()
            cold = run_cli(cmd, env)
            warm = run_cli(cmd, env)
            outputs[vname] = json.loads(warm["stdout"])
            for label, r in (("cold_tables", cold), ("warm", warm)):
                print(f"{vname:6s} reach {label:11s} cpu {r['cpu_s']:6.2f} s  wall {r['wall_s']:6.2f} s  "
                      f"peak {r['peak_mb']:.0f} MB", file=sys.stderr, flush=True)
            result["reach"][vname] = {k: {"cpu_s": r["cpu_s"], "wall_s": r["wall_s"], "peak_mb": r["peak_mb"]}
                                      for k, r in (("cold_tables", cold), ("warm", warm))}
            result["reach"][vname]["cold_and_warm_json_identical"] = json.loads(cold["stdout"]) == outputs[vname]
        if "before" in outputs:
            result["reach"]["json_identical_before_after"] = outputs["before"] == outputs["after"]
    finish(result, args.out, work, variants)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child-table":
        child_table(sys.argv[2], float(sys.argv[3]), sys.argv[4])
    else:
        main()
