"""Engagements: intercept solutions, battle space and shot opportunities (batch).

For a batch of threat trajectories and one battery (site, interceptor, fly-out table):

* a threat point P(t) can be intercepted at time t if the interceptor, launched no
  earlier than the commit time (fire-control track + decision delay), reaches P by t:
  ``t - T(P) >= t_commit`` with T the fly-out table's time to reach;
* and the kill vehicle's constraints hold: altitude within its window, closing speed
  between its minimum (hit-to-kill needs the closing speed; a tail chase that closes at a
  walking pace is no shot) and its maximum, the threat past burnout (midcourse kill
  vehicles do not chase a thrusting booster), and P inside a radar track window (in-flight
  target updates) when the doctrine requires one.

``feasibility`` evaluates these on a time grid over all threats at once (numpy over
(n, k)) and keeps, per threat and grid time, the latest launch that still intercepts
then (``launch_by_s``, -inf where the geometry fails). The feasible intercept times form
the battle space [earliest, latest].

Shot opportunities are causal look-shoot-look cycles (DESIGN.md, doctrine words): the
first interceptor leaves no earlier than the commit time; every later one leaves no
earlier than the previous intercept plus ``kill_assessment_s`` (the kill assessment that
decides whether another shot is needed) and must still intercept inside the battle space.
``causal_chain`` builds that timeline across one or several batteries, taking at each
step the earliest intercept any battery can still make: the greedy earliest-intercept
choice maximises the number of cycles, because the constraint on the next cycle depends
only on the previous intercept time. Intercept times are refined between grid points by
linear interpolation of the launch constraint where it binds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from numba import njit, prange

from . import cache as _cache  # noqa: F401  (kernels cached per code hash: must precede the decorators)
from . import earth as E
from .flight import SERIAL_MAX_POINTS, Trajectory, hermite_state
from .interceptors import R_REF, FlyoutTable, lookup_point

# Causal shot opportunities counted per threat: a cap for array sizes, above any inventory a
# single threat would draw (10 at Redzikowo). A look-shoot-look cycle takes at least the
# interceptor's fly-out plus the kill assessment (several minutes for a GBI), so a ~700 s
# ICBM midcourse window holds a handful; the cap only binds for kill_assessment_s near 0
# against short fly-outs, and ``BattleSpace.capped`` says when it did.
MAX_OPPORTUNITIES = 12


@dataclass(frozen=True)
class Battery:
    """An interceptor battery: a site, its interceptor type (with fly-out table), inventory."""

    name: str
    lat_deg: float
    lon_deg: float
    alt_km: float
    interceptor: object  # interceptor_specs.Interceptor
    inventory: int
    table: FlyoutTable = field(repr=False, compare=False, default=None)


@dataclass
class BattleSpace:
    """Per threat (n,): the feasible intercept window against one battery and its shots."""

    earliest_s: np.ndarray
    latest_s: np.ndarray
    launch_s: np.ndarray  # interceptor launch for the earliest intercept
    intercept_alt_m: np.ndarray
    intercept_lat_rad: np.ndarray
    intercept_lon_rad: np.ndarray
    closing_speed_m_s: np.ndarray
    opportunities: np.ndarray  # int
    shot_times_s: np.ndarray  # (n, MAX_OPPORTUNITIES) intercept times of the sequential shots, NaN beyond
    shot_launch_s: np.ndarray  # (n, MAX_OPPORTUNITIES) interceptor launch times for those shots
    shot_closing_m_s: np.ndarray  # (n, MAX_OPPORTUNITIES) closing speed of each shot
    margin_s: np.ndarray  # (n,) latest feasible launch minus commit time (negative: too late); NaN: never in reach
    capped: np.ndarray = None  # (n,) bool: MAX_OPPORTUNITIES reached with battle space left

    @property
    def feasible(self) -> np.ndarray:
        return np.isfinite(self.earliest_s)


@dataclass(frozen=True)
class TrackWindows:
    """Radar track windows of a batch of threats as arrays: threat i is in track at t when
    ``lo[i, w] <= t <= hi[i, w]`` for some w (padding: lo = inf, hi = -inf)."""

    lo: np.ndarray  # (n, W)
    hi: np.ndarray  # (n, W)

    def __len__(self) -> int:
        return int(self.lo.shape[0])

    def __getitem__(self, i: int) -> list[tuple[float, float]]:
        """Threat i's windows [(start, end), ...] in order (padding left out)."""
        return [(float(a), float(b)) for a, b in zip(self.lo[i], self.hi[i]) if a < np.inf]

    @classmethod
    def from_detections(cls, n: int, t_grid_s, detected, first_s, last_s) -> "TrackWindows":
        """The detection intervals of each of n threats and sensor: ``detected`` a list of (n, k)
        masks on ``t_grid_s`` (one per sensor), the outer ends refined to each sensor's
        ``first_s`` / ``last_s`` (n,), inner ends on the grid (``sensors.SensorObservation.windows``
        of every threat, without a loop over threats)."""
        t = np.asarray(t_grid_s, float)
        parts_lo, parts_hi = [], []
        for det, first, last in zip(detected, first_s, last_s):
            det = np.asarray(det, bool)
            pad = np.zeros((n, det.shape[1] + 2), bool)
            pad[:, 1:-1] = det
            r0, c0 = np.nonzero(det & ~pad[:, :-2])  # starts (row-major: in order within a row)
            r1, c1 = np.nonzero(det & ~pad[:, 2:])  # ends, paired with the starts
            count = np.bincount(r0, minlength=n)
            width = int(count.max()) if n else 0
            k = np.arange(r0.size) - np.repeat(np.cumsum(count) - count, count)
            lo = np.full((n, width), np.inf)
            hi = np.full((n, width), -np.inf)
            lo[r0, k], hi[r1, k] = t[c0], t[c1]
            rows = np.flatnonzero(count)
            if rows.size:
                lo[rows, 0] = np.asarray(first, float)[rows]
                hi[rows, count[rows] - 1] = np.asarray(last, float)[rows]
            parts_lo.append(lo)
            parts_hi.append(hi)
        if not parts_lo:
            return cls(np.full((n, 0), np.inf), np.full((n, 0), -np.inf))
        lo, hi = np.concatenate(parts_lo, axis=1), np.concatenate(parts_hi, axis=1)
        bad = np.isnan(lo)  # no refined start: not a window
        return cls(np.where(bad, np.inf, lo), np.where(bad, -np.inf, np.where(np.isnan(hi), np.inf, hi)))

    @classmethod
    def of(cls, windows, n: int) -> "TrackWindows":
        """``windows`` as arrays: None (no track requirement: always in track), a
        ``TrackWindows``, or a list per threat of (start, end) pairs (None for always)."""
        if isinstance(windows, TrackWindows):
            return windows
        if windows is None:
            return cls(np.full((n, 1), -np.inf), np.full((n, 1), np.inf))
        width = max([len(w) for w in windows if w is not None] + [1])
        lo = np.full((len(windows), width), np.inf)
        hi = np.full((len(windows), width), -np.inf)
        for i, wins in enumerate(windows):  # unpacking a caller's ragged lists only
            if wins is None:
                lo[i, 0], hi[i, 0] = -np.inf, np.inf
                continue
            for j, (a, b) in enumerate(wins):
                if a is not None and np.isfinite(a):
                    lo[i, j] = a
                    hi[i, j] = np.inf if b is None or not np.isfinite(b) else b
        return cls(lo, hi)


