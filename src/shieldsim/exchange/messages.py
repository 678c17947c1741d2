"""Launch notifications and their updates: the exchange's versioned message schema.

The fields follow what the two public US-Russian texts of 2000 say such an exchange carries
(docs/exchange.md cites them field by field): the Joint Data Exchange Center memorandum
(4 June 2000) has each side pass on launches of ballistic missiles and space launch vehicles
with the *time of launch*, the *generic missile class*, the *geographic area of the launch* and
the *estimated geographic area of impact*, and the pre- and post-launch notification
memorandum (16 December 2000) the same for post-launch notifications. Two things here are
shieldsim's additions, each labelled: the impact area's confidence and its updates as the
tracks improve (the memoranda give one area), and the source class (infrared or radar).

Times: ``launch_time_s`` and ``released_at_s`` are seconds after the replay's launch epoch
(the scenario's time zero), their ``_utc`` twins the same instants in UTC. Areas are ellipses
(centre, semi-axes in km, orientation, the probability that the point lies inside), or a
named region when a policy coarsens them to one.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1
#: Generic missile classes by range (US DoD convention): SRBM < 1,000 km, MRBM 1,000-3,000 km,
#: IRBM 3,000-5,500 km, ICBM > 5,500 km; SLV a space launch vehicle.
MISSILE_CLASSES = ("SRBM", "MRBM", "IRBM", "ICBM", "SLV")
KINDS = ("launch", "track", "outcome")
#: The launch epoch of a replay when the scenario gives none: the day of the Gates offer in Moscow
#: (the seed news of this project), 23 April 2007, 00:00 UTC. A convention, not a fact.
DEFAULT_EPOCH = datetime(2007, 4, 23, tzinfo=timezone.utc)


class Area(BaseModel):
    """A geographic area: an ellipse (centre, semi-axes, orientation, confidence) or a named region."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lat_deg: Optional[float] = Field(None, ge=-90, le=90)
    lon_deg: Optional[float] = Field(None, ge=-180, le=180)
    semi_major_km: Optional[float] = Field(None, ge=0, le=20_000)
    semi_minor_km: Optional[float] = Field(None, ge=0, le=20_000)
    orientation_deg: Optional[float] = Field(None, ge=0, lt=180, description="major axis, clockwise from north")
    confidence: Optional[float] = Field(None, gt=0, lt=1, description="probability the point lies inside")
    region: Optional[str] = Field(None, max_length=80)

    def area_km2(self) -> float | None:
        import math

        if self.semi_major_km is None or self.semi_minor_km is None:
            return None
        return math.pi * self.semi_major_km * self.semi_minor_km


class Event(BaseModel):
    """One notification (a launch report, a track update or the outcome) as published, or as
    released to one partner (withheld fields absent)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = SCHEMA_VERSION
    event_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$")
    threat_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$")
    kind: Literal["launch", "track", "outcome"]
    sequence: int = Field(ge=0, le=100_000, description="update number within the threat")
    missile_class: Optional[Literal["SRBM", "MRBM", "IRBM", "ICBM", "SLV"]] = None
    launch_time_s: Optional[float] = None
    launch_time_utc: Optional[datetime] = None
    launch_area: Optional[Area] = None
    impact_area: Optional[Area] = None
    outcome: Optional[Literal["impact", "intercept"]] = None
    source_class: Optional[Literal["infrared", "radar"]] = None
    sensor: Optional[str] = Field(None, max_length=80, description="the sensor's name (source detail)")
    sensor_sigma_km: Optional[float] = Field(None, ge=0, description="its 1-sigma position error (source detail)")
    released_at_s: float
    released_at_utc: Optional[datetime] = None

    def to_json(self) -> dict:
        """The wire form: JSON types, fields that are absent (None) left out."""
        return self.model_dump(mode="json", exclude_none=True)


#: Fields every released view keeps: without them a notification cannot be ordered or deduplicated.
ALWAYS = ("schema_version", "event_id", "threat_id", "kind", "sequence", "released_at_s")
#: Fields a policy may grant or withhold.
OPTIONAL_FIELDS = tuple(f for f in Event.model_fields if f not in ALWAYS)


def utc(epoch: datetime, t_s: float) -> datetime:
    return epoch + timedelta(seconds=float(t_s))


def missile_class(ground_range_km: float) -> str:
    """The generic class of a ballistic missile flown over this ground range."""
    if ground_range_km < 1000:
        return "SRBM"
    if ground_range_km < 3000:
        return "MRBM"
    if ground_range_km < 5500:
        return "IRBM"
    return "ICBM"


def parse_event(data) -> Event:
    """A published event from JSON data; bad input is one ``ScenarioError`` naming the field."""
    from pydantic import ValidationError

    from ..errors import ScenarioError

    if not isinstance(data, dict):
        raise ScenarioError("event", f"expected a JSON object, got {type(data).__name__}")
    try:
        return Event.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "event"
        msg = err["msg"] if err["type"] != "extra_forbidden" else "unknown field"
        raise ScenarioError(where, msg) from None
