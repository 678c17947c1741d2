"""The Python API against the command line: same arguments, same numbers (issue 11).

Each ``ss.<function>(...)`` is run beside ``shieldsim <command> ... --json`` with the same
arguments and its ``to_dict()`` must equal the command's JSON object, timings aside
(``seconds``, ``*_wall_s``). Both doors call one function per command
(``shieldsim.analyses.commands``), so any difference is a translation bug at an edge.
``to_frame()`` must give a DataFrame of the natural rows with the expected columns.

Inputs are small (one threat, 200 trials, one reach pair at one speed, a 4-degree grid of
one missile); ``run``, ``sweep``, ``sensitivity`` and the raid-vs-run check are in the
slow lane (tens of seconds each at the smallest useful size).
"""

from __future__ import annotations

import contextlib
import io
import json
import re

import pandas as pd
import pytest

import shieldsim as ss
from shieldsim.cli import main

SCENARIO = "third_site_2007"
TIMING = re.compile(r"(^seconds$|_wall_s$)")
# The smallest scenario whose every analysis still runs: what compare, run and sweep compute.
SMALL = ["analysis.trials=200", "analysis.compare_resolution_deg=6", "analysis.footprint.resolution_deg=6",
         "analysis.footprint.missiles=[]", "analysis.reach.launches=[kozelsk]", "analysis.reach.targets=[washington]",
         "analysis.reach.speeds_km_s=[6.0]", "analysis.raid.max_size=2", "analysis.raid.trials=100",
         "analysis.key_assumptions=[]"]


def cli_json(*args: str) -> dict:
    """``shieldsim ARGS --json`` in-process: the one JSON object it prints."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([*args, "--json"])
    assert rc == 0, f"shieldsim {' '.join(args)} --json exited {rc}: {err.getvalue()}"
    return json.loads(out.getvalue())


def sets(overrides) -> list[str]:
    return [a for s in overrides for a in ("--set", s)]


def untimed(obj):
    if isinstance(obj, dict):
        return {k: untimed(v) for k, v in obj.items() if not TIMING.search(k)}
    if isinstance(obj, list):
        return [untimed(v) for v in obj]
    return obj


def both(api_result, cli_obj) -> tuple[dict, dict]:
    """The API's dict (through a JSON round trip, as a user reads it) and the command's JSON,
    timings left out: a test asserts they are equal."""
    got = json.loads(json.dumps(api_result.to_dict(), allow_nan=False))
    return untimed(got), untimed(cli_obj)


def without_command_line(results: dict) -> dict:
    """``run``'s results less the command line its provenance records (the output directories differ)."""
    return {**results, "provenance": {k: v for k, v in results["provenance"].items() if k != "command_line"}}


# --- the pairs, computed once each ------------------------------------------------------------
@pytest.fixture(scope="module")
def observed():
    api = ss.observe(SCENARIO, threat="shahab-ankara", seed=7)
    return api, cli_json("observe", SCENARIO, "--threat", "shahab-ankara", "--seed", "7")


@pytest.fixture(scope="module")
def engaged():
    api = ss.engage(SCENARIO, trials=200, sspk=0.7, salvo=2, doctrine="salvo", threat="irbm-berlin",
                    set={"doctrine.kill_assessment_s": 45})
    return api, cli_json("engage", SCENARIO, "--trials", "200", "--sspk", "0.7", "--salvo", "2", "--doctrine", "salvo",
                         "--threat", "irbm-berlin", "--set", "doctrine.kill_assessment_s=45")


@pytest.fixture(scope="module")
def reached():
    api = ss.reach(SCENARIO, launches="kozelsk", targets=["washington"], set={"analysis.reach.speeds_km_s": [6.0]})
    return api, cli_json("reach", SCENARIO, "--launch", "kozelsk", "--target", "washington",
                         "--set", "analysis.reach.speeds_km_s=[6.0]")


@pytest.fixture(scope="module")
def footprinted(tmp_path_factory):
    d = tmp_path_factory.mktemp("footprint")
    api = ss.footprint(SCENARIO, launch="semnan", missile="iran-irbm", resolution_deg=4, out=d / "api.geojson")
    return api, cli_json("footprint", SCENARIO, "--launch", "semnan", "--missile", "iran-irbm", "--resolution-deg", "4",
                         "-o", str(d / "cli.geojson")), d


@pytest.fixture(scope="module")
def raided():
    return ss.raid(SCENARIO, max_size=2, trials=100, decoys=[0, 2], sspk=0.7)


@pytest.fixture(scope="module")
def run_pair(tmp_path_factory):
    d = tmp_path_factory.mktemp("run")
    api = ss.run(SCENARIO, d / "api", set=SMALL)
    return api, cli_json("run", SCENARIO, "-o", str(d / "cli"), *sets(SMALL))


