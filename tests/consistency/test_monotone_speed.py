"""Consistency: a faster interceptor never defends less (issue 9, acceptance 2).

The same scenario at MDA's 6.3 km/s and at 8.0 km/s (``--interceptor-speed``): every
threat keeps at least its shot opportunities, and every aim point of a coarse footprint
defended at 6.3 km/s stays defended with at least as many shots. The premise is the one
``min_burnout_speed_km_s`` rests on: a faster interceptor of the same design reaches every
point sooner (its fly-out table is nowhere slower), so its feasible intercepts include the
slower one's. A check of our code against itself: a consistency test. No tolerance.
"""

from __future__ import annotations

import numpy as np

from shieldsim.analyses.context import load_context
from shieldsim.analyses.run import engage_threats, footprint_for
from shieldsim.analyses.threats import fly_threat_specs


def _run(speed):
    ctx = load_context("third_site_2007", interceptor_speed=speed)
    eng, _ = engage_threats(ctx, fly_threat_specs(ctx.threat_specs), 200)
    fp = footprint_for(ctx, resolution_deg=4.0)
    return {t["threat"]: t["shot_opportunities"] for t in eng["threats"]}, fp


def test_faster_interceptor_never_defends_less():
    slow_shots, slow_fp = _run(6.3)
    fast_shots, fast_fp = _run(8.0)
    for name, k in slow_shots.items():
        assert fast_shots[name] >= k, (name, k, fast_shots[name])
    assert sum(fast_shots.values()) > sum(slow_shots.values()) or all(v > 0 for v in slow_shots.values())
    r = slow_fp.reachable & fast_fp.reachable
    np.testing.assert_array_equal(slow_fp.reachable, fast_fp.reachable)  # the threat does not depend on the defence
    lost = r & slow_fp.defended & ~fast_fp.defended
    assert not lost.any(), f"{lost.sum()} aim points defended at 6.3 km/s but not at 8.0"
    fewer = r & (fast_fp.shot_opportunities < slow_fp.shot_opportunities)
    assert not fewer.any(), f"{fewer.sum()} aim points with fewer shots at 8.0 km/s"
    assert fast_fp.defended[r].sum() >= slow_fp.defended[r].sum()
