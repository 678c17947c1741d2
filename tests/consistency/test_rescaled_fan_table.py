"""Consistency: an interceptor rescaled to a higher burnout speed reaches points sooner.

``interceptors.at_burnout_speed`` rescales every stage's Isp so that the flown burnout speed
is the one asked for; the fly-out table ``build_table`` of the faster one should be nowhere
slower. A check of our code against itself: a consistency test. The three-stage GBI at 8.0
and 9.5 km/s straddles the ~7.9 km/s where the old maximum-range definition of burnout
speed broke down. Two table builds, about 20 s each.

Where the intercepts of the third-site scenarios happen (within ~1,500 km of the site,
150-800 km up) the faster table is earlier at every point checked. Finding (not fixed
here: the fan code is not in this change): far downrange at low altitude the slower
booster arrives on the descending arc of a flat fly-out, which the faster booster's flat
fly-outs overshoot (they burn out near or above orbital speed and never come back down
there), and the fan has no depressed or energy-wasting fly-out to make up for it. E.g.
due east at 2,500 km downrange, 150 km up: 448 s at 8.0 km/s, 536 s at 9.5 km/s.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from shieldsim.interceptor_specs import catalog_interceptor
from shieldsim.interceptors import at_burnout_speed, build_table

pytestmark = pytest.mark.slow  # minutes of fly-out fans: `pytest -m slow` runs it

SITE_LAT_DEG = 54.5  # Redzikowo


@pytest.fixture(scope="module")
def tables():
    icpt = catalog_interceptor("gbi-3stage")
    slow = build_table(at_burnout_speed(icpt, 8.0).booster, SITE_LAT_DEG, use_cache=False)
    fast = build_table(at_burnout_speed(icpt, 9.5).booster, SITE_LAT_DEG, use_cache=False)
    return slow, fast


def test_consistency_faster_rescaled_interceptor_reaches_every_checked_point_sooner(tables):
    """Spot check on 4 azimuths x 5 downranges (100-1,500 km) x 4 altitudes (150-800 km):
    the 9.5 km/s table's time-to-reach is below the 8.0 km/s one everywhere (no tolerance),
    and both reach every point."""
    slow, fast = tables
    az, d, h = np.meshgrid(np.radians([0.0, 90.0, 180.0, 270.0]), np.array([100, 400, 800, 1200, 1500]) * 1e3,
                           np.array([150, 250, 500, 800]) * 1e3, indexing="ij")
    t_slow, _, _ = slow.lookup(az, d, h)
    t_fast, _, _ = fast.lookup(az, d, h)
    assert np.all(np.isfinite(t_slow)) and np.all(np.isfinite(t_fast))
    assert np.all(t_fast < t_slow), np.argwhere(t_fast >= t_slow)
    assert fast.burnout_speed_m_s > slow.burnout_speed_m_s


@pytest.mark.xfail(strict=True, reason="finding: the fan has no depressed or energy-wasting fly-out, so far "
                   "downrange at low altitude a faster booster's flat fly-outs overshoot what the slower one "
                   "reaches on a descending arc (interceptors.build_table)")
@pytest.mark.parametrize("az_deg, d_km, h_km", [(90.0, 2500.0, 150.0), (0.0, 4500.0, 150.0)])
def test_consistency_faster_rescaled_interceptor_sooner_far_downrange(tables, az_deg, d_km, h_km):
    """The same comparison far downrange and low (a known defect of the fan, see above)."""
    slow, fast = tables
    t_slow, _, _ = slow.lookup(math.radians(az_deg), d_km * 1e3, h_km * 1e3)
    t_fast, _, _ = fast.lookup(math.radians(az_deg), d_km * 1e3, h_km * 1e3)
    assert np.isfinite(t_slow) and t_fast <= t_slow
