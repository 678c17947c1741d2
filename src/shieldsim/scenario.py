"""Scenario files: what to simulate, as a validated, frozen model.

A scenario is a YAML mapping with ``version: 1`` and one section per idea (``threats``
now; ``sensors``, ``batteries`` and ``doctrine`` join it as their own models). Every
section is a pydantic model that forbids unknown keys, so a typo is an error naming its
dotted path (``threats.0.missle``), never a silently ignored key. Names of missiles and
places are checked against the catalog while validating. ``--set PATH=VALUE`` overrides
edit the raw mapping before validation, so an override is checked exactly like the file.
Every field, its unit and its default is documented in ``docs/scenario.md``.

Every failure is one ``ScenarioError(field, reason)`` with ``field`` the dotted path.
"""

from __future__ import annotations

import copy
import difflib
import math
import re
import typing
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from . import catalog
from .catalog import Site
from .errors import ScenarioError
from .vehicles import TRAJECTORIES, Rocket

SCENARIO_VERSION = 1
DEFAULT_SEED = 2007

#: Durations (launch times, delays) are at most a day: an input bound, not physics (flights last
#: under an hour, DESIGN.md), so that no sum of them overflows or sizes a grid beyond memory.
MAX_SECONDS = 86_400.0
NonNegativeSeconds = Annotated[float, Field(strict=True, ge=0.0, le=MAX_SECONDS, allow_inf_nan=False)]
Seed = Annotated[int, Field(strict=True, ge=0)]


