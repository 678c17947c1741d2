"""The `shieldsim` command against DESIGN.md's "Contracts other people build on".

Outside checks read exactly the commands, flags, JSON fields, units and exit codes of
that table, so these tests read them too: every command with `--json` prints one JSON
object on stdout with the required fields and types (numbers or `null`, lists), field
names carry their units, the same seed gives the same JSON (timings aside), and bad input
exits 2 with one line on stderr naming the field. `sweep`, `run`, `demo` and `compare`
are tested elsewhere.

Commands run in-process through `shieldsim.cli.main` (much faster than a subprocess);
one test runs the real console entry point to check its exit codes. Inputs are small
(`--trials 200`, `--resolution-deg 5`, one reach speed) so the file runs in seconds.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import shieldsim
from shieldsim.cli import main

SCENARIO = "third_site_2007"
TRIALS = "200"
REACH_SPEED = "analysis.reach.speeds_km_s=[6.0]"
FLY_SHAHAB = ["fly", "shahab-3", "--from", "tabriz", "--to", "ankara"]
ADHOC = ["--missile", "shahab-3", "--from", "tabriz", "--to", "ankara"]

# Numbers whose names carry no unit because they have none (or the contract names them so).
DIMENSIONLESS = {
    "trials", "seed", "shot", "shot_opportunities", "p_kill", "p_leak", "p_no_leak", "expected_leakers",
    "interceptors_used_mean", "interceptors",  # interceptors fired together in one shot: a count
    "aim_points", "reachable_points", "defended_fraction", "n_gaps",
    "seconds",  # footprint's timing, named so by the contract
    "value", "low", "high",  # catalog parameters: the unit is in the parent's name
}
UNIT_SUFFIX = re.compile(r"_(s|km|km_s|deg|kg|m|m2|kg_m2|m_s|mrad|fraction|km2)$")
TIMING = re.compile(r"(^seconds$|_wall_s$)")


# --- helpers -------------------------------------------------------------------------------
def cli(*args: str) -> tuple[int, str, str]:
    """Run `shieldsim ARGS` in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(list(args))
    return rc, out.getvalue(), err.getvalue()


def cli_json(*args: str) -> dict:
    """Run a command with --json; it must exit 0 and print exactly one JSON object."""
    rc, out, err = cli(*args, "--json")
    assert rc == 0, f"shieldsim {' '.join(args)} --json exited {rc}: {err}"
    obj = json.loads(out)  # raises on anything but exactly one JSON document
    assert isinstance(obj, dict), f"stdout is a {type(obj).__name__}, not one JSON object"
    assert out.strip().startswith("{") and out.strip().endswith("}")
    return obj


def bad_input(*args: str) -> str:
    """Run a command that must be refused: exit 2 and exactly one line on stderr; that line."""
    rc, out, err = cli(*args)
    assert rc == 2, f"shieldsim {' '.join(args)} exited {rc}, expected 2 (stderr: {err!r})"
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{err}"
    assert out == "", f"nothing belongs on stdout for refused input, got {out[:200]!r}"
    return lines[0]


def strip_timings(obj):
    if isinstance(obj, dict):
        return {k: strip_timings(v) for k, v in obj.items() if not TIMING.search(k)}
    if isinstance(obj, list):
        return [strip_timings(v) for v in obj]
    return obj


def is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def number_or_null(x) -> bool:
    return x is None or is_number(x)


