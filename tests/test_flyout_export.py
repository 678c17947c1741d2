"""Interceptor fly-outs and intercept points in the CZML, KML and GeoJSON (issue 11, item 7).

The fly-out solver (``analyses.flyouts``) is checked against fly-outs whose answer is known:
the booster is flown at a chosen kick and azimuth with ``flight.fly_rockets``, a point on
that path becomes the "intercept point", and the solver, given only the point, must find a
fly-out through it (both guidance families). The exports are then checked the way a viewer
reads them: the path starts at the battery at the engagement's launch time and ends at the
intercept point at its intercept time, on the threat's clock; the CZML validates with
czml3's own models.
"""

import json
import math
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import numpy as np
import pytest
from czml3 import Document, Packet

from shieldsim import earth as E
from shieldsim.analyses.flyouts import flyout_tracks, solve_flyouts
from shieldsim.export import czml as czml_export
from shieldsim.export import geojson as geojson_export
from shieldsim.export import kml as kml_export
from shieldsim.flight import fly_rockets
from shieldsim.interceptor_specs import catalog_interceptor

EPOCH = "2007-06-08T12:00:00Z"
SITE = (54.4789, 17.1075, 0.0)  # Redzikowo
KML = "{http://www.opengis.net/kml/2.2}"


@pytest.fixture(scope="module")
def gbi():
    return catalog_interceptor("gbi-2stage").booster


@pytest.fixture(scope="module")
def known(gbi):
    """Points on fly-outs flown at known kicks, azimuths and times (both guidance families)."""
    kick = np.radians([20.0, 45.0, 30.0])
    az = np.radians([120.0, 135.0, 95.0])
    guidance = np.array(["hold-pitch", "gravity-turn", "gravity-turn"], dtype=object)
    t = np.array([300.0, 250.0, 420.0])
    tr = fly_rockets(gbi, math.radians(SITE[0]), math.radians(SITE[1]), 0.0, az, kick, t_max_s=900.0,
                     guidance=guidance)
    lat, lon, alt = tr.geodetic(t[:, None])
    return {"t": t, "lat": np.degrees(lat[:, 0]), "lon": np.degrees(lon[:, 0]), "alt_km": alt[:, 0] / 1e3}


def _ecef(lat_deg, lon_deg, alt_km):
    return np.stack(E.geodetic_to_ecef(np.radians(lat_deg), np.radians(lon_deg), np.asarray(alt_km) * 1e3), axis=-1)


def test_solver_finds_a_fly_out_through_points_of_known_fly_outs(gbi, known):
    sol = solve_flyouts(gbi, *SITE, known["lat"], known["lon"], known["alt_km"], known["t"])
    assert sol.found.all()
    assert np.all(sol.miss_m < 300.0), sol.miss_m
    # The fly-out through the point arriving closest to the given time is the one flown.
    assert sol.t_arrival_s == pytest.approx(known["t"], abs=3.0)
    # Checked independently of the solver: the returned trajectory at arrival is at the point.
    p = sol.trajectory.position_ecef(sol.t_arrival_s[:, None])[:, 0]
    q = _ecef(known["lat"], known["lon"], known["alt_km"])
    assert np.linalg.norm(p - q, axis=1).max() < 300.0


def _battery(booster):
    return SimpleNamespace(name="redzikowo", lat_deg=SITE[0], lon_deg=SITE[1], alt_km=SITE[2],
                           interceptor=SimpleNamespace(name="gbi-2stage", booster=booster))


def _engage(known, launch_s=(246.6, 706.9, 369.8)):
    """The engage contract's threats list, with intercepts at the known points."""
    rows = []
    for k in range(known["t"].size):
        launch = launch_s[k]
        rows.append({"threat": f"threat-{k}", "engagements": [{
            "battery": "redzikowo", "interceptor": "gbi-2stage", "shot": 1, "launch_s": launch,
            "intercept_s": round(launch + known["t"][k], 2), "intercept_lat_deg": round(float(known["lat"][k]), 4),
            "intercept_lon_deg": round(float(known["lon"][k]), 4),
            "intercept_altitude_km": round(float(known["alt_km"][k]), 1)}]})
    rows.append({"threat": "unengaged", "engagements": []})
    return rows


@pytest.fixture(scope="module")
def flyouts(gbi, known):
    return flyout_tracks([_battery(gbi)], _engage(known), dt_s=5.0)


def test_flyout_starts_at_the_battery_and_ends_at_the_intercept_point_on_time(flyouts):
    assert len(flyouts) == 3
    for f in flyouts:
        e = f["intercept"]
        assert f["t_s"][0] == pytest.approx(f["launch_s"], abs=1e-9)
        assert f["t_s"][-1] == pytest.approx(e["t_s"], abs=1e-6)
        assert np.all(np.diff(f["t_s"]) > 0)
        start = _ecef(f["lat_deg"][0], f["lon_deg"][0], f["alt_km"][0])
        assert np.linalg.norm(start - _ecef(SITE[0], SITE[1], SITE[2])) < 50.0  # metres: on the pad
        end = _ecef(f["lat_deg"][-1], f["lon_deg"][-1], f["alt_km"][-1])
        assert np.linalg.norm(end - _ecef(e["lat_deg"], e["lon_deg"], e["alt_km"])) < 3e3  # within 3 km
        assert f["miss_km"] < 3.0 and f["time_scale"] == pytest.approx(1.0, abs=0.01)
        assert f["alt_km"].max() >= e["alt_km"] - 1.0 and f["kind"] == "interceptor fly-out"
        assert f["battery"] == "redzikowo" and f["shot"] == 1


