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

from . import earth as E
from .flight import Trajectory
from .interceptors import FlyoutTable, site_relative

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


def _in_windows(t, windows):
    """Boolean (n, k): t inside any of each threat's windows [(start, end), ...] (None = always)."""
    if windows is None:
        return np.ones(t.shape, bool)
    n = len(windows)
    width = max([len(w) for w in windows if w is not None] + [1])
    lo = np.full((n, width), np.inf)  # padding: an empty window
    hi = np.full((n, width), -np.inf)
    always = np.zeros(n, bool)
    for i, wins in enumerate(windows):  # unpacking the ragged input only; the test is one array op
        if wins is None:
            always[i] = True
            continue
        for j, (a, b) in enumerate(wins):
            if a is not None and np.isfinite(a):
                lo[i, j] = a
                hi[i, j] = np.inf if b is None or not np.isfinite(b) else b
    inside = (t[:, :, None] >= lo[:, None, :]) & (t[:, :, None] <= hi[:, None, :])
    return inside.any(axis=2) | always[:, None]



@dataclass
class Feasibility:
    """One battery against a batch of threats on a time grid.

    ``launch_by_s[i, j]``: the latest interceptor launch (s after threat i's launch) that
    intercepts threat i at ``t_grid_s[j]`` with every kill-vehicle constraint met; -inf
    where the geometry, the altitude window, the closing-speed window, burnout or the
    track requirement rule it out. ``closing_m_s`` is the closing speed there.
    """

    t_grid_s: np.ndarray  # (k,)
    launch_by_s: np.ndarray  # (n, k)
    closing_m_s: np.ndarray  # (n, k)
    dt_s: float

    @property
    def n(self) -> int:
        return int(self.launch_by_s.shape[0])


def feasibility(threats: Trajectory, battery: Battery, *, track_windows=None, dt_s: float = 1.0) -> Feasibility:
    """Where and when the battery's kill vehicle can meet each threat (see ``Feasibility``)."""
    kv = battery.interceptor.kill_vehicle
    t_end = np.nanmax(np.where(np.isfinite(threats.t_impact), threats.t_impact, 0.0))
    tg = np.arange(0.0, t_end + dt_s, dt_s)
    lat, lon, alt = threats.geodetic(tg)  # (n, k), NaN outside each flight
    tgrid = np.broadcast_to(tg, lat.shape)
    slat, slon = math.radians(battery.lat_deg), math.radians(battery.lon_deg)
    d, az = site_relative(slat, slon, lat, lon)
    tt, vd, vu = battery.table.lookup(az, d, np.where(np.isfinite(alt), alt, -1.0))
    # Closing speed: threat velocity minus the interceptor's (horizontal away from the site, and up).
    vt = threats.velocity_ecef(tg)
    east, north, up = E.enu_basis(lat, lon)
    dl = slon - lon
    back = np.arctan2(np.sin(dl) * np.cos(slat), np.cos(lat) * np.sin(slat) - np.sin(lat) * np.cos(slat) * np.cos(dl))
    hdir = np.cos(back + np.pi)[..., None] * north + np.sin(back + np.pi)[..., None] * east
    vi = np.nan_to_num(vd)[..., None] * hdir + np.nan_to_num(vu)[..., None] * up
    closing = np.linalg.norm(vt - vi, axis=-1)
    v_min = float(getattr(kv, "min_closing_speed_km_s", 0.0) or 0.0) * 1e3
    geometric = (np.isfinite(tt) & np.isfinite(alt)
                 & (alt >= kv.min_intercept_alt_km * 1e3) & (alt <= kv.max_intercept_alt_km * 1e3)
                 & (closing >= v_min) & (closing <= kv.max_closing_speed_km_s * 1e3)
                 & (tgrid >= np.nan_to_num(threats.t_burnout, nan=0.0)[:, None])
                 & _in_windows(tgrid, track_windows))
    launch_by = np.where(geometric, tgrid - tt, -np.inf)
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
