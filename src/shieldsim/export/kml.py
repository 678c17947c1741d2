"""KML for Google Earth: trajectories as 3-D lines, sites as points, defended areas as polygons.

Trajectories are LineStrings with ``altitudeMode`` absolute (heights above the WGS84
ellipsoid in metres, which Google Earth reads as above sea level: the geoid differs by
under 100 m, invisible at missile scale). Each kind of object sits in its own folder
so it can be switched on and off. Written with simplekml.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import simplekml

from shieldsim.export.czml import parse_color
from shieldsim.io import atomic_write_text

__all__ = ["trajectories_to_kml", "write_kml"]

_SITE_COLORS = {"interceptor": "blue", "battery": "blue", "radar": "green", "sensor": "green",
                "infrared": "purple", "launch": "red", "target": "black", "city": "black"}


def _kml_color(color: Any, alpha: int | None = None) -> str:
    r, g, b, a = parse_color(color)
    return simplekml.Color.rgb(r, g, b, a if alpha is None else alpha)


def _description(row: Mapping[str, Any], skip: Sequence[str]) -> str | None:
    """Scalar fields as "key: value" lines (simplekml escapes the text)."""
    lines = [f"{k}: {v}" for k, v in row.items()
             if k not in skip and np.ndim(v) == 0 and v is not None]
    return "\n".join(lines) or None


def trajectories_to_kml(
    tracks: Sequence[Mapping[str, Any]],
    sites: Sequence[Mapping[str, Any]] = (),
    areas: Mapping[str, Any] | None = None,
    document_name: str = "shieldsim",
    extrude: bool = False,
    flyouts: Sequence[Mapping[str, Any]] | None = None,
    epoch_iso: str | None = None,
) -> str:
    """Trajectories, sites and (optionally) defended areas as KML text.

    Parameters
    ----------
    tracks : ``[{name, lat_deg (n,), lon_deg (n,), alt_km (n,), color}]`` (``alt_km``
        optional: ground tracks are clamped to the ground); other scalar keys go into
        the placemark's description.
    sites : ``[{name, lat_deg, lon_deg, kind}]``, ``alt_km`` optional.
    areas : a GeoJSON FeatureCollection of (Multi)Polygons, e.g. from
        ``export.geojson.footprint_polygons``; each polygon becomes a placemark,
        filled translucent green and clamped to the ground.
    extrude : draw curtains from the trajectories down to the ground.
    flyouts : interceptor fly-outs, e.g. ``analyses.flyouts.flyout_tracks``: tracks (with
        ``t_s`` on the threat's clock) carrying an ``intercept`` ``{t_s, lat_deg, lon_deg,
        alt_km}``. They go into the folders "Interceptor fly-outs" (3-D lines from the
        battery to the intercept point) and "Intercept points"; launch and intercept
        times (seconds after the threat's launch) are in each description.
    epoch_iso : the threats' launch time (ISO 8601, as for the CZML); when given, each
        fly-out gets a ``TimeSpan`` from its launch to its intercept and each intercept
        point a ``TimeStamp``, so Google Earth's time slider plays them in step.

    One Placemark per track, per site, per polygon, per fly-out and per intercept point.
    """
    simplekml.Kml.resetidcounter()
    kml = simplekml.Kml(name=document_name)
    trajectories = kml.newfolder(name="Trajectories")
    for i, track in enumerate(tracks):
        name = str(track.get("name", f"track {i + 1}"))
        lat = np.asarray(track["lat_deg"], dtype=float)
        lon = np.asarray(track["lon_deg"], dtype=float)
        has_alt = track.get("alt_km") is not None
        alt_m = np.asarray(track["alt_km"], dtype=float) * 1e3 if has_alt else np.zeros_like(lat)
        if not (lat.shape == lon.shape == alt_m.shape) or lat.ndim != 1:
            raise ValueError(f"track {name!r}: lat_deg, lon_deg, alt_km must be 1-D arrays of one length")
        ok = np.isfinite(lat) & np.isfinite(lon) & np.isfinite(alt_m)
        coords = list(zip(lon[ok].tolist(), lat[ok].tolist(), alt_m[ok].tolist()))
        if len(coords) < 2:
            raise ValueError(f"track {name!r}: needs at least two finite samples")
        line = trajectories.newlinestring(name=name, coords=coords)
        line.altitudemode = simplekml.AltitudeMode.absolute if has_alt else simplekml.AltitudeMode.clamptoground
        line.extrude = int(bool(extrude and has_alt))
        line.tessellate = int(not has_alt)
        line.style.linestyle.color = _kml_color(track.get("color"))
        line.style.linestyle.width = 2.5
        if extrude and has_alt:
            line.style.polystyle.color = _kml_color(track.get("color"), alpha=60)
        description = _description(track, ("name", "lat_deg", "lon_deg", "alt_km", "t_s", "color"))
        if description:
            line.description = description
    if flyouts:
        _add_flyouts(kml, flyouts, epoch_iso)
    if sites:
        folder = kml.newfolder(name="Sites")
        for site in sites:
            kind = str(site.get("kind", "")).lower()
            alt_km = site.get("alt_km")
            point = folder.newpoint(name=str(site.get("name", "site")),
                                    coords=[(float(site["lon_deg"]), float(site["lat_deg"]),
                                             float(alt_km or 0.0) * 1e3)])
            point.altitudemode = (simplekml.AltitudeMode.absolute if alt_km
                                  else simplekml.AltitudeMode.clamptoground)
            point.style.iconstyle.color = _kml_color(site.get("color") or _SITE_COLORS.get(kind, "grey"))
            # No icon URL: the viewer's built-in default marker, so the file refers to nothing outside.
            point.style.iconstyle.icon = None
            point.description = _description(site, ("name", "lat_deg", "lon_deg", "alt_km", "color"))
    if areas is not None:
        _add_areas(kml.newfolder(name="Defended area"), areas)
    return kml.kml()


def _when(epoch: Any, t_s: float) -> str:
    import datetime as dt

    from shieldsim.export.czml import _iso

    return _iso(epoch + dt.timedelta(seconds=float(t_s)))


def _add_flyouts(kml: Any, flyouts: Sequence[Mapping[str, Any]], epoch_iso: str | None) -> None:
    from shieldsim.export.czml import _flyout_text, _parse_epoch

    epoch = _parse_epoch(epoch_iso) if epoch_iso is not None else None
    lines = kml.newfolder(name="Interceptor fly-outs")
    points = kml.newfolder(name="Intercept points")
    for k, fly in enumerate(flyouts):
        name = str(fly.get("name", f"fly-out {k + 1}"))
        lat = np.asarray(fly.get("lat_deg", ()), dtype=float)
        lon = np.asarray(fly.get("lon_deg", ()), dtype=float)
        alt_m = np.asarray(fly.get("alt_km", ()), dtype=float) * 1e3
        t = np.asarray(fly.get("t_s", ()), dtype=float)
        if not (lat.shape == lon.shape == alt_m.shape) or lat.ndim != 1:
            raise ValueError(f"fly-out {name!r}: lat_deg, lon_deg, alt_km must be 1-D arrays of one length")
        ok = np.isfinite(lat) & np.isfinite(lon) & np.isfinite(alt_m)
        text = fly.get("description") or _flyout_text(fly)
        if ok.sum() >= 2:
            line = lines.newlinestring(name=name, coords=list(zip(lon[ok].tolist(), lat[ok].tolist(),
                                                                 alt_m[ok].tolist())))
            line.altitudemode = simplekml.AltitudeMode.absolute
            line.style.linestyle.color = _kml_color(fly.get("color") or "#2e86c1")
            line.style.linestyle.width = 2.0
            line.description = text
            if epoch is not None and t.size == lat.size and np.isfinite(t[ok]).all():
                line.timespan.begin = _when(epoch, t[ok][0])
                line.timespan.end = _when(epoch, t[ok][-1])
        point = fly.get("intercept")
        if point is None:
            continue
        shot = fly.get("shot")
        mark = points.newpoint(name="intercept" + (f" (shot {shot})" if shot is not None else "")
                               + (f": {fly['threat']}" if fly.get("threat") else ""),
                               coords=[(float(point["lon_deg"]), float(point["lat_deg"]),
                                        float(point["alt_km"]) * 1e3)])
        mark.altitudemode = simplekml.AltitudeMode.absolute
        mark.style.iconstyle.color = _kml_color("yellow")
        mark.style.iconstyle.icon = None
        mark.description = (f"{fly.get('threat', 'threat')} met at {float(point['t_s']):.1f} s after its launch, "
                            f"{float(point['alt_km']):.1f} km up; " + text)
        if epoch is not None:
            mark.timestamp.when = _when(epoch, point["t_s"])


def _add_areas(folder: Any, areas: Mapping[str, Any]) -> None:
    for k, feature in enumerate(areas.get("features", [])):
        geometry = feature.get("geometry")
        if not geometry:
            continue
        props = feature.get("properties") or {}
        if geometry["type"] == "Polygon":
            polygons = [geometry["coordinates"]]
        elif geometry["type"] == "MultiPolygon":
            polygons = geometry["coordinates"]
        else:
            continue
        label = props.get("name") or (f"{props['shot_opportunities']} shot opportunities"
                                      if "shot_opportunities" in props else props.get("kind", f"area {k + 1}"))
        for rings in polygons:
            polygon = folder.newpolygon(name=str(label))
            polygon.outerboundaryis = [tuple(p[:2]) for p in rings[0]]
            if len(rings) > 1:
                polygon.innerboundaryis = [[tuple(p[:2]) for p in ring] for ring in rings[1:]]
            polygon.altitudemode = simplekml.AltitudeMode.clamptoground
            polygon.tessellate = 1
            polygon.style.polystyle.color = _kml_color("green", alpha=70)
            polygon.style.linestyle.color = _kml_color("#0e3d1d")
            polygon.style.linestyle.width = 1.5
            polygon.description = _description(props, ())


def write_kml(path: str | os.PathLike[str], tracks: Sequence[Mapping[str, Any]],
              sites: Sequence[Mapping[str, Any]] = (), **options: Any) -> Path:
    """``trajectories_to_kml`` written to ``path`` atomically (``flyouts=``, ``epoch_iso=``
    and the other options passed on); returns the path."""
    return atomic_write_text(path, trajectories_to_kml(tracks, sites, **options))
