"""Brute-force time to reach a point, shared by the intercept and reach consistency checks.

For each point, fly the interceptor straight at the point's bearing from the site over a
dense scan of kick angles, with both fly-out guidance families of ``interceptors.py``
(gravity turn, hold pitch). Each kick's trajectory gives the altitude and time at which its
downrange first reaches the point's downrange; between neighbouring kicks whose altitude
there brackets the point's, time is interpolated. This is the dual of the fan table's
construction (which interpolates across kicks at a fixed altitude) and uses the exact
bearing instead of azimuth bins.
"""

import math

import numpy as np

from shieldsim.flight import GUIDANCE, fly_rockets
from shieldsim.interceptors import KICK_MAX_RAD, KICK_MIN_RAD, site_relative


# Points per batch: the resampled fly-outs take 2 families x points x kicks x samples x ~10 floats;
# batches keep that near 200 MB whatever the number of points (one batch of all points took 10 GB).
MAX_FLOATS_PER_BATCH = 25_000_000


def direct_time_to_reach(booster, site_lat_deg, site_lon_deg, site_alt_km, lat, lon, alt, *, n_kick, ts,
                         velocity=False):
    """Shortest direct fly-out time (s) to points given in radians and metres; inf if never.

    ``ts`` are the fly-out sample times (s after launch), linearly interpolated between.
    With ``velocity``, also the interceptor's ECEF velocity (m, 3) on arrival by that
    fastest path (interpolated the same way; NaN where never reached). Points are worked in
    batches of bounded memory.
    """
    lat, lon, alt = (np.atleast_1d(np.asarray(a, float)) for a in (lat, lon, alt))
    per_point = len(GUIDANCE) * n_kick * ts.size * 10
    step = max(1, MAX_FLOATS_PER_BATCH // per_point)
    parts = [_direct_batch(booster, site_lat_deg, site_lon_deg, site_alt_km, lat[i:i + step], lon[i:i + step],
                           alt[i:i + step], n_kick=n_kick, ts=ts, velocity=velocity)
             for i in range(0, lat.size, step)]
    if not velocity:
        return np.concatenate(parts)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _direct_batch(booster, site_lat_deg, site_lon_deg, site_alt_km, lat, lon, alt, *, n_kick, ts, velocity):
    slat, slon = math.radians(site_lat_deg), math.radians(site_lon_deg)
    d, az = site_relative(slat, slon, lat, lon)
    m, nf = lat.size, len(GUIDANCE)
    kicks = np.linspace(KICK_MIN_RAD, KICK_MAX_RAD, n_kick)
    tr = fly_rockets(booster, slat, slon, site_alt_km * 1e3, np.tile(np.repeat(az, n_kick), nf),
                     np.tile(kicks, m * nf), t_max_s=float(ts[-1]) + 10.0,
                     guidance=np.repeat(np.array(GUIDANCE, dtype=object), m * n_kick))
    plat, plon, palt = tr.geodetic(ts)
    pd, _ = site_relative(slat, slon, plat, plon)
    shape = (nf, m, n_kick, ts.size)
    pd = np.where(np.isfinite(pd), pd, -1.0).reshape(shape)
    palt = palt.reshape(shape)
    # Per (family, point, kick): altitude and time when the downrange first reaches the point's.
    reached = pd >= d[None, :, None, None]
    has = reached.any(axis=-1)
    j = np.argmax(reached, axis=-1)
    j0 = np.maximum(j - 1, 0)
    take = lambda a, idx: np.take_along_axis(a, idx[..., None], axis=-1)[..., 0]  # noqa: E731
    d1, d0 = take(pd, j), take(pd, j0)
    w = (d[None, :, None] - d0) / np.where(d1 == d0, 1.0, d1 - d0)
    h_at = np.where(has & (j > 0), take(palt, j0) + w * (take(palt, j) - take(palt, j0)), np.nan)
    t_at = ts[j0] + w * (ts[j] - ts[j0])
    # Roots in kick of h_at - alt: interpolate the time between the bracketing kicks.
    f = h_at - alt[None, :, None]
    fa, fb = f[..., :-1], f[..., 1:]
    cross = np.isfinite(fa) & np.isfinite(fb) & ((fa > 0) != (fb > 0))
    u = np.where(cross, fa / np.where(cross, fa - fb, 1.0), 0.0)
    t_cross = np.where(cross, t_at[..., :-1] + u * (t_at[..., 1:] - t_at[..., :-1]), np.inf)
    best = t_cross.min(axis=(0, 2))
    if not velocity:
        return best
    pv = tr.velocity_ecef(ts).reshape(shape + (3,))
    tk = lambda a, idx: np.take_along_axis(a, idx[..., None, None], axis=-2)[..., 0, :]  # noqa: E731
    v_at = tk(pv, j0) + w[..., None] * (tk(pv, j) - tk(pv, j0))  # (nf, m, n_kick, 3)
    v_cross = v_at[..., :-1, :] + u[..., None] * (v_at[..., 1:, :] - v_at[..., :-1, :])
    flat = np.moveaxis(t_cross, 1, 0).reshape(m, -1)
    k = np.argmin(flat, axis=1)
    vflat = np.moveaxis(v_cross, 1, 0).reshape(m, -1, 3)
    v = vflat[np.arange(m), k]
    return best, np.where(np.isfinite(best)[:, None], v, np.nan)
