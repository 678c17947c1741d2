"""From a scenario (and the common command-line options) to the objects the analyses use.

Every command that takes a SCENARIO goes through ``load_context``: it loads and validates
the file (with ``--set`` / ``--seed``), builds the defence (sensors, batteries with their
fly-out tables, doctrine), applies ``--interceptor-speed`` (every battery's interceptor
rescaled so its flown burnout speed is that value: ``interceptors.at_burnout_speed``), and
resolves the threats: the scenario's, or one ad-hoc threat from ``--missile/--from/--to``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ScenarioError


@dataclass
class Context:
    scenario: object
    defence: object  # DefenceModel
    threat_specs: list[dict]
    seed: int

    def rng(self, stream: int = 0) -> np.random.Generator:
        """A generator per analysis stream, all derived from the scenario seed."""
        return np.random.default_rng([self.seed, stream])


def battery_interceptor(b, speed_km_s):
    from .. import catalog
    from ..interceptor_specs import interceptor_from_catalog
    from ..interceptors import at_burnout_speed

    itc = interceptor_from_catalog(catalog.get(b.interceptor, kind="interceptor", field="batteries.interceptor"))
    v = speed_km_s if speed_km_s is not None else b.burnout_speed_km_s
    return at_burnout_speed(itc, v) if v is not None else itc


def build_defence(sc, interceptor_speed_km_s: float | None = None, sensor_names=None):
    from .. import catalog
    from ..doctrine import Doctrine
    from ..engagement import Battery
    from ..interceptors import build_table
    from ..sensors import sensor_from_catalog
    from .defence import DefenceModel

    if interceptor_speed_km_s is not None and not (0.5 <= interceptor_speed_km_s <= 15.0):
        raise ScenarioError("--interceptor-speed", f"{interceptor_speed_km_s} km/s is outside the supported 0.5-15 km/s")
    if sensor_names:
        sensors = [sensor_from_catalog(catalog.get(n, kind="sensor", field="--sensor")) for n in sensor_names]
    else:
        sensors = []
        for i, s in enumerate(sc.sensors):
            if not s.enabled:  # sensors.<i>.enabled: false leaves it out of the defence
                continue
            try:
                sensors.append(sensor_from_catalog(catalog.get(s.name, kind="sensor", field=f"sensors.{i}.name"),
                                                   s.variant, s.settings()))
            except ScenarioError as err:  # "emr-brdy.max_elevation_deg" -> "sensors.0.max_elevation_deg"
                key = err.field.removeprefix(f"{s.name}.").split(".")[0]
                raise ScenarioError(f"sensors.{i}.{key}", err.reason) from None
    batteries = []
    for b in sc.batteries:
        site = catalog.parse_place(b.site, "batteries.site")
        itc = battery_interceptor(b, interceptor_speed_km_s)
        batteries.append(Battery(b.name, site.lat_deg, site.lon_deg, site.alt_km, itc, b.inventory,
                                 build_table(itc.booster, site.lat_deg, site.alt_km)))
    d = sc.doctrine
    doctrine = Doctrine(d.kind, d.salvo_size, d.sspk, p_discriminate=d.p_discriminate,
                        kill_assessment_s=d.kill_assessment_s, discrimination=d.discrimination)
    return DefenceModel(batteries, sensors, doctrine, decision_delay_s=d.decision_delay_s,
                        track_settle_s=d.track_settle_s, require_track=d.require_track, decoys=d.decoys)


def load_context(scenario: str, overrides=(), seed=None, interceptor_speed=None, missile=None, from_=None, to=None,
                 sensor_names=None, doctrine_overrides=None) -> Context:
    from ..scenario import load_scenario
    from .threats import adhoc_threat_specs, scenario_threat_specs

    ov = list(overrides)
    for k, v in (doctrine_overrides or {}).items():
        if v is not None:
            ov.append(f"doctrine.{k}={v}")
    sc = load_scenario(scenario, overrides=ov, seed=seed)
    adhoc = [missile, from_, to]
    if any(a is not None for a in adhoc):
        missing = [n for n, a in zip(("--missile", "--from", "--to"), adhoc) if a is None]
        if missing:
            raise ScenarioError(missing[0], "ad-hoc threats need --missile, --from and --to together")
        specs = adhoc_threat_specs(missile, from_, to)
    else:
        specs = scenario_threat_specs(sc)
    defence = build_defence(sc, interceptor_speed, sensor_names)
    return Context(sc, defence, specs, sc.seed)
