"""GeoJSON (RFC 7946) for web maps and GIS: defended areas, sites, ground tracks, reach circles.

Coordinates are ``[longitude, latitude]`` in degrees on WGS84, with an optional third
value, the height in metres (RFC 7946 §3.1.1). Polygon exteriors wind counter-clockwise
and holes clockwise (§3.1.6); lines and polygons that cross the antimeridian are cut
there (§3.1.9), so planar GIS tools draw them correctly.

Also home to the small geometry helpers the maps share (``geodesic_circle``,
``split_at_antimeridian``, ``grid_cell_edges``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import shapely.affinity
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon, box, mapping
from shapely.geometry.polygon import orient

from shieldsim.earth import geodesic_circle_deg, wrap_lon
from shieldsim.io import atomic_write_text, dumps_json, to_jsonable

__all__ = [
    "circle_geometry",
    "circles_feature_collection",
    "defended_geometry",
    "footprint_polygons",
    "geodesic_circle",
    "grid_cell_edges",
    "points_feature_collection",
    "split_at_antimeridian",
    "tracks_feature_collection",
    "write_geojson",
]

WGS84 = Geod(ellps="WGS84")

#: Row keys that hold a point's position; every other key becomes a property.
_POSITION_KEYS = ("lat_deg", "lon_deg", "alt_km")
_TRACK_ARRAY_KEYS = ("lat_deg", "lon_deg", "alt_km", "t_s")


def geodesic_circle(lat_deg: float, lon_deg: float, radius_km: float, n: int = 181) -> tuple[np.ndarray, np.ndarray]:
    """Points on the WGS84 geodesic circle of ``radius_km`` around a centre, counter-clockwise.

    Returns ``(lon_deg, lat_deg)`` arrays of ``n`` points, the first repeated at the end
    (a closed ring). Azimuths run from 360° down to 0° (north, west, south, east), i.e.
    counter-clockwise seen from above: the winding GeoJSON and cartopy's ``Geodetic``
    fills take as "the inside". Longitudes are in [-180, 180); a circle crossing the
    antimeridian must be split (``split_at_antimeridian``) before planar drawing.
    """
    if radius_km <= 0:
        raise ValueError(f"geodesic_circle: radius_km must be positive, got {radius_km}")
    lon, lat = geodesic_circle_deg(lat_deg, lon_deg, radius_km, np.linspace(360.0, 0.0, n))
    lon = wrap_lon(lon, degrees=True)
    lon[-1], lat[-1] = lon[0], lat[0]
    return lon, lat


def split_at_antimeridian(lon_deg: Sequence[float], lat_deg: Sequence[float],
                          *extra: Sequence[float]) -> list[tuple[np.ndarray, ...]]:
    """Cut a polyline where it jumps across ±180° longitude.

    Longitudes are wrapped to [-180, 180); a step of more than 180° is taken as a
    crossing, and both pieces get an end point on the meridian (+180° on the east side,
    -180° on the west), the latitude and any ``extra`` arrays (height, time)
    interpolated linearly. Returns a list of ``(lon, lat, *extra)`` tuples, one per
    piece with at least two points.
    """
    lon = wrap_lon(lon_deg, degrees=True)
    cols = [np.asarray(lat_deg, dtype=float), *(np.asarray(e, dtype=float) for e in extra)]
    if lon.size == 0:
        return []
    step = np.diff(lon)
    jumps = np.flatnonzero(np.abs(step) > 180.0)
    if jumps.size == 0:
        return [(lon, *cols)] if lon.size >= 2 else []
    # Crossing eastwards (179 → -179) leaves at +180 and re-enters at -180; westwards the reverse.
    exit_lon = np.where(step[jumps] < 0, 180.0, -180.0)
    next_lon = lon[jumps + 1] + np.where(step[jumps] < 0, 360.0, -360.0)
    frac = (exit_lon - lon[jumps]) / (next_lon - lon[jumps])
    mids = [c[jumps] + frac * (c[jumps + 1] - c[jumps]) for c in cols]
    bounds = np.concatenate([[0], jumps + 1, [lon.size]])
    pieces = []
    for k in range(bounds.size - 1):
        sl = slice(bounds[k], bounds[k + 1])
        head = [] if k == 0 else [-exit_lon[k - 1]]
        tail = [] if k == bounds.size - 2 else [exit_lon[k]]
        piece_lon = np.concatenate([head, lon[sl], tail])
        piece_cols = [np.concatenate([[] if k == 0 else [m[k - 1]], c[sl], [] if k == bounds.size - 2 else [m[k]]])
                      for c, m in zip(cols, mids)]
        if piece_lon.size >= 2:
            pieces.append((piece_lon, *piece_cols))
    return pieces


def grid_cell_edges(centres_deg: Sequence[float]) -> np.ndarray:
    """Cell edges (n+1) for cell centres (n): midpoints, the ends extended by half a step.

    Works for irregular but monotonic spacing. A single centre has no spacing to go by
    and raises ``ValueError``.
    """
    c = np.asarray(centres_deg, dtype=float)
    if c.ndim != 1 or c.size < 2:
        raise ValueError("grid_cell_edges: need at least two cell centres along each axis")
    mid = 0.5 * (c[1:] + c[:-1])
    return np.concatenate([[c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]])


def _check_grid(lat_deg: Any, lon_deg: Any, values: Any, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lat = np.asarray(lat_deg, dtype=float)
    lon = np.asarray(lon_deg, dtype=float)
    arr = np.asarray(values)
    if lat.ndim != 1 or lon.ndim != 1:
        raise ValueError("lat_deg and lon_deg must be 1-D (cell centres along each axis)")
    if arr.shape != (lat.size, lon.size):
        raise ValueError(f"{name} has shape {arr.shape}, expected (len(lat_deg), len(lon_deg)) = "
                         f"{(lat.size, lon.size)}")
    return lat, lon, arr


def defended_geometry(lat_deg: Sequence[float], lon_deg: Sequence[float], defended: Any) -> Polygon | MultiPolygon:
    """The union of the grid cells where ``defended`` is true, as one shapely geometry.

    ``lat_deg`` (ny,) and ``lon_deg`` (nx,) are cell centres, ``defended`` is (ny, nx).
    Cells run between midpoints of neighbouring centres. Runs of defended cells along a
    row are merged into rectangles first, so the union stays fast on fine grids; holes
    (undefended pockets) survive the union as interior rings.
    """
    lat, lon, mask = _check_grid(lat_deg, lon_deg, defended, "defended")
    mask = mask.astype(bool)
    lat_edges = grid_cell_edges(lat)
    lon_edges = grid_cell_edges(lon)
    boxes = []
    for j in range(lat.size):
        row = np.concatenate([[False], mask[j], [False]])
        changes = np.flatnonzero(row[1:] != row[:-1])
        for start, stop in zip(changes[::2], changes[1::2]):
            lo_lat, hi_lat = sorted((lat_edges[j], lat_edges[j + 1]))
            lo_lon, hi_lon = sorted((lon_edges[start], lon_edges[stop]))
            boxes.append(box(lo_lon, lo_lat, hi_lon, hi_lat))
    if not boxes:
        return MultiPolygon()
    merged = shapely.union_all(boxes)
    merged = shapely.make_valid(merged)
    polys = [g for g in getattr(merged, "geoms", [merged]) if isinstance(g, Polygon) and not g.is_empty]
    polys = [orient(p, 1.0) for p in polys]
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


def _geodesic_area_km2(geom: Polygon | MultiPolygon) -> float:
    """Area on the WGS84 ellipsoid; edges densified so cell sides follow their parallels."""
    if geom.is_empty:
        return 0.0
    area_m2, _ = WGS84.geometry_area_perimeter(shapely.segmentize(geom, 0.05))
    return abs(area_m2) / 1e6


def _feature(geom_mapping: dict[str, Any] | None, properties: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": to_jsonable(dict(properties)), "geometry": geom_mapping}


def _geometry_mapping(geom: Polygon | MultiPolygon) -> dict[str, Any] | None:
    if geom.is_empty:
        return None
    return to_jsonable(mapping(geom))


def footprint_polygons(
    lat_deg: Sequence[float],
    lon_deg: Sequence[float],
    defended: Any,
    shot_opportunities: Any | None = None,
    properties: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The defended area of a footprint grid as a GeoJSON FeatureCollection.

    Parameters
    ----------
    lat_deg, lon_deg : (ny,), (nx,) cell centres in degrees.
    defended : (ny, nx) bool, the aim points the defence can engage.
    shot_opportunities : optional (ny, nx) int; if given, one more Feature per count.
    properties : extra properties for the first Feature (e.g. scenario, launch site).

    Returns
    -------
    ``{"type": "FeatureCollection", "features": [...]}``. The first Feature is the
    whole defended area: ``kind="defended"``, ``cells`` (defended cells), ``area_km2``
    (geodesic, WGS84) and a (Multi)Polygon, or ``null`` geometry if nothing is
    defended. With ``shot_opportunities``, each count ``k > 0`` among defended cells
    adds a disjoint Feature ``kind="shot_opportunities"``, ``shot_opportunities=k``.
    """
    lat, lon, mask = _check_grid(lat_deg, lon_deg, defended, "defended")
    mask = mask.astype(bool)
    whole = defended_geometry(lat, lon, mask)
    features = [_feature(_geometry_mapping(whole), {
        "kind": "defended",
        "cells": int(mask.sum()),
        "area_km2": round(_geodesic_area_km2(whole), 1),
        **(properties or {}),
    })]
    if shot_opportunities is not None:
        _, _, shots = _check_grid(lat, lon, shot_opportunities, "shot_opportunities")
        shots = np.where(mask, np.asarray(shots), 0).astype(int)
        for k in sorted(int(v) for v in np.unique(shots) if v > 0):
            level = shots == k
            geom = defended_geometry(lat, lon, level)
            features.append(_feature(_geometry_mapping(geom), {
                "kind": "shot_opportunities",
                "shot_opportunities": k,
                "cells": int(level.sum()),
                "area_km2": round(_geodesic_area_km2(geom), 1),
            }))
    return {"type": "FeatureCollection", "features": features}


