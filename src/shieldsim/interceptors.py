"""Interceptor fly-out: fans, time-to-reach tables, and batch intercept solutions.

A fly-out fan is the set of trajectories an interceptor flies from its launcher at many
kick angles (vertical rise, pitch-over, gravity turn, as for threats: ``flight.py``) and
several launch azimuths (the Earth's rotation makes reach depend on direction). It is
reduced once to a table ``T(azimuth, downrange, altitude)``: the shortest time after
launch at which the interceptor can be at that point, with its velocity there. At each
altitude level every fan trajectory crosses once going up (and once coming down, if it
does); between neighbouring kick angles time and downrange vary smoothly, so ``T`` at a
grid point is interpolated across kicks rather than read off the nearest sample. This is
the classic "fly-out fan" of battle-space analysis (e.g. Wilkening, *Science & Global
Security* 8 (2000) 183, fig. 3 [@wilkening-2000]; Lewis & Postol 2007 slides [@lewis-postol-2007-aaas]).

Geometry relative to a site: downrange is the great-circle angle between the site's and
the point's geodetic positions times ``R_REF``, altitude is geodetic; the same mapping
is used for the fan and for the threats, so its small distortion cancels.

A table is built in one compiled parallel region (``_fan_table``): each fan trajectory is
flown, its dense output evaluated at the 1 s grid times and reduced to its altitude crossings
there (``_fan_one``), and the crossings of each azimuth bin filled into the table; no
(fan x grid) array is ever held. The numpy path it replaced (resampling through
``Trajectory.geodetic``, ``site_relative``, ``_local_components``, then ``_crossings``) is kept
as the reference the kernel reproduces to the bit (tests/test_small_batches.py).

Tables are cached on disk (``$SHIELDSIM_CACHE`` or ``~/.cache/shieldsim``), keyed by the
booster's parameters, the site latitude, the grid and the hash of the physics code
(``cache.code_hash``); a file that does not carry its own key, or cannot be read, is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from numba import njit, prange

from . import cache as _cache  # kernels cached per code hash: must precede the decorators
from . import earth as E
from . import flight as F
from .flight import EV_OVERFLOW, N_EV, _hermite, _hermite_position, _integrate_one, fly_rockets
from .vehicles import Rocket

R_REF = 6371008.8  # mean Earth radius (IUGG), m: scale of "downrange" in the tables
# Fan and table resolution: 30-degree azimuth bins (reach varies by ~1 s across 90 degrees of
# azimuth from the Earth's rotation), 160 kicks (0.53 degrees apart) and a 10 km grid keep the
# earliest intercept within 1 s of a brute-force fly-out (tests/validation/test_intercept_bruteforce.py).
N_AZ = 12
N_KICK = 160
KICK_MIN_RAD = math.radians(0.5)
KICK_MAX_RAD = math.radians(85.0)
D_STEP_M = 10e3
H_STEP_M = 10e3
FAN_DT_S = 1.0


@dataclass
class FlyoutTable:
    """Time-to-reach and arrival velocity on an (azimuth, downrange, altitude) grid."""

    az_rad: np.ndarray  # (na,) azimuth bins, 0..2pi (periodic)
    d_m: np.ndarray  # (nd,)
    h_m: np.ndarray  # (nh,)
    t_s: np.ndarray  # (na, nd, nh), inf where unreachable
    v_down: np.ndarray  # (na, nd, nh) horizontal speed away from the site, m/s
    v_up: np.ndarray  # (na, nd, nh) vertical speed, m/s
    burnout_time_s: float
    burnout_speed_m_s: float
    t_max_s: float

    def lookup(self, az, d, h):
        """(time s, v_down, v_up) at points (arrays broadcast); inf where not reachable."""
        az, d, h = np.broadcast_arrays(np.asarray(az, float), np.asarray(d, float), np.asarray(h, float))
        shape = az.shape
        out_t = np.empty(az.size)
        out_vd = np.empty(az.size)
        out_vu = np.empty(az.size)
        kernel = _lookup_serial if az.size <= SERIAL_MAX_LOOKUPS else _lookup
        kernel(self.t_s, self.v_down, self.v_up, self.az_rad.size, float(self.d_m[1] - self.d_m[0]),
               float(self.h_m[1] - self.h_m[0]), az.ravel(), d.ravel(), h.ravel(), out_t, out_vd, out_vu)
        return out_t.reshape(shape), out_vd.reshape(shape), out_vu.reshape(shape)


@njit(cache=True)
def lookup_point(T, VD, VU, na, dd, dh, az, d, h):
    """(time s, v_down, v_up) of one point (``FlyoutTable.lookup``'s interpolation): trilinear
    in (azimuth, downrange, altitude); (inf, NaN, NaN) outside the grid or next to an
    unreachable node."""
    nd, nh = T.shape[1], T.shape[2]
    a = (az % (2 * math.pi)) / (2 * math.pi) * na
    ia0 = int(math.floor(a)) % na
    ia1 = (ia0 + 1) % na
    wa = a - math.floor(a)
    x = d / dd
    y = h / dh
    if not np.isfinite(x) or not np.isfinite(y):
        return np.inf, np.nan, np.nan
    i0 = int(math.floor(x))
    j0 = int(math.floor(y))
    if i0 < 0 or j0 < 0 or i0 + 1 >= nd or j0 + 1 >= nh:
        return np.inf, np.nan, np.nan
    wx = x - i0
    wy = y - j0
    st = 0.0
    sd = 0.0
    su = 0.0
    for ia, wa_ in ((ia0, 1.0 - wa), (ia1, wa)):
        for di, wx_ in ((0, 1.0 - wx), (1, wx)):
            for dj, wy_ in ((0, 1.0 - wy), (1, wy)):
                w = wa_ * wx_ * wy_
                v = T[ia, i0 + di, j0 + dj]
                if not np.isfinite(v):
                    if w > 0.0:
                        return np.inf, np.nan, np.nan
                    continue
                st += w * v
                sd += w * VD[ia, i0 + di, j0 + dj]
                su += w * VU[ia, i0 + di, j0 + dj]
    return st, sd, su


@njit(cache=True)
def _lookup_one(T, VD, VU, na, dd, dh, az, d, h, q, out_t, out_vd, out_vu):
    out_t[q], out_vd[q], out_vu[q] = lookup_point(T, VD, VU, na, dd, dh, az[q], d[q], h[q])


@njit(parallel=True, cache=True)
def _lookup(T, VD, VU, na, dd, dh, az, d, h, out_t, out_vd, out_vu):
    for q in prange(az.size):
        _lookup_one(T, VD, VU, na, dd, dh, az, d, h, q, out_t, out_vd, out_vu)


@njit(cache=True)
def _lookup_serial(T, VD, VU, na, dd, dh, az, d, h, out_t, out_vd, out_vu):
    for q in range(az.size):
        _lookup_one(T, VD, VU, na, dd, dh, az, d, h, q, out_t, out_vd, out_vu)


# Lookups up to this many points run on one thread (no thread-pool start-up and spin-wait).
SERIAL_MAX_LOOKUPS = 20000


@njit(cache=True)
def _crossings(t, dn, h, vd, vu, hgrid, out_t, out_d, out_vd, out_vu):
    """For one fan trajectory: at each altitude level, time/downrange/velocities of the
    ascending (sheet 0) and descending (sheet 1) crossing; NaN if none."""
    n = t.size
    apo = 0
    for i in range(n):
        if h[i] > h[apo]:
            apo = i
    for j in range(hgrid.size):
        hj = hgrid[j]
        for s in range(2):
            out_t[s, j] = np.nan
            out_d[s, j] = np.nan
            out_vd[s, j] = np.nan
            out_vu[s, j] = np.nan
        for i in range(1, apo + 1):
            if h[i - 1] <= hj and h[i] >= hj and h[i] > h[i - 1]:
                w = (hj - h[i - 1]) / (h[i] - h[i - 1])
                out_t[0, j] = t[i - 1] + w * (t[i] - t[i - 1])
                out_d[0, j] = dn[i - 1] + w * (dn[i] - dn[i - 1])
                out_vd[0, j] = vd[i - 1] + w * (vd[i] - vd[i - 1])
                out_vu[0, j] = vu[i - 1] + w * (vu[i] - vu[i - 1])
                break
        for i in range(apo + 1, n):
            if not np.isfinite(h[i]):
                break
            if h[i - 1] >= hj and h[i] <= hj and h[i] < h[i - 1]:
                w = (h[i - 1] - hj) / (h[i - 1] - h[i])
                out_t[1, j] = t[i - 1] + w * (t[i] - t[i - 1])
                out_d[1, j] = dn[i - 1] + w * (dn[i] - dn[i - 1])
                out_vd[1, j] = vd[i - 1] + w * (vd[i] - vd[i - 1])
                out_vu[1, j] = vu[i - 1] + w * (vu[i] - vu[i - 1])
                break


@njit(cache=True)
def _fan_point_velocity(st, c, s, omega, lat, lon, slat):
    """(v_down, v_up, cos(lat)) at one point: ``Trajectory.velocity_ecef`` then
    ``_local_components``, the same operations in the same order (site at longitude 0), so the
    same bits."""
    vx = st[3] + omega * st[1]
    vy = st[4] - omega * st[0]
    vz = st[5]
    ve0 = c * vx + s * vy
    ve1 = (-s) * vx + c * vy
    ve2 = vz
    sl, cl, so, co = math.sin(lat), math.cos(lat), math.sin(lon), math.cos(lon)
    n0, n1, n2 = (-sl) * co, (-sl) * so, cl
    vu = ve0 * (cl * co) + ve1 * (cl * so) + ve2 * sl
    back = E.initial_bearing(lat, lon, slat, 0.0)
    away = back + math.pi
    ca, sa = math.cos(away), math.sin(away)
    vd = ve0 * (ca * n0 + sa * (-so)) + ve1 * (ca * n1 + sa * co) + ve2 * (ca * n2 + sa * 0.0)
    return vd, vu, cl


@njit(cache=True)
def _level_from(hgrid, h):
    """Index of the first level >= h (hgrid ascending and evenly spaced; nh if none)."""
    nh = hgrid.size
    g = 0
    if nh > 1 and h > hgrid[0]:
        x = (h - hgrid[0]) / (hgrid[1] - hgrid[0])
        g = nh if x >= nh else int(math.ceil(x))
    while g > 0 and hgrid[g - 1] >= h:
        g -= 1
    while g < nh and hgrid[g] < h:
        g += 1
    return g


# Bound on the angle between a point's geodetic normal and its geocentric direction (the
# difference of geodetic and geocentric latitude: at most 0.1924 deg, on the ellipsoid at 45 deg,
# and less above it), with a margin: it brackets a fan trajectory's farthest point cheaply.
_NORMAL_TILT_RAD = math.radians(0.25)
# The radial altitude r - R(direction) (``_radial_altitude``) over-estimates the geodetic one by at
# most the fraction 1 - cos(0.1924 deg) = 5.64e-6 of itself (the ellipsoid is convex: it lies
# below the tangent plane where the radius meets it); the bound adds a metre for rounding.
_RADIAL_REL_ERR = 6e-6
_RADIAL_ABS_ERR_M = 1.0
_AB = E.WGS84_A * E.WGS84_B
_A2 = E.WGS84_A * E.WGS84_A
_B2 = E.WGS84_B * E.WGS84_B


@njit(cache=True)
def _radial_altitude(x, y, z):
    """Height above the WGS84 ellipsoid along the radius (not the normal): within
    ``_RADIAL_REL_ERR`` x itself + ``_RADIAL_ABS_ERR_M`` of the geodetic height where positive,
    for a quarter of the cost of the exact one."""
    p2 = x * x + y * y
    z2 = z * z
    r = math.sqrt(p2 + z2)
    return r - _AB * r / math.sqrt(_B2 * p2 + _A2 * z2)


@njit(cache=True)
def _fan_downrange(lat, lon, cos_lat, slat, cos_slat):
    """``site_relative`` downrange of a point from the site (slat, 0): its haversine, same bits."""
    a1 = math.sin((lat - slat) / 2)
    a2 = math.sin((lon - 0.0) / 2)
    a = a1 * a1 + cos_slat * cos_lat * (a2 * a2)
    return 2 * math.asin(math.sqrt(min(max(a, 0.0), 1.0))) * R_REF


@njit(cache=True)
def _fan_exact(q, xq, yq, zq, earth, hv, he, latq, lonq):
    """Exact geodetic coordinates of grid point q (once)."""
    if he[q] != 0.0:
        latq[q], lonq[q], hv[q] = E._geodetic_scalar(xq[q], yq[q], zq[q], earth)
        he[q] = 0.0


@njit(cache=True)
def _fly_fan_member(y0, p, stab, cdv, earth, grav, omega, t_max, ev, bo):
    """One fan trajectory with dense output: (sample times, samples, count), the buffer grown
    until it holds the whole flight."""
    imp = np.empty(6)
    apo_s = np.empty(6)
    cap = 256
    while True:
        bt = np.empty(cap)
        by = np.empty((cap, 12))
        m = _integrate_one(y0, p, stab, cdv, earth, grav, omega, t_max, cap, bt, by, ev, bo, imp, apo_s)
        if ev[EV_OVERFLOW] == 0.0:
            return bt, by, m
        cap *= 4


@njit(cache=True)
def _fan_grid_points(bt, by, m, ts, cth, sth, earth, cos_slat, sin_slat, loq, latq, lonq, xq, yq, zq, hv, he, pq):
    """Pass 1 over the grid times inside the flight (a prefix of the grid, as ts[0] = 0 is the
    launch): the sample interval (``loq``), the position in ECEF, an altitude bracket (hv +- he;
    exact where he == 0) and the cosine of the geocentric angle from the site's normal (``pq``).
    Returns (points inside the flight, smallest cosine)."""
    # The sample interval of each grid time, as the binary search of ``_eval_batch`` finds it
    # (the largest lo <= m - 2 with bt[lo] <= t): walked forward when the times are sorted.
    walk = True
    for j in range(1, m):
        if bt[j] < bt[j - 1]:
            walk = False
    nv = 0
    pmin = 2.0
    lo = 0
    for q in range(ts.size):
        t = ts[q]
        if not (t >= bt[0] and t <= bt[m - 1]):
            break
        nv += 1
        if walk:
            while lo < m - 2 and bt[lo + 1] <= t:
                lo += 1
        else:
            lo = E.bracket(bt, m, t)
        loq[q] = lo
        rx, ry, rz = _hermite_position(bt[lo], bt[lo + 1], by[lo, 0:3], by[lo, 3:6], by[lo + 1, 0:3], by[lo + 1, 3:6],
                                       t)
        c, s = cth[q], sth[q]
        x = c * rx + s * ry
        y = (-s) * rx + c * ry
        xq[q] = x
        yq[q] = y
        zq[q] = rz
        hr = _radial_altitude(x, y, rz) if earth == E.EARTH_WGS84 else -1.0
        if hr > 1000.0:
            hv[q] = hr
            he[q] = _RADIAL_REL_ERR * hr + _RADIAL_ABS_ERR_M
        else:
            he[q] = -1.0
            _fan_exact(q, xq, yq, zq, earth, hv, he, latq, lonq)
        # Within _NORMAL_TILT_RAD of the downrange angle: only points near the smallest cosine
        # can be the farthest.
        pc = (x * cos_slat + rz * sin_slat) / math.sqrt(x * x + y * y + rz * rz)
        pq[q] = pc
        if pc < pmin:
            pmin = pc
    return nv, pmin


@njit(cache=True)
def _fan_apogee(nv, xq, yq, zq, earth, hv, he, latq, lonq):
    """The highest grid point (the first, on ties): exact altitudes wherever the bracket allows it."""
    low = -np.inf
    for q in range(nv):
        if hv[q] - he[q] > low:
            low = hv[q] - he[q]
    apo = -1
    for q in range(nv):
        if hv[q] + he[q] >= low:
            _fan_exact(q, xq, yq, zq, earth, hv, he, latq, lonq)
            if apo < 0 or hv[q] > hv[apo]:
                apo = q
    return apo


@njit(cache=True)
def _fan_farthest(nv, pq, pmin, xq, yq, zq, earth, hv, he, latq, lonq, slat, cos_slat, dq, has_d):
    """The largest downrange at the grid points, among those the geocentric angle cannot rule out."""
    dmax = np.nan
    amax = math.acos(max(-1.0, min(1.0, pmin)))
    thr = math.cos(max(0.0, amax - 2.0 * _NORMAL_TILT_RAD - 1e-9)) + 1e-12
    for q in range(nv):
        if pq[q] <= thr:
            _fan_exact(q, xq, yq, zq, earth, hv, he, latq, lonq)
            dq[q] = _fan_downrange(latq[q], lonq[q], math.cos(latq[q]), slat, cos_slat)
            has_d[q] = True
            if not dq[q] <= dmax:
                dmax = dq[q]
    return dmax


@njit(cache=True)
def _fan_velocity_at(q, bt, by, loq, ts, cth, sth, omega, latq, lonq, slat, cos_slat, dq, vdq, vuq, has_d, has_v,
                     st):
    """Velocity components (and downrange, if missing) at grid point q, once (``st``: scratch)."""
    if has_v[q]:
        return
    lo = loq[q]
    _hermite(bt[lo], bt[lo + 1], by[lo, 0:3], by[lo, 3:6], by[lo, 6:9], by[lo + 1, 0:3], by[lo + 1, 3:6],
             by[lo + 1, 9:12], ts[q], st)
    vdq[q], vuq[q], cl = _fan_point_velocity(st, cth[q], sth[q], omega, latq[q], lonq[q], slat)
    has_v[q] = True
    if not has_d[q]:
        dq[q] = _fan_downrange(latq[q], lonq[q], cl, slat, cos_slat)
        has_d[q] = True


@njit(cache=True)
def _fan_one(y0, p, stab, cdv, earth, grav, omega, t_max, ts, cth, sth, hgrid, slat, cos_slat, sin_slat,
             ct, cd, cvd, cvu, ev, bo):
    """Fly one fan trajectory and write its altitude crossings (``_crossings`` of its 1 s resampling).

    The dense output is evaluated at the grid times ``ts`` with the operations of
    ``Trajectory.geodetic``, ``site_relative`` and ``_local_components``, in the same order
    (the rotation's cos/sin come from numpy), so the same bits, one trajectory at a time:
    nothing (fan x grid) is stored. Every grid point gets a cheap bracket of its altitude
    (``_radial_altitude``); the exact altitude is computed where a level may lie between two
    neighbouring points or the point may be the highest, downrange and the velocity
    components where a crossing interpolates them, and downrange where it may be the
    trajectory's largest. Returns (largest downrange, largest altitude) at the grid times (NaN
    if none), which size the table's grid.
    """
    bt, by, m = _fly_fan_member(y0, p, stab, cdv, earth, grav, omega, t_max, ev, bo)
    nq, nh = ts.size, hgrid.size
    for arr in (ct, cd, cvd, cvu):
        arr[:, :] = np.nan
    if m < 2:
        return np.nan, np.nan
    loq = np.empty(nq, dtype=np.int64)
    latq, lonq, xq, yq, zq = np.empty(nq), np.empty(nq), np.empty(nq), np.empty(nq), np.empty(nq)
    hv = np.empty(nq)  # altitude: exact where he == 0, else the radial one
    he = np.empty(nq)  # its error bound
    pq = np.empty(nq)
    nv, pmin = _fan_grid_points(bt, by, m, ts, cth, sth, earth, cos_slat, sin_slat, loq, latq, lonq, xq, yq, zq, hv,
                                he, pq)
    if nv == 0:
        return np.nan, np.nan
    dq, vdq, vuq = np.empty(nv), np.empty(nv), np.empty(nv)
    st = np.empty(6)
    has_d = np.zeros(nv, dtype=np.bool_)
    has_v = np.zeros(nv, dtype=np.bool_)
    apo = _fan_apogee(nv, xq, yq, zq, earth, hv, he, latq, lonq)
    dmax = _fan_farthest(nv, pq, pmin, xq, yq, zq, earth, hv, he, latq, lonq, slat, cos_slat, dq, has_d)
    # Crossings. Sheet 0: the first rising grid interval up to the highest point that spans each
    # level; sheet 1: the first falling one after it (the loops of ``_crossings``, turned inside
    # out). An interval whose altitude brackets hold no level holds none exactly either.
    for i in range(1, nv):
        j = _level_from(hgrid, min(hv[i - 1] - he[i - 1], hv[i] - he[i]))
        if j >= nh or hgrid[j] > max(hv[i - 1] + he[i - 1], hv[i] + he[i]):
            continue
        _fan_exact(i - 1, xq, yq, zq, earth, hv, he, latq, lonq)
        _fan_exact(i, xq, yq, zq, earth, hv, he, latq, lonq)
        h0, h1 = hv[i - 1], hv[i]
        if (i <= apo and not h1 > h0) or (i > apo and not h1 < h0):
            continue
        sh, j, top = (0, _level_from(hgrid, h0), h1) if i <= apo else (1, _level_from(hgrid, h1), h0)
        while j < nh and hgrid[j] <= top:
            if np.isnan(ct[sh, j]):
                for q in (i - 1, i):
                    _fan_velocity_at(q, bt, by, loq, ts, cth, sth, omega, latq, lonq, slat, cos_slat, dq, vdq, vuq,
                                     has_d, has_v, st)
                hj = hgrid[j]
                w = (hj - h0) / (h1 - h0) if sh == 0 else (h0 - hj) / (h0 - h1)
                ct[sh, j] = ts[i - 1] + w * (ts[i] - ts[i - 1])
                cd[sh, j] = dq[i - 1] + w * (dq[i] - dq[i - 1])
                cvd[sh, j] = vdq[i - 1] + w * (vdq[i] - vdq[i - 1])
                cvu[sh, j] = vuq[i - 1] + w * (vuq[i] - vuq[i - 1])
            j += 1
    return dmax, hv[apo]


@njit(cache=True)
def _fill_column(ct, cd, cvd, cvu, j, dgrid, T, VD, VU):
    """Level j of ``_fill_table``: T[i] = earliest time over sheets of the kick-interpolated
    crossing at (d_i, h_j), VD and VU the velocities there (T, VD, VU: one column each)."""
    nk = ct.shape[0]
    nd = dgrid.size
    for i in range(nd):
        T[i] = np.inf
        VD[i] = np.nan
        VU[i] = np.nan
    for s in range(3):
        for k in range(nk - 1 if s < 2 else nk):
            if s < 2:
                d0, d1 = cd[k, s, j], cd[k + 1, s, j]
                t0, t1 = ct[k, s, j], ct[k + 1, s, j]
                v0d, v1d = cvd[k, s, j], cvd[k + 1, s, j]
                v0u, v1u = cvu[k, s, j], cvu[k + 1, s, j]
            else:
                # Apex gap: between the ascending and descending crossings of the last
                # kick that reaches this altitude (the next flatter one does not), the
                # fan's edge runs nearly level; interpolate along that kick itself.
                if k + 1 < nk and np.isfinite(ct[k + 1, 0, j]):
                    continue
                d0, d1 = cd[k, 0, j], cd[k, 1, j]
                t0, t1 = ct[k, 0, j], ct[k, 1, j]
                v0d, v1d = cvd[k, 0, j], cvd[k, 1, j]
                v0u, v1u = cvu[k, 0, j], cvu[k, 1, j]
            if not (np.isfinite(d0) and np.isfinite(d1) and np.isfinite(t0) and np.isfinite(t1)):
                continue
            lo, hi = min(d0, d1), max(d0, d1)
            ilo = int(math.ceil(lo / (dgrid[1] - dgrid[0])))
            ihi = int(math.floor(hi / (dgrid[1] - dgrid[0])))
            for i in range(max(ilo, 0), min(ihi, nd - 1) + 1):
                w = 0.0 if hi == lo else (dgrid[i] - d0) / (d1 - d0)
                tt = t0 + w * (t1 - t0)
                if tt < T[i]:
                    T[i] = tt
                    VD[i] = v0d + w * (v1d - v0d)
                    VU[i] = v0u + w * (v1u - v0u)


@njit(parallel=True, cache=True)
def _fill_table(ct, cd, cvd, cvu, dgrid, T, VD, VU):
    """T[i, j] = earliest time over sheets of the kick-interpolated crossing at (d_i, h_j).

    ct, cd, ... are (n_kick, 2, nh): crossings of each kick's trajectory; along kicks,
    downrange at a fixed altitude varies monotonically on each sheet between turning
    points, and every bracketing pair of neighbouring kicks is interpolated.
    """
    for j in prange(ct.shape[2]):
        _fill_column(ct, cd, cvd, cvu, j, dgrid, T[:, j], VD[:, j], VU[:, j])


@njit(parallel=True, cache=True)
def _fan_table(y0, params, stabs, cdvs, earth, grav, omega, t_max, ts, cth, sth, hgrid, dgrid, slat, cos_slat, sin_slat,
               n_kick, nf, T, VD, VU, ev, bo, dmax, hmax):
    """The whole fly-out table in one parallel region, one azimuth bin per task.

    Trajectory i = (f * n_az + a) * n_kick + k (family f, azimuth bin a, kick k). Per bin:
    ``_fan_one`` for its nf x n_kick fly-outs, then per level ``_fill_column`` per family, the
    families merged by the earlier time (the first family on ties), written as float32 into
    T, VD, VU (n_az, nd, nh). Only one bin's crossings per thread are held.
    """
    n_az = T.shape[0]
    nh = hgrid.size
    nd = dgrid.size
    for a in prange(n_az):
        ct = np.empty((nf * n_kick, 2, nh))
        cd = np.empty_like(ct)
        cvd = np.empty_like(ct)
        cvu = np.empty_like(ct)
        for f in range(nf):
            for k in range(n_kick):
                i = (f * n_az + a) * n_kick + k
                r = f * n_kick + k
                dmax[i], hmax[i] = _fan_one(y0[i], params[i], stabs[i], cdvs[i], earth, grav, omega, t_max, ts, cth,
                                            sth, hgrid, slat, cos_slat, sin_slat, ct[r], cd[r], cvd[r], cvu[r], ev[i],
                                            bo[i])
        col = np.empty((3, nd))
        colf = np.empty((3, nd))
        for j in range(nh):
            _fill_column(ct[0:n_kick], cd[0:n_kick], cvd[0:n_kick], cvu[0:n_kick], j, dgrid, col[0], col[1], col[2])
            for f in range(1, nf):
                sl = slice(f * n_kick, (f + 1) * n_kick)
                _fill_column(ct[sl], cd[sl], cvd[sl], cvu[sl], j, dgrid, colf[0], colf[1], colf[2])
                for i in range(nd):
                    if colf[0, i] < col[0, i]:
                        col[0, i] = colf[0, i]
                        col[1, i] = colf[1, i]
                        col[2, i] = colf[2, i]
            for i in range(nd):
                T[a, i, j] = col[0, i]
                VD[a, i, j] = col[1, i]
                VU[a, i, j] = col[2, i]


def site_relative(site_lat_rad, site_lon_rad, lat_rad, lon_rad):
    """(downrange m, azimuth rad) of points from a site, on the sphere of radius R_REF."""
    ang = E.central_angle(site_lat_rad, site_lon_rad, lat_rad, lon_rad)
    return ang * R_REF, np.mod(E.initial_bearing(site_lat_rad, site_lon_rad, lat_rad, lon_rad), 2 * np.pi)


def _local_components(lat, lon, v_ecef, site_lat, site_lon):
    """Horizontal speed away from the site and vertical speed of ECEF velocities at points."""
    east, north, up = E.enu_basis(lat, lon)
    vu = np.sum(v_ecef * up, axis=-1)
    # Horizontal unit vector pointing away from the site: the back-azimuth + 180 deg.
    away = E.initial_bearing(lat, lon, site_lat, site_lon) + np.pi
    hdir = np.cos(away)[..., None] * north + np.sin(away)[..., None] * east
    vd = np.sum(v_ecef * hdir, axis=-1)
    return vd, vu


def _cache_dir() -> Path:
    return _cache.cache_root()


def _key(booster: Rocket, site_lat_deg: float, site_alt_km: float, t_max_s) -> str:
    payload = json.dumps({"code": _cache.code_hash(), "rocket": asdict(booster), "lat": round(site_lat_deg, 1),
                          "alt": round(site_alt_km, 2), "tmax": t_max_s, "grid": [N_AZ, N_KICK, D_STEP_M, H_STEP_M]},
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def build_table(booster: Rocket, site_lat_deg: float, site_alt_km: float = 0.0, *, t_max_s: float = 1500.0,
                h_max_m: float = 3000e3, d_max_m: float = 6500e3, use_cache: bool = True) -> FlyoutTable:
    """Fly the fan from a site at (site_lat_deg, any longitude) and reduce it to a table.

    Limits: 1,500 s of fly-out (longer than any intercept window of a 30-minute ICBM after a
    commit), 3,000 km altitude (above every catalog kill vehicle's ceiling, 2,000 km at most)
    and 6,500 km downrange (what a 10 km/s interceptor covers in that time).

    Longitude does not matter (the Earth is symmetric about its axis); latitude does,
    through the rotation and the ellipsoid.
    """
    key = _key(booster, site_lat_deg, site_alt_km, (t_max_s, h_max_m, d_max_m))
    path = _cache_dir() / f"fan-{key}.npz"
    if use_cache:
        table = load_table(path, key)
        if table is not None:
            return table
    lat0 = math.radians(site_lat_deg)
    az_bins = np.arange(N_AZ) * 2 * math.pi / N_AZ
    kicks = np.linspace(KICK_MIN_RAD, KICK_MAX_RAD, N_KICK)
    # Two guidance families: the booster's gravity turn after a short pitch-over, and a
    # steered fly-out holding the thrust at the kick angle from the local vertical for the
    # whole burn: the flat, low paths a high-thrust booster cannot fly by a gravity turn.
    families = ("gravity-turn", "hold-pitch")
    nf = len(families)
    az_all = np.tile(np.repeat(az_bins, N_KICK), nf)
    k_all = np.tile(kicks, N_AZ * nf)
    guidance = np.repeat(np.array(families, dtype=object), N_AZ * N_KICK)
    y0, params, stabs, cdvs, lat_all, lon_all, ecode = F._pack_rockets(booster, lat0, 0.0, site_alt_km * 1e3, az_all,
                                                                       k_all, np.inf, "wgs84", True, guidance)
    n = az_all.size
    omega = E.OMEGA_EARTH
    grav = F._gravity_code(None, ecode)
    ts = np.arange(0.0, t_max_s + FAN_DT_S, FAN_DT_S)
    th = omega * ts  # the rotation to ECEF at the grid times, as E.eci_to_ecef computes it
    cth, sth = np.cos(th), np.sin(th)
    # The grids at their largest; each is cropped at the end to the fan's reach (the fan's
    # largest downrange and altitude at the grid times, plus one step), which sizes them as
    # before. Crossings and the table are computed level by level and point by point, so a
    # cropped grid's values are those of a grid built to that size in the first place.
    dgrid_max = np.arange(0.0, d_max_m + D_STEP_M, D_STEP_M)
    hgrid_max = np.arange(0.0, h_max_m + H_STEP_M, H_STEP_M)
    ev = np.empty((n, N_EV))
    bo = np.full((n, 6), np.nan)
    dmax = np.empty(n)
    hmax = np.empty(n)
    T, VD, VU = (np.empty((N_AZ, dgrid_max.size, hgrid_max.size), np.float32) for _ in range(3))
    _fan_table(y0, params, stabs, cdvs, ecode, grav, omega, float(t_max_s), ts, cth, sth, hgrid_max, dgrid_max, lat0,
               math.cos(lat0), math.sin(lat0), N_KICK, nf, T, VD, VU, ev, bo, dmax, hmax)
    d_max = min(float(np.nanmax(dmax)) + D_STEP_M, d_max_m)
    h_max = min(float(np.nanmax(hmax)) + H_STEP_M, h_max_m)
    dgrid = np.arange(0.0, d_max + D_STEP_M, D_STEP_M)
    hgrid = np.arange(0.0, h_max + H_STEP_M, H_STEP_M)
    nd, nh = dgrid.size, hgrid.size
    assert np.array_equal(dgrid, dgrid_max[:nd]) and np.array_equal(hgrid, hgrid_max[:nh])
    T, VD, VU = (np.ascontiguousarray(x[:, :nd, :nh]) for x in (T, VD, VU))
    nfam0 = N_AZ * N_KICK
    fam0 = F.Trajectory(np.empty((nfam0, 0)), np.empty((nfam0, 0, 12)), np.zeros(nfam0, np.int64), ev[:nfam0],
                        bo[:nfam0], np.full((nfam0, 6), np.nan), np.full((nfam0, 6), np.nan), lat_all[:nfam0],
                        lon_all[:nfam0], ecode, True)
    vbo, _ = fam0.burnout_relative()
    table = FlyoutTable(az_bins, dgrid, hgrid, T, VD, VU, float(np.nanmedian(fam0.t_burnout)), float(np.nanmax(vbo)),
                        t_max_s)
    if use_cache:
        save_table(path, key, table)
    return table


_TABLE_FIELDS = ("az", "d", "h", "t", "vd", "vu", "tb", "vb", "tmax")


def save_table(path: Path, key: str, table: FlyoutTable) -> bool:
    """Write a table atomically with its key inside; an unwritable cache is reported and skipped.

    Stored, not deflated: float32 times and speeds compress by 15 % at 1.3 s of CPU per table
    (as long as building it); each member still carries its CRC-32."""
    import io as _io

    from .io import atomic_write_bytes

    buf = _io.BytesIO()
    arrays = {n: np.asarray(v) for n, v in zip(_TABLE_FIELDS, (
        table.az_rad, table.d_m, table.h_m, table.t_s, table.v_down, table.v_up, table.burnout_time_s,
        table.burnout_speed_m_s, table.t_max_s))}
    np.savez(buf, key=np.array(key), **arrays, sum=np.array(_cache.checksum(arrays)))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, buf.getvalue())
    except OSError as exc:  # unwritable or full: one warning per folder, the command goes on
        _cache.cache_write_failed(path.parent, exc, "fly-out table")
        return False
    return True


def load_table(path: Path, key: str) -> FlyoutTable | None:
    """The cached table at ``path`` if it is complete and carries ``key``; else None (with a warning).

    A zip member's CRC-32 catches truncation and corruption; the stored key catches a file
    written by other code or for another booster; the stored checksum (``cache.checksum``) and
    ``cache.check_flyout_arrays`` (shapes, finite grids and values) catch a torn or altered table.
    """
    try:
        if not path.is_file():
            return None
    except OSError:  # an unreadable cache folder: no table from it
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            if set(z.files) != {"key", "sum", *_TABLE_FIELDS}:
                raise ValueError(f"fields {sorted(z.files)}")
            if str(z["key"]) != key:
                raise ValueError("key does not match (another code version or booster)")
            arrays = {n: z[n] for n in _TABLE_FIELDS}
            if str(z["sum"]) != _cache.checksum(arrays):
                raise ValueError("checksum does not match the arrays")
            _cache.check_flyout_arrays(arrays)
            az, d, h, t, vd, vu = (arrays[n] for n in ("az", "d", "h", "t", "vd", "vu"))
            return FlyoutTable(az, d, h, t, vd, vu, float(arrays["tb"]), float(arrays["vb"]), float(arrays["tmax"]))
    except Exception as exc:  # any unreadable file is rebuilt, never trusted
        _cache.warn(f"fly-out table cache {path.name} is unusable ({type(exc).__name__}: {exc}); rebuilding it")
        return None


def reach(table: FlyoutTable, site_lat_deg: float, site_lon_deg: float, lat_deg, lon_deg, alt_km, t_available_s):
    """Whether the interceptor can be at each point within ``t_available_s`` of launch (bulk).

    Returns (reachable bool array, time needed s)."""
    d, az = site_relative(math.radians(site_lat_deg), math.radians(site_lon_deg), np.radians(lat_deg),
                          np.radians(lon_deg))
    t, _, _ = table.lookup(az, d, np.asarray(alt_km, float) * 1e3)
    return t <= np.asarray(t_available_s, float), t


# --- interceptor burnout speed: flown, and rescaled -------------------------------------------
# Where the burnout speed is measured: a fixed launch point and azimuth on a NON-rotating Earth
# (WGS84 + J2), so the figure does not depend on the direction of fire; 45 deg N, due east.
_BO_LAT_RAD = math.radians(45.0)
_BO_AZ_RAD = math.radians(90.0)
_FAMILIES = ("gravity-turn", "hold-pitch")


def flown_burnout_speed(booster: Rocket) -> tuple[float, float]:
    """(speed m/s, time s) at burnout: the largest burnout speed over the fly-out fan.

    Definition: the booster is flown at every kick of the fan ``build_table`` flies
    (``N_KICK`` kicks from ``KICK_MIN_RAD`` to ``KICK_MAX_RAD``, both guidance families,
    gravity turn and hold-pitch) from 45 deg N due east on a non-rotating WGS84 Earth with
    J2, and the burnout speed is the largest of their speeds at the end of powered flight
    (inertial = Earth-relative without rotation, so it does not depend on the azimuth);
    the time is that trajectory's burnout time. Fly-outs that hit the ground before burnout
    or are falling at burnout (flight-path angle below zero) do not count; where the fastest
    climbing one borders a falling one (low thrust), the speed is interpolated between the
    two kicks to flight-path angle zero.

    Why this one: it is the interceptor's capability figure, "the fastest it can be going
    when the motors stop", and it is the speed the fan (and so every time-to-reach table)
    actually reaches, less the Earth's rotation (``FlyoutTable.burnout_speed_m_s`` is the
    gravity-turn maximum with rotation, up to ~0.3 km/s more firing east). It is a maximum
    over a fixed set of fly-outs, so it is continuous and, with the border interpolation,
    increasing in the booster's Isp (checked for every catalog interceptor at Isp factors
    0.4-1.6, e.g. the GBIs from 2 to 13-15 km/s). The earlier definition, the burnout
    speed of the maximum-RANGE fly-out (the missiles' convention), broke down for boosters
    that approach orbital speed: range maximisation saturates or wraps around the globe
    above about 7.9 km/s, so the three-stage GBI (ideal delta-v 1.4 km/s higher) came out
    slower than the two-stage (7.87 vs 7.88 km/s) and rescaling above 7.9 km/s was
    unreliable. A fixed burnout flight-path angle was rejected: the short-burn SM-3 and
    THAAD boosters reach their best speed only on steep fly-outs (they burn out inside the
    atmosphere) while the GBIs reach theirs on flat ones, so no one angle is typical of all.
    """
    return _flown_burnout_speeds([booster])[0]


# Flown burnout speeds already computed in this process, by booster (a frozen dataclass: equal
# boosters fly the same fan): the rescaling search asks for its base booster's at every speed.
_FLOWN_CACHE: dict = {}
_FLOWN_CACHE_MAX = 512


def _flown_burnout_speeds(boosters) -> list[tuple[float, float]]:
    """``flown_burnout_speed`` of several boosters, their fans flown in one batch (each
    trajectory is integrated on its own, so the answers are those of one call per booster)."""
    out: list = [None] * len(boosters)
    todo = []
    grid = (N_KICK, KICK_MIN_RAD, KICK_MAX_RAD, _FAMILIES, _BO_LAT_RAD, _BO_AZ_RAD)
    for i, b in enumerate(boosters):
        try:
            out[i] = _FLOWN_CACHE.get((b, grid))
        except TypeError:  # an unhashable booster: not cached
            pass
        if out[i] is None:
            todo.append(i)
    if todo:
        fly = [boosters[i] for i in todo]
        nf = len(_FAMILIES)
        kicks = np.linspace(KICK_MIN_RAD, KICK_MAX_RAD, N_KICK)
        k_all = np.tile(kicks, nf * len(fly))
        guidance = np.tile(np.repeat(np.array(_FAMILIES, dtype=object), N_KICK), len(fly))
        # The flight ends 1 s after the longest burn of the batch (burnout is a step boundary, so
        # where a flight stops after it changes nothing at burnout).
        tr = fly_rockets([b for b in fly for _ in range(nf * N_KICK)], _BO_LAT_RAD, 0.0, 0.0, _BO_AZ_RAD, k_all,
                         rotation=False, dense=False, t_max_s=max(b.burn_time_s for b in fly) + 1.0, guidance=guidance)
        v_all, _ = tr.burnout_relative()
        for j, i in enumerate(todo):
            sl = slice(j * nf * N_KICK, (j + 1) * nf * N_KICK)
            out[i] = _burnout_speed_of_fan(boosters[i], v_all[sl], tr.t_burnout[sl], tr.burnout_state[sl])
            try:
                if len(_FLOWN_CACHE) >= _FLOWN_CACHE_MAX:
                    _FLOWN_CACHE.pop(next(iter(_FLOWN_CACHE)))
                _FLOWN_CACHE[(boosters[i], grid)] = out[i]
            except TypeError:
                pass
    return out


def _burnout_speed_of_fan(booster: Rocket, v, tb, s) -> tuple[float, float]:
    """The reduction of ``flown_burnout_speed`` over one booster's fan (v, t_burnout, burnout states)."""
    r_dot_v = np.sum(s[:, :3] * s[:, 3:], axis=1)
    sin_gamma = r_dot_v / (np.linalg.norm(s[:, :3], axis=1) * np.linalg.norm(s[:, 3:], axis=1))
    v, tb, sin_gamma = (a.reshape(len(_FAMILIES), N_KICK) for a in (v, tb, sin_gamma))
    # A fly-out that met the ground before its motors stopped has no burnout; one falling
    # at burnout (a marginal-thrust booster whose gravity turn tipped over) is no interceptor
    # fly-out: part of its speed is the fall's.
    burnt = np.isfinite(v) & np.isfinite(tb) & np.isfinite(sin_gamma)
    ok = burnt & (sin_gamma >= 0.0)
    if not np.any(ok):
        from .errors import ShieldsimError

        raise ShieldsimError(f"{booster.name}: no fly-out of the fan is climbing at burnout")
    cand_v = np.where(ok, v, -np.inf)
    cand_t = tb
    # Where the fastest climbing fly-out borders a falling one (a low-thrust booster), the
    # maximum lies on that border: interpolate between the neighbouring kicks to burnout
    # flight-path angle zero, so that the speed does not jump from kick to kick and stays
    # increasing in Isp (a sawtooth of up to 0.6 km/s otherwise, GBIs below ~4 km/s).
    a, b = sin_gamma[:, :-1], sin_gamma[:, 1:]
    border = burnt[:, :-1] & burnt[:, 1:] & ((a >= 0.0) != (b >= 0.0))
    w = np.where(border, a / np.where(border, a - b, 1.0), 0.0)
    edge_v = np.where(border, v[:, :-1] + w * (v[:, 1:] - v[:, :-1]), -np.inf)
    edge_t = np.where(border, tb[:, :-1] + w * (tb[:, 1:] - tb[:, :-1]), np.nan)
    all_v = np.concatenate([cand_v.ravel(), edge_v.ravel()])
    all_t = np.concatenate([cand_t.ravel(), edge_t.ravel()])
    i = int(np.argmax(all_v))
    return float(all_v[i]), float(all_t[i])


def at_burnout_speed(interceptor, v_km_s: float, tol_m_s: float = 2.0):
    """The interceptor with its stages rescaled (every stage's Isp by one factor,
    ``Interceptor.with_burnout_speed``) so that its flown burnout speed
    (``flown_burnout_speed``) is ``v_km_s`` within ``tol_m_s``.

    The first step keeps the flown loss budget (ideal delta-v minus flown speed); then a
    safeguarded secant on the log of the Isp factor, regula falsi inside the bracket once
    the target is straddled (the flown speed increases with the factor): 2-5 flights of the
    fan (0.1 s each) for the GBIs at 3-11 km/s. Raises ``ScenarioError`` naming
    ``burnout_speed_km_s`` for a speed that is not a positive number, one below the loss
    budget, or one the iteration does not reach.
    """
    return at_burnout_speeds(interceptor, [v_km_s], tol_m_s)[0]


def at_burnout_speeds(interceptor, speeds_km_s, tol_m_s: float = 2.0) -> list:
    """``at_burnout_speed`` at several speeds: the searches run side by side, each iteration
    flying the fans of every speed still searching in one batch. Each speed's sequence of
    factors is that of its own ``at_burnout_speed`` call, so are the answers."""
    from .errors import ScenarioError

    targets = []
    for v_km_s in speeds_km_s:
        try:
            ok = not isinstance(v_km_s, bool) and math.isfinite(float(v_km_s)) and float(v_km_s) > 0
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ScenarioError("burnout_speed_km_s", f"must be a positive finite speed in km/s, got {v_km_s!r}")
        targets.append(float(v_km_s))
    base = interceptor
    v0, _ = flown_burnout_speed(base.booster)
    result: list = [None] * len(targets)
    # Per speed still searching: [target m/s, points (factor relative to `base`, flown speed m/s),
    # current interceptor, lo, hi, last flown speed]; the factor's log is the variable.
    state = {}
    for n, v_km_s in enumerate(targets):
        if abs(v0 - v_km_s * 1e3) < tol_m_s:
            result[n] = base
        else:
            state[n] = [v_km_s * 1e3, [(1.0, v0)], base.with_burnout_speed(v_km_s, v0 / 1e3), None, None, v0]
    for _ in range(12):
        if not state:
            break
        order = list(state)
        flown = _flown_burnout_speeds([state[n][2].booster for n in order])
        for n, (v, _) in zip(order, flown):
            target, pts, cur, lo, hi, _ = state[n]
            state[n][5] = v
            if abs(v - target) < tol_m_s:
                result[n] = cur
                del state[n]
                continue
            pts.append((cur.isp_scale / base.isp_scale, v))
            for kk, vv in pts:
                x = math.log(kk)
                if vv < target and (lo is None or x > lo[0]):
                    lo = (x, vv)
                if vv > target and (hi is None or x < hi[0]):
                    hi = (x, vv)
            (x1, v1), (x2, v2) = ((math.log(a), b) for a, b in pts[-2:])
            x_new = x2 + (target - v2) * (x2 - x1) / (v2 - v1) if v2 != v1 else x2
            if lo is not None and hi is not None and not (lo[0] < x_new < hi[0]):
                x_new = lo[0] + (target - lo[1]) * (hi[0] - lo[0]) / (hi[1] - lo[1])  # regula falsi inside the bracket
            state[n][2:5] = [base.with_isp_scale(math.exp(x_new)), lo, hi]
    for n in sorted(state):
        raise ScenarioError("burnout_speed_km_s", f"{targets[n]} km/s not reached by rescaling {interceptor.name} "
                            f"(last flown {state[n][5] / 1e3:.3f} km/s)")
    return result


def flown_burnout(name: str) -> dict:
    """What ``catalog show`` adds for an interceptor: its flown burnout speed and time
    (``flown_burnout_speed``: the fastest fly-out of the fan, non-rotating Earth)."""
    from . import catalog
    from .interceptor_specs import interceptor_from_catalog

    itc = interceptor_from_catalog(catalog.get(name, kind="interceptor", field="NAME"))
    v, t = flown_burnout_speed(itc.booster)
    return {"burnout_speed_km_s": round(v / 1e3, 3), "burnout_time_s": round(t, 1),
            "ideal_delta_v_km_s": round(itc.ideal_delta_v_m_s / 1e3, 3)}
