"""``fly ... --sensors SCENARIO``: the scenario's sensor timeline for one flight."""

from __future__ import annotations


def observe_flight(result, scenario: str) -> dict:
    from ..analyses.context import build_defence
    from ..scenario import load_scenario
    from ..sensors import observe
    from ..tracking import track_observation

    import numpy as np

    sc = load_scenario(scenario)
    defence = build_defence(sc)
    obs = observe(result.trajectory, defence.sensors, 0.05, np.random.default_rng(sc.seed), threat_names=["flight"])
    if any(m for m in obs.measurements.values()):
        obs = track_observation(obs)
    t = obs.to_dict()["threats"][0]
    return {"sensors": t["sensors"], "first_track_s": t["first_track_s"], "fire_control_s": t["fire_control_s"]}