def check_unit_names(obj, where: str = "") -> None:
    """Every numeric field carries its unit in its name, or is one of the dimensionless ones."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if is_number(v) or (isinstance(v, list) and v and all(is_number(x) for x in v)):
                assert k in DIMENSIONLESS or UNIT_SUFFIX.search(k), f"{where}{k}: a number without a unit suffix"
            check_unit_names(v, f"{where}{k}.")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            check_unit_names(v, f"{where}{i}.")


def assert_fields(obj: dict, numbers=(), nullable=(), where=""):
    for k in numbers:
        assert k in obj, f"{where}: missing {k}"
        assert is_number(obj[k]), f"{where}.{k} = {obj[k]!r} is not a number"
    for k in nullable:
        assert k in obj, f"{where}: missing {k}"
        assert number_or_null(obj[k]), f"{where}.{k} = {obj[k]!r} is neither a number nor null"


def catalog_names(kind: str | None = None) -> list[str]:
    args = ["catalog"] + (["--kind", kind] if kind else [])
    return [e["name"] for e in cli_json(*args)["entries"]]


# --- cached runs (several tests read the same output) ----------------------------------------
@pytest.fixture(scope="module")
def engage_default():
    return cli_json("engage", SCENARIO, "--trials", TRIALS)


@pytest.fixture(scope="module")
def observe_berlin():
    return cli_json("observe", SCENARIO, "--threat", "irbm-berlin")


@pytest.fixture(scope="module")
def reach_kozelsk():
    return cli_json("reach", SCENARIO, "--launch", "kozelsk", "--target", "washington", "--set", REACH_SPEED)


@pytest.fixture(scope="module")
def fly_shahab():
    return cli_json(*FLY_SHAHAB)


# --- version and the real entry point --------------------------------------------------------
def test_version_in_process():
    rc, out, err = cli("--version")
    assert rc == 0 and err == ""
    assert shieldsim.__version__ in out and out.strip() == f"shieldsim {shieldsim.__version__}"


def test_console_entry_point_exit_codes(tmp_path):
    """The installed `shieldsim` script: 0 done, 2 bad input with one line on stderr."""
    exe = Path(sys.executable).parent / "shieldsim"
    if not exe.exists():
        pytest.skip("the console script is not installed beside this Python")

    def run(*args):
        return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=60, cwd=tmp_path)

    p = run("--version")
    assert p.returncode == 0 and p.stdout.strip() == f"shieldsim {shieldsim.__version__}"
    p = run("fly", "no-such-missile", "--from", "tabriz", "--to", "ankara", "--json")
    assert p.returncode == 2 and p.stdout == ""
    assert len(p.stderr.strip().splitlines()) == 1 and "no-such-missile" in p.stderr
    p = run("fly", "shahab-3", "--no-such-flag")
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and "--no-such-flag" in p.stderr


# --- fly -------------------------------------------------------------------------------------
FLY_FIELDS = ("flight_time_s", "ground_range_km", "impact_lat_deg", "impact_lon_deg")
MISSILE_FIELDS = ("burnout_time_s", "burnout_speed_km_s", "burnout_altitude_km", "miss_km")


def test_fly_missile_fields(fly_shahab):
    d = fly_shahab
    assert_fields(d, FLY_FIELDS + MISSILE_FIELDS, ("apogee_km",), "fly")
    check_unit_names(d)
    # Tabriz -> Ankara, about 1,180 km: impact on the aim point, a sensible flight
    ankara = cli_json("catalog", "show", "ankara")
    assert d["impact_lat_deg"] == pytest.approx(ankara["lat_deg"], abs=0.05)
    assert d["impact_lon_deg"] == pytest.approx(ankara["lon_deg"], abs=0.05)
    assert 0 <= d["miss_km"] < 5
    assert 1000 < d["ground_range_km"] < 1400
    assert 0 < d["burnout_time_s"] < d["flight_time_s"]
    assert 0 < d["burnout_altitude_km"] < d["apogee_km"]
    assert 2.0 < d["burnout_speed_km_s"] < 4.5
    assert cli_json(*FLY_SHAHAB) == d  # deterministic


def test_fly_samples_every_dt_from_launch_to_impact():
    dt = 60.0
    d = cli_json("fly", "iran-icbm", "--from", "semnan", "--to", "washington", "--samples", "60")
    s = d["samples"]
    assert set(s) >= {"t_s", "lat_deg", "lon_deg", "alt_km"}
    n = len(s["t_s"])
    assert all(isinstance(s[k], list) and len(s[k]) == n for k in ("t_s", "lat_deg", "lon_deg", "alt_km"))
    assert all(is_number(x) for k in ("t_s", "lat_deg", "lon_deg", "alt_km") for x in s[k])
    t = s["t_s"]
    assert t[0] == 0.0
    assert t[-1] == pytest.approx(d["flight_time_s"], abs=1e-3)
    assert all(b - a == pytest.approx(dt, abs=1e-6) for a, b in zip(t[:-2], t[1:-1]))
    assert 0 < t[-1] - t[-2] <= dt + 1e-6
    assert n == math.floor(d["flight_time_s"] / dt) + 1 + (0 if d["flight_time_s"] % dt < 1e-6 else 1)
    semnan = cli_json("catalog", "show", "semnan")
    assert (s["lat_deg"][0], s["lon_deg"][0]) == pytest.approx((semnan["lat_deg"], semnan["lon_deg"]), abs=1e-3)
    assert (s["lat_deg"][-1], s["lon_deg"][-1]) == pytest.approx((d["impact_lat_deg"], d["impact_lon_deg"]),
                                                                 abs=1e-3)
    assert s["alt_km"][0] == pytest.approx(semnan.get("alt_km", 0.0), abs=0.01)
    assert s["alt_km"][-1] == pytest.approx(0.0, abs=0.5)
    assert max(s["alt_km"]) <= d["apogee_km"] + 1e-6


def test_fly_burnout_state_fields_and_sphere_kepler():
    """On a spherical non-rotating Earth (point mass) a burnout at the surface lands where the
    closed-form free-flight range equation says: tan(psi/2) = nu sin g cos g / (1 - nu cos^2 g)."""
    args = ["fly", "--burnout", "35.2,53.9,0,7.2,22.5,315"]
    wgs = cli_json(*args)
    sph = cli_json(*args, "--earth", "sphere", "--no-rotation")
    for d in (wgs, sph):
        assert_fields(d, FLY_FIELDS, ("apogee_km",), "fly --burnout")
        check_unit_names(d)
    mu, r = 398600.4418, 6378.137
    v, g = 7.2, math.radians(22.5)
    nu = v * v * r / mu
    psi = 2 * math.atan(nu * math.sin(g) * math.cos(g) / (1 - nu * math.cos(g) ** 2))
    assert sph["ground_range_km"] == pytest.approx(r * psi, rel=2e-3)
    assert sph["ground_range_km"] != pytest.approx(wgs["ground_range_km"], rel=1e-3)  # the options change the physics


def test_fly_burnout_beta_drag_shortens_range():
    args = ["fly", "--burnout", "35,50,20,3,40,90"]
    vac = cli_json(*args)
    drag = cli_json(*args, "--beta", "2000")
    assert_fields(drag, FLY_FIELDS, ("apogee_km",), "fly --beta")
    assert drag["ground_range_km"] < 0.95 * vac["ground_range_km"]
    assert drag["flight_time_s"] < vac["flight_time_s"]
    # a heavier body (higher beta) loses less
    heavy = cli_json(*args, "--beta", "50000")
    assert drag["ground_range_km"] < heavy["ground_range_km"] <= vac["ground_range_km"] + 1e-6


# --- catalog ---------------------------------------------------------------------------------
KINDS = ("missile", "interceptor", "sensor", "site")


def test_catalog_lists_entries_and_every_name_is_accepted_back():
    d = cli_json("catalog")
    assert isinstance(d["entries"], list) and d["entries"]
    for e in d["entries"]:
        assert set(e) >= {"name", "kind", "title"} and e["kind"] in KINDS
        assert isinstance(e["name"], str) and isinstance(e["title"], str)
    names = [e["name"] for e in d["entries"]]
    assert len(names) == len(set(names))
    by_kind = {}
    for kind in KINDS:
        sub = cli_json("catalog", "--kind", kind)["entries"]
        assert sub and all(e["kind"] == kind for e in sub)
        by_kind[kind] = [e["name"] for e in sub]
    assert sorted(sum(by_kind.values(), [])) == sorted(names)
    for e in d["entries"]:
        shown = cli_json("catalog", "show", e["name"])
        assert (shown["name"], shown["kind"]) == (e["name"], e["kind"])
    # scenario files accept them back: missiles as threats (each within reach of its aim), sites and
    # interceptors as batteries, sensors as the sensor list, all in one scenario check
    ints = by_kind["interceptor"]
    batteries = [{"name": f"b{i}", "site": site, "interceptor": ints[i % len(ints)], "inventory": 1}
                 for i, site in enumerate(by_kind["site"])]
    threats = [{"name": f"t{i}", "missile": m, "from": "tabriz", "to": "ankara"}
               for i, m in enumerate(by_kind["missile"])]
    checked = cli_json("scenario", "check", SCENARIO, "--set", f"batteries={json.dumps(batteries)}",
                       "--set", f"sensors={json.dumps(by_kind['sensor'])}", "--set", f"threats={json.dumps(threats)}",
                       "--set", "analysis.raid.threat=t0")
    for kind in KINDS:
        assert set(by_kind[kind]) <= set(checked["catalog"][kind]), kind


def _parameters(node, path=""):
    """Every catalog parameter: a mapping with a `value`."""
    if isinstance(node, dict):
        if "value" in node:
            yield path, node
            return
        for k, v in node.items():
            yield from _parameters(v, f"{path}.{k}" if path else k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _parameters(v, f"{path}.{i}")


def test_catalog_show_missile():
    d = cli_json("catalog", "show", "ss-27")
    assert (d["name"], d["kind"]) == ("ss-27", "missile")
    assert is_number(d["max_range_km"]) and 9000 < d["max_range_km"] < 13000
    params = list(_parameters(d))
    assert params
    for path, p in params:
        assert is_number(p["value"]), path
        assert isinstance(p.get("source"), str) and p["source"].strip(), f"{path}: no source"
        if p.get("low") is not None and p.get("high") is not None:
            assert p["low"] <= p["value"] <= p["high"], path
    check_unit_names(d)


def test_catalog_show_every_parameter_has_value_low_high_source():
    missing = []
    for name in ("ss-27", "shahab-3", "emr-brdy", "gbi-2stage"):
        for path, p in _parameters(cli_json("catalog", "show", name)):
            missing += [f"{name}:{path}.{k}" for k in ("value", "low", "high", "source") if k not in p]
    assert missing == []


def test_catalog_show_interceptor_flown_and_published():
    d = cli_json("catalog", "show", "gbi-2stage")
    assert d["kind"] == "interceptor"
    assert_fields(d, ("burnout_speed_km_s", "burnout_time_s"), (), "gbi-2stage")
    assert 3.0 < d["burnout_speed_km_s"] < 12.0 and 60 < d["burnout_time_s"] < 400
    published = [p for path, p in _parameters(d) if "burnout_speed" in path]
    assert published, "the published burnout speed ({value, low, high, source}) is not shown"
    for p in published:
        assert set(p) >= {"value", "low", "high", "source"}
        assert p["low"] <= p["value"] <= p["high"] and p["source"].strip()
    check_unit_names(d)
    for name in catalog_names("interceptor"):
        e = cli_json("catalog", "show", name)
        assert_fields(e, ("burnout_speed_km_s", "burnout_time_s"), (), name)


SENSOR_FIELDS = ("min_elevation_deg", "azimuth_min_deg", "azimuth_max_deg", "update_interval_s",
                 "detection_range_km")


def test_catalog_show_sensor_and_rcs_fourth_root():
    d = cli_json("catalog", "show", "emr-brdy")
    assert d["kind"] == "sensor"
    assert_fields(d, SENSOR_FIELDS, (), "emr-brdy")
    assert_fields(d["site"], ("lat_deg", "lon_deg", "alt_km"), (), "emr-brdy.site")
    assert isinstance(d["needs_cue"], bool)
    assert d["site"]["lat_deg"] == pytest.approx(49.6, abs=0.2)  # Brdy, Czech Republic
    assert 0 <= d["azimuth_min_deg"] <= d["azimuth_max_deg"] <= 360 and 0 <= d["min_elevation_deg"] < 90
    check_unit_names(d)
    r0 = d["detection_range_km"]
    r1 = cli_json("catalog", "show", "emr-brdy", "--rcs", "1")["detection_range_km"]
    r2 = cli_json("catalog", "show", "emr-brdy", "--rcs", "0.0001")["detection_range_km"]
    ref = d.get("reference_rcs_m2")
    if ref is not None:
        assert r1 == pytest.approx(r0 * (1.0 / ref) ** 0.25, rel=2e-3)
    assert r1 / r2 == pytest.approx((1.0 / 1e-4) ** 0.25, rel=2e-3)  # R proportional to sigma^(1/4)
    assert bad_input("catalog", "show", "emr-brdy", "--rcs", "-1", "--json").count("--rcs")


def test_catalog_show_every_radar_has_the_sensor_fields():
    for name in catalog_names("sensor"):
        d = cli_json("catalog", "show", name)
        if d.get("type", "radar") != "radar":
            continue
        assert_fields(d, SENSOR_FIELDS, (), name)
        assert_fields(d["site"], ("lat_deg", "lon_deg", "alt_km"), (), name)
        assert isinstance(d["needs_cue"], bool), name


def test_catalog_show_infrared_sensor_carries_the_contract_fields_null_where_void():
    for name in catalog_names("sensor"):
        d = cli_json("catalog", "show", name)
        missing = [k for k in SENSOR_FIELDS + ("site", "needs_cue") if k not in d]
        assert missing == [], f"{name}: missing {missing}"


# --- scenario --------------------------------------------------------------------------------
def test_scenario_list_show_check_round_trip(tmp_path):
    listed = cli_json("scenario", "list")["scenarios"]
    names = [s["name"] for s in listed]
    assert SCENARIO in names and all(isinstance(s.get("title"), str) for s in listed)
    for name in names:
        rc, text, err = cli("scenario", "show", name)
        assert rc == 0, err
        raw = yaml.safe_load(text)
        assert isinstance(raw, dict) and raw["name"] == name and "version" in raw
        path = tmp_path / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        from_file = cli_json("scenario", "check", str(path))
        builtin = cli_json("scenario", "check", name)
        assert from_file == builtin
        assert from_file["valid"] is True
        cat = from_file["catalog"]
        assert cat and all(isinstance(v, list) for v in cat.values())
        known = set(catalog_names())
        assert {n for v in cat.values() for n in v} <= known, "check names something the catalog lacks"
    # the text form exits 0 too
    rc, out, _ = cli("scenario", "check", str(tmp_path / f"{SCENARIO}.yaml"))
    assert rc == 0 and "gbi-2stage" in out and "emr-brdy" in out


def test_scenario_check_bad_files_exit_2_naming_the_field(tmp_path):
    good = yaml.safe_load(cli("scenario", "show", SCENARIO)[1])
    cases = {
        "threats.0.colour": lambda r: r["threats"][0].update(colour="red"),
        "threats.1.missile": lambda r: r["threats"][1].update(missile="no-such-missile"),
        "doctrine.sspk": lambda r: r["doctrine"].update(sspk=1.5),
        "version": lambda r: r.pop("version"),
        "batteries.0.inventory": lambda r: r["batteries"][0].update(inventory=-1),
    }
    for field, change in cases.items():
        raw = yaml.safe_load(yaml.safe_dump(good))
        change(raw)
        path = tmp_path / "bad.yaml"
        path.write_text(yaml.safe_dump(raw), encoding="utf-8")
        line = bad_input("scenario", "check", str(path), "--json")
        assert field in line, f"{field}: {line}"
    assert "missing.yaml" in bad_input("scenario", "check", str(tmp_path / "missing.yaml"))


def test_scenario_check_names_the_misspelt_key(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("version: 1\nname: t\nthreats:\n  - name: a\n    missle: shahab-3\n    from: tabriz\n"
                    "    to: ankara\n", encoding="utf-8")
    line = bad_input("scenario", "check", str(path))
    assert "threats.0.missle" in line and "missile" in line


# --- observe ---------------------------------------------------------------------------------
def _check_observe(d: dict, sensors: set[str] | None = None):
    assert isinstance(d["threats"], list) and d["threats"]
    for t in d["threats"]:
        assert isinstance(t["threat"], str)
        assert_fields(t, ("flight_time_s",), ("first_track_s", "fire_control_s"), t["threat"])
        assert isinstance(t["sensors"], list) and t["sensors"]
        for s in t["sensors"]:
            assert isinstance(s["sensor"], str) and s["kind"] in ("radar", "infrared")
            assert_fields(s, (), ("detection_range_km", "first_detection_s", "last_detection_s"), s["sensor"])
            assert s["cued_by"] is None or isinstance(s["cued_by"], str)
            if s["first_detection_s"] is not None:
                assert 0 <= s["first_detection_s"] <= s["last_detection_s"] <= t["flight_time_s"] + 1e-6
            else:
                assert s["last_detection_s"] is None
            if s["kind"] == "radar":
                assert is_number(s["detection_range_km"]) and s["detection_range_km"] > 0
        if t["first_track_s"] is not None and t["fire_control_s"] is not None:
            assert t["first_track_s"] <= t["fire_control_s"]
        if sensors is not None:
            assert {s["sensor"] for s in t["sensors"]} == sensors
    check_unit_names(d)


def test_observe_scenario(observe_berlin):
    """The scenario's five sensors (radars and the SBIRS satellites) against the IRBM to Berlin."""
    _check_observe(observe_berlin)
    (t,) = observe_berlin["threats"]
    assert t["threat"] == "irbm-berlin"
    kinds = {s["sensor"]: s["kind"] for s in t["sensors"]}
    assert kinds.get("emr-brdy") == "radar" and kinds.get("sbirs") == "infrared"
    assert t["first_track_s"] is not None and t["fire_control_s"] is not None
    assert strip_timings(cli_json("observe", SCENARIO, "--threat", "irbm-berlin")) == strip_timings(observe_berlin)


