"""Releasability: what one partner may see of a notification. ``release`` is the one place that decides.

A policy (``policies/<partner>.yaml``, or a file given to ``exchange serve --policy``) says:

* ``kinds``: which notifications the partner gets at all (launch reports, track updates, outcomes);
* ``fields``: which of the optional fields (``messages.OPTIONAL_FIELDS``) it sees; every other
  one is withheld (absent from its view). ``sensor`` and ``sensor_sigma_km`` are the source
  detail: never released unless listed;
* ``area``: ``precision_km`` coarsens every area: the centre snapped to a grid of
  ``precision_km / 111.195`` degrees of latitude and longitude, the semi-axes rounded *up* to a
  whole number of ``precision_km`` (at least one), the orientation to 15 degrees, the
  confidence kept; ``regions: true`` replaces the ellipse by the name of the region holding its
  centre (``REGIONS``), nothing finer;
* ``time_precision_s``: launch times rounded to this step and release times rounded up to it;
  ``sensor_sigma_km`` rounded up to ``area.precision_km``;
* ``delay_s``: added to the release time (simulated time: the partner learns it that much later).

``release(event, policy)`` is pure: the same event and policy give the same view, and the view
never holds a withheld field nor a finer precision than allowed
(``tests/test_exchange_policy.py``, a hypothesis property test). Unknown keys in a policy file
are errors naming the key.
"""

from __future__ import annotations

import math
from datetime import timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import ScenarioError
from .messages import DEFAULT_EPOCH, KINDS, OPTIONAL_FIELDS, Area, Event

KM_PER_DEG = 111.195  #: one degree of a great circle on a sphere of radius 6,371 km
ORIENTATION_STEP_DEG = 15.0

#: Named regions for ``area.regions: true``: (name, lat_min, lat_max, lon_min, lon_max), first
#: match wins. Coarse boxes drawn for this project (notional), not borders.
REGIONS = (
    ("Iran", 25.0, 40.0, 44.0, 63.0),
    ("Caucasus", 40.0, 44.0, 38.0, 50.0),
    ("Turkey", 36.0, 42.0, 26.0, 45.0),
    ("Middle East", 12.0, 36.0, 32.0, 60.0),
    ("Balkans", 39.0, 47.0, 13.0, 30.0),
    ("Central Europe", 45.0, 55.0, 5.0, 24.0),
    ("Eastern Europe", 44.0, 60.0, 24.0, 40.0),
    ("Western Europe", 36.0, 60.0, -11.0, 5.0),
    ("Scandinavia", 55.0, 72.0, 4.0, 32.0),
    ("European Russia", 40.0, 72.0, 40.0, 60.0),
    ("North Atlantic", 40.0, 70.0, -60.0, -11.0),
    ("North America", 15.0, 72.0, -170.0, -52.0),
    ("Asia", -10.0, 80.0, 60.0, 180.0),
)


def region_of(lat_deg: float, lon_deg: float) -> str:
    for name, la0, la1, lo0, lo1 in REGIONS:
        if la0 <= lat_deg < la1 and lo0 <= lon_deg < lo1:
            return name
    return "elsewhere"


class AreaRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    precision_km: float = Field(0.0, ge=0, le=5000, description="grid of centres and step of semi-axes; 0 = as measured")
    regions: bool = Field(False, description="release only the named region holding the centre")


