"""Targeting: every catalog missile lands on its aim point at 50 % and 95 % of its maximum range.

Issue acceptance: within 1 km. The maximum range is the one on that bearing from that
launch point on the rotating WGS84 Earth (``targeting.max_range``), aim points are placed
along the WGS84 geodesic (pyproj), and the flights are the same batch the CLI flies.
The published ranges and flight times are checked in tests/test_catalog.py.
"""

import math

import numpy as np
import pytest

from shieldsim import catalog
from shieldsim.earth import geodesic_forward
from shieldsim.targeting import aim, max_range

LAUNCH = (math.radians(40.0), math.radians(45.0))
AZIMUTH = math.radians(300.0)


@pytest.mark.parametrize("fraction", [0.5, 0.95])
def test_every_missile_lands_within_1_km(fraction):
    names = catalog.names("missile")
    rockets = [catalog.missile(n) for n in names]
    n = len(rockets)
    rmax, _ = max_range(rockets, np.full(n, LAUNCH[0]), np.full(n, LAUNCH[1]), 0.0, np.full(n, AZIMUTH))
    tlat, tlon = geodesic_forward(np.full(n, LAUNCH[0]), np.full(n, LAUNCH[1]), np.full(n, AZIMUTH), fraction * rmax)
    sol = aim(rockets, np.full(n, LAUNCH[0]), np.full(n, LAUNCH[1]), 0.0, tlat, tlon)
    assert sol.feasible.all(), [nm for nm, f in zip(names, sol.feasible) if not f]
    worst = int(np.argmax(sol.miss_m))
    assert sol.miss_m.max() < 1000.0, f"{names[worst]} misses by {sol.miss_m[worst]:.0f} m"


def test_an_aim_point_beyond_reach_is_refused_with_the_maximum_range():
    import shieldsim as ss
    from shieldsim.errors import ScenarioError

    with pytest.raises(ScenarioError) as e:
        ss.fly("shahab-3", "tabriz", "washington")
    assert e.value.field == "--to"
    assert "maximum range" in e.value.reason and "km" in e.value.reason


@pytest.mark.parametrize("kind", ["lofted", "depressed"])
def test_lofted_and_depressed_trajectories_hit_and_bracket_the_minimum_energy_apogee(kind):
    import shieldsim as ss

    base = ss.fly("sejjil-2", "tabriz", "bucharest")
    other = ss.fly("sejjil-2", "tabriz", "bucharest", trajectory=kind)
    assert other.miss_km < 1.0
    if kind == "lofted":
        assert other.apogee_km > base.apogee_km and other.flight_time_s > base.flight_time_s
    else:
        assert other.apogee_km < base.apogee_km and other.flight_time_s < base.flight_time_s


def _kepler_min_energy(r_b, r_i, psi):
    """Independent closed form (Bate, Mueller & White 1971, sec. 6.2; Wheelon 1959): the
    minimum-energy ellipse from r_b to r_i across psi has a = (r_b + r_i + c) / 4 (c the chord)
    and its vacant focus on the chord; returns (flight-path angle at r_b, apogee radius)."""
    from tests.validation.kepler import MU

    c = np.sqrt(r_b**2 + r_i**2 - 2 * r_b * r_i * np.cos(psi))
    a = (r_b + r_i + c) / 4
    gamma = 0.5 * np.arccos((r_b**2 + c**2 - r_i**2) / (2 * r_b * c))
    v2 = MU * (2 / r_b - 1 / a)
    e = np.sqrt(1 - r_b**2 * v2 * np.cos(gamma) ** 2 / MU / a)
    return gamma, a * (1 + e)


@pytest.mark.parametrize("name", ["shahab-3", "iran-icbm", "ss-27"])
def test_minimum_energy_flights_sit_on_the_kepler_minimum_energy_ellipse(name):
    """Minimum-energy flights against the closed-form Kepler optimum from their own burnout state.

    Reference: Bate, Mueller & White, *Fundamentals of Astrodynamics* (1971) sec. 6.2 (and
    Wheelon 1959): from burnout radius r_b to impact radius r_i across central angle psi, the
    minimum-energy ellipse has semi-major axis (r_b + r_i + c) / 4 and its vacant focus on the
    chord c. Exact here: non-rotating sphere, point-mass gravity, vacuum payload. Tolerance:
    burnout flight-path angle within 1 deg and apogee radius within 3 % (issue 9 item 4),
    at 40, 70 and 90 % of maximum range. The closed form is computed here, not by the solver.
    """
    from dataclasses import replace

    r = catalog.missile(name)
    r = r.with_payload(replace(r.payload, beta_kg_m2=math.inf))
    rmax, _ = max_range(r, 0.0, 0.0, 0.0, math.pi / 2, earth="sphere", rotation=False)
    ang = np.array([0.4, 0.7, 0.9]) * rmax[0] / 6371008.8
    sol = aim(r, 0.0, 0.0, 0.0, 0.0, ang, earth="sphere", rotation=False)
    assert sol.feasible.all() and sol.miss_m.max() < 1000.0
    tr = sol.trajectory
    b, i = tr.burnout_state, tr.impact_state
    rb, ri = np.linalg.norm(b[:, :3], axis=1), np.linalg.norm(i[:, :3], axis=1)
    psi = np.arccos(np.einsum("ij,ij->i", b[:, :3], i[:, :3]) / (rb * ri))
    gamma = np.arcsin(np.einsum("ij,ij->i", b[:, :3], b[:, 3:]) / (rb * np.linalg.norm(b[:, 3:], axis=1)))
    g_ref, apo_ref = _kepler_min_energy(rb, ri, psi)
    apo = np.linalg.norm(tr.apogee_state[:, :3], axis=1)
    assert np.degrees(np.abs(gamma - g_ref)).max() < 1.0, np.degrees(gamma - g_ref)
    assert np.abs(apo / apo_ref - 1).max() < 0.03, apo / apo_ref


@pytest.mark.parametrize("missile", ["ss-25", "ss-27"])
def test_russian_icbm_flight_times_to_washington_match_the_published_30_minutes(missile):
    """SS-25 and SS-27 minimum-energy flights from Russian ICBM bases to Washington.

    Reference: the catalog's published ICBM flight time, "about 30 minutes" over about
    10,000 km (UCS / Wright; the catalog's ``flight_time_s`` 1,800-2,220 s), and issue 9's
    published 28-36 min. Tolerance: inside 28-36 min (1,680-2,160 s) from Kozelsk and Teykovo.
    """
    import shieldsim as ss

    res = ss.fly(missile, ["kozelsk", "teykovo"], "washington")
    assert (res.miss_km < 1.0).all()
    assert ((res.flight_time_s > 28 * 60) & (res.flight_time_s < 36 * 60)).all(), res.flight_time_s
