"""Generate the vendored map data in src/shieldsim/data/naturalearth/ from world-atlas.

The maps of the report draw land and borders from these files, so shieldsim never
downloads map data at run time. Source: the npm package world-atlas@2.0.2 (ISC licence),
a TopoJSON redistribution of Natural Earth 4.1.0 admin-0 countries (public domain).

Run once, by hand (needs npm and the development-only package `antimeridian`):

    mkdir -p /tmp/wa && (cd /tmp/wa && npm install world-atlas@2.0.2)
    .venv/bin/pip install antimeridian
    .venv/bin/python tools/make_naturalearth.py /tmp/wa/node_modules/world-atlas

Steps (ECOSYSTEM.md §6):
1. Decode the TopoJSON: delta-decode the quantized arcs, apply the transform, join arcs
   into rings (index ``~i`` means arc ``i`` reversed), build shapely polygons.
2. world-atlas keeps d3's spherical coordinates, so Russia, Fiji and Antarctica cross the
   antimeridian uncut. Every polygon that is invalid or spans more than 300° of longitude
   is cut with ``antimeridian.fix_polygon`` (wound counter-clockwise first), then made valid.
3. Borders are the arcs shared by two different countries (topojson's ``mesh(a !== b)``);
   lines that jump across the antimeridian are split.
4. Write, coordinates rounded to 4 decimals (about 10 m, finer than the 1:50m data):
   ``countries-{110m,50m}.geojson``: one Feature per country (``name``, ``iso_n3``);
   ``borders-{110m,50m}.geojson``: one Feature, a MultiLineString of land borders.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections import Counter
from pathlib import Path

import antimeridian
import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon, mapping
from shapely.geometry.polygon import orient

OUT = Path(__file__).resolve().parents[1] / "src/shieldsim/data/naturalearth"
DECIMALS = 4


def decode_arcs(topo: dict) -> list[np.ndarray]:
    """Quantized, delta-encoded arcs -> list of (n, 2) lon/lat arrays in degrees."""
    scale = np.asarray(topo["transform"]["scale"], dtype=float)
    translate = np.asarray(topo["transform"]["translate"], dtype=float)
    return [np.cumsum(np.asarray(arc, dtype=float), axis=0) * scale + translate for arc in topo["arcs"]]


def ring(arcs: list[np.ndarray], indices: list[int]) -> np.ndarray:
    parts = []
    for k, i in enumerate(indices):
        pts = arcs[i] if i >= 0 else arcs[~i][::-1]
        parts.append(pts if k == 0 else pts[1:])
    return np.concatenate(parts)


def polygons(arcs: list[np.ndarray], geometry: dict) -> list[Polygon]:
    if geometry["type"] == "Polygon":
        groups = [geometry["arcs"]]
    elif geometry["type"] == "MultiPolygon":
        groups = geometry["arcs"]
    else:
        return []
    out = []
    for rings in groups:
        shell, *holes = [ring(arcs, r) for r in rings]
        out.append(Polygon(shell, holes))
    return out


def cut_antimeridian(poly: Polygon) -> list[Polygon]:
    """Planar-valid pieces of one spherical polygon; degenerate ones (zero area) dropped."""
    if poly.area == 0.0:
        return []
    lon_min, _, lon_max, _ = poly.bounds
    if poly.is_valid and lon_max - lon_min <= 300.0:
        return [poly]
    fixed = shapely.make_valid(poly)
    if lon_max - lon_min > 300.0:
        # The winding decides which side of the ring is inside (Antarctica at 1:50m comes
        # out as its complement one way round): no country covers half the globe, so
        # keep the smallest reading.
        readings = []
        for options in ({"fix_winding": True}, {"force_south_pole": True}, {"force_north_pole": True}):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    readings.append(shapely.make_valid(antimeridian.fix_polygon(orient(poly, 1.0), **options)))
            except ValueError:
                continue
        fixed = min(readings, key=lambda g: g.area)
    # Natural Earth's Antarctica runs along -89.999°; cutting it leaves a sliver between
    # there and the pole that spans all longitudes. Drop such polar slivers (< 0.01° tall).
    def polar_sliver(g: Polygon) -> bool:
        _, lat_min, _, lat_max = g.bounds
        return lat_max - lat_min < 0.01 and max(abs(lat_min), abs(lat_max)) > 89.9

    return [g for g in getattr(fixed, "geoms", [fixed])
            if isinstance(g, Polygon) and not g.is_empty and not polar_sliver(g)]


def split_line(pts: np.ndarray) -> list[np.ndarray]:
    jumps = np.nonzero(np.abs(np.diff(pts[:, 0])) > 180.0)[0]
    pieces = np.split(pts, jumps + 1)
    return [p for p in pieces if len(p) >= 2]


def rounded(geom_mapping: dict) -> dict:
    def walk(c):
        if isinstance(c, (list, tuple)) and c and isinstance(c[0], (int, float)):
            return [round(float(v), DECIMALS) for v in c]
        return [walk(x) for x in c]

    return {"type": geom_mapping["type"], "coordinates": walk(geom_mapping["coordinates"])}


def countries(topo: dict, arcs: list[np.ndarray]) -> dict:
    features = []
    for g in topo["objects"]["countries"]["geometries"]:
        parts = [p for poly in polygons(arcs, g) for p in cut_antimeridian(poly)]
        if not parts:
            continue
        geom = shapely.make_valid(MultiPolygon(parts)) if len(parts) > 1 else parts[0]
        geom = shapely.set_precision(geom, 10.0**-DECIMALS)
        if geom.is_empty:
            continue
        features.append({
            "type": "Feature",
            "properties": {"name": g.get("properties", {}).get("name", ""), "iso_n3": g.get("id")},
            "geometry": rounded(mapping(geom)),
        })
    return {"type": "FeatureCollection", "features": features}


def borders(topo: dict, arcs: list[np.ndarray]) -> dict:
    """Arcs used by two different countries: the land borders, without the coastline."""
    users: dict[int, set[int]] = {}
    for k, g in enumerate(topo["objects"]["countries"]["geometries"]):
        groups = [g["arcs"]] if g["type"] == "Polygon" else g.get("arcs", []) if g["type"] == "MultiPolygon" else []
        for rings in groups:
            for r in rings:
                for i in r:
                    users.setdefault(i if i >= 0 else ~i, set()).add(k)
    shared = sorted(i for i, who in users.items() if len(who) > 1)
    lines = [LineString(p) for i in shared for p in split_line(arcs[i])]
    geom = rounded(mapping(MultiLineString(lines)))
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {"kind": "border"}, "geometry": geom}]}


def dump(obj: dict, path: Path) -> None:
    path.write_text(json.dumps(obj, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{path.relative_to(OUT.parents[3])}: {path.stat().st_size / 1e6:.2f} MB")


def main(world_atlas: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for scale in ("110m", "50m"):
        topo = json.loads((world_atlas / f"countries-{scale}.json").read_text())
        arcs = decode_arcs(topo)
        fc = countries(topo, arcs)
        assert all(shapely.geometry.shape(f["geometry"]).is_valid for f in fc["features"])
        dump(fc, OUT / f"countries-{scale}.geojson")
        dump(borders(topo, arcs), OUT / f"borders-{scale}.geojson")
    print("countries per file:", Counter(len(json.loads(p.read_text())["features"])
                                          for p in OUT.glob("countries-*.geojson")))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "node_modules/world-atlas"))
