"""Consistency tests: the compiled feasibility pass (``engagement.feasibility``) and the array
track windows (``DefenceModel.track_windows``) against the numpy path they replaced, written
out here from the public array functions (``Trajectory.geodetic`` / ``velocity_ecef``,
``interceptors.site_relative``, ``FlyoutTable.lookup``, ``earth.enu_basis``,
``SensorObservation.windows``). Tolerance: none (the kernel does the same operations in the
same order, so the same bits), the closing speed compared where an intercept is feasible
(elsewhere the kernel does not compute it)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from shieldsim import catalog
from shieldsim import earth as E
from shieldsim.analyses.context import load_context
from shieldsim.engagement import TrackWindows, feasibility
from shieldsim.interceptors import site_relative
from shieldsim.targeting import aim


def _reference(threats, battery, windows, dt_s=1.0):
    kv = battery.interceptor.kill_vehicle
    t_end = np.nanmax(np.where(np.isfinite(threats.t_impact), threats.t_impact, 0.0))
    tg = np.arange(0.0, t_end + dt_s, dt_s)
    lat, lon, alt = threats.geodetic(tg)
    tgrid = np.broadcast_to(tg, lat.shape)
    slat, slon = math.radians(battery.lat_deg), math.radians(battery.lon_deg)
    d, az = site_relative(slat, slon, lat, lon)
    tt, vd, vu = battery.table.lookup(az, d, np.where(np.isfinite(alt), alt, -1.0))
    vt = threats.velocity_ecef(tg)
    east, north, up = E.enu_basis(lat, lon)
    dl = slon - lon
    back = np.arctan2(np.sin(dl) * np.cos(slat), np.cos(lat) * np.sin(slat) - np.sin(lat) * np.cos(slat) * np.cos(dl))
    hdir = np.cos(back + np.pi)[..., None] * north + np.sin(back + np.pi)[..., None] * east
    vi = np.nan_to_num(vd)[..., None] * hdir + np.nan_to_num(vu)[..., None] * up
    closing = np.linalg.norm(vt - vi, axis=-1)
    v_min = float(getattr(kv, "min_closing_speed_km_s", 0.0) or 0.0) * 1e3
    inside = np.zeros(lat.shape, bool)
    for i, wins in enumerate(windows):
        for a, b in wins:
            inside[i] |= (tg >= a) & (tg <= b)
    geometric = (np.isfinite(tt) & np.isfinite(alt)
                 & (alt >= kv.min_intercept_alt_km * 1e3) & (alt <= kv.max_intercept_alt_km * 1e3)
                 & (closing >= v_min) & (closing <= kv.max_closing_speed_km_s * 1e3)
                 & (tgrid >= np.nan_to_num(threats.t_burnout, nan=0.0)[:, None]) & inside)
    return np.where(geometric, tgrid - tt, -np.inf), closing


@pytest.fixture(scope="module")
def case():
    ctx = load_context("third_site_2007")
    site = catalog.site("semnan")
    lat0, lon0 = math.radians(site.lat_deg), math.radians(site.lon_deg)
    tlat = np.radians([52.2, 48.9, 55.7, 45.4, 50.1, 59.3, 41.9])
    tlon = np.radians([21.0, 2.35, 12.6, 9.2, 14.4, 18.1, 12.5])
    sol = aim(catalog.missile("iran-irbm"), lat0, lon0, site.alt_km * 1e3, tlat, tlon)
    d = ctx.defence
    obs, _ = d.timeline(sol.trajectory, ctx.rng(3), rcs_m2=0.1)
    return d, sol.trajectory, obs


def test_track_windows_from_the_masks_are_the_per_threat_windows(case):
    from shieldsim.sensors import Radar

    d, traj, obs = case
    tw = d.track_windows(obs)
    radars = [o for s, o in zip(obs.sensors, obs.observations) if isinstance(s, Radar)]
    expected = [[w for o in radars for w in o.windows(i, obs.t_grid_s)] for i in range(obs.n)]
    assert any(len(w) > 1 for w in expected)  # several radars (or gaps) per threat exercised
    assert [tw[i] for i in range(len(tw))] == expected


def test_feasibility_kernel_is_the_numpy_path_to_the_bit(case):
    d, traj, obs = case
    tw = d.track_windows(obs)
    for b in d.batteries:
        f = feasibility(traj, b, track_windows=tw)
        launch_by, closing = _reference(traj, b, [tw[i] for i in range(len(tw))])
        assert np.isfinite(launch_by).any()  # some intercepts feasible: the test bites
        np.testing.assert_array_equal(f.launch_by_s, launch_by)
        ok = np.isfinite(launch_by)  # the closing speed is kept where it is used: at feasible points
        np.testing.assert_array_equal(f.closing_m_s[ok], closing[ok])
        assert np.isnan(f.closing_m_s[~np.isfinite(f.launch_by_s)]).mean() > 0.5
        # No track requirement: the same as windows that always hold.
        g = feasibility(traj, b, track_windows=None)
        always = TrackWindows.of([None] * traj.n, traj.n)
        np.testing.assert_array_equal(g.launch_by_s, feasibility(traj, b, track_windows=always).launch_by_s)
        assert (np.isfinite(g.launch_by_s) >= np.isfinite(f.launch_by_s)).all()