class _Word:
    """A text given where a field takes no text (a number, a boolean): it fails that field's
    validation as the text it is, so ``"1_000"``, ``"1e3"`` or ``"yes"`` in quotes (or a YAML 1.1
    form like ``1:30``) is refused, never parsed by pydantic's lax rules."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return repr(self.text)


def _accepts_text(annotation) -> bool:
    """Whether a field of this annotation takes a string (str, a Literal of strings, a model)."""
    if annotation is str or annotation is Any:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    if typing.get_origin(annotation) is Literal:
        return any(isinstance(a, str) for a in typing.get_args(annotation))
    return any(_accepts_text(a) for a in typing.get_args(annotation) if not isinstance(a, (int, float)))


class Section(BaseModel):
    """Base of every scenario model: frozen, unknown keys are errors, and a field that takes a
    number or a boolean refuses text (YAML 1.2 reads ``010`` as ten and ``yes`` as text)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _no_text_for_numbers(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out = None
        for key, value in data.items():
            if not isinstance(value, str):
                continue
            field = next((f for n, f in cls.model_fields.items() if key in (n, f.alias)), None)
            if field is not None and not _accepts_text(field.annotation):
                out = out if out is not None else dict(data)
                out[key] = _Word(value)
        return data if out is None else out


def _catalog_check(check, *args):
    """Run a catalog look-up inside a validator; its ScenarioError becomes a pydantic error
    so that pydantic adds the dotted path."""
    try:
        return check(*args)
    except ScenarioError as exc:
        raise ValueError(exc.reason) from None


def _missile_name(v: str) -> str:
    _catalog_check(lambda n: catalog.get(n, "missile", field="missile"), v)
    return v


#: A scenario's places stand on the ground: at most this far above the ellipsoid, km (the
#: highest land is 8.8 km; the bound of ``sensors.Radar``'s site).
MAX_PLACE_ALT_KM = 10.0


def _place(v: str) -> str:
    site = _catalog_check(catalog.parse_place, v, "place")
    if site.alt_km > MAX_PLACE_ALT_KM:
        raise ValueError(f"a place stands on the ground: at most {MAX_PLACE_ALT_KM:g} km above the ellipsoid, "
                         f"got alt_km {site.alt_km:.6g}")
    return v


_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _text(v: str, one_line: bool) -> str:
    """Text that goes into reports, KML and CZML as it is: no control characters (nor line
    breaks, for names) and no ``]]>`` (it would end an XML CDATA section)."""
    bad = _BAD_TEXT.search(v) or (one_line and re.search("[\t\n\r\u2028\u2029]", v))
    if bad:
        raise ValueError(f"contains the control character {bad.group()!r} at position {bad.start()}")
    if "]]>" in v:
        raise ValueError("contains ']]>', which ends an XML section in the KML and report outputs")
    return v


#: A name (of the scenario, a threat, a battery): one line of at most 80 characters.
Name = Annotated[str, Field(min_length=1, max_length=80), AfterValidator(lambda v: _text(v, True))]
Title = Annotated[str, Field(max_length=200), AfterValidator(lambda v: _text(v, True))]
Text = Annotated[str, Field(max_length=10_000), AfterValidator(lambda v: _text(v, False))]


def _plain_names(v: Any, key: str) -> Any:
    """In a list of catalog entries, a plain name is short for {key: NAME}."""
    if isinstance(v, (list, tuple)):
        return [{key: x} if isinstance(x, str) else x for x in v]
    return v


MissileName = Annotated[str, AfterValidator(_missile_name)]
Place = Annotated[str, AfterValidator(_place)]


class Threat(Section):
    """One attacking missile: what it is, where it flies from and to, and when."""

    name: Name = Field(description="id of the threat in outputs")
    missile: MissileName = Field(description="catalog missile name")
    from_: Place = Field(alias="from", description="launch place: catalog site name or 'LAT,LON[,ALT_KM]'")
    to: Place = Field(description="aim point: catalog site name or 'LAT,LON[,ALT_KM]'")
    trajectory: Literal["minimum-energy", "lofted", "depressed", "max-range-kick"] = Field(
        "minimum-energy", description="trajectory shape the targeting solver flies")
    launch_time_s: NonNegativeSeconds = Field(0.0, description="launch time after the scenario epoch, s")

    def launch_site(self) -> Site:
        """The launch place as a ``Site``."""
        return catalog.parse_place(self.from_, "from")

    def aim_site(self) -> Site:
        """The aim point as a ``Site``."""
        return catalog.parse_place(self.to, "to")

    def rocket(self) -> Rocket:
        """The catalog missile as a ``Rocket``."""
        return catalog.missile(self.missile)


# Parameters a scenario may set per sensor (``sensors.<i>.<parameter>``), by sensor type, with
# the bounds the sensor models accept (lower, upper, lower bound excluded). They mirror
# ``sensors._RADAR_NUMBERS`` / ``_IR_NUMBERS`` and the checks of ``Radar`` and
# ``InfraredConstellation`` (scenario.py sits above sensors.py, so it cannot import them; a test
# keeps the two lists equal).
_RADAR_SETTINGS: dict[str, tuple[float, float | None, bool]] = {
    "reference_range_km": (0.0, None, True), "reference_rcs_m2": (0.0, None, True),
    "azimuth_min_deg": (0.0, 360.0, False), "azimuth_max_deg": (0.0, 360.0, False),
    "boresight_azimuth_deg": (0.0, 360.0, False), "min_elevation_deg": (-10.0, 90.0, False),
    "max_elevation_deg": (-10.0, 90.0, False), "min_range_km": (0.0, None, False),
    "update_interval_s": (0.0, None, True), "range_noise_m": (0.0, None, False),
    "angle_noise_mrad": (0.0, None, False), "noise_floor_fraction": (0.0, 1.0, False),
}
_INFRARED_SETTINGS: dict[str, tuple[float, float | None, bool]] = {
    "cloud_top_km": (0.0, 50.0, False), "report_latency_s": (0.0, None, False), "min_dwell_s": (0.0, None, False),
    "launch_time_sigma_s": (0.0, None, False), "launch_point_sigma_km": (0.0, None, False),
    "heading_sigma_deg": (0.0, None, False),
}
#: Upper bounds where the sensor models leave none: input bounds (not physics), far beyond any
#: catalog value, so that no setting overflows the arithmetic (1e308 km) or sizes an array
#: beyond memory: ranges up to 100,000 km, RCS up to 10^6 m², times up to a day.
_SETTING_INPUT_MAX = {"reference_range_km": 1e5, "reference_rcs_m2": 1e6, "min_range_km": 1e5,
                      "update_interval_s": 3600.0, "range_noise_m": 1e6, "angle_noise_mrad": 1000.0,
                      "report_latency_s": 86400.0, "min_dwell_s": 86400.0, "launch_time_sigma_s": 86400.0,
                      "launch_point_sigma_km": 1000.0, "heading_sigma_deg": 360.0}
SENSOR_SETTINGS = {**_RADAR_SETTINGS, **_INFRARED_SETTINGS}
SETTING_WORDS = ("low", "value", "high")
SensorSetting = float | Literal["low", "value", "high"] | None


def _sensor_setting(v: Any, info) -> Any:
    """One ``sensors.<i>.<parameter>``: a number inside the model's bounds, or low/value/high
    naming a number the catalog gives for this sensor's parameter."""
    key = info.field_name
    if v is None:
        return v
    name = info.data.get("name")  # absent when the name itself failed
    entry = catalog.get(name, "sensor") if name else None
    kind = entry.get("type") if entry else None
    if kind is not None and key not in (_RADAR_SETTINGS if kind == "radar" else _INFRARED_SETTINGS):
        other = "infrared" if kind == "radar" else "radar"
        raise ValueError(f"{name} is a{'n' if kind == 'infrared' else ''} {kind} sensor; {key} applies to {other} sensors")
    if isinstance(v, str):
        if v not in SETTING_WORDS:
            raise ValueError(f"must be a number or one of low, value, high; got {_short(v)}")
        if entry is not None:
            raw = entry.get(key)
            given = raw if isinstance(raw, dict) else ({"value": raw} if raw is not None else {})
            if given.get(v) is None:
                have = ", ".join(f"{w} {given[w]:g}" for w in SETTING_WORDS if isinstance(given.get(w), (int, float)))
                raise ValueError(f"the catalog gives no {v} for {name}'s {key} (published: {have or 'nothing'}); "
                                 f"give a number")
        return v
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError(f"must be a number or one of low, value, high; got {_short(v)}")
    v = float(v)
    lo, hi, open_lo = SENSOR_SETTINGS[key]
    if v != v or v in (float("inf"), float("-inf")):
        raise ValueError(f"must be finite, got {v}")
    if v < lo or (open_lo and v == lo) or (hi is not None and v > hi):
        span = f"{'(' if open_lo else '['}{lo:g}, {hi:g}]" if hi is not None else f"{'>' if open_lo else '>='} {lo:g}"
        raise ValueError(f"must be {'in ' if hi is not None else ''}{span}, got {v:g}")
    if v > _SETTING_INPUT_MAX.get(key, math.inf):
        raise ValueError(f"must be at most {_SETTING_INPUT_MAX[key]:g} (an input bound), got {v:g}")
    return v


class SensorRef(Section):
    """A catalog sensor used by the scenario: on or off, and which of its published values to use.

    Every sensor parameter of the catalog can be set on its own (``reference_range_km: high``,
    ``min_elevation_deg: 3``): a number, or a word naming the catalog's number for it (``low``
    and ``high`` are the smaller and larger published numbers). ``variant`` sets all of them at
    once by capability (``high``: the more capable end of every span, see docs/scenario.md);
    a parameter set on its own wins over the variant.
    """

    name: str = Field(description="catalog sensor name (shieldsim catalog --kind sensor)")
    site: Place | None = Field(
        None, description="radar: where it stands, a catalog site name or 'LAT,LON[,ALT_KM]' (null: its catalog site)")
    variant: Literal["value", "low", "high"] = Field(
        "value", description="value, or the less (low) / more (high) capable end of every published span")
    enabled: bool = Field(True, description="false: the sensor is left out of the defence")
    note: Annotated[str, Field(max_length=500), AfterValidator(lambda v: _text(v, False))] = Field(
        "", description="free text: why the sensor is there, what is assumed")
    reference_range_km: SensorSetting = Field(None, description="radar: detection range at reference_rcs_m2, km")
    reference_rcs_m2: SensorSetting = Field(None, description="radar: RCS at which reference_range_km holds, m²")
    azimuth_min_deg: SensorSetting = Field(None, description="radar: field of regard from this azimuth, deg")
    azimuth_max_deg: SensorSetting = Field(None, description="radar: field of regard to this azimuth, deg")
    boresight_azimuth_deg: SensorSetting = Field(None, description="radar: boresight azimuth, deg")
    min_elevation_deg: SensorSetting = Field(None, description="radar: elevation mask, deg")
    max_elevation_deg: SensorSetting = Field(None, description="radar: highest beam elevation, deg")
    min_range_km: SensorSetting = Field(None, description="radar: blind range, km")
    update_interval_s: SensorSetting = Field(None, description="radar: time between track measurements, s")
    range_noise_m: SensorSetting = Field(None, description="radar: 1-sigma range error at threshold, m")
    angle_noise_mrad: SensorSetting = Field(None, description="radar: 1-sigma angle error at threshold, mrad")
    noise_floor_fraction: SensorSetting = Field(None, description="radar: noise floor as a fraction of the above")
    cloud_top_km: SensorSetting = Field(None, description="infrared: plume hidden below this altitude, km")
    report_latency_s: SensorSetting = Field(None, description="infrared: first sight to launch report, s")
    min_dwell_s: SensorSetting = Field(None, description="infrared: seen this long before a report, s")
    launch_time_sigma_s: SensorSetting = Field(None, description="infrared: 1-sigma launch time error, s")
    launch_point_sigma_km: SensorSetting = Field(None, description="infrared: 1-sigma launch point error, km")
    heading_sigma_deg: SensorSetting = Field(None, description="infrared: 1-sigma heading error, deg")

    @field_validator("name")
    @classmethod
    def _known_sensor(cls, v: str) -> str:
        _catalog_check(lambda n: catalog.get(n, "sensor", field="name"), v)
        return v

    @field_validator("site")
    @classmethod
    def _ground_sensor(cls, v: str | None, info) -> str | None:
        name = info.data.get("name")  # absent when the name itself failed
        entry = catalog.get(name, "sensor") if v is not None and name else None
        if entry is not None and entry.get("type") != "radar":
            raise ValueError(f"{name} is a constellation of satellites, not a ground sensor: it has no site")
        alt_km = catalog.parse_place(v, "site").alt_km if v is not None else 0.0
        if not -0.5 <= alt_km <= 10.0:  # the bounds of sensors.Radar's site
            raise ValueError(f"a radar stands between -0.5 and 10 km above the ellipsoid, got alt_km {alt_km:g}")
        return v

    @field_validator(*SENSOR_SETTINGS, mode="before")
    @classmethod
    def _setting(cls, v: Any, info) -> Any:
        return _sensor_setting(v, info)

    def settings(self) -> dict[str, float | str]:
        """The parameters set on their own: {parameter: number or low/value/high}."""
        return {k: getattr(self, k) for k in SENSOR_SETTINGS if getattr(self, k) is not None}

    def place(self) -> Site | None:
        """The scenario's place for the sensor as a ``Site`` (None: it stands at its catalog site)."""
        return None if self.site is None else catalog.parse_place(self.site, "site")

    def catalog_entry(self) -> dict:
        """The catalog entry the sensor is built from, standing at ``site`` when one is given:
        only the place changes; its field of regard (azimuths, elevations) and every other
        number stay the catalog's, so a radar moved elsewhere may need ``azimuth_min_deg``
        and ``azimuth_max_deg`` too."""
        entry = catalog.get(self.name, "sensor")
        place = self.place()
        if place is None:
            return entry
        return {**entry, "site": {"lat_deg": place.lat_deg, "lon_deg": place.lon_deg, "alt_km": place.alt_km,
                                  "source": f"scenario: site {self.site}"}}


class BatterySpec(Section):
    """An interceptor battery: where, which interceptor, how many."""

    name: Name = Field(description="id of the battery in outputs")
    site: Place = Field(description="catalog site name or 'LAT,LON[,ALT_KM]'")
    interceptor: str = Field(description="catalog interceptor name (shieldsim catalog --kind interceptor)")
    inventory: Annotated[int, Field(strict=True, ge=0, le=10000)] = Field(description="interceptors in the battery")
    burnout_speed_km_s: Annotated[float, Field(gt=0.5, le=15.0, allow_inf_nan=False)] | None = Field(
        None, description="fly the interceptor rescaled to this burnout speed, km/s (null: the catalog stages as flown)")

    @field_validator("interceptor")
    @classmethod
    def _known_interceptor(cls, v: str) -> str:
        _catalog_check(lambda n: catalog.get(n, "interceptor", field="interceptor"), v)
        return v



Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]


