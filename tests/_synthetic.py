"""Synthetic trajectories with the ``shieldsim.flight.Trajectory`` interface, for sensor tests.

Each is exact for its own idealised motion, so geometry tests have closed-form answers:
* ``vertical_rise``: a point rising along the ellipsoid normal at constant speed;
* ``equatorial_circle``: a point circling the equator at constant altitude (the WGS84
  equator is a circle of radius a, so sphere formulas are exact there);
* ``kepler_arcs``: a boost (cubic Hermite from rest on the pad to a burnout state) followed by
  a point-mass Kepler coast in the inertial frame, seen in ECEF (Earth turning), to impact on
  the ellipsoid. The coast uses the f and g functions in eccentric anomaly (Bate, Mueller &
  White, *Fundamentals of Astrodynamics*, sec. 4.5).
"""

from __future__ import annotations

import numpy as np

from shieldsim.earth import (
    GM,
    OMEGA_EARTH,
    WGS84_A,
    ecef_to_eci,
    ecef_to_geodetic,
    eci_to_ecef,
    enu_basis,
    geodesic_forward,
    geodetic_to_ecef,
)

_OMEGA = np.array([0.0, 0.0, OMEGA_EARTH])


class SyntheticTrajectory:
    """A batch of n flights given by position and velocity functions of t (n, k)."""

    def __init__(self, pos_fn, vel_fn, t_impact, t_burnout=None):
        self._pos = pos_fn
        self._vel = vel_fn
        self.t_impact = np.asarray(t_impact, dtype=float)
        self.n = self.t_impact.size
        self.t_burnout = np.full(self.n, np.nan) if t_burnout is None else np.asarray(t_burnout, dtype=float)

    def _t(self, t):
        t = np.asarray(t, dtype=float)
        if t.ndim == 1:
            t = np.broadcast_to(t, (self.n, t.size))
        return t

    def _mask(self, t, out):
        bad = (t < 0) | ~(t <= np.where(np.isfinite(self.t_impact), self.t_impact, np.inf)[:, None])
        out = np.array(out, dtype=float)
        out[bad] = np.nan
        return out

    def position_ecef(self, t):
        t = self._t(t)
        return self._mask(t, self._pos(np.where(t >= 0, t, 0.0)))

    def velocity_ecef(self, t):
        t = self._t(t)
        return self._mask(t, self._vel(np.where(t >= 0, t, 0.0)))

    def geodetic(self, t):
        r = self.position_ecef(t)
        return ecef_to_geodetic(r[..., 0], r[..., 1], r[..., 2])


def vertical_rise(lat_deg, lon_deg, speed_m_s, t_end_s, alt0_m=0.0):
    """Points rising along the local ellipsoid normal: alt = alt0 + v t (arrays of n)."""
    lat = np.radians(np.atleast_1d(np.asarray(lat_deg, dtype=float)))
    lon = np.radians(np.atleast_1d(np.asarray(lon_deg, dtype=float)))
    lat, lon, v, t_end, alt0 = np.broadcast_arrays(lat, lon, np.atleast_1d(speed_m_s), np.atleast_1d(t_end_s),
                                                   np.atleast_1d(alt0_m))
    _, _, up = enu_basis(lat, lon)

    def pos(t):
        x, y, z = geodetic_to_ecef(lat[:, None], lon[:, None], alt0[:, None] + v[:, None] * t)
        return np.stack([x, y, z], axis=-1)

    def vel(t):
        return np.broadcast_to((v[:, None] * up)[:, None, :], t.shape + (3,))

    return SyntheticTrajectory(pos, vel, t_end.astype(float))


