"""Footprint against point-by-point engagement runs (issue acceptance: same verdict on every sampled point).

Reference: the ``engage`` path itself, run independently for one ad-hoc threat per aim
point (``load_context(..., missile=, from_=, to="LAT,LON")`` → ``fly_threat_specs`` →
``engage_threats``), i.e. exactly what ``shieldsim engage third_site_2007 --missile
MISSILE --from LAUNCH --to LAT,LON`` computes, with the missile and launch place the
footprint chose for that point (the shortest-range missile of the scenario's list that
reaches it). The footprint instead aims and flies every grid point in one batch per
missile and assesses each batch at once.

Tolerance: none on the verdicts. For each of 12 seeded-random reachable aim points of the
built-in scenario's 3° footprint (both defended and undefended points sampled), the
defended verdict (``shot_opportunities > 0``) and the number of shot opportunities must
be identical; the intercept altitude of the earliest intercept must agree within 1 km
(the same threat flown by the same guidance; only the batch composition differs).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from shieldsim.analyses.context import load_context
from shieldsim.analyses.run import engage_threats, footprint_for
from shieldsim.analyses.threats import fly_threat_specs

SCENARIO = "third_site_2007"
RESOLUTION_DEG = 3.0
N_SAMPLE = 12
N_DEFENDED = 7  # of the sample; the rest undefended


@pytest.fixture(scope="module")
def footprint():
    ctx = load_context(SCENARIO)
    fa = ctx.scenario.analysis.footprint
    fp = footprint_for(ctx, resolution_deg=RESOLUTION_DEG)
    return fa.launch, fa.missile, fp


def _attacker(fp, i, j):
    """The missile the footprint flew to grid point (i, j) and its launch place (the
    scenario's footprint may fly several missiles: the shortest-range one that reaches)."""
    m = fp.missiles[int(fp.missile_index[i, j])]
    return m["missile"], m["launch"]


def _sample(fp):
    """Seeded sample of reachable grid points: N_DEFENDED defended, the rest undefended."""
    rng = np.random.default_rng(20070208)
    dfd = np.argwhere(fp.reachable & fp.defended)
    und = np.argwhere(fp.reachable & ~fp.defended)
    assert len(dfd) >= N_DEFENDED and len(und) >= N_SAMPLE - N_DEFENDED, \
        "the 2007 footprint should have both defended and undefended reachable aim points"
    pick = [dfd[i] for i in rng.choice(len(dfd), N_DEFENDED, replace=False)]
    pick += [und[i] for i in rng.choice(len(und), N_SAMPLE - N_DEFENDED, replace=False)]
    return [(int(i), int(j)) for i, j in pick]


def test_footprint_has_both_verdicts(footprint):
    _, _, fp = footprint
    r = fp.reachable
    assert 0 < fp.defended[r].sum() < r.sum()
    # Unreachable points are never defended, and carry no shot opportunities.
    assert not fp.defended[~r].any() and not fp.shot_opportunities[~r].any()
    np.testing.assert_array_equal(fp.defended, fp.shot_opportunities > 0)


def test_footprint_matches_engage_point_by_point(footprint):
    _, _, fp = footprint
    points = []
    for i, j in _sample(fp):
        lat, lon = float(fp.lat_deg[i]), float(fp.lon_deg[j])
        missile, launch = _attacker(fp, i, j)
        ctx = load_context(SCENARIO, missile=missile, from_=launch, to=f"{lat},{lon}")
        flown = fly_threat_specs(ctx.threat_specs)
        eng, _ = engage_threats(ctx, flown, n_trials=200)
        (t,) = eng["threats"]
        points.append((lat, lon, i, j, t))
    mismatches = []
    for lat, lon, i, j, t in points:
        want_opp = int(fp.shot_opportunities[i, j])
        got_opp = t["shot_opportunities"]
        if bool(fp.defended[i, j]) != (got_opp > 0) or want_opp != got_opp:
            mismatches.append(f"({lat:g},{lon:g}): footprint {want_opp} opportunities "
                              f"(defended={bool(fp.defended[i, j])}), engage {got_opp}")
            continue
        if got_opp:
            first = min(t["engagements"], key=lambda e: e["intercept_s"])
            alt = fp.intercept_altitude_km[i, j]
            assert math.isfinite(alt)
            if abs(first["intercept_altitude_km"] - alt) > 1.0:
                mismatches.append(f"({lat:g},{lon:g}): intercept altitude footprint {alt:.1f} km, "
                                  f"engage {first['intercept_altitude_km']:.1f} km")
        else:
            assert t["battle_space_s"] is None and not t["engagements"]
            assert math.isnan(fp.intercept_altitude_km[i, j])
    assert not mismatches, "footprint disagrees with engage:\n" + "\n".join(mismatches)
