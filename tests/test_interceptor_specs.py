"""Interceptor specs and the interceptor catalog."""

import copy
import math

import pytest

from shieldsim.errors import ScenarioError
from shieldsim.interceptor_specs import (
    KILL_VEHICLE_KEYS,
    TAGS,
    Interceptor,
    KillVehicle,
    catalog_interceptor,
    interceptor_from_catalog,
    load_interceptor_entries,
)

REQUIRED = {"gbi-2stage", "gbi-3stage", "sm3-ia", "sm3-ib", "sm3-iia", "sm3-iib", "thaad"}
ENTRIES = load_interceptor_entries()
BY_NAME = {e["name"]: e for e in ENTRIES}


def _sourced_numbers(node, path=""):
    """Every {value, ...} mapping below a catalog entry, with its path."""
    if isinstance(node, dict):
        if "value" in node:
            yield path, node
            return
        for key, child in node.items():
            yield from _sourced_numbers(child, f"{path}.{key}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _sourced_numbers(child, f"{path}[{i}]")


# --- catalog ------------------------------------------------------------------------

def test_catalog_has_the_required_interceptors_once_each():
    names = [e["name"] for e in ENTRIES]
    assert len(names) == len(set(names))
    assert REQUIRED <= set(names)


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_every_entry_builds(name):
    icpt = interceptor_from_catalog(BY_NAME[name])
    assert icpt.name == name and icpt.title
    assert icpt.booster.payload.mass_kg == icpt.kill_vehicle.mass_kg
    assert math.isinf(icpt.booster.payload.beta_kg_m2)


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_every_number_is_sourced_and_bounded(name):
    entry = BY_NAME[name]
    assert entry["kind"] == "interceptor"
    numbers = list(_sourced_numbers({k: v for k, v in entry.items() if k not in ("name", "kind", "title")}))
    assert len(numbers) > 10
    for path, num in numbers:
        assert set(num) == {"value", "low", "high", "source", "tag"}, path
        assert num["tag"] in TAGS, path
        assert isinstance(num["source"], str) and len(num["source"]) > 10, path
        assert num["low"] <= num["value"] <= num["high"], path
        if num["tag"] == "N":
            assert "notional" in num["source"].lower(), path


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_every_stage_and_kill_vehicle_parameter_is_a_sourced_mapping(name):
    entry = BY_NAME[name]
    for stage in entry["stages"]:
        for key in ("gross_mass_kg", "propellant_mass_kg", "isp_vac_s", "burn_time_s", "diameter_m"):
            assert isinstance(stage[key], dict), key
    assert set(entry["kill_vehicle"]) == set(KILL_VEHICLE_KEYS)


def test_gbi_2stage_publishes_the_disputed_burnout_speed():
    pub = catalog_interceptor("gbi-2stage").published_burnout_speed_km_s
    assert (pub["value"], pub["low"], pub["high"]) == (6.3, 6.0, 9.0)
    assert pub["tag"] == "D" and "Postol" in pub["source"] and "MDA" in pub["source"]


def test_ideal_delta_v_of_gbi_2stage_in_parameters_table_range():
    """parameters.md A.1 table [C]: two-stage GBI ideal delta-v 8.67-10.23 km/s (extra inert 600/300 to 0/0)."""
    dv = catalog_interceptor("gbi-2stage").ideal_delta_v_m_s / 1e3
    assert 8.67 <= dv <= 10.23


def test_ideal_delta_v_of_gbi_3stage_in_parameters_table_range():
    """parameters.md A.1 table [C]: three-stage GBI ideal delta-v 9.86-12.02 km/s (extra inert 600/300/150 to 0)."""
    dv = catalog_interceptor("gbi-3stage").ideal_delta_v_m_s / 1e3
    assert 9.86 <= dv <= 12.02


def test_third_stage_is_worth_about_one_and_a_half_km_s():
    """parameters.md A.1: removing the small third stage costs only ~1.2-1.8 km/s (Lewis-Postol structure)."""
    gain = (catalog_interceptor("gbi-3stage").ideal_delta_v_m_s - catalog_interceptor("gbi-2stage").ideal_delta_v_m_s)
    assert 1200 <= gain <= 1800


def test_gbi_liftoff_mass_as_in_parameters_table():
    """parameters.md A.1: lift-off mass 21-22.5 t follows from the stage table [C]."""
    assert 20_500 <= catalog_interceptor("gbi-2stage").liftoff_mass_kg <= 22_500
    assert 21_000 <= catalog_interceptor("gbi-3stage").liftoff_mass_kg <= 22_500


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_published_speeds_leave_a_plausible_loss_budget(name):
    """Ideal delta-v minus 0.3-2.6 km/s of gravity, drag and steering losses (parameters.md A.1:
    typically 1-2 km/s for GBI-class burns, less for short SM-3/THAAD burns) overlaps the
    published burnout-speed range [low, high]."""
    icpt = catalog_interceptor(name)
    dv = icpt.ideal_delta_v_m_s / 1e3
    pub = icpt.published_burnout_speed_km_s
    assert dv - 2.6 <= pub["high"] and pub["low"] <= dv - 0.3


def test_unknown_catalog_name():
    with pytest.raises(ScenarioError, match="gbi-2stage"):
        catalog_interceptor("gbi-4stage")


# --- with_burnout_speed -------------------------------------------------------------

@pytest.mark.parametrize("target", [9.0, 6.0, 7.3])
def test_with_burnout_speed_keeps_the_loss_budget(target):
    icpt = catalog_interceptor("gbi-2stage")
    flown = 6.9
    fast = icpt.with_burnout_speed(target, flown)
    assert fast.ideal_delta_v_m_s - icpt.ideal_delta_v_m_s == pytest.approx((target - flown) * 1e3, abs=1e-6)
    ratio = (target * 1e3 + icpt.ideal_delta_v_m_s - flown * 1e3) / icpt.ideal_delta_v_m_s
    assert fast.ideal_delta_v_m_s / icpt.ideal_delta_v_m_s == pytest.approx(ratio, rel=1e-12)
    assert fast.isp_scale == pytest.approx(ratio, rel=1e-12)


def test_with_burnout_speed_raises_and_lowers_ideal_delta_v():
    icpt = catalog_interceptor("gbi-2stage")
    assert icpt.with_burnout_speed(9.0, 6.9).ideal_delta_v_m_s > icpt.ideal_delta_v_m_s
    assert icpt.with_burnout_speed(6.0, 6.9).ideal_delta_v_m_s < icpt.ideal_delta_v_m_s
    assert icpt.with_burnout_speed(6.9, 6.9).ideal_delta_v_m_s == pytest.approx(icpt.ideal_delta_v_m_s)


def test_with_burnout_speed_scales_isp_only():
    icpt = catalog_interceptor("gbi-3stage")
    fast = icpt.with_burnout_speed(9.0, 7.5)
    k = fast.isp_scale
    for old, new in zip(icpt.booster.stages, fast.booster.stages):
        assert new.gross_mass_kg == old.gross_mass_kg and new.propellant_mass_kg == old.propellant_mass_kg
        assert new.burn_time_s == old.burn_time_s
        assert new.isp_vac_s == pytest.approx(old.isp_vac_s * k)
        assert (new.isp_sl_s is None) == (old.isp_sl_s is None)
        if old.isp_sl_s is not None:
            assert new.isp_sl_s == pytest.approx(old.isp_sl_s * k)
    assert fast.published_burnout_speed_km_s == icpt.published_burnout_speed_km_s
    assert fast.kill_vehicle == icpt.kill_vehicle and fast.name == icpt.name


def test_rescaling_twice_composes():
    icpt = catalog_interceptor("sm3-iia")
    twice = icpt.with_burnout_speed(5.0, 4.5).with_burnout_speed(5.5, 5.0)
    once = icpt.with_burnout_speed(5.5, 4.5)
    assert twice.ideal_delta_v_m_s == pytest.approx(once.ideal_delta_v_m_s, rel=1e-12)
    assert twice.isp_scale == pytest.approx(once.isp_scale, rel=1e-12)


@pytest.mark.parametrize("speed", [0.0, -1.0, float("nan"), float("inf")])
def test_with_burnout_speed_rejects_nonsense(speed):
    with pytest.raises(ScenarioError) as err:
        catalog_interceptor("gbi-2stage").with_burnout_speed(speed, 6.9)
    assert err.value.field == "burnout_speed_km_s"


def test_with_burnout_speed_rejects_a_speed_below_the_loss_budget():
    icpt = catalog_interceptor("thaad")
    too_fast_now = icpt.ideal_delta_v_m_s / 1e3 + 1.0  # negative losses of 1 km/s
    with pytest.raises(ScenarioError, match="loss budget"):
        icpt.with_burnout_speed(0.5, too_fast_now)


# --- construction errors ------------------------------------------------------------

def _broken(mutate):
    entry = copy.deepcopy(BY_NAME["gbi-2stage"])
    mutate(entry)
    return entry


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda e: e["stages"][1].__setitem__("propellant_mass_kg", {"value": 9000}),
         "gbi-2stage.stages.1.propellant_mass_kg"),
        (lambda e: e["stages"][0].pop("isp_vac_s"), "gbi-2stage.stages.0.isp_vac_s"),
        (lambda e: e["stages"][0].__setitem__("thrust_n", 1.0), "gbi-2stage.stages.0"),
        (lambda e: e.__setitem__("kind", "missile"), "gbi-2stage.kind"),
        (lambda e: e.__setitem__("colour", "white"), "gbi-2stage"),
        (lambda e: e["kill_vehicle"].pop("divert_delta_v_m_s"), "gbi-2stage.kill_vehicle.divert_delta_v_m_s"),
        (lambda e: e["kill_vehicle"]["mass_kg"].__setitem__("tag", "X"), "gbi-2stage.kill_vehicle.mass_kg.tag"),
        (lambda e: e["kill_vehicle"]["max_intercept_alt_km"].update(value=50, low=50),
         "gbi-2stage.kill_vehicle.max_intercept_alt_km"),
        (lambda e: e["stages"][0]["isp_sl_s"].update(value=300, high=300), "gbi-2stage.stages.0.isp_sl_s"),
    ],
)
def test_bad_catalog_entry_names_the_field(mutate, field):
    with pytest.raises(ScenarioError) as err:
        interceptor_from_catalog(_broken(mutate))
    assert err.value.field == field


