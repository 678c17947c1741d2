"""Interceptor fly-outs: the path each engagement's interceptor flies to its intercept point.

The engage analysis decides *when* (``launch_s``, ``intercept_s``) and *where* (the threat's
position at ``intercept_s``) each shot meets its threat, from the battery's fly-out table
(``interceptors.build_table``). For the 3-D exports that is not enough: a viewer wants to see
the interceptor rise from its battery and meet the threat. This module flies it.

For each engagement the battery's booster (the interceptor as the scenario flies it,
rescaled included) is flown with ``flight.fly_rockets`` toward the intercept point's bearing,
and the kick angle is solved so that the fly-out passes through the intercept point's
downrange at its altitude, the geometry of ``tests/consistency/bruteforce.py``:

1. a scan over kick angles with both guidance families (gravity turn, hold pitch) finds
   every kick interval in which the altitude at the point's downrange crosses the point's
   altitude; of those roots the one whose arrival time is closest to the engagement's
   fly-out time (``intercept_s - launch_s``, the table's earliest time to reach) is kept;
2. the kick is refined by the Illinois variant of regula falsi inside that interval, every
   engagement in one ``fly_rockets`` call per step;
3. the launch azimuth is corrected for the cross-range drift (Earth rotation, steering at a
   fixed azimuth from local north), and 2. repeats, until the fly-out passes within
   ``tol_m`` of the point.

The fly-out is then sampled from launch to arrival. Times are on the threat's clock
(seconds after the threat's launch): the flown arrival time (within about a second of the
table's) is mapped onto ``[launch_s, intercept_s]`` by one scale factor (``time_scale``,
reported; 1 within 0.5 % in practice), so that the exported fly-out leaves the battery at the
engagement's ``launch_s`` and meets the threat at its ``intercept_s``, the numbers of
``results.json``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import earth as E
from ..flight import GUIDANCE, fly_rockets
from ..interceptors import KICK_MAX_RAD, KICK_MIN_RAD, site_relative

__all__ = ["FlyoutSolution", "flyout_tracks", "solve_flyouts"]

#: Colour of fly-out paths in the exports (the interceptor-site blue of the maps, lighter).
FLYOUT_COLOR = "#2e86c1"
N_SCAN = 64  # kicks per guidance family in the first scan
SCAN_DT_S = 2.0  # sampling of the scan's fly-outs (the crossing is interpolated between samples)
FINE_DT_S = 0.5  # sampling in the refinement steps
MAX_STEPS = 40  # Illinois steps per round at most
MAX_ROUNDS = 4  # azimuth corrections at most
MAX_FLOATS_PER_BATCH = 20_000_000  # bounds the scan's (fly-outs x samples) arrays


@dataclass
class FlyoutSolution:
    """Per engagement (m,): the fly-out that passes through the intercept point.

    ``found`` is False where no kick of either guidance family reaches the point (then the
    other fields describe the closest fly-out of the scan and ``miss_m`` says how close).
    ``t_arrival_s`` is seconds after the interceptor's launch; ``miss_m`` the 3-D distance
    from the fly-out at arrival to the point.
    """

    found: np.ndarray  # (m,) bool
    guidance: np.ndarray  # (m,) object: "gravity-turn" | "hold-pitch"
    kick_rad: np.ndarray  # (m,)
    azimuth_rad: np.ndarray  # (m,)
    t_arrival_s: np.ndarray  # (m,)
    miss_m: np.ndarray  # (m,)
    trajectory: Any  # flight.Trajectory of the m fly-outs


def _as_list(boosters, m):
    if not isinstance(boosters, (list, tuple)):
        return [boosters] * m
    if len(boosters) != m:
        raise ValueError(f"{len(boosters)} boosters for {m} fly-outs")
    return list(boosters)


def _crossing(tr, slat, slon, d, dt_s, t_max):
    """For each fly-out of ``tr`` (n,): time, altitude and bearing (from the site) where its
    downrange first reaches ``d`` (n,); NaN where it never does within ``t_max``.

    The first sample at or beyond ``d`` is found on a ``dt_s`` grid, then the crossing time is
    refined by three secant steps on the dense output (downrange is smooth and increasing on
    an interceptor's way out)."""
    n = tr.n
    ts = np.arange(0.0, t_max + dt_s, dt_s)
    slat, slon = np.asarray(slat, float), np.asarray(slon, float)
    lat, lon, alt = tr.geodetic(ts)
    pd, _ = site_relative(slat[:, None], slon[:, None], lat, lon)
    pd = np.where(np.isfinite(pd) & np.isfinite(alt), pd, -1.0)
    reached = pd >= d[:, None]
    has = reached.any(axis=1) & ~reached[:, 0]
    j = np.argmax(reached, axis=1)
    j0 = np.maximum(j - 1, 0)
    rows = np.arange(n)
    d0, d1 = pd[rows, j0], pd[rows, j]
    w = np.clip((d - d0) / np.where(d1 > d0, d1 - d0, 1.0), 0.0, 1.0)
    t = np.where(has, ts[j0] + w * (ts[j] - ts[j0]), np.nan)
    lo, hi = np.where(has, ts[j0], 0.0), np.where(has, ts[j], 0.0)
    for _ in range(3):  # secant refinement of downrange(t) = d inside [lo, hi]
        tq = np.where(has, t, 0.0)[:, None]
        la, lo_, _al = tr.geodetic(tq)
        dq, _ = site_relative(slat, slon, la[:, 0], lo_[:, 0])
        la2, lo2, _ = tr.geodetic(tq + 1e-2)
        dq2, _ = site_relative(slat, slon, la2[:, 0], lo2[:, 0])
        slope = (dq2 - dq) / 1e-2
        step = np.where(has & (slope > 0), (d - dq) / np.where(slope > 0, slope, 1.0), 0.0)
        t = np.clip(np.where(has, t + step, np.nan), lo, hi)
    tq = np.where(has, t, 0.0)[:, None]
    la, lo_, al = tr.geodetic(tq)
    _, bearing = site_relative(slat, slon, la[:, 0], lo_[:, 0])
    ok = has & np.isfinite(al[:, 0])
    return (np.where(ok, t, np.nan), np.where(ok, al[:, 0], np.nan), np.where(ok, bearing, np.nan))


def _fly(boosters, idx, slat, slon, salt, az, kick, guidance, t_max):
    return fly_rockets([boosters[i] for i in idx], slat[idx], slon[idx], salt[idx], az, kick,
                       t_max_s=t_max, guidance=guidance)


def solve_flyouts(boosters, site_lat_deg, site_lon_deg, site_alt_km, lat_deg, lon_deg, alt_km, t_fly_s, *,
                  tol_m: float = 200.0, n_scan: int = N_SCAN) -> FlyoutSolution:
    """Solve the fly-out of each engagement (module docstring).

    Parameters (arrays broadcast to (m,)): ``boosters`` one Rocket or one per engagement;
    the battery's site (degrees, km); the intercept point (degrees, km); ``t_fly_s`` the
    engagement's fly-out time, ``intercept_s - launch_s`` (it picks, among the fly-outs that
    pass through the point, the one arriving closest to that time). ``tol_m``: the fly-out's
    3-D miss of the point at which the iteration stops.
    """
    arrays = np.broadcast_arrays(site_lat_deg, site_lon_deg, site_alt_km, lat_deg, lon_deg, alt_km, t_fly_s)
    slat, slon, salt, plat, plon, palt, tfly = (np.atleast_1d(np.asarray(a, float)).ravel() for a in arrays)
    m = plat.size
    slat_r, slon_r = np.radians(slat), np.radians(slon)
    plat_r, plon_r = np.radians(plat), np.radians(plon)
    d, az0 = site_relative(slat_r, slon_r, plat_r, plon_r)
    g = _Engagements(_as_list(boosters, m), slat_r, slon_r, salt * 1e3, np.atleast_1d(d), np.atleast_1d(az0),
                     palt * 1e3, float(np.nanmax(tfly)) * 1.5 + 120.0 if m else 0.0)
    kicks = np.linspace(KICK_MIN_RAD, KICK_MAX_RAD, n_scan)
    found, guidance, kick, az, k_lo, k_hi = _scan(g, tfly, kicks)
    active = found.copy()
    for _ in range(MAX_ROUNDS):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        active[_refine(g, idx, az, kick, k_lo, k_hi, guidance, kicks, tol_m)] = False
    return _final(g, az, kick, guidance, found, plat_r, plon_r)


@dataclass(frozen=True)
class _Engagements:
    """The fixed geometry of the fly-outs being solved, one row per engagement (SI, radians):
    the battery sites, the intercept points' downrange ``d`` and azimuth ``az0`` from them, and
    their altitudes; ``t_max`` bounds every flight."""

    boosters: list
    slat_r: np.ndarray
    slon_r: np.ndarray
    salt_m: np.ndarray
    d: np.ndarray
    az0: np.ndarray
    palt_m: np.ndarray
    t_max: float

    def fly(self, idx, az, kick, guidance):
        return _fly(self.boosters, idx, self.slat_r, self.slon_r, self.salt_m, az, kick, guidance, self.t_max)

    def crossing(self, tr, idx, dt_s):
        return _crossing(tr, self.slat_r[idx], self.slon_r[idx], self.d[idx], dt_s, self.t_max)


def _scan(g: _Engagements, tfly: np.ndarray, kicks: np.ndarray):
    """Step 1: fly every engagement x guidance family x kick (batches of bounded memory) and
    pick the bracket whose altitude crossing at the point's downrange arrives closest to the
    engagement's fly-out time. Returns found, guidance, kick, azimuth and the bracket's ends."""
    m, nf, n_scan = g.palt_m.size, len(GUIDANCE), kicks.size
    per = nf * n_scan * (g.t_max / SCAN_DT_S + 1) * 8
    step = max(1, int(MAX_FLOATS_PER_BATCH // per))
    t_sc = np.full((m, nf, n_scan), np.nan)
    h_sc = np.full((m, nf, n_scan), np.nan)
    b_sc = np.full((m, nf, n_scan), np.nan)
    for s in range(0, m, step):
        idx = np.arange(s, min(s + step, m))
        rep = np.repeat(idx, nf * n_scan)
        fam = np.tile(np.repeat(np.array(GUIDANCE, dtype=object), n_scan), idx.size)
        tr = g.fly(rep, g.az0[rep], np.tile(kicks, idx.size * nf), fam)
        t, h, b = g.crossing(tr, rep, SCAN_DT_S)
        shape = (idx.size, nf, n_scan)
        t_sc[idx], h_sc[idx], b_sc[idx] = t.reshape(shape), h.reshape(shape), b.reshape(shape)
    f = h_sc - g.palt_m[:, None, None]
    fa, fb = f[..., :-1], f[..., 1:]
    cross = np.isfinite(fa) & np.isfinite(fb) & ((fa > 0) != (fb > 0))
    u = np.where(cross, fa / np.where(cross, fa - fb, 1.0), 0.0)
    t_cross = t_sc[..., :-1] + u * (t_sc[..., 1:] - t_sc[..., :-1])
    score = np.where(cross, np.abs(t_cross - tfly[:, None, None]), np.inf).reshape(m, -1)
    pick = np.argmin(score, axis=1)
    found = np.isfinite(score[np.arange(m), pick])
    fam_i, k_i = np.unravel_index(pick, (nf, n_scan - 1))
    rows = np.arange(m)
    guidance = np.array(GUIDANCE, dtype=object)[fam_i]
    k_lo, k_hi = kicks[k_i], kicks[k_i + 1]
    # Cross-range: the bearing error at the crossing, interpolated inside the bracket.
    step = E.wrap_lon(b_sc[rows, fam_i, k_i + 1] - b_sc[rows, fam_i, k_i])
    b_err = E.wrap_lon(b_sc[rows, fam_i, k_i] + u[rows, fam_i, k_i] * step - g.az0)
    az = np.where(found, g.az0 - np.nan_to_num(b_err), g.az0)
    kick = np.where(found, k_lo + u[rows, fam_i, k_i] * (k_hi - k_lo), kicks[np.clip(k_i, 0, n_scan - 1)])
    # Not found: keep the scan's fly-out that comes closest in altitude at the point's downrange.
    if not found.all():
        best = np.nanargmin(np.where(np.isfinite(f), np.abs(f), np.inf).reshape(m, -1), axis=1)
        bf, bk = np.unravel_index(best, (nf, n_scan))
        nf_rows = ~found
        guidance[nf_rows] = np.array(GUIDANCE, dtype=object)[bf[nf_rows]]
        kick[nf_rows] = kicks[bk[nf_rows]]
    return found, guidance, kick, az, k_lo, k_hi


def _refine(g: _Engagements, idx, az, kick, k_lo, k_hi, guidance, kicks, tol_m: float):
    """Steps 2-3, one round for the engagements ``idx``: bracket at the current azimuth,
    Illinois on the kick, azimuth correction. Updates ``az``, ``kick``, ``k_lo``, ``k_hi`` in
    place; returns the engagements now within tolerance across range (none where a bracket
    was lost: it is widened for the next round)."""
    # Re-evaluate the bracket's ends at the corrected azimuth.
    both = np.concatenate([idx, idx])
    tr = g.fly(both, np.concatenate([az[idx], az[idx]]), np.concatenate([k_lo[idx], k_hi[idx]]),
               np.concatenate([guidance[idx], guidance[idx]]))
    _, h, _ = g.crossing(tr, both, FINE_DT_S)
    fl, fh = h[: idx.size] - g.palt_m[idx], h[idx.size:] - g.palt_m[idx]
    ok = np.isfinite(fl) & np.isfinite(fh) & ((fl > 0) != (fh > 0))
    if not ok.all():  # the corrected azimuth moved the root out of the interval: widen it
        lost = idx[~ok]
        k_lo[lost] = np.maximum(k_lo[lost] - 2 * (kicks[1] - kicks[0]), KICK_MIN_RAD)
        k_hi[lost] = np.minimum(k_hi[lost] + 2 * (kicks[1] - kicks[0]), KICK_MAX_RAD)
        idx = idx[ok]
        fl, fh = fl[ok], fh[ok]
        if idx.size == 0:
            return idx
    x, a, b = _illinois(g, idx, az, guidance, k_lo[idx].copy(), k_hi[idx].copy(), fl, fh, tol_m)
    kick[idx] = x
    k_lo[idx], k_hi[idx] = np.minimum(a, b), np.maximum(a, b)
    # Widen the interval a little for the next round (the azimuth change moves the root).
    width = np.maximum(k_hi[idx] - k_lo[idx], 0.25 * (kicks[1] - kicks[0]))
    k_lo[idx] = np.maximum(np.minimum(k_lo[idx], x - 4 * width), KICK_MIN_RAD)
    k_hi[idx] = np.minimum(np.maximum(k_hi[idx], x + 4 * width), KICK_MAX_RAD)
    tr = g.fly(idx, az[idx], kick[idx], guidance[idx])
    _, _, bearing = g.crossing(tr, idx, FINE_DT_S)
    err = np.nan_to_num(E.wrap_lon(bearing - g.az0[idx]))
    az[idx] = az[idx] - err
    # Cross-range miss of this round, metres (bearing error times the arc's sine).
    xr = np.abs(err) * np.sin(g.d[idx] / 6371e3) * 6371e3
    return idx[xr < 0.25 * tol_m]


def _illinois(g: _Engagements, idx, az, guidance, a, b, fa_, fb_, tol_m: float):
    """The Illinois method on the kick over the brackets [a, b] (values fa_, fb_) at fixed
    azimuth: the kick that puts each fly-out through its point's altitude, and the bracket."""
    x = (a * fb_ - b * fa_) / (fb_ - fa_)
    side = np.zeros(idx.size, int)
    conv = np.zeros(idx.size, bool)
    for _ in range(MAX_STEPS):
        tr = g.fly(idx, az[idx], x, guidance[idx])
        _, h, _ = g.crossing(tr, idx, FINE_DT_S)
        fx = h - g.palt_m[idx]
        # A fly-out that falls short of the point's downrange passes "below" it.
        fx = np.where(np.isfinite(fx), fx, -(np.abs(fa_) + np.abs(fb_)))
        conv |= np.abs(fx) < 0.25 * tol_m
        live = ~conv
        # Illinois: the end kept twice in a row has its value halved.
        to_b = live & (np.sign(fx) == np.sign(fb_))
        to_a = live & ~to_b
        fa_ = np.where(to_b & (side == -1), fa_ / 2, fa_)
        fb_ = np.where(to_a & (side == 1), fb_ / 2, fb_)
        b, fb_ = np.where(to_b, x, b), np.where(to_b, fx, fb_)
        a, fa_ = np.where(to_a, x, a), np.where(to_a, fx, fa_)
        side = np.where(to_b, -1, np.where(to_a, 1, side))
        conv |= np.abs(b - a) < 1e-10
        if conv.all():
            break
        x = np.where(conv, x, (a * fb_ - b * fa_) / np.where(fb_ != fa_, fb_ - fa_, 1.0))
    return x, a, b


def _final(g: _Engagements, az, kick, guidance, found, plat_r, plon_r) -> FlyoutSolution:
    """The final fly-outs, their arrival and their miss (for one not found, the closest
    approach of the scan's best fly-out, to report what was not found)."""
    tr = fly_rockets(g.boosters, g.slat_r, g.slon_r, g.salt_m, az, kick, t_max_s=g.t_max, guidance=guidance)
    t_arr, _, _ = _crossing(tr, g.slat_r, g.slon_r, g.d, FINE_DT_S, g.t_max)
    p = tr.position_ecef(np.where(np.isfinite(t_arr), t_arr, 0.0)[:, None])[:, 0]
    q = np.stack(E.geodetic_to_ecef(plat_r, plon_r, g.palt_m), axis=-1)
    miss = np.where(np.isfinite(t_arr), np.linalg.norm(p - q, axis=-1), np.nan)
    if not found.all():
        sel = np.flatnonzero(~found)
        ts = np.arange(0.0, g.t_max + FINE_DT_S, FINE_DT_S)
        pp = tr[sel].position_ecef(ts)
        dist = np.linalg.norm(pp - q[sel][:, None, :], axis=-1)
        j = np.nanargmin(np.where(np.isfinite(dist), dist, np.inf), axis=1)
        t_arr[sel], miss[sel] = ts[j], dist[np.arange(sel.size), j]
    return FlyoutSolution(found & np.isfinite(t_arr), guidance, kick, np.mod(az, 2 * math.pi), t_arr, miss, tr)


def flyout_tracks(batteries: Sequence[Any], engage_threats: Sequence[Mapping[str, Any]], *, dt_s: float = 5.0,
                  color: str = FLYOUT_COLOR, tol_m: float = 200.0, max_miss_km: float = 5.0) -> list[dict]:
    """The fly-out of every engagement of the engage results, ready for the CZML/KML/GeoJSON exports.

    Parameters
    ----------
    batteries : the scenario's batteries (``DefenceModel.batteries``: ``name``, ``lat_deg``,
        ``lon_deg``, ``alt_km``, ``interceptor.booster``), matched to engagements by name.
    engage_threats : the ``threats`` list of the engage contract (``results["engage"]["threats"]``):
        each ``{threat, engagements: [{battery, interceptor, shot, launch_s, intercept_s,
        intercept_lat_deg, intercept_lon_deg, intercept_altitude_km}]}``.
    dt_s : sampling of the exported path (plus the arrival itself).

    Returns one dict per engagement that has an intercept point, in order:
    ``{name, kind: "interceptor fly-out", threat, battery, interceptor, shot, color,
    t_s, lat_deg, lon_deg, alt_km (arrays: seconds after the threat's launch, from launch_s
    to intercept_s), launch_s, intercept_s, intercept: {t_s, lat_deg, lon_deg, alt_km},
    guidance, kick_deg, azimuth_deg, time_scale, miss_km}``. An engagement whose intercept
    point no fly-out reaches within ``max_miss_km`` (not expected: the engage analysis found
    it reachable) keeps its intercept point with empty arrays and its ``miss_km``.
    """
    by_name = {b.name: b for b in batteries}
    rows = []
    for t in engage_threats:
        for e in t.get("engagements", ()):
            keys = ("launch_s", "intercept_s", "intercept_lat_deg", "intercept_lon_deg", "intercept_altitude_km")
            if any(e.get(k) is None for k in keys) or e.get("battery") not in by_name:
                continue
            rows.append((t["threat"], e, by_name[e["battery"]]))
    if not rows:
        return []
    bats = [b for _, _, b in rows]
    launch = np.array([float(e["launch_s"]) for _, e, _ in rows])
    intercept = np.array([float(e["intercept_s"]) for _, e, _ in rows])
    lat = np.array([float(e["intercept_lat_deg"]) for _, e, _ in rows])
    lon = np.array([float(e["intercept_lon_deg"]) for _, e, _ in rows])
    alt = np.array([float(e["intercept_altitude_km"]) for _, e, _ in rows])
    sol = solve_flyouts([b.interceptor.booster for b in bats], [b.lat_deg for b in bats], [b.lon_deg for b in bats],
                        [float(getattr(b, "alt_km", 0.0) or 0.0) for b in bats], lat, lon, alt, intercept - launch,
                        tol_m=tol_m)
    out = []
    for i, (threat, e, b) in enumerate(rows):
        ok = bool(sol.found[i]) and sol.miss_m[i] <= max_miss_km * 1e3
        t_fly = intercept[i] - launch[i]
        t_arr = float(sol.t_arrival_s[i])
        if ok:
            tau = np.append(np.arange(0.0, t_arr, dt_s), t_arr)
            la, lo, al = sol.trajectory[i].geodetic(tau)
            scale = t_fly / t_arr
            samples = {"t_s": launch[i] + tau * scale, "lat_deg": np.degrees(la[0]),
                       "lon_deg": E.wrap_lon(np.degrees(lo[0]), degrees=True), "alt_km": al[0] / 1e3}
        else:
            scale = float("nan")
            samples = {k: np.empty(0) for k in ("t_s", "lat_deg", "lon_deg", "alt_km")}
        shot = int(e.get("shot", 1))
        out.append({
            "name": f"{e.get('interceptor', 'interceptor')} from {b.name} at {threat} (shot {shot})",
            "kind": "interceptor fly-out", "threat": threat, "battery": b.name,
            "interceptor": e.get("interceptor"), "shot": shot, "color": color, **samples,
            "launch_s": float(launch[i]), "intercept_s": float(intercept[i]),
            "intercept": {"t_s": float(intercept[i]), "lat_deg": float(lat[i]), "lon_deg": float(lon[i]),
                          "alt_km": float(alt[i])},
            "guidance": str(sol.guidance[i]), "kick_deg": round(math.degrees(sol.kick_rad[i]), 3),
            "azimuth_deg": round(math.degrees(sol.azimuth_rad[i]), 3),
            "time_scale": round(float(scale), 5) if math.isfinite(scale) else None,
            "miss_km": round(float(sol.miss_m[i]) / 1e3, 3) if math.isfinite(sol.miss_m[i]) else None,
        })
    return out