def test_observe_with_catalog_sensors_instead():
    d2 = cli_json("observe", SCENARIO, "--sensor", "tpy2-forward", "--sensor", "emr-brdy", "--threat", "irbm-berlin")
    _check_observe(d2, {"tpy2-forward", "emr-brdy"})


def test_adhoc_threat_flies_what_fly_flies(fly_shahab):
    d = cli_json("observe", SCENARIO, *ADHOC, "--sensor", "emr-brdy")
    assert len(d["threats"]) == 1
    assert d["threats"][0]["flight_time_s"] == pytest.approx(fly_shahab["flight_time_s"], abs=2e-3)
    # LAT,LON places too
    lat, lon = fly_shahab["impact_lat_deg"], fly_shahab["impact_lon_deg"]
    place = f"{lat:.4f},{lon:.4f}"
    f2 = cli_json("fly", "shahab-3", "--from", "tabriz", "--to", place)
    o2 = cli_json("observe", SCENARIO, "--missile", "shahab-3", "--from", "tabriz", "--to", place,
                  "--sensor", "emr-brdy")
    assert o2["threats"][0]["flight_time_s"] == pytest.approx(f2["flight_time_s"], abs=2e-3)
    e = cli_json("engage", SCENARIO, "--trials", TRIALS, *ADHOC)
    assert len(e["threats"]) == 1


