"""The one set of number rules (shieldsim.validate) that specs and the catalog share."""

import math

import numpy as np
import pytest

from shieldsim import validate
from shieldsim.doctrine import Doctrine
from shieldsim.errors import ScenarioError
from shieldsim.interceptor_specs import KillVehicle
from shieldsim.sensors import InfraredSatellite
from shieldsim.vehicles import Stage


@pytest.mark.parametrize("bad", [True, "3", None, math.nan, math.inf, [1.0]])
def test_finite_refuses_what_is_not_a_finite_real_number(bad):
    with pytest.raises(ScenarioError) as err:
        validate.finite("x_m", bad)
    assert err.value.field == "x_m" and "finite number" in err.value.reason


def test_numpy_scalars_are_numbers_and_come_back_as_floats():
    assert validate.positive("x", np.float32(2.5)) == 2.5 and type(validate.positive("x", np.int64(3))) is float
    assert validate.count("n", np.int64(4), 1) == 4


@pytest.mark.parametrize("value, allow_zero, ok", [(0.0, False, False), (0.0, True, True), (-1e-9, True, False),
                                                    (1e-9, False, True)])
def test_positive_and_non_negative(value, allow_zero, ok):
    if ok:
        assert validate.positive("x", value, allow_zero) == value
    else:
        with pytest.raises(ScenarioError, match="non-negative" if allow_zero else "positive"):
            validate.positive("x", value, allow_zero)


def test_a_long_bad_value_is_quoted_short():
    with pytest.raises(ScenarioError) as err:
        validate.finite("x", "y" * 500)
    assert len(err.value.reason) < 120


@pytest.mark.parametrize("raw, field, words", [
    ({"value": 3, "tag": "Q", "source": "s"}, "p.tag", "tag must be one of"),
    ({"value": 3, "low": 4, "tag": "V", "source": "s"}, "p", "low <= value <= high"),
    ({"value": 3, "high": "x", "tag": "V", "source": "s"}, "p.high", "finite number"),
    ({"value": 3, "tag": "V"}, "p", "no source"),
    ({"value": 3, "tag": "V", "source": "s", "unit": "m"}, "p", "unknown key"),
    (3.0, "p", "has no source"),
])
def test_sourced_number_names_what_is_wrong(raw, field, words):
    with pytest.raises(ScenarioError) as err:
        validate.sourced_number("p", raw, require_source=True)
    assert err.value.field == field and words in err.value.reason


def test_sourced_number_without_a_required_source_takes_a_bare_number():
    assert validate.sourced_number("p", 3, require_source=False) == 3.0
    assert validate.sourced_number("p", {"value": 2, "low": 1, "high": 4}, require_source=False) == 2.0


@pytest.mark.parametrize("build, field", [
    (lambda: Stage(1000.0, 900.0, True, 60.0, 1.0), "isp_vac_s"),
    (lambda: KillVehicle(64, 1000, 120, 2000, 600, 15, math.nan), "kill_vehicle.min_closing_speed_km_s"),
    (lambda: Doctrine("salvo", 1, 1.5), "doctrine.sspk"),
    (lambda: Doctrine("salvo", 1, 0.8, kill_assessment_s=-1.0), "doctrine.kill_assessment_s"),
    (lambda: InfraredSatellite("s", lat_deg=0.0, lon_deg=math.inf), "lon_deg"),
])
def test_every_spec_refuses_a_bad_number_by_its_field(build, field):
    with pytest.raises(ScenarioError) as err:
        build()
    assert err.value.field.endswith(field)
