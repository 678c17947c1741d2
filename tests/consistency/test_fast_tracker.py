"""Consistency: the compiled UKF (``tracker="fast"``, ``shieldsim.fast_ukf``) against Stone Soup's.

Two paths of our code that must agree: ``track_threat(..., tracker="fast")`` runs the
predict/update loop compiled, ``tracker="stonesoup"`` runs it through Stone Soup 1.9's
``UnscentedKalmanPredictor``/``UnscentedKalmanUpdater`` (the reference). Both share the
measurement selection, the two-point initiation and the fire-control computation, so what is
compared is the filter itself, on the threats of ``third_site_2007`` as ``run`` observes them.

Tolerances: the update times, first-track time and fire-control time must be equal (they are
measurement times; a fire-control time can only move if a predicted sigma sits within rounding
of the threshold); position sigmas and predicted-position sigmas within a relative 1e-6 and
states within 1 mm. The two filters differ in rounding only (Cholesky and 3 x 3 inverse written
out instead of LAPACK's, sums in another order); measured on the demo's five threats: sigmas
within 7e-10 relative, states within 1e-6 m.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from shieldsim.errors import ScenarioError
from shieldsim.sensors import Radar, observe
from shieldsim.tracking import BallisticTransitionModel, fire_control_time, track_threat
from tests._synthetic import iran_to_europe

SIGMA_RTOL = 1e-6
STATE_ATOL_M = 1e-3


@pytest.fixture(scope="module")
def demo_observation():
    from shieldsim.analyses.context import load_context
    from shieldsim.analyses.run import observed
    from shieldsim.analyses.threats import fly_threat_specs

    ctx = load_context("third_site_2007")
    return observed(ctx, fly_threat_specs(ctx.threat_specs))


def _assert_same_track(ref, fast, t_end_s):
    assert len(fast) == len(ref) > 3
    np.testing.assert_array_equal(fast.t_s, ref.t_s)
    assert fast.sensor == ref.sensor
    assert fast.first_track_s == ref.first_track_s
    np.testing.assert_allclose(fast.state, ref.state, rtol=0, atol=STATE_ATOL_M)
    np.testing.assert_allclose(fast.position_sigma_m(), ref.position_sigma_m(), rtol=SIGMA_RTOL)
    np.testing.assert_allclose(fast.predicted_position_sigma_m(t_end_s=t_end_s),
                               ref.predicted_position_sigma_m(t_end_s=t_end_s), rtol=SIGMA_RTOL)
    fc_ref, fc_fast = fire_control_time(ref, t_end_s=t_end_s), fire_control_time(fast, t_end_s=t_end_s)
    assert fc_fast == fc_ref or (math.isnan(fc_fast) and math.isnan(fc_ref))


def _tracks(obs, i, **kw):
    series = [m.threat(i) for m in obs.measurements.values()]
    return (track_threat(series, t_burnout_s=float(obs.t_burnout_s[i]), tracker="stonesoup", **kw),
            track_threat(series, t_burnout_s=float(obs.t_burnout_s[i]), tracker="fast", **kw))


def test_consistency_fast_tracker_matches_stone_soup_on_the_demo_threats_thinned(demo_observation):
    """Every threat of the demo, each radar thinned to 25 updates (Stone Soup's cost is per update)."""
    obs = demo_observation
    n_fc = 0
    for i in range(obs.n):
        ref, fast = _tracks(obs, i, max_updates_per_sensor=25)
        _assert_same_track(ref, fast, float(obs.flight_time_s[i]))
        n_fc += math.isfinite(fire_control_time(ref, t_end_s=float(obs.flight_time_s[i])))
    assert n_fc >= 1  # the comparison covers a fire-control crossing


@pytest.mark.slow  # Stone Soup at full rate: ~1.5 s CPU per threat
def test_consistency_fast_tracker_matches_stone_soup_on_the_demo_threats(demo_observation):
    """Every threat of the demo at the default 300 updates per radar (what ``run`` tracks)."""
    obs = demo_observation
    for i in range(obs.n):
        ref, fast = _tracks(obs, i)
        _assert_same_track(ref, fast, float(obs.flight_time_s[i]))


def _synthetic_pair(dt=5.0):
    """Two radars with overlapping coverage on one arc (a handover and simultaneous updates)."""
    traj = iran_to_europe(1, seed=0)
    kurecik = Radar("tpy2", lat_deg=38.3494, lon_deg=37.7936, alt_km=2.085, reference_range_km=1000.0,
                    reference_rcs_m2=0.01, range_noise_m=5.0, angle_noise_mrad=0.9, update_interval_s=dt,
                    azimuth_min_deg=39.0, azimuth_max_deg=159.0)
    brdy = Radar("emr", lat_deg=49.6352, lon_deg=13.7479, alt_km=0.7188, reference_range_km=2000.0,
                 reference_rcs_m2=0.01, range_noise_m=3.0, angle_noise_mrad=0.5, update_interval_s=dt)
    obs = observe(traj, [kurecik, brdy], 0.05, np.random.default_rng(5), dt=dt)
    return traj, [m.threat(0) for m in obs.measurements.values()]


def test_consistency_fast_tracker_matches_stone_soup_over_a_handover_and_from_a_prior():
    traj, series = _synthetic_pair()
    t_end = float(traj.t_impact[0])
    ref = track_threat(series, t_burnout_s=float(traj.t_burnout[0]), tracker="stonesoup", max_updates_per_sensor=40)
    fast = track_threat(series, t_burnout_s=float(traj.t_burnout[0]), tracker="fast", max_updates_per_sensor=40)
    assert len(set(ref.sensor)) == 2  # both radars contribute
    _assert_same_track(ref, fast, t_end)
    # From a prior (no two-point initiation; the first update confirms at the third): point-mass model.
    t0 = float(ref.t_s[3])
    prior = (t0, ref.state[3], ref.covar[3] * 4.0)
    model = BallisticTransitionModel(gravity_model=0, rotating=True, process_noise_m2_s3=1e-3)
    kw = {"prior": prior, "transition_model": model, "max_updates_per_sensor": 40}
    _assert_same_track(track_threat(series, tracker="stonesoup", **kw), track_threat(series, tracker="fast", **kw),
                       t_end)


def test_a_covariance_that_is_not_positive_definite_falls_back_to_stone_soup():
    """The kernel stops at a non-positive-definite covariance; the threat is rerun in Stone Soup
    (which perturbs the matrix and warns), so both trackers give the same track."""
    traj, series = _synthetic_pair()
    ref = track_threat(series, t_burnout_s=float(traj.t_burnout[0]), tracker="stonesoup", max_updates_per_sensor=10)
    P = ref.covar[2].copy()
    P[0, 0] = -1.0  # not positive definite
    kw = {"prior": (float(ref.t_s[2]), ref.state[2], P), "max_updates_per_sensor": 10}
    with pytest.warns(UserWarning):
        a = track_threat(series, tracker="stonesoup", **kw)
    with pytest.warns(UserWarning):
        b = track_threat(series, tracker="fast", **kw)
    np.testing.assert_array_equal(a.state, b.state)
    np.testing.assert_array_equal(a.covar, b.covar)


def test_an_unknown_tracker_is_refused():
    with pytest.raises(ScenarioError) as err:
        track_threat([], tracker="kalman-ish")
    assert err.value.field == "tracker"
