"""The batch fire-control model against the Stone Soup tracker.

Reference: ``tracking.track_observation`` (UKF, ballistic J2 motion model, the 500 m
predicted-position threshold) on the threats of the three built-in scenarios. The batch
model (``DefenceModel.timeline``: first radar detection after burnout + ``track_settle_s``)
is what footprint, reach and engage use; tolerance: within 90 s of the tracker for every
threat that both commit, and both agree on whether a fire-control track exists at all.
"""

import numpy as np
import pytest

from shieldsim.analyses.context import load_context
from shieldsim.analyses.run import observe_threats
from shieldsim.analyses.threats import fly_threat_specs


@pytest.mark.parametrize("scenario", ["third_site_2007", "gabala_2007"])
def test_batch_fire_control_is_close_to_the_tracker(scenario):
    ctx = load_context(scenario)
    flown = fly_threat_specs(ctx.threat_specs)
    tracked = observe_threats(ctx, flown)
    rcs = np.asarray([s.rocket.payload.rcs_m2 for s in ctx.threat_specs])
    _, batch = ctx.defence.timeline(flown.trajectory, ctx.rng(1), flown.names, rcs_m2=rcs)
    ref = tracked.fire_control_s
    assert np.array_equal(np.isfinite(ref), np.isfinite(batch))
    ok = np.isfinite(ref)
    assert ok.any()
    np.testing.assert_array_less(np.abs(batch[ok] - ref[ok]), 90.0)
