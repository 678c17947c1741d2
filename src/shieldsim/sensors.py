"""Sensors: ground radars and infrared early-warning satellites, and what they see.

A ``Radar`` sees a target when the line of sight clears the WGS84 ellipsoid, the target is
inside the radar's field of regard (azimuth sector, elevation band) and its slant range is
inside the detection range for the target's radar cross section (RCS). An
``InfraredConstellation`` sees a missile while its motor burns, above the cloud tops, from
any satellite whose line of sight clears the Earth and the cloud layer; it reports after a
latency. ``observe`` evaluates all of this for a batch of trajectories at once and returns
detection windows, cue times and noisy radar measurements.

Models and sources
    * Detection range from the radar range equation R^4 ∝ P_av·A²·σ (Lewis & Postol 2012,
      [@lewis-postol-2012-tpy2]): R_det(σ) = R_ref·(σ/σ_ref)^(1/4) from a reference range against a
      reference RCS. Detection is deterministic inside R_det (a cookie-cutter sensor: R_det is
      read as the range of a firm single-dwell detection).
    * Measurement noise: σ = σ_ref·sqrt(SNR_ref/SNR), with SNR ∝ σ/R^4 and SNR_ref the SNR at
      the detection range, so σ(R) = σ_ref·(R/R_det(σ))² (Skolnik, *Introduction to Radar
      Systems*, 3rd ed., sec. 6.3 and 6.4: monopulse angle and range accuracy go as
      1/sqrt(2·SNR)); floored at ``noise_floor_fraction``·σ_ref for calibration and bias limits.
    * Radar horizon: the straight line of sight must not pass below the WGS84 ellipsoid (no
      refraction; the closed forms on a sphere [@shieldsim-closed-forms] are what the tests check).
    * Infrared early warning (sources: the catalog's dsp-geo and sbirs): the plume is seen above the cloud tops
      (default 12 km, [R] 10–15 km) while the motor burns; a satellite sees it when the line
      of sight stays above the cloud layer; the report follows after a latency
      (default 45 s, [R] 30–60 s, APS 2003 / NRC 2012 planning values).

Frames and units: positions in ECEF metres, angles in radians inside; the frozen specs carry
the user-facing units in their field names (``_deg``, ``_km``, ``_mrad``), converted once.
Azimuths are compass bearings (clockwise from north), elevations are above the plane normal
to the WGS84 ellipsoid at the site.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from .earth import WGS84_A, WGS84_B, ecef_to_geodetic, enu_basis, geodetic_to_ecef
from .errors import ScenarioError
from . import catalog
from .validate import finite as _number
from .validate import is_number
from .validate import in_range as _in_range
from .validate import positive as _positive

KIND_RADAR = "radar"
KIND_INFRARED = "infrared"
GEO_ALTITUDE_KM = 35786.0  # geostationary altitude above the equator
_TWO_PI = 2.0 * math.pi


def _site_checks(prefix: str, lat_deg, lon_deg, alt_km, alt_lo_km: float, alt_hi_km: float) -> None:
    _in_range(f"{prefix}lat_deg", lat_deg, -90.0, 90.0)
    _in_range(f"{prefix}lon_deg", lon_deg, -180.0, 360.0)
    _in_range(f"{prefix}alt_km", alt_km, alt_lo_km, alt_hi_km)


def _enu_matrix(lat_rad: float, lon_rad: float) -> np.ndarray:
    """Rows east, north, up: maps an ECEF vector to ENU components."""
    e, n, u = enu_basis(lat_rad, lon_rad)
    return np.stack([e, n, u])


def line_of_sight(p_ecef, q_ecef, clearance_m: float = 0.0) -> np.ndarray:
    """True where the segment p→q stays outside the WGS84 ellipsoid grown by ``clearance_m``.

    The ellipsoid is mapped to the unit sphere by scaling x, y by 1/(a+c) and z by 1/(b+c);
    the segment's closest point to the centre is then s* = -p'·d'/|d'|² (clipped to [0, 1]),
    and the segment is clear when |p' + s* d'| ≥ 1. When s* falls on an end point the end
    points themselves decide, and they are the sensor and the target, so the segment is
    clear: a radar sited on the surface looking at positive elevation (p'·d' > 0 is exactly
    "above the local horizontal" on the ellipsoid) is never blocked, one looking below it is.
    Arrays (..., 3) broadcast.
    """
    p = np.asarray(p_ecef, dtype=float)
    q = np.asarray(q_ecef, dtype=float)
    scale = np.array([1.0 / (WGS84_A + clearance_m), 1.0 / (WGS84_A + clearance_m), 1.0 / (WGS84_B + clearance_m)])
    ps = p * scale
    ds = (q - p) * scale
    pd = np.sum(ps * ds, axis=-1)
    dd = np.sum(ds * ds, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = -pd / dd
        closest2 = np.sum(ps * ps, axis=-1) - pd * pd / dd
    interior = (s > 0.0) & (s < 1.0)
    return np.where(interior, closest2 >= 1.0, np.isfinite(dd))


# --------------------------------------------------------------------------------------
# Radar
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Radar:
    """A ground radar: where it is, what it can see and how well it measures.

    Parameters are in the units their names carry; ``Radar`` converts them to SI once.
    """

    name: str
    lat_deg: float  #: site geodetic latitude
    lon_deg: float  #: site longitude (east positive)
    alt_km: float  #: site height above the WGS84 ellipsoid
    reference_range_km: float  #: detection range against ``reference_rcs_m2``
    reference_rcs_m2: float = 1.0  #: RCS at which ``reference_range_km`` holds
    band: str = "X"  #: radar band (X, S, L, UHF, VHF): selects the RCS when it depends on band
    azimuth_min_deg: float = 0.0  #: field of regard from here clockwise ...
    azimuth_max_deg: float = 360.0  #: ... to here (wraps through north when max < min)
    boresight_azimuth_deg: float | None = None  #: informational; centre of the sector if None
    min_elevation_deg: float = 0.0  #: lowest beam elevation above the local horizontal
    max_elevation_deg: float = 90.0  #: highest beam elevation
    min_range_km: float = 0.0  #: no detection closer than this (blind range, receiver limits)
    update_interval_s: float = 1.0  #: time between measurements of a tracked target
    range_noise_m: float = 10.0  #: 1-sigma range error at the detection threshold SNR
    angle_noise_mrad: float = 1.0  #: 1-sigma angle error (each axis) at the detection threshold
    noise_floor_fraction: float = 0.1  #: noise never falls below this fraction of the above
    needs_cue: bool = False  #: narrow-beam radars search only where another sensor points them
    title: str = ""

    kind: ClassVar[str] = KIND_RADAR

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ScenarioError("name", f"must be a non-empty string, got {self.name!r}")
        _site_checks("", self.lat_deg, self.lon_deg, self.alt_km, -0.5, 10.0)
        _positive("reference_range_km", self.reference_range_km)
        _positive("reference_rcs_m2", self.reference_rcs_m2)
        _in_range("azimuth_min_deg", self.azimuth_min_deg, 0.0, 360.0)
        _in_range("azimuth_max_deg", self.azimuth_max_deg, 0.0, 360.0)
        if self.boresight_azimuth_deg is not None:
            _in_range("boresight_azimuth_deg", self.boresight_azimuth_deg, 0.0, 360.0)
        _in_range("min_elevation_deg", self.min_elevation_deg, -10.0, 90.0)
        _in_range("max_elevation_deg", self.max_elevation_deg, -10.0, 90.0)
        if self.max_elevation_deg <= self.min_elevation_deg:
            raise ScenarioError("max_elevation_deg", f"must exceed min_elevation_deg ({self.min_elevation_deg:g})")
        _positive("min_range_km", self.min_range_km, allow_zero=True)
        if self.min_range_km >= self.reference_range_km:
            raise ScenarioError("min_range_km", "must be below reference_range_km")
        _positive("update_interval_s", self.update_interval_s)
        _positive("range_noise_m", self.range_noise_m, allow_zero=True)
        _positive("angle_noise_mrad", self.angle_noise_mrad, allow_zero=True)
        _in_range("noise_floor_fraction", self.noise_floor_fraction, 0.0, 1.0)
        if not isinstance(self.needs_cue, bool):
            raise ScenarioError("needs_cue", f"must be true or false, got {self.needs_cue!r}")

    # -- derived, SI ---------------------------------------------------------------
    @cached_property
    def site_ecef(self) -> np.ndarray:
        """Site position, ECEF metres (3,)."""
        return np.array(geodetic_to_ecef(math.radians(self.lat_deg), math.radians(self.lon_deg), self.alt_km * 1e3))

    @cached_property
    def enu_matrix(self) -> np.ndarray:
        """3×3 matrix whose rows are the site's east, north, up unit vectors in ECEF."""
        return _enu_matrix(math.radians(self.lat_deg), math.radians(self.lon_deg))

    @property
    def full_azimuth(self) -> bool:
        return (self.azimuth_max_deg - self.azimuth_min_deg) % 360.0 == 0.0 and self.azimuth_max_deg != self.azimuth_min_deg

    @property
    def boresight_deg(self) -> float:
        """Boresight azimuth: given, or the centre of the field of regard."""
        if self.boresight_azimuth_deg is not None:
            return self.boresight_azimuth_deg
        width = 360.0 if self.full_azimuth else (self.azimuth_max_deg - self.azimuth_min_deg) % 360.0
        return (self.azimuth_min_deg + width / 2.0) % 360.0

    def detection_range_km(self, rcs_m2) -> np.ndarray | float:
        """Detection range against a target of RCS ``rcs_m2`` (m², array or scalar).

        R_det = R_ref·(σ/σ_ref)^(1/4): the radar range equation with everything but the RCS
        held fixed [@lewis-postol-2012-tpy2].
        """
        rcs = np.asarray(rcs_m2, dtype=float)
        if not np.all(np.isfinite(rcs)) or np.any(rcs <= 0):
            raise ScenarioError("rcs_m2", f"must be positive and finite, got {rcs_m2!r}")
        r = self.reference_range_km * (rcs / self.reference_rcs_m2) ** 0.25
        return float(r) if r.ndim == 0 else r

    # -- geometry ------------------------------------------------------------------
    def look_angles(self, r_ecef):
        """Slant range (m), compass azimuth (rad, [0, 2π)) and elevation (rad) to r (..., 3)."""
        d = np.asarray(r_ecef, dtype=float) - self.site_ecef
        enu = d @ self.enu_matrix.T
        rng = np.sqrt(np.sum(enu * enu, axis=-1))
        with np.errstate(invalid="ignore", divide="ignore"):
            el = np.arcsin(np.clip(enu[..., 2] / rng, -1.0, 1.0))
        az = np.mod(np.arctan2(enu[..., 0], enu[..., 1]), _TWO_PI)
        return rng, az, el

    def in_azimuth_sector(self, az_rad) -> np.ndarray:
        """True where compass azimuth ``az_rad`` lies in the field of regard."""
        az = np.asarray(az_rad, dtype=float)
        if self.full_azimuth:
            return np.isfinite(az)
        lo = math.radians(self.azimuth_min_deg)
        width = math.radians((self.azimuth_max_deg - self.azimuth_min_deg) % 360.0)
        return np.mod(az - lo, _TWO_PI) <= width

    def sees(self, r_ecef, detection_range_m) -> np.ndarray:
        """Visibility of targets at r (..., 3) with detection range(s) broadcast to (...)."""
        r = np.asarray(r_ecef, dtype=float)
        rng, az, el = self.look_angles(r)
        ok = (rng <= detection_range_m) & (rng >= self.min_range_km * 1e3)
        ok &= (el >= math.radians(self.min_elevation_deg)) & (el <= math.radians(self.max_elevation_deg))
        ok &= self.in_azimuth_sector(az)
        ok &= line_of_sight(self.site_ecef, r)
        return ok

    def to_dict(self, rcs_m2: float | None = None) -> dict:
        """The fields ``catalog show`` prints; detection range at ``rcs_m2`` (default: the reference RCS)."""
        rcs = self.reference_rcs_m2 if rcs_m2 is None else rcs_m2
        return {
            "name": self.name, "kind": self.kind, "title": self.title, "band": self.band,
            "site": {"lat_deg": self.lat_deg, "lon_deg": self.lon_deg, "alt_km": self.alt_km},
            "min_elevation_deg": self.min_elevation_deg, "max_elevation_deg": self.max_elevation_deg,
            "azimuth_min_deg": self.azimuth_min_deg, "azimuth_max_deg": self.azimuth_max_deg,
            "boresight_azimuth_deg": self.boresight_deg, "update_interval_s": self.update_interval_s,
            "needs_cue": self.needs_cue, "reference_rcs_m2": self.reference_rcs_m2, "rcs_m2": float(rcs),
            "detection_range_km": round(float(self.detection_range_km(rcs)), 1),
        }

    def measurement_sigmas(self, range_m, detection_range_m):
        """1-sigma range (m) and angle (rad) errors at slant range ``range_m``.

        σ = σ_ref·max((R/R_det)², floor): SNR ∝ σ/R⁴ relative to the threshold SNR reached at
        R_det for this target, and σ ∝ 1/sqrt(SNR).
        """
        ratio = np.maximum((np.asarray(range_m, dtype=float) / detection_range_m) ** 2, self.noise_floor_fraction)
        return self.range_noise_m * ratio, self.angle_noise_mrad * 1e-3 * ratio