@dataclass
class Feasibility:
    """One battery against a batch of threats on a time grid.

    ``launch_by_s[i, j]``: the latest interceptor launch (s after threat i's launch) that
    intercepts threat i at ``t_grid_s[j]`` with every kill-vehicle constraint met; -inf
    where the geometry, the altitude window, the closing-speed window, burnout or the
    track requirement rule it out. ``closing_m_s`` is the closing speed there (NaN where the
    other constraints already rule the point out: the closing speed is not computed).
    """

    t_grid_s: np.ndarray  # (k,)
    launch_by_s: np.ndarray  # (n, k)
    closing_m_s: np.ndarray  # (n, k)
    dt_s: float

    @property
    def n(self) -> int:
        return int(self.launch_by_s.shape[0])


@njit(cache=True, error_model="numpy")
def _feasible_point(st, t, c, s, rotation, omega, earth, slat, slon, tab, kv):
    """(latest launch, closing speed) for one threat state ``st`` (r, v in ECI) at time ``t``
    after burnout and in track (c, s: cos and sin of the Earth's turn since launch): the numpy path of ``Trajectory.geodetic`` / ``velocity_ecef``,
    ``interceptors.site_relative``, ``FlyoutTable.lookup`` and ``earth.enu_basis`` point by
    point, the same operations in the same order (so the same bits;
    tests/consistency/test_feasibility_kernel.py), the cheap tests first."""
    T, VD, VU, na, dd, dh = tab
    min_alt, max_alt, v_min, v_max = kv
    x, y, z = (c * st[0] + s * st[1], (-s) * st[0] + c * st[1], st[2]) if rotation else (st[0], st[1], st[2])
    lat, _, alt = E._geodetic_scalar(x, y, z, earth)
    if not (alt >= min_alt and alt <= max_alt):  # also NaN: outside the flight
        return -np.inf, np.nan
    lon = math.atan2(y, x)
    # interceptors.site_relative (earth.central_angle): downrange and azimuth from the site.
    a = math.sin((lat - slat) / 2) ** 2 + math.cos(slat) * math.cos(lat) * math.sin((lon - slon) / 2) ** 2
    a = 0.0 if a < 0.0 else (1.0 if a > 1.0 else a)
    d = 2 * math.asin(math.sqrt(a)) * R_REF
    az = E.initial_bearing(slat, slon, lat, lon) % (2 * np.pi)
    tt, vd, vu = lookup_point(T, VD, VU, na, dd, dh, az, d, alt)
    if not np.isfinite(tt):
        return -np.inf, np.nan
    # Closing speed: threat velocity (Earth-relative, ECEF) minus the interceptor's (away from the site, and up).
    vx, vy = st[3] + omega * st[1], st[4] - omega * st[0]
    vtx, vty, vtz = (c * vx + s * vy, (-s) * vx + c * vy, st[5]) if rotation else (vx, vy, st[5])
    sl, cl, so, co = math.sin(lat), math.cos(lat), math.sin(lon), math.cos(lon)
    back = E.initial_bearing(lat, lon, slat, slon)
    cb, sb = math.cos(back + np.pi), math.sin(back + np.pi)
    hx, hy, hz = cb * ((-sl) * co) + sb * (-so), cb * ((-sl) * so) + sb * co, cb * cl + sb * 0.0
    ex, ey, ez = vtx - (vd * hx + vu * (cl * co)), vty - (vd * hy + vu * (cl * so)), vtz - (vd * hz + vu * sl)
    closing = math.sqrt(ex * ex + ey * ey + ez * ez)
    return (t - tt if closing >= v_min and closing <= v_max else -np.inf), closing


