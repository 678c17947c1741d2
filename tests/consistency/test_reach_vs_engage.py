"""Consistency: ``reach`` for a launch/target pair agrees with ``engage --missile M --from A
--to B`` at the same interceptor speed (issue 9, acceptance 2).

Both paths fly the same ICBM (minimum energy), observe it with the threat's own radar
cross-section (the SS-27's catalog value; before the fix, reach used a 0.05 m2 default)
and compute the battle space; this checks one path of the code against another, so it is
a consistency test, not a validation. Tolerance: the same verdict, the first intercept
within 0.5 s.
"""

from __future__ import annotations

import pytest

from shieldsim import catalog
from shieldsim.analyses.context import load_context
from shieldsim.analyses.run import engage_threats, reach_for
from shieldsim.analyses.threats import fly_threat_specs

PAIRS = [("kozelsk", "washington"), ("tatishchevo", "new-york"), ("uzhur", "seattle")]


@pytest.mark.parametrize("speed", [6.3, 8.0])
def test_reach_and_engage_agree_pair_by_pair(speed):
    ctx = load_context("third_site_2007", interceptor_speed=speed)
    missile = ctx.scenario.analysis.reach.missile
    res = reach_for(ctx, launches=[a for a, _ in PAIRS], targets=sorted({b for _, b in PAIRS}), speeds=(speed,))
    rows = {(r["launch"], r["target"]): r for r in res.rows}
    for a, b in PAIRS:
        ectx = load_context("third_site_2007", interceptor_speed=speed, missile=missile, from_=a, to=b)
        assert ectx.threat_specs[0].rocket.payload.rcs_m2 == catalog.missile(missile).payload.rcs_m2
        eng, _ = engage_threats(ectx, fly_threat_specs(ectx.threat_specs), 100)
        (t,) = eng["threats"]
        row = rows[(a, b)]
        assert row["feasible"] == (t["shot_opportunities"] > 0), (a, b, speed, row, t["shot_opportunities"])
        if row["feasible"]:
            assert row["intercept_s"] == pytest.approx(t["engagements"][0]["intercept_s"], abs=0.5)
            assert row["fire_control_s"] == pytest.approx(t["fire_control_s"], abs=0.5)
