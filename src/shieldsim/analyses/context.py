"""From a scenario (and the common command-line options) to the objects the analyses use.

Every command that takes a SCENARIO goes through ``load_context``: it loads and validates
the file (with ``--set`` / ``--seed``), builds the defence (sensors, batteries with their
fly-out tables, doctrine), applies ``--interceptor-speed`` (every battery's interceptor
rescaled so its flown burnout speed is that value: ``interceptors.at_burnout_speed``), and
resolves the threats: the scenario's, or one ad-hoc threat from ``--missile/--from/--to``.

Before the defence is built (the slow part) it refuses, in one line naming the field, an
analysis the scenario sizes beyond what can run: Monte Carlo trials above
``doctrine.MAX_TRIALS`` or beyond half the machine's memory (``doctrine.check_trials``), and
footprint grids of more than ``MAX_AIM_POINTS`` aim points (``check_grid``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ScenarioError

if TYPE_CHECKING:  # the flight modules load only when a command needs them (start-up time)
    from ..scenario import Scenario
    from .defence import DefenceModel
    from .threats import ThreatSpec

#: Most aim points one footprint grid may hold: 0.1 deg over the default region (Europe, 381 x 701 =
#: 267,081 points) fits. Two loaded cores fly about 500 aim points a second (measured: 10,857
#: points at 0.5 deg in 40 s), so the limit is a run of about ten minutes.
MAX_AIM_POINTS = 300_000
#: A footprint's memory: the chunk of aim points in flight (``footprint.CHUNK`` trajectories with
#: their dense output, measured at 600 MB peak) and, per aim point, the grid's arrays, the reach
#: test's temporaries and the Parquet columns (about 400 B).
FOOTPRINT_CHUNK_BYTES = 600_000_000
FOOTPRINT_BYTES_PER_POINT = 400
_FINER_STEPS_DEG = (0.06, 0.07, 0.08, 0.09, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0,
                    4.0, 5.0, 10.0)


def grid_shape(region, resolution_deg: float) -> tuple[int, int]:
    """(rows, columns) of the aim-point grid ``footprint.grid`` makes, without making it."""
    lat_min, lat_max, lon_min, lon_max = region
    return (math.ceil((lat_max + 1e-9 - lat_min) / resolution_deg),
            math.ceil((lon_max + 1e-9 - lon_min) / resolution_deg))


def footprint_bytes(n_points: int) -> int:
    """Peak memory of a footprint of ``n_points`` aim points, bytes (estimate)."""
    return FOOTPRINT_CHUNK_BYTES + FOOTPRINT_BYTES_PER_POINT * int(n_points)


def check_grid(region, resolution_deg, field: str = "resolution_deg") -> int:
    """The number of aim points of a footprint grid; one ``ScenarioError(field, ...)`` naming
    the points and the memory when they exceed ``MAX_AIM_POINTS`` or half this machine's memory."""
    from ..doctrine import memory_budget_bytes, memory_text

    if isinstance(resolution_deg, bool) or not isinstance(resolution_deg, (int, float)) \
            or not math.isfinite(resolution_deg) or resolution_deg <= 0:
        raise ScenarioError(field, f"must be a positive grid spacing in degrees, got {resolution_deg!r}")
    ny, nx = grid_shape(region, resolution_deg)
    n = ny * nx
    need, budget = footprint_bytes(n), memory_budget_bytes()
    if n <= MAX_AIM_POINTS and need <= budget:
        if not 0.05 < resolution_deg <= 10:  # the scenario's bounds (analysis.footprint.resolution_deg)
            raise ScenarioError(field, f"must be in (0.05, 10] degrees, got {resolution_deg:g}")
        return n
    fits = [r for r in _FINER_STEPS_DEG if math.prod(grid_shape(region, r)) <= MAX_AIM_POINTS
            and footprint_bytes(math.prod(grid_shape(region, r))) <= budget]
    lat_min, lat_max, lon_min, lon_max = region
    hint = f"; use {fits[0]:g} or coarser" if fits else ""
    raise ScenarioError(field, f"{resolution_deg:g} deg over lat {lat_min:g} to {lat_max:g}, lon {lon_min:g} to "
                               f"{lon_max:g} is {n:,} aim points, about {memory_text(need)}; the limit is "
                               f"{MAX_AIM_POINTS:,} within {memory_text(budget)}{hint}")


def footprint_region(sc) -> tuple[float, float, float, float]:
    """The scenario's footprint region (lat_min, lat_max, lon_min, lon_max), degrees."""
    fa = sc.analysis.footprint
    return fa.lat_min_deg, fa.lat_max_deg, fa.lon_min_deg, fa.lon_max_deg


def check_limits(sc, n_threats: int, trials: int | None = None, resolution_deg: float | None = None) -> None:
    """Refuse what the scenario (its ``analysis`` fields) or the caller's ``trials`` and
    ``resolution_deg`` (fields named so; the CLI names its flags) would size beyond what can run."""
    from ..doctrine import check_trials

    a = sc.analysis
    nb = max(len(sc.batteries), 1)
    check_trials(a.trials, n_threats, nb, "analysis.trials")
    check_trials(a.raid.trials, a.raid.max_size, nb, "analysis.raid.trials",
                 what=f"of a raid of {a.raid.max_size} (analysis.raid.max_size)")
    region = footprint_region(sc)
    check_grid(region, a.footprint.resolution_deg, "analysis.footprint.resolution_deg")
    check_grid(region, a.compare_resolution_deg, "analysis.compare_resolution_deg")
    if trials is not None:
        check_trials(trials, n_threats, nb, "trials")
    if resolution_deg is not None:
        check_grid(region, resolution_deg, "resolution_deg")


@dataclass(frozen=True)
class Context:
    """What every analysis of one scenario starts from: the validated scenario, its defence,
    its threats (frozen; ``commands.select_threat`` derives a context with fewer) and the seed."""

    scenario: Scenario
    defence: DefenceModel
    threat_specs: tuple[ThreatSpec, ...]
    seed: int

    @property
    def threat_rcs_m2(self) -> np.ndarray:
        """Each threat's radar cross-section (m^2), in threat order: what the sensors see."""
        return np.asarray([s.rocket.payload.rcs_m2 for s in self.threat_specs], dtype=float)

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
            try:  # the catalog entry, at the scenario's site when it gives one (sensors.<i>.site)
                sensors.append(sensor_from_catalog(s.catalog_entry(), s.variant, s.settings()))
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
                 sensor_names=None, doctrine_overrides=None, trials: int | None = None,
                 resolution_deg: float | None = None) -> Context:
    """The scenario, its defence and its threats; ``trials`` and ``resolution_deg``, when the
    caller will run those instead of the scenario's, are checked with it (``check_limits``)."""
    from ..scenario import load_scenario

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
    # Checked before the flight modules load (seconds on a busy machine): one ad-hoc threat, or the scenario's.
    check_limits(sc, 1 if any(a is not None for a in adhoc) else len(sc.threats), trials, resolution_deg)
    from .threats import adhoc_threat_specs, scenario_threat_specs

    specs = adhoc_threat_specs(missile, from_, to) if any(a is not None for a in adhoc) else scenario_threat_specs(sc)
    defence = build_defence(sc, interceptor_speed, sensor_names)
    return Context(sc, defence, tuple(specs), sc.seed)