class DoctrineSpec(Section):
    """Shot doctrine and engagement timing."""

    kind: Literal["salvo", "shoot-look-shoot"] = Field("shoot-look-shoot", description="salvo | shoot-look-shoot")
    salvo_size: Annotated[int, Field(strict=True, ge=1, le=16)] = Field(1, description="interceptors per shot opportunity")
    sspk: Probability = Field(0.8, description="single-shot kill probability (assumed; the tests' record is mixed)")
    p_discriminate: Probability = Field(
        0.5, description="probability a look identifies the warhead among its decoys (else it picks one of the "
                         "objects left at random); disputed: 0 (UCS/MIT 2000, JASON 2010) to 1 (MDA), 0.5 the "
                         "middle of that spread (notional)")
    discrimination: Literal["per-look", "persistent"] = Field(
        "per-look", description="identification drawn at every look (per-look) or once per threat (persistent)")
    kill_assessment_s: NonNegativeSeconds = Field(60.0, description="time to assess a kill before the next look, s")
    decision_delay_s: NonNegativeSeconds = Field(60.0, description="from fire-control track to interceptor launch, s")
    track_settle_s: NonNegativeSeconds = Field(
        60.0, description="radar track time (after burnout) before it can commit an interceptor, s")
    require_track: bool = Field(True, description="intercepts only inside a radar's track (in-flight updates)")
    decoys: Annotated[int, Field(strict=True, ge=0, le=100)] = Field(0, description="decoys per warhead in engage")


