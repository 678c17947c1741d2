"""Aim a rocket at a point on the rotating Earth: azimuth, pitch kick and thrust cut-off.

The guidance of a threat is vertical rise, a pitch-over to a kick angle at the launch
azimuth, a gravity turn, and thrust termination (``vehicles.py``). For each aim point the
solver picks the azimuth, the kick and the cut-off time. Four trajectory families, all
batch-solved (one batch flight per iteration for the whole set of aim points, never a
Python loop per aim point):

* ``minimum-energy`` (default): the least burnout energy that reaches the aim point from
  where the boost ends: the burnout state lies on the minimum-energy ellipse from the
  burnout point to the impact point (Wheelon 1959; Bate, Mueller & White, *Fundamentals of
  Astrodynamics* (1971) sec. 6.2: the vacant focus on the chord, burnout flight-path angle
  (pi - psi) / 4 for equal burnout and impact radii; ``kepler_min_energy_gamma``). Solved
  from the ``max-range-kick`` solution (which already hits) by Newton's method on (kick,
  t_cut) with a finite-difference Jacobian, three flights per iteration, all aim points in
  one batch. Finding (issue 9): the earliest cut-off over kick angles is NOT this
  trajectory: with gravity-turn guidance it burns out 4-6 deg flatter than the Kepler
  optimum from its own burnout point (SS-27 at 40-90 % of maximum range, iran-icbm) and
  needs 30-90 m/s more burnout speed, because a steeper kick moves the burnout point. Within a few per
  cent of maximum range the minimum-energy ellipse needs more than a full burn; there the
  ``max-range-kick`` solution stays (the closest reachable).
* ``lofted`` / ``depressed``: the same range with a burnout flight-path angle (inertial,
  above the local horizontal) ``LOFT_DELTA_GAMMA_RAD`` above / below the minimum-energy
  one, gamma_me +/- 5 degrees. Labelling trajectories to a given range by their burnout
  flight-path angle, with the minimum-energy one between the high (lofted) and the low
  (depressed) one, is the convention of Bate, Mueller & White sec. 6.2 (its "high" and
  "low" trajectories); the 5 degree offset is a notional choice [N], not a
  published figure. Solved by Newton's method on (kick, t_cut) with a finite-difference
  Jacobian (three flights per iteration), starting from the minimum-energy solution.
* ``max-range-kick``: the kick that maximises range at full burn, with thrust cut off
  early so the missile falls short on the aim point (what ``minimum-energy`` meant
  before issue 9: shorter than maximum range it is depressed, e.g. gamma_bo 19.9 deg
  instead of about 28 deg for an SS-27 from Kozelsk to Washington).

One missile from one launch point, when the caller asks for it (``aim(interpolate=True)``: a footprint):
minimum-energy guidance is solved as above on a small (azimuth x range) table of nodes, kept
between calls, and each aim point starts from its interpolation and takes chord-Newton steps
with the tabulated Jacobian, one flight per iteration, to the same stopping test; aim points
near maximum range, beside a node where the minimum-energy ellipse is out of reach, or not
converging are solved on their own (``TABLE_FRACTIONS``; tests/test_targeting_table.py holds
the two paths together).

The azimuth is corrected by fixed-point iteration on the impact azimuth seen from the
launch point (this absorbs the Earth's rotation and J2). Iteration stops when the impact is
within ``MISS_TOL_M`` of the aim point (and, for the optimised families, the kick or
burnout angle has converged).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import earth as E
from .errors import ScenarioError
from .flight import Trajectory, fly_rockets
from .vehicles import TRAJECTORIES, Rocket

# Lofted / depressed: burnout flight-path angle this much above / below the minimum-energy
# one. Notional [N]: the convention (families by burnout angle) is Bate, Mueller & White
# sec. 6.2; the value is a choice: large enough to change apogee (about +/-20 %) and flight
# time visibly, small enough that the iran-irbm still flies both from Semnan to Berlin
# (3,711 km, docs/cli.md).
LOFT_DELTA_GAMMA_RAD = math.radians(5.0)
# Kick angles searched: from nearly vertical to nearly horizontal at the end of the pitch-over.
KICK_MIN_RAD = math.radians(0.5)
KICK_MAX_RAD = math.radians(89.0)
# Stop iterating at 20 m: fifty times inside the 1 km acceptance of tests/validation/test_targeting.py,
# and below the 1.8 m x 10 integration error budget so the iteration, not the integrator, sets it.
MISS_TOL_M = 20.0
MAX_ITER = 40
_N_SCAN = 17
# Minimum-energy kick search: half-spacing of the three-flight parabola, the largest kick
# step per iteration, the step below which the kick counts as converged (0.02 deg moves the
# burnout angle by about as much, fifty times inside the 1 deg of the validation test), and
# the step below which the envelope range the parabola gives is trusted to move the
# cut-off bracket (its error grows as the cube of the step: about 1 m at 0.3 deg).
KICK_DELTA_RAD = math.radians(0.5)
KICK_STEP_MAX_RAD = math.radians(8.0)
KICK_TOL_RAD = math.radians(0.02)
KICK_BRACKET_RAD = math.radians(0.3)
# Lofted / depressed Newton: burnout-angle tolerance (twenty times inside the 1 deg acceptance of
# tests/validation/test_targeting.py) and finite-difference steps: 0.2 deg of kick and 0.2 s of
# cut-off move the impact by kilometres, far above the 20 m integration noise, and stay in the
# linear range of the range and burnout-angle response.
GAMMA_TOL_RAD = math.radians(0.05)
_DK_RAD = math.radians(0.2)
_DT_S = 0.2
# Newton iterations after which _solve_gamma halves its steps (undamped, it converges within 7
# where it converges: iran-irbm and shahab-3 Europe footprints).
_DAMP_AFTER = 12
_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


def _fly_range(rockets, lat, lon, alt, az, kick, tcut, earth, rotation):
    tr = fly_rockets(rockets, lat, lon, alt, az, kick, tcut, earth=earth, rotation=rotation, dense=False)
    ilat, ilon = tr.impact_geodetic()
    az_i, d = E.geodesic_inverse(lat, lon, ilat, ilon) if earth == "wgs84" else _sphere_inverse(lat, lon, ilat, ilon)
    d = np.where(np.isfinite(d), d, 0.0)
    return d, az_i, tr


def _sphere_inverse(lat1, lon1, lat2, lon2):
    ang = E.central_angle(lat1, lon1, lat2, lon2)
    return E.initial_bearing(lat1, lon1, lat2, lon2), ang * E.SPHERE_RADIUS


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


def _gamma_inertial(tr: Trajectory) -> np.ndarray:
    """Inertial flight-path angle (rad) at the end of powered flight: asin(r.v / |r| |v|)."""
    s = tr.burnout_state
    r, v = s[:, :3], s[:, 3:]
    c = np.einsum("ij,ij->i", r, v) / (np.linalg.norm(r, axis=1) * np.linalg.norm(v, axis=1))
    return np.arcsin(np.clip(c, -1.0, 1.0))


def kepler_min_energy_gamma(r_b, r_i, psi):
    """Burnout flight-path angle (rad) of the minimum-energy ellipse from radius r_b to radius
    r_i across central angle psi: the vacant focus lies on the chord, so the velocity bisects
    the angle between the chord and the inward radius (Bate, Mueller & White sec. 6.2;
    (pi - psi) / 4 when r_b = r_i)."""
    c = np.sqrt(r_b * r_b + r_i * r_i - 2.0 * r_b * r_i * np.cos(psi))
    return 0.5 * np.arccos(np.clip((r_b * r_b + c * c - r_i * r_i) / (2.0 * r_b * c), -1.0, 1.0))


def _kepler_gamma_error(tr: Trajectory, offset):
    """Flown burnout angle minus (the Kepler minimum-energy angle from the flown burnout point
    to the flown impact point + offset)."""
    b, i = tr.burnout_state[:, :3], tr.impact_state[:, :3]
    rb, ri = np.linalg.norm(b, axis=1), np.linalg.norm(i, axis=1)
    psi = np.arccos(np.clip(np.einsum("ij,ij->i", b, i) / (rb * ri), -1.0, 1.0))
    err = _gamma_inertial(tr) - (kepler_min_energy_gamma(rb, ri, psi) + offset)
    return np.where(np.isfinite(err), err, 0.0)


def _parabola_peak(rm, r0, rp, delta):
    """Kick step to the vertex of the parabola through (-delta, rm), (0, r0), (delta, rp) and
    the range there (the envelope estimate); where it is not concave, step uphill by 2 delta."""
    g = (rp - rm) / (2.0 * delta)
    c = (rp - 2.0 * r0 + rm) / (delta * delta)
    concave = c < 0.0
    s = np.where(concave, -g / np.where(concave, c, -1.0), np.sign(g) * 2.0 * delta)
    s = np.clip(s, -KICK_STEP_MAX_RAD, KICK_STEP_MAX_RAD)
    peak = np.where(concave, r0 + g * s + 0.5 * c * s * s, np.maximum(np.maximum(rm, r0), rp))
    return s, np.maximum(peak, r0)


def _miss(tr, tlat, tlon, earth):
    ilat, ilon = tr.impact_geodetic()
    m = E.ground_range_m(ilat, ilon, tlat, tlon, E.earth_code(earth))
    return np.where(np.isfinite(m), m, np.inf)


def _solve_energy(rk, lat, lon, alt, tlat, tlon, az_t, d_t, kick0, lo_x, f_lo, hi_x, f_hi, feasible, refine, earth,
                  rotation):
    """Cut-off time (Illinois on the envelope range) and, where ``refine``, the kick (parabolic
    steps) reaching each aim point with the earliest cut-off. Returns (kick, t_cut, azimuth, miss)."""
    n = lat.size
    k, az = kick0.copy(), az_t.copy()
    lo_x, f_lo, hi_x, f_hi = lo_x.copy(), f_lo.copy(), hi_x.copy(), f_hi.copy()
    denom = np.where(f_hi - f_lo == 0, 1.0, f_hi - f_lo)
    t = np.where(feasible, hi_x - f_hi * (hi_x - lo_x) / denom, hi_x)
    done_k = ~np.broadcast_to(np.asarray(refine, bool), (n,)).copy()
    sol_k, sol_t, sol_az = k.copy(), t.copy(), az.copy()
    best = np.full(n, np.inf)
    side = np.zeros(n)
    delta = KICK_DELTA_RAD
    active = np.flatnonzero(feasible)
    for _ in range(MAX_ITER):
        if active.size == 0:
            break
        sel = ~done_k[active]
        opt = active[sel]
        k[opt] = np.clip(k[opt], KICK_MIN_RAD + delta, KICK_MAX_RAD - delta)
        idx = np.concatenate([active, opt, opt])
        kicks = np.concatenate([k[active], k[opt] - delta, k[opt] + delta])
        d, az_i, tr = _fly_range([rk[i] for i in idx], lat[idx], lon[idx], alt[idx], az[idx], kicks, t[idx], earth,
                                 rotation)
        na, no = active.size, opt.size
        d0, az_i = d[:na], az_i[:na]
        m = _miss(tr[np.arange(na)], tlat[active], tlon[active], earth)
        env = d0.copy()
        step = np.zeros(na)
        if no:
            step[sel], env[sel] = _parabola_peak(d[na:na + no], d0[sel], d[na + no:], delta)
        # Keep the latest central flight inside the tolerance (its kick is the most converged),
        # else the closest so far.
        b = best[active]
        take = (m < MISS_TOL_M) | ((m < b) & (b >= MISS_TOL_M))
        sol_k[active] = np.where(take, k[active], sol_k[active])
        sol_t[active] = np.where(take, t[active], sol_t[active])
        sol_az[active] = np.where(take, az[active], sol_az[active])
        best[active] = np.where(take, m, b)
        # Cut-off: Illinois on f = log(envelope / target); a kick still far from its optimum
        # gives an envelope estimate too rough to move the bracket, so it only takes a secant step.
        f = _log_ratio(env, d_t[active])
        x = t[active]
        trust = np.abs(step) < KICK_BRACKET_RAD
        pos = f > 0
        hx, hf, lx, lf, sd = hi_x[active], f_hi[active], lo_x[active], f_lo[active], side[active]
        upd_h, upd_l = trust & pos, trust & ~pos
        nhx, nhf = np.where(upd_h, x, hx), np.where(upd_h, f, hf)
        nlx, nlf = np.where(upd_l, x, lx), np.where(upd_l, f, lf)
        nlf = np.where(upd_h & (sd > 0), nlf / 2, nlf)
        nhf = np.where(upd_l & (sd < 0), nhf / 2, nhf)
        side[active] = np.where(upd_h, 1.0, np.where(upd_l, -1.0, sd))
        hi_x[active], f_hi[active], lo_x[active], f_lo[active] = nhx, nhf, nlx, nlf
        sec = nhx - nhf * (nhx - nlx) / np.where(nhf - nlf == 0, 1.0, nhf - nlf)
        slope = (nhf - nlf) / np.where(nhx - nlx == 0, 1.0, nhx - nlx)
        newton = np.clip(x - f / np.where(slope > 0, slope, np.inf), nlx, nhx)
        t[active] = np.where(trust, sec, newton)
        # Kick: parabolic step; converged once the step is below tolerance.
        k[opt] += step[sel]
        done_k[opt] |= np.abs(step[sel]) < KICK_TOL_RAD
        dz = E.wrap_lon(az_t[active] - az_i)
        az[active] += np.where(np.isfinite(dz), dz, 0.0)
        conv = (m < MISS_TOL_M) & done_k[active]
        active = active[~conv]
    return sol_k, sol_t, sol_az, best


def _solve_gamma(rk, lat, lon, alt, tlat, tlon, az_t, d_t, k0, t0, az0, offset, t_min, burn, feasible, earth,
                 rotation):
    """Newton on (kick, t_cut) for a burnout flight-path angle ``offset`` above the Kepler
    minimum-energy one (from the flown burnout point to the flown impact point) and the range
    to the aim point. Returns (kick, t_cut, azimuth, miss, converged)."""
    n = lat.size
    k, t, az = k0.copy(), t0.copy(), az0.copy()
    sol_k, sol_t, sol_az = k.copy(), t.copy(), az.copy()
    best = np.full(n, np.inf)
    ok = np.zeros(n, bool)
    active = np.flatnonzero(feasible)
    for it in range(MAX_ITER):
        if active.size == 0:
            break
        na = active.size
        kk = np.clip(k[active], KICK_MIN_RAD, KICK_MAX_RAD - _DK_RAD)
        tt = np.clip(t[active], t_min[active] + _DT_S, burn[active])
        k[active], t[active] = kk, tt
        idx = np.concatenate([active, active, active])
        d, az_i, tr = _fly_range([rk[i] for i in idx], lat[idx], lon[idx], alt[idx], az[idx],
                                 np.concatenate([kk, kk + _DK_RAD, kk]), np.concatenate([tt, tt, tt - _DT_S]),
                                 earth, rotation)
        gam = _kepler_gamma_error(tr, np.tile(offset[active], 3))
        lr = _log_ratio(d, np.tile(d_t[active], 3))
        m = _miss(tr[np.arange(na)], tlat[active], tlon[active], earth)
        f1 = gam[:na]
        f2 = lr[:na]
        good = (m < MISS_TOL_M) & (np.abs(f1) < GAMMA_TOL_RAD)
        take = good | ((m < best[active]) & ~ok[active])
        sol_k[active] = np.where(take, kk, sol_k[active])
        sol_t[active] = np.where(take, tt, sol_t[active])
        sol_az[active] = np.where(take, az[active], sol_az[active])
        best[active] = np.where(take, m, best[active])
        ok[active] |= good
        j11, j21 = (gam[na:2 * na] - gam[:na]) / _DK_RAD, (lr[na:2 * na] - lr[:na]) / _DK_RAD
        j12, j22 = (gam[:na] - gam[2 * na:]) / _DT_S, (lr[:na] - lr[2 * na:]) / _DT_S
        det = j11 * j22 - j12 * j21
        det = np.where(np.abs(det) > 0, det, np.inf)
        dk = np.clip((-f1 * j22 + f2 * j12) / det, -KICK_STEP_MAX_RAD, KICK_STEP_MAX_RAD)
        dt = np.clip((-f2 * j11 + f1 * j21) / det, -0.2 * burn[active], 0.2 * burn[active])
        if it >= _DAMP_AFTER:
            # Still not converged: the finite-difference Newton can cycle between two states
            # straddling the aim point (range noise of the integrator at the 10 m scale, seen
            # at 92-96 % of the shahab-3's range); halved steps land between them.
            dk, dt = 0.5 * dk, 0.5 * dt
        k[active] = kk + np.where(np.isfinite(dk), dk, 0.0)
        t[active] = np.clip(tt + np.where(np.isfinite(dt), dt, 0.0), t_min[active] + _DT_S, burn[active])
        dz = E.wrap_lon(az_t[active] - az_i[:na])
        az[active] += np.where(np.isfinite(dz), dz, 0.0)
        active = active[~good]
    ok &= best < 1000.0
    return sol_k, sol_t, sol_az, best, ok


def _solve_direct(rk, lat, lon, alt, tlat, tlon, az_t, d_t, rmax, kstar, t_min, burn, trajectory, earth, rotation):
    """Every aim point on its own: the maximum-range kick with thrust cut-off, then Newton on
    (kick, t_cut) to the family's burnout angle. Returns (kick, t_cut, azimuth, feasible, ok,
    d_lo): ``ok`` where the Newton converged, ``d_lo`` the range at the earliest cut-off."""
    n = lat.size
    # The cut-off bracket [t_min, burn] at the maximum-range kick; the residual is
    # log(range / target range), nearly linear in the cut-off time.
    feasible = d_t <= rmax
    f_hi = _log_ratio(rmax, d_t)
    d_lo, _, _ = _fly_range(rk, lat, lon, alt, az_t, kstar, t_min, earth, rotation)
    f_lo = _log_ratio(d_lo, d_t)
    feasible &= f_lo <= 0.0  # too close to reach
    # First the maximum-range kick with thrust cut-off (cheap: one flight per iteration), which
    # hits the aim point; from there Newton on (kick, cut-off) to the family's burnout angle.
    kick, tcut, az, _ = _solve_energy(rk, lat, lon, alt, tlat, tlon, az_t, d_t, kstar, t_min, f_lo, burn, f_hi,
                                      feasible, False, earth, rotation)
    ok = np.zeros(n, bool)
    if trajectory != "max-range-kick":
        sign = {"minimum-energy": 0.0, "lofted": 1.0, "depressed": -1.0}[trajectory]
        k0 = np.clip(kick - sign * LOFT_DELTA_GAMMA_RAD, KICK_MIN_RAD, KICK_MAX_RAD)
        k1, t1, az1, _, ok = _solve_gamma(rk, lat, lon, alt, tlat, tlon, az_t, d_t, k0, tcut, az,
                                          np.full(n, sign * LOFT_DELTA_GAMMA_RAD), t_min, burn, feasible, earth,
                                          rotation)
        if trajectory == "minimum-energy":
            # Within a few per cent of maximum range the minimum-energy ellipse needs more than
            # a full burn: there the maximum-range kick with cut-off stays (the closest reachable).
            kick, tcut, az = np.where(ok, k1, kick), np.where(ok, t1, tcut), np.where(ok, az1, az)
        else:
            kick, tcut, az = k1, t1, az1
            feasible &= ok
    return kick, tcut, az, feasible, ok, d_lo


# The minimum-energy table (one missile from one launch point, as a footprint aims it): the
# solution depends on the aim point only through its azimuth and range, so it is solved once
# by ``_solve_direct`` on the nodes (azimuth bins of the range table) x (fractions of that
# bin's maximum range), with the Jacobian of (burnout-angle error, log range ratio) in
# (kick, t_cut) at each node. An aim point between four converged nodes starts from their
# interpolation (cubic Hermite in log range with the slopes along the family, linear in
# azimuth: the first flight lands about 50 m off for the iran-irbm) and takes chord-Newton
# steps with the interpolated Jacobian, one flight per iteration (two in all for most aim
# points), to the same stopping test as ``_solve_gamma`` (miss under MISS_TOL_M,
# burnout angle within GAMMA_TOL_RAD of the Kepler one); every other aim point (beyond the
# last node, next to a node where the minimum-energy ellipse is out of reach, or not converged
# in TABLE_MAX_ITER) is solved by ``_solve_direct``, so the answer is the per-point one
# within the solver's tolerances. Fractions: dense at short range, where the kick changes
# fastest (85 deg at 2 %, 58 deg at 10 % of maximum range for the iran-irbm), and close to
# maximum range, where the ellipse leaves reach.
TABLE_FRACTIONS = np.array([0.01, 0.015, 0.02, 0.03, 0.045, 0.065, 0.09, 0.12, 0.16, 0.21, 0.27, 0.34, 0.42, 0.5,
                            0.6, 0.7, 0.8, 0.88, 0.94, 0.97, 0.985, 0.993, 0.997, 0.999])
# Newton steps per aim point from the interpolated node (the measured mean is about 2; a point
# that needs more goes to the per-point solve).
TABLE_MAX_ITER = 6
# Points farther than this multiple of the range at the earliest cut-off (on both neighbouring
# azimuth bins) are certainly not too close, and skip the flight that tests it.
_TOO_CLOSE_MARGIN = 2.0
_TABLE_CACHE: dict = {}  # memo of pure results: (rocket, launch point, range table, earth, rotation) -> table
_TABLE_CACHE_SIZE = 8  # a few maps (missile x launch site) per run: the 2007 footprint uses 3


@dataclass
class _EnergyTable:
    bins: np.ndarray  # (nb,) azimuth bins of the range table
    rb: np.ndarray  # (nb,) maximum range per bin
    kb: np.ndarray  # (nb,) its kick
    done: np.ndarray  # (nb, nf) nodes solved so far (filled on demand)
    ok: np.ndarray  # (nb, nf) node converged to the minimum-energy solution
    kick: np.ndarray  # (nb, nf)
    t_cut: np.ndarray  # (nb, nf)
    daz: np.ndarray  # (nb, nf) flown azimuth minus the aim point's
    jac: np.ndarray  # (nb, nf, 4) d(gamma error, log range)/d(kick, t_cut): j11, j21, j12, j22
    d_lo: np.ndarray  # (nb,) range at the earliest cut-off with the maximum-range kick (nan: not yet flown)


def _energy_table(rocket, lat0, lon0, alt0, bins, rb, kb, earth, rotation) -> _EnergyTable:
    bins, rb, kb = (np.asarray(a, dtype=float) for a in (bins, rb, kb))
    key = (rocket, float(lat0), float(lon0), float(alt0), earth, rotation, bins.tobytes(), rb.tobytes(), kb.tobytes())
    tab = _TABLE_CACHE.pop(key, None)
    if tab is None:
        nb, nf = bins.size, TABLE_FRACTIONS.size
        tab = _EnergyTable(bins, rb, kb, np.zeros((nb, nf), bool), np.zeros((nb, nf), bool), np.zeros((nb, nf)),
                           np.zeros((nb, nf)), np.zeros((nb, nf)), np.zeros((nb, nf, 4)), np.full(nb, np.nan))
    _TABLE_CACHE[key] = tab  # most recently used last
    while len(_TABLE_CACHE) > _TABLE_CACHE_SIZE:
        del _TABLE_CACHE[next(iter(_TABLE_CACHE))]
    return tab


def _fill_table(tab: _EnergyTable, bi, fj, rocket, lat0, lon0, alt0, earth, rotation):
    """Solve the nodes (azimuth bin ``bi``, fraction ``fj``) in one batch, with their Jacobians."""
    bi, fj = np.asarray(bi, dtype=int), np.asarray(fj, dtype=int)
    m = bi.size
    if m == 0:
        return
    lat, lon, alt = np.full(m, float(lat0)), np.full(m, float(lon0)), np.full(m, float(alt0))
    tlat, tlon = E.geodesic_forward(lat, lon, tab.bins[bi], tab.rb[bi] * TABLE_FRACTIONS[fj])
    az_t, d_t = E.geodesic_inverse(lat, lon, tlat, tlon)
    rk = [rocket] * m
    burn = np.full(m, float(rocket.burn_time_s))
    t_min = np.full(m, rocket.rise_s + rocket.pitch_over_s + 1.0)
    k, t, az, feasible, ok, d_lo = _solve_direct(rk, lat, lon, alt, tlat, tlon, az_t, d_t, tab.rb[bi], tab.kb[bi],
                                                 t_min, burn, "minimum-energy", earth, rotation)
    ok &= feasible
    jac = np.zeros((m, 4))
    idx = np.flatnonzero(ok)
    if idx.size:
        # The Jacobian as _solve_gamma takes it: forward step in kick, backward in cut-off time.
        kk = np.clip(k[idx], KICK_MIN_RAD, KICK_MAX_RAD - _DK_RAD)
        tt = np.clip(t[idx], t_min[idx] + _DT_S, burn[idx])
        i3 = np.concatenate([idx, idx, idx])
        d, _, tr = _fly_range([rocket] * i3.size, lat[i3], lon[i3], alt[i3], az[i3],
                              np.concatenate([kk, kk + _DK_RAD, kk]), np.concatenate([tt, tt, tt - _DT_S]),
                              earth, rotation)
        gam = _kepler_gamma_error(tr, np.zeros(i3.size))
        lr = _log_ratio(d, d_t[i3])
        na = idx.size
        jac[idx, 0] = (gam[na:2 * na] - gam[:na]) / _DK_RAD
        jac[idx, 1] = (lr[na:2 * na] - lr[:na]) / _DK_RAD
        jac[idx, 2] = (gam[:na] - gam[2 * na:]) / _DT_S
        jac[idx, 3] = (lr[:na] - lr[2 * na:]) / _DT_S
        det = jac[:, 0] * jac[:, 3] - jac[:, 2] * jac[:, 1]
        ok &= np.isfinite(jac).all(axis=1) & (np.abs(det) > 0)
    tab.ok[bi, fj] = ok
    tab.kick[bi, fj] = k
    tab.t_cut[bi, fj] = t
    tab.daz[bi, fj] = E.wrap_lon(az - az_t)
    tab.jac[bi, fj] = jac
    tab.d_lo[bi] = d_lo  # the same flight for every node of a bin
    tab.done[bi, fj] = True


def _family_slope(jac, kick: bool):
    """d kick / d log range (``kick``) or d t_cut / d log range along the minimum-energy family
    at a node: the direction in (kick, t_cut) that keeps the burnout-angle error zero."""
    j11, j21, j12, j22 = jac[..., 0], jac[..., 1], jac[..., 2], jac[..., 3]
    with np.errstate(divide="ignore", invalid="ignore"):
        dk_dt = -j12 / j11
        dt_dx = 1.0 / (j22 + j21 * dk_dt)
        return dk_dt * dt_dx if kick else dt_dx


def _table_cells(tab: _EnergyTable, az_t, d_t, rmax):
    """Where aim points fall in the table: azimuth bins (i0, i1) and weight wa, range-fraction
    nodes (j0, j0 + 1) and weight wq, the fraction q of maximum range, within reach, inside the
    fractions tabulated."""
    nb, nf = tab.bins.size, TABLE_FRACTIONS.size
    two_pi = 2.0 * np.pi
    azw = np.mod(az_t, two_pi)
    i0 = np.clip(np.searchsorted(tab.bins, azw, side="right") - 1, 0, nb - 1)
    i0 = np.where(azw < tab.bins[0], nb - 1, i0)
    i1 = (i0 + 1) % nb
    width = np.mod(tab.bins[i1] - tab.bins[i0], two_pi)
    width = np.where(width > 0, width, two_pi)
    wa = np.clip(np.mod(azw - tab.bins[i0], two_pi) / width, 0.0, 1.0)
    q = d_t / np.where(rmax > 0, rmax, np.inf)
    j0 = np.clip(np.searchsorted(TABLE_FRACTIONS, q, side="right") - 1, 0, nf - 2)
    wq = np.clip((q - TABLE_FRACTIONS[j0]) / (TABLE_FRACTIONS[j0 + 1] - TABLE_FRACTIONS[j0]), 0.0, 1.0)
    reach = d_t <= rmax
    inside = reach & (q >= TABLE_FRACTIONS[0]) & (q <= TABLE_FRACTIONS[-1])
    return i0, i1, wa, j0, wq, q, reach, inside


def _table_guess(tab: _EnergyTable, i0, i1, wa, j0, wq, q, az_t):
    """The table's guidance of aim points: (kick, t_cut, azimuth, Jacobian (j11, j21, j12, j22))."""
    corners = ((i0, j0), (i0, j0 + 1), (i1, j0), (i1, j0 + 1))
    wts = ((1 - wa) * (1 - wq), (1 - wa) * wq, wa * (1 - wq), wa * wq)

    def interp(v):
        return sum(w[..., None] * v[a, b] if v.ndim == 3 else w * v[a, b] for w, (a, b) in zip(wts, corners))

    az = az_t + interp(tab.daz)
    jac = interp(tab.jac).T
    # Kick and cut-off: cubic Hermite in log range along each bin (the slopes along the family
    # from the node's Jacobian: the burnout-angle error stays zero), then linear in azimuth.
    k, t = np.zeros(az_t.size), np.zeros(az_t.size)
    for a, wa_ in ((i0, 1 - wa), (i1, wa)):
        x0, x1 = np.log(tab.rb[a] * TABLE_FRACTIONS[j0]), np.log(tab.rb[a] * TABLE_FRACTIONS[j0 + 1])
        h = x1 - x0
        u = np.clip((np.log(np.maximum(q * tab.rb[a], 1.0)) - x0) / h, 0.0, 1.0)
        h00, h10, h01, h11 = 2 * u**3 - 3 * u**2 + 1, u**3 - 2 * u**2 + u, -2 * u**3 + 3 * u**2, u**3 - u**2
        for v, out in ((tab.kick, k), (tab.t_cut, t)):
            v0, v1 = v[a, j0], v[a, j0 + 1]
            m0, m1 = (_family_slope(tab.jac[a, j], v is tab.kick) for j in (j0, j0 + 1))
            chord = (v1 - v0) / h
            m0, m1 = np.where(np.isfinite(m0), m0, chord), np.where(np.isfinite(m1), m1, chord)
            out += wa_ * (h00 * v0 + h10 * h * m0 + h01 * v1 + h11 * h * m1)
    return k, t, az, jac


