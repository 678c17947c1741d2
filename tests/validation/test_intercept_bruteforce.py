"""Intercept solver against brute force (issue acceptance: within 1 s of intercept time).

Brute force: for each threat position on a 0.5 s grid, fly the interceptor directly at the
exact bearing of that point over a dense scan of kick angles, find (by interpolation
across kicks at the point's own downrange, the dual of the table's construction at fixed
altitude) the shortest time at which it passes through the point, and take the first
threat time whose required launch time is after the commit time. The solver answers from
the cached fly-out table (12 azimuth bins, 10 km grid). Random geometries: ballistic
threats with random burnout states crossing the battery's region.
"""

import math

import numpy as np
import pytest

from shieldsim import catalog
from shieldsim.engagement import Battery, battle_space
from shieldsim.flight import burnout_state, fly_rockets, free_flight_states
from shieldsim.interceptor_specs import interceptor_from_catalog
from shieldsim.interceptors import build_table, site_relative

SITE = (54.4789, 17.1075)
N_KICK = 120


@pytest.fixture(scope="module")
def battery():
    itc = interceptor_from_catalog(catalog.get("gbi-2stage"))
    return Battery("redzikowo", SITE[0], SITE[1], 0.0, itc, 10, build_table(itc.booster, SITE[0]))


def _direct_time_to_reach(booster, lat, lon, alt):
    """Shortest fly-out time to each point (radians, metres), by direct flights at its bearing."""
    slat, slon = map(math.radians, SITE)
    d, az = site_relative(slat, slon, lat, lon)
    m = lat.size
    kicks = np.linspace(math.radians(0.5), math.radians(85.0), N_KICK)
    tr = fly_rockets(booster, slat, slon, 0.0, np.repeat(az, N_KICK), np.tile(kicks, m), t_max_s=1500.0)
    ts = np.arange(0.0, 1500.0, 0.5)
    plat, plon, palt = tr.geodetic(ts)
    pd, _ = site_relative(slat, slon, plat, plon)
    pd = pd.reshape(m, N_KICK, -1)
    palt = palt.reshape(m, N_KICK, -1)
    best = np.full(m, np.inf)
    for i in range(m):
        # Each kick's altitude and time when its downrange first reaches the point's downrange.
        dd = np.where(np.isfinite(pd[i]), pd[i], -1.0)
        reached = dd >= d[i]
        has = reached.any(axis=1)
        j = np.argmax(reached, axis=1)
        j0 = np.maximum(j - 1, 0)
        r = np.arange(N_KICK)
        w = (d[i] - dd[r, j0]) / np.where(dd[r, j] - dd[r, j0] == 0, 1, dd[r, j] - dd[r, j0])
        h_at = palt[i][r, j0] + w * (palt[i][r, j] - palt[i][r, j0])
        t_at = ts[j0] + w * (ts[j] - ts[j0])
        h_at = np.where(has & (j > 0), h_at, np.nan)
        # Roots in kick of h_at(kick) - alt: interpolate time between bracketing kicks.
        f = h_at - alt[i]
        for k in range(N_KICK - 1):
            if np.isfinite(f[k]) and np.isfinite(f[k + 1]) and (f[k] > 0) != (f[k + 1] > 0):
                u = f[k] / (f[k] - f[k + 1])
                best[i] = min(best[i], t_at[k] + u * (t_at[k + 1] - t_at[k]))
    return best


@pytest.mark.parametrize("seed", [3, 11])
def test_earliest_intercept_matches_brute_force(battery, seed):
    rng = np.random.default_rng(seed)
    # A threat launched 2,500-3,500 km south-east of the battery, flying roughly over it.
    lat0, lon0 = 35.0 + rng.uniform(-3, 3), 50.0 + rng.uniform(-4, 4)
    az = math.radians(315.0 + rng.uniform(-15, 15))
    v, gam = rng.uniform(5.5, 6.8), rng.uniform(25, 35)
    r, vv, la, lo = burnout_state(math.radians(lat0), math.radians(lon0), 150e3, v * 1e3, math.radians(gam), az, 0, True)
    threat = free_flight_states(r, vv, lat_rad=la, lon_rad=lo)
    t_commit = 150.0
    bs = battle_space(threat, battery, [t_commit], dt_s=0.5)
    assert bs.feasible[0], "the geometry was chosen to be engageable"
    t0 = bs.earliest_s[0]
    tg = np.arange(max(t0 - 40.0, 0.0), t0 + 40.0, 0.5)
    lat, lon, alt = threat.geodetic(tg)
    kv = battery.interceptor.kill_vehicle
    T = _direct_time_to_reach(battery.interceptor.booster, lat[0], lon[0], alt[0])
    ok = (tg - T >= t_commit) & (alt[0] >= kv.min_intercept_alt_km * 1e3)
    assert ok.any()
    i = int(np.argmax(ok))
    g1, g0 = tg[i] - T[i] - t_commit, tg[i - 1] - T[i - 1] - t_commit
    t_bf = tg[i] - 0.5 * g1 / (g1 - g0) if i > 0 and np.isfinite(g0) else tg[i]
    assert abs(t_bf - t0) < 1.0, f"solver {t0:.2f} s vs brute force {t_bf:.2f} s"