# --- engage ----------------------------------------------------------------------------------
ENGAGEMENT_FIELDS = ("battery_lat_deg", "battery_lon_deg", "launch_s", "intercept_s", "intercept_altitude_km",
                     "intercept_lat_deg", "intercept_lon_deg", "closing_speed_km_s")


def _check_engage(d: dict, trials: int):
    assert d["trials"] == trials and isinstance(d["trials"], int)
    assert isinstance(d["seed"], int)
    assert isinstance(d["threats"], list) and d["threats"]
    for t in d["threats"]:
        assert isinstance(t["threat"], str)
        assert isinstance(t["shot_opportunities"], int) and t["shot_opportunities"] >= 0
        bs = t["battle_space_s"]
        if t["shot_opportunities"] == 0:
            assert bs is None or (isinstance(bs, list) and len(bs) == 2)
        else:
            assert isinstance(bs, list) and len(bs) == 2 and all(is_number(x) for x in bs) and bs[0] <= bs[1]
        assert isinstance(t["engagements"], list)
        for e in t["engagements"]:
            assert isinstance(e["battery"], str) and isinstance(e["interceptor"], str)
            assert_fields(e, ENGAGEMENT_FIELDS, (), t["threat"])
            assert e["launch_s"] < e["intercept_s"]
            if bs is not None:
                assert bs[0] - 0.01 <= e["intercept_s"] <= bs[1] + 0.01  # intercept_s is rounded to 0.01 s
        assert_fields(t, ("p_kill", "p_leak", "interceptors_used_mean"), (), t["threat"])
        assert 0 <= t["p_kill"] <= 1 and t["p_kill"] + t["p_leak"] == pytest.approx(1.0)
        if t["shot_opportunities"] == 0:
            assert t["p_kill"] == 0 and t["engagements"] == []
    check_unit_names(d)


