"""The workbench's JSON API and static page without a browser (issue 13): bad requests get a 4xx
with a one-line reason and the server keeps serving; the page and its Cesium bundle are served
by the app itself (nothing from the internet); the knobs' ranges are the catalog's; the
downloaded scenario carries the knobs. ``tests/test_web_consistency.py`` compares numbers with
the CLI, ``tests/test_web_browser.py`` drives the page in Chromium.
"""

import re
from pathlib import Path

import pytest
import yaml

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from shieldsim.web import create_app  # noqa: E402

STATIC = Path(__file__).resolve().parents[1] / "src" / "shieldsim" / "web" / "static"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as c:
        yield c


@pytest.mark.parametrize("url, field", [
    ("/api/engage?scenario=no-such-scenario", "scenario"),
    ("/api/engage?interceptor_speed=-1", "--interceptor-speed"),
    ("/api/engage?set=doctrine.sspk", "--set"),  # no "=VALUE"
    ("/api/engage?set=doctrine.no_such_field=1", "doctrine.no_such_field"),
    ("/api/scene?interceptor_speed=fast", "interceptor_speed"),
    ("/api/download/scenario.yaml?set=threats.9.missile=ss-27", "threats"),
    ("/api/scenarios/..%2F..%2Fetc%2Fpasswd", "not found"),
])
def test_bad_request_is_a_4xx_with_one_line_and_the_server_keeps_serving(client, url, field):
    r = client.get(url)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:200])
    error = r.json()["error"]
    assert "\n" not in error and 0 < len(error) <= 300
    assert field in error, error
    assert client.get("/api/health").json() == {"ok": True}


def test_unknown_scenario_is_refused_without_reading_files(client, tmp_path):
    """Only built-in scenarios and the served file are accepted: a path is refused, not read."""
    f = tmp_path / "elsewhere.yaml"
    f.write_text("version: 1\n")
    r = client.get("/api/engage", params={"scenario": str(f)})
    assert r.status_code == 400 and "unknown scenario" in r.json()["error"]


