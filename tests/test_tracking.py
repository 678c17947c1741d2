"""Tracking with Stone Soup: the ballistic model, the radar measurement model, tracks and fire control."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest
from stonesoup.types.array import StateVector
from stonesoup.types.state import GaussianState, State

from shieldsim.earth import GRAVITY_J2, GRAVITY_POINT
from shieldsim.errors import ScenarioError
from shieldsim.sensors import MeasurementSeries, Radar, observe
from shieldsim.tracking import (
    BallisticTransitionModel,
    fire_control_time,
    propagate_ballistic,
    radar_measurement_model,
    track_observation,
    track_threat,
    transition_jacobian,
)
from tests._synthetic import iran_to_europe, kepler_arcs

KURECIK = {"lat_deg": 38.3494, "lon_deg": 37.7936, "alt_km": 2.085}
BRDY = {"lat_deg": 49.6352, "lon_deg": 13.7479, "alt_km": 0.7188}


def _truth(traj, t):
    return np.concatenate([traj.position_ecef(t), traj.velocity_ecef(t)], axis=-1)


@pytest.fixture(scope="module")
def arc():
    return iran_to_europe(1, seed=0)


def _series(radar, traj, t, noise_scale=1.0, rng=None, rcs=0.05):
    """Measurements of threat 0 by ``radar`` at times t (only where it sees it)."""
    r = traj.position_ecef(t)[0]
    rdet = radar.detection_range_km(rcs) * 1e3
    ok = radar.sees(r, rdet)
    rng_m, az, el = radar.look_angles(r[ok])
    s_r, s_a = radar.measurement_sigmas(rng_m, rdet)
    z = (rng or np.random.default_rng(0)).standard_normal((3, ok.sum())) * noise_scale
    return MeasurementSeries(radar, t[ok], rng_m + s_r * z[0], np.mod(az + s_a * z[1], 2 * np.pi), el + s_a * z[2], s_r, s_a)


def test_propagation_matches_kepler_in_the_rotating_frame(arc):
    """RK4 in ECEF with Coriolis and centrifugal terms vs the closed-form Kepler arc: < 1 m after 600 s."""
    x0 = _truth(arc, np.array([150.0]))[0, 0]
    x1 = propagate_ballistic(x0, 600.0, gravity_model=GRAVITY_POINT)
    ref = _truth(arc, np.array([750.0]))[0, 0]
    assert np.linalg.norm(x1[:3] - ref[:3]) < 1.0
    assert np.linalg.norm(x1[3:] - ref[3:]) < 1e-3
    # J2 moves the same arc by hundreds of metres: the model switch matters
    xj = propagate_ballistic(x0, 600.0, gravity_model=GRAVITY_J2)
    assert np.linalg.norm(xj[:3] - ref[:3]) > 100.0


def test_propagation_is_batched_with_mixed_intervals(arc):
    x = _truth(arc, np.array([150.0, 300.0]))[0]
    both = propagate_ballistic(x, np.array([100.0, 250.0]), gravity_model=GRAVITY_POINT)
    one = propagate_ballistic(x[1], 250.0, gravity_model=GRAVITY_POINT)
    np.testing.assert_allclose(both[1], one, atol=1e-3)
    np.testing.assert_allclose(both[0, :3], _truth(arc, np.array([250.0]))[0, 0, :3], atol=1.0)


def test_transition_jacobian_predicts_small_perturbations(arc):
    x0 = _truth(arc, np.array([200.0]))[0, 0]
    F = transition_jacobian(x0, 300.0)
    dx = np.array([300.0, -200.0, 100.0, 2.0, -1.0, 0.5])
    lin = propagate_ballistic(x0, 300.0) + F @ dx
    full = propagate_ballistic(x0 + dx, 300.0)
    assert np.linalg.norm(lin[:3] - full[:3]) < 1.0  # of a ~1.3 km displacement
    assert np.linalg.det(F) == pytest.approx(1.0, abs=1e-6)  # Liouville: phase volume kept


def test_stone_soup_model_wraps_the_kernel(arc):
    model = BallisticTransitionModel(gravity_model=GRAVITY_POINT)
    x0 = _truth(arc, np.array([200.0]))[0, 0]
    out = model.function(State(StateVector(x0)), time_interval=timedelta(seconds=120))
    np.testing.assert_allclose(np.asarray(out)[:, 0], propagate_ballistic(x0, 120.0, gravity_model=GRAVITY_POINT))
    Q = model.covar(time_interval=timedelta(seconds=10))
    assert Q.shape == (6, 6) and Q[0, 0] == pytest.approx(model.process_noise_m2_s3 * 1000 / 3)
    assert model.ndim_state == 6


def test_measurement_model_reproduces_radar_look_angles(arc):
    """Stone Soup's model at the site, rotated to ENU, gives (elevation, π/2 − azimuth, range)."""
    radar = Radar("tpy", reference_range_km=1000.0, **KURECIK)
    x = _truth(arc, np.array([300.0]))[0, 0]
    mm = radar_measurement_model(radar, 5.0, 1e-3)
    z = np.asarray(mm.function(State(StateVector(x))), dtype=float)[:, 0]
    r, az, el = radar.look_angles(x[:3])
    assert z[0] == pytest.approx(el, abs=1e-12)
    assert (z[1] - (math.pi / 2 - az) + math.pi) % (2 * math.pi) - math.pi == pytest.approx(0.0, abs=1e-12)
    assert z[2] == pytest.approx(r, rel=1e-12)


