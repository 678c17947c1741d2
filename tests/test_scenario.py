"""Scenario files: loading, validation with dotted field paths, and --set overrides."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import numpy as np
import pytest
import yaml
from pydantic import BaseModel

from shieldsim import catalog
from shieldsim.errors import ScenarioError
from shieldsim.scenario import (TRAJECTORIES, Scenario, Threat, apply_overrides, builtin_scenarios, load_scenario,
                                scenario_yaml, validate_scenario)
from shieldsim.vehicles import Stage

DOC = Path(__file__).resolve().parents[1] / "docs" / "scenario.md"


def _raw(**changes):
    raw = {"version": 1, "name": "t", "threats": [{"name": "a", "missile": "shahab-3", "from": "tabriz", "to": "ankara"}]}
    raw.update(changes)
    return raw


def _error(raw) -> ScenarioError:
    with pytest.raises(ScenarioError) as exc:
        validate_scenario(raw)
    return exc.value


def test_the_built_in_scenario_loads_and_resolves():
    s = load_scenario("third_site_2007")
    assert "third_site_2007" in builtin_scenarios()
    assert s.name == "third_site_2007" and s.version == 1 and s.seed == 2007
    by_name = {t.name: t for t in s.threats}
    icbm = by_name["icbm-washington"]
    assert icbm.launch_site().name == "semnan" and icbm.aim_site().name == "washington"
    assert icbm.rocket() == catalog.missile("iran-icbm")
    assert {"iran-irbm", "iran-icbm", "shahab-3", "sejjil-2"} <= set(s.catalog_names()["missile"])


def test_scenario_yaml_is_the_file_text_that_loads():
    text = scenario_yaml("third_site_2007")
    assert validate_scenario(yaml.safe_load(text)) == load_scenario("third_site_2007")


def test_every_built_in_aim_point_lies_within_the_published_range():
    from shieldsim.earth import ground_range_m

    for name in builtin_scenarios():
        for t in load_scenario(name).threats:
            a, b = t.launch_site(), t.aim_site()
            d = float(ground_range_m(*np.radians([a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg]))) / 1e3
            rng = catalog.value(catalog.get(t.missile)["published"]["range_km"])
            assert d < rng, (name, t.name)


def test_every_built_in_aim_point_is_reachable_on_the_rotating_earth():
    targeting = pytest.importorskip("shieldsim.targeting")
    for name in builtin_scenarios():
        threats = load_scenario(name).threats
        sol = targeting.aim([t.rocket() for t in threats],
                            *np.radians([[t.launch_site().lat_deg for t in threats],
                                         [t.launch_site().lon_deg for t in threats]]), 0.0,
                            *np.radians([[t.aim_site().lat_deg for t in threats],
                                         [t.aim_site().lon_deg for t in threats]]), dense=False)
        assert sol.feasible.all(), [t.name for t, ok in zip(threats, sol.feasible) if not ok]


def test_defaults_are_filled_in():
    s = validate_scenario(_raw())
    t = s.threats[0]
    assert (s.seed, s.title, t.trajectory, t.launch_time_s) == (2007, "", "minimum-energy", 0.0)
    assert s.to_dict()["threats"][0]["from"] == "tabriz"


def test_models_are_frozen():
    s = validate_scenario(_raw())
    with pytest.raises(Exception):
        s.seed = 3
    with pytest.raises(Exception):
        s.threats[0].missile = "ss-27"


def test_an_unknown_top_level_key_is_refused_by_name():
    err = _error(_raw(sead=3))
    assert err.field == "sead"
    assert "unknown field" in err.reason and "seed" in err.reason


def test_an_unknown_nested_key_is_refused_with_its_dotted_path():
    raw = _raw()
    raw["threats"][0]["missle"] = "ss-27"
    err = _error(raw)
    assert err.field == "threats.0.missle"
    assert "did you mean missile" in err.reason


def test_an_unknown_missile_is_refused_naming_the_field_and_close_matches():
    raw = _raw()
    raw["threats"][0]["missile"] = "ss27"
    err = _error(raw)
    assert err.field == "threats.0.missile"
    assert "ss-27" in err.reason and "shieldsim catalog" in err.reason


def test_a_latitude_outside_the_earth_is_refused():
    raw = _raw()
    raw["threats"][0]["from"] = "95,10"
    err = _error(raw)
    assert err.field == "threats.0.from"
    assert "latitude 95.0 is outside [-90, 90]" in err.reason


def test_an_unknown_site_is_refused():
    raw = _raw()
    raw["threats"][0]["to"] = "berlinn"
    err = _error(raw)
    assert err.field == "threats.0.to" and "berlin" in err.reason


@pytest.mark.parametrize("changes, field, words", [
    ({"version": 2}, "version", "unsupported version"),
    ({"seed": -1}, "seed", "greater than or equal to 0"),
    ({"seed": 2.5}, "seed", "valid integer"),
    ({"seed": True}, "seed", "valid integer"),
    ({"name": ""}, "name", "at least 1 character"),
    ({"threats": "many"}, "threats", "expected a list"),
    ({"threats": ["x"]}, "threats.0", "expected a mapping"),
])
def test_bad_values_are_refused_with_their_field(changes, field, words):
    err = _error(_raw(**changes))
    assert err.field == field and words in err.reason


def test_a_missing_version_is_refused():
    raw = _raw()
    del raw["version"]
    err = _error(raw)
    assert err.field == "version" and "missing" in err.reason


@pytest.mark.parametrize("key, value, words", [
    ("trajectory", "loft", "'minimum-energy', 'lofted', 'depressed' or 'max-range-kick'"),
    ("launch_time_s", -5, "greater than or equal to 0"),
    ("launch_time_s", "10", "valid number"),
])
def test_bad_threat_values_are_refused_with_their_field(key, value, words):
    raw = _raw()
    raw["threats"][0][key] = value
    err = _error(raw)
    assert err.field == f"threats.0.{key}" and words in err.reason


def test_threat_names_must_be_unique():
    raw = _raw()
    raw["threats"].append(dict(raw["threats"][0]))
    err = _error(raw)
    assert err.field == "threats.1.name" and "already used" in err.reason


def test_a_threat_aimed_at_its_own_launch_point_is_refused():
    raw = _raw()
    raw["threats"][0]["to"] = "tabriz"
    assert _error(raw).field == "threats.0.to"


def test_a_negative_burn_time_is_refused_naming_burn_time_s():
    with pytest.raises(ScenarioError) as exc:
        Stage(gross_mass_kg=1000.0, propellant_mass_kg=800.0, isp_vac_s=250.0, burn_time_s=-1.0, diameter_m=1.0)
    assert exc.value.field == "burn_time_s"


def test_set_overrides_change_the_scenario():
    s = load_scenario("third_site_2007", ["threats.0.missile=ss-27", "seed=3", "threats.1.to=40.7,-74.0",
                                          "threats.0.trajectory=lofted"])
    assert s.threats[0].missile == "ss-27" and s.threats[0].trajectory == "lofted"
    assert s.seed == 3 and isinstance(s.seed, int)
    assert s.threats[1].aim_site().lat_deg == pytest.approx(40.7)


def test_the_seed_argument_overrides_the_file_and_the_set_options():
    assert load_scenario("third_site_2007", ["seed=3"], seed=11).seed == 11


def test_overrides_do_not_touch_the_input_mapping():
    raw = _raw()
    out = apply_overrides(raw, ["threats.0.missile=ss-27"])
    assert raw["threats"][0]["missile"] == "shahab-3" and out["threats"][0]["missile"] == "ss-27"


@pytest.mark.parametrize("item, field, words", [
    ("threats.9.missile=ss-27", "threats.9.missile", "out of range"),
    ("threats.x.missile=ss-27", "threats.x.missile", "must be an index"),
    ("seed.low=1", "seed.low", "single value"),
    ("seed", "--set", "PATH=VALUE"),
    ("threats..missile=ss-27", "--set", "dotted PATH"),
])
def test_a_bad_override_path_is_refused_naming_it(item, field, words):
    with pytest.raises(ScenarioError) as exc:
        load_scenario("third_site_2007", [item])
    assert exc.value.field == field and words in exc.value.reason


def test_an_override_of_an_unknown_field_is_refused_by_validation():
    with pytest.raises(ScenarioError) as exc:
        load_scenario("third_site_2007", ["threats.0.color=red"])
    assert exc.value.field == "threats.0.color"
    assert "unknown field" in exc.value.reason and "--set threats.0.color=red" in exc.value.reason


def test_a_scenario_file_is_read_from_a_path(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(_raw()), encoding="utf-8")
    assert load_scenario(path).threats[0].missile == "shahab-3"
    assert load_scenario(str(path), ["threats.0.missile=ghadr-1"]).threats[0].missile == "ghadr-1"


@pytest.mark.parametrize("text, words", [
    ("version: 1\nname: a\nname: b\n", "duplicate key at line 3"),
    ("version: 1\nname: [a\n", "not valid YAML"),
    ("- 1\n- 2\n", "must be a YAML mapping"),
])
def test_malformed_files_are_refused(tmp_path, text, words):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert words in exc.value.reason


def test_a_missing_file_or_unknown_built_in_is_refused():
    with pytest.raises(ScenarioError) as exc:
        load_scenario("nowhere/missing.yaml")
    assert "no such file" in exc.value.reason
    with pytest.raises(ScenarioError) as exc:
        load_scenario("third_site_2070")
    assert exc.value.field == "scenario" and "third_site_2007" in exc.value.reason


def test_the_trajectory_words_are_those_the_targeting_solver_flies():
    targeting = pytest.importorskip("shieldsim.targeting")
    assert typing.get_args(Threat.model_fields["trajectory"].annotation) == TRAJECTORIES == targeting.TRAJECTORIES


# --- docs/scenario.md --------------------------------------------------------------------
def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_documented_example_is_a_valid_scenario():
    block, *fragments = _blocks("yaml")
    s = validate_scenario(yaml.safe_load(block))
    assert s.threats[1].trajectory == "lofted" and s.threats[1].launch_time_s == 60
    # Later blocks are sections of a scenario: each one, put into the example, validates.
    for fragment in fragments:
        validate_scenario({**yaml.safe_load(block), **yaml.safe_load(fragment)})
    assert fragments, "the sensor settings example is missing"


def test_the_documented_python_example_runs():
    blocks = _blocks("python")
    assert blocks, "docs/scenario.md should show the Python API"
    for block in blocks:
        namespace: dict = {}
        exec(compile(block, str(DOC), "exec"), namespace)
        assert any(not k.startswith("__") for k in namespace), "the example defines nothing"


def _field_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    paths = []
    for name, f in model.model_fields.items():
        path = prefix + (f.alias or name)
        paths.append(path)
        ann = f.annotation
        inner = [a for a in typing.get_args(ann) if isinstance(a, type) and issubclass(a, BaseModel)]
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            paths += _field_paths(ann, path + ".")
        elif inner:
            paths += _field_paths(inner[0], path + ".<i>.")
    return paths


def test_every_scenario_field_is_documented_with_its_path():
    text = DOC.read_text(encoding="utf-8")
    missing = [p for p in _field_paths(Scenario) if f"`{p}`" not in text]
    assert missing == []



# --- sensors: per-parameter settings, on/off, notes -------------------------------------------
def test_sensor_parameters_are_set_one_by_one_with_set():
    s = load_scenario("third_site_2007", overrides=["sensors.0.reference_range_km=high", "sensors.0.min_elevation_deg=3"])
    assert s.sensors[0].name == "emr-brdy"
    assert s.sensors[0].settings() == {"reference_range_km": "high", "min_elevation_deg": 3.0}
    assert s.sensors[2].settings() == {}  # a plain name in the file, untouched


def test_the_settable_sensor_parameters_are_the_catalog_numbers():
    from shieldsim.scenario import SENSOR_SETTINGS, SensorRef
    from shieldsim.sensors import _IR_NUMBERS, _RADAR_NUMBERS

    assert set(SENSOR_SETTINGS) == set(_RADAR_NUMBERS) | set(_IR_NUMBERS)
    assert set(SENSOR_SETTINGS) <= set(SensorRef.model_fields)


@pytest.mark.parametrize("item, field, words", [
    ("sensors.0.reference_rang_km=high", "sensors.0.reference_rang_km", "did you mean reference_range_km?"),
    ("sensors.0.reference_range_km=low", "sensors.0.reference_range_km", "gives no low"),
    ("sensors.0.min_elevation_deg=medium", "sensors.0.min_elevation_deg", "low, value, high"),
    ("sensors.0.min_elevation_deg=95", "sensors.0.min_elevation_deg", "[-10, 90]"),
    ("sensors.0.cloud_top_km=5", "sensors.0.cloud_top_km", "applies to infrared"),
    ("sensors.4.min_elevation_deg=1", "sensors.4.min_elevation_deg", "applies to radar"),
    ("sensors.0.update_interval_s=0", "sensors.0.update_interval_s", "> 0"),
    ("sensors.1.enabled=maybe", "sensors.1.enabled", "boolean"),
])
def test_bad_sensor_settings_are_one_error_naming_the_field(item, field, words):
    with pytest.raises(ScenarioError) as exc:
        load_scenario("third_site_2007", overrides=[item])
    assert exc.value.field == field and words in exc.value.reason, (exc.value.field, exc.value.reason)


def test_sensor_settings_reach_the_built_defence_and_disabled_sensors_are_left_out():
    from shieldsim.analyses.context import build_defence

    sc = load_scenario("third_site_2007", overrides=["sensors.0.reference_range_km=high", "sensors.0.min_elevation_deg=3",
                                                     "sensors.1.enabled=false"])
    names = [s.name for s in build_defence(sc).sensors]
    assert "tpy2-forward" not in names and names[0] == "emr-brdy"
    emr = build_defence(sc).sensors[0]
    assert (emr.reference_range_km, emr.min_elevation_deg) == (3000, 3)


def test_a_sensor_inconsistent_only_as_a_whole_is_refused_at_build_naming_the_field():
    from shieldsim.analyses.context import build_defence

    sc = load_scenario("third_site_2007", overrides=["sensors.0.min_elevation_deg=50", "sensors.0.max_elevation_deg=40"])
    with pytest.raises(ScenarioError) as exc:
        build_defence(sc)
    assert exc.value.field == "sensors.0.max_elevation_deg"


def test_the_2007_forward_radar_is_marked_as_an_assumption():
    s = load_scenario("third_site_2007")
    fwd = next(x for x in s.sensors if x.name == "tpy2-forward")
    assert fwd.enabled and "assumption" in fwd.note and "2007" in fwd.note and "Kürecik" in fwd.note
    assert "ASSUMPTION" in scenario_yaml("third_site_2007")


# --- footprint missiles -----------------------------------------------------------------------
def test_footprint_missiles_accept_names_and_mappings_and_win_over_missile():
    s = validate_scenario(_raw(analysis={"footprint": {"missile": "iran-irbm", "launch": "semnan",
                                                       "missiles": ["sejjil-2", {"missile": "shahab-3", "launch": "tabriz"}]}}))
    assert s.analysis.footprint.flown_missiles() == [("sejjil-2", "semnan"), ("shahab-3", "tabriz")]
    assert validate_scenario(_raw()).analysis.footprint.flown_missiles() == [("iran-irbm", "semnan")]


@pytest.mark.parametrize("missiles, field, words", [
    (["shahab-4"], "analysis.footprint.missiles.0.missile", "shahab-3"),
    ([{"missile": "shahab-3", "launch": "atlantis"}], "analysis.footprint.missiles.0.launch", "atlantis"),
    ([{"missile": "shahab-3", "lanch": "tabriz"}], "analysis.footprint.missiles.0.lanch", "did you mean launch"),
    (["shahab-3", "shahab-3"], "analysis.footprint", "twice"),
])
def test_bad_footprint_missiles_are_refused_naming_the_field(missiles, field, words):
    err = _error(_raw(analysis={"footprint": {"missiles": missiles}}))
    assert err.field == field and words in err.reason, (err.field, err.reason)


def test_the_built_in_footprints_fly_the_missiles_each_region_faces():
    for name in builtin_scenarios():
        fa = load_scenario(name).analysis.footprint
        assert [m for m, _ in fa.flown_missiles()] == ["shahab-3", "sejjil-2", "iran-irbm"], name
        assert dict(fa.flown_missiles())["sejjil-2"] == "tabriz", name
