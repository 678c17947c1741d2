"""Engagements: intercept solutions, battle space and shot opportunities (batch).

For a batch of threat trajectories and one battery (site, interceptor, fly-out table):

* a threat point P(t) can be intercepted at time t if the interceptor, launched no
  earlier than the commit time (fire-control track + decision delay), reaches P by t:
  ``t - T(P) >= t_commit`` with T the fly-out table's time to reach;
* and the kill vehicle's constraints hold: altitude within its window, closing speed
  within its limit, the threat past burnout (midcourse kill vehicles do not chase a
  thrusting booster), and P inside a radar track window (in-flight target updates).

The feasible intercept times form the battle space [earliest, latest]. Shot
opportunities are counted as in DESIGN.md: the sequential look-and-shoot chances that fit,
a new intercept no earlier than the previous one plus the kill-assessment time.
Everything is evaluated on a time grid over all threats at once (numpy over (n, k)); the
earliest intercept is refined between grid points by linear interpolation of the launch
constraint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import earth as E
from .flight import Trajectory
from .interceptors import FlyoutTable, site_relative

# Shot opportunities counted per threat and battery: a cap for array sizes, above any
# inventory a single threat would draw (10 at Redzikowo) and any battle space / kill-assessment
# ratio of the scenarios (at most 12 looks 60 s apart in a ~700 s ICBM midcourse window).
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


def battle_space(threats: Trajectory, battery: Battery, t_commit_s, *, track_windows=None,
                 kill_assessment_s: float = 60.0, dt_s: float = 1.0, t_offset_s=None) -> BattleSpace:
    """Feasible intercepts of each threat by one battery (see the module docstring).

    ``t_commit_s`` (n,) is the earliest interceptor launch per threat, in seconds after
    that threat's launch (NaN = never committed). ``track_windows`` is a list (per threat)
    of (start, end) radar-track windows, or None for no track requirement.
    """
    n = threats.n
    t_commit = np.broadcast_to(np.asarray(t_commit_s, float), (n,))
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
    launch_needed = tgrid - tt
    geometric = (np.isfinite(tt) & np.isfinite(alt)
                 & (alt >= kv.min_intercept_alt_km * 1e3) & (alt <= kv.max_intercept_alt_km * 1e3)
                 & (closing <= kv.max_closing_speed_km_s * 1e3)
                 & (tgrid >= np.nan_to_num(threats.t_burnout, nan=0.0)[:, None])
                 & _in_windows(tgrid, track_windows))
    ok = geometric & (launch_needed >= t_commit[:, None])
    # Signed launch margin: the latest launch that still makes some intercept, minus the
    # commit time (negative: how much earlier the interceptor would have had to launch).
    slack = np.where(geometric, launch_needed, -np.inf).max(axis=1) - t_commit
    margin = np.where(np.isfinite(slack), slack, np.nan)
    has = ok.any(axis=1)
    first = np.argmax(ok, axis=1)
    last = ok.shape[1] - 1 - np.argmax(ok[:, ::-1], axis=1)
    rows = np.arange(n)
    earliest = np.where(has, tg[first], np.nan)
    # Refine the earliest time where the launch constraint binds: g = t - T(t) - t_commit
    # changes sign between the previous grid point and the first feasible one.
    prev = np.maximum(first - 1, 0)
    g1 = launch_needed[rows, first] - t_commit
    g0 = launch_needed[rows, prev] - t_commit
    binds = has & (first > 0) & np.isfinite(g0) & (g0 < 0) & (g1 >= 0) & geometric[rows, prev]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(binds, g1 / np.where(g1 - g0 == 0, 1, g1 - g0), 0.0)
    earliest = np.where(binds, tg[first] - frac * dt_s, earliest)
    latest = np.where(has, tg[last], np.nan)
    t_first = np.where(has, tt[rows, first], np.nan)
    launch = np.where(has, np.maximum(earliest - t_first, t_commit), np.nan)
    # Sequential look-and-shoot opportunities.
    shots = np.full((n, MAX_OPPORTUNITIES), np.nan)
    shot_launch = np.full((n, MAX_OPPORTUNITIES), np.nan)
    shots[:, 0] = earliest
    shot_launch[:, 0] = launch
    shot_closing = np.full((n, MAX_OPPORTUNITIES), np.nan)
    shot_closing[:, 0] = np.where(has, closing[rows, first], np.nan)
    t_prev = earliest.copy()
    for k in range(1, MAX_OPPORTUNITIES):
        cand = ok & (tgrid >= (t_prev + kill_assessment_s)[:, None])
        has_k = cand.any(axis=1) & np.isfinite(t_prev)
        idx = np.argmax(cand, axis=1)
        t_k = np.where(has_k, tg[idx], np.nan)
        shots[:, k] = t_k
        shot_launch[:, k] = np.where(has_k, t_k - tt[rows, idx], np.nan)
        shot_closing[:, k] = np.where(has_k, closing[rows, idx], np.nan)
        t_prev = t_k
    opps = np.sum(np.isfinite(shots), axis=1)
    return BattleSpace(
        earliest_s=earliest, latest_s=latest, launch_s=launch,
        intercept_alt_m=np.where(has, alt[rows, first], np.nan),
        intercept_lat_rad=np.where(has, lat[rows, first], np.nan),
        intercept_lon_rad=np.where(has, lon[rows, first], np.nan),
        closing_speed_m_s=np.where(has, closing[rows, first], np.nan),
        opportunities=opps.astype(int), shot_times_s=shots, shot_launch_s=shot_launch, margin_s=margin,
        shot_closing_m_s=shot_closing,
    )
