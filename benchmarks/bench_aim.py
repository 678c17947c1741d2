"""Benchmark: minimum-energy aiming of footprint aim points, table path against per-point solve.

One missile from one launch site aimed at the Europe footprint grid (34-72 N, 25 W-45 E) as
``analyses/footprint.py`` aims it: the aim points inside the azimuth table's maximum range, in
chunks of ``footprint.CHUNK``, each ``aim(rocket, lat0, lon0, alt0, tlat, tlon,
range_table=azimuth_table(...))``. Three timings, wall (``time.perf_counter``) and CPU of the
whole process, every thread (``time.process_time``):

* ``table_cold``: the minimum-energy table filled on demand during the run (what one footprint
  map pays on a fresh process);
* ``table_warm``: the same points again, table kept (what a second map of the same missile
  and site pays, and the footprint benchmark's figure after its warm-up);
* ``direct``: ``interpolate=False``, every aim point solved on its own by Newton's method
  (the path before the table; what ``fly`` and ``engage`` do for one threat).

Also reported: agreement of the two (feasibility, reach, largest burnout flight-path angle
difference, largest apogee ratio) and the ``azimuth_table`` build, timed apart.

Run: ``.venv/bin/python benchmarks/bench_aim.py [--missile iran-irbm] [--launch semnan]
[--resolution-deg 0.5] [--points N] [--out FILE]``. Prints JSON and writes
``benchmarks/results/aim.json`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from pathlib import Path

import numpy as np


def _timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, round(time.perf_counter() - w0, 3), round(time.process_time() - c0, 3)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--missile", default="iran-irbm")
    ap.add_argument("--launch", default="semnan")
    ap.add_argument("--resolution-deg", type=float, default=0.5)
    ap.add_argument("--points", type=int, default=0, help="first N reachable aim points (0: all)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "aim.json"))
    args = ap.parse_args()

    import shieldsim
    from shieldsim import catalog, targeting
    from shieldsim.analyses.footprint import CHUNK, EUROPE, _within_reach, grid

    rk = catalog.missile(args.missile)
    site = catalog.site(args.launch)
    lat0, lon0, alt0 = math.radians(site.lat_deg), math.radians(site.lon_deg), site.alt_km * 1e3
    load_before = round(os.getloadavg()[0], 2)
    # Warm-up: Numba functions loaded or compiled (a few aim points elsewhere).
    targeting.aim(rk, lat0, lon0, alt0, lat0 + 0.05, lon0 + 0.05)
    table, table_wall, table_cpu = _timed(lambda: targeting.azimuth_table(rk, lat0, lon0, alt0))
    lat, lon = grid(EUROPE, args.resolution_deg)
    la, lo = (a.ravel() for a in np.meshgrid(lat, lon, indexing="ij"))
    todo = np.flatnonzero(_within_reach(table, lat0, lon0, la, lo))
    if args.points:
        todo = todo[:args.points]
    tlat, tlon = np.radians(la[todo]), np.radians(lo[todo])

    def run(energy_table):
        parts = []
        for s in range(0, todo.size, CHUNK):
            sol = targeting.aim(rk, lat0, lon0, alt0, tlat[s:s + CHUNK], tlon[s:s + CHUNK], range_table=table,
                                interpolate=energy_table)
            tr = sol.trajectory
            parts.append((sol.feasible, sol.miss_m, targeting._gamma_inertial(tr),
                           np.linalg.norm(tr.apogee_state[:, :3], axis=1)))
        return [np.concatenate(p) for p in zip(*parts)]

    targeting._TABLE_CACHE.clear()
    tab, cold_wall, cold_cpu = _timed(lambda: run(True))
    _, warm_wall, warm_cpu = _timed(lambda: run(True))
    one, direct_wall, direct_cpu = _timed(lambda: run(False))

    (fa, ma, ga, aa), (fb, mb, gb, ab) = tab, one
    both = fa & fb
    r_earth = 6371e3
    apo_rel = np.abs((aa - r_earth) / (ab - r_earth) - 1.0)[both]
    out = {
        "missile": args.missile, "launch": args.launch, "resolution_deg": args.resolution_deg,
        "aim_points": int(todo.size), "chunk": CHUNK,
        "azimuth_table_wall_s": table_wall, "azimuth_table_cpu_s": table_cpu,
        "table_cold_wall_s": cold_wall, "table_cold_cpu_s": cold_cpu,
        "table_warm_wall_s": warm_wall, "table_warm_cpu_s": warm_cpu,
        "direct_wall_s": direct_wall, "direct_cpu_s": direct_cpu,
        "speedup_cold_cpu": round(direct_cpu / max(cold_cpu, 1e-9), 2),
        "speedup_warm_cpu": round(direct_cpu / max(warm_cpu, 1e-9), 2),
        "feasible_equal": bool((fa == fb).all()),
        "reach_equal": bool(((fa & (ma < 1000.0)) == (fb & (mb < 1000.0))).all()),
        "max_burnout_gamma_diff_deg": round(float(np.degrees(np.abs(ga - gb)[both]).max(initial=0.0)), 4),
        "max_apogee_alt_rel_diff": round(float(apo_rel.max(initial=0.0)), 5),
        "max_miss_table_m": round(float(ma[both].max(initial=0.0)), 1),
        "max_miss_direct_m": round(float(mb[both].max(initial=0.0)), 1),
        "load_average_1m_before": load_before, "load_average_1m_after": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(), "numba_threads": _numba_threads(), "python": platform.python_version(),
        "shieldsim": getattr(shieldsim, "__version__", None),
    }
    print(json.dumps(out, indent=2))
    p = Path(args.out)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(out, indent=2) + "\n")


def _numba_threads():
    try:
        import numba

        return numba.get_num_threads()
    except Exception:  # noqa: BLE001 - informational only
        return None


if __name__ == "__main__":
    main()
