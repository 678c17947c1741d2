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
from .flight import fly_rockets
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
        _lookup(self.t_s, self.v_down, self.v_up, self.az_rad.size, float(self.d_m[1] - self.d_m[0]),
                float(self.h_m[1] - self.h_m[0]), az.ravel(), d.ravel(), h.ravel(), out_t, out_vd, out_vu)
        return out_t.reshape(shape), out_vd.reshape(shape), out_vu.reshape(shape)


@njit(parallel=True, cache=True)
def _lookup(T, VD, VU, na, dd, dh, az, d, h, out_t, out_vd, out_vu):
    nd, nh = T.shape[1], T.shape[2]
    for q in prange(az.size):
        a = (az[q] % (2 * math.pi)) / (2 * math.pi) * na
        ia0 = int(math.floor(a)) % na
        ia1 = (ia0 + 1) % na
        wa = a - math.floor(a)
        x = d[q] / dd
        y = h[q] / dh
        i0 = int(math.floor(x))
        j0 = int(math.floor(y))
        if i0 < 0 or j0 < 0 or i0 + 1 >= nd or j0 + 1 >= nh or not np.isfinite(x) or not np.isfinite(y):
            out_t[q] = np.inf
            out_vd[q] = np.nan
            out_vu[q] = np.nan
            continue
        wx = x - i0
        wy = y - j0
        st = 0.0
        sd = 0.0
        su = 0.0
        ok = True
        for ia, wa_ in ((ia0, 1.0 - wa), (ia1, wa)):
            for di, wx_ in ((0, 1.0 - wx), (1, wx)):
                for dj, wy_ in ((0, 1.0 - wy), (1, wy)):
                    w = wa_ * wx_ * wy_
                    v = T[ia, i0 + di, j0 + dj]
                    if not np.isfinite(v):
                        if w > 0.0:
                            ok = False
                        continue
                    st += w * v
                    sd += w * VD[ia, i0 + di, j0 + dj]
                    su += w * VU[ia, i0 + di, j0 + dj]
        if ok:
            out_t[q] = st
            out_vd[q] = sd
            out_vu[q] = su
        else:
            out_t[q] = np.inf
            out_vd[q] = np.nan
            out_vu[q] = np.nan


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


@njit(parallel=True, cache=True)
def _fill_table(ct, cd, cvd, cvu, dgrid, T, VD, VU):
    """T[i, j] = earliest time over sheets of the kick-interpolated crossing at (d_i, h_j).

    ct, cd, ... are (n_kick, 2, nh): crossings of each kick's trajectory; along kicks,
    downrange at a fixed altitude varies monotonically on each sheet between turning
    points, and every bracketing pair of neighbouring kicks is interpolated.
    """
    nk = ct.shape[0]
    nh = ct.shape[2]
    nd = dgrid.size
    for j in prange(nh):
        for i in range(nd):
            T[i, j] = np.inf
            VD[i, j] = np.nan
            VU[i, j] = np.nan
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
                    if tt < T[i, j]:
                        T[i, j] = tt
                        VD[i, j] = v0d + w * (v1d - v0d)
                        VU[i, j] = v0u + w * (v1u - v0u)


def site_relative(site_lat_rad, site_lon_rad, lat_rad, lon_rad):
    """(downrange m, azimuth rad) of points from a site, on the sphere of radius R_REF."""
    ang = E.central_angle(site_lat_rad, site_lon_rad, lat_rad, lon_rad)
    dl = lon_rad - site_lon_rad
    az = np.arctan2(np.sin(dl) * np.cos(lat_rad),
                    np.cos(site_lat_rad) * np.sin(lat_rad) - np.sin(site_lat_rad) * np.cos(lat_rad) * np.cos(dl))
    return ang * R_REF, np.mod(az, 2 * np.pi)


