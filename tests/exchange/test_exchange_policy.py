"""Releasability: ``policy.release`` is the one place that decides what a partner sees."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shieldsim.errors import ScenarioError
from shieldsim.exchange.messages import ALWAYS, KINDS, OPTIONAL_FIELDS, Area, Event
from shieldsim.exchange.policy import (BUILTIN, KM_PER_DEG, ORIENTATION_STEP_DEG, REGIONS, AreaRule, Policy,
                                       builtin_policy, load_policy_file, partner_policy, release)

finite = dict(allow_nan=False, allow_infinity=False)

areas = st.builds(
    Area,
    lat_deg=st.floats(-90, 90, **finite), lon_deg=st.floats(-180, 180, **finite),
    semi_major_km=st.one_of(st.none(), st.floats(0, 5000, **finite)),
    semi_minor_km=st.one_of(st.none(), st.floats(0, 5000, **finite)),
    orientation_deg=st.one_of(st.none(), st.floats(0, 179.99, **finite)),
    confidence=st.one_of(st.none(), st.floats(0.01, 0.99, **finite)),
)
events = st.builds(
    Event,
    event_id=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,20}", fullmatch=True),
    threat_id=st.from_regex(r"T[0-9a-f]{8}", fullmatch=True),
    kind=st.sampled_from(KINDS), sequence=st.integers(0, 500),
    missile_class=st.one_of(st.none(), st.sampled_from(["SRBM", "MRBM", "IRBM", "ICBM", "SLV"])),
    launch_time_s=st.one_of(st.none(), st.floats(-1e5, 1e5, **finite)),
    launch_area=st.one_of(st.none(), areas), impact_area=st.one_of(st.none(), areas),
    outcome=st.one_of(st.none(), st.sampled_from(["impact", "intercept"])),
    source_class=st.one_of(st.none(), st.sampled_from(["infrared", "radar"])),
    sensor=st.one_of(st.none(), st.text("abcdefgh-", min_size=1, max_size=20)),
    sensor_sigma_km=st.one_of(st.none(), st.floats(0, 100, **finite)),
    released_at_s=st.floats(0, 1e5, **finite),
)
policies = st.builds(
    Policy,
    partner=st.sampled_from(["p1", "russia", "x-y"]), version=st.integers(1, 9),
    kinds=st.lists(st.sampled_from(KINDS), unique=True).map(tuple),
    fields=st.lists(st.sampled_from(OPTIONAL_FIELDS), unique=True).map(tuple),
    area=st.builds(AreaRule, precision_km=st.sampled_from([0.0, 1.0, 7.5, 10.0, 100.0, 333.0]), regions=st.booleans()),
    time_precision_s=st.sampled_from([0.0, 1.0, 10.0, 60.0]), delay_s=st.sampled_from([0.0, 5.0, 600.0]),
)


def on_grid(x: float, step: float) -> bool:
    return abs(x / step - round(x / step)) < 1e-6


def check_area(a: dict, rule: AreaRule) -> None:
    if rule.regions:
        assert set(a) <= {"region"}, a
        assert a.get("region") in {r[0] for r in REGIONS} | {"elsewhere", None}
        return
    p = rule.precision_km
    if p > 0:
        q = p / KM_PER_DEG
        for k in ("lat_deg", "lon_deg"):
            if k in a:
                assert on_grid(a[k], q), (k, a[k], q)
        for k in ("semi_major_km", "semi_minor_km"):
            if k in a:
                assert a[k] >= p - 1e-9 and on_grid(a[k], p), (k, a[k], p)
        if "orientation_deg" in a:
            assert on_grid(a["orientation_deg"], ORIENTATION_STEP_DEG)


@settings(max_examples=200, deadline=None)
@given(events, policies)
def test_release_never_emits_a_withheld_field_nor_finer_precision(event, policy):
    view = release(event, policy)
    if event.kind not in policy.kinds:
        assert view is None
        return
    out = view.to_json()
    assert set(out) <= set(ALWAYS) | set(policy.fields), set(out) - set(ALWAYS) - set(policy.fields)
    for k in ("sensor", "sensor_sigma_km"):  # source detail only when granted
        assert (k in out) == (k in policy.fields and getattr(event, k) is not None)
    for k in ("launch_area", "impact_area"):
        if k in out:
            check_area(out[k], policy.area)
    step = policy.time_precision_s
    assert out["released_at_s"] >= event.released_at_s + policy.delay_s - 1e-6
    if step > 0:
        assert on_grid(out["released_at_s"], step)
        if "launch_time_s" in out:
            assert on_grid(out["launch_time_s"], step)
    if "sensor_sigma_km" in out and policy.area.precision_km > 0:
        assert on_grid(out["sensor_sigma_km"], policy.area.precision_km)
        assert out["sensor_sigma_km"] >= event.sensor_sigma_km - 1e-9  # rounded up, never flattering


@settings(max_examples=60, deadline=None)
@given(events, policies)
def test_release_is_pure_and_idempotent_on_its_own_output(event, policy):
    first = release(event, policy)
    assert first == release(event, policy)
    if first is not None and policy.delay_s == 0 and not policy.area.regions:
        # releasing the view again changes nothing: it is already at the policy's precision
        again = release(first, policy)
        assert again.to_json().keys() == first.to_json().keys()


def test_builtin_policies_load_and_russia_gets_no_source_detail():
    assert set(BUILTIN) == {"us", "nato", "russia", "public"}
    ru = builtin_policy("russia")
    assert "sensor" not in ru.fields and "sensor_sigma_km" not in ru.fields
    assert {"missile_class", "launch_time_s", "launch_area", "impact_area"} <= set(ru.fields)  # the JDEC fields
    assert builtin_policy("us").publisher and not ru.publisher


def test_a_policy_file_with_a_typo_names_the_unknown_key(tmp_path):
    f = tmp_path / "ally.yaml"
    f.write_text("partner: ally\nversion: 1\nfeilds: [missile_class]\n")
    with pytest.raises(ScenarioError, match=r"ally.yaml: feilds: unknown key"):
        load_policy_file(f)
    f.write_text("partner: ally\nversion: 1\narea: {precision_kms: 5}\n")
    with pytest.raises(ScenarioError, match=r"area.precision_kms: unknown key"):
        load_policy_file(f)
    f.write_text("partner: ally\nversion: 1\nfields: [sensor_name]\n")
    with pytest.raises(ScenarioError, match=r"unknown field 'sensor_name'"):
        load_policy_file(f)


def test_an_unknown_partner_is_refused_naming_the_partners():
    with pytest.raises(ScenarioError, match=r"PARTNER: unknown partner 'nosuch'; use one of us, nato, russia, public"):
        partner_policy("nosuch")


def test_public_view_is_a_region_ten_minutes_late():
    e = Event(event_id="a-1", threat_id="T1", kind="launch", sequence=0, released_at_s=64.4,
              launch_area=Area(lat_deg=35.2, lon_deg=53.9, semi_major_km=10, semi_minor_km=10, confidence=0.9))
    v = release(e, builtin_policy("public")).to_json()
    assert v["launch_area"] == {"region": "Iran"}
    assert v["released_at_s"] == pytest.approx(math.ceil((64.4 + 600) / 60) * 60)
