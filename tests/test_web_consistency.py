"""Consistency test: the workbench's API and the CLI give the same numbers for the same knobs
(issue 13: "the same knob settings give the same numbers in the page and in the CLI (``--set`` /
``--interceptor-speed``): a test compares them").

One path of our code against another: ``GET /api/engage`` and ``/api/reach`` with ``set`` and
``interceptor_speed`` against ``shieldsim engage|reach ... --set ... --interceptor-speed ... --json``
run through the CLI's entry point, and the scenario file the page downloads run by the CLI with
no knobs at all. Exact equality: the same seed gives the same JSON (the contract).
"""

import json
import shlex

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from shieldsim.cli import main  # noqa: E402
from shieldsim.web import create_app  # noqa: E402

SETS = ["doctrine.require_track=false", "doctrine.decision_delay_s=90", "sensors.1.enabled=false"]
# The scenario's own 6.3 km/s (its fly-out table is shared with the rest of the suite) in the fast
# lane; another speed builds a new fly-out table (a minute on a busy two-core machine): slow lane.
SPEEDS = [6.3, pytest.param(8.0, marks=pytest.mark.slow)]


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as c:
        yield c


def _cli(capsys, *args, quiet=True) -> dict:
    capsys.readouterr()
    assert main([*args, "--json", *(["--quiet"] if quiet else [])]) == 0
    return json.loads(capsys.readouterr().out)


def _knob_args(speed):
    return [a for s in SETS for a in ("--set", s)] + ["--interceptor-speed", str(speed)]


@pytest.mark.parametrize("speed", SPEEDS)
def test_engage_through_the_api_equals_the_cli_and_the_downloaded_file(client, capsys, tmp_path, speed):
    query = {"scenario": "third_site_2007", "set": SETS, "interceptor_speed": speed, "trials": 300,
             "threat": "irbm-berlin"}
    api = client.get("/api/engage", params=query)
    assert api.status_code == 200, api.text
    cli = _cli(capsys, "engage", "third_site_2007", "--trials", "300", "--threat", "irbm-berlin", *_knob_args(speed))
    assert api.json() == cli
    # The page's "download": the scenario with the knobs written in, run with no flags.
    text = client.get("/api/download/scenario.yaml", params={k: query[k] for k in ("scenario", "set",
                                                                                    "interceptor_speed")}).text
    f = tmp_path / "workbench.yaml"
    f.write_text(text)
    assert _cli(capsys, "engage", str(f), "--trials", "300", "--threat", "irbm-berlin") == cli


@pytest.mark.slow  # reach scans seven interceptor speeds: a fly-out table each on a cold cache (~10 s CPU)
@pytest.mark.parametrize("speed", [6.3, 8.0])
def test_reach_through_the_api_equals_the_cli(client, capsys, speed):
    query = {"scenario": "third_site_2007", "set": SETS, "interceptor_speed": speed,
             "launch": ["kozelsk"], "target": ["washington"]}
    api = client.get("/api/reach", params=query)
    assert api.status_code == 200, api.text
    cli = _cli(capsys, "reach", "third_site_2007", "--launch", "kozelsk", "--target", "washington", *_knob_args(speed))
    assert api.json() == cli
    # The page's Russian view is this same reach result, with tracks added.
    page = client.get("/api/russia", params=query).json()
    assert page["reach"] == cli
    assert page["engageable"] == sum(r["feasible"] for r in cli["pairs"])
    # The page's "results JSON" download: its numbers are what the commands it lists print.
    results = client.get("/api/download/results.json", params=query).json()
    assert results["reach"] == cli
    for name in ("engage", "reach"):
        words = shlex.split(results["commands"][name])
        assert words[:2] == ["shieldsim", name]
        assert _cli(capsys, *[w for w in words[1:] if w != "--json"]) == results[name], name


def test_fly_through_the_api_equals_the_cli(client, capsys):
    args = {"missile": "shahab-3", "from": "tabriz", "to": "ankara", "trajectory": "lofted", "samples": 60}
    api = client.get("/api/fly", params=args)
    assert api.status_code == 200, api.text
    cli = _cli(capsys, "fly", "shahab-3", "--from", "tabriz", "--to", "ankara", "--trajectory", "lofted",
               "--samples", "60", quiet=False)
    assert api.json() == cli