def _local_components(lat, lon, v_ecef, site_lat, site_lon):
    """Horizontal speed away from the site and vertical speed of ECEF velocities at points."""
    east, north, up = E.enu_basis(lat, lon)
    vu = np.sum(v_ecef * up, axis=-1)
    # Horizontal unit vector pointing away from the site: the back-azimuth + 180 deg.
    dl = site_lon - lon
    back = np.arctan2(np.sin(dl) * np.cos(site_lat),
                      np.cos(lat) * np.sin(site_lat) - np.sin(lat) * np.cos(site_lat) * np.cos(dl))
    away = back + np.pi
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
    tr = fly_rockets(booster, lat0, 0.0, site_alt_km * 1e3, az_all, k_all, t_max_s=t_max_s, guidance=guidance)
    ts = np.arange(0.0, t_max_s + FAN_DT_S, FAN_DT_S)
    # Resample on the 1 s grid a slice of the fan at a time (one azimuth bin of one family), so
    # the peak memory is four (fan x samples) arrays, not a dozen.
    dn = np.empty((tr.n, ts.size))
    alt, vd, vu = np.empty_like(dn), np.empty_like(dn), np.empty_like(dn)
    for start in range(0, tr.n, N_KICK):
        sl = slice(start, min(start + N_KICK, tr.n))
        part = tr[sl]
        lat, lon, alt[sl] = part.geodetic(ts)
        dn[sl], _ = site_relative(lat0, 0.0, lat, lon)
        vd[sl], vu[sl] = _local_components(lat, lon, part.velocity_ecef(ts), lat0, 0.0)
    alt[~np.isfinite(alt)] = np.nan
    d_max = min(float(np.nanmax(dn)) + D_STEP_M, d_max_m)
    h_max = min(float(np.nanmax(alt)) + H_STEP_M, h_max_m)
    dgrid = np.arange(0.0, d_max + D_STEP_M, D_STEP_M)
    hgrid = np.arange(0.0, h_max + H_STEP_M, H_STEP_M)
    n = tr.n
    ct = np.empty((n, 2, hgrid.size))
    cd = np.empty_like(ct)
    cvd = np.empty_like(ct)
    cvu = np.empty_like(ct)
    for i in range(n):  # one compiled call per fan trajectory (a few thousand, once per table)
        _crossings(ts, dn[i], alt[i], vd[i], vu[i], hgrid, ct[i], cd[i], cvd[i], cvu[i])
    T = np.empty((N_AZ, dgrid.size, hgrid.size))
    VD = np.empty_like(T)
    VU = np.empty_like(T)
    Tf, VDf, VUf = np.empty_like(T[0]), np.empty_like(T[0]), np.empty_like(T[0])
    for f in range(nf):
        for a in range(N_AZ):
            start = (f * N_AZ + a) * N_KICK
            sl = slice(start, start + N_KICK)
            if f == 0:
                _fill_table(ct[sl], cd[sl], cvd[sl], cvu[sl], dgrid, T[a], VD[a], VU[a])
                continue
            _fill_table(ct[sl], cd[sl], cvd[sl], cvu[sl], dgrid, Tf, VDf, VUf)
            better = Tf < T[a]
            T[a] = np.where(better, Tf, T[a])
            VD[a] = np.where(better, VDf, VD[a])
            VU[a] = np.where(better, VUf, VU[a])
    vbo, _ = tr[: N_AZ * N_KICK].burnout_relative()
    T, VD, VU = T.astype(np.float32), VD.astype(np.float32), VU.astype(np.float32)
    table = FlyoutTable(az_bins, dgrid, hgrid, T, VD, VU, float(np.nanmedian(tr.t_burnout[: N_AZ * N_KICK])),
                        float(np.nanmax(vbo)),
                        t_max_s)
    if use_cache:
        save_table(path, key, table)
    return table


_TABLE_FIELDS = ("az", "d", "h", "t", "vd", "vu", "tb", "vb", "tmax")


