"""Bounded resources, one-line errors and no silent wrong physics on bad input (issue 16).

Each test feeds one kind of hostile input and checks the outcome the issue asks for: refused
in one line naming the field (exit 2 on the command line), or run correctly. Memory is
checked with ``tracemalloc`` where an input could blow it up (never wall-clock time).
"""

from __future__ import annotations

import math
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import shieldsim as ss
from shieldsim.errors import MAX_MESSAGE, ScenarioError, ShieldsimError, one_line
from shieldsim.scenario import MAX_NODES, load_scenario, load_yaml, read_raw

sys.path.insert(0, str(Path(__file__).parent))
from fuzz_corpus import message_problem, run_cli  # noqa: E402

BILLION_LAUGHS = "\n".join(
    ["version: 1", "name: lol", "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"l{k}: &l{k} [{', '.join([f'*l{k - 1}'] * 9)}]" for k in range(1, 10)]
    + ["description: *l9"])


def _refused(args, flag):
    outcome, rc, _, err = run_cli(args)
    assert outcome == "refused" and rc == 2, (outcome, err[-500:])
    assert message_problem(err) is None, err
    assert err.startswith(f"error: {flag}:"), err
    return err


def test_a_billion_laughs_file_is_refused_before_it_is_expanded(tmp_path):
    """10^9 'lol's behind ten lines of aliases: refused while counting the composed nodes, in
    a few MB, and the message quotes none of it."""
    f = tmp_path / "bomb.yaml"
    f.write_text(BILLION_LAUGHS)
    tracemalloc.start()
    try:
        with pytest.raises(ScenarioError) as exc:
            load_scenario(f)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert f"more than {MAX_NODES:,} values" in exc.value.reason and "lol" not in exc.value.reason
    assert peak < 20e6, peak
    err = _refused(["scenario", "check", str(f)], "scenario")
    assert len(err) < 200


@pytest.mark.parametrize("text, words", [
    ("a: " + "[" * 3000 + "]" * 3000, "nested deeper than 32 levels"),
    ("? [a, b]\n: 1\n", "keys are field names"),
    ("? {a: 1}\n: 1\n", "keys are field names"),
    ("1: one\n", "not a field name"),
    ("a: &a [*a]\n", "contains itself"),
    ("a: [1\n", "not valid YAML at line 2"),
])
def test_hostile_yaml_is_one_error_naming_the_line(text, words, tmp_path):
    with pytest.raises(ScenarioError) as exc:
        load_yaml(text, "f.yaml")
    assert words in str(exc.value) and len(str(exc.value)) <= MAX_MESSAGE
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    _refused(["scenario", "check", str(f)], "scenario")


def test_yaml_1_1_forms_are_read_as_written_or_refused():
    """YAML 1.2 scalars: 010 is ten (not octal 8), 1e3 a number; yes, 1_000, 1:30 and dates
    stay text, which number and boolean fields refuse."""
    got = load_yaml("a: 010\nb: yes\nc: 1_000\nd: 1:30\ne: 1e3\nf: 0o10\ng: 2007-01-01\nh: no\n")
    assert got == {"a": 10, "b": "yes", "c": "1_000", "d": "1:30", "e": 1000.0, "f": 8, "g": "2007-01-01",
                   "h": "no"}
    assert load_scenario("third_site_2007", overrides=["batteries.0.inventory=010"]).batteries[0].inventory == 10
    for item, field in [("sensors.1.enabled=yes", "sensors.1.enabled"), ("doctrine.require_track=on",
                                                                         "doctrine.require_track"),
                        ("batteries.0.inventory=1_000", "batteries.0.inventory"),
                        ("doctrine.kill_assessment_s=1:30", "doctrine.kill_assessment_s"),
                        ('doctrine.sspk="0.5"', "doctrine.sspk"),
                        ("analysis.footprint.resolution_deg=1_0", "analysis.footprint.resolution_deg")]:
        with pytest.raises(ScenarioError) as exc:
            load_scenario("third_site_2007", overrides=[item])
        assert exc.value.field == field, (item, str(exc.value))


@pytest.mark.parametrize("item, field, words", [
    ("threats.0.name=a]]>b", "threats.0.name", "]]>"),
    ('batteries.0.name="a\\x01b"', "batteries.0.name", "control character"),
    ('name="two\\nlines"', "name", "control character"),
    ("threats.0.from=50,20,1e308", "threats.0.from", "at most 10 km"),
    ("batteries.0.site=50,20,1e308", "batteries.0.site", "at most 10 km"),
    ("threats.0.launch_time_s=1e308", "threats.0.launch_time_s", "86400"),
    ("doctrine.decision_delay_s=1e308", "doctrine.decision_delay_s", "86400"),
    ("sensors.0.range_noise_m=1e308", "sensors.0.range_noise_m", "input bound"),
    ("sensors.2=emr-brdy", "sensors.2.name", "already listed"),
    ("analysis.raid.decoys=[]", "analysis.raid.decoys", "at least 1"),
    ("analysis.reach.speeds_km_s=[]", "analysis.reach.speeds_km_s", "at least 1"),
    ("threats.0.name=" + "x" * 100_000, "threats.0.name", "at most 80"),
])
def test_check_refuses_what_a_command_could_not_run(item, field, words):
    """Names that break KML/XML, places and times of 1e308, duplicate sensors, empty raid and
    reach lists, a 100 kB name: refused when read, one line naming the field, the value
    quoted at most ~80 characters."""
    with pytest.raises(ScenarioError) as exc:
        load_scenario("third_site_2007", overrides=[item])
    assert exc.value.field == field and words in exc.value.reason, str(exc.value)
    assert len(str(exc.value)) <= MAX_MESSAGE and "x" * 81 not in str(exc.value)


def test_a_file_named_like_a_built_in_does_not_shadow_it(tmp_path, monkeypatch):
    """A bare built-in name is the built-in; ``./NAME`` reads the file (docs/scenario.md)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "third_site_2007").write_text("version: 1\nname: impostor\n")
    assert read_raw("third_site_2007")["name"] == "third_site_2007"
    assert read_raw("./third_site_2007")["name"] == "impostor"


def test_messages_are_one_line_and_short_whatever_they_quote():
    e = ScenarioError("f\n" * 200, "bad value " + "v" * 10_000 + "\n: use at most 3")
    assert "\n" not in str(e) and len(str(e)) <= MAX_MESSAGE and str(e).endswith("use at most 3")
    assert one_line("\x1b[2J") == "\\x1b[2J"
    assert "\n" not in str(ShieldsimError("two\nlines"))


@pytest.mark.parametrize("args, flag, words", [
    (["fly", "--burnout", "50,20,100,7,30,45", "--samples", "1e-6", "--json"], "--samples", "1,000,000"),
    (["fly", "--burnout", "50,20,100,7,30,45", "--beta", "1e-9", "--json"], "--beta", "at least 1"),
    (["fly", "--burnout", "nan,20,100,7,30,45", "--json"], "--burnout", "finite"),
    (["fly", "--burnout", "50,inf,100,7,30,45", "--json"], "--burnout", "finite"),
    (["fly", "--burnout", "50,20,0,7,-30,45", "--json"], "--burnout", "impact"),
    (["fly", "--burnout", "50,20,0.001,7,-30,45", "--json"], "--burnout", "impact, not a flight"),
    (["engage", "third_site_2007", "--trials", "1e300", "--json"], "--trials", "1,000,000,000,000"),
    (["engage", "third_site_2007", "--trials", "9" * 5000, "--json"], "--trials", "whole number"),
    (["engage", "third_site_2007", "--interceptor-speed", "0.5", "--json"], "--interceptor-speed", "published"),
])
def test_flags_beyond_their_bounds_are_one_line(args, flag, words):
    """No 17 GiB sample array, no day-long feather, no NaN flight, no trip through the Earth
    reported as a 3,743 s flight, no 300-digit trials count echoed back."""
    err = _refused(args, flag)
    assert words in err, err


def test_free_flight_refuses_non_finite_and_into_the_ground_states():
    for kw, name in [({"lat_deg": math.nan}, "lat_deg"), ({"lon_deg": math.inf}, "lon_deg"),
                     ({"alt_km": -math.inf}, "alt_km"), ({"speed_km_s": math.nan}, "speed_km_s"),
                     ({"gamma_deg": math.nan}, "gamma_deg"), ({"azimuth_deg": math.inf}, "azimuth_deg"),
                     ({"beta_kg_m2": math.nan}, "beta_kg_m2"), ({"alt_km": 0.0, "gamma_deg": -10.0}, "alt_km"),
                     ({"alt_km": 0.002, "gamma_deg": -5.0}, "gamma_deg")]:
        args = {"lat_deg": 50.0, "lon_deg": 20.0, "alt_km": 100.0, "speed_km_s": 7.0, "gamma_deg": 30.0,
                "azimuth_deg": 45.0, **kw}
        beta = args.pop("beta_kg_m2", None)
        with pytest.raises(ScenarioError) as exc:
            ss.free_flight(**args, beta_kg_m2=beta)
        assert exc.value.field == name, (kw, str(exc.value))


def test_a_state_just_above_the_ground_flies_a_short_fall():
    """Consistency with the bound: 2 km up and 5 degrees down at 1 km/s is a real (short)
    flight, not refused, and it ends on the ground within a minute."""
    res = ss.free_flight(50.0, 20.0, 2.0, 1.0, -5.0, 45.0)
    assert 0 < np.ravel(res.flight_time_s)[0] < 60.0


def test_observe_draws_its_noise_from_the_generator_it_is_given():
    """``sensors.observe``: the same seed gives the same radar measurements and launch reports,
    another seed other ones (the detections themselves do not depend on it)."""
    from shieldsim.sensors import InfraredConstellation, InfraredSatellite, Radar, observe
    from tests._synthetic import iran_to_europe

    traj = iran_to_europe(4, seed=3)
    sensors = [Radar(name="r", lat_deg=35.0, lon_deg=45.0, alt_km=0.0, reference_range_km=3000.0,
                     reference_rcs_m2=1.0),
               InfraredConstellation("ir", (InfraredSatellite("geo", 69.0),), launch_time_sigma_s=5.0)]
    a, b, c = (observe(traj, sensors, 1.0, np.random.default_rng(s), dt=4.0) for s in (1, 2, 1))
    ra, rb, rc = (o.measurements["r"].range_m for o in (a, b, c))
    np.testing.assert_array_equal(ra, rc)
    assert np.isfinite(ra).any() and np.array_equal(np.isfinite(ra), np.isfinite(rb))
    assert not np.array_equal(ra[np.isfinite(ra)], rb[np.isfinite(rb)])
    ta, tb, tc = (o.infrared["ir"].launch_time_est_s for o in (a, b, c))
    np.testing.assert_array_equal(ta, tc)
    assert np.isfinite(ta).any() and not np.array_equal(ta[np.isfinite(ta)], tb[np.isfinite(tb)])
    np.testing.assert_array_equal(a.observations[0].first_detection_s, b.observations[0].first_detection_s)


@pytest.mark.slow
def test_observe_measurement_noise_follows_the_seed():
    """``--seed`` moves the radar measurement noise of ``observe``; the same seed repeats it
    exactly (issue 16, item 7)."""
    from shieldsim.analyses import commands

    runs = [commands.observe("third_site_2007", threat="irbm-berlin", seed=s).observation for s in (1, 2, 1)]
    radars = [k for k, m in runs[0].measurements.items() if np.isfinite(m.range_m).any()]
    assert radars
    for k in radars:
        a, b, c = (r.measurements[k].range_m for r in runs)
        np.testing.assert_array_equal(a, c)
        finite = np.isfinite(a)
        assert np.array_equal(finite, np.isfinite(b))  # the same detections, other noise
        assert not np.array_equal(a[finite], b[finite])


@pytest.mark.parametrize("item, field", [("threats=[]", "threats"), ("batteries=[]", "batteries"),
                                         ("sensors=[]", "sensors")])
def test_check_refuses_what_run_cannot_complete(item, field):
    """``scenario check`` is a guarantee about ``run``: a scenario without threats, batteries or
    sensors is refused there, naming the section (commands that need none of them still run it)."""
    _refused(["scenario", "check", "third_site_2007", "--set", item], field)
