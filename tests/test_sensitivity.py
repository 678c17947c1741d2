"""``shieldsim sensitivity`` (issue 9, "every verdict as a range").

One real default OAT of third_site_2007 (every parameter, module-scoped: about a minute
with warm fly-out caches) feeds the contract and driver tests; the flip points it reports
are replayed through the independent ``reach`` and ``engage`` commands, which must give
the flipped verdict at ``flip_at`` and the scenario's verdict one grid step back toward
the base. No expected number is written here: the engine's numbers move, the
relations between the commands must not.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout

import pytest

from shieldsim import api
from shieldsim.analyses.sensitivity import parameters
from shieldsim.cli import main

SCENARIO = "third_site_2007"
SPEED = "batteries.0.burnout_speed_km_s"
RUSSIAN = "russian_pairs_engageable"
CHEAP_REACH = ["--set", "analysis.reach.speeds_km_s=[6.3]"]  # the verdict is the base assessment; one scan speed


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main(list(args))
    return rc, out.getvalue(), err.getvalue()


def cli_json(*args: str) -> dict:
    rc, out, err = cli(*args, "--json")
    assert rc == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def oat(tmp_path_factory):
    out = tmp_path_factory.mktemp("sens")
    res = api.sensitivity(SCENARIO, out=out).to_dict()
    return res, out


def figure(res, name):
    return next(f for f in res["figures"] if f["figure"] == name)


def russian_engageable(*settings: str) -> bool:
    args = [a for s in settings for a in ("--set", s)]
    pairs = cli_json("reach", SCENARIO, *CHEAP_REACH, *args)["pairs"]
    return any(p["feasible"] for p in pairs)


def threat_defended(threat: str, *settings: str) -> bool:
    args = [a for s in settings for a in ("--set", s)]
    res = cli_json("engage", SCENARIO, "--threat", threat, "--trials", "100", *args)
    return res["threats"][0]["shot_opportunities"] > 0


@pytest.mark.slow  # the scenario's full one-at-a-time sensitivity (module fixture, ~50 s)
def test_json_contract_fields(oat):
    res, _ = oat
    for key in ("scenario", "method", "figures", "skipped", "seconds"):
        assert key in res
    assert res["scenario"] == SCENARIO and res["method"] == "oat"
    names = {f["figure"] for f in res["figures"]}
    assert {"defended_fraction", RUSSIAN, "expected_leakers", "raid_p_no_leak"} <= names
    assert any(n.startswith("shot_opportunities:") for n in names) and any(n.startswith("p_kill:") for n in names)
    for f in res["figures"]:
        for key in ("figure", "value", "low", "high", "p05", "p50", "p95", "drivers"):
            assert key in f, (f["figure"], key)
        assert f["p05"] is None and f["p50"] is None and f["p95"] is None  # oat
        assert f["low"] <= f["value"] <= f["high"]
        for d in f["drivers"]:
            for key in ("parameter", "low_value", "high_value", "flips", "flip_at", "range"):
                assert key in d
            assert (d["flip_at"] is not None) == d["flips"]
        swings = [d["swing"] for d in f["drivers"] if not d["flips"]]
        assert swings == sorted(swings, reverse=True)
    for s in res["skipped"]:
        assert s["parameter"] and s["reason"]


def test_default_parameter_list_covers_the_scenario():
    params, skipped = parameters(SCENARIO)
    paths = {p.path for p in params}
    skipped_paths = {s["parameter"] for s in skipped}
    for key in ("decision_delay_s", "track_settle_s", "kill_assessment_s", "sspk", "p_discriminate", "require_track"):
        assert f"doctrine.{key}" in paths
    speed = next(p for p in params if p.path == SPEED)
    assert (speed.low, speed.high) == (6.0, 9.0)  # the catalog's published low/high of gbi-2stage
    decision = next(p for p in params if p.path == "doctrine.decision_delay_s")
    assert (decision.low, decision.high) == (30.0, 120.0)  # [@aps-2003-boost-phase; @nrc-2012]
    for i in range(5):  # every sensor of the scenario: switched, or skipped with a reason
        assert f"sensors.{i}.enabled" in paths or f"sensors.{i}.enabled" in skipped_paths
    assert any(s.startswith("catalog missile") for s in skipped_paths)


@pytest.mark.slow  # the scenario's full one-at-a-time sensitivity (module fixture, ~50 s)
def test_every_flip_value_replays_with_set(oat):
    """A reported parameter value is accepted back by --set (the reproducibility promise)."""
    res, _ = oat
    from shieldsim.scenario import load_scenario

    replayed = 0
    for f in res["figures"]:
        for d in f["drivers"]:
            if d["flips"]:
                v = d["flip_at"]
                text = str(v).lower() if isinstance(v, bool) else f"{v:g}"
                sc = load_scenario(SCENARIO, overrides=[f"{d['parameter']}={text}"]).to_dict()
                node = sc
                for part in d["parameter"].split("."):
                    node = node[int(part)] if isinstance(node, list) else node[part]
                assert node == v or (not isinstance(v, bool) and node == pytest.approx(v)), (d["parameter"], node, v)
                replayed += 1
    assert replayed > 0, "the 2007 scenario has flipping assumptions (the interceptor speed at least)"


@pytest.mark.slow  # the scenario's full one-at-a-time sensitivity (module fixture, ~50 s)
def test_russian_question_names_the_burnout_speed(oat):
    res, _ = oat
    names = [d["parameter"] for d in figure(res, RUSSIAN)["drivers"]]
    assert SPEED in names


@pytest.mark.slow  # the scenario's full one-at-a-time sensitivity (module fixture, ~50 s)
def test_russian_question_and_require_track(oat):
    """The brief expects doctrine.require_track among the Russian drivers; whether it moves
    the count is the engine's answer, so check it against the reach command itself."""
    res, _ = oat
    names = [d["parameter"] for d in figure(res, RUSSIAN)["drivers"]]
    base = figure(res, RUSSIAN)["value"]
    without = cli_json("reach", SCENARIO, *CHEAP_REACH, "--set", "doctrine.require_track=false")["pairs"]
    n_without = len({(p["launch"], p["target"]) for p in without if p["feasible"]})
    assert ("doctrine.require_track" in names) == (n_without != base)


