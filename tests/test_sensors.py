"""Radars, infrared constellations, catalog entries and ``observe``."""

from __future__ import annotations

import json
import math
from importlib import resources

import numpy as np
import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from shieldsim.earth import geodetic_to_ecef
from shieldsim.errors import ScenarioError
from shieldsim.sensors import (
    InfraredConstellation,
    InfraredSatellite,
    Radar,
    line_of_sight,
    observe,
    radar_from_catalog,
    sensor_from_catalog,
)
from tests._synthetic import (
    SyntheticTrajectory,
    equatorial_circle,
    iran_to_europe,
    kepler_arcs,
    vertical_rise,
)


def _catalog():
    return yaml.safe_load(resources.files("shieldsim").joinpath("catalog/sensors.yaml").read_text())


def _entry(name):
    return next(e for e in _catalog() if e["name"] == name)


def _radar(**kw):
    base = {"name": "r", "lat_deg": 0.0, "lon_deg": 0.0, "alt_km": 0.0, "reference_range_km": 3000.0,
            "reference_rcs_m2": 1.0}
    base.update(kw)
    return Radar(**base)


def _geo(lon_deg=0.0, **kw):
    return InfraredConstellation("ir", (InfraredSatellite("geo", lon_deg),), **kw)


# --- bad input --------------------------------------------------------------------------------
def test_radar_at_latitude_95_names_the_field():
    with pytest.raises(ScenarioError) as err:
        _radar(lat_deg=95.0)
    assert err.value.field == "lat_deg"


def test_negative_reference_range_names_the_field():
    with pytest.raises(ScenarioError) as err:
        _radar(reference_range_km=-100.0)
    assert err.value.field == "reference_range_km"


def test_catalog_entry_with_bad_latitude_names_its_site_field():
    entry = dict(_entry("tpy2-forward"))
    entry["site"] = dict(entry["site"], lat_deg=95.0)
    with pytest.raises(ScenarioError) as err:
        radar_from_catalog(entry)
    assert err.value.field == "tpy2-forward.site.lat_deg"


def test_catalog_entry_with_negative_range_names_the_field():
    entry = dict(_entry("emr-brdy"))
    entry["reference_range_km"] = {"value": -5, "source": "test", "tag": "N"}
    with pytest.raises(ScenarioError) as err:
        radar_from_catalog(entry)
    assert err.value.field == "emr-brdy.reference_range_km"


def test_unknown_sensor_kind_names_the_field():
    with pytest.raises(ScenarioError) as err:
        sensor_from_catalog({"name": "sonar-1", "kind": "sensor", "type": "sonar"})
    assert err.value.field == "sonar-1.type"
    assert "sonar" in err.value.reason


def test_observe_rejects_an_object_that_is_not_a_sensor():
    traj = vertical_rise(0.0, 0.0, 1000.0, 100.0)
    with pytest.raises(ScenarioError) as err:
        observe(traj, [_radar(), "fylingdales"], 1.0, np.random.default_rng(0))
    assert err.value.field == "sensors[1]"


def test_negative_rcs_is_rejected():
    with pytest.raises(ScenarioError) as err:
        _radar().detection_range_km(-1.0)
    assert err.value.field == "rcs_m2"


def test_elevation_band_must_be_ordered():
    with pytest.raises(ScenarioError) as err:
        _radar(min_elevation_deg=10.0, max_elevation_deg=5.0)
    assert err.value.field == "max_elevation_deg"


# --- radar model -------------------------------------------------------------------------------
def test_detection_range_scales_with_fourth_root_of_rcs():
    r = _radar(reference_range_km=1000.0, reference_rcs_m2=0.01)
    assert r.detection_range_km(0.01) == pytest.approx(1000.0, rel=1e-12)
    assert r.detection_range_km(0.16) == pytest.approx(2000.0, rel=1e-12)
    np.testing.assert_allclose(r.detection_range_km(np.array([0.01, 1.0])), [1000.0, 1000.0 * 100**0.25])


def test_azimuth_sector_wraps_through_north():
    r = _radar(azimuth_min_deg=300.0, azimuth_max_deg=60.0)
    az = np.radians([299.0, 301.0, 0.0, 59.0, 61.0, 180.0])
    assert r.in_azimuth_sector(az).tolist() == [False, True, True, True, False, False]
    assert r.boresight_deg == pytest.approx(0.0)