def test_page_and_cesium_are_served_locally(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    for path in re.findall(r'(?:src|href)="(/[^"]+)"', page.text):
        assert client.get(path).status_code == 200, path
    for name in ("index.html", "app.js", "style.css"):
        text = (STATIC / name).read_text()
        assert not re.search(r"(?:https?:)?//(?!127\.0\.0\.1)[a-z0-9.-]+\.[a-z]{2,}", text), name
    base = re.search(r'CESIUM_BASE_URL = "([^"]+)"', page.text).group(1)  # where Cesium fetches its workers
    assert client.get(f"{base}Assets/Textures/NaturalEarthII/tilemapresource.xml").status_code == 200
    assert client.get(f"{base}Workers/createVerticesFromHeightmap.js").status_code == 200
    assert f'src="{base}Cesium.js"' in page.text
    version = (STATIC / "vendor" / "cesium" / "VERSION").read_text()
    assert "cesium@1.145.0" in version and (STATIC / "vendor" / "cesium" / "LICENSE.md").exists()


def test_scenario_list_and_show_match_the_cli(client):
    from shieldsim.scenario import builtin_scenarios, scenario_yaml

    names = [s["name"] for s in client.get("/api/scenarios").json()["scenarios"]]
    assert names == sorted(builtin_scenarios())
    r = client.get("/api/scenarios/third_site_2007")
    assert r.status_code == 200 and r.text == scenario_yaml("third_site_2007")


def test_knobs_carry_the_catalog_published_ranges(client):
    from shieldsim import catalog

    k = client.get("/api/knobs", params={"scenario": "third_site_2007"}).json()
    by = {p["parameter"]: p for p in k["parameters"]}
    pub = catalog.get("gbi-2stage", kind="interceptor")["published_burnout_speed_km_s"]
    speed = by["batteries.0.burnout_speed_km_s"]
    assert (speed["low"], speed["high"], speed["source"]) == (pub["low"], pub["high"], pub["source"])
    low, _, high = catalog.spread(catalog.get("emr-brdy", kind="sensor")["reference_range_km"])
    rng = by["sensors.0.reference_range_km"]
    assert (rng["low"], rng["high"]) == (low, high)
    for path in ("doctrine.require_track", "doctrine.decision_delay_s", "doctrine.sspk", "sensors.1.enabled"):
        assert path in by and by[path]["source"], path
    assert [t["name"] for t in k["threats"]][:1] == ["irbm-berlin"]


def test_downloaded_scenario_carries_the_knobs(client):
    from shieldsim.scenario import load_scenario

    r = client.get("/api/download/scenario.yaml", params={
        "scenario": "third_site_2007", "interceptor_speed": 8.5,
        "set": ["sensors.1.enabled=false", "doctrine.decision_delay_s=90", "threats.0.trajectory=lofted"]})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    raw = yaml.safe_load(r.text)
    assert all(b["burnout_speed_km_s"] == 8.5 for b in raw["batteries"])
    assert raw["doctrine"]["decision_delay_s"] == 90 and raw["threats"][0]["trajectory"] == "lofted"
    assert raw["sensors"][1]["enabled"] is False
    assert load_scenario(raw["name"]).doctrine.decision_delay_s != 90  # the built-in is untouched


def test_cli_help_does_not_load_the_web_stack():
    """``shieldsim --help`` (and ``serve --help``) stay quick: fastapi and uvicorn load only when serving."""
    import subprocess
    import sys

    code = ("import sys; from shieldsim.cli import main; rc = main(['serve', '--help']);"
            "print(rc, 'fastapi' in sys.modules, 'uvicorn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "0 False False", out.stdout + out.stderr
    assert "--port" in out.stdout and "--open" in out.stdout


@pytest.mark.parametrize("args, field", [(["serve", "--port", "0"], "--port"),
                                         (["serve", "no-such-scenario"], "scenario")])
def test_cli_serve_refuses_bad_input_in_one_line(capsys, args, field):
    from shieldsim.cli import main

    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and field in err and "\n" not in err


def test_cli_serve_on_a_port_in_use_says_so_in_one_line(capsys):
    """A port another program listens on: one line naming ``--port``, exit 2 (not uvicorn's log)."""
    import socket

    from shieldsim.cli import main

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --port") and str(port) in err and "\n" not in err


def test_scene_is_engage_with_the_run_czml_phases_and_coverage(client):
    """The globe's view: engage's own JSON, the CZML ``run`` exports for it (a track per threat, a
    fly-out and an intercept point per engagement), phases in time order, and each radar's
    coverage at the range ``catalog show NAME --rcs`` gives for the threat's RCS."""
    from shieldsim.analyses.catalog_entry import show_entry
    from shieldsim.web.app import PAGE_TRIALS

    sc = client.get("/api/scene", params={"scenario": "third_site_2007"}).json()
    assert sc["engage"] == client.get("/api/engage", params={"trials": PAGE_TRIALS}).json()
    ids = [p["id"] for p in sc["czml"]]
    assert ids[0] == "document"
    assert sum(i.startswith("track-") for i in ids) == len(sc["engage"]["threats"])
    n_shots = sum(len(t["engagements"]) for t in sc["engage"]["threats"])
    assert n_shots > 0 and sum(i.startswith("intercept-") for i in ids) == n_shots
    for threat, ph in zip(sc["threats"], sc["phases"]):
        names = [s["phase"] for s in ph["segments"]]
        assert names[:2] == ["boost", "midcourse"] and set(names) <= {"boost", "midcourse", "reentry"}
        assert ph["segments"][0]["to_s"] <= threat["burnout_time_s"] < ph["segments"][1]["to_s"]
        assert all(len(s["positions"]) % 3 == 0 and len(s["positions"]) >= 6 for s in ph["segments"])
    radars = {r["name"]: r for r in sc["radars"]}
    assert {"emr-brdy", "tpy2-forward"} <= set(radars) and sc["infrared"]
    brdy = radars["emr-brdy"]
    assert brdy["detection_range_km"] == pytest.approx(show_entry("emr-brdy", rcs_m2=brdy["rcs_m2"])["detection_range_km"],
                                                       abs=0.1)


def test_shieldsim_serve_answers_on_loopback(tmp_path):
    """``shieldsim serve --port P`` (the real command, in a subprocess) serves the page and the API
    on 127.0.0.1, and keeps serving after a bad request."""
    import json
    import socket
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "shieldsim.cli", "serve", "--port", str(port)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/health", timeout=5) as r:
                    assert json.load(r) == {"ok": True}
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None and time.monotonic() < deadline, "serve did not come up"
                time.sleep(0.2)
        with pytest.raises(urllib.error.HTTPError) as bad:
            urllib.request.urlopen(f"{base}/api/engage?scenario=nope", timeout=10)
        assert bad.value.code == 400 and "nope" in json.load(bad.value)["error"]
        with urllib.request.urlopen(f"{base}/", timeout=10) as r:
            assert r.status == 200 and b"/vendor/cesium/Cesium.js" in r.read()
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert f"127.0.0.1:{port}" in out