class Policy(BaseModel):
    """One partner's releasability policy (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partner: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    version: int = Field(ge=1)
    title: str = ""
    publisher: bool = Field(False, description="its tokens may publish (the sensors' owner)")
    kinds: tuple[Literal["launch", "track", "outcome"], ...] = KINDS
    fields: tuple[str, ...] = ()
    area: AreaRule = AreaRule()
    time_precision_s: float = Field(0.0, ge=0, le=3600)
    delay_s: float = Field(0.0, ge=0, le=86_400)

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, v):
        for f in v:
            if f not in OPTIONAL_FIELDS:
                raise ValueError(f"unknown field {f[:80]!r}; optional fields: {', '.join(OPTIONAL_FIELDS)}")
        return tuple(v)

    @property
    def tag(self) -> str:
        return f"{self.partner}@{self.version}"


def _round_up(x: float, step: float) -> float:
    if step <= 0:
        return x
    return max(1, math.ceil(x / step - 1e-9)) * step


def _snap(x: float, step: float) -> float:
    return round(x / step) * step if step > 0 else x


def _snap_within(x: float, step: float, limit: float) -> float:
    """x snapped to the grid of ``step``, stepping back inside [-limit, limit] on the grid."""
    v = _snap(x, step)
    if v > limit:
        v -= step
    elif v < -limit:
        v += step
    return v


def coarsen_area(area: Area, rule: AreaRule) -> Area:
    """The area as the rule allows it (see the module docstring)."""
    centre = area.lat_deg is not None and area.lon_deg is not None
    if rule.regions:
        return Area(region=region_of(area.lat_deg, area.lon_deg) if centre else area.region)
    p = rule.precision_km
    if p <= 0:
        return area
    q = p / KM_PER_DEG
    lat = lon = None
    if centre:
        lat, lon = _snap_within(area.lat_deg, q, 90.0), _snap_within(area.lon_deg, q, 180.0)
    a = None if area.semi_major_km is None else _round_up(area.semi_major_km, p)
    b = None if area.semi_minor_km is None else _round_up(area.semi_minor_km, p)
    o = None if area.orientation_deg is None else _snap(area.orientation_deg, ORIENTATION_STEP_DEG) % 180.0
    return Area(lat_deg=lat, lon_deg=lon, semi_major_km=a, semi_minor_km=b, orientation_deg=o,
                confidence=area.confidence, region=area.region)


def release(event: Event, policy: Policy) -> Event | None:
    """The partner's view of ``event`` under ``policy``, or None when the policy withholds the kind.

    Pure: no clock, no storage. Withheld fields are absent (None); areas, times and sensor
    accuracy at the policy's precision; the release time shifted by the policy's delay.
    """
    if event.kind not in policy.kinds:
        return None
    allowed = set(policy.fields)
    step = policy.time_precision_s
    data = {k: getattr(event, k) for k in ("schema_version", "event_id", "threat_id", "kind", "sequence")}
    t_rel = event.released_at_s + policy.delay_s
    if step > 0:
        t_rel = math.ceil(t_rel / step - 1e-9) * step
    data["released_at_s"] = t_rel
    shift = t_rel - event.released_at_s
    for f in allowed:
        v = getattr(event, f)
        if v is None:
            continue
        if f in ("launch_area", "impact_area"):
            v = coarsen_area(v, policy.area)
        elif f == "launch_time_s" and step > 0:
            v = _snap(v, step)
        elif f == "launch_time_utc" and step > 0:
            epoch_s = (v - DEFAULT_EPOCH).total_seconds()
            v = DEFAULT_EPOCH + timedelta(seconds=_snap(epoch_s, step))
        elif f == "released_at_utc":
            v = v + timedelta(seconds=shift)
        elif f == "sensor_sigma_km":
            v = _round_up(v, policy.area.precision_km) if policy.area.precision_km > 0 else v
        data[f] = v
    return Event(**data)


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------
BUILTIN = ("us", "nato", "russia", "public")


def policy_from_dict(data, source: str) -> Policy:
    if not isinstance(data, dict):
        raise ScenarioError(source, "a policy file is a mapping of keys (partner, version, fields, ...)")
    try:
        return Policy.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            raise ScenarioError(f"{source}: {where}", "unknown key") from None
        reason = err["msg"].removeprefix("Value error, ")
        raise ScenarioError(f"{source}: {where}", reason) from None


def load_policy_file(path: str | Path) -> Policy:
    import yaml

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ScenarioError("--policy", f"cannot read {str(path)[:80]!r}: {e.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ScenarioError(p.name, f"not YAML: {' '.join(str(e).split())[:120]}") from None
    return policy_from_dict(data, p.name)


@lru_cache(maxsize=None)
def builtin_policy(partner: str) -> Policy:
    import yaml

    if partner not in BUILTIN:
        raise ScenarioError("PARTNER", f"unknown partner {partner[:80]!r}; use one of {', '.join(BUILTIN)}")
    text = resources.files("shieldsim.exchange").joinpath("policies", f"{partner}.yaml").read_text(encoding="utf-8")
    return policy_from_dict(yaml.safe_load(text), f"{partner}.yaml")


def policies(extra_files=()) -> dict[str, Policy]:
    """The built-in policies, replaced or extended by the files given (``serve --policy``)."""
    out = {p: builtin_policy(p) for p in BUILTIN}
    for f in extra_files:
        pol = load_policy_file(f)
        out[pol.partner] = pol
    return out


def partner_policy(partner: str, table: dict[str, Policy] | None = None) -> Policy:
    table = table if table is not None else policies()
    if partner not in table:
        raise ScenarioError("PARTNER", f"unknown partner {partner[:80]!r}; use one of {', '.join(table)}")
    return table[partner]