def test_plain_numbers_are_accepted_in_place_of_sourced_ones():
    entry = _broken(lambda e: e["kill_vehicle"].__setitem__("mass_kg", 60))
    assert interceptor_from_catalog(entry).kill_vehicle.mass_kg == 60.0


def test_kill_vehicle_window_must_be_ordered():
    with pytest.raises(ScenarioError) as err:
        KillVehicle(64, 1000, 150, 100, 600, 15)
    assert err.value.field == "kill_vehicle.max_intercept_alt_km"


def test_interceptor_payload_must_be_its_kill_vehicle():
    icpt = catalog_interceptor("gbi-2stage")
    heavier = KillVehicle(100, 1000, 120, 2000, 600, 15)
    with pytest.raises(ScenarioError) as err:
        Interceptor(icpt.name, icpt.title, icpt.booster, heavier, icpt.published_burnout_speed_km_s)
    assert err.value.field == "kill_vehicle.mass_kg"


# --- flown burnout speeds -----------------------------------------------------------

def _flown_burnout_speed_km_s(icpt):
    """Burnout speed of a gravity turn from Redzikowo, kick 10 deg, non-rotating Earth."""
    import numpy as np

    from shieldsim.flight import fly_rockets

    traj = fly_rockets(icpt.booster, math.radians(54.48), math.radians(17.11), 0.0, math.radians(270.0),
                       math.radians(10.0), rotation=False, dense=False, t_max_s=icpt.burn_time_s + 60.0)
    return float(np.linalg.norm(traj.burnout_state[0, 3:]) / 1e3)


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_flown_burnout_speed_inside_the_published_range(name):
    """Flown burnout speed (flight.py, gravity turn) lies in the published [low, high] range
    (parameters.md A.1-A.3); tolerance 0.1 km/s below low for the notional SM-3 / THAAD stacks,
    which are calibrated to the published value."""
    icpt = catalog_interceptor(name)
    pub = icpt.published_burnout_speed_km_s
    assert pub["low"] - 0.1 <= _flown_burnout_speed_km_s(icpt) <= pub["high"]


def test_with_burnout_speed_flies_to_the_requested_speed():
    """Rescaling keeps the loss budget: the rescaled GBI flies to the requested 9.0 km/s
    within 0.05 km/s (losses change little with Isp at fixed burn time)."""
    icpt = catalog_interceptor("gbi-2stage")
    flown = _flown_burnout_speed_km_s(icpt)
    fast = icpt.with_burnout_speed(9.0, flown)
    assert _flown_burnout_speed_km_s(fast) == pytest.approx(9.0, abs=0.05)
    slow = icpt.with_burnout_speed(6.3, flown)
    assert _flown_burnout_speed_km_s(slow) == pytest.approx(6.3, abs=0.05)
