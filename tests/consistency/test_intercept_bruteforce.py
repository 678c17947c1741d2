"""Intercept solver against brute force (issue acceptance: within 1 s of intercept time).

Brute force (``bruteforce.py``): for each threat position on a 0.5 s grid, fly the interceptor
directly at the exact bearing of that point over a dense scan of kick angles (both guidance
families), find (by interpolation
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
from shieldsim.flight import burnout_state, free_flight_states
from shieldsim.interceptor_specs import interceptor_from_catalog
from shieldsim.interceptors import build_table

from .bruteforce import direct_time_to_reach

pytestmark = pytest.mark.slow  # brute-force fly-out scans, minutes: `pytest -m slow` runs it

SITE = (54.4789, 17.1075)
N_KICK = 120


@pytest.fixture(scope="module")
def battery():
    itc = interceptor_from_catalog(catalog.get("gbi-2stage"))
    return Battery("redzikowo", SITE[0], SITE[1], 0.0, itc, 10, build_table(itc.booster, SITE[0]))


def _direct_time_to_reach(booster, lat, lon, alt):
    return direct_time_to_reach(booster, SITE[0], SITE[1], 0.0, lat, lon, alt, n_kick=N_KICK,
                                ts=np.arange(0.0, 1500.0, 0.5))


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