@njit(cache=True, error_model="numpy")
def _feasible_row(ts, ys, m, tg, ctg, stg, rotation, omega, earth, slat, slon, tab, kv, t_burnout, lo, hi, out_l,
                  out_c):
    st = np.empty(6)
    for j in range(tg.size):
        t = tg[j]
        out_l[j], out_c[j] = -np.inf, np.nan
        if not t >= t_burnout:
            continue
        tracked = False
        for k in range(lo.size):
            if t >= lo[k] and t <= hi[k]:
                tracked = True
                break
        if tracked:
            hermite_state(ts, ys, m, t, st)
            out_l[j], out_c[j] = _feasible_point(st, t, ctg[j], stg[j], rotation, omega, earth, slat, slon, tab, kv)


@njit(parallel=True, cache=True, error_model="numpy")
def _feasible_batch(ts, ys, ns, tg, ctg, stg, rotation, omega, earth, slat, slon, tab, kv, t_burnout, lo, hi, out_l,
                    out_c):
    for i in prange(ns.size):
        _feasible_row(ts[i], ys[i], ns[i], tg, ctg, stg, rotation, omega, earth, slat, slon, tab, kv, t_burnout[i], lo[i],
                      hi[i], out_l[i], out_c[i])


@njit(cache=True, error_model="numpy")
def _feasible_serial(ts, ys, ns, tg, ctg, stg, rotation, omega, earth, slat, slon, tab, kv, t_burnout, lo, hi, out_l,
                     out_c):
    for i in range(ns.size):
        _feasible_row(ts[i], ys[i], ns[i], tg, ctg, stg, rotation, omega, earth, slat, slon, tab, kv, t_burnout[i], lo[i],
                      hi[i], out_l[i], out_c[i])


