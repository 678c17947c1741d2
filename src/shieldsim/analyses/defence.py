"""The defence of a scenario as one object: sensors, batteries, doctrine, timing.

``DefenceModel.assess`` takes a batch of threat trajectories and returns, per threat, the
sensor timeline, the commit time, per battery the battle space, and the causal shot
timeline over all batteries (``engagement.causal_chain``: each interceptor launched no
earlier than the previous intercept plus the kill assessment); ``outcomes`` turns that
timeline into kill and leak probabilities by seeded Monte Carlo over the doctrine
(``doctrine.simulate`` fed with the timeline's shots, in launch-time order across the raid,
so inventories fall in time and the interceptors used are the timeline's shots). ``engage``, ``footprint``, ``reach`` and
``raid`` all go through here, so a point of the footprint and an ``engage`` run of the
same threat give the same verdict.

Fire-control timing (batch model): tracks start at the first radar detection after the
threat's burnout, and are good enough to commit an interceptor ``track_settle_s`` later
(default 60 s: calibrated against the Stone Soup tracker of ``tracking.py``, which on the
built-in scenarios reaches its 500 m fire-control threshold 25-125 s after the track
starts; ``tests/validation/test_fire_control_model.py`` holds the two within 90 s). The
interceptor may launch ``decision_delay_s`` later (the scenario's doctrine). ``observe``
runs the full tracker, per threat, for the timelines it reports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..engagement import Battery, BattleSpace, ShotChain, TrackWindows, battle_space, causal_chain, feasibility
from ..flight import Trajectory

if TYPE_CHECKING:
    from ..doctrine import Doctrine
    from ..sensors import Observation, Sensor


@dataclass
class Assessment:
    """Per threat (n,) sensor timeline and per battery battle spaces."""

    names: list[str]
    observation: Observation
    fire_control_s: np.ndarray
    commit_s: np.ndarray
    spaces: list[BattleSpace]  # one per battery, each battery alone
    batteries: list[Battery]
    chain: ShotChain  # the causal shot timeline over all batteries

    @property
    def opportunities(self) -> np.ndarray:
        """(n_threats, n_batteries) shots each battery takes in the causal timeline."""
        return self.chain.per_battery(len(self.batteries))

    def schedule(self, threats=None, priority=None):
        """The battle manager's events (``doctrine.timeline_schedule``) for threat indices
        ``threats`` (default: every threat once; repeat an index for a raid of copies)."""
        from ..doctrine import timeline_schedule

        idx = np.arange(len(self.names)) if threats is None else np.asarray(threats, dtype=np.int64)
        sub = self.chain.battery[idx]
        rows, k = np.nonzero(sub >= 0)
        return timeline_schedule(rows, sub[rows, k], self.chain.launch_s[idx][rows, k], idx.size,
                                 len(self.batteries), priority=priority)

    @property
    def defended(self) -> np.ndarray:
        o = self.opportunities
        return o.sum(axis=1) > 0 if o.size else np.zeros(len(self.names), bool)

    def first_intercept(self):
        """Per threat: index of the battery of the first shot of the timeline (-1 if none)."""
        return self.chain.battery[:, 0].copy()

    def battle_space_window(self, i: int):
        """[earliest, latest] over batteries for threat i, or None."""
        e = [s.earliest_s[i] for s in self.spaces if math.isfinite(s.earliest_s[i])]
        la = [s.latest_s[i] for s in self.spaces if math.isfinite(s.latest_s[i])]
        return [float(min(e)), float(max(la))] if e else None


@dataclass
class DefenceModel:
    """The scenario's defence: batteries, sensors, doctrine and the fire-control timing
    (module docstring); ``rcs_m2`` is the threats' radar cross-section, one or per threat."""

    batteries: list[Battery]
    sensors: list[Sensor]
    doctrine: Doctrine
    decision_delay_s: float = 60.0
    track_settle_s: float = 60.0
    require_track: bool = True
    rcs_m2: float | np.ndarray = 0.05
    decoys: int = 0
    sensor_dt_s: float = 2.0  # visibility grid; detection edges are refined to 1 ms (sensors.observe)
    meta: dict = field(default_factory=dict)

    def timeline(self, traj: Trajectory, rng: np.random.Generator, names=None, rcs_m2=None):
        """Observation (no tracking) and the batch fire-control time per threat."""
        from ..sensors import Radar, observe

        obs = observe(traj, self.sensors, self.rcs_m2 if rcs_m2 is None else rcs_m2, rng, dt=self.sensor_dt_s,
                      threat_names=names, measurements=False)
        radars = [o for s, o in zip(obs.sensors, obs.observations) if isinstance(s, Radar)]
        if radars:
            first = np.stack([o.first_detection_s for o in radars])
            first = np.where(np.isfinite(first), first, np.inf).min(axis=0)
            # Tracks start after burnout (the tracker does not follow a thrusting booster).
            start = np.maximum(first, np.nan_to_num(traj.t_burnout, nan=0.0))
            fc = np.where(np.isfinite(first), start + self.track_settle_s, np.nan)
        else:
            fc = np.full(traj.n, np.nan)
        return obs, fc

    def track_windows(self, obs) -> TrackWindows | None:
        """Every radar's detection intervals of every threat (``TrackWindows``; indexing it by
        threat gives the (start, end) list), from the detection masks at once; None when the
        doctrine does not require a track."""
        from ..sensors import Radar

        if not self.require_track:
            return None
        radars = [o for s, o in zip(obs.sensors, obs.observations) if isinstance(s, Radar)]
        return TrackWindows.from_detections(obs.n, obs.t_grid_s, [o.detected for o in radars],
                                            [o.first_detection_s for o in radars], [o.last_detection_s for o in radars])

    def assess(self, traj: Trajectory, rng: np.random.Generator, names=None, rcs_m2=None, dt_s: float = 1.0,
               timeline=None) -> Assessment:
        """Battle spaces of every battery against a batch of threats (``timeline``: a
        precomputed ``(observation, fire_control_s)`` to reuse)."""
        obs, fc = self.timeline(traj, rng, names, rcs_m2) if timeline is None else timeline
        commit = fc + self.decision_delay_s
        windows = self.track_windows(obs)
        ka = float(getattr(self.doctrine, "kill_assessment_s", 60.0) or 0.0)
        feas = [feasibility(traj, b, track_windows=windows, dt_s=dt_s) for b in self.batteries]
        spaces = [battle_space(traj, b, commit, kill_assessment_s=ka, feas=f) for b, f in zip(self.batteries, feas)]
        chain = causal_chain(feas, np.broadcast_to(commit, (traj.n,)), ka) if feas else \
            causal_chain([], np.broadcast_to(commit, (traj.n,)), ka)
        return Assessment(list(names) if names is not None else [f"threat-{i}" for i in range(traj.n)], obs, fc,
                          commit, spaces, self.batteries, chain)

    def outcomes(self, assessment: Assessment, n_trials: int, rng: np.random.Generator, decoys=None):
        """Monte Carlo of the doctrine over the causal timeline of every threat."""
        from ..doctrine import simulate

        inv = np.array([b.inventory for b in self.batteries], dtype=int)
        return simulate(None, inv, self.doctrine, n_trials, rng, decoys=self.decoys if decoys is None else decoys,
                        schedule=assessment.schedule())
