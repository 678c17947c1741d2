"""Apogee of a flight that starts level or descending, and low thrust-to-weight missiles (issue 9 item 7)."""

import math

import numpy as np
import pytest

from shieldsim.errors import ScenarioError
from shieldsim.flight import burnout_state, fly_rockets, free_flight_states
from shieldsim.targeting import max_range_km
from shieldsim.vehicles import RISE_SPEED_M_S, ReentryVehicle, Rocket, Stage


@pytest.mark.parametrize("gamma_deg", [-20.0, 0.0])
def test_apogee_of_a_flight_starting_level_or_descending_is_its_start_altitude(gamma_deg):
    import shieldsim.earth as E

    r, v, lat, lon = burnout_state(math.radians(40), math.radians(40), 80e3, 6500.0, math.radians(gamma_deg),
                                   math.radians(90), E.EARTH_WGS84, True)
    tr = free_flight_states(r, v, lat_rad=lat, lon_rad=lon)
    assert np.isfinite(tr.t_impact).all()
    assert tr.apogee_alt_m()[0] == pytest.approx(80e3, abs=50.0)
    if gamma_deg < 0:
        assert tr.t_apogee[0] == 0.0


def test_cli_fly_burnout_descending_reports_the_start_altitude_as_apogee():
    import shieldsim as ss

    res = ss.free_flight(40, 40, 80, 6.5, -20, 90)
    apo = np.atleast_1d(res.apogee_km)
    assert np.isfinite(apo).all() and apo[0] == pytest.approx(80.0, abs=0.05)


def _scud(burn_time_s):
    # Scud-B class single stage (5.9 t lift-off); the burn time sets the thrust.
    st = Stage(gross_mass_kg=4875, propellant_mass_kg=3771, isp_vac_s=255, isp_sl_s=226, burn_time_s=burn_time_s,
               diameter_m=0.88)
    return Rocket("scud-like", (st,), ReentryVehicle(985, 3000))


def test_liftoff_thrust_to_weight_below_one_is_refused_naming_the_field():
    with pytest.raises(ScenarioError) as e:
        _scud(160.0)  # T/W 0.91
    assert e.value.field == "stages.0.burn_time_s"
    assert "thrust-to-weight" in e.value.reason and "\n" not in e.value.reason


def test_low_thrust_to_weight_rises_until_it_climbs_and_then_flies_a_real_range():
    r = _scud(140.0)  # T/W 1.04: with a 10 s rise it pitched over at 4 m/s and fell 1 km away
    assert r.liftoff_thrust_to_weight < 1.1
    assert r.rise_s > r.vertical_rise_s
    tr = fly_rockets(r, 0.7, 0.0, 0.0, 1.5, 1e-4, rotation=False)
    _, v = tr.state_eci(np.array([r.rise_s]))
    assert np.linalg.norm(v[0, 0]) == pytest.approx(RISE_SPEED_M_S, rel=0.15)
    assert max_range_km(r) > 50.0


def test_nominal_thrust_to_weight_keeps_its_vertical_rise():
    r = _scud(62.0)  # T/W 2.3, the real Scud-B
    assert r.rise_s == r.vertical_rise_s