def test_full_circle_radar_sees_every_azimuth():
    r = _radar(azimuth_min_deg=0.0, azimuth_max_deg=360.0)
    assert r.full_azimuth
    assert r.in_azimuth_sector(np.linspace(0, 2 * np.pi, 50, endpoint=False)).all()


def test_measurement_noise_grows_as_range_squared_with_a_floor():
    r = _radar(range_noise_m=10.0, angle_noise_mrad=1.0, noise_floor_fraction=0.1)
    s_r, s_a = r.measurement_sigmas(np.array([100e3, 1000e3, 2000e3]), 2000e3)
    np.testing.assert_allclose(s_r, [1.0, 2.5, 10.0])  # floor, (1/2)^2, threshold
    np.testing.assert_allclose(s_a, [1e-4, 2.5e-4, 1e-3])


_lat = st.floats(-89.0, 89.0)
_lon = st.floats(-180.0, 180.0)


@settings(max_examples=200, deadline=None)
@given(_lat, _lon, st.floats(0.0, 5e3), _lat, _lon, st.floats(0.0, 3e6))
def test_line_of_sight_is_symmetric(lat1, lon1, h1, lat2, lon2, h2):
    p = np.array(geodetic_to_ecef(math.radians(lat1), math.radians(lon1), h1))
    q = np.array(geodetic_to_ecef(math.radians(lat2), math.radians(lon2), h2))
    assume(np.linalg.norm(p - q) > 1.0)  # coincident points graze the surface: either answer is right
    assert bool(line_of_sight(p, q)) == bool(line_of_sight(q, p))


@settings(max_examples=200, deadline=None)
@given(st.floats(0.0, 360.0), st.floats(1.0, 359.0), st.floats(0.0, 360.0))
def test_azimuth_sector_matches_its_definition(start, width, az):
    """In the sector iff the clockwise angle from its start is at most its width."""
    r = _radar(azimuth_min_deg=start, azimuth_max_deg=(start + width) % 360.0)
    inside = bool(r.in_azimuth_sector(math.radians(az)))
    offset = (az - start) % 360.0
    if abs(offset - width) > 1e-6 and min(offset, 360.0 - offset) > 1e-6:
        assert inside == (offset <= width)