def feasibility(threats: Trajectory, battery: Battery, *, track_windows=None, dt_s: float = 1.0) -> Feasibility:
    """Where and when the battery's kill vehicle can meet each threat (see ``Feasibility``):
    one compiled pass over (threat, grid time), no (n, k) temporaries. ``track_windows``: a
    ``TrackWindows``, a list per threat of (start, end) pairs, or None (no track requirement)."""
    kv = battery.interceptor.kill_vehicle
    n = threats.n
    t_end = np.nanmax(np.where(np.isfinite(threats.t_impact), threats.t_impact, 0.0))
    tg = np.arange(0.0, t_end + dt_s, dt_s)
    if threats.t.shape[1] == 0:
        raise ValueError("this Trajectory was integrated without dense output (dense=False)")
    wins = TrackWindows.of(track_windows, n)
    if wins.lo.shape[1] == 0:  # no window anywhere
        wins = TrackWindows(np.full((n, 1), np.inf), np.full((n, 1), -np.inf))
    tb = battery.table
    tab = (tb.t_s, tb.v_down, tb.v_up, tb.az_rad.size, float(tb.d_m[1] - tb.d_m[0]), float(tb.h_m[1] - tb.h_m[0]))
    v_min = float(getattr(kv, "min_closing_speed_km_s", 0.0) or 0.0) * 1e3
    lims = (kv.min_intercept_alt_km * 1e3, kv.max_intercept_alt_km * 1e3, v_min, kv.max_closing_speed_km_s * 1e3)
    launch_by = np.empty((n, tg.size))
    closing = np.empty((n, tg.size))
    kernel = _feasible_serial if n * tg.size <= SERIAL_MAX_POINTS or n < 2 else _feasible_batch
    th = E.OMEGA_EARTH * tg  # the Earth's turn at the grid times, as earth.eci_to_ecef computes it
    kernel(threats.t, threats.y, threats.nsteps, tg, np.cos(th), np.sin(th), bool(threats.rotation), float(threats.omega), int(threats.earth),
           math.radians(battery.lat_deg), math.radians(battery.lon_deg), tab, tuple(float(x) for x in lims),
           np.nan_to_num(threats.t_burnout, nan=0.0), np.ascontiguousarray(wins.lo, dtype=float),
           np.ascontiguousarray(wins.hi, dtype=float), launch_by, closing)
    return Feasibility(tg, launch_by, closing, float(dt_s))