def _table_newton(active, k, t, az, jac, rk, lat, lon, alt, tlat, tlon, az_t, d_t, t_min, burn, earth, rotation):
    """Chord-Newton steps from the table's guess with its Jacobian, one flight per iteration;
    returns (kick, t_cut, azimuth, converged) of every aim point (``active``: those iterated)."""
    j11, j21, j12, j22 = jac
    det = j11 * j22 - j12 * j21
    det = np.where(np.abs(det) > 0, det, np.inf)
    sol_k, sol_t, sol_az = k.copy(), t.copy(), az.copy()
    conv = np.zeros(k.size, bool)
    for _ in range(TABLE_MAX_ITER):
        if active.size == 0:
            break
        kk = np.clip(k[active], KICK_MIN_RAD, KICK_MAX_RAD - _DK_RAD)
        tt = np.clip(t[active], t_min[active] + _DT_S, burn[active])
        d, az_i, tr = _fly_range([rk[i] for i in active], lat[active], lon[active], alt[active], az[active], kk, tt,
                                 earth, rotation)
        f1 = _kepler_gamma_error(tr, np.zeros(active.size))
        f2 = _log_ratio(d, d_t[active])
        m = _miss(tr, tlat[active], tlon[active], earth)
        good = (m < MISS_TOL_M) & (np.abs(f1) < GAMMA_TOL_RAD)
        sol_k[active], sol_t[active], sol_az[active] = kk, tt, az[active]
        conv[active] = good
        a = active
        dk = np.clip((-f1 * j22[a] + f2 * j12[a]) / det[a], -KICK_STEP_MAX_RAD, KICK_STEP_MAX_RAD)
        dt = np.clip((-f2 * j11[a] + f1 * j21[a]) / det[a], -0.2 * burn[a], 0.2 * burn[a])
        k[a] = kk + np.where(np.isfinite(dk), dk, 0.0)
        t[a] = np.clip(tt + np.where(np.isfinite(dt), dt, 0.0), t_min[a] + _DT_S, burn[a])
        dz = E.wrap_lon(az_t[a] - az_i)
        az[a] += np.where(np.isfinite(dz), dz, 0.0)
        active = active[~good]
    return sol_k, sol_t, sol_az, conv


