"""Raid effectiveness: probability that no warhead leaks, and expected leakers, versus raid size.

A raid of N identical threats (the scenario's chosen threat, all launched together) meets
the batteries with their finite inventories; each threat has the shot opportunities its
battle space allows. The battle manager and seeded Monte Carlo are ``doctrine.simulate``;
curves are computed with and without decoys (each decoy an object the defence may shoot
instead of the warhead: with identification probability q = ``doctrine.p_discriminate``
a look finds the warhead, otherwise it picks uniformly among the objects left, so a salvo
is aimed at the warhead with q + (1 - q)/(r + 1) with r decoys still flying; UCS/MIT
*Countermeasures* 2000; JASON 2010 [@sessler-2000-countermeasures; @jason-2010-discrimination]).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..doctrine import simulate


@dataclass
class RaidCurves:
    threat: str
    sizes: np.ndarray
    curves: list[dict]  # {label, decoys, p_no_leak, expected_leakers}

    def to_dict(self) -> dict:
        return {"threat": self.threat, "raid_sizes": self.sizes.tolist(),
                "curves": [{"label": c["label"], "decoys": c["decoys"], "p_no_leak": [round(x, 4) for x in c["p_no_leak"]],
                            "expected_leakers": [round(x, 4) for x in c["expected_leakers"]]} for c in self.curves]}


def raid_curves(defence, assessment, threat_index: int, rng: np.random.Generator, *, sizes=range(1, 21),
                decoys=(0, 4), n_trials: int = 20000) -> RaidCurves:
    inv = np.array([b.inventory for b in defence.batteries], dtype=int)
    sizes = np.asarray(list(sizes), int)
    curves = []
    for d in decoys:
        pn, el = [], []
        for n in sizes:
            # n copies of the threat launched together, each with the same causal shot timeline;
            # the battle manager works all their shots in launch-time order.
            out = simulate(None, inv, defence.doctrine, n_trials, rng, decoys=d,
                           schedule=assessment.schedule(np.full(n, threat_index)))
            pn.append(float(out.p_no_leak))
            el.append(float(out.expected_leakers))
        curves.append({"label": "no decoys" if d == 0 else f"{d} decoys per warhead", "decoys": int(d),
                       "p_no_leak": pn, "expected_leakers": el})
    return RaidCurves(assessment.names[threat_index], sizes, curves)
