"""Benchmark: batch free flight vs a per-trajectory scipy solve_ivp baseline (same physics).

Both fly the same random burnout states (2.5-7.3 km/s, 12-50 deg) on WGS84 with J2 and
rotation, in vacuum, to geodetic altitude 0. The baseline is scipy's RK45 with a Python
right-hand side at rtol 1e-9 (accurate to ~1 m here), run on a subset and timed per
trajectory; shieldsim's throughput is measured on the full batch after a warm-up call
(Numba compilation is cached on disk and not part of the steady-state figure).

    python benchmarks/bench_free_flight.py [--n 2000] [--baseline 50]
Writes benchmarks/results/free_flight.json.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pymap3d
from scipy.integrate import solve_ivp

import shieldsim as ss
from shieldsim import earth as E
from shieldsim.flight import burnout_state

MU, RE, J2, W = E.GM, E.WGS84_A, E.J2, E.OMEGA_EARTH


def rhs(t, y):
    r = y[:3]
    r2 = r @ r
    k = 1.5 * J2 * RE**2 / r2
    zz = 5 * r[2] ** 2 / r2
    a = -MU / r2**1.5 * r * np.array([1 + k * (1 - zz), 1 + k * (1 - zz), 1 + k * (3 - zz)])
    return np.concatenate([y[3:], a])


def alt_event(t, y):
    return E._geodetic_scalar(y[0], y[1], y[2], 0)[2] + (0.0 if t > 1.0 else 1.0)


alt_event.terminal = True
alt_event.direction = -1


def baseline(r0, v0):
    sol = solve_ivp(rhs, (0, 8000), np.concatenate([r0, v0]), method="RK45", rtol=1e-9, atol=1e-3, events=alt_event)
    t = sol.t_events[0][0]
    y = sol.y_events[0][0]
    c, s = np.cos(W * t), np.sin(W * t)
    lat, lon, _ = pymap3d.ecef2geodetic(c * y[0] + s * y[1], -s * y[0] + c * y[1], y[2])
    return t, lat, lon


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--baseline", type=int, default=50)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    n = args.n
    lat, lon = rng.uniform(-70, 70, n), rng.uniform(-180, 180, n)
    alt, v = rng.uniform(0, 300, n), rng.uniform(2.5, 7.3, n)
    g, az = rng.uniform(12, 50, n), rng.uniform(0, 360, n)
    ss.free_flight(lat[:4], lon[:4], alt[:4], v[:4], g[:4], az[:4])  # warm-up (compile or load cache)
    t0 = time.perf_counter()
    res = ss.free_flight(lat, lon, alt, v, g, az)
    t_batch = time.perf_counter() - t0
    r, vv, _, _ = burnout_state(np.radians(lat), np.radians(lon), alt * 1e3, v * 1e3, np.radians(g), np.radians(az), 0, True)
    m = args.baseline
    t0 = time.perf_counter()
    ref = [baseline(r[i], vv[i]) for i in range(m)]
    t_base = time.perf_counter() - t0
    d = np.array([pymap3d.vincenty.vdist(ref[i][1], ref[i][2], res.impact_lat_deg[i], res.impact_lon_deg[i])[0]
                  for i in range(m)])
    dt = np.array([abs(ref[i][0] - res.flight_time_s[i]) for i in range(m)])
    rate_batch = n / t_batch
    rate_base = m / t_base
    out = {
        "trajectories": n, "shieldsim_s": t_batch, "shieldsim_traj_per_s": rate_batch,
        "baseline_trajectories": m, "baseline_s": t_base, "baseline_traj_per_s": rate_base,
        "speedup": rate_batch / rate_base, "max_impact_difference_m": float(d.max()),
        "max_time_difference_s": float(dt.max()),
    }
    print(json.dumps(out, indent=2))
    p = Path(__file__).parent / "results" / "free_flight.json"
    p.parent.mkdir(exist_ok=True)
    p.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    import pymap3d.vincenty  # noqa: F401

    main()