def _solve_with_table(tab: _EnergyTable, rocket, rk, lat, lon, alt, tlat, tlon, az_t, d_t, rmax, kstar, t_min, burn,
                      earth, rotation):
    """Minimum-energy guidance of aim points from the table's launch point (see TABLE_FRACTIONS).
    Returns (kick, t_cut, azimuth, feasible) as ``_solve_direct`` would, within its tolerances."""
    nf = TABLE_FRACTIONS.size
    i0, i1, wa, j0, wq, q, reach, inside = _table_cells(tab, az_t, d_t, rmax)
    # Solve the nodes around these aim points not solved before (by an earlier call too).
    nodes = np.unique(np.concatenate([a[inside] * nf + b[inside] for a, b in
                                      ((i0, j0), (i0, j0 + 1), (i1, j0), (i1, j0 + 1))]))
    nodes = nodes[~tab.done.ravel()[nodes]]
    _fill_table(tab, nodes // nf, nodes % nf, rocket, lat[0], lon[0], alt[0], earth, rotation)
    # Too close to reach: the same test as _solve_direct, flown only where it can matter (and
    # where the bins' earliest cut-off range is not known yet: nan compares false).
    feasible = reach.copy()
    unsure = reach & ~(d_t > _TOO_CLOSE_MARGIN * np.maximum(tab.d_lo[i0], tab.d_lo[i1]))
    if unsure.any():
        u = np.flatnonzero(unsure)
        d_lo, _, _ = _fly_range([rk[i] for i in u], lat[u], lon[u], alt[u], az_t[u], kstar[u], t_min[u], earth,
                                rotation)
        feasible[u] &= _log_ratio(d_lo, d_t[u]) <= 0.0
    inside &= feasible
    inside &= np.logical_and.reduce([tab.ok[a, b] for a, b in ((i0, j0), (i0, j0 + 1), (i1, j0), (i1, j0 + 1))])
    k, t, az, jac = _table_guess(tab, i0, i1, wa, j0, wq, q, az_t)
    sol_k, sol_t, sol_az, conv = _table_newton(np.flatnonzero(inside), k, t, az, jac, rk, lat, lon, alt, tlat, tlon,
                                               az_t, d_t, t_min, burn, earth, rotation)
    # The rest on their own: beyond the table, next to a node out of reach, or not converged.
    rest = np.flatnonzero(feasible & ~conv)
    if rest.size:
        k1, t1, az1, f1, _, _ = _solve_direct([rk[i] for i in rest], lat[rest], lon[rest], alt[rest], tlat[rest],
                                              tlon[rest], az_t[rest], d_t[rest], rmax[rest], kstar[rest], t_min[rest],
                                              burn[rest], "minimum-energy", earth, rotation)
        sol_k[rest], sol_t[rest], sol_az[rest] = k1, t1, az1
        feasible[rest] = f1
    return sol_k, sol_t, sol_az, feasible


def aim(rockets: Rocket | Sequence[Rocket], lat_rad, lon_rad, alt_m, target_lat_rad, target_lon_rad,
        trajectory: str = "minimum-energy", *, earth: str = "wgs84", rotation: bool = True,
        dense: bool = True, interpolate: bool = False, range_table=None) -> AimSolution:
    """Solve guidance so each rocket's payload lands on its aim point (batch).

    Infeasible aim points (beyond maximum range, or too close for the trajectory family)
    are flagged in ``feasible`` and flown at their best effort; ``fly`` turns them into
    errors naming the maximum range.

    ``interpolate`` (the caller's choice, never the batch size's: an aim point's guidance must
    not depend on its neighbours): one rocket from one launch point (a footprint) takes its
    maximum range from the azimuth table (``range_table``, ``azimuth_table`` of that rocket
    and point, computed when not given) and its minimum-energy guidance from the
    minimum-energy table (``TABLE_FRACTIONS``; tests/consistency/test_aim_interpolation.py
    measures it against per-point aiming). Without it every aim point is solved on its own
    (``range_table``, when given, still supplies the maximum range).
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
    one_site = all(r is rk[0] for r in rk) and np.ptp(lat) == 0 and np.ptp(lon) == 0 and np.ptp(alt) == 0
    if interpolate and not one_site:
        raise ValueError("aim(interpolate=True) needs one rocket from one launch point")
    if interpolate or range_table is not None:
        # One missile from one launch point (a footprint): the maximum range and its kick
        # depend only on the azimuth; solve them on 3-degree bins and interpolate.
        bins, rb, kb = range_table if range_table is not None else \
            azimuth_table(rk[0], lat[0], lon[0], alt[0], earth=earth, rotation=rotation)
        azw = np.mod(az_t, 2 * np.pi)
        rmax = np.interp(azw, bins, rb, period=2 * np.pi)
        kstar = np.interp(azw, bins, kb, period=2 * np.pi)
    else:
        rmax, kstar = max_range(rk, lat, lon, alt, az_t, earth=earth, rotation=rotation)
    burn = np.array([r.burn_time_s for r in rk], dtype=float)
    t_min = np.array([r.rise_s + r.pitch_over_s + 1.0 for r in rk], dtype=float)
    if interpolate and trajectory == "minimum-energy" and earth == "wgs84":
        tab = _energy_table(rk[0], lat[0], lon[0], alt[0], bins, rb, kb, earth, rotation)
        kick, tcut, az, feasible = _solve_with_table(tab, rk[0], rk, lat, lon, alt, tlat, tlon, az_t, d_t, rmax, kstar,
                                                     t_min, burn, earth, rotation)
    else:
        kick, tcut, az, feasible, _, _ = _solve_direct(rk, lat, lon, alt, tlat, tlon, az_t, d_t, rmax, kstar, t_min,
                                                       burn, trajectory, earth, rotation)
    # Final dense flight of every aim point with the best guidance found (best effort where infeasible).
    kick = np.where(feasible, kick, kstar)
    tcut = np.where(feasible, tcut, np.inf)
    az = np.where(feasible, az, az_t)
    tr = fly_rockets(rk, lat, lon, alt, az, kick, tcut, earth=earth, rotation=rotation, dense=dense)
    ilat, ilon = tr.impact_geodetic()
    miss = E.ground_range_m(ilat, ilon, tlat, tlon, E.earth_code(earth))
    return AimSolution(az, kick, tcut, feasible, rmax, d_t, miss, tr)
