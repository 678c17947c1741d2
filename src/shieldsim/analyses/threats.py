"""Fly a scenario's threats (or ad-hoc ones) as one batch: aim, fly, summarise.

Shared by ``run``, ``observe``, ``engage`` and ``compare``: every command that takes a
scenario flies exactly what ``fly`` flies for the same missile, launch and aim point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..flight import Trajectory
from ..targeting import aim


@dataclass
class FlownThreats:
    """The scenario's threats, their solved guidance and the flown batch (one row each)."""

    names: list[str]
    missiles: list[str]
    launch: list  # catalog Site objects
    target: list
    trajectory_kind: list[str]
    launch_time_s: np.ndarray
    trajectory: Trajectory
    miss_m: np.ndarray
    rockets: list

    def summary(self) -> list[dict]:
        tr = self.trajectory
        ilat, ilon = tr.impact_geodetic()
        vbo, hbo = tr.burnout_relative()
        rng = tr.ground_range_m()
        apo = tr.apogee_alt_m()
        rows = []
        for i, name in enumerate(self.names):
            rows.append({
                "threat": name, "missile": self.missiles[i], "from": self.launch[i].name, "to": self.target[i].name,
                "trajectory": self.trajectory_kind[i], "launch_time_s": float(self.launch_time_s[i]),
                "flight_time_s": float(tr.t_impact[i]), "ground_range_km": float(rng[i] / 1e3),
                "apogee_km": float(apo[i] / 1e3), "impact_lat_deg": float(np.degrees(ilat[i])),
                "impact_lon_deg": float((np.degrees(ilon[i]) + 180) % 360 - 180),
                "burnout_time_s": float(tr.t_burnout[i]), "burnout_speed_km_s": float(vbo[i] / 1e3),
                "burnout_altitude_km": float(hbo[i] / 1e3), "miss_km": float(self.miss_m[i] / 1e3),
            })
        return rows


def fly_threat_specs(specs: list[dict]) -> FlownThreats:
    """Fly threats given as dicts {name, missile, rocket, launch: Site, target: Site, trajectory, launch_time_s}.

    Aim points a missile cannot reach raise ``ScenarioError`` naming the threat.
    """
    from ..errors import ScenarioError

    n = len(specs)
    if n == 0:
        raise ScenarioError("threats", "the scenario has no threats")
    lat = np.radians([s["launch"].lat_deg for s in specs])
    lon = np.radians([s["launch"].lon_deg for s in specs])
    alt = np.array([s["launch"].alt_km * 1e3 for s in specs])
    tlat = np.radians([s["target"].lat_deg for s in specs])
    tlon = np.radians([s["target"].lon_deg for s in specs])
    kinds = [s.get("trajectory", "minimum-energy") for s in specs]
    rockets = [s["rocket"] for s in specs]
    parts: dict[str, list[int]] = {}
    for i, k in enumerate(kinds):
        parts.setdefault(k, []).append(i)
    sols = {}
    for k, idx in parts.items():
        sols[k] = (idx, aim([rockets[i] for i in idx], lat[idx], lon[idx], alt[idx], tlat[idx], tlon[idx], k))
    # Reassemble one batch in scenario order (one more batch flight with the solved guidance).
    az = np.empty(n)
    kick = np.empty(n)
    tcut = np.empty(n)
    miss = np.empty(n)
    for k, (idx, sol) in sols.items():
        for j, i in enumerate(idx):
            if not sol.feasible[j]:
                s = specs[i]
                raise ScenarioError(
                    s.get("field_to", "--to"),
                    f"threat {s['name']!r}: {s['target'].name} is {sol.target_range_m[j] / 1e3:,.0f} km from "
                    f"{s['launch'].name}, beyond the {s['missile']}'s maximum range of {sol.max_range_m[j] / 1e3:,.0f} km"
                    if sol.target_range_m[j] > sol.max_range_m[j] else
                    f"threat {s['name']!r}: aim point too close for a {k} trajectory")
            az[i], kick[i], tcut[i], miss[i] = sol.azimuth_rad[j], sol.kick_rad[j], sol.t_cutoff_s[j], sol.miss_m[j]
    from ..flight import fly_rockets

    tr = fly_rockets(rockets, lat, lon, alt, az, kick, tcut)
    return FlownThreats([s["name"] for s in specs], [s["missile"] for s in specs], [s["launch"] for s in specs],
                        [s["target"] for s in specs], kinds, np.array([s.get("launch_time_s", 0.0) for s in specs]),
                        tr, miss, rockets)


def scenario_threat_specs(sc) -> list[dict]:
    """Threat dicts of a validated Scenario."""
    return [{"name": t.name, "missile": t.missile, "rocket": t.rocket(), "launch": t.launch_site(),
             "target": t.aim_site(), "trajectory": t.trajectory, "launch_time_s": t.launch_time_s,
             "field_to": f"threats.{i}.to"} for i, t in enumerate(sc.threats)]


def adhoc_threat_specs(missile: str, from_: str, to: str, trajectory: str = "minimum-energy") -> list[dict]:
    """One ad-hoc threat, exactly as ``fly MISSILE --from A --to B`` flies it."""
    from .. import catalog

    return [{"name": f"{missile} {from_}->{to}", "missile": missile, "rocket": catalog.missile(missile, field="--missile"),
             "launch": catalog.parse_place(from_, "--from"), "target": catalog.parse_place(to, "--to"),
             "trajectory": trajectory, "launch_time_s": 0.0, "field_to": "--to"}]
