"""Consistency: the fast paths of issue 14 against the code they replace.

* Small batches run on one thread (``flight._integrate_serial``, ``_eval_serial``,
  ``interceptors._lookup_serial``): the same per-trajectory kernels as the parallel ones, so
  the same bits; the dispatch picks them below the size thresholds.
* The fly-out table is built by one compiled kernel (``interceptors._fan_table``) that
  evaluates each fan trajectory's dense output at the 1 s grid times and keeps only its
  altitude crossings. Here it is held against the numpy path it replaced (fly the fan with
  dense output, resample every trajectory through ``Trajectory.geodetic``,
  ``velocity_ecef``, ``site_relative`` and ``_local_components``, ``_crossings`` per
  trajectory, ``_fill_table`` per azimuth bin and family): the tables are identical to the
  bit, on a reduced fan (fewer kicks and azimuths, same grid and physics).
* The altitude bracket that spares most exact geodetic conversions holds its error bound.
* The speed search batched over speeds (``at_burnout_speeds``) gives each speed's answer of
  its own ``at_burnout_speed`` call.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from shieldsim import earth as E
from shieldsim import flight as F
from shieldsim import interceptors as I
from shieldsim.interceptor_specs import catalog_interceptor


def _free_flights(n, seed=0):
    rng = np.random.default_rng(seed)
    lat, lon = np.radians(rng.uniform(-70, 70, n)), np.radians(rng.uniform(-180, 180, n))
    r, v, lat, lon = F.burnout_state(lat, lon, rng.uniform(0, 300e3, n), rng.uniform(2.5e3, 7.3e3, n),
                                     np.radians(rng.uniform(12, 50, n)), np.radians(rng.uniform(0, 360, n)),
                                     E.EARTH_WGS84, True)
    return r, v, lat, lon


def _packed(n, cap):
    r, v, _, _ = _free_flights(n)
    params = F.flight_params(n)  # free flights without drag
    return (np.concatenate([r, v], axis=1), params, np.zeros((n, F.MAX_STAGES, 6)), np.zeros((n, F.MACH_GRID.size)),
            E.EARTH_WGS84, E.GRAVITY_J2, E.OMEGA_EARTH, 7200.0, cap, np.empty((n, cap)), np.empty((n, cap, 12)),
            np.zeros(n, np.int64), np.empty((n, F.N_EV)), np.full((n, 6), np.nan), np.empty((n, 6)), np.empty((n, 6)))


def test_serial_and_parallel_kernels_agree_to_the_bit():
    a, b = _packed(40, 256), _packed(40, 256)
    F._integrate_serial(*a)
    F._integrate_batch(*b)
    ts, ys, ns = a[9], a[10], a[11]
    np.testing.assert_array_equal(ns, b[11])
    for x, y in zip(a[12:], b[12:]):  # events, burnout, impact, apogee states
        np.testing.assert_array_equal(x, y)
    for i in range(40):
        np.testing.assert_array_equal(ts[i, : ns[i]], b[9][i, : ns[i]])
        np.testing.assert_array_equal(ys[i, : ns[i]], b[10][i, : ns[i]])
    tq = np.ascontiguousarray(np.linspace(-10.0, 2500.0, 300)[None, :].repeat(40, axis=0))
    o1, o2 = np.empty(tq.shape + (6,)), np.empty(tq.shape + (6,))
    F._eval_serial(ts, ys, ns, tq, o1)
    F._eval_batch(ts, ys, ns, tq, o2)
    np.testing.assert_array_equal(o1, o2)
    table = I.FlyoutTable(np.arange(4) * math.pi / 2, np.arange(6) * 10e3, np.arange(5) * 10e3,
                          *(np.random.default_rng(1).random((3, 4, 6, 5)).astype(np.float32) * 100), 50.0, 5e3, 1500.0)
    az, d, h = np.random.default_rng(2).uniform([0, -1e4, -1e4], [7, 6e4, 5e4], (500, 3)).T
    args = (table.t_s, table.v_down, table.v_up, 4, 10e3, 10e3, az, d, h)
    outs = [tuple(np.empty(500) for _ in range(3)) for _ in range(2)]
    I._lookup_serial(*args, *outs[0])
    I._lookup(*args, *outs[1])
    for x, y in zip(*outs):
        np.testing.assert_array_equal(x, y)


def test_small_batches_take_the_serial_path(monkeypatch):
    called = []
    for name in ("_integrate_serial", "_integrate_batch", "_eval_serial", "_eval_batch"):
        kernel = getattr(F, name)
        monkeypatch.setattr(F, name, lambda *a, _k=kernel, _n=name: (called.append(_n), _k(*a))[1])
    r, v, lat, lon = _free_flights(3)
    tr = F.free_flight_states(r[:1], v[:1], lat_rad=lat[:1], lon_rad=lon[:1])
    tr.geodetic(np.arange(0.0, 600.0, 10.0))
    assert set(called) == {"_integrate_serial", "_eval_serial"}
    called.clear()
    r, v, lat, lon = _free_flights(F.SERIAL_MAX_TRAJECTORIES + 1)
    tr = F.free_flight_states(r, v, lat_rad=lat, lon_rad=lon)
    tr.geodetic(np.arange(0.0, 2000.0, 1.0))
    # (flights that outgrow the first sample buffer are re-run, a smaller batch: serially)
    assert called[0] == "_integrate_batch" and called[-1] == "_eval_batch"


# --- the fly-out table: fused kernel vs the numpy resampling it replaced ------------------------
def _reference_table(booster, site_lat_deg, t_max_s=1500.0, h_max_m=3000e3, d_max_m=6500e3):
    """``build_table`` as it was before the fused kernel (commit ddbf85d), without the cache."""
    lat0 = math.radians(site_lat_deg)
    az_bins = np.arange(I.N_AZ) * 2 * math.pi / I.N_AZ
    kicks = np.linspace(I.KICK_MIN_RAD, I.KICK_MAX_RAD, I.N_KICK)
    families = ("gravity-turn", "hold-pitch")
    nf = len(families)
    az_all = np.tile(np.repeat(az_bins, I.N_KICK), nf)
    k_all = np.tile(kicks, I.N_AZ * nf)
    guidance = np.repeat(np.array(families, dtype=object), I.N_AZ * I.N_KICK)
    tr = F.fly_rockets(booster, lat0, 0.0, 0.0, az_all, k_all, t_max_s=t_max_s, guidance=guidance)
    ts = np.arange(0.0, t_max_s + I.FAN_DT_S, I.FAN_DT_S)
    lat, lon, alt = tr.geodetic(ts)
    dn, _ = I.site_relative(lat0, 0.0, lat, lon)
    vd, vu = I._local_components(lat, lon, tr.velocity_ecef(ts), lat0, 0.0)
    alt[~np.isfinite(alt)] = np.nan
    d_max = min(float(np.nanmax(dn)) + I.D_STEP_M, d_max_m)
    h_max = min(float(np.nanmax(alt)) + I.H_STEP_M, h_max_m)
    dgrid = np.arange(0.0, d_max + I.D_STEP_M, I.D_STEP_M)
    hgrid = np.arange(0.0, h_max + I.H_STEP_M, I.H_STEP_M)
    n = tr.n
    ct, cd, cvd, cvu = (np.empty((n, 2, hgrid.size)) for _ in range(4))
    for i in range(n):
        I._crossings(ts, dn[i], alt[i], vd[i], vu[i], hgrid, ct[i], cd[i], cvd[i], cvu[i])
    T, VD, VU = (np.empty((I.N_AZ, dgrid.size, hgrid.size)) for _ in range(3))
    Tf, VDf, VUf = (np.empty_like(T[0]) for _ in range(3))
    for f in range(nf):
        for a in range(I.N_AZ):
            sl = slice((f * I.N_AZ + a) * I.N_KICK, (f * I.N_AZ + a + 1) * I.N_KICK)
            if f == 0:
                I._fill_table(ct[sl], cd[sl], cvd[sl], cvu[sl], dgrid, T[a], VD[a], VU[a])
                continue
            I._fill_table(ct[sl], cd[sl], cvd[sl], cvu[sl], dgrid, Tf, VDf, VUf)
            better = Tf < T[a]
            T[a] = np.where(better, Tf, T[a])
            VD[a] = np.where(better, VDf, VD[a])
            VU[a] = np.where(better, VUf, VU[a])
    vbo, _ = tr[: I.N_AZ * I.N_KICK].burnout_relative()
    return I.FlyoutTable(az_bins, dgrid, hgrid, T.astype(np.float32), VD.astype(np.float32), VU.astype(np.float32),
                         float(np.nanmedian(tr.t_burnout[: I.N_AZ * I.N_KICK])), float(np.nanmax(vbo)), t_max_s)


@pytest.mark.parametrize("name, lat_deg, t_max_s", [
    pytest.param("sm3-iia", 40.6, 1500.0, marks=pytest.mark.slow),  # the longer fan: slow lane
    ("gbi-2stage", 54.48, 900.0)])
def test_fused_fan_kernel_gives_the_resampled_table_to_the_bit(monkeypatch, name, lat_deg, t_max_s):
    """A reduced fan (4 azimuths x 24 kicks x 2 families; the grid, physics and limits as in
    ``build_table``): every array of the table and the burnout figures are identical."""
    monkeypatch.setattr(I, "N_AZ", 4)
    monkeypatch.setattr(I, "N_KICK", 24)
    booster = catalog_interceptor(name).booster
    new = I.build_table(booster, lat_deg, t_max_s=t_max_s, use_cache=False)
    ref = _reference_table(booster, lat_deg, t_max_s=t_max_s)
    for field in ("az_rad", "d_m", "h_m", "t_s", "v_down", "v_up"):
        a, b = getattr(new, field), getattr(ref, field)
        assert a.dtype == b.dtype and a.shape == b.shape, field
        np.testing.assert_array_equal(a, b, err_msg=field)
    assert np.isfinite(new.t_s).mean() > 0.2  # a real table, not an empty one
    assert (new.burnout_time_s, new.burnout_speed_m_s, new.t_max_s) == (ref.burnout_time_s, ref.burnout_speed_m_s,
                                                                       ref.t_max_s)


def test_radial_altitude_brackets_the_geodetic_altitude():
    """``_radial_altitude`` is within its stated bound of the exact (Vermeille) height above
    1 km, from the ground to 40,000 km at every latitude."""
    rng = np.random.default_rng(3)
    n = 200_000
    lat, lon = np.arcsin(rng.uniform(-1, 1, n)), rng.uniform(-math.pi, math.pi, n)
    h = np.concatenate([rng.uniform(1e3, 50e3, n // 4), 10 ** rng.uniform(4.7, 7.6, n - n // 4)])
    x, y, z = E.geodetic_to_ecef(lat, lon, h)
    exact = E.ecef_to_geodetic(x, y, z)[2]
    radial = np.array([I._radial_altitude(a, b, c) for a, b, c in zip(x[:2000], y[:2000], z[:2000])])
    bound = I._RADIAL_REL_ERR * radial + I._RADIAL_ABS_ERR_M
    assert np.all(np.abs(radial - exact[:2000]) <= bound)
    # Vectorised over all points (the same formula as the kernel's).
    p2, z2 = x * x + y * y, z * z
    r = np.sqrt(p2 + z2)
    radial = r - I._AB * r / np.sqrt(I._B2 * p2 + I._A2 * z2)
    assert np.all(radial >= exact - 1e-6)
    assert np.all(radial - exact <= I._RADIAL_REL_ERR * radial + I._RADIAL_ABS_ERR_M)
    assert np.max((radial - exact) / radial) < 5.7e-6


def test_speed_search_batched_over_speeds_gives_each_speeds_own_answer():
    icpt = catalog_interceptor("gbi-2stage")
    speeds = [4.5, 6.3, 8.0]
    I._FLOWN_CACHE.clear()
    together = I.at_burnout_speeds(icpt, speeds)
    for v, itc in zip(speeds, together):
        I._FLOWN_CACHE.clear()
        alone = I.at_burnout_speed(icpt, v)
        assert itc.isp_scale == alone.isp_scale
        assert itc.booster == alone.booster