def test_noiseless_measurements_converge_to_truth(arc):
    """Perfect measurements (filter told the usual sigmas): the track ends within metres of truth."""
    radar = Radar("tpy", reference_range_km=1000.0, reference_rcs_m2=0.01, range_noise_m=5.0, angle_noise_mrad=1.0,
                  **KURECIK)
    t = np.arange(0.0, arc.t_impact[0], 2.0)
    series = _series(radar, arc, t, noise_scale=0.0)
    track = track_threat([series], t_burnout_s=float(arc.t_burnout[0]),
                         transition_model=BallisticTransitionModel(gravity_model=GRAVITY_POINT))
    assert len(track) > 100
    err = track.state - _truth(arc, track.t_s)[0]
    assert np.linalg.norm(err[-1, :3]) < 5.0
    assert np.linalg.norm(err[-1, 3:]) < 0.05
    sig = track.position_sigma_m()
    assert sig[-1] < 0.2 * sig[0]  # the track tightens as updates accumulate
    # two-point initiation starts with a velocity error (Coriolis neglected) that the filter removes
    assert np.linalg.norm(err[0, 3:]) > 10 * np.linalg.norm(err[-1, 3:])


def test_ukf_also_converges(arc):
    radar = Radar("tpy", reference_range_km=1000.0, reference_rcs_m2=0.01, range_noise_m=5.0, angle_noise_mrad=1.0,
                  **KURECIK)
    t = np.arange(0.0, arc.t_impact[0], 5.0)
    series = _series(radar, arc, t, noise_scale=0.0)
    track = track_threat([series], t_burnout_s=float(arc.t_burnout[0]), filter="ukf",
                         transition_model=BallisticTransitionModel(gravity_model=GRAVITY_POINT))
    err = track.state[-1] - _truth(arc, track.t_s[-1:])[0, 0]
    assert np.linalg.norm(err[:3]) < 20.0


def test_handover_continues_the_track_with_the_next_radar():
    """TPY-2 at Kürecik sees the early arc, the EMR at Brdy the late one; one track spans both."""
    traj = iran_to_europe(1, seed=4)
    tpy = Radar("tpy", reference_range_km=1000.0, reference_rcs_m2=0.01, range_noise_m=5.0, angle_noise_mrad=0.9,
                azimuth_min_deg=39.0, azimuth_max_deg=159.0, **KURECIK)
    emr = Radar("emr", reference_range_km=2000.0, reference_rcs_m2=0.01, range_noise_m=5.0, angle_noise_mrad=0.3,
                **BRDY)
    t = np.arange(0.0, traj.t_impact[0], 2.0)
    s_tpy, s_emr = _series(tpy, traj, t, rng=np.random.default_rng(1)), _series(emr, traj, t, rng=np.random.default_rng(2))
    # keep the windows apart so that the handover is a real coast
    s_tpy = MeasurementSeries(*[getattr(s_tpy, f) if f == "radar" else getattr(s_tpy, f)[s_tpy.t_s < 300.0]
                                for f in ("radar", "t_s", "range_m", "azimuth_rad", "elevation_rad", "sigma_range_m",
                                          "sigma_angle_rad")])
    track = track_threat([s_emr, s_tpy], t_burnout_s=float(traj.t_burnout[0]),
                         transition_model=BallisticTransitionModel(gravity_model=GRAVITY_POINT))
    names = np.array(track.sensor)
    assert names[1] == "tpy" and names[-1] == "emr"
    first_emr = int(np.argmax(names == "emr"))
    assert np.all(names[:first_emr] == "tpy") and np.all(names[first_emr:] == "emr")
    gap = track.t_s[first_emr] - track.t_s[first_emr - 1]
    assert gap > 20.0
    err = track.state - _truth(traj, track.t_s)[0]
    nees = np.einsum("ki,kij,kj->k", err, np.linalg.inv(track.covar), err)
    assert np.all(nees[first_emr - 1:first_emr + 3] < 30.0)  # consistent across the handover
    assert np.linalg.norm(err[-1, :3]) < 3 * track.position_sigma_m()[-1] + 1.0


