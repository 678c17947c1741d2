"""Fly a scenario's threats (or ad-hoc ones) as one batch: aim, fly, summarise.

Shared by ``run``, ``observe``, ``engage`` and ``compare``: every command that takes a
scenario flies exactly what ``fly`` flies for the same missile, launch and aim point.
A threat is a frozen ``ThreatSpec``; ``flight_summary`` is the one place a flown batch
becomes the headline numbers of ``fly`` (``api.FlightResult`` and the threat rows of ``run``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import catalog
from ..catalog import Site
from ..earth import wrap_lon
from ..errors import ScenarioError
from ..flight import Trajectory, fly_rockets
from ..targeting import aim
from ..vehicles import Rocket


@dataclass(frozen=True)
class ThreatSpec:
    """One threat to fly: a missile from a launch place at an aim point.

    Attributes
    ----------
    name : the threat's name (the scenario's, or ``MISSILE FROM->TO`` for an ad-hoc one).
    missile : the catalog name of the missile.
    rocket : the missile as a ``Rocket`` (SI units).
    launch, target : launch place and aim point (catalog sites or given coordinates).
    trajectory : the trajectory family (``vehicles.TRAJECTORIES``).
    launch_time_s : launch time in the raid, s after the first launch.
    field_to : the field an unreachable aim point is reported on (``threats.<i>.to`` or ``--to``).
    """

    name: str
    missile: str
    rocket: Rocket
    launch: Site
    target: Site
    trajectory: str = "minimum-energy"
    launch_time_s: float = 0.0
    field_to: str = "--to"


def flight_summary(tr: Trajectory, miss_m: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The headline numbers of a flown batch, arrays in the units of ``fly``'s JSON:
    flight time, ground range, apogee, impact point (longitude in [-180, 180)), and for
    powered flights (``miss_m`` given) burnout time, speed and altitude and the miss."""
    ilat, ilon = tr.impact_geodetic()
    out = {"flight_time_s": tr.t_impact, "ground_range_km": tr.ground_range_m() / 1e3,
           "apogee_km": tr.apogee_alt_m() / 1e3, "impact_lat_deg": np.degrees(ilat),
           "impact_lon_deg": wrap_lon(np.degrees(ilon), degrees=True)}
    if miss_m is not None:
        vbo, hbo = tr.burnout_relative()
        out.update(burnout_time_s=tr.t_burnout, burnout_speed_km_s=vbo / 1e3, burnout_altitude_km=hbo / 1e3,
                   miss_km=np.asarray(miss_m) / 1e3)
    return out


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
        numbers = flight_summary(self.trajectory, self.miss_m)
        order = ("flight_time_s", "ground_range_km", "apogee_km", "impact_lat_deg", "impact_lon_deg",
                 "burnout_time_s", "burnout_speed_km_s", "burnout_altitude_km", "miss_km")
        return [{"threat": name, "missile": self.missiles[i], "from": self.launch[i].name, "to": self.target[i].name,
                 "trajectory": self.trajectory_kind[i], "launch_time_s": float(self.launch_time_s[i]),
                 **{k: float(numbers[k][i]) for k in order}}
                for i, name in enumerate(self.names)]


def fly_threat_specs(specs: list[ThreatSpec]) -> FlownThreats:
    """Fly ``specs`` as one batch, each aimed on its own trajectory family.

    Aim points a missile cannot reach raise ``ScenarioError`` on the threat's ``field_to``.
    """
    n = len(specs)
    if n == 0:
        raise ScenarioError("threats", "the scenario has no threats")
    lat = np.radians([s.launch.lat_deg for s in specs])
    lon = np.radians([s.launch.lon_deg for s in specs])
    alt = np.array([s.launch.alt_km * 1e3 for s in specs])
    tlat = np.radians([s.target.lat_deg for s in specs])
    tlon = np.radians([s.target.lon_deg for s in specs])
    rockets = [s.rocket for s in specs]
    parts: dict[str, list[int]] = {}
    for i, s in enumerate(specs):
        parts.setdefault(s.trajectory, []).append(i)
    # Solve each family's guidance, then fly one batch in scenario order with it.
    az, kick, tcut, miss = (np.empty(n) for _ in range(4))
    for kind, idx in parts.items():
        sol = aim([rockets[i] for i in idx], lat[idx], lon[idx], alt[idx], tlat[idx], tlon[idx], kind)
        for j, i in enumerate(idx):
            if not sol.feasible[j]:
                _unreachable(specs[i], sol.target_range_m[j], sol.max_range_m[j])
            az[i], kick[i], tcut[i], miss[i] = sol.azimuth_rad[j], sol.kick_rad[j], sol.t_cutoff_s[j], sol.miss_m[j]
    tr = fly_rockets(rockets, lat, lon, alt, az, kick, tcut)
    return FlownThreats([s.name for s in specs], [s.missile for s in specs], [s.launch for s in specs],
                        [s.target for s in specs], [s.trajectory for s in specs],
                        np.array([s.launch_time_s for s in specs]), tr, miss, rockets)


def _unreachable(s: ThreatSpec, target_range_m: float, max_range_m: float):
    if target_range_m > max_range_m:
        raise ScenarioError(s.field_to, f"threat {s.name!r}: {s.target.name} is {target_range_m / 1e3:,.0f} km from "
                                        f"{s.launch.name}, beyond the {s.missile}'s maximum range of "
                                        f"{max_range_m / 1e3:,.0f} km")
    raise ScenarioError(s.field_to, f"threat {s.name!r}: aim point too close for a {s.trajectory} trajectory")


def scenario_threat_specs(sc) -> list[ThreatSpec]:
    """The threats of a validated Scenario."""
    return [ThreatSpec(t.name, t.missile, t.rocket(), t.launch_site(), t.aim_site(), t.trajectory, t.launch_time_s,
                       f"threats.{i}.to") for i, t in enumerate(sc.threats)]


def adhoc_threat_specs(missile: str, from_: str, to: str, trajectory: str = "minimum-energy") -> list[ThreatSpec]:
    """One ad-hoc threat, exactly as ``fly MISSILE --from A --to B`` flies it."""
    return [ThreatSpec(f"{missile} {from_}->{to}", missile, catalog.missile(missile, field="--missile"),
                       catalog.parse_place(from_, "--from"), catalog.parse_place(to, "--to"), trajectory, 0.0, "--to")]


def pair_threat_specs(missile: str, rocket: Rocket, pairs) -> list[ThreatSpec]:
    """A threat per (launch site, target site) pair of one missile (``reach``'s Russian pairs)."""
    return [ThreatSpec(f"{missile} {a.name}->{b.name}", missile, rocket, a, b, field_to="--target")
            for a, b in pairs]