def equatorial_circle(alt_m, lon0_deg, rate_deg_s, t_end_s):
    """Points at constant altitude over the equator, longitude lon0 + rate·t."""
    alt, lon0, rate, t_end = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=float))
                                                   for v in (alt_m, lon0_deg, rate_deg_s, t_end_s)))
    rad = WGS84_A + alt

    def pos(t):
        lon = np.radians(lon0[:, None] + rate[:, None] * t)
        return np.stack([rad[:, None] * np.cos(lon), rad[:, None] * np.sin(lon), np.zeros_like(lon)], axis=-1)

    def vel(t):
        lon = np.radians(lon0[:, None] + rate[:, None] * t)
        w = np.radians(rate)[:, None] * rad[:, None]
        return np.stack([-w * np.sin(lon), w * np.cos(lon), np.zeros_like(lon)], axis=-1)

    return SyntheticTrajectory(pos, vel, t_end)


def kepler_propagate(r0, v0, tau):
    """Point-mass Kepler propagation of inertial states r0, v0 (n, 3) by times tau (n, k).

    Elliptic orbits only (every suborbital flight is one). Returns r, v (n, k, 3).
    """
    r0 = np.asarray(r0, dtype=float)
    v0 = np.asarray(v0, dtype=float)
    rn = np.linalg.norm(r0, axis=-1)
    v2 = np.sum(v0 * v0, axis=-1)
    a = 1.0 / (2.0 / rn - v2 / GM)
    nmean = np.sqrt(GM / a**3)
    ecosE = 1.0 - rn / a
    esinE = np.sum(r0 * v0, axis=-1) / np.sqrt(GM * a)
    e = np.hypot(ecosE, esinE)
    E0 = np.arctan2(esinE, ecosE)
    M = (E0 - esinE)[:, None] + nmean[:, None] * tau
    ee = e[:, None]
    E = M + 0.85 * ee * np.sign(np.sin(M))  # Danby's starting value
    for _ in range(30):
        f = E - ee * np.sin(E) - M
        E = E - f / (1.0 - ee * np.cos(E))
    dE = E - E0[:, None]
    aa = a[:, None]
    r_new = aa * (1.0 - ee * np.cos(E))
    f = 1.0 - aa / rn[:, None] * (1.0 - np.cos(dE))
    g = tau - (dE - np.sin(dE)) / nmean[:, None]
    fdot = -np.sqrt(GM * aa) / (r_new * rn[:, None]) * np.sin(dE)
    gdot = 1.0 - aa / r_new * (1.0 - np.cos(dE))
    r = f[..., None] * r0[:, None, :] + g[..., None] * v0[:, None, :]
    v = fdot[..., None] * r0[:, None, :] + gdot[..., None] * v0[:, None, :]
    return r, v


def _ecef_state(r_eci, v_eci, t):
    r = eci_to_ecef(r_eci, t)
    v = eci_to_ecef(v_eci, t) - np.cross(_OMEGA, r)
    return r, v


