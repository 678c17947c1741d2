"""The catalog: sourced entries, name look-up, places, and buildable missiles."""

from __future__ import annotations

import math

import numpy as np
import pytest

from shieldsim import catalog
from shieldsim.errors import ScenarioError

MU = 3.986004418e14
R_SPHERE = 6371.0e3


def _walk(node, path, sourced, out):
    """Collect (path, problem) for every number without a source, independently of the loader."""
    if isinstance(node, dict):
        if "value" in node:
            if not str(node.get("source", "")).strip():
                out.append((path, "no source"))
            if node.get("tag") not in ("V", "R", "C", "D", "N"):
                out.append((path, f"bad tag {node.get('tag')!r}"))
            return
        here = sourced or bool(str(node.get("source", "")).strip())
        for k, v in node.items():
            _walk(v, f"{path}.{k}", here, out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _walk(v, f"{path}.{i}", sourced, out)
    elif isinstance(node, (int, float)) and not isinstance(node, bool) and not sourced:
        out.append((path, "bare number"))


def _min_energy_speed_m_s(range_km: float) -> float:
    """Minimum-energy burnout speed over a non-rotating sphere ([@shieldsim-closed-forms]):
    sin(psi/2) = nu / (2 - nu), v = sqrt(nu mu / R)."""
    s = math.sin(range_km * 1e3 / R_SPHERE / 2.0)
    return math.sqrt(2.0 * s / (1.0 + s) * MU / R_SPHERE)


def test_every_number_in_every_entry_has_a_source_and_a_tag():
    problems = []
    for e in catalog.entries():
        _walk(e, e["name"], False, problems)
    assert problems == []


def test_names_are_unique_lower_case_ids():
    names = catalog.names()
    assert len(names) == len(set(names))
    assert all(n == n.lower() and " " not in n and "_" not in n for n in names)


def test_min_energy_helper_reproduces_the_reference_table():
    """[@shieldsim-closed-forms]: 1,300 km -> 3,400.9 m/s; 10,000 km -> 7,198.1 m/s."""
    assert _min_energy_speed_m_s(1300) == pytest.approx(3400.9, abs=1.0)
    assert _min_energy_speed_m_s(10000) == pytest.approx(7198.1, abs=1.0)


def test_required_missiles_and_sites_are_listed():
    missiles = set(catalog.names("missile"))
    assert {"shahab-3", "ghadr-1", "sejjil-2", "iran-irbm", "iran-icbm", "taepodong-2",
            "ss-18", "ss-19", "ss-25", "ss-27"} <= missiles
    sites = set(catalog.names("site"))
    assert {"semnan", "semnan-simorgh", "shahroud", "tabriz", "khorramabad", "tehran", "kozelsk", "tatishchevo",
            "teykovo", "yoshkar-ola", "vypolzovo", "novosibirsk", "irkutsk", "uzhur", "dombarovsky", "barnaul",
            "nizhny-tagil", "washington", "new-york", "boston", "chicago", "seattle", "london", "paris", "berlin",
            "rome", "madrid", "lisbon", "warsaw", "brussels", "oslo", "bucharest", "athens", "ankara", "tel-aviv",
            "moscow", "redzikowo", "brdy", "deveselu", "kurecik", "gabala", "fylingdales", "thule",
            "musudan-ri", "sohae"} <= sites


def test_entries_filter_by_kind_and_return_copies():
    sites = catalog.entries("site")
    assert sites and all(e["kind"] == "site" for e in sites)
    sites[0]["lat_deg"] = 999
    assert catalog.entries("site")[0]["lat_deg"] != 999


def test_entries_refuse_an_unknown_kind():
    with pytest.raises(ScenarioError) as exc:
        catalog.entries("rocket")
    assert exc.value.field == "kind"


def test_get_of_an_unknown_name_lists_close_matches_and_the_catalog_command():
    with pytest.raises(ScenarioError) as exc:
        catalog.get("shahab3", "missile", field="--missile")
    assert exc.value.field == "--missile"
    assert "shahab-3" in exc.value.reason
    assert "shieldsim catalog" in exc.value.reason


def test_get_of_a_name_of_another_kind_says_what_it_is():
    with pytest.raises(ScenarioError) as exc:
        catalog.get("semnan", "missile")
    assert "is a site" in exc.value.reason


def test_value_and_spread_read_parameters_and_bare_numbers():
    p = {"value": 2.0, "low": 1.0, "high": 3.0, "source": "x", "tag": "D"}
    assert catalog.value(p) == 2.0
    assert catalog.value(5) == 5
    assert catalog.spread(p) == (1.0, 2.0, 3.0)
    assert catalog.spread({"value": 4, "source": "x", "tag": "V"}) == (4, 4, 4)


@pytest.mark.parametrize("text, lat, lon, alt", [
    ("35.2,53.9", 35.2, 53.9, 0.0),
    (" -33.9 , 151.2 , 0.05 ", -33.9, 151.2, 0.05),
    ("10,200", 10.0, -160.0, 0.0),
])
def test_parse_place_reads_coordinates(text, lat, lon, alt):
    s = catalog.parse_place(text, "--from")
    assert (s.lat_deg, s.lon_deg, s.alt_km) == pytest.approx((lat, lon, alt))


def test_parse_place_reads_a_catalog_site():
    s = catalog.parse_place("semnan", "--from")
    assert (s.name, s.group) == ("semnan", "iran-launch")
    assert (s.lat_deg, s.lon_deg) == pytest.approx((35.2347, 53.9208))


@pytest.mark.parametrize("text, words", [
    ("95,10", "latitude 95.0 is outside [-90, 90]"),
    ("10,400", "longitude 400.0 is outside [-180, 360)"),
    ("10,-181", "longitude -181.0 is outside [-180, 360)"),
    ("abc", "unknown site 'abc'"),
    ("10,abc", "longitude 'abc' is not a number"),
    ("1,2,3,4", "expected LAT,LON"),
    ("35.2", "one number"),
    ("", "expected a catalog site name"),
])
def test_parse_place_rejects_bad_places_naming_the_field(text, words):
    with pytest.raises(ScenarioError) as exc:
        catalog.parse_place(text, "--from")
    assert exc.value.field == "--from"
    assert words in exc.value.reason


def test_sites_have_valid_coordinates_groups_and_sources():
    for e in catalog.entries("site"):
        s = catalog.site(e["name"])
        assert -90 <= s.lat_deg <= 90 and -180 <= s.lon_deg < 180
        assert s.group in catalog.SITE_GROUPS
        assert s.source


@pytest.mark.parametrize("a, b, km", [
    ("semnan", "washington", 10377), ("semnan", "new-york", 10057), ("kozelsk", "washington", 7879),
    ("uzhur", "washington", 9490), ("redzikowo", "kozelsk", 1214), ("brdy", "redzikowo", 586),
    ("brdy", "semnan", 3616), ("kurecik", "semnan", 1478), ("gabala", "semnan", 824),
    ("fylingdales", "semnan", 4666), ("deveselu", "semnan", 2699), ("semnan", "london", 4614),
])
def test_site_coordinates_reproduce_the_reference_geodesic_distances(a, b, km):
    """Derived geometry [C] (WGS84 geodesic) [@shieldsim-closed-forms], to 0.5 %."""
    from shieldsim.earth import ground_range_m

    sa, sb = catalog.site(a), catalog.site(b)
    d = ground_range_m(*np.radians([sa.lat_deg, sa.lon_deg, sb.lat_deg, sb.lon_deg])) / 1e3
    assert float(d) == pytest.approx(km, rel=5e-3)


def test_every_missile_builds_with_propellant_lighter_than_each_stage():
    for name in catalog.names("missile"):
        r = catalog.missile(name)
        assert r.name == name
        assert all(0 < s.propellant_mass_kg < s.gross_mass_kg for s in r.stages)
        assert r.stages[0].isp_sl_s is not None and r.stages[0].isp_sl_s < r.stages[0].isp_vac_s


def test_every_missile_has_a_sourced_published_range():
    for e in catalog.entries("missile"):
        rng = e["published"]["range_km"]
        assert rng["value"] > 0 and rng["source"]


def test_built_lift_off_mass_matches_the_published_one():
    for e in catalog.entries("missile"):
        pub = e["published"].get("liftoff_mass_kg")
        if pub is None:
            continue
        low, value, high = catalog.spread(pub)
        m = catalog.missile(e["name"]).liftoff_mass_kg
        assert min(low, 0.99 * value) <= m <= max(high, 1.01 * value), e["name"]


def test_boost_times_follow_the_reference():
    """[@wright-kadyshev-1994; @podvig-2001; @aps-2003-boost-phase]: Shahab-3 about 110 s; solid ICBMs 150-180 s; liquid ICBMs 250-300 s."""
    assert catalog.missile("shahab-3").burn_time_s == pytest.approx(110)
    for name in ("ss-25", "ss-27"):
        assert 150 <= catalog.missile(name).burn_time_s <= 180
    for name in ("ss-18", "ss-19", "iran-icbm"):
        assert 250 <= catalog.missile(name).burn_time_s <= 300


@pytest.mark.parametrize("name", ["shahab-3", "ghadr-1", "sejjil-2", "iran-irbm", "iran-icbm", "taepodong-2",
                                  "ss-18", "ss-19", "ss-25", "ss-27"])
def test_ideal_delta_v_exceeds_the_minimum_energy_speed_by_plausible_losses(name):
    """Ideal delta-v minus the minimum-energy burnout speed of the published range
    ([@shieldsim-closed-forms]) lies within 0.6-1.8 km/s of gravity, drag and back-pressure losses."""
    r = catalog.missile(name)
    rng = catalog.value(catalog.get(name)["published"]["range_km"])
    loss = r.ideal_delta_v_m_s() - _min_energy_speed_m_s(rng)
    assert 600 < loss < 1800


def test_missile_unknown_name_names_the_field():
    with pytest.raises(ScenarioError) as exc:
        catalog.missile("ss-28", field="threats.0.missile")
    assert exc.value.field == "threats.0.missile"
    assert "ss-27" in exc.value.reason


def _write(tmp_path, name, text):
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


SITE = """- name: {name}
  kind: site
  title: A place
  group: other-city
  lat_deg: 10
  lon_deg: 20
  source: test
"""


def test_loader_refuses_a_name_used_twice_across_files(tmp_path):
    _write(tmp_path, "a.yaml", SITE.format(name="here"))
    _write(tmp_path, "b.yaml", SITE.format(name="here"))
    with pytest.raises(ScenarioError) as exc:
        catalog.load_directory(tmp_path)
    assert "already used" in exc.value.reason and "a.yaml" in exc.value.reason


def test_loader_refuses_a_number_without_a_source(tmp_path):
    _write(tmp_path, "a.yaml", SITE.format(name="here").replace("  source: test\n", ""))
    with pytest.raises(ScenarioError) as exc:
        catalog.load_directory(tmp_path)
    assert exc.value.field.endswith("[here].lat_deg")
    assert "no source" in exc.value.reason


def test_loader_refuses_a_parameter_without_a_source(tmp_path):
    _write(tmp_path, "a.yaml", "- name: x\n  kind: sensor\n  title: X\n  range_km: {value: 3, tag: V}\n")
    with pytest.raises(ScenarioError) as exc:
        catalog.load_directory(tmp_path)
    assert exc.value.field.endswith("[x].range_km")


@pytest.mark.parametrize("line, words", [
    ("  range_km: {value: 3, tag: Q, source: s}", "tag must be one of"),
    ("  range_km: {value: 3, low: 4, tag: V, source: s}", "low <= value <= high"),
    ("  range_km: {value: abc, tag: V, source: s}", "finite number"),
])
def test_loader_refuses_malformed_parameters(tmp_path, line, words):
    _write(tmp_path, "a.yaml", f"- name: x\n  kind: sensor\n  title: X\n{line}\n")
    with pytest.raises(ScenarioError) as exc:
        catalog.load_directory(tmp_path)
    assert words in exc.value.reason


def test_loader_refuses_an_unknown_kind(tmp_path):
    _write(tmp_path, "a.yaml", SITE.format(name="here").replace("kind: site", "kind: ship"))
    with pytest.raises(ScenarioError) as exc:
        catalog.load_directory(tmp_path)
    assert exc.value.field.endswith("[here].kind")


def test_loader_refuses_a_missile_whose_propellant_outweighs_its_stage(tmp_path):
    text = """- name: bad
  kind: missile
  title: Bad
  stages:
    - gross_mass_kg: {value: 100, tag: N, source: s}
      propellant_mass_kg: {value: 200, tag: N, source: s}
      isp_vac_s: {value: 250, tag: N, source: s}
      burn_time_s: {value: 60, tag: N, source: s}
      diameter_m: {value: 1, tag: N, source: s}
  payload:
    mass_kg: {value: 10, tag: N, source: s}
"""
    _write(tmp_path, "a.yaml", text)
    with pytest.raises(ScenarioError) as exc:
        catalog.load_directory(tmp_path)
    assert exc.value.field.endswith("[bad].stages.0.propellant_mass_kg")