def next_intercept(f: Feasibility, not_before_s):
    """Earliest intercept of each threat by an interceptor launched no earlier than
    ``not_before_s`` (n,; NaN = never). Returns (intercept_s, launch_s, closing_m_s), NaN where
    there is none. The time is refined below the grid where the launch
    constraint binds (linear in the launch margin between two grid points)."""
    n = f.n
    L = np.broadcast_to(np.asarray(not_before_s, float), (n,))
    with np.errstate(invalid="ignore"):
        ok = f.launch_by_s >= L[:, None]  # NaN bound: False
    has = ok.any(axis=1)
    first = np.argmax(ok, axis=1)
    rows = np.arange(n)
    prev = np.maximum(first - 1, 0)
    g1 = f.launch_by_s[rows, first] - L
    g0 = f.launch_by_s[rows, prev] - L
    binds = has & (first > 0) & np.isfinite(g0) & (g0 < 0) & (g1 >= 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(binds, g1 / np.where(g1 - g0 == 0, 1, g1 - g0), 0.0)
    t = np.where(has, f.t_grid_s[first] - frac * f.dt_s, np.nan)
    launch = np.where(binds, L, np.where(has, f.launch_by_s[rows, first], np.nan))
    closing = np.where(has, f.closing_m_s[rows, first], np.nan)
    return t, launch, closing


@dataclass
class ShotChain:
    """The causal shot timeline of each threat (n, MAX_OPPORTUNITIES), padded with NaN / -1.

    Shot k is fired by battery ``battery[i, k]`` at ``launch_s``, intercepts at
    ``intercept_s`` closing at ``closing_m_s``; its kill assessment ends at
    ``intercept_s + kill_assessment_s``, and shot k + 1 launches no earlier.
    """

    battery: np.ndarray
    launch_s: np.ndarray
    intercept_s: np.ndarray
    closing_m_s: np.ndarray
    kill_assessment_s: float
    capped: np.ndarray  # (n,) bool: MAX_OPPORTUNITIES reached with battle space left

    @property
    def count(self) -> np.ndarray:
        return (self.battery >= 0).sum(axis=1)

    def per_battery(self, n_batteries: int) -> np.ndarray:
        """(n, n_batteries) shots each battery takes in the timeline."""
        return np.stack([(self.battery == b).sum(axis=1) for b in range(n_batteries)], axis=1) if n_batteries else \
            np.zeros((self.battery.shape[0], 0), int)


def causal_chain(feas: list[Feasibility], t_commit_s, kill_assessment_s: float,
                 max_shots: int = MAX_OPPORTUNITIES) -> ShotChain:
    """Look-shoot-look timeline over one or several batteries (module docstring).

    The first launch is no earlier than ``t_commit_s`` (n,); each later launch no earlier
    than the previous intercept plus ``kill_assessment_s``. At each step the battery with
    the earliest intercept fires (ties: the first listed).
    """
    n = feas[0].n if feas else np.asarray(t_commit_s).size
    shape = (n, max_shots)
    battery = np.full(shape, -1, dtype=np.int64)
    launch = np.full(shape, np.nan)
    intercept = np.full(shape, np.nan)
    closing = np.full(shape, np.nan)
    bound = np.array(np.broadcast_to(np.asarray(t_commit_s, float), (n,)))
    capped = np.zeros(n, bool)
    for k in range(max_shots + 1):
        best_t = np.full(n, np.inf)
        best = [np.full(n, np.nan), np.full(n, np.nan)]
        best_b = np.full(n, -1)
        for b, f in enumerate(feas):
            t, la, cl = next_intercept(f, bound)
            better = np.isfinite(t) & (t < best_t)
            best_t = np.where(better, t, best_t)
            best_b = np.where(better, b, best_b)
            for arr, v in zip(best, (la, cl)):
                arr[better] = v[better]
        found = best_b >= 0
        if k == max_shots:
            capped = found
            break
        if not found.any():
            break
        battery[:, k] = best_b
        launch[:, k], closing[:, k] = best
        intercept[:, k] = np.where(found, best_t, np.nan)
        bound = np.where(found, best_t + kill_assessment_s, np.nan)
    return ShotChain(battery, launch, intercept, closing, float(kill_assessment_s), capped)


def battle_space(threats: Trajectory, battery: Battery, t_commit_s, *, track_windows=None,
                 kill_assessment_s: float = 60.0, dt_s: float = 1.0, feas: Feasibility | None = None) -> BattleSpace:
    """Feasible intercepts of each threat by one battery, and its causal shot timeline alone.

    ``t_commit_s`` (n,) is the earliest interceptor launch per threat, in seconds after
    that threat's launch (NaN = never committed). ``track_windows`` is a list (per threat)
    of (start, end) radar-track windows, or None for no track requirement. ``feas``: a
    precomputed ``feasibility`` of this battery (reused by the multi-battery timeline).
    """
    n = threats.n
    t_commit = np.broadcast_to(np.asarray(t_commit_s, float), (n,))
    f = feas if feas is not None else feasibility(threats, battery, track_windows=track_windows, dt_s=dt_s)
    # Signed launch margin: the latest launch that still makes some intercept, minus the
    # commit time (negative: how much earlier the interceptor would have had to launch).
    slack = f.launch_by_s.max(axis=1) - t_commit if f.launch_by_s.shape[1] else np.full(n, -np.inf)
    margin = np.where(np.isfinite(slack), slack, np.nan)
    with np.errstate(invalid="ignore"):
        ok = f.launch_by_s >= t_commit[:, None]
    has = ok.any(axis=1)
    last = ok.shape[1] - 1 - np.argmax(ok[:, ::-1], axis=1)
    chain = causal_chain([f], t_commit, kill_assessment_s)
    lat, lon, alt = _at(threats, chain.intercept_s[:, 0])
    return BattleSpace(
        earliest_s=chain.intercept_s[:, 0], latest_s=np.where(has, f.t_grid_s[last], np.nan),
        launch_s=chain.launch_s[:, 0], intercept_alt_m=alt, intercept_lat_rad=lat, intercept_lon_rad=lon,
        closing_speed_m_s=chain.closing_m_s[:, 0], opportunities=chain.count.astype(int),
        shot_times_s=chain.intercept_s, shot_launch_s=chain.launch_s, margin_s=margin,
        shot_closing_m_s=chain.closing_m_s, capped=chain.capped,
    )


def _at(threats: Trajectory, t) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Geodetic (lat_rad, lon_rad, alt_m) of each threat at its own time t (NaN where t is)."""
    t = np.asarray(t, float)
    ok = np.isfinite(t)
    lat, lon, alt = threats.geodetic(np.where(ok, t, 0.0)[:, None])
    return tuple(np.where(ok, x[:, 0], np.nan) for x in (lat, lon, alt))