class FootprintMissile(Section):
    """One missile of ``analysis.footprint.missiles``, optionally with its own launch place."""

    missile: MissileName = Field(description="catalog missile name")
    launch: Place | None = Field(None, description="its launch place (null: analysis.footprint.launch)")


class FootprintSpec(Section):
    """Defaults of the defended-area analysis.

    With ``missiles`` each aim point is attacked by the shortest-range missile of the list
    (catalog maximum range) that reaches it from its launch place; the attacker is taken to
    use the least capable adequate missile. Without it, ``missile`` flies to every point.
    """

    launch: Place = Field("semnan", description="launch place of the footprint's missiles")
    missile: MissileName = Field("iran-irbm", description="catalog missile flown to every aim point (when no missiles)")
    missiles: tuple[FootprintMissile, ...] = Field(
        (), description="missiles of the attacker; each aim point gets the shortest-range one that reaches it")
    resolution_deg: Annotated[float, Field(gt=0.05, le=10.0)] = Field(1.0, description="aim-point grid spacing, deg")
    lat_min_deg: Annotated[float, Field(ge=-90, le=90)] = Field(34.0, description="region south edge, deg")
    lat_max_deg: Annotated[float, Field(ge=-90, le=90)] = Field(72.0, description="region north edge, deg")
    lon_min_deg: Annotated[float, Field(ge=-180, le=360)] = Field(-25.0, description="region west edge, deg")
    lon_max_deg: Annotated[float, Field(ge=-180, le=360)] = Field(45.0, description="region east edge, deg")

    @field_validator("missiles", mode="before")
    @classmethod
    def _missile_names(cls, v: Any) -> Any:
        return _plain_names(v, "missile")

    def flown_missiles(self) -> list[tuple[str, str]]:
        """(missile, launch place) pairs the footprint flies: ``missiles`` if given, else ``missile``."""
        if self.missiles:
            return [(m.missile, m.launch or self.launch) for m in self.missiles]
        return [(self.missile, self.launch)]

    @model_validator(mode="after")
    def _ordered(self) -> "FootprintSpec":
        if self.lat_min_deg >= self.lat_max_deg:
            raise ValueError("lat_min_deg must be below lat_max_deg")
        if self.lon_min_deg >= self.lon_max_deg:
            raise ValueError("lon_min_deg must be west of lon_max_deg")
        seen = [m.missile for m in self.missiles]
        if len(set(seen)) != len(seen):
            raise ValueError(f"missiles lists a missile twice: {', '.join(seen)}")
        return self


