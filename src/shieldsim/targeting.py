"""Aim a rocket at a point on the rotating Earth: azimuth, pitch kick and thrust cut-off.

Three trajectory families, all batch-solved (one batch flight per iteration for the whole
set of aim points):

* ``minimum-energy`` (default): the kick angle that maximises range at full burn
  (found by a coarse scan and a golden-section search), then thrust termination so the
  missile falls short exactly at the aim point. At full burn this is the maximum-range
  trajectory; short of it the burnout flight-path angle stays near the optimum, so the
  trajectory is close to the minimum-energy one (Wheelon 1959; Bate, Mueller & White
  sec. 6.2 for the closed form it approximates).
* ``lofted`` / ``depressed``: full burn, kick smaller / larger than the optimum.

The azimuth is corrected by fixed-point iteration on the impact azimuth seen from the
launch point (this absorbs the Earth's rotation and J2), and the range by a safeguarded
secant (Illinois) step on the cut-off time or the kick. Iteration stops when the impact is
within ``MISS_TOL_M`` of the aim point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import earth as E
from .errors import ScenarioError
from .flight import Trajectory, fly_rockets
from .vehicles import Rocket

TRAJECTORIES = ("minimum-energy", "lofted", "depressed")
# Kick angles searched: from nearly vertical to nearly horizontal at the end of the pitch-over.
KICK_MIN_RAD = math.radians(0.5)
KICK_MAX_RAD = math.radians(89.0)
# Stop iterating at 20 m: fifty times inside the 1 km acceptance of tests/validation/test_targeting.py,
# and below the 1.8 m x 10 integration error budget so the iteration, not the integrator, sets it.
MISS_TOL_M = 20.0
MAX_ITER = 40
_N_SCAN = 17
_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


def _fly_range(rockets, lat, lon, alt, az, kick, tcut, earth, rotation):
    tr = fly_rockets(rockets, lat, lon, alt, az, kick, tcut, earth=earth, rotation=rotation, dense=False)
    ilat, ilon = tr.impact_geodetic()
    az_i, d = E.geodesic_inverse(lat, lon, ilat, ilon) if earth == "wgs84" else _sphere_inverse(lat, lon, ilat, ilon)
    d = np.where(np.isfinite(d), d, 0.0)
    return d, az_i, tr


def _sphere_inverse(lat1, lon1, lat2, lon2):
    ang = E.central_angle(lat1, lon1, lat2, lon2)
    az = np.arctan2(np.sin(lon2 - lon1) * np.cos(lat2),
                    np.cos(lat1) * np.sin(lat2) - np.sin(lat1) * np.cos(lat2) * np.cos(lon2 - lon1))
    return az, ang * E.SPHERE_RADIUS


def _log_ratio(d, d_target):
    return np.log(np.maximum(d, 1.0) / np.maximum(d_target, 1.0))


def _as_rockets(rockets, n):
    if isinstance(rockets, Rocket):
        return [rockets] * n
    rockets = list(rockets)
    return rockets * n if len(rockets) == 1 else rockets


def max_range(rockets: Rocket | Sequence[Rocket], lat_rad, lon_rad, alt_m, azimuth_rad, *, earth: str = "wgs84",
              rotation: bool = True):
    """Maximum ground range (m) at full burn and the kick angle (rad) that achieves it.

    Batch over launch points and azimuths; a coarse scan of kick angles brackets the
    optimum, then golden-section search narrows it to 0.01 degrees.
    """
    lat, lon, alt, az = (np.atleast_1d(np.asarray(v, dtype=float)).ravel() for v in
                         np.broadcast_arrays(lat_rad, lon_rad, alt_m, azimuth_rad))
    n = lat.size
    rk = _as_rockets(rockets, n)
    kicks = np.linspace(KICK_MIN_RAD, KICK_MAX_RAD, _N_SCAN)
    rr = [r for r in rk for _ in range(_N_SCAN)]
    lat_s, lon_s, alt_s, az_s = (np.repeat(a, _N_SCAN) for a in (lat, lon, alt, az))
    d, _, _ = _fly_range(rr, lat_s, lon_s, alt_s, az_s, np.tile(kicks, n), np.inf, earth, rotation)
    d = d.reshape(n, _N_SCAN)
    best = np.argmax(d, axis=1)
    step = kicks[1] - kicks[0]
    a = np.maximum(kicks[best] - step, KICK_MIN_RAD)
    b = np.minimum(kicks[best] + step, KICK_MAX_RAD)
    c = b - _GOLDEN * (b - a)
    e = a + _GOLDEN * (b - a)
    fc, _, _ = _fly_range(rk, lat, lon, alt, az, c, np.inf, earth, rotation)
    fe, _, _ = _fly_range(rk, lat, lon, alt, az, e, np.inf, earth, rotation)
    while np.max(b - a) > math.radians(0.01):
        left = fc > fe  # maximum in [a, e]
        b = np.where(left, e, b)
        a = np.where(left, a, c)
        new = np.where(left, b - _GOLDEN * (b - a), a + _GOLDEN * (b - a))
        fn, _, _ = _fly_range(rk, lat, lon, alt, az, new, np.inf, earth, rotation)
        c, e, fc, fe = (np.where(left, new, e), np.where(left, c, new), np.where(left, fn, fe), np.where(left, fc, fn))
    kbest = np.where(fc > fe, c, e)
    return np.maximum(fc, fe), kbest


def max_range_km(rocket: Rocket) -> float:
    """The catalog's maximum range: full burn, optimum kick, launched east from 45 deg N on a
    non-rotating WGS84 Earth with J2 (so it does not depend on launch direction)."""
    d, _ = max_range(rocket, math.radians(45.0), 0.0, 0.0, math.radians(90.0), rotation=False)
    return float(d[0] / 1e3)


@dataclass
class AimSolution:
    """Guidance solving each aim point, the flown trajectory, and how close it lands."""

    azimuth_rad: np.ndarray
    kick_rad: np.ndarray
    t_cutoff_s: np.ndarray
    feasible: np.ndarray  # aim point reachable with the chosen trajectory family
    max_range_m: np.ndarray
    target_range_m: np.ndarray
    miss_m: np.ndarray
    trajectory: Trajectory | None


def azimuth_table(rocket: Rocket, lat_rad: float, lon_rad: float, alt_m: float, *, earth: str = "wgs84",
                  rotation: bool = True, step_deg: float = 3.0):
    """Maximum range and its kick on azimuth bins from one launch point: (bins, range_m, kick_rad)."""
    bins = np.radians(np.arange(0.0, 360.0, step_deg))
    rb, kb = max_range(rocket, lat_rad, lon_rad, alt_m, bins, earth=earth, rotation=rotation)
    return bins, rb, kb


def aim(rockets: Rocket | Sequence[Rocket], lat_rad, lon_rad, alt_m, target_lat_rad, target_lon_rad,
        trajectory: str = "minimum-energy", *, earth: str = "wgs84", rotation: bool = True,
        dense: bool = True, range_table=None) -> AimSolution:
    """Solve guidance so each rocket's payload lands on its aim point (batch).

    Infeasible aim points (beyond maximum range, or too close for the trajectory family)
    are flagged in ``feasible`` and flown at their best effort; ``fly`` turns them into
    errors naming the maximum range.
    """
    if trajectory not in TRAJECTORIES:
        raise ScenarioError("trajectory", f"unknown trajectory {trajectory!r}; use one of {', '.join(TRAJECTORIES)}")
    lat, lon, alt, tlat, tlon = (np.atleast_1d(np.asarray(v, dtype=float)).ravel().copy() for v in
                                 np.broadcast_arrays(lat_rad, lon_rad, alt_m, target_lat_rad, target_lon_rad))
    n = lat.size
    rk = _as_rockets(rockets, n)
    if earth == "wgs84":
        az_t, d_t = E.geodesic_inverse(lat, lon, tlat, tlon)
    else:
        az_t, d_t = _sphere_inverse(lat, lon, tlat, tlon)
    shared = n > 120 and all(r is rk[0] for r in rk) and np.ptp(lat) == 0 and np.ptp(lon) == 0 and np.ptp(alt) == 0
    if shared or range_table is not None:
        # One missile from one launch point (a footprint): the maximum range and its kick
        # depend only on the azimuth; solve them on 3-degree bins and interpolate.
        bins, rb, kb = range_table if range_table is not None else \
            azimuth_table(rk[0], lat[0], lon[0], alt[0], earth=earth, rotation=rotation)
        azw = np.mod(az_t, 2 * np.pi)
        rmax = np.interp(azw, bins, rb, period=2 * np.pi)
        kstar = np.interp(azw, bins, kb, period=2 * np.pi)
    else:
        rmax, kstar = max_range(rk, lat, lon, alt, az_t, earth=earth, rotation=rotation)
    burn = np.array([r.burn_time_s for r in rk])
    t_min = np.array([r.vertical_rise_s + r.pitch_over_s + 1.0 for r in rk])
    all_idx = np.arange(n)

    def flyx(x, az, idx):
        kick = np.where(var_cut[idx], kick_fixed[idx], x)
        tcut = np.where(var_cut[idx], x, np.inf)
        return _fly_range([rk[i] for i in idx], lat[idx], lon[idx], alt[idx], az, kick, tcut, earth, rotation)

    # Each aim point solves one variable: the cut-off time at a fixed kick, or (lofted and
    # depressed at full burn) the kick. The residual is log(range / target range): nearly
    # linear in either, where the range itself is strongly convex near full burn.
    feasible = d_t <= rmax
    f_full = _log_ratio(rmax, d_t)
    if trajectory == "minimum-energy":
        var_cut = np.ones(n, bool)
        kick_fixed = kstar.copy()
    else:
        extreme = KICK_MIN_RAD if trajectory == "lofted" else KICK_MAX_RAD
        kick_fixed = np.full(n, extreme)
        var_cut = np.zeros(n, bool)
        d_ext, _, _ = flyx(np.full(n, extreme), az_t, all_idx)
        f_ext = _log_ratio(d_ext, d_t)
        var_cut = f_ext > 0.0  # target short of the branch at full burn: cut thrust at the extreme kick
        f_full = np.where(var_cut, f_ext, f_full)
    lo_x = np.where(var_cut, t_min, kick_fixed)
    hi_x = np.where(var_cut, burn, kstar)
    f_hi = f_full.copy()
    cut_idx = np.flatnonzero(var_cut)
    f_lo = np.where(var_cut, 0.0, _log_ratio(d_ext, d_t) if trajectory != "minimum-energy" else 0.0)
    if cut_idx.size:
        d_lo, _, _ = flyx(lo_x[cut_idx], az_t[cut_idx], cut_idx)
        f_lo[cut_idx] = _log_ratio(d_lo, d_t[cut_idx])
    feasible &= f_lo <= 0.0  # too close to reach with this family
    denom0 = np.where(f_hi - f_lo == 0, 1.0, f_hi - f_lo)
    x = np.where(feasible, hi_x - f_hi * (hi_x - lo_x) / denom0, hi_x)
    az = az_t.copy()
    x_sol, az_sol = x.copy(), az.copy()
    miss = np.full(n, np.inf)
    side = np.zeros(n)  # Illinois: which end of the bracket moved last
    active = np.flatnonzero(feasible)
    for _ in range(MAX_ITER):
        if active.size == 0:
            break
        d, az_i, tr = flyx(x[active], az[active], active)
        ilat, ilon = tr.impact_geodetic()
        m = E.ground_range_m(ilat, ilon, tlat[active], tlon[active], E.earth_code(earth))
        m = np.where(np.isfinite(m), m, np.inf)
        better = m < miss[active]
        x_sol[active] = np.where(better, x[active], x_sol[active])
        az_sol[active] = np.where(better, az[active], az_sol[active])
        miss[active] = np.minimum(m, miss[active])
        f = _log_ratio(d, d_t[active])
        dz = np.angle(np.exp(1j * (az_t[active] - az_i)))
        az[active] += np.where(np.isfinite(dz), dz, 0.0)
        pos = f > 0
        hx, hf, lx, lf, sd = hi_x[active], f_hi[active], lo_x[active], f_lo[active], side[active]
        hx, hf = np.where(pos, x[active], hx), np.where(pos, f, hf)
        lx, lf = np.where(~pos, x[active], lx), np.where(~pos, f, lf)
        lf = np.where(pos & (sd > 0), lf / 2, lf)
        hf = np.where(~pos & (sd < 0), hf / 2, hf)
        side[active] = np.where(pos, 1.0, -1.0)
        hi_x[active], f_hi[active], lo_x[active], f_lo[active] = hx, hf, lx, lf
        x[active] = hx - hf * (hx - lx) / np.where(hf - lf == 0, 1.0, hf - lf)
        active = active[miss[active] > MISS_TOL_M]
    # Final dense flight of every aim point with the best guidance found.
    x_sol = np.where(feasible, x_sol, np.where(var_cut, burn, kstar))
    kick = np.where(var_cut, kick_fixed, x_sol)
    tcut = np.where(var_cut, x_sol, np.inf)
    az = np.where(feasible, az_sol, az_t)
    tr = fly_rockets(rk, lat, lon, alt, az, kick, tcut, earth=earth, rotation=rotation, dense=dense)
    ilat, ilon = tr.impact_geodetic()
    miss = E.ground_range_m(ilat, ilon, tlat, tlon, E.earth_code(earth))
    return AimSolution(az, kick, tcut, feasible, rmax, d_t, miss, tr)