# --------------------------------------------------------------------------------------
# Infrared early warning
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InfraredSatellite:
    """One early-warning satellite, held fixed in ECEF.

    Geostationary satellites are fixed by definition. A HEO satellite is placed at its apogee
    point: it dwells there for hours, far longer than a flight (an approximation, stated).
    """

    name: str
    lon_deg: float
    lat_deg: float = 0.0
    alt_km: float = GEO_ALTITUDE_KM

    def __post_init__(self):
        _site_checks(f"satellites[{self.name}].", self.lat_deg, self.lon_deg, self.alt_km, 200.0, 60000.0)

    @cached_property
    def position_ecef(self) -> np.ndarray:
        return np.array(geodetic_to_ecef(math.radians(self.lat_deg), math.radians(self.lon_deg), self.alt_km * 1e3))


@dataclass(frozen=True)
class InfraredConstellation:
    """Space-based infrared early warning (DSP / SBIRS class): sees boosting missiles, cues radars."""

    name: str
    satellites: tuple[InfraredSatellite, ...]
    cloud_top_km: float = 12.0  #: plume hidden below this altitude ([R] 10–15 km)
    report_latency_s: float = 45.0  #: from first sight to the launch report ([R] 30–60 s)
    min_dwell_s: float = 10.0  #: must be seen this long to be reported (DSP 10 s revisit, [R])
    launch_time_sigma_s: float = 5.0  #: 1-sigma error of the reported launch time
    launch_point_sigma_km: float = 5.0  #: 1-sigma error (each horizontal axis) of the launch point
    heading_sigma_deg: float = 2.0  #: 1-sigma error of the reported heading
    title: str = ""

    kind: ClassVar[str] = KIND_INFRARED

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ScenarioError("name", f"must be a non-empty string, got {self.name!r}")
        if not self.satellites:
            raise ScenarioError("satellites", "needs at least one satellite")
        for s in self.satellites:
            if not isinstance(s, InfraredSatellite):
                raise ScenarioError("satellites", f"expected InfraredSatellite, got {type(s).__name__}")
        _in_range("cloud_top_km", self.cloud_top_km, 0.0, 50.0)
        _positive("report_latency_s", self.report_latency_s, allow_zero=True)
        _positive("min_dwell_s", self.min_dwell_s, allow_zero=True)
        _positive("launch_time_sigma_s", self.launch_time_sigma_s, allow_zero=True)
        _positive("launch_point_sigma_km", self.launch_point_sigma_km, allow_zero=True)
        _positive("heading_sigma_deg", self.heading_sigma_deg, allow_zero=True)

    @property
    def update_interval_s(self) -> float:
        return self.min_dwell_s

    def to_dict(self, rcs_m2: float | None = None) -> dict:
        """The fields ``catalog show`` prints (a radar's site and coverage fields do not apply: null)."""
        return {
            "name": self.name, "kind": self.kind, "title": self.title,
            "satellites": [{"name": s.name, "lat_deg": s.lat_deg, "lon_deg": s.lon_deg, "alt_km": s.alt_km}
                           for s in self.satellites],
            "site": None, "min_elevation_deg": None, "azimuth_min_deg": None, "azimuth_max_deg": None,
            "update_interval_s": self.update_interval_s, "needs_cue": False, "detection_range_km": None,
            "cloud_top_km": self.cloud_top_km, "report_latency_s": self.report_latency_s, "min_dwell_s": self.min_dwell_s,
        }

    def sees(self, r_ecef, alt_m, burning) -> np.ndarray:
        """Plume visible: burning, above the cloud tops, and in view of at least one satellite."""
        r = np.asarray(r_ecef, dtype=float)
        ok = np.asarray(burning, dtype=bool) & (np.asarray(alt_m) > self.cloud_top_km * 1e3)
        view = np.zeros(ok.shape, dtype=bool)
        for sat in self.satellites:
            view |= line_of_sight(sat.position_ecef, r, clearance_m=self.cloud_top_km * 1e3)
        return ok & view