class ReachSpec(Section):
    """Defaults of the Russian-ICBM reach analysis."""

    missile: MissileName = Field("ss-27", description="catalog missile flown from each base")
    launches: tuple[Place, ...] = Field((), description="launch bases (empty: every catalog Russian ICBM base)")
    targets: tuple[Place, ...] = Field((), description="targets (empty: every catalog US city)")
    speeds_km_s: Annotated[tuple[Annotated[float, Field(gt=0.5, le=15.0, allow_inf_nan=False)], ...],
                           Field(min_length=1, max_length=50)] = Field(
        (4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0), description="interceptor burnout speeds scanned for the minimum speed, km/s")


class RaidSpec(Section):
    """Defaults of the raid analysis."""

    threat: str = Field("", description="name of the scenario threat the raid repeats (empty: the first)")
    max_size: Annotated[int, Field(strict=True, ge=1, le=200)] = Field(20, description="largest raid size")
    headline_size: Annotated[int, Field(strict=True, ge=1, le=200)] = Field(
        5, description="raid size of the compare/sweep headline figures")
    decoys: Annotated[tuple[Annotated[int, Field(strict=True, ge=0, le=100)], ...], Field(min_length=1, max_length=10)] = Field(
        (0, 4), description="decoys per warhead, one curve each (1 to 10 curves)")
    trials: Annotated[int, Field(strict=True, ge=100, le=10_000_000)] = Field(20000, description="Monte Carlo trials per point")


class AnalysisSpec(Section):
    """Settings of the analyses ``run`` performs."""

    trials: Annotated[int, Field(strict=True, ge=1, le=10_000_000)] = Field(
        10000, description="Monte Carlo trials of engage")
    compare_resolution_deg: Annotated[float, Field(gt=0.05, le=10.0)] = Field(
        2.0, description="footprint resolution of the compare/sweep headline figures, deg")
    footprint: FootprintSpec = Field(default_factory=FootprintSpec, description="defended-area analysis")
    reach: ReachSpec = Field(default_factory=ReachSpec, description="Russian-ICBM reach analysis")
    raid: RaidSpec = Field(default_factory=RaidSpec, description="raid analysis")
    key_assumptions: tuple[str, ...] = Field(
        ("batteries.0.burnout_speed_km_s", "doctrine.require_track", "doctrine.decision_delay_s", "sensors.1.enabled"),
        description="parameters (--set paths) `run` moves one at a time for the report's first section, "
                    "'What you would have to believe' (empty: none; `shieldsim sensitivity` moves them all)")


class ReportWords(Section):
    """The scenario's own words in its report (the generic report builder has none of its own)."""

    context: Text = Field("", description="a paragraph shown first in the report's summary: the scenario's "
                                           "background, e.g. the dispute it revisits")
    speed_band: Title = Field("published estimates", description="what the shaded band of published interceptor "
                                                                  "burnout speeds on the reach chart is called")


class Scenario(Section):
    """A whole scenario file (version 1)."""

    version: Literal[1] = Field(description="scenario file format version")
    name: Name = Field(description="short id of the scenario")
    title: Title = Field("", description="one-line human title")
    description: Text = Field("", description="free text")
    seed: Seed = Field(DEFAULT_SEED, description="seed of every random draw in a run")
    threats: tuple[Threat, ...] = Field((), description="the attacking missiles")
    sensors: tuple[SensorRef, ...] = Field((), description="the sensors (catalog names, optionally with a variant)")
    batteries: tuple[BatterySpec, ...] = Field((), description="the interceptor batteries")
    doctrine: DoctrineSpec = Field(default_factory=DoctrineSpec, description="shot doctrine and engagement timing")
    analysis: AnalysisSpec = Field(default_factory=AnalysisSpec, description="settings of the analyses run performs")
    report: ReportWords = Field(default_factory=ReportWords, description="the scenario's own words in its report")

    @field_validator("sensors", mode="before")
    @classmethod
    def _sensor_names(cls, v: Any) -> Any:
        return _plain_names(v, "name")

    @field_validator("version", mode="before")
    @classmethod
    def _exact_version(cls, v: Any) -> Any:
        if isinstance(v, bool) or v != SCENARIO_VERSION or not isinstance(v, int):
            raise ValueError(f"unsupported version {_short(v)}; this shieldsim reads version: {SCENARIO_VERSION}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> "Scenario":
        seen: dict[str, int] = {}
        for i, t in enumerate(self.threats):
            if t.name in seen:
                raise ScenarioError(f"threats.{i}.name", f"threat name {t.name!r} is already used by threats.{seen[t.name]}")
            seen[t.name] = i
            a, b = t.launch_site(), t.aim_site()
            if abs(a.lat_deg - b.lat_deg) < 1e-3 and abs(a.lon_deg - b.lon_deg) < 1e-3:
                raise ScenarioError(f"threats.{i}.to", "the aim point is the launch point")
        sensor_names: dict[str, int] = {}
        for i, sr in enumerate(self.sensors):
            if sr.name in sensor_names:
                raise ScenarioError(f"sensors.{i}.name", f"sensor {sr.name!r} is already listed as sensors.{sensor_names[sr.name]}")
            sensor_names[sr.name] = i
        names: dict[str, int] = {}
        for i, bt in enumerate(self.batteries):
            if bt.name in names:
                raise ScenarioError(f"batteries.{i}.name", f"battery name {bt.name!r} is already used by batteries.{names[bt.name]}")
            names[bt.name] = i
        if self.analysis.raid.threat and self.threats and self.analysis.raid.threat not in seen:
            raise ScenarioError("analysis.raid.threat", f"no threat named {self.analysis.raid.threat!r}; "
                                                        f"threats: {', '.join(seen)}")
        return self

    def to_dict(self) -> dict:
        """The scenario as plain data, with the file's key names (``from``), defaults filled in."""
        return self.model_dump(mode="json", by_alias=True)

    def catalog_names(self) -> dict[str, list[str]]:
        """The catalog entries the scenario uses, by kind (sorted); places given as
        coordinates are not catalog entries and are left out."""
        used: dict[str, set[str]] = {"missile": set(), "site": set(), "sensor": set(), "interceptor": set()}
        for sr in self.sensors:
            used["sensor"].add(sr.name)
            place = sr.place()
            if place is not None and place.group != "ad-hoc":
                used["site"].add(place.name)
        for bt in self.batteries:
            used["interceptor"].add(bt.interceptor)
            place = catalog.parse_place(bt.site, "site")
            if place.group != "ad-hoc":
                used["site"].add(place.name)
        for t in self.threats:
            used["missile"].add(t.missile)
            for place in (t.launch_site(), t.aim_site()):
                if place.group != "ad-hoc":
                    used["site"].add(place.name)
        return {kind: sorted(v) for kind, v in used.items()}


# --- reading ---------------------------------------------------------------------------------
#: Bounds on what a scenario file may make the reader build: the file's size, the nesting of
#: its mappings and lists, and the nodes it expands to once every alias (``*name``) is
#: replaced by what it names. Scenario files are a few kB deep in 4-5 levels (the built-ins:
#: under 4 kB, under 200 nodes), so these leave room for any real file and refuse a "billion
#: laughs" file (a few lines whose aliases expand to 10^9 items) before anything is built.
#: They are input bounds, not physics.
MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 32
MAX_NODES = 100_000

_INT_12 = re.compile(r"[-+]?(?:[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)\Z")
_FLOAT_12 = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z"
                       r"|[-+]?\.(?:inf|Inf|INF)\Z|\.(?:nan|NaN|NAN)\Z")