def _tracks():
    t = np.arange(0.0, 1801.0, 30.0)
    return [{"name": "threat-0", "t_s": t, "lat_deg": np.linspace(35.6, 52.5, t.size),
             "lon_deg": np.linspace(53.4, 13.4, t.size), "alt_km": 1200.0 * np.sin(np.pi * t / t[-1])}]


def test_czml_carries_fly_outs_and_intercept_points_and_validates(flyouts):
    text = czml_export.trajectories_to_czml(_tracks(), EPOCH, [{"name": "redzikowo", "lat_deg": SITE[0],
                                                               "lon_deg": SITE[1], "kind": "interceptor"}],
                                            flyouts=flyouts)
    packets = json.loads(text)
    Document.model_validate(packets)
    for raw in packets:
        Packet.model_validate(raw)
    ids = [p["id"] for p in packets]
    assert len(ids) == len(set(ids))
    fly = [p for p in packets if p["id"].startswith("flyout-")]
    hits = [p for p in packets if p["id"].startswith("intercept-")]
    assert len(fly) == len(hits) == len(flyouts)
    for packet, f in zip(fly, flyouts):
        start, end = packet["availability"].split("/")
        assert start == czml_export._iso(czml_export._parse_epoch(EPOCH)
                                         + __import__("datetime").timedelta(seconds=f["launch_s"]))
        values = np.asarray(packet["position"]["cartographicDegrees"]).reshape(-1, 4)
        assert values.shape[0] == len(f["t_s"])
        assert values[0, 0] == 0.0 and values[-1, 0] == pytest.approx(f["intercept_s"] - f["launch_s"], abs=1e-6)
        assert values[-1, 1:3] == pytest.approx([f["intercept"]["lon_deg"], f["intercept"]["lat_deg"]], abs=0.03)
    for packet, f in zip(hits, flyouts):
        assert packet["position"]["cartographicDegrees"] == pytest.approx(
            [f["intercept"]["lon_deg"], f["intercept"]["lat_deg"], f["intercept"]["alt_km"] * 1e3])
    # Without fly-outs the document is what it was.
    plain = json.loads(czml_export.trajectories_to_czml(_tracks(), EPOCH))
    assert [p["id"] for p in plain] == ["document", "track-threat-0"]


def test_kml_carries_fly_outs_and_intercept_points_timed(flyouts):
    text = kml_export.trajectories_to_kml(_tracks(), [], flyouts=flyouts, epoch_iso=EPOCH)
    root = ET.fromstring(text.encode("utf-8"))
    folders = {f.find(f"{KML}name").text: f for f in root.iter(f"{KML}Folder")}
    assert {"Trajectories", "Interceptor fly-outs", "Intercept points"} <= set(folders)
    lines = folders["Interceptor fly-outs"].findall(f"{KML}Placemark")
    points = folders["Intercept points"].findall(f"{KML}Placemark")
    assert len(lines) == len(points) == len(flyouts)
    for mark, f in zip(lines, flyouts):
        coords = [tuple(map(float, c.split(","))) for c in mark.find(f".//{KML}coordinates").text.split()]
        assert coords[0][:2] == pytest.approx((SITE[1], SITE[0]), abs=1e-3)
        assert coords[-1][:2] == pytest.approx((f["intercept"]["lon_deg"], f["intercept"]["lat_deg"]), abs=0.03)
        assert coords[-1][2] == pytest.approx(f["intercept"]["alt_km"] * 1e3, abs=3e3)
        assert mark.find(f".//{KML}altitudeMode").text == "absolute"
        assert mark.find(f".//{KML}TimeSpan/{KML}begin").text.startswith("2007-06-08T12:")
    for mark in points:
        assert mark.find(f".//{KML}TimeStamp/{KML}when") is not None
    assert "http" not in text.replace("http://www.opengis.net/kml/2.2", "").replace(
        "http://www.google.com/kml/ext/2.2", "")


def test_geojson_carries_fly_out_lines_and_intercept_points(flyouts):
    fc = geojson_export.tracks_feature_collection(_tracks(), flyouts=flyouts)
    kinds = [f["properties"].get("kind") for f in fc["features"]]
    assert kinds.count("interceptor fly-out") == len(flyouts) and kinds.count("intercept point") == len(flyouts)
    point = fc["features"][-1]
    assert point["geometry"]["type"] == "Point" and len(point["geometry"]["coordinates"]) == 3
    json.dumps(fc)  # plain JSON


def test_no_engagements_no_flyouts():
    assert flyout_tracks([], [{"threat": "x", "engagements": []}]) == []