def kepler_arcs(launch_lat_deg, launch_lon_deg, azimuth_deg, burnout_speed_m_s, gamma_deg=35.0, t_burnout_s=120.0,
                burnout_alt_m=150e3, burnout_downrange_m=150e3, free_flight=False):
    """Boost then Kepler coast, n flights (arguments broadcast).

    The burnout state is placed ``burnout_downrange_m`` along the launch azimuth at
    ``burnout_alt_m``, with Earth-relative speed and flight-path angle given. With
    ``free_flight`` the boost is dropped (t_burnout NaN) and the flight starts at burnout
    at t = 0.
    """
    args = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=float)) for v in (
        launch_lat_deg, launch_lon_deg, azimuth_deg, burnout_speed_m_s, gamma_deg, t_burnout_s, burnout_alt_m,
        burnout_downrange_m)))
    lat0, lon0, az, vb, gam, tb, hb, db = args
    lat0r, lon0r, azr, gamr = np.radians(lat0), np.radians(lon0), np.radians(az), np.radians(gam)
    latb, lonb = geodesic_forward(lat0r, lon0r, azr, db)
    rb = np.stack(geodetic_to_ecef(latb, lonb, hb), axis=-1)
    e, nn, up = enu_basis(latb, lonb)
    # heading at the burnout point: the geodesic's azimuth there is close enough for a test arc
    vb_ecef = vb[:, None] * (np.cos(gamr)[:, None] * (np.sin(azr)[:, None] * e + np.cos(azr)[:, None] * nn)
                             + np.sin(gamr)[:, None] * up)
    r_pad = np.stack(geodetic_to_ecef(lat0r, lon0r, np.zeros_like(lat0r)), axis=-1)
    t0 = np.zeros_like(tb) if free_flight else tb
    # inertial burnout state at t0 (ECI coincides with ECEF at t = 0)
    r_i = ecef_to_eci(rb, t0)
    v_i = ecef_to_eci(vb_ecef + np.cross(_OMEGA, rb), t0)

    def coast(t):
        tau = t - t0[:, None]
        r, v = kepler_propagate(r_i, v_i, tau)
        return _ecef_state(r, v, t)

    def boost(t):
        s = np.clip(t / tb[:, None], 0.0, 1.0)[..., None]
        T = tb[:, None, None]
        p0, p1, m1 = r_pad[:, None, :], rb[:, None, :], vb_ecef[:, None, :] * T
        h00, h01, h11 = 2 * s**3 - 3 * s**2 + 1, -2 * s**3 + 3 * s**2, s**3 - s**2
        d00, d01, d11 = 6 * s**2 - 6 * s, -6 * s**2 + 6 * s, 3 * s**2 - 2 * s
        return h00 * p0 + h01 * p1 + h11 * m1, (d00 * p0 + d01 * p1 + d11 * m1) / T

    def both(t):
        rc, vc = coast(t)
        if free_flight:
            return rc, vc
        rbst, vbst = boost(t)
        in_boost = (t < t0[:, None])[..., None]
        return np.where(in_boost, rbst, rc), np.where(in_boost, vbst, vc)

    # impact: first time after burnout the altitude falls to zero (scan, then bisect)
    n = lat0.size
    scan = t0[:, None] + np.arange(1, 1501)[None, :] * 5.0
    rr, _ = coast(scan)
    alt = ecef_to_geodetic(rr[..., 0], rr[..., 1], rr[..., 2])[2]
    below = alt < 0
    idx = np.argmax(below, axis=1)
    if not np.all(below.any(axis=1)):
        raise ValueError("some arcs do not come down within 7,500 s")
    lo = np.where(idx > 0, scan[np.arange(n), np.maximum(idx - 1, 0)], t0)
    hi = scan[np.arange(n), idx]
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        rr, _ = coast(mid[:, None])
        a_mid = ecef_to_geodetic(rr[..., 0], rr[..., 1], rr[..., 2])[2][:, 0]
        lo = np.where(a_mid >= 0, mid, lo)
        hi = np.where(a_mid >= 0, hi, mid)
    t_imp = lo

    traj = SyntheticTrajectory(lambda t: both(t)[0], lambda t: both(t)[1], t_imp, None if free_flight else tb)
    traj.burnout_ecef = (rb, vb_ecef)
    return traj


def iran_to_europe(n=1, seed=0, burnout_speed_m_s=4500.0):
    """n Semnan-area arcs towards central Europe (azimuth ≈ 300°) with small random spreads."""
    rng = np.random.default_rng(seed)
    return kepler_arcs(
        35.2347 + rng.normal(0, 0.3, n), 53.9208 + rng.normal(0, 0.3, n), 300.0 + rng.normal(0, 3.0, n),
        burnout_speed_m_s + rng.normal(0, 100.0, n), 35.0, 110.0 + rng.normal(0, 5.0, n), 140e3, 120e3,
    )


__all__ = ["SyntheticTrajectory", "equatorial_circle", "iran_to_europe", "kepler_arcs", "kepler_propagate",
           "vertical_rise"]