# --- one test per function: the same numbers as the command -------------------------------------
def test_fly_is_fly_json():
    got, want = both(ss.fly("shahab-3", "tabriz", "ankara", samples=60.0),
         cli_json("fly", "shahab-3", "--from", "tabriz", "--to", "ankara", "--samples", "60"))
    assert got == want


def test_free_flight_is_fly_burnout_json():
    got, want = both(ss.free_flight(35.2, 53.9, 80, 6.0, 30, 300, beta_kg_m2=5000),
         cli_json("fly", "--burnout", "35.2,53.9,80,6.0,30,300", "--beta", "5000"))
    assert got == want


def test_observe_is_observe_json(observed):
    got, want = both(*observed)
    assert got == want


def test_engage_is_engage_json(engaged):
    got, want = both(*engaged)
    assert got == want


def test_reach_is_reach_json(reached):
    got, want = both(*reached)
    assert got == want


def test_footprint_is_footprint_json_and_writes_the_same_grid(footprinted):
    api, cli, d = footprinted
    got, want = both(api, cli)
    assert got == want
    assert pd.read_parquet(d / "api.parquet").equals(pd.read_parquet(d / "cli.parquet"))
    assert (d / "api.geojson").read_text() == (d / "cli.geojson").read_text()


def test_raid_options_are_the_analysis_raid_settings(raided):
    """``ss.raid``'s options mean ``--set analysis.raid.KEY=VALUE`` (and --sspk ``doctrine.sspk``)."""
    by_set = ss.raid(SCENARIO, set=["analysis.raid.max_size=2", "analysis.raid.trials=100",
                                    "analysis.raid.decoys=[0, 2]", "doctrine.sspk=0.7"])
    assert raided.to_dict() == by_set.to_dict()
    assert raided["raid_sizes"] == [1, 2] and [c["decoys"] for c in raided["curves"]] == [0, 2]


def test_compare_is_compare_json():
    small = SMALL + ["analysis.raid.headline_size=2"]
    got, want = both(ss.compare(SCENARIO, set=small), cli_json("compare", SCENARIO, *sets(small)))
    assert got == want


@pytest.mark.slow  # a whole run of the small scenario, twice (about a minute each on 2 cores)
def test_run_is_run_json(run_pair):
    api, cli = run_pair
    assert untimed(without_command_line(api.to_dict())) == untimed(without_command_line(cli))
    assert api["provenance"]["command_line"][:3] == ["shieldsim", "run", SCENARIO]


@pytest.mark.slow  # shares run_pair
def test_raid_is_the_raid_of_run(run_pair):
    _, cli = run_pair
    assert ss.raid(SCENARIO, set=SMALL).to_dict() == cli["raid"]


@pytest.mark.slow  # two sweeps of two cells on local Dask clusters
def test_sweep_is_sweep_json_and_parquet(tmp_path, monkeypatch):
    vary = ["doctrine.sspk=0.5,0.8"]
    (tmp_path / "cli").mkdir()
    (tmp_path / "api").mkdir()
    monkeypatch.chdir(tmp_path / "cli")
    cli = cli_json("sweep", SCENARIO, "--vary", vary[0], "-o", "out", *sets(SMALL))
    monkeypatch.chdir(tmp_path / "api")
    api = ss.sweep(SCENARIO, {"doctrine.sspk": [0.5, 0.8]}, "out", set=SMALL)
    got, want = both(api, cli)
    assert got == want
    frame = api.to_frame()
    other = pd.read_parquet(tmp_path / "cli" / "out" / "sweep.parquet")
    keep = [c for c in frame.columns if not TIMING.search(c)]
    assert len(frame) == 2 and {"doctrine.sspk", "defended_fraction", "raid_p_no_leak"} <= set(frame.columns)
    assert frame[keep].equals(other[keep])


@pytest.mark.slow  # one parameter's one-at-a-time sensitivity, twice
def test_sensitivity_is_sensitivity_json():
    args = dict(params=["doctrine.decision_delay_s"], resolution_deg=6.0, set=SMALL)
    got, want = both(ss.sensitivity(SCENARIO, **args),
         cli_json("sensitivity", SCENARIO, "--param", "doctrine.decision_delay_s", "--resolution-deg", "6",
                  *sets(SMALL)))
    assert got == want


# --- to_frame: the natural rows ---------------------------------------------------------------
def test_observe_frame_one_row_per_threat_and_sensor(observed):
    api, cli = observed
    df = api.to_frame()
    assert isinstance(df, pd.DataFrame)
    assert len(df) == sum(len(t["sensors"]) for t in cli["threats"])
    assert {"threat", "sensor", "kind", "detection_range_km", "first_detection_s", "fire_control_s"} <= set(df.columns)