class _Resolver12(yaml.resolver.BaseResolver):
    """YAML 1.2 (core schema) plain scalars: ``true``/``false`` are the only booleans, integers
    are decimal (``010`` is ten; ``0o10``, ``0x10`` as written), ``1e3`` is a number; YAML 1.1's
    ``yes``/``no``/``on``/``off``, ``1_000``, sexagesimal ``1:30`` and dates stay strings, so a
    field that wants a number or a boolean refuses them instead of reading a surprise."""


for _tag, _rx, _first in (
        ("tag:yaml.org,2002:bool", r"(?:true|True|TRUE|false|False|FALSE)\Z", "tTfF"),
        ("tag:yaml.org,2002:int", _INT_12.pattern, "-+0123456789"),
        ("tag:yaml.org,2002:float", _FLOAT_12.pattern, "-+0123456789."),
        ("tag:yaml.org,2002:null", r"(?:~|null|Null|NULL|)\Z", ["~", "n", "N", ""]),
        ("tag:yaml.org,2002:merge", r"<<\Z", "<")):
    _Resolver12.add_implicit_resolver(_tag, re.compile(_rx), list(_first))


class _ScenarioLoader(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer,
                      yaml.constructor.SafeConstructor, _Resolver12):
    """A safe loader with YAML 1.2 scalars that refuses duplicate keys, keys that are not plain
    names, nesting deeper than ``MAX_DEPTH`` and documents that expand (aliases included) to
    more than ``MAX_NODES`` nodes: the node graph is composed and counted before anything is
    constructed, so an alias bomb costs milliseconds, and no message quotes the expanded value."""

    def __init__(self, stream):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        _Resolver12.__init__(self)
        self._depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise ScenarioError("scenario", f"nested deeper than {MAX_DEPTH} levels at line {mark.line + 1}")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self):
        node = super().get_single_node()
        if node is not None:
            _count_nodes(node)
        return node


def _count_nodes(root) -> int:
    """Nodes of the document with every alias expanded (memoised: linear in the file); a
    ScenarioError past ``MAX_NODES`` or on an alias that contains itself."""
    sizes: dict[int, int] = {}
    busy: set[int] = set()

    def size(node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in busy:
            raise ScenarioError("scenario", f"an alias at line {node.start_mark.line + 1} contains itself")
        busy.add(key)
        if isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(c) for c in node.value)
        elif isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        else:
            total = 1
        if total > MAX_NODES:
            raise ScenarioError("scenario", f"expands to more than {MAX_NODES:,} values (aliases included; "
                                            f"scenario files hold a few hundred)")
        busy.discard(key)
        sizes[key] = total
        return total

    return size(root)


def _construct_int(loader, node) -> int:
    text = loader.construct_scalar(node)
    sign, body = (-1, text[1:]) if text[:1] == "-" else (1, text.lstrip("+"))
    base = 8 if body.startswith("0o") else 16 if body.startswith("0x") else 10
    return sign * int(body[2:] if base != 10 else body, base)