def test_fire_control_time_follows_the_threshold(arc):
    radar = Radar("tpy", reference_range_km=1000.0, reference_rcs_m2=0.01, range_noise_m=5.0, angle_noise_mrad=1.0,
                  **KURECIK)
    t = np.arange(0.0, arc.t_impact[0], 2.0)
    track = track_threat([_series(radar, arc, t)], t_burnout_s=float(arc.t_burnout[0]))
    loose, default, tight = (fire_control_time(track, th) for th in (2000.0, 500.0, 150.0))
    assert loose <= default <= tight
    assert track.t_s[0] <= loose
    assert math.isnan(fire_control_time(track, 0.01))
    pred = track.predicted_position_sigma_m(300.0)
    i = int(np.searchsorted(track.t_s, default))
    assert pred[i] < 500.0 and np.all(pred[:i] >= 500.0)
    # predicting to a fixed intercept time: later updates than it are not used
    t_int = float(track.t_s[len(track) // 2])
    at = track.predicted_position_sigma_m(intercept_time_s=t_int)
    assert np.all(np.isnan(at[track.t_s > t_int])) and np.all(np.isfinite(at[track.t_s <= t_int]))
    with pytest.raises(ScenarioError):
        fire_control_time(track, -1.0)


def test_a_long_flight_is_thinned_to_at_most_300_updates():
    """Whole flight at 1 s updates: thinned to at most 300 updates (its speed is measured in
    benchmarks/bench_observe.py, not here)."""
    traj = kepler_arcs(35.2347, 53.9208, 315.0, 7000.0, gamma_deg=25.0, t_burnout_s=180.0)
    radar = Radar("wide", reference_range_km=6000.0, reference_rcs_m2=0.01, **KURECIK)
    t = np.arange(0.0, traj.t_impact[0], 1.0)
    series = _series(radar, traj, t)
    assert len(series) > 600
    track = track_threat([series], t_burnout_s=float(traj.t_burnout[0]))
    assert 250 <= len(track) <= 301


def test_track_observation_fills_first_track_and_fire_control():
    traj = iran_to_europe(2, seed=6)
    tpy = Radar("tpy2", reference_range_km=1000.0, reference_rcs_m2=0.01, range_noise_m=5.0, angle_noise_mrad=0.9,
                azimuth_min_deg=39.0, azimuth_max_deg=159.0, **KURECIK)
    obs = observe(traj, [tpy], 0.05, np.random.default_rng(3), dt=2.0)
    tracked = track_observation(obs)
    d = tracked.to_dict()
    for i, t in enumerate(d["threats"]):
        assert t["first_track_s"] is not None and t["fire_control_s"] is not None
        assert traj.t_burnout[i] < t["first_track_s"] <= t["fire_control_s"] < traj.t_impact[i]
    assert len(tracked.tracks) == 2 and len(tracked.tracks[0]) > 10
    assert obs.first_track_s is None  # the input is left as it was
    with pytest.raises(ScenarioError) as err:
        track_observation(observe(traj, [tpy], 0.05, np.random.default_rng(3), measurements=False))
    assert err.value.field == "measurements"


def test_unknown_filter_is_rejected(arc):
    with pytest.raises(ScenarioError) as err:
        track_threat([], filter="particle")
    assert err.value.field == "filter"


def test_too_few_measurements_give_no_track():
    radar = Radar("r", lat_deg=0.0, lon_deg=0.0, alt_km=0.0, reference_range_km=100.0)
    empty = MeasurementSeries(radar, *(np.zeros(0) for _ in range(6)))
    track = track_threat([empty])
    assert len(track) == 0 and math.isnan(track.first_track_s)


def test_prior_is_respected(arc):
    """Starting from a given prior skips two-point initiation; the first update is after the prior time."""
    radar = Radar("tpy", reference_range_km=1000.0, reference_rcs_m2=0.01, **KURECIK)
    t = np.arange(0.0, arc.t_impact[0], 5.0)
    t0 = 300.0
    x0 = _truth(arc, np.array([t0]))[0, 0]
    P0 = np.diag([1e6, 1e6, 1e6, 1e2, 1e2, 1e2])
    track = track_threat([_series(radar, arc, t)], prior=(t0, x0, P0),
                         transition_model=BallisticTransitionModel(gravity_model=GRAVITY_POINT))
    assert track.t_s[0] > t0
    assert isinstance(GaussianState(StateVector(x0), P0), GaussianState)


def test_tracks_a_flight_from_shieldsim_flight_with_the_default_j2_model():
    """An IRBM from Semnan aimed at Prague (``shieldsim.flight``, J2, rotating Earth, drag) is
    tracked by the catalog's forward TPY-2, EMR and Fylingdales with the default filter: the
    track spans the radars and its final error is inside 3 sigma."""
    targeting = pytest.importorskip("shieldsim.targeting")
    from shieldsim import catalog
    from shieldsim.sensors import sensor_from_catalog

    sol = targeting.aim(catalog.missile("iran-irbm"), math.radians(35.2347), math.radians(53.9208), 0.0,
                        math.radians(50.0755), math.radians(14.4378))
    traj = sol.trajectory
    sensors = [sensor_from_catalog(catalog.get(n, kind="sensor")) for n in ("tpy2-forward", "emr-brdy", "dsp-geo")]
    obs = track_observation(observe(traj, sensors, 0.05, np.random.default_rng(1)))
    track = obs.tracks[0]
    assert {"tpy2-forward", "emr-brdy"} <= set(track.sensor)
    err = track.state[-1] - _truth(traj, track.t_s[-1:])[0, 0]
    assert np.linalg.norm(err[:3]) < 3 * track.position_sigma_m()[-1] + 1.0
    d = obs.to_dict()["threats"][0]
    assert d["first_track_s"] < d["fire_control_s"] < d["flight_time_s"]