def test_engage_fields_and_reproducible(engage_default):
    _check_engage(engage_default, int(TRIALS))
    assert engage_default["seed"] == 2007  # the scenario's
    assert any(t["shot_opportunities"] > 0 for t in engage_default["threats"])
    again = cli_json("engage", SCENARIO, "--trials", TRIALS)
    assert strip_timings(again) == strip_timings(engage_default)


def test_seed_is_short_for_set_seed():
    one = ["engage", SCENARIO, "--trials", TRIALS, "--sspk", "0.5", "--threat", "irbm-berlin"]
    a = cli_json(*one, "--seed", "5")
    b = cli_json(*one, "--set", "seed=5")
    assert a["seed"] == b["seed"] == 5
    assert strip_timings(a) == strip_timings(b)
    c = cli_json(*one, "--seed", "6")
    assert c["seed"] == 6


def test_engage_doctrine_flags(engage_default):
    one = ["engage", SCENARIO, "--trials", TRIALS, "--sspk", "0.5", "--threat", "irbm-berlin"]
    salvo = cli_json(*one, "--salvo", "2", "--doctrine", "salvo")
    _check_engage(salvo, int(TRIALS))
    (t,) = salvo["threats"]
    assert t["threat"] == "irbm-berlin" and t["shot_opportunities"] >= 2
    # two interceptors at one opportunity: P(kill) = 1 - (1 - 0.5)^2 (no decoys in this scenario)
    assert t["interceptors_used_mean"] == pytest.approx(2.0)
    assert t["p_kill"] == pytest.approx(0.75, abs=0.12)
    (sls,) = cli_json(*one, "--doctrine", "shoot-look-shoot")["threats"]
    assert sls["shot_opportunities"] == t["shot_opportunities"]  # the doctrine does not move the battle space
    # k causal looks of one interceptor kill like one salvo of k (1 - (1-p)^k) when k >= 2, with
    # fewer interceptors on average: sum_j (1-p)^j < k
    assert sls["p_kill"] >= t["p_kill"] - 0.05
    k = sls["shot_opportunities"]
    assert sls["interceptors_used_mean"] == pytest.approx(sum(0.5**j for j in range(k)), abs=0.1)
    (default,) = [x for x in engage_default["threats"] if x["threat"] == "irbm-berlin"]
    assert sls["p_kill"] < default["p_kill"] or default["p_kill"] == 1.0  # sspk 0.5 vs the scenario's 0.8