def save_table(path: Path, key: str, table: FlyoutTable) -> bool:
    """Write a table atomically with its key inside; an unwritable cache is reported and skipped."""
    import io as _io

    from .io import atomic_write_bytes

    buf = _io.BytesIO()
    np.savez_compressed(buf, key=np.array(key), az=table.az_rad, d=table.d_m, h=table.h_m, t=table.t_s,
                        vd=table.v_down, vu=table.v_up, tb=table.burnout_time_s, vb=table.burnout_speed_m_s,
                        tmax=table.t_max_s)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, buf.getvalue())
    except OSError as exc:
        _cache.warn(f"fly-out table not cached: cannot write {path} ({exc.strerror or exc})")
        return False
    return True


def load_table(path: Path, key: str) -> FlyoutTable | None:
    """The cached table at ``path`` if it is complete and carries ``key``; else None (with a warning).

    A zip member's CRC-32 catches truncation and corruption; the stored key catches a file
    written by other code or for another booster; the shapes catch a torn table.
    """
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            if set(z.files) != {"key", *_TABLE_FIELDS}:
                raise ValueError(f"fields {sorted(z.files)}")
            if str(z["key"]) != key:
                raise ValueError("key does not match (another code version or booster)")
            az, d, h, t, vd, vu = (z[n] for n in ("az", "d", "h", "t", "vd", "vu"))
            shape = (az.size, d.size, h.size)
            if not (t.shape == vd.shape == vu.shape == shape):
                raise ValueError(f"table shapes {t.shape}, {vd.shape}, {vu.shape} for grid {shape}")
            return FlyoutTable(az, d, h, t, vd, vu, float(z["tb"]), float(z["vb"]), float(z["tmax"]))
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
    kicks = np.linspace(KICK_MIN_RAD, KICK_MAX_RAD, N_KICK)
    k_all = np.tile(kicks, len(_FAMILIES))
    guidance = np.repeat(np.array(_FAMILIES, dtype=object), N_KICK)
    tr = fly_rockets(booster, _BO_LAT_RAD, 0.0, 0.0, _BO_AZ_RAD, k_all, rotation=False, dense=False,
                     t_max_s=booster.burn_time_s + 1.0, guidance=guidance)
    v, _ = tr.burnout_relative()
    tb = tr.t_burnout
    s = tr.burnout_state
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
    from .errors import ScenarioError

    try:
        ok = not isinstance(v_km_s, bool) and math.isfinite(float(v_km_s)) and float(v_km_s) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ScenarioError("burnout_speed_km_s", f"must be a positive finite speed in km/s, got {v_km_s!r}")
    v_km_s = float(v_km_s)
    target = v_km_s * 1e3
    base = interceptor
    v0, _ = flown_burnout_speed(base.booster)
    if abs(v0 - target) < tol_m_s:
        return base
    # Points (factor relative to `base`, flown speed m/s); the factor's log is the variable.
    pts = [(1.0, v0)]
    cur = base.with_burnout_speed(v_km_s, v0 / 1e3)
    lo = hi = None  # (log factor, speed) below / above the target
    for _ in range(12):
        k = cur.isp_scale / base.isp_scale
        v, _ = flown_burnout_speed(cur.booster)
        if abs(v - target) < tol_m_s:
            return cur
        pts.append((k, v))
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
        cur = base.with_isp_scale(math.exp(x_new))
    raise ScenarioError("burnout_speed_km_s",
                        f"{v_km_s} km/s not reached by rescaling {interceptor.name} (last flown {v / 1e3:.3f} km/s)")


def flown_burnout(name: str) -> dict:
    """What ``catalog show`` adds for an interceptor: its flown burnout speed and time
    (``flown_burnout_speed``: the fastest fly-out of the fan, non-rotating Earth)."""
    from . import catalog
    from .interceptor_specs import interceptor_from_catalog

    itc = interceptor_from_catalog(catalog.get(name, kind="interceptor", field="NAME"))
    v, t = flown_burnout_speed(itc.booster)
    return {"burnout_speed_km_s": round(v / 1e3, 3), "burnout_time_s": round(t, 1),
            "ideal_delta_v_km_s": round(itc.ideal_delta_v_m_s / 1e3, 3)}
