"""The Russian question: can the scenario's interceptors reach Russian ICBMs flying to the US?

For every launch base x target x battery: fly the ICBM (minimum-energy, as ``fly``), let
the scenario's sensors observe it, and compute the battery's battle space. Reported per
pair: ``feasible``, ``margin_s`` (latest launch that still intercepts minus the commit
time: negative means the interceptor would have had to leave that much earlier),
``intercept_altitude_km`` of the earliest intercept, and ``min_burnout_speed_km_s``: the
lowest interceptor burnout speed that makes the pair feasible, found by re-flying the
interceptor rescaled (``interceptors.at_burnout_speeds``) over a grid of speeds and
interpolating the margin's zero crossing. This is the number that shows where, inside
the disputed 6-9 km/s of the two-stage GBI, the answer flips [@afp-2008-postol; @spacenews-2007-third-site;
@lewis-postol-2008-bulletin; @mda-2007-europe-brochure; @wilkening-2012; @butt-postol-2011].
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..engagement import Battery
from ..interceptors import at_burnout_speeds, build_table
from .defence import DefenceModel
from .threats import fly_threat_specs, pair_threat_specs

DEFAULT_SPEEDS_KM_S = (4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0)


@dataclass
class ReachResult:
    rows: list[dict]
    speeds_km_s: tuple
    flown: object  # FlownThreats

    def to_dict(self) -> dict:
        return {"pairs": self.rows}

    @property
    def engageable_pairs(self) -> int:
        return len({(r["launch"], r["target"]) for r in self.rows if r["feasible"]})


def _battery_with(b: Battery, itc) -> Battery:
    return replace(b, interceptor=itc, table=build_table(itc.booster, b.lat_deg, b.alt_km))


def reach_analysis(defence: DefenceModel, missile: str, launches: list, targets: list, rng: np.random.Generator, *,
                   speeds_km_s=DEFAULT_SPEEDS_KM_S, progress=None) -> ReachResult:
    from .. import catalog

    rocket = catalog.missile(missile, field="--missile")
    specs = pair_threat_specs(missile, rocket, [(a, b) for a in launches for b in targets])
    flown = fly_threat_specs(specs)
    # The threat's own radar cross-section (the SS-27's 0.01 m2, not a default): detection
    # range, and so the fire-control time, scale with RCS^(1/4).
    tl = defence.timeline(flown.trajectory, rng, flown.names, rcs_m2=rocket.payload.rcs_m2)
    base = defence.assess(flown.trajectory, rng, flown.names, timeline=tl)
    if progress:
        progress(1)
    # Margin of every pair against every battery at each speed of the grid.
    margins = np.full((len(specs), len(defence.batteries), len(speeds_km_s)), np.nan)
    # Each battery's interceptor rescaled to every speed at once (``interceptors.at_burnout_speeds``:
    # the searches flown side by side, each answer that of its own ``at_burnout_speed``); the
    # fly-out tables one speed at a time, so only one speed's are held.
    rescaled = [at_burnout_speeds(b.interceptor, list(speeds_km_s)) for b in defence.batteries]  # [battery][speed]
    for k, v in enumerate(speeds_km_s):
        dm = replace(defence, batteries=[_battery_with(b, rescaled[j][k]) for j, b in enumerate(defence.batteries)])
        a = dm.assess(flown.trajectory, rng, flown.names, timeline=tl)
        for j, sp in enumerate(a.spaces):
            margins[:, j, k] = np.where(sp.feasible, np.maximum(np.nan_to_num(sp.margin_s, nan=0.0), 0.0),
                                        np.minimum(np.nan_to_num(sp.margin_s, nan=-1e4), -1e-6))
        if progress:
            progress(1)
    rows = []
    sp = np.asarray(speeds_km_s, float)
    for i, s in enumerate(specs):
        for j, b in enumerate(defence.batteries):
            bs = base.spaces[j]
            m = margins[i, j]
            ok = m >= 0
            below_grid = bool(ok[0])  # feasible at the slowest speed scanned: no bracket
            vmin = None
            if ok.any() and not below_grid:
                k = int(np.argmax(ok))  # first feasible speed; the margin crosses zero below it
                m0, m1 = m[k - 1], m[k]
                w = 0.0 if m1 == m0 else -m0 / (m1 - m0)
                vmin = float(sp[k - 1] + w * (sp[k] - sp[k - 1]))
            rows.append({
                "launch": s.launch.name, "target": s.target.name, "battery": b.name,
                "interceptor": b.interceptor.name, "feasible": bool(bs.feasible[i]),
                "margin_s": None if not math.isfinite(bs.margin_s[i]) else round(float(bs.margin_s[i]), 1),
                "min_burnout_speed_km_s": None if vmin is None else round(vmin, 2),
                "min_burnout_speed_below_grid": below_grid,
                "intercept_altitude_km": None if not bs.feasible[i] else round(float(bs.intercept_alt_m[i] / 1e3), 1),
                "intercept_s": None if not bs.feasible[i] else round(float(bs.earliest_s[i]), 1),
                "fire_control_s": None if not math.isfinite(base.fire_control_s[i]) else round(float(base.fire_control_s[i]), 1),
            })
    return ReachResult(rows, tuple(speeds_km_s), flown)