Sensor = Radar | InfraredConstellation


# --------------------------------------------------------------------------------------
# Catalog entries → specs
# --------------------------------------------------------------------------------------
_RADAR_NUMBERS = (
    "reference_range_km", "reference_rcs_m2", "azimuth_min_deg", "azimuth_max_deg", "boresight_azimuth_deg",
    "min_elevation_deg", "max_elevation_deg", "min_range_km", "update_interval_s", "range_noise_m",
    "angle_noise_mrad", "noise_floor_fraction",
)
_IR_NUMBERS = (
    "cloud_top_km", "report_latency_s", "min_dwell_s", "launch_time_sigma_s", "launch_point_sigma_km",
    "heading_sigma_deg",
)


#: The catalog's ``low``/``high`` are the smaller/larger number of a disputed value. A sensor
#: ``variant`` is about capability instead: ``high`` takes, for every parameter, the end of its
#: span that makes the sensor MORE capable (sees farther, lower, sooner, more precisely), and
#: ``low`` the other end, so a ``high`` sensor never sees less than a ``value`` one, nor a
#: ``value`` one less than a ``low`` one. ``None``: the parameter is not a capability (a
#: pointing direction) and every variant uses its ``value``. docs/scenario.md lists the table.
CAPABLE_END: dict[str, str | None] = {
    "reference_range_km": "high",  # farther detection
    "reference_rcs_m2": "low",  # the same range against a smaller target
    "azimuth_min_deg": "low",  # a wider field of regard ...
    "azimuth_max_deg": "high",  # ... on both sides
    "boresight_azimuth_deg": None,  # informational pointing direction
    "min_elevation_deg": "low",  # a lower elevation mask sees closer to the horizon
    "max_elevation_deg": "high",
    "min_range_km": "low",  # a shorter blind range
    "update_interval_s": "low",  # more frequent measurements
    "range_noise_m": "low",
    "angle_noise_mrad": "low",
    "noise_floor_fraction": "low",
    "cloud_top_km": "low",  # the plume is seen lower, so earlier
    "report_latency_s": "low",  # the report comes sooner
    "min_dwell_s": "low",
    "launch_time_sigma_s": "low",
    "launch_point_sigma_km": "low",
    "heading_sigma_deg": "low",
}
VARIANTS = ("value", "low", "high")
SETTING_WORDS = ("low", "value", "high")
_OTHER_END = {"low": "high", "high": "low"}