def test_interceptor_speed_changes_engage(engage_default):
    fast = cli_json("engage", SCENARIO, "--trials", TRIALS, "--interceptor-speed", "9", "--threat", "irbm-berlin")
    _check_engage(fast, int(TRIALS))
    (before,) = [t for t in engage_default["threats"] if t["threat"] == "irbm-berlin"]
    (after,) = fast["threats"]
    # 9 km/s against the scenario's 6.3 km/s: the faster interceptor arrives earlier, closes faster,
    # and fits one more causal look-shoot-look cycle
    assert after["shot_opportunities"] > before["shot_opportunities"]
    assert after["battle_space_s"][0] < before["battle_space_s"][0]
    assert after["engagements"][0]["closing_speed_km_s"] > before["engagements"][0]["closing_speed_km_s"]


# --- reach -----------------------------------------------------------------------------------
def _check_pairs(d: dict):
    assert isinstance(d["pairs"], list) and d["pairs"]
    for p in d["pairs"]:
        for k in ("launch", "target", "battery", "interceptor"):
            assert isinstance(p[k], str), k
        assert isinstance(p["feasible"], bool)
        assert_fields(p, (), ("margin_s", "min_burnout_speed_km_s", "intercept_altitude_km"), "pair")
        if p["feasible"]:
            assert p["intercept_altitude_km"] is not None
            assert p["margin_s"] is None or p["margin_s"] >= 0
        else:
            assert p["intercept_altitude_km"] is None
    check_unit_names(d)