def _construct_mapping(loader: _ScenarioLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    out: dict = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            raise ScenarioError("scenario", f"a key at line {line} is a {'list' if isinstance(key_node, yaml.SequenceNode) else 'mapping'}; keys are field names")
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, str):
            raise ScenarioError("scenario", f"the key {_short_text(str(key))} at line {line} is not a field name "
                                            f"(a {type(key).__name__})")
        if key in out:
            raise ScenarioError(_short_text(key), f"duplicate key at line {line}")
        out[key] = loader.construct_object(value_node, deep=deep)
    return out


_ScenarioLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_ScenarioLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_UniqueKeyLoader = _ScenarioLoader  # the name older code imported


def _short_text(s: str, n: int = 60) -> str:
    """At most ``n`` characters of ``s``, control characters shown escaped."""
    s = s.encode("unicode_escape").decode("ascii") if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in s) else s
    return s if len(s) <= n else s[: n - 3] + "..."


def _short_path(s: str, n: int = 60) -> str:
    """A file path in at most ``n`` characters: its end (the file name) kept."""
    s = _short_text(s, 10**6)
    return s if len(s) <= n else "..." + s[len(s) - n + 3:]


def load_yaml(text: str, label: str = "value") -> Any:
    """``text`` read as YAML the way scenario files are (YAML 1.2 scalars, the bounds above);
    any failure is a ScenarioError on ``label``'s field ('scenario' for a file)."""
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError("scenario", f"{_short_path(label)} is {len(text):,} characters; scenario files are "
                                        f"limited to {MAX_FILE_BYTES:,}")
    try:
        return yaml.load(text, Loader=_ScenarioLoader)  # noqa: S506 - a safe constructor
    except ScenarioError as exc:
        raise ScenarioError(exc.field, f"{_short_path(label)}: {exc.reason}") from None
    except RecursionError:
        raise ScenarioError("scenario", f"{_short_path(label)} is nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError("scenario", f"{_short_path(label)} is not valid YAML{where}: {_short_text(problem)}") from None
    except ValueError as exc:  # e.g. a timestamp or number the constructor cannot build
        raise ScenarioError("scenario", f"{_short_path(label)}: {_short_text(str(exc))}") from None


def _scenario_dir():
    return resources.files("shieldsim").joinpath("scenarios")


def builtin_scenarios() -> list[str]:
    """Names of the built-in scenarios (``scenarios/<name>.yaml`` in the package)."""
    return sorted(p.name[: -len(".yaml")] for p in _scenario_dir().iterdir() if p.name.endswith(".yaml"))


def scenario_yaml(name: str) -> str:
    """The YAML text of a built-in scenario, ready to copy and edit."""
    if name not in builtin_scenarios():
        raise ScenarioError("scenario", _unknown_builtin(name))
    return _scenario_dir().joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def _unknown_builtin(name: str) -> str:
    close = difflib.get_close_matches(name, builtin_scenarios(), n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    return (f"{_short_text(name)!r} is neither a file nor a built-in scenario; {hint}"
            f"built-ins: {', '.join(builtin_scenarios())} (`shieldsim scenario list`)")


def _parse_yaml(text: str, label: str) -> dict:
    data = load_yaml(text, label)
    if not isinstance(data, dict):
        raise ScenarioError("scenario", f"{_short_path(label)} must be a YAML mapping (version: 1, name: ..., threats: ...)")
    return data


def read_raw(source: str | Path) -> dict:
    """The raw mapping of a scenario file path or built-in name (not validated).

    A bare built-in name (``third_site_2007``) is always the built-in, even when the working
    folder holds a file of that name: write ``./third_site_2007`` for the file. Anything
    else is read as a path when a file is there."""
    name = str(source)
    if not isinstance(source, Path) and name in builtin_scenarios():
        return _parse_yaml(scenario_yaml(name), name)
    path = Path(source)
    try:
        is_file = path.is_file()
    except (OSError, ValueError) as exc:  # a name too long for the file system, a NUL byte
        raise ScenarioError("scenario", f"{_short_path(name)} is not a usable file name: "
                                        f"{_short_text(getattr(exc, 'strerror', None) or str(exc))}") from None
    if is_file:
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise ScenarioError("scenario", f"{_short_path(name)} is {size:,} bytes; scenario files are limited "
                                                f"to {MAX_FILE_BYTES:,}")
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ScenarioError("scenario", f"cannot read {_short_path(name)}: {_short_text(getattr(exc, 'strerror', None) or str(exc))}") from None
        return _parse_yaml(text, str(path))
    if isinstance(source, Path) or name.endswith((".yaml", ".yml")) or "/" in name or "\\" in name:
        raise ScenarioError("scenario", f"no such file: {_short_path(name)}")
    raise ScenarioError("scenario", _unknown_builtin(name))


# --- overrides -------------------------------------------------------------------------------
def _split_override(item: str) -> tuple[str, list[str], Any]:
    if not isinstance(item, str) or "=" not in item:
        raise ScenarioError("--set", f"expected PATH=VALUE, got {_short_text(repr(item))}")
    path, text = item.split("=", 1)
    path = path.strip()
    parts = path.split(".")
    if not path or any(not p for p in parts):
        raise ScenarioError("--set", f"expected PATH=VALUE with a dotted PATH like threats.0.missile, got {_short_text(repr(item))}")
    try:
        val = load_yaml(text, "--set") if text.strip() else text
    except ScenarioError:
        val = text
    return path, parts, val


def _set_path(data: dict, path: str, parts: list[str], val: Any) -> None:
    node: Any = data
    for i, key in enumerate(parts):
        parent = ".".join(parts[:i]) or "the scenario"
        last = i == len(parts) - 1
        if isinstance(node, list):
            if not key.isdigit():
                raise ScenarioError(path, f"bad --set path: {parent} is a list, so {key!r} must be an index "
                                          f"0..{len(node) - 1}")
            idx = int(key)
            if idx >= len(node):
                raise ScenarioError(path, f"bad --set path: index {idx} is out of range, {parent} has {len(node)} item(s)")
            if last:
                node[idx] = val
            else:
                if i == 1 and parts[0] == "sensors" and isinstance(node[idx], str):
                    node[idx] = {"name": node[idx]}  # a plain sensor name is short for {name: NAME}
                node = node[idx]
        elif isinstance(node, dict):
            if last:
                node[key] = val
            else:
                if node.get(key) is None:
                    if parts[i + 1].isdigit():
                        raise ScenarioError(path, f"bad --set path: {'.'.join(parts[:i + 1])} has no items to index")
                    node[key] = {}
                node = node[key]
        else:
            raise ScenarioError(path, f"bad --set path: {parent} is a single value ({node!r}), it has no fields")


def apply_overrides(raw: dict, overrides: Iterable[str]) -> dict:
    """A copy of ``raw`` with each ``PATH=VALUE`` applied in order (VALUE read as YAML;
    list items by integer index; missing mappings on the way are created, so that the
    validation names any unknown field)."""
    data = copy.deepcopy(raw)
    for item in overrides:
        path, parts, val = _split_override(item)
        _set_path(data, path, parts, val)
    return data


# --- validation --------------------------------------------------------------------------------
def _element_model(annotation: Any) -> type[BaseModel] | None:
    """The model class inside an annotation (Model, tuple[Model, ...], Model | None...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _element_model(arg)
        if found is not None:
            return found
    return None


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model that validated the mapping at ``loc`` (ints are list indices)."""
    model: type[BaseModel] | None = Scenario
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        if field is None:
            return None
        model = _element_model(field.annotation)
    return model


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


def _short(x: Any) -> str:
    s = repr(x)
    return s if len(s) <= 60 else s[:57] + "..."


def _scenario_error(exc: ValidationError) -> ScenarioError:
    errors = exc.errors(include_url=False)
    # A misspelt key shows up twice: the key it should be is "missing" and the typo is an
    # "unknown field"; name the typo, with its did-you-mean, rather than the missing key.
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = tuple(err["loc"])
    field = ".".join(str(p) for p in loc) or "scenario"
    kind, msg = err["type"], err["msg"]
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        allowed = f"; allowed here: {', '.join(_field_names(model))}" if model else ""
        close = difflib.get_close_matches(str(loc[-1]), _field_names(model), n=1) if model else []
        hint = f" (did you mean {close[0]}?)" if close else ""
        reason = f"unknown field{hint}{allowed}"
    elif kind == "missing":
        reason = "required field is missing"
        if loc == ("version",):
            reason += f" (this shieldsim reads version: {SCENARIO_VERSION})"
    elif kind == "value_error":
        reason = msg.removeprefix("Value error, ")
    elif kind == "model_type":
        reason = f"expected a mapping of fields, got {_short(err.get('input'))}"
    elif kind in ("tuple_type", "list_type"):
        reason = f"expected a list, got {_short(err.get('input'))}"
    else:
        reason = f"{msg[0].lower()}{msg[1:]}, got {_short(err.get('input'))}"
    return ScenarioError(field, reason)


def validate_scenario(raw: dict) -> Scenario:
    """Validate a raw scenario mapping into a ``Scenario`` (one ScenarioError on failure)."""
    if not isinstance(raw, dict):
        raise ScenarioError("scenario", "a scenario must be a mapping (version: 1, name: ..., threats: ...)")
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        raise _scenario_error(exc) from None


def load_scenario(source: str | Path, overrides: Iterable[str] = (), seed: int | None = None) -> Scenario:
    """Read, override and validate a scenario.

    ``source`` is a file path or a built-in name (``third_site_2007``); ``overrides`` are
    ``PATH=VALUE`` strings applied in order to the raw mapping before validation (what
    ``--set`` passes); ``seed``, if given, replaces the file's seed (``--seed``).
    """
    overrides = list(overrides)
    raw = apply_overrides(read_raw(source), overrides)
    if seed is not None:
        raw["seed"] = seed
    try:
        return validate_scenario(raw)
    except ScenarioError as exc:
        for item in reversed(overrides):
            path = item.split("=", 1)[0].strip()
            if exc.field == path or exc.field.startswith(path + ".") or path.startswith(exc.field + "."):
                raise ScenarioError(exc.field, f"{exc.reason} (from --set {_short_text(item)})") from None
        raise


__all__ = ["SCENARIO_VERSION", "TRAJECTORIES", "DEFAULT_SEED", "Section", "Threat", "SensorRef", "BatterySpec",
           "DoctrineSpec", "AnalysisSpec", "Scenario", "load_scenario",
           "validate_scenario", "apply_overrides", "read_raw", "builtin_scenarios", "scenario_yaml"]