def _bound_for(key: str, variant: str) -> str:
    """Which of the catalog's value/low/high the capability ``variant`` takes for ``key``."""
    if variant == "value":
        return "value"
    end = CAPABLE_END.get(key)
    if end is None:
        return "value"
    return end if variant == "high" else _OTHER_END[end]


def _catalog_number(entry: Mapping, key: str, prefix: str, which: str):
    """A catalog number: a mapping {value, low, high, source, tag} or a bare number; ``which``
    of value/low/high (a bound the catalog does not give falls back to ``value``)."""
    raw = entry[key]
    if isinstance(raw, Mapping) and "value" not in raw:
        raise ScenarioError(f"{prefix}{key}.value", "missing")
    which = which if isinstance(raw, Mapping) and raw.get(which) is not None else "value"
    field = f"{prefix}{key}.{which}" if isinstance(raw, Mapping) else f"{prefix}{key}"
    return _number(field, catalog.bound(raw, which))


def _apply_settings(entry: Mapping, numbers: tuple[str, ...], settings: Mapping[str, Any] | None, prefix: str,
                    kw: dict[str, Any]) -> None:
    """Per-parameter settings over the variant: a number is used as it is; ``low``/``value``/
    ``high`` is the catalog's number of that name for this parameter (it must exist)."""
    for key, setting in (settings or {}).items():
        if key not in numbers:
            close = difflib.get_close_matches(key, numbers, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ScenarioError(f"{prefix}{key}", f"not a parameter of this sensor{hint}; "
                                                  f"parameters: {', '.join(numbers)}")
        if isinstance(setting, str):
            if setting not in SETTING_WORDS:
                raise ScenarioError(f"{prefix}{key}", f"must be a number or one of low, value, high; got {setting!r}")
            raw = entry.get(key)
            given = raw if isinstance(raw, Mapping) else ({"value": raw} if raw is not None else {})
            if given.get(setting) is None:
                have = ", ".join(f"{w} {given[w]:g}" for w in SETTING_WORDS if is_number(given.get(w))) or "none"
                raise ScenarioError(f"{prefix}{key}", f"the catalog gives no {setting} for it (published: {have})")
            kw[key] = _number(f"{prefix}{key}.{setting}", given[setting])
        else:
            kw[key] = _number(f"{prefix}{key}", setting)


def _entry_name(entry: Mapping, variant: str) -> str:
    """The name of a sensor entry, checked with the capability ``variant`` asked of it."""
    name = entry.get("name") if isinstance(entry, Mapping) else None
    if not isinstance(name, str) or not name:
        raise ScenarioError("name", "a sensor entry needs a name")
    if variant not in VARIANTS:
        raise ScenarioError("variant", f"must be value, low or high, got {variant!r}")
    return name


def radar_from_catalog(entry: Mapping, variant: str = "value", settings: Mapping[str, Any] | None = None) -> Radar:
    """Build a ``Radar`` from a raw catalog entry (the dict the YAML gives).

    ``variant`` picks, for every disputed number, ``value`` (default), or the less (``low``) or
    more (``high``) capable end of its published span (``CAPABLE_END``; a number without that
    bound uses its ``value``). ``settings`` set single parameters over the variant: a number,
    or ``low``/``value``/``high`` = that number of the catalog for that parameter. The site is
    always the catalog's ``value``.
    """
    name = _entry_name(entry, variant)
    prefix = f"{name}."
    site = entry.get("site")
    if not isinstance(site, Mapping):
        raise ScenarioError(f"{prefix}site", "missing: give {lat_deg, lon_deg, alt_km, source}")
    kw: dict[str, Any] = {}
    for key in ("lat_deg", "lon_deg", "alt_km"):
        if key not in site:
            raise ScenarioError(f"{prefix}site.{key}", "missing")
        kw[key] = _catalog_number(site, key, f"{prefix}site.", "value")
    if "reference_range_km" not in entry:
        raise ScenarioError(f"{prefix}reference_range_km", "missing")
    for key in _RADAR_NUMBERS:
        if key in entry and entry[key] is not None:
            kw[key] = _catalog_number(entry, key, prefix, _bound_for(key, variant))
    _apply_settings(entry, _RADAR_NUMBERS, settings, prefix, kw)
    for key in ("band", "title"):
        if key in entry:
            kw[key] = str(entry[key])
    if "needs_cue" in entry:
        kw["needs_cue"] = entry["needs_cue"]
    try:
        return Radar(name=name, **kw)
    except ScenarioError as err:
        where = f"site.{err.field}" if err.field in ("lat_deg", "lon_deg", "alt_km") else err.field
        raise ScenarioError(f"{prefix}{where}", err.reason) from None


def infrared_from_catalog(entry: Mapping, variant: str = "value",
                          settings: Mapping[str, Any] | None = None) -> InfraredConstellation:
    """Build an ``InfraredConstellation`` from a raw catalog entry (``variant`` and
    ``settings`` as in ``radar_from_catalog``; satellite positions are always the ``value``)."""
    name = _entry_name(entry, variant)
    prefix = f"{name}."
    sats_raw = entry.get("satellites")
    if not isinstance(sats_raw, Sequence) or isinstance(sats_raw, str) or not sats_raw:
        raise ScenarioError(f"{prefix}satellites", "needs a list of {name, lat_deg, lon_deg, alt_km}")
    sats = []
    for i, s in enumerate(sats_raw):
        if not isinstance(s, Mapping) or "lon_deg" not in s:
            raise ScenarioError(f"{prefix}satellites[{i}].lon_deg", "missing")
        kw = {k: _catalog_number(s, k, f"{prefix}satellites[{i}].", "value") for k in ("lat_deg", "lon_deg", "alt_km") if k in s}
        try:
            sats.append(InfraredSatellite(name=str(s.get("name", f"{name}-{i}")), **kw))
        except ScenarioError as err:
            raise ScenarioError(f"{prefix}satellites[{i}].{err.field.rsplit('.', 1)[-1]}", err.reason) from None
    kw = {key: _catalog_number(entry, key, prefix, _bound_for(key, variant))
          for key in _IR_NUMBERS if key in entry and entry[key] is not None}
    _apply_settings(entry, _IR_NUMBERS, settings, prefix, kw)
    try:
        return InfraredConstellation(name=name, satellites=tuple(sats), title=str(entry.get("title", "")), **kw)
    except ScenarioError as err:
        raise ScenarioError(f"{prefix}{err.field}", err.reason) from None


def sensor_parameters(kind: str) -> tuple[str, ...]:
    """The catalog numbers a sensor of ``kind`` (radar or infrared) takes, i.e. what a
    scenario's ``sensors.<i>.<parameter>`` may set."""
    return _RADAR_NUMBERS if kind == KIND_RADAR else _IR_NUMBERS


def sensor_from_catalog(entry: Mapping, variant: str = "value", settings: Mapping[str, Any] | None = None) -> Sensor:
    """Build the sensor a raw catalog entry describes; its ``type`` is ``radar`` or ``infrared``."""
    if not isinstance(entry, Mapping):
        raise ScenarioError("sensor", f"a catalog entry must be a mapping, got {type(entry).__name__}")
    name = entry.get("name", "sensor")
    kind = entry.get("type")
    if kind == KIND_RADAR:
        return radar_from_catalog(entry, variant, settings)
    if kind == KIND_INFRARED:
        return infrared_from_catalog(entry, variant, settings)
    raise ScenarioError(f"{name}.type", f"unknown sensor kind {kind!r}; use 'radar' or 'infrared'")


# --------------------------------------------------------------------------------------
# Observation results
# --------------------------------------------------------------------------------------
def _none_if_nan(x, ndigits: int = 3):
    x = float(x)
    return None if not math.isfinite(x) else round(x, ndigits)


@dataclass(frozen=True)
class SensorObservation:
    """What one sensor saw of each threat; arrays have the batch axis first.

    Times are seconds after each threat's launch; NaN means never. ``detected`` is the
    detection mask on the observation grid (after cueing); first and last detections are
    refined between grid points by bisection, gaps are counted on the grid.
    """

    sensor: str
    kind: str
    detection_range_km: np.ndarray  #: (n,) against each threat's RCS (NaN for infrared)
    first_detection_s: np.ndarray  #: (n,)
    last_detection_s: np.ndarray  #: (n,)
    cue_s: np.ndarray  #: (n,) when the cue arrived (NaN if not needed or never)
    cued_by: tuple  #: (n,) name of the sensor that cued, or None
    n_gaps: np.ndarray  #: (n,) interruptions between first and last detection
    gap_s: np.ndarray  #: (n,) total time of those interruptions (grid resolution)
    detected: np.ndarray  #: (n, k) bool on ``Observation.t_grid_s``
    report_s: np.ndarray | None = None  #: infrared only: launch report time (n,)

    def windows(self, i: int, t_grid_s: np.ndarray) -> list[tuple[float, float]]:
        """Detection intervals of threat i: the outer ends refined, inner ends on the grid."""
        det = self.detected[i]
        if not det.any():
            return []
        padded = np.concatenate([[False], det, [False]])
        starts = np.flatnonzero(~padded[:-1] & padded[1:])
        ends = np.flatnonzero(padded[:-1] & ~padded[1:]) - 1
        out = [(float(t_grid_s[s]), float(t_grid_s[e])) for s, e in zip(starts, ends)]
        out[0] = (float(self.first_detection_s[i]), out[0][1])
        out[-1] = (out[-1][0], float(self.last_detection_s[i]))
        return out


@dataclass(frozen=True)
class MeasurementSeries:
    """One radar's measurements of one threat (1-D arrays, detections only)."""

    radar: Radar
    t_s: np.ndarray
    range_m: np.ndarray
    azimuth_rad: np.ndarray
    elevation_rad: np.ndarray
    sigma_range_m: np.ndarray
    sigma_angle_rad: np.ndarray

    def __len__(self) -> int:
        return int(self.t_s.size)

    def positions_ecef(self) -> np.ndarray:
        """Measured positions (m, 3) in ECEF (range/azimuth/elevation turned back into a point)."""
        ce = np.cos(self.elevation_rad)
        enu = np.stack([self.range_m * ce * np.sin(self.azimuth_rad), self.range_m * ce * np.cos(self.azimuth_rad),
                        self.range_m * np.sin(self.elevation_rad)], axis=-1)
        return self.radar.site_ecef + enu @ self.radar.enu_matrix


@dataclass(frozen=True)
class RadarMeasurements:
    """Noisy measurements of one radar at its update rate; NaN where it did not detect."""

    radar: Radar
    t_s: np.ndarray  #: (m,) measurement times, shared by all threats
    range_m: np.ndarray  #: (n, m)
    azimuth_rad: np.ndarray  #: (n, m) compass azimuth
    elevation_rad: np.ndarray  #: (n, m)
    sigma_range_m: np.ndarray  #: (n, m) the 1-sigma the noise was drawn with
    sigma_angle_rad: np.ndarray  #: (n, m)

    def threat(self, i: int) -> MeasurementSeries:
        ok = np.isfinite(self.range_m[i])
        return MeasurementSeries(self.radar, self.t_s[ok], self.range_m[i, ok], self.azimuth_rad[i, ok],
                                 self.elevation_rad[i, ok], self.sigma_range_m[i, ok], self.sigma_angle_rad[i, ok])


@dataclass(frozen=True)
class InfraredReports:
    """Launch reports of one infrared constellation: arrays (n,), NaN where never reported."""

    sensor: str
    report_s: np.ndarray
    launch_time_est_s: np.ndarray
    launch_lat_est_rad: np.ndarray
    launch_lon_est_rad: np.ndarray
    heading_est_rad: np.ndarray  #: compass heading of the ground track when first seen
    heading_true_rad: np.ndarray


@dataclass(frozen=True)
class Observation:
    """Everything the sensors saw of a batch of threats.

    ``first_track_s`` and ``fire_control_s`` stay NaN (JSON null) until
    ``shieldsim.tracking.track_observation`` fills them from the measurements.
    """

    t_grid_s: np.ndarray
    threats: tuple[str, ...]
    flight_time_s: np.ndarray
    t_burnout_s: np.ndarray
    sensors: tuple  #: the specs, in the order given
    observations: tuple[SensorObservation, ...]
    measurements: dict = field(default_factory=dict)  #: radar name → RadarMeasurements
    infrared: dict = field(default_factory=dict)  #: constellation name → InfraredReports
    first_track_s: np.ndarray | None = None
    fire_control_s: np.ndarray | None = None
    tracks: tuple | None = None  #: per threat, the track history (tracking fills it)

    @property
    def n(self) -> int:
        return len(self.threats)

    def __getitem__(self, name: str) -> SensorObservation:
        for o in self.observations:
            if o.sensor == name:
                return o
        raise KeyError(name)

    def to_dict(self) -> dict:
        """The ``observe`` JSON contract of DESIGN.md."""
        nan = np.full(self.n, np.nan)
        ft = self.first_track_s if self.first_track_s is not None else nan
        fc = self.fire_control_s if self.fire_control_s is not None else nan
        threats = []
        for i, name in enumerate(self.threats):
            rows = []
            for o in self.observations:
                row = {
                    "sensor": o.sensor,
                    "kind": o.kind,
                    "detection_range_km": _none_if_nan(o.detection_range_km[i], 1),
                    "first_detection_s": _none_if_nan(o.first_detection_s[i]),
                    "last_detection_s": _none_if_nan(o.last_detection_s[i]),
                    "cued_by": o.cued_by[i],
                    "n_gaps": int(o.n_gaps[i]),
                }
                if o.report_s is not None:
                    row["report_s"] = _none_if_nan(o.report_s[i])
                rows.append(row)
            threats.append({
                "threat": name,
                "flight_time_s": _none_if_nan(self.flight_time_s[i]),
                "sensors": rows,
                "first_track_s": _none_if_nan(ft[i]),
                "fire_control_s": _none_if_nan(fc[i]),
            })
        return {"threats": threats}


# --------------------------------------------------------------------------------------
# observe
# --------------------------------------------------------------------------------------
def rcs_for(rcs_m2, band: str, n: int) -> np.ndarray:
    """Per-threat RCS for a radar band: a scalar, an (n,) array, or a mapping band → either."""
    if isinstance(rcs_m2, Mapping):
        if band in rcs_m2:
            rcs_m2 = rcs_m2[band]
        elif "default" in rcs_m2:
            rcs_m2 = rcs_m2["default"]
        else:
            raise ScenarioError("rcs_m2", f"no RCS for band {band!r} (give it or a 'default')")
    rcs = np.broadcast_to(np.asarray(rcs_m2, dtype=float), (n,))
    if not np.all(np.isfinite(rcs)) or np.any(rcs <= 0):
        raise ScenarioError("rcs_m2", "must be positive and finite")
    return rcs


def _first_last(mask: np.ndarray):
    """Index of the first and last True per row (-1 where none)."""
    any_ = mask.any(axis=1)
    k = mask.shape[1]
    first = np.where(any_, np.argmax(mask, axis=1), -1)
    last = np.where(any_, k - 1 - np.argmax(mask[:, ::-1], axis=1), -1)
    return first, last


def _bisect(lo, hi, pred, rising: bool, tol_s: float):
    """Refine an edge of ``pred`` inside [lo, hi] for each row (arrays (n,)).

    Rising: pred(lo) False, pred(hi) True → the first True time. Falling: pred(lo) True,
    pred(hi) False → the last True time. Rows with NaN bounds stay NaN.
    """
    lo = lo.copy()
    hi = hi.copy()
    width = np.nanmax(hi - lo) if np.any(np.isfinite(hi - lo)) else 0.0
    iters = int(max(0, math.ceil(math.log2(max(width, tol_s) / tol_s))))
    ok = np.isfinite(lo) & np.isfinite(hi)
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        p = pred(np.where(ok, mid, 0.0))
        move_lo = p != rising
        lo = np.where(ok & move_lo, mid, lo)
        hi = np.where(ok & ~move_lo, mid, hi)
    return np.where(ok, hi if rising else lo, np.nan)


class _Geometry:
    """Positions of every threat on the observation grid, and point evaluations for refinement."""

    def __init__(self, trajectories, t_grid):
        self.traj = trajectories
        self.t = t_grid
        self.n = int(trajectories.n)
        self.r = np.asarray(trajectories.position_ecef(t_grid), dtype=float)  # (n, k, 3)
        self.t_impact = np.asarray(trajectories.t_impact, dtype=float)
        self.t_burnout = np.asarray(getattr(trajectories, "t_burnout", np.full(self.n, np.nan)), dtype=float)
        self._alt = None

    @property
    def alt(self) -> np.ndarray:
        if self._alt is None:
            self._alt = ecef_to_geodetic(self.r[..., 0], self.r[..., 1], self.r[..., 2])[2]
        return self._alt

    def point(self, t: np.ndarray) -> np.ndarray:
        """Positions (n, 3) at one time per threat."""
        return np.asarray(self.traj.position_ecef(t[:, None]), dtype=float)[:, 0, :]

    def burning(self, t) -> np.ndarray:
        """Motor burning at t (n,) or (1|n, k); a free flight (t_burnout NaN) never burns."""
        t = np.asarray(t, dtype=float)
        tb = self.t_burnout.reshape((self.n,) + (1,) * (t.ndim - 1))
        return np.isfinite(tb) & (t <= tb)


def _windows(mask, t_grid, t_impact, pred, tol_s, not_before=None):
    """First/last detection times (refined), gap counts and gap time from a grid mask."""
    k = mask.shape[1]
    first_i, last_i = _first_last(mask)
    has = first_i >= 0
    fi = np.clip(first_i, 0, k - 1)
    li = np.clip(last_i, 0, k - 1)
    # Rising edge: between the grid point before the first detection (or the cue) and it.
    lo = np.where(fi > 0, t_grid[np.maximum(fi - 1, 0)], np.nan)
    if not_before is not None:
        lo = np.where(np.isfinite(lo) & np.isfinite(not_before), np.maximum(lo, not_before), lo)
    hi = t_grid[fi]
    first = np.where(has, hi, np.nan)
    need = has & np.isfinite(lo) & (lo < hi)
    if need.any():
        at_lo = pred(np.where(need, lo, 0.0)) & need
        first = np.where(at_lo, lo, first)
        need &= ~at_lo
        ref = _bisect(np.where(need, lo, np.nan), np.where(need, hi, np.nan), pred, True, tol_s)
        first = np.where(need, ref, first)
    # Falling edge: between the last detection and the next grid point (or impact).
    lo = t_grid[li]
    nxt = np.where(li < k - 1, t_grid[np.minimum(li + 1, k - 1)], np.nan)
    hi = np.where(np.isfinite(t_impact), np.minimum(nxt, t_impact), nxt)
    last = np.where(has, lo, np.nan)
    need = has & np.isfinite(hi) & (hi > lo)
    if need.any():
        at_hi = pred(np.where(need, hi, 0.0)) & need
        last = np.where(at_hi, hi, last)
        need &= ~at_hi
        ref = _bisect(np.where(need, lo, np.nan), np.where(need, hi, np.nan), pred, False, tol_s)
        last = np.where(need, ref, last)
    rising = ~mask[:, :-1] & mask[:, 1:]
    n_gaps = rising.sum(axis=1) - (has & (first_i > 0))
    idx = np.arange(k)
    between = (idx >= first_i[:, None]) & (idx <= last_i[:, None]) & ~mask
    dt = np.diff(t_grid).mean() if k > 1 else 0.0
    return first, last, np.maximum(n_gaps, 0), between.sum(axis=1) * dt


def observe(trajectories, sensors: Sequence[Sensor], rcs_m2, rng: np.random.Generator, dt: float = 2.0, *,
            threat_names: Sequence[str] | None = None, measurements: bool = True, t_end_s: float | None = None,
            refine_tol_s: float = 1e-3) -> Observation:
    """Observe a batch of trajectories with a list of sensors.

    Parameters
    ----------
    trajectories
        Any object with ``n``, ``t_impact`` (n,), ``t_burnout`` (n,) and ``position_ecef(t)``
        returning (n, k, 3) metres for t (k,) or (n, k), NaN outside a flight (the
        ``shieldsim.flight.Trajectory`` interface). ``velocity_ecef`` and ``geodetic`` are
        used for infrared launch reports.
    sensors
        ``Radar`` and ``InfraredConstellation`` specs.
    rcs_m2
        Radar cross section of each threat: a scalar, an (n,) array, or a mapping from radar
        band (``"X"``, ``"UHF"``...) to either, with an optional ``"default"``.
    rng
        The only source of randomness (measurement noise, launch-report errors): the same
        generator state gives the same noise, a generator seeded otherwise other noise (the
        commands seed it from the scenario's ``seed``, so ``--seed`` moves it).
    dt
        Observation grid step (s). Visibility is evaluated on the grid, vectorised over
        threats and times; first and last detections are then refined by bisection to
        ``refine_tol_s``.
    measurements
        Also draw noisy radar measurements at each radar's update interval.
    t_end_s
        End of the grid when no threat impacts (default: the latest impact).

    Cueing: a ``needs_cue`` radar detects only from the earliest cue of another sensor (an
    infrared launch report, or another radar's first detection) on; the cue then persists
    (the track is handed over, so the radar may lose and regain the target without a new
    cue). Cues chain (a cued radar can cue another); the fixed point is reached in at most
    as many passes as there are sensors.
    """
    n, t_impact, t_max, t_grid, threats = _observation_grid(trajectories, sensors, dt, t_end_s, threat_names)
    geo = _Geometry(trajectories, t_grid)
    visible, preds, det_range_m = _visibility(sensors, geo, rcs_m2, n, t_grid)
    w = _uncued_windows(sensors, visible, preds, t_grid, t_impact, refine_tol_s)
    cue_s, cued_by, detected = _propagate_cues(sensors, visible, preds, t_grid, t_impact, refine_tol_s, w, n)
    observations = tuple(SensorObservation(
        sensor=s.name, kind=s.kind,
        detection_range_km=det_range_m[s.name] / 1e3 if isinstance(s, Radar) else np.full(n, np.nan),
        first_detection_s=w["first"][s.name], last_detection_s=w["last"][s.name],
        cue_s=cue_s[s.name], cued_by=tuple(cued_by[s.name].tolist()),
        n_gaps=w["gaps"][s.name][0], gap_s=w["gaps"][s.name][1], detected=detected[s.name],
        report_s=None if isinstance(s, Radar) else w["report"][s.name],
    ) for s in sensors)
    meas, ir = _draw_noise(sensors, trajectories, det_range_m, cue_s, w, t_max, rng, measurements)
    return Observation(t_grid_s=t_grid, threats=threats, flight_time_s=t_impact, t_burnout_s=geo.t_burnout,
                       sensors=tuple(sensors), observations=observations, measurements=meas, infrared=ir)


def _observation_grid(trajectories, sensors, dt, t_end_s, threat_names):
    """Check ``observe``'s inputs; (n, t_impact, t_max, the time grid, the threat names)."""
    n = int(trajectories.n)
    dt = _positive("dt", dt)
    for i, s in enumerate(sensors):
        if not isinstance(s, (Radar, InfraredConstellation)):
            raise ScenarioError(f"sensors[{i}]", f"unknown sensor kind {type(s).__name__}; expected Radar or InfraredConstellation")
    names = [s.name for s in sensors]
    if len(set(names)) != len(names):
        raise ScenarioError("sensors", "sensor names must be unique")
    t_impact = np.asarray(trajectories.t_impact, dtype=float)
    t_max = float(np.nanmax(t_impact)) if np.any(np.isfinite(t_impact)) else np.nan
    if t_end_s is not None:
        t_max = _positive("t_end_s", t_end_s)
    if not math.isfinite(t_max):
        raise ScenarioError("t_end_s", "no threat impacts: give the end of the observation")
    k = math.floor(t_max / dt + 1e-9) + 1
    t_grid = np.arange(k) * dt
    if t_grid[-1] < t_max:
        t_grid = np.append(t_grid, t_max)
    threats = tuple(threat_names) if threat_names is not None else tuple(f"threat-{i}" for i in range(n))
    if len(threats) != n:
        raise ScenarioError("threat_names", f"expected {n} names, got {len(threats)}")
    return n, t_impact, t_max, t_grid, threats


def _visibility(sensors, geo, rcs_m2, n, t_grid):
    """Each sensor's visibility on the grid, its point predicate for refinement and (radars)
    its detection range against each threat, m."""
    visible: dict[str, np.ndarray] = {}
    preds = {}
    det_range_m: dict[str, np.ndarray] = {}
    for s in sensors:
        if isinstance(s, Radar):
            rcs = rcs_for(rcs_m2, s.band, n)
            rdet = np.asarray(s.detection_range_km(rcs), dtype=float).reshape(n) * 1e3
            det_range_m[s.name] = rdet
            visible[s.name] = s.sees(geo.r, rdet[:, None])
            preds[s.name] = (lambda t, s=s, rdet=rdet: s.sees(geo.point(t), rdet))
        else:
            visible[s.name] = s.sees(geo.r, geo.alt, geo.burning(t_grid[None, :]))

            def pred(t, s=s):
                p = geo.point(t)
                alt = ecef_to_geodetic(p[:, 0], p[:, 1], p[:, 2])[2]
                return s.sees(p, alt, geo.burning(t))

            preds[s.name] = pred
    return visible, preds, det_range_m


def _uncued_windows(sensors, visible, preds, t_grid, t_impact, tol_s) -> dict:
    """First/last detection and gaps of every sensor that needs no cue, infrared launch
    reports, and the cue each offers others: {first, last, gaps, offer, report} by sensor."""
    w = {"first": {}, "last": {}, "gaps": {}, "offer": {}, "report": {}}
    for s in sensors:
        if isinstance(s, InfraredConstellation) or not s.needs_cue:
            f, l, ng, gs = _windows(visible[s.name], t_grid, t_impact, preds[s.name], tol_s)
            w["first"][s.name], w["last"][s.name], w["gaps"][s.name] = f, l, (ng, gs)
            if isinstance(s, InfraredConstellation):
                seen_long_enough = (l - f) >= s.min_dwell_s
                w["report"][s.name] = np.where(seen_long_enough, f + s.report_latency_s, np.nan)
                w["offer"][s.name] = w["report"][s.name]
            else:
                w["offer"][s.name] = f
    return w


def _propagate_cues(sensors, visible, preds, t_grid, t_impact, tol_s, w: dict, n: int):
    """Cued radars detect from their earliest cue on, to the fixed point (updates ``w``):
    (cue time, cueing sensor, detection mask) by sensor."""
    first, last, gaps, offer = w["first"], w["last"], w["gaps"], w["offer"]
    cued = [s for s in sensors if isinstance(s, Radar) and s.needs_cue]
    cue_s = {s.name: np.full(n, np.nan) for s in sensors}
    cued_by = {s.name: np.full(n, None, dtype=object) for s in sensors}
    for s in cued:
        offer[s.name] = np.full(n, np.nan)
        first[s.name] = last[s.name] = np.full(n, np.nan)
        gaps[s.name] = (np.zeros(n, int), np.zeros(n))
    detected = {s.name: visible[s.name] & ~(isinstance(s, Radar) and s.needs_cue) for s in sensors}
    for _ in range(len(sensors)):
        changed = False
        for s in cued:
            others = [o for o in sensors if o.name != s.name]
            if not others:
                break
            offers = np.stack([offer[o.name] for o in others])  # (m, n)
            filled = np.where(np.isfinite(offers), offers, np.inf)
            best = np.argmin(filled, axis=0)
            cue = filled[best, np.arange(n)]
            cue = np.where(np.isfinite(cue), cue, np.nan)
            if np.array_equal(cue, cue_s[s.name], equal_nan=True):
                continue
            changed = True
            cue_s[s.name] = cue
            cued_by[s.name] = np.array([others[b].name if np.isfinite(c) else None for b, c in zip(best, cue)], dtype=object)
            mask = visible[s.name] & (t_grid[None, :] >= np.where(np.isfinite(cue), cue, np.inf)[:, None])
            # The grid may miss a cue that lands inside a visible stretch: count the cue time.
            f, l, ng, gs = _windows(mask, t_grid, t_impact, preds[s.name], tol_s, not_before=cue)
            detected[s.name] = mask
            first[s.name], last[s.name], gaps[s.name] = f, l, (ng, gs)
            offer[s.name] = f
        if not changed:
            break
    return cue_s, cued_by, detected


def _draw_noise(sensors, trajectories, det_range_m, cue_s, w: dict, t_max: float, rng, measurements: bool):
    """The random part, all from ``rng`` in sensor order: noisy radar measurements (when
    ``measurements``) and infrared launch reports."""
    meas = {}
    ir = {}
    for s in sensors:
        if isinstance(s, Radar) and measurements:
            meas[s.name] = _measure(s, trajectories, det_range_m[s.name], cue_s[s.name] if s.needs_cue else None,
                                    t_max, rng)
        elif isinstance(s, InfraredConstellation):
            ir[s.name] = _launch_reports(s, trajectories, w["first"][s.name], w["report"][s.name], rng)
    return meas, ir


def _measure(radar: Radar, trajectories, rdet_m: np.ndarray, cue: np.ndarray | None, t_max: float,
             rng: np.random.Generator) -> RadarMeasurements:
    """Noisy range/azimuth/elevation of every detected threat at the radar's update times."""
    n = rdet_m.size
    t = np.arange(0.0, t_max + 1e-9, radar.update_interval_s)
    r = np.asarray(trajectories.position_ecef(t), dtype=float)
    mask = radar.sees(r, rdet_m[:, None])
    if cue is not None:
        mask &= t[None, :] >= np.where(np.isfinite(cue), cue, np.inf)[:, None]
    rng_m, az, el = radar.look_angles(r)
    s_r, s_a = radar.measurement_sigmas(rng_m, rdet_m[:, None])
    noise = rng.standard_normal((3, n, t.size))
    nan = np.nan
    return RadarMeasurements(
        radar=radar,
        t_s=t,
        range_m=np.where(mask, rng_m + s_r * noise[0], nan),
        azimuth_rad=np.where(mask, np.mod(az + s_a * noise[1], _TWO_PI), nan),
        elevation_rad=np.where(mask, el + s_a * noise[2], nan),
        sigma_range_m=np.where(mask, s_r, nan),
        sigma_angle_rad=np.where(mask, s_a, nan),
    )


def _launch_reports(ir: InfraredConstellation, trajectories, first_seen: np.ndarray, report: np.ndarray,
                    rng: np.random.Generator) -> InfraredReports:
    """Launch time, point and heading estimates with seeded Gaussian errors."""
    n = first_seen.size
    ok = np.isfinite(report)
    lat0, lon0, _ = trajectories.geodetic(np.zeros(1))
    lat0 = np.asarray(lat0, dtype=float).reshape(n)
    lon0 = np.asarray(lon0, dtype=float).reshape(n)
    t_seen = np.where(ok, first_seen, 0.0)[:, None]
    v = np.asarray(trajectories.velocity_ecef(t_seen), dtype=float)[:, 0, :]
    p = np.asarray(trajectories.position_ecef(t_seen), dtype=float)[:, 0, :]
    plat, plon, _ = ecef_to_geodetic(p[:, 0], p[:, 1], p[:, 2])
    e, nn, _ = enu_basis(plat, plon)
    heading = np.mod(np.arctan2(np.sum(v * e, -1), np.sum(v * nn, -1)), _TWO_PI)
    z = rng.standard_normal((4, n))
    sig_m = ir.launch_point_sigma_km * 1e3
    lat_est = lat0 + z[1] * sig_m / WGS84_A
    lon_est = lon0 + z[2] * sig_m / (WGS84_A * np.maximum(np.cos(lat0), 1e-6))
    nan = np.nan
    return InfraredReports(
        sensor=ir.name,
        report_s=report,
        launch_time_est_s=np.where(ok, z[0] * ir.launch_time_sigma_s, nan),
        launch_lat_est_rad=np.where(ok, lat_est, nan),
        launch_lon_est_rad=np.where(ok, lon_est, nan),
        heading_est_rad=np.where(ok, np.mod(heading + z[3] * math.radians(ir.heading_sigma_deg), _TWO_PI), nan),
        heading_true_rad=np.where(ok, heading, nan),
    )


__all__ = [
    "KIND_INFRARED", "KIND_RADAR", "InfraredConstellation", "InfraredReports", "InfraredSatellite", "MeasurementSeries",
    "Observation", "Radar", "RadarMeasurements", "SensorObservation", "infrared_from_catalog", "line_of_sight",
    "observe", "radar_from_catalog", "sensor_from_catalog", "CAPABLE_END", "sensor_parameters",
]