def points_feature_collection(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Points (sites, impact points, intercept points) as a FeatureCollection.

    Each row needs ``lat_deg`` and ``lon_deg``; an ``alt_km`` becomes the third
    coordinate in metres. Every other key (``name``, ``kind``, …) becomes a property;
    ``null`` positions (e.g. an intercept that never happens) give a ``null`` geometry.
    """
    features = []
    for i, row in enumerate(rows):
        if "lat_deg" not in row or "lon_deg" not in row:
            raise ValueError(f"points_feature_collection: row {i} lacks lat_deg/lon_deg")
        props = {k: v for k, v in row.items() if k not in _POSITION_KEYS}
        lat, lon = to_jsonable(row["lat_deg"]), to_jsonable(row["lon_deg"])
        if lat is None or lon is None:
            features.append(_feature(None, props))
            continue
        coords = [float(lon), float(lat)]
        alt = to_jsonable(row.get("alt_km"))
        if alt is not None:
            coords.append(float(alt) * 1e3)
        features.append(_feature({"type": "Point", "coordinates": coords}, props))
    return {"type": "FeatureCollection", "features": features}


def tracks_feature_collection(tracks: Iterable[Mapping[str, Any]],
                              flyouts: Iterable[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """Ground tracks or 3-D trajectories as LineStrings (MultiLineStrings if cut at ±180°).

    Each track: ``name``, ``lat_deg`` and ``lon_deg`` arrays, optional ``alt_km`` array
    (third coordinate, metres) and ``t_s`` array (gives ``start_s``/``end_s``
    properties). Scalar keys (``engageable``, ``missile``, …) become properties; other
    array keys are dropped.

    ``flyouts`` (e.g. ``analyses.flyouts.flyout_tracks``) are added after the tracks: each
    fly-out as a line like a track (``kind: "interceptor fly-out"``), then its
    ``intercept`` point as a Point feature (``kind: "intercept point"``, with ``threat``,
    ``battery``, ``shot`` and ``intercept_s``).
    """
    flyouts = list(flyouts or ())
    lines = [f for f in flyouts if len(f.get("lat_deg", ())) >= 2]
    collection = _track_features(list(tracks) + lines)
    points = [{"name": f"intercept (shot {f.get('shot', 1)}): {f.get('threat', '')}".rstrip(": "),
               "kind": "intercept point", "threat": f.get("threat"), "battery": f.get("battery"),
               "shot": f.get("shot"), "intercept_s": f["intercept"]["t_s"],
               "lat_deg": f["intercept"]["lat_deg"], "lon_deg": f["intercept"]["lon_deg"],
               "alt_km": f["intercept"]["alt_km"]} for f in flyouts if f.get("intercept") is not None]
    collection["features"] += points_feature_collection(points)["features"]
    return collection


def _track_features(tracks: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    features = []
    for i, track in enumerate(tracks):
        if "lat_deg" not in track or "lon_deg" not in track:
            raise ValueError(f"tracks_feature_collection: track {i} lacks lat_deg/lon_deg")
        lat = np.asarray(track["lat_deg"], dtype=float)
        lon = np.asarray(track["lon_deg"], dtype=float)
        extra = [np.asarray(track["alt_km"], dtype=float) * 1e3] if track.get("alt_km") is not None else []
        ok = np.isfinite(lat) & np.isfinite(lon)
        for e in extra:
            ok &= np.isfinite(e)
        pieces = split_at_antimeridian(lon[ok], lat[ok], *(e[ok] for e in extra))
        lines = [np.column_stack(p).round(6).tolist() for p in pieces]
        props = {k: v for k, v in track.items()
                 if k not in _TRACK_ARRAY_KEYS and np.ndim(v) == 0 and not isinstance(v, (list, tuple, dict))}
        if track.get("t_s") is not None and len(track["t_s"]):
            t = np.asarray(track["t_s"], dtype=float)
            props["start_s"], props["end_s"] = float(t[0]), float(t[-1])
        if not lines:
            geometry = None
        elif len(lines) == 1:
            geometry = {"type": "LineString", "coordinates": lines[0]}
        else:
            geometry = {"type": "MultiLineString", "coordinates": lines}
        features.append(_feature(geometry, props))
    return {"type": "FeatureCollection", "features": features}


def circles_feature_collection(circles: Iterable[Mapping[str, Any]], n: int = 181) -> dict[str, Any]:
    """Reach circles (``lat_deg``, ``lon_deg``, ``radius_km``, ``label``) as geodesic polygons.

    Counter-clockwise rings; a circle that crosses the antimeridian is cut into a
    MultiPolygon, and one that encloses a pole is closed along that pole. Keys other
    than the centre become properties, with ``centre_lat_deg``/``centre_lon_deg`` added.
    """
    features = []
    for c in circles:
        geom = circle_geometry(c["lat_deg"], c["lon_deg"], c["radius_km"], n=n)
        props = {k: v for k, v in c.items() if k not in ("lat_deg", "lon_deg")}
        props["centre_lat_deg"], props["centre_lon_deg"] = float(c["lat_deg"]), float(c["lon_deg"])
        features.append(_feature(_geometry_mapping(geom), props))
    return {"type": "FeatureCollection", "features": features}


def circle_geometry(lat_deg: float, lon_deg: float, radius_km: float, n: int = 181) -> Polygon | MultiPolygon:
    """A geodesic circle as a planar lon/lat shapely geometry, cut at ±180°, poles closed.

    The ring is unwrapped to a continuous longitude. If it winds once around the Earth
    it encloses a pole (the one on the centre's side), and the polygon is closed along
    that pole's latitude. The shape is then cut into 360°-wide windows and each piece
    shifted back into [-180, 180].
    """
    lon, lat = geodesic_circle(lat_deg, lon_deg, radius_km, n=n)
    if np.abs(np.diff(lon)).max() <= 180.0:
        return orient(Polygon(np.column_stack([lon, lat])), 1.0)
    unwrapped = np.degrees(np.unwrap(np.radians(lon)))
    winding = unwrapped[-1] - unwrapped[0]
    if abs(winding) > 180.0:
        pole = 90.0 if lat_deg >= 0 else -90.0
        xs = np.concatenate([unwrapped[:-1], [unwrapped[-2], unwrapped[0]]])
        ys = np.concatenate([lat[:-1], [pole, pole]])
        shape = Polygon(np.column_stack([xs, ys]))
    else:
        shape = Polygon(np.column_stack([unwrapped, lat]))
    shape = shapely.make_valid(shape)
    parts = []
    for shift in (-720.0, -360.0, 0.0, 360.0, 720.0):
        piece = shape.intersection(box(-180.0 - shift, -90.0, 180.0 - shift, 90.0))
        if not piece.is_empty and piece.area > 0:
            parts.append(shapely.affinity.translate(piece, xoff=shift))
    merged = shapely.union_all(parts)
    polys = [orient(g, 1.0) for g in getattr(merged, "geoms", [merged]) if isinstance(g, Polygon) and g.area > 0]
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


def write_geojson(path: str | os.PathLike[str], feature_collection: Mapping[str, Any]) -> Path:
    """Write a FeatureCollection to ``path`` atomically (compact JSON, UTF-8)."""
    if feature_collection.get("type") != "FeatureCollection":
        raise ValueError("write_geojson: expected a GeoJSON FeatureCollection")
    return atomic_write_text(path, dumps_json(feature_collection, indent=None) + "\n")
