"""Benchmark: small batches (1-100 trajectories) without the thread pool's overhead, before vs after.

Before, every batch went through the ``parallel=True`` kernels, and GNU OpenMP (Numba's "omp"
threading layer) keeps its threads spinning after each parallel region: milliseconds of CPU
per call whatever the work (~30 us for one trajectory). After: below a batch-size threshold
the serial twins run (``flight._integrate_serial``, ``_eval_serial``,
``interceptors._lookup_serial``: the same per-trajectory kernels, on one thread), and the
threads that do start wait passively (``OMP_WAIT_POLICY=PASSIVE`` by default, set by
``flight.py`` before the first parallel kernel runs).

Three parts:

1. ``sweep``: serial vs parallel kernel per call (CPU and wall) over batch sizes 1-512 of free
   flights, in this process (current code): where the thresholds come from.
2. ``one_trajectory``: one call of ``fly_rockets`` (a shahab-3, dense output), of
   ``free_flight_states`` (one burnout state) and of ``Trajectory.geodetic`` (100 times),
   median per call, before and after (child processes; "before" runs ``flight.py`` and
   ``interceptors.py`` of ``--before-rev``). Back to back, and spaced by 10 ms of idle time
   whose CPU is counted with the call (``_spaced_10ms``; ``idle_10ms`` is the gap alone):
   threads left spinning after a parallel region burn CPU while the program does something
   else, which back-to-back calls hide.
3. ``fly_cli``: ``shieldsim fly shahab-3 --from tabriz --to 38,45 --json`` end to end, warm
   (kernels cached), before and after; the JSON must not change.

    .venv/bin/python benchmarks/bench_small_batches.py [--repeat 5] [--before-rev REV]

Prints JSON and writes ``benchmarks/results/small_batches.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from _common import finish  # benchmarks/_common.py (scripts run from this folder)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_flyout_table import BEFORE_REV, ROOT, before_tree, machine, run_cli, run_child, variant_env  # noqa: E402

USER_OMP_WAIT_POLICY = os.environ.get("OMP_WAIT_POLICY")  # before shieldsim sets its default
FLY_ARGS = ["fly", "shahab-3", "--from", "tabriz", "--to", "38,45", "--json"]
SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


def _median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if len(xs) % 2 else 0.5 * (xs[len(xs) // 2 - 1] + xs[len(xs) // 2])


def _per_call(f, min_s=0.3, max_calls=2000, gap_s=0.0):
    """Median CPU and wall per call (ms). With ``gap_s``, each call is followed by that much idle
    time and its CPU counts the whole interval: what threads left spinning after the call burn
    (a program does other work between kernel calls; back-to-back calls hide the spin)."""
    f()
    cpu, wall = [], []
    t_end = time.perf_counter() + min_s
    calls = 0
    while calls < 5 or (time.perf_counter() < t_end and calls < max_calls):
        c0, w0 = time.process_time(), time.perf_counter()
        f()
        w1 = time.perf_counter()
        if gap_s:
            time.sleep(gap_s)
        cpu.append(time.process_time() - c0)
        wall.append(w1 - w0)
        calls += 1
    return {"cpu_ms": _median(cpu) * 1e3, "wall_ms": _median(wall) * 1e3, "calls": calls, "gap_ms": gap_s * 1e3}


def _states(n):
    import numpy as np

    from shieldsim import earth as E
    from shieldsim import flight as F

    rng = np.random.default_rng(0)
    r, v, lat, lon = F.burnout_state(np.radians(rng.uniform(-70, 70, n)), np.radians(rng.uniform(-180, 180, n)),
                                     rng.uniform(0, 300e3, n), rng.uniform(2.5e3, 7.3e3, n),
                                     np.radians(rng.uniform(12, 50, n)), np.radians(rng.uniform(0, 360, n)),
                                     E.EARTH_WGS84, True)
    return r, v, lat, lon


def sweep() -> list[dict]:
    import numpy as np

    from shieldsim import earth as E
    from shieldsim import flight as F

    rows = []
    for n in SIZES:
        r, v, _, _ = _states(n)
        params = F.flight_params(n)  # free flights without drag
        args = (np.concatenate([r, v], axis=1), params, np.zeros((n, F.MAX_STAGES, 6)),
                np.zeros((n, F.MACH_GRID.size)), E.EARTH_WGS84, E.GRAVITY_J2, E.OMEGA_EARTH, 7200.0, 0,
                np.empty((n, 0)), np.empty((n, 0, 12)), np.zeros(n, np.int64), np.empty((n, F.N_EV)),
                np.empty((n, 6)), np.empty((n, 6)), np.empty((n, 6)))
        row = {"trajectories": n}
        for name in ("_integrate_serial", "_integrate_batch"):
            kernel = getattr(F, name)
            row[name] = _per_call(lambda k=kernel: k(*args), min_s=0.2, max_calls=200)
        row["_integrate_batch_spaced_10ms"] = _per_call(lambda: F._integrate_batch(*args), min_s=0.2, max_calls=15,
                                                        gap_s=0.010)
        rows.append(row)
        print(f"  {n:4d} trajectories: serial {row['_integrate_serial']['cpu_ms']:8.3f} ms CPU "
              f"{row['_integrate_serial']['wall_ms']:8.3f} ms wall | parallel {row['_integrate_batch']['cpu_ms']:8.3f} "
              f"ms CPU {row['_integrate_batch']['wall_ms']:8.3f} ms wall (spaced: "
              f"{row['_integrate_batch_spaced_10ms']['cpu_ms']:.3f} ms CPU)", file=sys.stderr, flush=True)
    return rows


def child_calls() -> None:
    """One-trajectory calls of the current code (whichever tree is on the path)."""
    import numpy as np

    from shieldsim import catalog
    from shieldsim import flight as F

    rocket = catalog.missile("shahab-3")
    r, v, lat, lon = _states(1)
    tr = F.free_flight_states(r, v, lat_rad=lat, lon_rad=lon)
    ts = np.linspace(0.0, 600.0, 100)
    calls = {
        "fly_rockets_1_dense": lambda: F.fly_rockets(rocket, 0.67, 0.80, 0.0, 0.9, np.radians(20.0)),
        "free_flight_states_1_dense": lambda: F.free_flight_states(r, v, lat_rad=lat, lon_rad=lon),
        "free_flight_states_1_events_only": lambda: F.free_flight_states(r, v, lat_rad=lat, lon_rad=lon, dense=False),
        "geodetic_1_trajectory_100_times": lambda: tr.geodetic(ts),
    }
    out = {"idle_10ms": _per_call(lambda: None, min_s=0.5, max_calls=40, gap_s=0.010)}  # the gap's own cost
    for name, f in calls.items():
        out[name] = _per_call(f)
        out[name + "_spaced_10ms"] = _per_call(f, min_s=0.5, max_calls=40, gap_s=0.010)
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before-rev", default=BEFORE_REV)
    ap.add_argument("--repeat", type=int, default=5, help="measured `shieldsim fly` runs per variant")
    ap.add_argument("--no-before", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "small_batches.json"))
    args = ap.parse_args()
    from shieldsim import flight as F
    from shieldsim import interceptors as I

    result = {"machine": machine(), "before_rev": None if args.no_before else args.before_rev,
              "thresholds": {"SERIAL_MAX_TRAJECTORIES": F.SERIAL_MAX_TRAJECTORIES,
                             "SERIAL_MAX_POINTS": F.SERIAL_MAX_POINTS, "SERIAL_MAX_LOOKUPS": I.SERIAL_MAX_LOOKUPS},
              "omp_wait_policy_in_this_process": os.environ.get("OMP_WAIT_POLICY"),
              "omp_wait_policy_set_by_user": USER_OMP_WAIT_POLICY}
    print("sweep (this process, current code):", file=sys.stderr)
    result["sweep"] = sweep()
    me = Path(__file__).resolve()
    work = Path(tempfile.mkdtemp(prefix="bench-small-"))
    variants = {"after": None}
    if not args.no_before:
        variants["before"] = before_tree(args.before_rev)
    result["one_trajectory"], result["fly_cli"] = {}, {}
    outputs = {}
    for vname, src in variants.items():
        env = variant_env(src, work / f"cache-{vname}")
        if USER_OMP_WAIT_POLICY is None:
            env.pop("OMP_WAIT_POLICY", None)  # each variant with its own default
        run_child(me, ["--child-calls"], env)  # compile the kernels into the variant's cache
        result["one_trajectory"][vname] = run_child(me, ["--child-calls"], env)
        run_cli(FLY_ARGS, env)
        runs = [run_cli(FLY_ARGS, env) for _ in range(args.repeat)]
        outputs[vname] = {json.dumps(json.loads(r["stdout"]), sort_keys=True) for r in runs}
        result["fly_cli"][vname] = {
            "cpu_s": _median([r["cpu_s"] for r in runs]), "wall_s": _median([r["wall_s"] for r in runs]),
            "peak_mb": max(r["peak_mb"] for r in runs), "cpu_s_runs": [round(r["cpu_s"], 3) for r in runs]}
        for k, v in result["one_trajectory"][vname].items():
            print(f"{vname:6s} {k:45s} {v['cpu_ms']:8.3f} ms CPU {v['wall_ms']:8.3f} ms wall", file=sys.stderr)
        fc = result["fly_cli"][vname]
        print(f"{vname:6s} shieldsim fly (warm)               {fc['cpu_s']:8.3f} s CPU  {fc['wall_s']:8.3f} s wall  "
              f"peak {fc['peak_mb']:.0f} MB", file=sys.stderr, flush=True)
    result["fly_cli"]["json_identical"] = len(set().union(*outputs.values())) == 1
    if "before" in variants:
        result["one_trajectory"]["cpu_ratio_before_over_after"] = {
            k: result["one_trajectory"]["before"][k]["cpu_ms"] / result["one_trajectory"]["after"][k]["cpu_ms"]
            for k in result["one_trajectory"]["after"]}
        result["fly_cli"]["cpu_ratio_before_over_after"] = (result["fly_cli"]["before"]["cpu_s"]
                                                            / result["fly_cli"]["after"]["cpu_s"])
    finish(result, args.out, work, variants)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child-calls":
        child_calls()
    else:
        main()
