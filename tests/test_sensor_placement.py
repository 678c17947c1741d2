"""A catalog radar at another place: `sensors.<i>.site`, as batteries take `site`.

Issue 11: `sensors.0.site` was refused as an unknown field, so a scenario could not move a
radar. Now any catalog radar stands at a catalog site or `LAT,LON[,ALT_KM]` (its catalog
site by default); only the place changes, and with it the detection geometry `observe`
reports. A bad place, or a site for a satellite constellation, is one line naming the field.
"""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from shieldsim import catalog
from shieldsim.cli import main
from shieldsim.scenario import load_scenario
from shieldsim.sensors import sensor_from_catalog

SCENARIO = "third_site_2007"  # sensors.1 is the forward AN/TPY-2 at Kurecik, Turkey


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(list(args))
    return rc, out.getvalue(), err.getvalue()


def first_detection(*overrides: str) -> float | None:
    args = ["observe", SCENARIO, "--threat", "irbm-berlin", "--json", "--quiet"]
    for o in overrides:
        args += ["--set", o]
    rc, out, err = cli(*args)
    assert rc == 0, err
    (threat,) = json.loads(out)["threats"]
    return {s["sensor"]: s["first_detection_s"] for s in threat["sensors"]}["tpy2-forward"]


def test_moving_the_forward_radar_changes_when_it_first_sees_the_threat():
    """From Tabriz, 700 km nearer Semnan than Kurecik, the radar sees the IRBM earlier."""
    at_kurecik = first_detection()
    at_tabriz = first_detection("sensors.1.site=tabriz")
    assert at_kurecik is not None and at_tabriz is not None
    assert at_tabriz < at_kurecik - 20


def test_a_radar_built_at_its_own_catalog_site_is_the_catalog_radar():
    kurecik = catalog.parse_place("kurecik", "site")
    at_site = f"{kurecik.lat_deg},{kurecik.lon_deg},{kurecik.alt_km}"
    ref = load_scenario(SCENARIO, overrides=[f"sensors.1.site={at_site}"]).sensors[1]
    moved = sensor_from_catalog(ref.catalog_entry())
    default = sensor_from_catalog(catalog.get("tpy2-forward", "sensor"))
    assert moved == default


def test_only_the_place_moves():
    ref = load_scenario(SCENARIO, overrides=["sensors.1.site=41.0,29.0,0.1"]).sensors[1]
    moved, default = sensor_from_catalog(ref.catalog_entry()), sensor_from_catalog(catalog.get("tpy2-forward"))
    assert (moved.lat_deg, moved.lon_deg, moved.alt_km) == (41.0, 29.0, 0.1)
    for field in ("reference_range_km", "azimuth_min_deg", "azimuth_max_deg", "min_elevation_deg", "update_interval_s"):
        assert getattr(moved, field) == getattr(default, field), field


def test_the_new_site_is_a_catalog_name_the_scenario_uses():
    assert "tabriz" in load_scenario(SCENARIO, overrides=["sensors.1.site=tabriz"]).catalog_names()["site"]


@pytest.mark.parametrize("value, words", [
    ("nowhere", ["unknown site"]),
    ("95,10", ["latitude"]),
    ("38,37,20", ["alt_km"]),  # a radar stands on the ground: at most 10 km up
])
def test_a_bad_site_is_one_line_naming_the_field(value, words):
    rc, out, err = cli("observe", SCENARIO, "--set", f"sensors.1.site={value}", "--json")
    lines = err.strip().splitlines()
    assert rc == 2 and out == "" and len(lines) == 1, err
    assert lines[0].startswith("error: sensors.1.site:"), lines[0]
    for w in words:
        assert w in lines[0], (w, lines[0])


def test_a_satellite_constellation_has_no_site():
    rc, _, err = cli("scenario", "check", SCENARIO, "--set", "sensors.4.site=berlin", "--json")
    assert rc == 2 and err.startswith("error: sensors.4.site:") and "satellites" in err, err