def test_reach_one_pair(reach_kozelsk):
    d = reach_kozelsk
    _check_pairs(d)
    assert {(p["launch"], p["target"]) for p in d["pairs"]} == {("kozelsk", "washington")}
    assert {p["battery"] for p in d["pairs"]} == {"redzikowo"}


def test_reach_defaults_every_russian_base_times_us_target(reach_kozelsk):
    d = cli_json("reach", SCENARIO, "--set", REACH_SPEED)
    _check_pairs(d)
    sites = {n: cli_json("catalog", "show", n) for n in catalog_names("site")}
    bases = {n for n, s in sites.items() if s.get("group") == "russia-icbm-base"}
    targets = {n for n, s in sites.items() if s.get("group") == "us-city"}
    launches = {p["launch"] for p in d["pairs"]}
    tgts = {p["target"] for p in d["pairs"]}
    assert launches == bases and tgts == targets
    assert len(d["pairs"]) == len(bases) * len(targets) * len({p["battery"] for p in d["pairs"]})
    # names are accepted back by --launch/--target, and give the same row
    assert strip_timings(reach_kozelsk["pairs"]) == strip_timings(
        [q for q in d["pairs"] if (q["launch"], q["target"]) == ("kozelsk", "washington")])


def test_interceptor_speed_changes_reach(reach_kozelsk):
    base = ["reach", SCENARIO, "--launch", "kozelsk", "--target", "washington", "--set", REACH_SPEED]
    slow = reach_kozelsk["pairs"][0]  # the scenario's 6.3 km/s: Kozelsk -> Washington out of reach
    fast = cli_json(*base, "--interceptor-speed", "9")["pairs"][0]
    assert slow["margin_s"] is not None and fast["margin_s"] is not None
    assert fast["margin_s"] > slow["margin_s"]
    assert (slow["feasible"], fast["feasible"]) == (False, True)


