"""``exchange value``: own vs shared first warning per partner and threat, and the report section."""

from __future__ import annotations

import json
import math

import pytest

from shieldsim.exchange.policy import policies
from shieldsim.exchange.value import TITLE, report_section_html, value_of

from ._server import cli, synthetic_events

EVENTS = [e for e in synthetic_events(n_threats=1, updates=3)]
NOTE = {"scenario": "made-up", "threat_ids": {"irbm-<b>erlin": "Tsyn0"}, "launch_time_s": {"irbm-<b>erlin": 0.0},
        "flight_time_s": {"irbm-<b>erlin": 1093.7}}
OWN = {"us": {"irbm-<b>erlin": 44.42, "_sensors": ["sbirs"]}, "nato": {"irbm-<b>erlin": 44.42, "_sensors": ["sbirs"]},
       "russia": {"irbm-<b>erlin": 100.0, "_sensors": ["gabala-daryal"]}, "public": {"_sensors": []}}


@pytest.fixture(scope="module")
def value():
    return value_of(EVENTS, NOTE, OWN, policies())


def test_gain_is_own_minus_shared_warning_under_each_policy(value):
    rows = {p["partner"]: p["threats"][0] for p in value["partners"]}
    # The first event is released at 44.42 s: as is to the US, rounded up to 45 s for NATO (1 s),
    # to 50 s for Russia (10 s), and 600 s later rounded up to the minute for the public.
    assert rows["us"]["shared_warning_s"] == 44.4 and rows["us"]["gain_s"] == 0.0
    assert rows["nato"]["shared_warning_s"] == 45.0 and rows["nato"]["gain_s"] == 0.0
    assert rows["russia"]["shared_warning_s"] == 50.0 and rows["russia"]["gain_s"] == 50.0
    public = math.ceil((44.42 + 600) / 60) * 60
    assert rows["public"]["own_warning_s"] is None and rows["public"]["shared_warning_s"] == public
    assert rows["public"]["gain_s"] == pytest.approx(1093.7 - public, abs=0.05)  # against the flight time


def test_impact_areas_are_the_released_ellipses(value):
    rows = {p["partner"]: p["threats"][0] for p in value["partners"]}
    # synthetic track k: 400 / 2^k by 37.3 / 2^k km
    us = list(rows["us"]["impact_area_km2_at"].values())
    assert us == pytest.approx([math.pi * 400 / 2 ** k * 37.3 / 2 ** k for k in range(3)], rel=1e-3)
    ru = list(rows["russia"]["impact_area_km2_at"].values())
    assert ru == pytest.approx([math.pi * 400 * 100, math.pi * 200 * 100, math.pi * 100 * 100], rel=1e-3)
    assert rows["public"]["impact_area_km2_at"] == {}  # named regions only, no track updates


def test_reveals_bounds_the_inferable_radar_accuracy_by_the_policy_precision(value):
    rev = {p["partner"]: p["reveals"] for p in value["partners"]}
    assert rev["us"]["inferable_radar_sigma_km"] == pytest.approx(37.3 / 4 / 2.1460, rel=1e-3)
    assert rev["russia"]["inferable_radar_sigma_km"] == pytest.approx(100 / 2.1460, rel=1e-3)
    assert not rev["russia"]["sensor_names"] and rev["nato"]["sensor_names"]


def test_report_section_is_titled_escaped_and_tabulated(value):
    html = report_section_html(value)
    assert TITLE in html and "<table>" in html
    assert "irbm-&lt;b&gt;erlin" in html and "<b>erlin" not in html
    assert html.count("<tr>") == 1 + 4  # header + one row per partner
    assert "50 s earlier" in html


@pytest.mark.slow
def test_value_cli_on_the_2007_scenario_keeps_the_contract_and_russia_gains_on_the_icbms():
    out = json.loads(cli("exchange", "value", "third_site_2007", "--json", timeout=600).stdout)
    assert [p["partner"] for p in out["partners"]] == ["us", "nato", "russia", "public"]
    for p in out["partners"]:
        for t in p["threats"]:
            assert {"threat", "own_warning_s", "shared_warning_s", "gain_s", "impact_area_km2_at"} <= set(t)
    ru = {t["threat"]: t for p in out["partners"] if p["partner"] == "russia" for t in p["threats"]}
    assert ru["icbm-washington"]["gain_s"] > 0 and ru["icbm-washington"]["own_warning_s"] is not None