# --- catalog ------------------------------------------------------------------------------------
def _numbers(node, where=""):
    if isinstance(node, dict):
        if "value" in node:
            yield where, node
        else:
            for k, v in node.items():
                yield from _numbers(v, f"{where}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _numbers(v, f"{where}[{i}]")


def test_every_catalog_number_has_value_source_and_tag():
    entries = _catalog()
    assert {"emr-brdy", "tpy2-forward", "dsp-geo"} <= {e["name"] for e in entries}
    for e in entries:
        assert e["kind"] == "sensor" and e["title"]
        params = list(_numbers(e, e["name"]))
        assert len(params) >= 5, e["name"]
        for where, p in params:
            assert p["tag"] in ("V", "R", "C", "D", "N"), where
            assert isinstance(p["source"], str) and len(p["source"]) > 5, where
            if "low" in p:
                assert p["low"] <= p["value"], where
            if "high" in p:
                assert p["high"] >= p["value"], where
            if p["tag"] == "D":
                assert "low" in p or "high" in p, f"{where}: disputed without a spread"
        assert isinstance(e.get("site", {"source": "x"}).get("source", ""), str)


@pytest.mark.parametrize("variant", ["value", "low", "high"])
def test_every_catalog_entry_builds(variant):
    for e in _catalog():
        s = sensor_from_catalog(e, variant)
        assert s.name == e["name"]


def test_disputed_ranges_span_the_published_values():
    tpy2 = _entry("tpy2-forward")["reference_range_km"]
    assert (tpy2["value"], tpy2["high"], tpy2["tag"]) == (1000, 1500, "D")
    gabala = _entry("gabala-daryal")["reference_range_km"]
    assert (gabala["low"], gabala["high"]) == (6000, 8000)
    assert radar_from_catalog(_entry("gabala-daryal"), "high").reference_range_km == 8000


def test_forward_radar_is_at_kurecik_and_says_the_2007_site_was_unnamed():
    e = _entry("tpy2-forward")
    r = radar_from_catalog(e)
    assert (r.lat_deg, r.lon_deg, r.alt_km) == (38.3494, 37.7936, 2.085)
    assert "unnamed" in e["title"] or "named no site" in e["site"]["source"]
    assert not r.needs_cue
    assert radar_from_catalog(_entry("emr-brdy")).needs_cue


def test_spec_to_dict_gives_the_catalog_show_fields():
    emr = radar_from_catalog(_entry("emr-brdy")).to_dict()
    assert emr["site"] == {"lat_deg": 49.6352, "lon_deg": 13.7479, "alt_km": 0.7188}
    assert emr["needs_cue"] is True and emr["detection_range_km"] == 2000.0
    assert radar_from_catalog(_entry("emr-brdy")).to_dict(rcs_m2=0.16)["detection_range_km"] == 4000.0
    for key in ("min_elevation_deg", "azimuth_min_deg", "azimuth_max_deg", "update_interval_s"):
        assert key in emr
    dsp = sensor_from_catalog(_entry("dsp-geo")).to_dict()
    assert dsp["kind"] == "infrared" and dsp["detection_range_km"] is None and len(dsp["satellites"]) == 2
    json.dumps(dsp)
    json.dumps(emr)


def test_gabala_sector_is_107_to_217_around_162():
    r = radar_from_catalog(_entry("gabala-daryal"))
    assert (r.azimuth_min_deg, r.azimuth_max_deg, r.boresight_deg) == (107, 217, 162)
    assert r.in_azimuth_sector(np.radians([137.5, 203.2, 332.6])).tolist() == [True, True, False]


# --- observe: windows, cueing, infrared ---------------------------------------------------------
def test_cued_radar_sees_nothing_without_a_cue():
    traj = vertical_rise(0.0, 5.0, 2000.0, 500.0)
    radar = _radar(needs_cue=True, min_elevation_deg=0.0)
    obs = observe(traj, [radar], 1.0, np.random.default_rng(0))
    assert np.isnan(obs["r"].first_detection_s[0])
    row = obs.to_dict()["threats"][0]["sensors"][0]
    assert row["first_detection_s"] is None and row["cued_by"] is None


def test_cued_radar_starts_at_the_infrared_report():
    """Target rises at 1 km/s from t = 0 and burns for 100 s; the satellite is overhead.

    IR first sight when above the 12 km cloud top: t = 12 s; report 45 s later, at 57 s.
    The cued radar sees the target from the cue on.
    """
    traj = vertical_rise(0.0, 5.0, 1000.0, 400.0)
    traj.t_burnout = np.array([100.0])
    radar = _radar(needs_cue=True)
    ir = _geo(5.0, report_latency_s=45.0)
    obs = observe(traj, [radar, ir], 1.0, np.random.default_rng(0), dt=2.0)
    assert obs["ir"].first_detection_s[0] == pytest.approx(12.0, abs=2e-3)
    assert obs["ir"].last_detection_s[0] == pytest.approx(100.0, abs=2e-3)
    assert obs["ir"].report_s[0] == pytest.approx(57.0, abs=2e-3)
    assert obs["r"].first_detection_s[0] == pytest.approx(57.0, abs=2e-3)
    assert obs["r"].cued_by[0] == "ir"


def test_cues_chain_from_radar_to_radar():
    """A self-searching radar detects first; a cued radar starts at that detection, if it sees the target."""
    traj = vertical_rise(0.0, 5.0, 1000.0, 800.0)
    finder = _radar(name="finder", lon_deg=4.0)  # sees it from the horizon rise
    shooter = _radar(name="shooter", lon_deg=0.0, needs_cue=True, min_elevation_deg=10.0)
    obs = observe(traj, [shooter, finder], 1.0, np.random.default_rng(0), dt=2.0)
    t_finder = obs["finder"].first_detection_s[0]
    assert obs["shooter"].cued_by[0] == "finder"
    assert obs["shooter"].cue_s[0] == pytest.approx(t_finder)
    assert obs["shooter"].first_detection_s[0] >= t_finder
    # the shooter's own visibility (10° mask) starts later than the finder's horizon rise
    own = observe(traj, [_radar(name="shooter", lon_deg=0.0, min_elevation_deg=10.0)], 1.0, np.random.default_rng(0), dt=2.0)
    assert obs["shooter"].first_detection_s[0] == pytest.approx(own["shooter"].first_detection_s[0], abs=1e-3)


def test_free_flight_is_invisible_to_infrared():
    traj = kepler_arcs(35.0, 54.0, 300.0, 4000.0, free_flight=True)
    obs = observe(traj, [_geo(60.0)], 1.0, np.random.default_rng(0), dt=2.0)
    assert np.isnan(obs["ir"].first_detection_s[0]) and np.isnan(obs["ir"].report_s[0])


def test_infrared_is_blocked_by_the_earth():
    traj = vertical_rise(0.0, 0.0, 1000.0, 300.0)
    traj.t_burnout = np.array([200.0])
    near, far = _geo(0.0), InfraredConstellation("far", (InfraredSatellite("geo", 180.0),))
    obs = observe(traj, [near, far], 1.0, np.random.default_rng(0), dt=2.0)
    assert np.isfinite(obs["ir"].report_s[0])
    assert np.isnan(obs["far"].first_detection_s[0])


def test_short_burn_above_the_clouds_is_not_reported():
    """Burnout at 20 s at 1 km/s: 8 s above the 12 km cloud top, less than the 10 s dwell."""
    traj = vertical_rise(0.0, 0.0, 1000.0, 300.0)
    traj.t_burnout = np.array([20.0])
    obs = observe(traj, [_geo(0.0, min_dwell_s=10.0)], 1.0, np.random.default_rng(0), dt=1.0)
    assert obs["ir"].first_detection_s[0] == pytest.approx(12.0, abs=2e-3)
    assert np.isnan(obs["ir"].report_s[0])


def test_launch_report_errors_have_the_stated_spread():
    traj = iran_to_europe(400, seed=3)
    ir = _geo(69.0, launch_time_sigma_s=5.0, heading_sigma_deg=2.0, launch_point_sigma_km=5.0)
    obs = observe(traj, [ir], 1.0, np.random.default_rng(7), dt=4.0, measurements=False)
    rep = obs.infrared["ir"]
    assert np.isfinite(rep.report_s).all()
    dh = np.degrees(np.angle(np.exp(1j * (rep.heading_est_rad - rep.heading_true_rad))))
    # 400 samples: the sample std is within ±15 % of sigma with probability > 99.7 %
    assert np.std(dh) == pytest.approx(2.0, rel=0.15)
    assert np.std(rep.launch_time_est_s) == pytest.approx(5.0, rel=0.15)
    lat0, _, _ = traj.geodetic(np.zeros(1))
    dn_km = (rep.launch_lat_est_rad - lat0[:, 0]) * 6378.137
    assert np.std(dn_km) == pytest.approx(5.0, rel=0.15)
    # the (crude, Hermite) boosts head north-west towards Europe
    assert 280.0 < np.degrees(np.median(rep.heading_true_rad)) < 320.0


def test_elevation_ceiling_makes_a_gap_in_an_overhead_pass():
    """A target circling the equator over the radar goes above its 60° ceiling and comes back."""
    traj = equatorial_circle(500e3, -20.0, 0.05, 800.0)
    radar = _radar(max_elevation_deg=60.0)
    obs = observe(traj, [radar], 1.0, np.random.default_rng(0), dt=2.0)
    o = obs["r"]
    assert o.n_gaps[0] == 1
    w = o.windows(0, obs.t_grid_s)
    assert len(w) == 2 and w[0][1] < 400.0 < w[1][0]
    # the gap is symmetric about the overhead time (400 s)
    assert (400.0 - w[0][1]) == pytest.approx(w[1][0] - 400.0, abs=2 * 2.0)
    assert o.gap_s[0] == pytest.approx(w[1][0] - w[0][1], abs=2 * 2.0 + 1e-9)


def test_rcs_can_depend_on_band():
    traj = vertical_rise(0.0, 0.0, 1000.0, 3000.0)
    x = _radar(name="x", band="X", reference_range_km=1000.0, reference_rcs_m2=1.0)
    uhf = _radar(name="uhf", band="UHF", reference_range_km=1000.0, reference_rcs_m2=1.0)
    obs = observe(traj, [x, uhf], {"X": 0.01, "UHF": 1.0}, np.random.default_rng(0), dt=5.0)
    assert obs["x"].detection_range_km[0] == pytest.approx(1000.0 * 0.01**0.25)
    assert obs["uhf"].detection_range_km[0] == pytest.approx(1000.0)
    with pytest.raises(ScenarioError):
        observe(traj, [x], {"UHF": 1.0}, np.random.default_rng(0))


def test_measurements_follow_the_noise_model():
    """Noisy ranges of a rising target: residuals / sigma are standard normal, sigma grows as R²."""
    traj = vertical_rise(0.0, 0.0, 1000.0, 1900.0, alt0_m=100.0)
    radar = _radar(reference_range_km=2000.0, range_noise_m=20.0, angle_noise_mrad=1.0, update_interval_s=0.5)
    obs = observe(traj, [radar], 1.0, np.random.default_rng(11), dt=2.0)
    m = obs.measurements["r"]
    ok = np.isfinite(m.range_m[0])
    truth = traj.position_ecef(m.t_s)[0]
    rng, _, el = radar.look_angles(truth)
    z = (m.range_m[0, ok] - rng[ok]) / m.sigma_range_m[0, ok]
    ze = (m.elevation_rad[0, ok] - el[ok]) / m.sigma_angle_rad[0, ok]
    assert ok.sum() > 3000
    assert abs(z.mean()) < 0.1 and np.std(z) == pytest.approx(1.0, rel=0.05)
    assert abs(ze.mean()) < 0.1 and np.std(ze) == pytest.approx(1.0, rel=0.05)
    far = m.sigma_range_m[0, ok][-1]
    assert far == pytest.approx(20.0 * (rng[ok][-1] / 2000e3) ** 2, rel=1e-9)


def test_same_seed_same_result_other_seed_other_noise():
    traj = iran_to_europe(4, seed=1)
    sensors = [sensor_from_catalog(_entry(n)) for n in ("tpy2-forward", "emr-brdy", "dsp-geo")]
    a = observe(traj, sensors, 0.05, np.random.default_rng(5))
    b = observe(traj, sensors, 0.05, np.random.default_rng(5))
    c = observe(traj, sensors, 0.05, np.random.default_rng(6))
    assert json.dumps(a.to_dict()) == json.dumps(b.to_dict())
    ma, mb, mc = (o.measurements["tpy2-forward"].range_m for o in (a, b, c))
    np.testing.assert_array_equal(ma, mb)
    assert not np.allclose(np.nan_to_num(ma), np.nan_to_num(mc))


def test_to_dict_follows_the_observe_contract():
    traj = iran_to_europe(2, seed=2)
    sensors = [sensor_from_catalog(e) for e in _catalog()]
    obs = observe(traj, sensors, 0.05, np.random.default_rng(0), threat_names=["a", "b"], measurements=False)
    d = json.loads(json.dumps(obs.to_dict()))
    assert [t["threat"] for t in d["threats"]] == ["a", "b"]
    t = d["threats"][0]
    assert set(t) >= {"threat", "flight_time_s", "sensors", "first_track_s", "fire_control_s"}
    assert t["flight_time_s"] == pytest.approx(traj.t_impact[0], abs=1e-3)
    assert [s["sensor"] for s in t["sensors"]] == [e["name"] for e in _catalog()]
    for s in t["sensors"]:
        assert set(s) >= {"sensor", "kind", "detection_range_km", "first_detection_s", "last_detection_s", "cued_by"}
        assert s["kind"] in ("radar", "infrared")
        if s["kind"] == "infrared":
            assert s["detection_range_km"] is None
        if s["first_detection_s"] is not None:
            assert 0.0 <= s["first_detection_s"] <= s["last_detection_s"] <= t["flight_time_s"] + 1e-6
    by = {s["sensor"]: s for s in t["sensors"]}
    # an Iranian launch: the forward TPY-2 and the DSP satellites see it, the cued EMR follows
    assert by["tpy2-forward"]["first_detection_s"] is not None
    assert by["dsp-geo"]["first_detection_s"] is not None
    assert by["emr-brdy"]["cued_by"] in ("dsp-geo", "sbirs", "tpy2-forward", "gabala-daryal")
    assert t["first_track_s"] is None and t["fire_control_s"] is None


def test_observation_grid_needs_an_end_when_nothing_impacts():
    traj = vertical_rise(0.0, 0.0, 1000.0, np.nan)
    with pytest.raises(ScenarioError) as err:
        observe(traj, [_radar()], 1.0, np.random.default_rng(0))
    assert err.value.field == "t_end_s"
    obs = observe(traj, [_radar()], 1.0, np.random.default_rng(0), t_end_s=100.0)
    assert obs["r"].last_detection_s[0] == pytest.approx(100.0)


def test_synthetic_trajectory_is_nan_outside_the_flight():
    traj = SyntheticTrajectory(lambda t: np.zeros(t.shape + (3,)) + 7e6, lambda t: np.zeros(t.shape + (3,)),
                               np.array([10.0]))
    p = traj.position_ecef(np.array([-1.0, 0.0, 10.0, 10.5]))
    assert np.isnan(p[0, 0]).all() and np.isfinite(p[0, 1:3]).all() and np.isnan(p[0, 3]).all()
    assert math.isnan(float(traj.t_burnout[0]))


# --- variant by capability, and per-parameter settings (issue 9 item 5) ----------------------
def test_every_catalog_number_has_a_capable_end():
    from shieldsim.sensors import _IR_NUMBERS, _RADAR_NUMBERS, CAPABLE_END

    assert set(CAPABLE_END) == set(_RADAR_NUMBERS) | set(_IR_NUMBERS)
    assert set(CAPABLE_END.values()) <= {"low", "high", None}


def test_variant_high_is_the_more_capable_end_of_every_parameter():
    """emr-brdy: `high` used to raise the elevation mask with the range (2 -> 5 deg), so the
    "better" radar defended less; now high = 3,000 km and the 1 deg mask, low = the 5 deg mask."""
    e = _entry("emr-brdy")
    lo, mid, hi = (radar_from_catalog(e, v) for v in ("low", "value", "high"))
    assert (hi.reference_range_km, hi.min_elevation_deg) == (3000, 1)
    assert (mid.reference_range_km, mid.min_elevation_deg) == (2000, 2)
    assert (lo.reference_range_km, lo.min_elevation_deg) == (2000, 5)


@pytest.mark.parametrize("name", [e["name"] for e in _catalog()])
def test_variants_are_ordered_by_capability_on_every_catalog_sensor(name):
    from shieldsim.sensors import CAPABLE_END

    e = _entry(name)
    lo, mid, hi = (sensor_from_catalog(e, v) for v in ("low", "value", "high"))
    for key, end in CAPABLE_END.items():
        if not hasattr(mid, key) or getattr(mid, key) is None:
            continue
        a, b, c = getattr(lo, key), getattr(mid, key), getattr(hi, key)
        if end is None:
            assert a == b == c, key
        elif end == "high":
            assert a <= b <= c, key
        else:
            assert a >= b >= c, key


def test_a_setting_picks_the_catalog_number_of_that_parameter_only():
    e = _entry("emr-brdy")
    r = radar_from_catalog(e, settings={"reference_range_km": "high"})
    assert (r.reference_range_km, r.min_elevation_deg) == (3000, 2)
    r = radar_from_catalog(e, settings={"min_elevation_deg": "high"})
    assert (r.reference_range_km, r.min_elevation_deg) == (2000, 5)
    r = radar_from_catalog(e, "high", settings={"min_elevation_deg": 3})  # a setting wins over the variant
    assert (r.reference_range_km, r.min_elevation_deg) == (3000, 3)
    ir = sensor_from_catalog(_entry("dsp-geo"), settings={"report_latency_s": "low"})
    assert ir.report_latency_s == _entry("dsp-geo")["report_latency_s"]["low"]


@pytest.mark.parametrize("settings_, field, words", [
    ({"reference_rang_km": "high"}, "emr-brdy.reference_rang_km", "did you mean reference_range_km"),
    ({"reference_range_km": "low"}, "emr-brdy.reference_range_km", "no low"),
    ({"reference_range_km": "most"}, "emr-brdy.reference_range_km", "low, value, high"),
    ({"cloud_top_km": 5}, "emr-brdy.cloud_top_km", "not a parameter"),
    ({"min_elevation_deg": 95}, "emr-brdy.min_elevation_deg", "[-10, 90]"),
])
def test_bad_settings_are_refused_naming_the_parameter(settings_, field, words):
    with pytest.raises(ScenarioError) as exc:
        radar_from_catalog(_entry("emr-brdy"), settings=settings_)
    assert exc.value.field == field and words in exc.value.reason
