"""CZML for CesiumJS: trajectories as time-tagged 3-D paths, sites as labelled points.

Written with czml3 4.x models, so the document is validated as it is built. Positions
are ``cartographicDegrees`` samples ``[t, lon, lat, height_m, ...]`` with ``t`` in
seconds after a per-track ``epoch`` (the scenario epoch plus the track's first time),
interpolated by Lagrange degree 5 between samples. Viewing needs a page of our own
that loads a local Cesium build (``czml3.Document.to_html`` loads Cesium from a CDN and
is not used).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from czml3 import CZML_VERSION, Document, Packet
from czml3.properties import Clock, Color, Label, Point, PolylineMaterial, Position, SolidColorMaterial
from czml3.properties import Path as CzmlPath
from czml3.types import TimeInterval

from shieldsim.earth import wrap_lon
from shieldsim.io import atomic_write_text

__all__ = ["parse_color", "trajectories_to_czml", "write_czml"]

_NAMED_COLORS = {
    "red": (192, 57, 43), "orange": (211, 84, 0), "yellow": (241, 196, 15), "green": (30, 132, 73),
    "blue": (31, 78, 156), "purple": (108, 52, 131), "white": (255, 255, 255), "black": (0, 0, 0),
    "grey": (127, 140, 141), "gray": (127, 140, 141), "cyan": (23, 165, 137),
}
_SITE_COLORS = {"interceptor": "blue", "battery": "blue", "radar": "green", "sensor": "green",
                "infrared": "purple", "launch": "red", "target": "black", "city": "black"}


def parse_color(color: Any, default: str = "orange") -> list[int]:
    """``"#rrggbb"``, ``"#rrggbbaa"``, a name (red, blue, …), or an RGB(A) tuple → ``[r, g, b, a]`` 0–255.

    Tuples of floats all in [0, 1] are taken as matplotlib-style fractions.
    """
    if color is None:
        color = default
    if isinstance(color, str):
        text = color.strip().lower()
        if text in _NAMED_COLORS:
            return [*_NAMED_COLORS[text], 255]
        if re.fullmatch(r"#[0-9a-f]{6}([0-9a-f]{2})?", text):
            values = [int(text[i:i + 2], 16) for i in range(1, len(text), 2)]
            return values + [255] * (4 - len(values))
        raise ValueError(f"unknown colour {color!r}: use #rrggbb, #rrggbbaa, a name, or an RGB(A) tuple")
    values = [float(v) for v in color]
    if len(values) not in (3, 4):
        raise ValueError(f"colour {color!r} must have 3 or 4 components")
    if all(0.0 <= v <= 1.0 for v in values) and any(v != int(v) for v in values):
        values = [v * 255.0 for v in values]
    values = [int(round(min(max(v, 0.0), 255.0))) for v in values]
    return values + [255] * (4 - len(values))


def _parse_epoch(epoch_iso: str) -> dt.datetime:
    try:
        epoch = dt.datetime.fromisoformat(epoch_iso.replace("Z", "+00:00"))
    except ValueError as error:
        raise ValueError(f"epoch_iso {epoch_iso!r} is not an ISO 8601 date and time") from error
    return epoch.replace(tzinfo=dt.UTC) if epoch.tzinfo is None else epoch.astimezone(dt.UTC)


def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "object"


def trajectories_to_czml(
    tracks: Sequence[Mapping[str, Any]],
    epoch_iso: str,
    sites: Sequence[Mapping[str, Any]] = (),
    document_name: str = "shieldsim",
    path_width_px: float = 2.0,
    flyouts: Sequence[Mapping[str, Any]] | None = None,
) -> str:
    """Trajectories and sites as a CZML document (a JSON array of packets).

    Parameters
    ----------
    tracks : ``[{name, t_s (n,), lat_deg (n,), lon_deg (n,), alt_km (n,), color}]``:
        times in seconds after ``epoch_iso`` (e.g. after the threat's launch),
        geodetic position, height above the WGS84 ellipsoid; ``color`` as in
        ``parse_color`` (optional). A ``description`` (HTML) is optional.
    epoch_iso : the scenario epoch, ISO 8601 (``"2007-06-01T12:00:00Z"``; no zone = UTC).
    sites : ``[{name, lat_deg, lon_deg, kind}]`` (``alt_km`` optional), drawn as points.
    flyouts : interceptor fly-outs, e.g. ``analyses.flyouts.flyout_tracks``: each a track
        as above (``t_s`` on the threat's clock, from the interceptor's launch to the
        intercept) with an ``intercept`` ``{t_s, lat_deg, lon_deg, alt_km}``; optional
        ``threat``, ``battery``, ``shot``. Each becomes a path packet (``flyout-...``,
        available from launch to intercept) and an intercept-point packet
        (``intercept-...``, shown from the intercept time to the end of the clock). A
        fly-out with fewer than two samples keeps only its intercept point.

    Returns the CZML text. The first packet is the document preamble with a clock
    spanning all tracks; each track has ``availability`` over its own time span, a
    sampled ``position`` with ``4 × n`` numbers, and a ``path`` showing where it has
    been. Non-finite samples are dropped; a track with fewer than two samples raises.
    """
    epoch = _parse_epoch(epoch_iso)
    packets: list[Packet] = []
    t_min, t_max = np.inf, -np.inf
    used_ids: set[str] = set()
    for i, track in enumerate(tracks):
        name = str(track.get("name", f"track {i + 1}"))
        packet, t0, t1 = _track_packet(dict(track, name=name), epoch, _unique(f"track-{_slug(name)}", used_ids),
                                       path_width_px)
        packets.append(packet)
        t_min, t_max = min(t_min, t0), max(t_max, t1)
    intercepts = []
    for k, fly in enumerate(flyouts or ()):
        packet, t_lo, t_hi, intercept = _flyout_packet(fly, k, epoch, used_ids, path_width_px)
        if packet is not None:
            packets.append(packet)
        t_min, t_max = min(t_min, t_lo), max(t_max, t_hi)
        if intercept is not None:
            intercepts.append(intercept)
    packets += [_site_packet(site, used_ids) for site in sites]
    packets += [_intercept_packet(fly, point, packet_id, epoch, t_max) for fly, point, packet_id in intercepts]
    document = Document(packets=[_preamble(document_name, epoch, t_min, t_max), *packets])
    return document.model_dump_json(exclude_none=True)


def _flyout_packet(fly: Mapping[str, Any], k: int, epoch: dt.datetime, used_ids: set[str], path_width_px: float):
    """A fly-out's path packet (None under two samples), the time span it and its intercept
    cover, and ``(fly, intercept point, packet id)`` for the intercept packet (or None)."""
    name = str(fly.get("name", f"fly-out {k + 1}"))
    slug = _slug(f"{fly.get('threat', '')}-{fly.get('battery', '')}-{fly.get('shot', k + 1)}")
    t = np.asarray(fly.get("t_s", ()), dtype=float)
    packet, t_min, t_max = None, np.inf, -np.inf
    if t.size >= 2:
        described = dict(fly, name=name, description=fly.get("description") or _flyout_text(fly))
        packet, t_min, t_max = _track_packet(described, epoch, _unique(f"flyout-{slug}", used_ids), path_width_px,
                                             default_color="#2e86c1")
    point = fly.get("intercept")
    if point is None:
        return packet, t_min, t_max, None
    t_i = float(point["t_s"])
    return packet, min(t_min, t_i), max(t_max, t_i), (fly, point, _unique(f"intercept-{slug}", used_ids))


def _site_packet(site: Mapping[str, Any], used_ids: set[str]) -> Packet:
    """A labelled point for a site, coloured by its kind."""
    name = str(site.get("name", "site"))
    kind = str(site.get("kind", "")).lower()
    rgba = parse_color(site.get("color") or _SITE_COLORS.get(kind, "grey"))
    return Packet(
        id=_unique(f"site-{_slug(name)}", used_ids),
        name=name,
        description=f"{kind or 'site'}: {name}",
        position=Position(cartographicDegrees=[float(site["lon_deg"]), float(site["lat_deg"]),
                                               float(site.get("alt_km") or 0.0) * 1e3]),
        point=Point(pixelSize=9, color=Color(rgba=rgba), outlineColor=Color(rgba=[255, 255, 255, 255]),
                    outlineWidth=1),
        label=Label(text=name, font="12pt sans-serif", fillColor=Color(rgba=[255, 255, 255, 255]),
                    outlineColor=Color(rgba=[0, 0, 0, 255]), outlineWidth=2, style="FILL_AND_OUTLINE",
                    show=True),
    )


def _intercept_packet(fly: Mapping[str, Any], point: Mapping[str, Any], packet_id: str, epoch: dt.datetime,
                      t_max: float) -> Packet:
    """The intercept point of a fly-out, shown from the intercept to the end of the clock."""
    t_i = float(point["t_s"])
    shot = fly.get("shot")
    label = "intercept" + (f" (shot {shot})" if shot is not None else "")
    return Packet(
        id=packet_id,
        name=f"{label}: {fly.get('threat', fly.get('name', ''))}".rstrip(": "),
        description=(f"{fly.get('threat', 'threat')} met by {fly.get('interceptor') or 'an interceptor'} from "
                     f"{fly.get('battery', 'its battery')} at {t_i:.1f} s after the threat's launch, "
                     f"{float(point['alt_km']):.1f} km up"),
        availability=TimeInterval(start=_iso(epoch + dt.timedelta(seconds=t_i)),
                                  end=_iso(epoch + dt.timedelta(seconds=max(t_i, float(t_max))))),
        position=Position(cartographicDegrees=[wrap_lon(float(point["lon_deg"]), degrees=True),
                                               float(point["lat_deg"]), float(point["alt_km"]) * 1e3]),
        point=Point(pixelSize=10, color=Color(rgba=[241, 196, 15, 255]),
                    outlineColor=Color(rgba=[0, 0, 0, 255]), outlineWidth=1),
        label=Label(text=label, font="11pt sans-serif", fillColor=Color(rgba=[241, 196, 15, 255]),
                    outlineColor=Color(rgba=[0, 0, 0, 255]), outlineWidth=2, style="FILL_AND_OUTLINE",
                    pixelOffset={"cartesian2": [0, -18]}, show=True),
    )


def _preamble(document_name: str, epoch: dt.datetime, t_min: float, t_max: float) -> Packet:
    """The document packet, with a clock over [t_min, t_max] after the epoch (the epoch alone if empty)."""
    if np.isfinite(t_min):
        clock_start, clock_end = epoch + dt.timedelta(seconds=t_min), epoch + dt.timedelta(seconds=t_max)
    else:
        clock_start = clock_end = epoch
    return Packet(
        id="document",
        name=document_name,
        version=CZML_VERSION,
        clock=Clock(
            interval=TimeInterval(start=_iso(clock_start), end=_iso(clock_end)),
            currentTime=_iso(clock_start),
            multiplier=20,
            range="LOOP_STOP",
            step="SYSTEM_CLOCK_MULTIPLIER",
        ),
    )


def _track_packet(track: Mapping[str, Any], epoch: dt.datetime, packet_id: str, path_width_px: float,
                  default_color: str = "orange") -> tuple[Packet, float, float]:
    """One sampled-position packet with a path; returns it with its first and last time."""
    name = str(track["name"])
    t = np.asarray(track["t_s"], dtype=float)
    lat = np.asarray(track["lat_deg"], dtype=float)
    lon = np.asarray(track["lon_deg"], dtype=float)
    alt_m = np.asarray(track["alt_km"], dtype=float) * 1e3
    if not (t.shape == lat.shape == lon.shape == alt_m.shape) or t.ndim != 1:
        raise ValueError(f"track {name!r}: t_s, lat_deg, lon_deg, alt_km must be 1-D arrays of one length")
    ok = np.isfinite(t) & np.isfinite(lat) & np.isfinite(lon) & np.isfinite(alt_m)
    t, lat, lon, alt_m = t[ok], lat[ok], lon[ok], alt_m[ok]
    if t.size < 2:
        raise ValueError(f"track {name!r}: needs at least two finite samples")
    if np.any(np.diff(t) <= 0):
        raise ValueError(f"track {name!r}: t_s must increase strictly")
    start = epoch + dt.timedelta(seconds=float(t[0]))
    end = epoch + dt.timedelta(seconds=float(t[-1]))
    samples = np.column_stack([t - t[0], wrap_lon(lon, degrees=True), lat, alt_m])
    rgba = parse_color(track.get("color"), default=default_color)
    packet = Packet(
        id=packet_id,
        name=name,
        description=track.get("description"),
        availability=TimeInterval(start=_iso(start), end=_iso(end)),
        position=Position(
            epoch=_iso(start),
            cartographicDegrees=[float(v) for v in samples.ravel()],
            interpolationAlgorithm="LAGRANGE",
            interpolationDegree=5,
        ),
        path=CzmlPath(
            show=True,
            width=path_width_px,
            leadTime=0,
            trailTime=float(t[-1] - t[0]),
            resolution=max(1.0, float(np.median(np.diff(t)))),
            material=PolylineMaterial(solidColor=SolidColorMaterial(color=Color(rgba=rgba))),
        ),
        point=Point(pixelSize=6, color=Color(rgba=rgba)),
    )
    return packet, float(t[0]), float(t[-1])


def _flyout_text(fly: Mapping[str, Any]) -> str:
    """One line on a fly-out: who flies, when (seconds after the threat's launch), how."""
    parts = [f"{fly.get('interceptor') or 'interceptor'} from {fly.get('battery', 'its battery')}"
             f" at {fly.get('threat', 'the threat')}"]
    if fly.get("launch_s") is not None and fly.get("intercept_s") is not None:
        parts.append(f"launched {float(fly['launch_s']):.1f} s, intercept {float(fly['intercept_s']):.1f} s "
                     "after the threat's launch")
    if fly.get("guidance"):
        parts.append(f"{fly['guidance']} fly-out, kick {fly.get('kick_deg')}°, azimuth {fly.get('azimuth_deg')}°")
    return "; ".join(parts)


def _unique(base: str, used: set[str]) -> str:
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    used.add(candidate)
    return candidate


def write_czml(path: str | os.PathLike[str], tracks: Sequence[Mapping[str, Any]], epoch_iso: str,
               sites: Sequence[Mapping[str, Any]] = (), **options: Any) -> Path:
    """``trajectories_to_czml`` written to ``path`` atomically; returns the path."""
    return atomic_write_text(path, trajectories_to_czml(tracks, epoch_iso, sites, **options) + "\n")
