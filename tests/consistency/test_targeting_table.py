"""Minimum-energy guidance from the table (one missile, one launch point) against the per-point solve."""

from __future__ import annotations

import math

import numpy as np
import pytest

from shieldsim import catalog
from shieldsim.earth import geodesic_forward
from shieldsim.targeting import MISS_TOL_M, _gamma_inertial, aim, azimuth_table

N_POINTS = 30
R_EARTH_M = 6371e3


def _apogee_alt(sol):
    return np.linalg.norm(sol.trajectory.apogee_state[:, :3], axis=1) - R_EARTH_M


def _points(rocket, site, az_lo_deg, az_hi_deg, seed):
    lat0, lon0, alt0 = math.radians(site.lat_deg), math.radians(site.lon_deg), site.alt_km * 1e3
    table = azimuth_table(rocket, lat0, lon0, alt0)
    rng = np.random.default_rng(seed)
    az = np.radians(rng.uniform(az_lo_deg, az_hi_deg, N_POINTS)) % (2 * np.pi)
    # From too close to reach to beyond maximum range, denser near the ends where the table
    # hands over to the per-point solve.
    frac = np.concatenate([rng.uniform(0.003, 0.05, 5), rng.uniform(0.05, 0.95, N_POINTS - 12),
                           rng.uniform(0.95, 1.01, 7)])
    rmax = np.interp(az, table[0], table[1], period=2 * np.pi)
    tlat, tlon = geodesic_forward(np.full(N_POINTS, lat0), np.full(N_POINTS, lon0), az, frac * rmax)
    return (lat0, lon0, alt0), table, tlat, tlon


@pytest.mark.parametrize("missile, site, az_lo, az_hi, seed", [
    ("iran-irbm", "semnan", 270.0, 340.0, 1),   # Europe from Semnan
    ("shahab-3", "tabriz", 330.0, 390.0, 2),    # across north: the azimuth bins wrap
])
def test_table_guidance_is_consistent_with_the_per_point_solve(missile, site, az_lo, az_hi, seed):
    """Consistency test: ``aim(..., range_table=...)`` (minimum-energy kick and cut-off from the
    table, then chord-Newton steps per aim point) against ``interpolate=False`` (the Newton
    solve of every aim point on its own, the path ``engage`` and ``fly`` take) on 30
    seeded-random aim points from one launch site, from too close to reach to beyond maximum
    range. Tolerance: the same feasibility and reach, burnout flight-path angle within 0.3 deg,
    apogee altitude within 1 %, and a miss within MISS_TOL_M wherever the per-point solve
    lands within it (elsewhere no worse than the per-point solve)."""
    rk = catalog.missile(missile)
    (lat0, lon0, alt0), table, tlat, tlon = _points(rk, catalog.site(site), az_lo, az_hi, seed)
    tab = aim(rk, lat0, lon0, alt0, tlat, tlon, interpolate=True, range_table=table)
    one = aim(rk, lat0, lon0, alt0, tlat, tlon, range_table=table)
    np.testing.assert_array_equal(tab.feasible, one.feasible)
    np.testing.assert_array_equal(tab.feasible & (tab.miss_m < 1000.0), one.feasible & (one.miss_m < 1000.0))
    f = tab.feasible
    assert 0 < f.sum() < N_POINTS  # both feasible and infeasible points sampled
    dg = np.degrees(np.abs(_gamma_inertial(tab.trajectory) - _gamma_inertial(one.trajectory)))[f]
    assert dg.max() < 0.3, dg
    rel = np.abs(_apogee_alt(tab) / _apogee_alt(one) - 1.0)[f]
    assert rel.max() < 0.01, rel
    assert (tab.miss_m[f] <= np.maximum(MISS_TOL_M, one.miss_m[f])).all(), (tab.miss_m[f], one.miss_m[f])


def test_table_guidance_is_consistent_with_aiming_without_a_table():
    """Consistency test: the table path against plain ``aim`` of each point (its own maximum
    range, as ``fly`` and ``engage`` aim one threat) away from maximum range, where the two
    maximum ranges cannot disagree on feasibility: burnout flight-path angle within 0.3 deg,
    apogee within 1 %, both within MISS_TOL_M."""
    rk = catalog.missile("sejjil-2")
    site = catalog.site("tabriz")
    (lat0, lon0, alt0), table, tlat, tlon = _points(rk, site, 280.0, 320.0, 3)
    keep = slice(5, N_POINTS - 7)  # 5-95 % of maximum range
    tab = aim(rk, lat0, lon0, alt0, tlat[keep], tlon[keep], interpolate=True, range_table=table)
    own = aim(rk, lat0, lon0, alt0, tlat[keep], tlon[keep])
    assert tab.feasible.all() and own.feasible.all()
    dg = np.degrees(np.abs(_gamma_inertial(tab.trajectory) - _gamma_inertial(own.trajectory)))
    assert dg.max() < 0.3, dg
    assert np.abs(_apogee_alt(tab) / _apogee_alt(own) - 1.0).max() < 0.01
    assert tab.miss_m.max() < MISS_TOL_M and own.miss_m.max() < MISS_TOL_M


def test_a_point_gets_the_same_guidance_alone_or_in_a_batch():
    """The table is filled on demand and kept: an aim point's guidance must not depend on the
    other points of the call, nor on which calls came before (footprint chunks, and the reach
    test of tests/test_footprint_missiles.py, aim the same points in different batches)."""
    from shieldsim import targeting

    rk = catalog.missile("shahab-3")
    (lat0, lon0, alt0), table, tlat, tlon = _points(rk, catalog.site("tabriz"), 200.0, 300.0, 4)
    targeting._TABLE_CACHE.clear()
    few = aim(rk, lat0, lon0, alt0, tlat[10:14], tlon[10:14], interpolate=True, range_table=table, dense=False)
    targeting._TABLE_CACHE.clear()
    every = aim(rk, lat0, lon0, alt0, tlat, tlon, interpolate=True, range_table=table, dense=False)
    again = aim(rk, lat0, lon0, alt0, tlat[10:14], tlon[10:14], interpolate=True, range_table=table, dense=False)
    for sol in (few, again):
        for k in ("azimuth_rad", "kick_rad", "t_cutoff_s", "feasible", "miss_m"):
            np.testing.assert_array_equal(getattr(sol, k), getattr(every, k)[10:14])
