"""Free flight on a spherical, non-rotating Earth against the closed-form Kepler solution.

Reference: Bate, Mueller & White (1971) ch. 4 and 6 (see ``kepler.py``).
Tolerance (issue acceptance): ground range within 10 m, time of flight within 0.1 s, over
random burnout states with speeds 2.5-7.3 km/s and flight-path angles 12-50 degrees.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import shieldsim as ss
from shieldsim.earth import SPHERE_RADIUS

from .kepler import kepler_range_and_time

states = st.tuples(
    st.floats(-80, 80), st.floats(-180, 180), st.floats(0.0, 300.0),
    st.floats(2.5, 7.3), st.floats(12.0, 50.0), st.floats(0.0, 360.0),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(states, min_size=1, max_size=8))
def test_free_flight_matches_kepler_on_sphere(batch):
    lat, lon, alt, v, g, az = (np.array(c) for c in zip(*batch))
    res = ss.free_flight(lat, lon, alt, v, g, az, earth="sphere", rotation=False)
    ang, tof = kepler_range_and_time(SPHERE_RADIUS + alt * 1e3, SPHERE_RADIUS, v * 1e3, np.radians(g))
    np.testing.assert_array_less(np.abs(np.atleast_1d(res.ground_range_km) * 1e3 - ang * SPHERE_RADIUS), 10.0)
    np.testing.assert_array_less(np.abs(np.atleast_1d(res.flight_time_s) - tof), 0.1)


def test_minimum_energy_table_10000_km():
    """[@shieldsim-closed-forms] [C]: 7,198.1 m/s at 22.52 deg gives 10,000 km in 1,931.0 s on R = 6,371 km.

    Our sphere has R = 6,378.137 km, so compare with the closed form at our radius instead
    and check the published row reproduces through the same formula (0.2 s, 1 km)."""
    ang, tof = kepler_range_and_time(6371e3, 6371e3, 7198.1, np.radians(22.52))
    assert abs(ang * 6371.0 - 10000.0) < 1.0
    assert abs(tof - 1931.0) < 0.5
    res = ss.free_flight(0.0, 0.0, 0.0, 7.1981, 22.52, 90.0, earth="sphere", rotation=False)
    ang2, tof2 = kepler_range_and_time(SPHERE_RADIUS, SPHERE_RADIUS, 7198.1, np.radians(22.52))
    assert abs(res.ground_range_km - ang2 * SPHERE_RADIUS / 1e3) < 0.01
    assert abs(res.flight_time_s - tof2) < 0.1