@pytest.mark.slow  # the scenario's full one-at-a-time sensitivity (module fixture, ~50 s)
def test_speed_flip_replays_through_reach(oat):
    res, _ = oat
    d = next(d for d in figure(res, RUSSIAN)["drivers"] if d["parameter"] == SPEED)
    assert d["flips"], "the burnout speed's range 6-9 km/s no longer flips the Russian verdict"
    base_verdict = figure(res, RUSSIAN)["verdict"]["base"]
    at = d["flip_at"]
    assert russian_engageable(f"{SPEED}={at:g}") != base_verdict
    back = at + 0.05 if at < d["base"] else at - 0.05  # one grid step toward the base
    if abs(back - d["base"]) > 1e-9 and (back - d["base"]) * (at - d["base"]) > 0:
        assert russian_engageable(f"{SPEED}={back:g}") == base_verdict


@pytest.mark.slow  # the scenario's full one-at-a-time sensitivity (module fixture, ~50 s)
def test_threat_flips_replay_through_engage(oat):
    res, _ = oat
    checked = 0
    for f in res["figures"]:
        if not f["figure"].startswith("shot_opportunities:"):
            continue
        threat = f["figure"].split(":", 1)[1]
        for d in f["drivers"]:
            if d["flips"] and checked < 2:
                v = d["flip_at"]
                text = str(v).lower() if isinstance(v, bool) else f"{v:g}"
                assert threat_defended(threat, f"{d['parameter']}={text}") != f["verdict"]["base"], (threat, d)
                checked += 1
    if not checked:
        pytest.skip("no threat verdict flips inside the ranges with the current engine numbers")


@pytest.mark.slow  # the scenario's full one-at-a-time sensitivity (module fixture, ~50 s)
def test_sentences_and_tornado_charts_written(oat):
    res, out = oat
    assert (out / "sensitivity.json").exists()
    on_disk = json.loads((out / "sensitivity.json").read_text())
    assert on_disk["figures"] == res["figures"]
    verdicts = [f for f in res["figures"] if f.get("verdict")]
    assert len(res["charts"]) == len(verdicts)
    for name in res["charts"]:
        assert (out / name).read_text().lstrip().startswith("<svg")
    for f in verdicts:
        for d in f["drivers"]:
            if d["flips"]:
                assert d["sentence"].endswith(".") and " if " in d["sentence"]


@pytest.mark.slow  # the scenario's full one-at-a-time sensitivity (module fixture, ~50 s)
def test_report_section_from_sensitivity_json(oat):
    res, _ = oat
    from shieldsim.report.sensitivity import sensitivity_section

    sec = sensitivity_section(res, SCENARIO)
    assert sec["heading"] == "What you would have to believe"
    flips = [d["sentence"] for f in res["figures"] for d in f["drivers"] if d.get("sentence")]
    for s in flips:
        assert s.replace("'", "&#x27;") in sec["html"] or s in sec["html"]
    assert "data:image/png;base64," in sec["html"]
    empty = sensitivity_section(None, SCENARIO)
    assert "shieldsim sensitivity" in empty["text"]


def test_cli_param_subset_json():
    res = cli_json("sensitivity", SCENARIO, "--param", "doctrine.sspk")
    assert [p["parameter"] for p in res["parameters"]] == ["doctrine.sspk"]
    pk = [f for f in res["figures"] if f["figure"].startswith("p_kill:") and f["value"] > 0]
    assert pk and all(f["drivers"][0]["parameter"] == "doctrine.sspk" for f in pk)
    assert all(f["drivers"] == [] for f in res["figures"] if f["figure"] == "defended_fraction")


def test_bad_method_is_one_line_exit_2():
    rc, out, err = cli("sensitivity", SCENARIO, "--method", "morris")
    assert rc == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "--method" in err


def test_bad_param_is_one_line_exit_2():
    rc, _, err = cli("sensitivity", SCENARIO, "--param", "doctrine.nonsense")
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "--param" in err


@pytest.mark.slow  # a Dask cluster and 2 x N model runs
def test_sobol_runs_on_dask_and_resumes(tmp_path):
    args = ("sensitivity", SCENARIO, "--method", "sobol", "--samples", "2", "--param", "doctrine.sspk",
            "--param", "doctrine.require_track", "--set", "analysis.compare_resolution_deg=10", "-o", str(tmp_path))
    first = cli_json(*args)
    assert first["points"] == 2 * (2 + 2) and first["reused_chunks"] == 0
    pk = next(f for f in first["figures"] if f["figure"].startswith("p_kill:") and f["value"] > 0)
    assert pk["p05"] is not None and pk["p05"] <= pk["p50"] <= pk["p95"]
    assert (tmp_path / "sobol.parquet").exists()
    again = cli_json(*args)
    assert again["computed_chunks"] == 0 and again["reused_chunks"] > 0
    assert again["figures"] == first["figures"]