def test_engage_frames_one_row_per_threat_and_per_shot(engaged):
    api, cli = engaged
    df = api.to_frame()
    assert list(df["threat"]) == [t["threat"] for t in cli["threats"]]
    assert {"shot_opportunities", "battle_space_start_s", "battle_space_end_s", "p_kill", "p_leak",
            "interceptors_used_mean"} <= set(df.columns)
    shots = api.engagements_frame()
    assert len(shots) == sum(len(t["engagements"]) for t in cli["threats"])
    assert {"threat", "battery", "launch_s", "intercept_s", "intercept_altitude_km"} <= set(shots.columns)


def test_reach_frame_one_row_per_pair_and_battery(reached):
    api, cli = reached
    df = api.to_frame()
    assert len(df) == len(cli["pairs"])
    assert {"launch", "target", "battery", "interceptor", "feasible", "margin_s", "min_burnout_speed_km_s",
            "intercept_altitude_km"} <= set(df.columns)


def test_footprint_frame_is_the_parquet_grid(footprinted):
    api, cli, d = footprinted
    df = api.to_frame()
    assert len(df) == cli["aim_points"]
    assert {"lat_deg", "lon_deg", "reachable", "defended", "shot_opportunities",
            "intercept_altitude_km"} <= set(df.columns)
    assert int(df["reachable"].sum()) == cli["reachable_points"]
    assert df[df["reachable"]]["defended"].mean() == pytest.approx(cli["defended_fraction"], abs=1e-4)


def test_raid_frame_one_row_per_curve_and_size(raided):
    df = raided.to_frame()
    assert len(df) == 4
    assert list(df.columns) == ["threat", "label", "decoys", "raid_size", "p_no_leak", "expected_leakers"]


def test_fly_frame_one_row_per_flight():
    df = ss.fly("shahab-3", "tabriz", ["ankara", "tel-aviv"]).to_frame()
    assert len(df) == 2 and {"flight_time_s", "ground_range_km", "apogee_km", "burnout_speed_km_s"} <= set(df.columns)


@pytest.mark.slow  # shares run_pair
def test_run_frame_one_row_per_threat(run_pair):
    api, cli = run_pair
    df = api.to_frame()
    assert list(df["threat"]) == [t["threat"] for t in cli["threats"]]
    assert {"missile", "from", "to", "flight_time_s", "shot_opportunities", "p_kill"} <= set(df.columns)
    assert api.report.exists()


# --- the API's own edges ----------------------------------------------------------------------
def test_bad_input_names_the_flag_as_the_command_does():
    with pytest.raises(ss.ScenarioError, match=r"^--sspk: "):
        ss.engage(SCENARIO, sspk=1.5)
    with pytest.raises(ss.ScenarioError, match=r"^--threat: no threat named 'nope'"):
        ss.observe(SCENARIO, threat="nope")
    with pytest.raises(ss.ScenarioError, match=r"^--max-size: "):
        ss.raid(SCENARIO, max_size=0)
    with pytest.raises(ss.ScenarioError, match=r"^no_such_field: unknown field"):
        ss.engage(SCENARIO, set={"no_such_field": 3})
    with pytest.raises(ss.ScenarioError, match=r"^--resolution-deg: "):
        ss.footprint(SCENARIO, launch="semnan", resolution_deg=0)


def test_run_refuses_a_directory_with_files_before_computing(tmp_path):
    (tmp_path / "old.txt").write_text("results of another run")
    with pytest.raises(ss.ScenarioError, match=r"^-o: .* is not empty"):
        ss.run(SCENARIO, tmp_path)
    with pytest.raises(ss.ScenarioError, match=r"^--skip: unknown part 'nope'"):
        ss.run(SCENARIO, tmp_path / "new", skip="nope")


def test_trials_accept_the_command_line_notation():
    from shieldsim.analyses.commands import whole

    assert whole("1e3", "--trials") == whole(1000.0, "--trials") == whole("1_000", "--trials") == 1000
    with pytest.raises(ss.ScenarioError, match=r"^--trials: expected a whole number"):
        whole(2.5, "--trials")


def test_set_as_a_dict_is_set_as_strings():
    from shieldsim.api import _overrides, _vary

    assert _overrides({"doctrine.sspk": 0.7, "batteries.0.site": "54.5,18.1", "doctrine.require_track": False,
                       "analysis.reach.speeds_km_s": [6, 8]}) == [
        "doctrine.sspk=0.7", "batteries.0.site=54.5,18.1", "doctrine.require_track=false",
        "analysis.reach.speeds_km_s=[6, 8]"]
    assert _vary({"doctrine.sspk": [0.5, 0.8], "interceptor_speed_km_s": 7}) == [
        "doctrine.sspk=0.5,0.8", "interceptor_speed_km_s=7"]


def test_import_compiles_nothing():
    """``import shieldsim`` stays light: the API's modules load on first use."""
    import subprocess
    import sys

    code = "import sys, shieldsim as ss; print('numba' in sys.modules, callable(ss.engage), sorted(ss.__all__))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("False True")
    for name in ("observe", "engage", "reach", "footprint", "raid", "compare", "sweep", "run", "sensitivity"):
        assert f"'{name}'" in out
