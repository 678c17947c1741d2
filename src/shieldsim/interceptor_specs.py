"""Interceptors as frozen specs: a staged booster carrying a kill vehicle.

An ``Interceptor`` is a ``Rocket`` (``vehicles.py``) whose payload is the kill vehicle's
mass flown without drag (``ReentryVehicle`` with ``beta = inf``: it leaves the atmosphere
under a shroud), plus a ``KillVehicle`` that says where and how it can hit: divert
delta-v, the altitude window of its seeker and structure, seeker acquisition range and
the smallest and largest closing speeds it is credited with.

The catalog (``catalog/interceptors.yaml``) holds every number as
``{value, low, high, source, tag}`` (tags as in ``shieldsim.catalog``, sources in ``docs/sources.md``:
V read, R recalled, C computed, D disputed, N notional with the reason in ``source``).
The GBI stages are the Orion 50S XL(G) / 50 XL(G) / 38 motors of the ATK catalog [@atk-orion-catalog] with
notional extra inert mass (their flown burnout speed is an output, not tuned to MDA's
figure); the SM-3 and THAAD stacks are notional, calibrated so that their flown burnout
speed lies in the published range (ideal delta-v less 0.6-1 km/s of losses). "Flown
burnout speed" is ``interceptors.flown_burnout_speed``: the fastest fly-out of the
interceptor's fan on a non-rotating Earth (its docstring says why that definition).

The burnout speed of the European two-stage GBI is the crux of the 2007 dispute (MDA 6.3
km/s, Postol "closer to 9"). ``Interceptor.with_burnout_speed`` rescales the booster to a
chosen speed: every stage's exhaust velocity (vacuum and sea-level Isp) is multiplied by
one factor, masses and burn times unchanged. Ideal delta-v is linear in Isp at fixed mass
ratios (Tsiolkovsky), so the factor sets it exactly; mass flow and burn time stay, so
thrust scales with Isp and the trajectory's gravity loss (set by burn time) stays close
to the one flown. The factor is (v_target + losses) / (v_current + losses) with
losses = ideal delta-v - v_current, i.e. the loss budget of the flown trajectory is kept;
``interceptors.at_burnout_speed`` iterates on the factor (``with_isp_scale``) until the
flown speed matches.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import catalog
from .errors import ScenarioError
from .validate import TAGS, sourced_number
from .validate import positive as _finite_positive
from .vehicles import Rocket, ReentryVehicle, Stage

STAGE_KEYS = ("gross_mass_kg", "propellant_mass_kg", "isp_vac_s", "isp_sl_s", "burn_time_s", "diameter_m",
              "extra_inert_kg")
KILL_VEHICLE_KEYS = ("mass_kg", "divert_delta_v_m_s", "min_intercept_alt_km", "max_intercept_alt_km",
                     "seeker_acquisition_km", "max_closing_speed_km_s", "min_closing_speed_km_s")
ENTRY_KEYS = frozenset({"name", "kind", "title", "stages", "kill_vehicle", "published_burnout_speed_km_s",
                        "published_burnout_time_s", "vertical_rise_s", "pitch_over_s", "notes"})


@dataclass(frozen=True)
class KillVehicle:
    """The hit-to-kill vehicle the booster delivers.

    Attributes
    ----------
    mass_kg : mass carried by the last stage, kg.
    divert_delta_v_m_s : total lateral delta-v of its divert thrusters, m/s.
    min_intercept_alt_km, max_intercept_alt_km : altitude window in which it may hit, km
        (exo-atmospheric kill vehicles need the seeker window cold and the air thin).
    seeker_acquisition_km : range at which its seeker acquires a warhead-sized target, km.
    max_closing_speed_km_s : largest closing speed credited with a hit, km/s.
    min_closing_speed_km_s : smallest closing speed credited with a hit, km/s: below it a
        hit-to-kill collision is not counted on to destroy the warhead, and the slow
        overtaking "tail chase" (the MDA argument that the European GBI could not catch a
        Russian ICBM) is no engagement. Must be below ``max_closing_speed_km_s``. Not
        published for any kill vehicle: notional in the catalog (the reason is there).
    """

    mass_kg: float
    divert_delta_v_m_s: float
    min_intercept_alt_km: float
    max_intercept_alt_km: float
    seeker_acquisition_km: float
    max_closing_speed_km_s: float
    min_closing_speed_km_s: float

    def __post_init__(self):
        _finite_positive("kill_vehicle.mass_kg", self.mass_kg)
        _finite_positive("kill_vehicle.divert_delta_v_m_s", self.divert_delta_v_m_s, allow_zero=True)
        _finite_positive("kill_vehicle.min_intercept_alt_km", self.min_intercept_alt_km, allow_zero=True)
        _finite_positive("kill_vehicle.max_intercept_alt_km", self.max_intercept_alt_km)
        _finite_positive("kill_vehicle.seeker_acquisition_km", self.seeker_acquisition_km)
        _finite_positive("kill_vehicle.max_closing_speed_km_s", self.max_closing_speed_km_s)
        _finite_positive("kill_vehicle.min_closing_speed_km_s", self.min_closing_speed_km_s, allow_zero=True)
        if self.min_closing_speed_km_s >= self.max_closing_speed_km_s:
            raise ScenarioError("kill_vehicle.min_closing_speed_km_s",
                                f"must be below max_closing_speed_km_s ({self.max_closing_speed_km_s} km/s), "
                                f"got {self.min_closing_speed_km_s}")
        if self.max_intercept_alt_km <= self.min_intercept_alt_km:
            raise ScenarioError("kill_vehicle.max_intercept_alt_km",
                                f"must exceed min_intercept_alt_km ({self.min_intercept_alt_km} km)")

    @property
    def min_intercept_alt_m(self) -> float:
        return self.min_intercept_alt_km * 1e3

    @property
    def max_intercept_alt_m(self) -> float:
        return self.max_intercept_alt_km * 1e3


def _check_published(field: str, published: Mapping[str, Any] | None, required: bool) -> None:
    if published is None:
        if required:
            raise ScenarioError(field, "is required")
        return
    if not isinstance(published, Mapping) or "value" not in published or "source" not in published:
        raise ScenarioError(field, "must be a mapping with at least value and source")
    value = _finite_positive(f"{field}.value", published["value"])
    low = value if published.get("low") is None else _finite_positive(f"{field}.low", published["low"])
    high = value if published.get("high") is None else _finite_positive(f"{field}.high", published["high"])
    if not low <= value <= high:
        raise ScenarioError(field, f"needs low <= value <= high, got {low}, {value}, {high}")


@dataclass(frozen=True)
class Interceptor:
    """An interceptor type: its booster, its kill vehicle and the published figures.

    Attributes
    ----------
    name : catalog name (what the commands accept), e.g. ``gbi-2stage``.
    title : one-line human description.
    booster : the staged rocket; its payload is the kill vehicle's mass, drag-free.
    kill_vehicle : the kill vehicle's capabilities.
    published_burnout_speed_km_s : ``{value, low, high, source[, tag]}`` as published,
        never overwritten (the flown speed comes from ``flight.py``).
    published_burnout_time_s : the same for the burnout time, or None.
    isp_scale : product of the factors applied by ``with_burnout_speed`` (1 = catalog).
    """

    name: str
    title: str
    booster: Rocket
    kill_vehicle: KillVehicle
    published_burnout_speed_km_s: Mapping[str, Any]
    published_burnout_time_s: Mapping[str, Any] | None = None
    isp_scale: float = 1.0

    def __post_init__(self):
        if not self.name:
            raise ScenarioError("name", "an interceptor needs a name")
        if not math.isclose(self.booster.payload.mass_kg, self.kill_vehicle.mass_kg, rel_tol=1e-12):
            raise ScenarioError("kill_vehicle.mass_kg",
                                f"booster payload ({self.booster.payload.mass_kg} kg) must be the kill vehicle "
                                f"({self.kill_vehicle.mass_kg} kg)")
        _check_published("published_burnout_speed_km_s", self.published_burnout_speed_km_s, required=True)
        _check_published("published_burnout_time_s", self.published_burnout_time_s, required=False)
        _finite_positive("isp_scale", self.isp_scale)

    @property
    def ideal_delta_v_m_s(self) -> float:
        """Tsiolkovsky ideal delta-v of the booster with the kill vehicle, vacuum Isp, m/s."""
        return self.booster.ideal_delta_v_m_s()

    @property
    def liftoff_mass_kg(self) -> float:
        return self.booster.liftoff_mass_kg

    @property
    def burn_time_s(self) -> float:
        return self.booster.burn_time_s

    def with_burnout_speed(self, v_km_s: float, current_v_km_s: float) -> "Interceptor":
        """The same interceptor with its booster rescaled to burn out at ``v_km_s``.

        Every stage's vacuum and sea-level Isp is multiplied by
        k = (v_target + L) / (v_current + L), L = ideal_dv - v_current (the loss budget of
        the flown trajectory, kept), so the new ideal delta-v is exactly k times the old
        one. Masses and burn times are unchanged (thrust scales with k).

        Parameters
        ----------
        v_km_s : requested burnout speed, km/s.
        current_v_km_s : burnout speed this interceptor currently flies (from ``flight.py``), km/s.
        """
        v = _finite_positive("burnout_speed_km_s", v_km_s) * 1e3
        v_now = _finite_positive("current_burnout_speed_km_s", current_v_km_s) * 1e3
        ideal = self.ideal_delta_v_m_s
        losses = ideal - v_now
        if v + losses <= 0:
            raise ScenarioError("burnout_speed_km_s",
                                f"{v_km_s} km/s is below the loss budget ({-losses / 1e3:.2f} km/s) of {self.name}")
        return self.with_isp_scale((v + losses) / ideal)

    def with_isp_scale(self, k: float) -> "Interceptor":
        """The same interceptor with every stage's vacuum and sea-level Isp multiplied by
        ``k`` (masses and burn times unchanged, so thrust scales with ``k``); ideal delta-v
        scales exactly by ``k`` and ``isp_scale`` records the product of the factors."""
        k = _finite_positive("isp_scale", k)
        stages = tuple(
            replace(s, isp_vac_s=s.isp_vac_s * k, isp_sl_s=None if s.isp_sl_s is None else s.isp_sl_s * k)
            for s in self.booster.stages
        )
        return replace(self, booster=replace(self.booster, stages=stages), isp_scale=self.isp_scale * k)


def _number(field: str, raw: Any) -> float:
    """The value of a catalog number: a plain number or ``{value, low, high, source, tag}``."""
    return sourced_number(field, raw, require_source=False)


def _stage(field: str, raw: Any) -> Stage:
    if not isinstance(raw, Mapping):
        raise ScenarioError(field, "a stage is a mapping of its parameters")
    unknown = set(raw) - set(STAGE_KEYS)
    if unknown:
        raise ScenarioError(field, f"unknown keys {sorted(unknown)}; expected {list(STAGE_KEYS)}")
    for key in ("gross_mass_kg", "propellant_mass_kg", "isp_vac_s", "burn_time_s", "diameter_m"):
        if key not in raw:
            raise ScenarioError(f"{field}.{key}", "is required")
    extra = _number(f"{field}.extra_inert_kg", raw.get("extra_inert_kg", 0.0))
    _finite_positive(f"{field}.extra_inert_kg", extra, allow_zero=True)
    isp_sl = raw.get("isp_sl_s")
    try:
        return Stage(
            gross_mass_kg=_number(f"{field}.gross_mass_kg", raw["gross_mass_kg"]) + extra,
            propellant_mass_kg=_number(f"{field}.propellant_mass_kg", raw["propellant_mass_kg"]),
            isp_vac_s=_number(f"{field}.isp_vac_s", raw["isp_vac_s"]),
            burn_time_s=_number(f"{field}.burn_time_s", raw["burn_time_s"]),
            diameter_m=_number(f"{field}.diameter_m", raw["diameter_m"]),
            isp_sl_s=None if isp_sl is None else _number(f"{field}.isp_sl_s", isp_sl),
        )
    except ScenarioError as err:
        if err.field.startswith(field):
            raise
        raise ScenarioError(f"{field}.{err.field}", err.reason) from None


def _published(field: str, raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        return {"value": _number(field, raw), "low": None, "high": None, "source": None}
    _number(field, raw)
    return {k: raw.get(k) for k in ("value", "low", "high", "source", "tag") if k in raw}


def interceptor_from_catalog(entry: Mapping[str, Any]) -> Interceptor:
    """Build an ``Interceptor`` from one catalog entry (a parsed YAML mapping).

    Stage masses are the motor's own plus ``extra_inert_kg`` (interstage, avionics,
    shroud). Errors name the field as ``NAME.stages.i.key``.
    """
    if not isinstance(entry, Mapping):
        raise ScenarioError("interceptor", "a catalog entry is a mapping")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ScenarioError("name", "a catalog entry needs a name")
    unknown = set(entry) - ENTRY_KEYS
    if unknown:
        raise ScenarioError(f"{name}", f"unknown keys {sorted(unknown)}")
    if entry.get("kind") != "interceptor":
        raise ScenarioError(f"{name}.kind", f"must be 'interceptor', got {entry.get('kind')!r}")
    for key in ("stages", "kill_vehicle", "published_burnout_speed_km_s"):
        if key not in entry:
            raise ScenarioError(f"{name}.{key}", "is required")
    raw_stages = entry["stages"]
    if not isinstance(raw_stages, (list, tuple)) or not raw_stages:
        raise ScenarioError(f"{name}.stages", "must be a non-empty list")
    stages = tuple(_stage(f"{name}.stages.{i}", s) for i, s in enumerate(raw_stages))

    raw_kv = entry["kill_vehicle"]
    if not isinstance(raw_kv, Mapping):
        raise ScenarioError(f"{name}.kill_vehicle", "must be a mapping")
    unknown = set(raw_kv) - set(KILL_VEHICLE_KEYS)
    if unknown:
        raise ScenarioError(f"{name}.kill_vehicle", f"unknown keys {sorted(unknown)}")
    missing = [k for k in KILL_VEHICLE_KEYS if k not in raw_kv]
    if missing:
        raise ScenarioError(f"{name}.kill_vehicle.{missing[0]}", "is required")
    try:
        kill_vehicle = KillVehicle(**{k: _number(f"{name}.kill_vehicle.{k}", raw_kv[k]) for k in KILL_VEHICLE_KEYS})
        guidance = {k: _number(f"{name}.{k}", entry[k]) for k in ("vertical_rise_s", "pitch_over_s") if k in entry}
        booster = Rocket(name=name, stages=stages, payload=ReentryVehicle(mass_kg=kill_vehicle.mass_kg), **guidance)
        return Interceptor(
            name=name,
            title=str(entry.get("title", name)),
            booster=booster,
            kill_vehicle=kill_vehicle,
            published_burnout_speed_km_s=_published(f"{name}.published_burnout_speed_km_s",
                                                     entry["published_burnout_speed_km_s"]),
            published_burnout_time_s=_published(f"{name}.published_burnout_time_s",
                                                entry.get("published_burnout_time_s")),
        )
    except ScenarioError as err:
        if err.field.startswith(name):
            raise
        raise ScenarioError(f"{name}.{err.field}", err.reason) from None


def load_interceptor_entries(path: str | Path | None = None) -> list[dict[str, Any]]:
    """The raw entries of an interceptor catalog: the packaged catalog's interceptors by
    default, or those of the catalog directory holding the file ``path`` (read and validated
    by ``shieldsim.catalog``, the one catalog reader)."""
    if path is None:
        return catalog.entries("interceptor")
    return [e for e in catalog.load_directory(Path(path).parent) if e["kind"] == "interceptor"]


def catalog_interceptor(name: str, path: str | Path | None = None) -> Interceptor:
    """The catalog interceptor called ``name``."""
    entries = load_interceptor_entries(path)
    for entry in entries:
        if isinstance(entry, Mapping) and entry.get("name") == name:
            return interceptor_from_catalog(entry)
    known = ", ".join(str(e.get("name")) for e in entries if isinstance(e, Mapping))
    raise ScenarioError("interceptor", f"unknown interceptor {name!r}; the catalog has {known}")
