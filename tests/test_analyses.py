"""The analysis layer: fly --sensors, raid curves, interceptor rescaling, fan tables, compare."""

import json

import numpy as np
import pytest

from shieldsim import catalog
from shieldsim.cli import main
from shieldsim.interceptor_specs import interceptor_from_catalog
from shieldsim.interceptors import at_burnout_speed, build_table, flown_burnout_speed

CHEAP = ["--set", "analysis.compare_resolution_deg=6", "--set", "analysis.reach.speeds_km_s=[6.0]",
         "--set", "analysis.reach.launches=[kozelsk]", "--set", "analysis.reach.targets=[washington]",
         "--set", "analysis.raid.max_size=3", "--set", "analysis.raid.trials=300", "--set", "analysis.trials=300"]


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_fly_with_sensors_gives_the_observe_timeline_of_the_same_flight(capsys):
    fly = _json(capsys, ["fly", "iran-irbm", "--from", "semnan", "--to", "berlin", "--sensors", "third_site_2007",
                         "--json"])
    obs = _json(capsys, ["observe", "third_site_2007", "--threat", "irbm-berlin", "--json"])["threats"][0]
    assert abs(fly["flight_time_s"] - obs["flight_time_s"]) < 0.01
    a = {s["sensor"]: s["first_detection_s"] for s in fly["sensors"]}
    b = {s["sensor"]: s["first_detection_s"] for s in obs["sensors"]}
    assert a.keys() == b.keys()
    for k in a:
        assert (a[k] is None) == (b[k] is None)
        if a[k] is not None:
            assert abs(a[k] - b[k]) < 1.0
    assert fly["fire_control_s"] is not None and fly["fire_control_s"] > fly["first_track_s"]


def test_rescaled_interceptor_flies_at_the_requested_burnout_speed():
    gbi = interceptor_from_catalog(catalog.get("gbi-2stage"))
    for v in (6.3, 9.0):
        flown, _ = flown_burnout_speed(at_burnout_speed(gbi, v).booster)
        assert abs(flown - v * 1e3) < 10.0


def test_time_to_reach_grows_with_downrange_and_a_faster_interceptor_is_earlier():
    gbi = interceptor_from_catalog(catalog.get("gbi-2stage"))
    slow = build_table(at_burnout_speed(gbi, 6.3).booster, 54.5)
    fast = build_table(at_burnout_speed(gbi, 8.0).booster, 54.5)
    d = np.array([300e3, 800e3, 1500e3, 2000e3])
    t_slow, _, _ = slow.lookup(np.pi / 2, d, 600e3)
    t_fast, _, _ = fast.lookup(np.pi / 2, d, 600e3)
    assert np.all(np.diff(t_slow) > 0) and np.all(np.isfinite(t_slow))
    assert np.all(t_fast < t_slow)


def test_raid_leaks_more_as_the_raid_grows_and_with_decoys():
    from shieldsim.analyses.context import load_context
    from shieldsim.analyses.raid import raid_curves
    from shieldsim.analyses.threats import fly_threat_specs

    ctx = load_context("third_site_2007")
    flown = fly_threat_specs(ctx.threat_specs[:1])
    a = ctx.defence.assess(flown.trajectory, ctx.rng(2), flown.names)
    r = raid_curves(ctx.defence, a, 0, np.random.default_rng(0), sizes=[1, 5, 10, 15], decoys=(0, 4), n_trials=4000)
    no_decoys, decoys = (np.array(c["expected_leakers"]) for c in r.curves)
    assert np.all(np.diff(no_decoys) >= -0.02)
    assert no_decoys[-1] >= 5.0 - 0.05  # 15 warheads against 10 interceptors: at least 5 leak
    assert np.all(decoys >= no_decoys - 0.02)


@pytest.mark.parametrize("name", ["third_site_2007", "gabala_2007"])
def test_compare_reports_the_headline_figures(capsys, name):
    out = _json(capsys, ["compare", name, *CHEAP, "--json"])
    row = out["scenarios"][0]
    assert row["name"] == name
    for k in ("defended_fraction", "raid_p_no_leak", "expected_leakers", "russian_pairs_engageable"):
        assert k in row
    assert 0.0 <= row["defended_fraction"] <= 1.0 and 0.0 <= row["raid_p_no_leak"] <= 1.0
    # the raid columns name the threat they are about (scenarios raid with different threats)
    assert {"raid_threat", "raid_missile", "raid_from", "raid_to"} <= set(row) and row["raid_threat"]