# --- footprint -------------------------------------------------------------------------------
def test_footprint_json_geojson_and_parquet(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "tmp" / "fp.geojson"
    out.parent.mkdir()
    args = ["footprint", SCENARIO, "--launch", "semnan", "--resolution-deg", "5"]
    d = cli_json(*args, "-o", str(out))
    assert d["launch"] == "semnan"
    assert isinstance(d["aim_points"], int) and d["aim_points"] > 0
    assert is_number(d["defended_fraction"]) and 0 <= d["defended_fraction"] <= 1
    assert is_number(d["seconds"]) and d["seconds"] >= 0
    check_unit_names(d)
    # Europe 34-72 N, 25 W-45 E at 5 degrees
    assert d["aim_points"] == len(range(34, 73, 5)) * len(range(-25, 46, 5))
    gj = json.loads(out.read_text(encoding="utf-8"))
    assert gj["type"] == "FeatureCollection" and isinstance(gj["features"], list)
    grid = pq.read_table(out.with_suffix(".parquet")).to_pydict()
    for col in ("lat_deg", "lon_deg", "defended", "shot_opportunities", "intercept_altitude_km"):
        assert col in grid, col
    assert len(grid["lat_deg"]) == d["aim_points"]
    assert min(grid["lat_deg"]) >= 34 and max(grid["lat_deg"]) <= 72
    assert min(grid["lon_deg"]) >= -25 and max(grid["lon_deg"]) <= 45
    n_def = sum(bool(x) for x in grid["defended"])
    assert 0 < n_def < d["aim_points"]
    for dfd, shots, alt in zip(grid["defended"], grid["shot_opportunities"], grid["intercept_altitude_km"]):
        if dfd:
            assert shots >= 1 and alt is not None and alt > 0
    if "reachable_points" in d:
        assert d["defended_fraction"] == pytest.approx(n_def / d["reachable_points"], abs=1e-3)
    assert strip_timings(cli_json(*args)) == strip_timings(d)  # timings aside, reproducible


# --- bad input: exit 2, one line naming the field ----------------------------------------------
@pytest.mark.parametrize("args, must_contain", [
    (["fly", "no-such-missile", "--from", "tabriz", "--to", "ankara", "--json"], ["no-such-missile"]),
    (["fly", "shahab-3", "--from", "95,10", "--to", "ankara", "--json"], ["--from", "95"]),
    (["fly", "shahab-3", "--from", "tabriz", "--to", "40,-95", "--json"], ["--to"]),
    (["fly", "shahab-3", "--from", "tabriz", "--to", "ankara", "--no-such-flag"], ["--no-such-flag"]),
    (["fly", "--burnout", "1,2,3", "--json"], ["--burnout"]),
    (["engage", SCENARIO, "--sspk", "1.5", "--json"], ["sspk"]),
    (["engage", SCENARIO, "--trials", "-5", "--json"], ["--trials"]),
    (["engage", SCENARIO, "--set", "no_such_field=3", "--json"], ["no_such_field"]),
    (["engage", SCENARIO, "--set", "threats.9.to=berlin", "--json"], ["threats.9"]),
    (["engage", SCENARIO, "--set", "doctrine.sspk", "--json"], ["--set"]),
    (["engage", SCENARIO, "--doctrine", "bogus", "--json"], ["doctrine"]),
    (["engage", SCENARIO, "--interceptor-speed", "-3", "--json"], ["--interceptor-speed"]),
    (["engage", "no-such-scenario", "--json"], ["no-such-scenario"]),
    (["observe", SCENARIO, "--sensor", "no-such-radar", "--json"], ["no-such-radar"]),
    (["reach", SCENARIO, "--launch", "no-such-base", "--json"], ["no-such-base"]),
    (["footprint", SCENARIO, "--launch", "no-such-site", "--resolution-deg", "5", "--json"], ["no-such-site"]),
    (["catalog", "show", "no-such-entry", "--json"], ["no-such-entry"]),
    (["catalog", "--kind", "bogus", "--json"], ["--kind"]),
    (["scenario", "show", "no-such-scenario"], ["no-such-scenario"]),
    (["run", SCENARIO, "-o", "out", "--set", "analysis.key_assumptions=[doctrine.bogus]"],
     ["analysis.key_assumptions", "doctrine.bogus"]),
])
def test_bad_input_exits_2_with_one_line(args, must_contain):
    line = bad_input(*args)
    for s in must_contain:
        assert s in line, f"{s!r} not in {line!r}"


def test_aim_point_beyond_reach_names_the_maximum_range():
    line = bad_input("fly", "shahab-3", "--from", "tabriz", "--to", "washington", "--json")
    assert "--to" in line and "range" in line.lower()
    max_range = cli_json("catalog", "show", "shahab-3")["max_range_km"]
    numbers = [float(x.replace(",", "")) for x in re.findall(r"\d[\d,]*(?:\.\d+)?", line)]
    assert any(abs(x - max_range) <= 0.15 * max_range for x in numbers), \
        f"no maximum range near {max_range} km in {line!r}"
    # the same for an ad-hoc threat of a scenario command
    line = bad_input("engage", SCENARIO, "--missile", "shahab-3", "--from", "tabriz", "--to", "washington", "--json")
    assert "range" in line.lower() and "shahab-3" in line


def test_adhoc_aim_point_beyond_reach_names_the_to_flag():
    line = bad_input("observe", SCENARIO, "--missile", "shahab-3", "--from", "tabriz", "--to", "washington", "--json")
    assert line.startswith("error: --to:"), line


def test_scenario_check_refuses_an_aim_point_beyond_reach():
    override = ["--set", "threats.4.to=washington"]  # shahab-3 from Tabriz: 9,707 km, reach about 1,300 km
    assert "threats.4.to" in bad_input("engage", SCENARIO, "--trials", TRIALS, *override, "--json")
    line = bad_input("scenario", "check", SCENARIO, *override, "--json")
    assert "threats.4.to" in line and "range" in line
