"""Maps for the report: defended-area footprints and ground tracks with reach circles.

Drawn with matplotlib, by default on a plain longitude/latitude grid (equirectangular,
the aspect set so that shapes are true at the map's middle latitude), where every
layer is simply in degrees. A pyproj projection can be asked for instead: the north
polar view shows ICBM routes from Russia to the United States as the near-straight
lines they are. No cartopy is needed. Land and borders come from the vendored
Natural Earth outlines in ``shieldsim/data/naturalearth`` (public domain, see its
README); nothing is downloaded. Reach circles are WGS84 geodesic circles (pyproj).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import shapely
from matplotlib.collections import LineCollection
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.ticker import FuncFormatter, MaxNLocator
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon, shape

from shieldsim.export.geojson import (
    circle_geometry,
    defended_geometry,
    geodesic_circle,
    grid_cell_edges,
    split_at_antimeridian,
)
from shieldsim.report.plots import new_figure

__all__ = [
    "EUROPE_EXTENT",
    "MapFrame",
    "SITE_STYLES",
    "base_map",
    "load_borders",
    "load_countries",
    "plot_footprint",
    "plot_ground_tracks",
]

#: The footprint contract's default region: 25° W–45° E, 34–72° N.
EUROPE_EXTENT = (-25.0, 45.0, 34.0, 72.0)

LAND_COLOR = "#ece6d6"
SEA_COLOR = "#dbe9f4"
COAST_COLOR = "#7a7a7a"
BORDER_COLOR = "#9a9a9a"
DEFENDED_LIGHT = "#cdeac0"
DEFENDED_DARK = "#3f8f55"
DEFENDED_EDGE = "#0e3d1d"
REACH_COLOR = "#6c3483"

#: Site kind → (marker, colour, legend label). Unknown kinds get a grey dot.
SITE_STYLES: dict[str, tuple[str, str, str]] = {
    "interceptor": ("^", "#1f4e9c", "interceptor site"),
    "battery": ("^", "#1f4e9c", "interceptor site"),
    "radar": ("D", "#117a65", "radar"),
    "infrared": ("s", "#7d3c98", "early-warning satellite ground point"),
    "sensor": ("D", "#117a65", "sensor"),
    "launch": ("*", "#c0392b", "launch site"),
    "target": ("o", "#1b2631", "target"),
    "city": ("o", "#1b2631", "city"),
}
_DEFAULT_SITE_STYLE = ("o", "#566573", "site")


def _data_file(name: str) -> str:
    return resources.files("shieldsim").joinpath("data", "naturalearth", name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=4)
def load_countries(scale: str = "50m") -> tuple[tuple[str, Polygon | MultiPolygon], ...]:
    """Country outlines ``(name, geometry)`` from the vendored Natural Earth data.

    ``scale`` is ``"110m"`` (coarse, world views) or ``"50m"`` (regional maps). The
    geometries are planar lon/lat, already cut at the antimeridian.
    """
    if scale not in ("110m", "50m"):
        raise ValueError(f"scale must be '110m' or '50m', not {scale!r}")
    collection = json.loads(_data_file(f"countries-{scale}.geojson"))
    return tuple((f["properties"].get("name", ""), shape(f["geometry"])) for f in collection["features"])


@functools.lru_cache(maxsize=4)
def load_borders(scale: str = "50m") -> MultiLineString:
    """Land borders between countries (no coastline) from the vendored data."""
    if scale not in ("110m", "50m"):
        raise ValueError(f"scale must be '110m' or '50m', not {scale!r}")
    collection = json.loads(_data_file(f"borders-{scale}.geojson"))
    lines = [g for f in collection["features"] for g in getattr(shape(f["geometry"]), "geoms", [])]
    return MultiLineString(lines)


def _polygon_path(polygons: Sequence[Polygon]) -> MplPath:
    """One compound path (exteriors and holes) so holes are left unfilled."""
    vertices, codes = [], []
    for poly in polygons:
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)
            if len(xy) < 3:
                continue
            ring_codes = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            ring_codes[0], ring_codes[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            vertices.append(xy)
            codes.append(ring_codes)
    if not vertices:
        return MplPath(np.empty((0, 2)))
    return MplPath(np.concatenate(vertices), np.concatenate(codes))


def _polygons_of(geom: Any) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [] if geom.is_empty else [geom]
    return [g for part in getattr(geom, "geoms", []) for g in _polygons_of(part)]


def _lines_of(geom: Any) -> list[np.ndarray]:
    if isinstance(geom, LineString):
        return [] if geom.is_empty else [np.asarray(geom.coords)]
    if isinstance(geom, Polygon):
        return [np.asarray(r.coords) for r in (geom.exterior, *geom.interiors)]
    return [a for part in getattr(geom, "geoms", []) for a in _lines_of(part)]


def _check_extent(extent: Sequence[float]) -> tuple[float, float, float, float]:
    if len(extent) != 4:
        raise ValueError("extent must be (lon_min, lon_max, lat_min, lat_max)")
    lon_min, lon_max, lat_min, lat_max = (float(v) for v in extent)
    if not (-180.0 <= lon_min < lon_max <= 180.0 and -90.0 <= lat_min < lat_max <= 90.0):
        raise ValueError(f"extent {tuple(extent)} is not (lon_min < lon_max in [-180, 180], "
                         "lat_min < lat_max in [-90, 90])")
    return lon_min, lon_max, lat_min, lat_max


def _lon_label(x: float, _pos: Any = None) -> str:
    x = (x + 180.0) % 360.0 - 180.0 if abs(x) > 180.0 else x
    return "0°" if abs(x) < 1e-9 else f"{abs(x):g}°{'E' if x > 0 else 'W'}"


def _lat_label(y: float, _pos: Any = None) -> str:
    return "0°" if abs(y) < 1e-9 else f"{abs(y):g}°{'N' if y > 0 else 'S'}"


def _projection_crs(projection: str | None, extent: tuple[float, float, float, float]) -> str | None:
    """``None``/``"lonlat"`` → no projection; presets centred on the extent; else a PROJ/CRS string."""
    lon_min, lon_max, lat_min, lat_max = extent
    lon_0, lat_0 = 0.5 * (lon_min + lon_max), 0.5 * (lat_min + lat_max)
    if projection in (None, "lonlat"):
        return None
    if projection == "north_polar":
        return f"+proj=laea +lat_0=90 +lon_0={lon_0:g} +datum=WGS84 +units=m +no_defs"
    if projection == "laea":
        return f"+proj=laea +lat_0={lat_0:g} +lon_0={lon_0:g} +datum=WGS84 +units=m +no_defs"
    return projection


@dataclass(frozen=True)
class MapFrame:
    """A map drawn by ``base_map``: its axes, extent, and how to put lon/lat on it.

    With no projection the axes' data coordinates are degrees and ``xy`` is the
    identity; with one, ``xy`` projects (pyproj, metres on the map plane).
    """

    ax: Any
    extent: tuple[float, float, float, float]
    crs: str | None = None

    @functools.cached_property
    def _transformer(self) -> Any:
        from pyproj import Transformer

        return Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)

    def xy(self, lon_deg: Any, lat_deg: Any) -> tuple[np.ndarray, np.ndarray]:
        """Map-plane coordinates of points given in degrees."""
        lon = np.asarray(lon_deg, dtype=float)
        lat = np.asarray(lat_deg, dtype=float)
        if self.crs is None:
            return lon, lat
        x, y = self._transformer.transform(lon, lat)
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)

    def geometry(self, geom: Any, max_step_deg: float = 1.0) -> Any:
        """A lon/lat shapely geometry on the map plane (densified first, so edges curve)."""
        if self.crs is None or geom.is_empty:
            return geom
        dense = shapely.segmentize(geom, max_step_deg)
        return shapely.transform(dense, lambda c: np.column_stack(self.xy(c[:, 0], c[:, 1])))

    def line(self, lon_deg: Any, lat_deg: Any, **style: Any) -> list[Any]:
        """Draw a polyline given in degrees, cut at ±180° so no stroke crosses the map."""
        artists = []
        for piece in split_at_antimeridian(lon_deg, lat_deg):
            x, y = self.xy(piece[0], piece[1])
            artists += self.ax.plot(x, y, **style)
        return artists


def base_map(
    ax: Any,
    extent: Sequence[float] = EUROPE_EXTENT,
    scale: str = "auto",
    graticule: bool = True,
    projection: str | None = None,
) -> MapFrame:
    """Draw sea, land, coastlines and borders on ``ax`` for ``extent``.

    Parameters
    ----------
    ax : a matplotlib Axes.
    extent : ``(lon_min, lon_max, lat_min, lat_max)`` in degrees: what is drawn.
    scale : ``"50m"``, ``"110m"``, or ``"auto"`` (50m for maps up to 90° wide).
    graticule : draw a light lon/lat grid (labelled in degrees when unprojected).
    projection : ``None`` (plain lon/lat, the default), ``"north_polar"`` (Lambert
        azimuthal equal-area about the North Pole: the view for ICBM routes over the
        Arctic), ``"laea"`` (equal-area centred on the extent), or any PROJ string.

    Unprojected, the axes' data coordinates are longitude and latitude in degrees and
    the aspect is 1/cos(middle latitude), so shapes look right mid-map. Returns a
    ``MapFrame`` whose ``xy(lon, lat)`` places further layers on the map.
    """
    box_ = _check_extent(extent)
    lon_min, lon_max, lat_min, lat_max = box_
    frame = MapFrame(ax, box_, _projection_crs(projection, box_))
    if scale == "auto":
        scale = "50m" if lon_max - lon_min <= 90.0 else "110m"
    window = shapely.box(lon_min, lat_min, lon_max, lat_max)
    land_parts = [shapely.clip_by_rect(geom, *window.bounds) for _, geom in load_countries(scale)]
    land = shapely.union_all([g for g in land_parts if not g.is_empty])
    # Coastline = land outline minus the cuts made by the clip window and the antimeridian.
    cuts = shapely.union_all([window.boundary, LineString([(180, -90), (180, 90)]),
                              LineString([(-180, -90), (-180, 90)])]).buffer(1e-6)
    coast = shapely.difference(land.boundary, cuts)
    borders = shapely.clip_by_rect(load_borders(scale), *window.bounds)
    ax.set_facecolor("white")
    sea = frame.geometry(window)
    ax.add_patch(PathPatch(_polygon_path(_polygons_of(sea)), facecolor=SEA_COLOR, edgecolor="none", zorder=0.2))
    ax.add_patch(PathPatch(_polygon_path(_polygons_of(frame.geometry(land))), facecolor=LAND_COLOR,
                           edgecolor="none", zorder=0.5))
    ax.add_collection(LineCollection(_lines_of(frame.geometry(coast)), colors=COAST_COLOR, linewidths=0.5,
                                     zorder=0.7))
    ax.add_collection(LineCollection(_lines_of(frame.geometry(borders)), colors=BORDER_COLOR, linewidths=0.45,
                                     linestyles=(0, (3, 1.5)), zorder=0.7))
    ax.tick_params(labelsize=8, length=2)
    if frame.crs is None:
        ax.set_xlim(lon_min, lon_max)
        ax.set_ylim(lat_min, lat_max)
        ax.set_aspect(_map_aspect(box_))
        ax.xaxis.set_major_formatter(FuncFormatter(_lon_label))
        ax.yaxis.set_major_formatter(FuncFormatter(_lat_label))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 2.5, 5, 10]))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
        if graticule:
            ax.grid(True, color="white", linewidth=0.5, alpha=0.8, zorder=0.8)
            ax.set_axisbelow(False)
        return frame
    x0, y0, x1, y1 = sea.bounds
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if graticule:
        # Meridians stop 10° short of the poles, where they would crowd into a white star.
        lines = [LineString([(lon, max(lat_min, -80.0)), (lon, min(lat_max, 80.0))])
                 for lon in np.arange(-180.0, 180.0, 30.0) if lon_min <= lon <= lon_max]
        lines += [LineString([(lon_min, lat), (lon_max, lat)])
                  for lat in np.arange(-80.0, 90.0, 10.0) if lat_min < lat < lat_max]
        ax.add_collection(LineCollection([xy for g in lines for xy in _lines_of(frame.geometry(g))],
                                         colors="white", linewidths=0.5, alpha=0.8, zorder=0.8))
    return frame


def _map_aspect(extent: Sequence[float]) -> float:
    mid_lat = 0.5 * (float(extent[2]) + float(extent[3]))
    return 1.0 / max(math.cos(math.radians(mid_lat)), 0.2)


def _map_figsize(extent: Sequence[float], width_in: float, extra_width_in: float = 0.0,
                 projection: str | None = None) -> tuple[float, float]:
    """Figure size whose map panel fits the extent's shape, plus room for title and labels."""
    box_ = _check_extent(extent)
    crs = _projection_crs(projection, box_)
    if crs is None:
        ratio = (box_[3] - box_[2]) * _map_aspect(box_) / (box_[1] - box_[0])
    else:
        frame = MapFrame(None, box_, crs)
        x0, y0, x1, y1 = frame.geometry(shapely.box(box_[0], box_[2], box_[1], box_[3])).bounds
        ratio = (y1 - y0) / (x1 - x0)
    panel_w = width_in - extra_width_in - 0.8
    return width_in, float(np.clip(panel_w * ratio + 1.0, 3.0, 10.0))


def _site_style(kind: Any) -> tuple[str, str, str]:
    return SITE_STYLES.get(str(kind).lower(), _DEFAULT_SITE_STYLE) if kind is not None else _DEFAULT_SITE_STYLE


def _draw_sites(frame: MapFrame, sites: Sequence[Mapping[str, Any]], label_points: bool = True) -> list[Line2D]:
    """Markers and names for the sites inside the map's extent; one legend handle per kind drawn."""
    handles: dict[str, Line2D] = {}
    lon_min, lon_max, lat_min, lat_max = frame.extent
    for site in sites:
        if not (lon_min <= float(site["lon_deg"]) <= lon_max and lat_min <= float(site["lat_deg"]) <= lat_max):
            continue
        marker, color, label = _site_style(site.get("kind"))
        x, y = frame.xy([float(site["lon_deg"])], [float(site["lat_deg"])])
        size = 13 if marker == "*" else 8
        frame.ax.plot(x, y, linestyle="none", marker=marker, markersize=size, color=color,
                      markeredgecolor="white", markeredgewidth=0.8, zorder=6)
        if label_points and site.get("name"):
            frame.ax.annotate(str(site["name"]), (x[0], y[0]), xytext=(5, 4), textcoords="offset points",
                              fontsize=8, color="#1b2631", zorder=7, annotation_clip=True,
                              bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none",
                                    "alpha": 0.7})
        handles.setdefault(label, Line2D([], [], linestyle="none", marker=marker, markersize=size * 0.8,
                                         color=color, label=label))
    return list(handles.values())


def plot_footprint(
    lat_deg: Sequence[float],
    lon_deg: Sequence[float],
    defended: Any,
    shot_opportunities: Any,
    sites: Sequence[Mapping[str, Any]] = (),
    launch: Mapping[str, Any] | None = None,
    title: str = "Defended area",
    extent: Sequence[float] | None = None,
    note: str | None = None,
    projection: str | None = None,
) -> Figure:
    """Map of the aim points the defence can protect, shaded by shot opportunities.

    Parameters
    ----------
    lat_deg, lon_deg : (ny,), (nx,) centres of the aim-point grid, degrees.
    defended : (ny, nx) bool, true where a threat aimed there can be engaged.
    shot_opportunities : (ny, nx) int, the look-and-shoot chances per threat.
    sites : ``[{name, lat_deg, lon_deg, kind}]``; ``kind`` one of ``SITE_STYLES``
        (interceptor, radar, infrared, sensor, launch, target, city) or anything else.
    launch : ``{name, lat_deg, lon_deg}`` of the threat's launch site, or ``None``.
    title : the map's title.
    extent : map extent; by default the grid's bounds.
    note : a line of small print under the map (e.g. the defended fraction, the seed).
    projection : as in ``base_map`` (default plain lon/lat).

    Undefended cells are left clear; defended cells are shaded from one shot
    opportunity (light) upwards, with a dark outline around the whole defended area.
    """
    lat = np.asarray(lat_deg, dtype=float)
    lon = np.asarray(lon_deg, dtype=float)
    mask = np.asarray(defended).astype(bool)
    shots = np.asarray(shot_opportunities)
    if mask.shape != (lat.size, lon.size) or shots.shape != mask.shape:
        raise ValueError(f"plot_footprint: defended {mask.shape} and shot_opportunities {shots.shape} "
                         f"must both be (len(lat_deg), len(lon_deg)) = {(lat.size, lon.size)}")
    lat_edges, lon_edges = grid_cell_edges(lat), grid_cell_edges(lon)
    if extent is None:
        extent = (max(lon_edges.min(), -180.0), min(lon_edges.max(), 180.0),
                  max(lat_edges.min(), -90.0), min(lat_edges.max(), 90.0))
    fig = new_figure(*_map_figsize(extent, 8.5, extra_width_in=1.2, projection=projection))
    ax = fig.subplots()
    frame = base_map(ax, extent, projection=projection)
    levels = np.where(mask, np.maximum(np.nan_to_num(shots.astype(float), nan=1.0), 1.0), np.nan)
    n_colors = int(np.nanmax(levels)) if mask.any() else 1
    palette = ListedColormap([_blend(DEFENDED_LIGHT, DEFENDED_DARK, k / max(n_colors - 1, 1))
                              for k in range(n_colors)])
    norm = BoundaryNorm(np.arange(0.5, n_colors + 1.5), palette.N)
    lon_grid, lat_grid = np.meshgrid(np.clip(lon_edges, -180.0, 180.0), np.clip(lat_edges, -90.0, 90.0))
    x_grid, y_grid = frame.xy(lon_grid, lat_grid)
    # Opaque, between the land fill and the coastlines: translucent cells would show seams
    # where projected quads overlap, and the coast and borders stay readable on top.
    mesh = ax.pcolormesh(x_grid, y_grid, np.ma.masked_invalid(levels), cmap=palette, norm=norm,
                         shading="flat", zorder=0.6, linewidth=0, antialiased=False)
    if mask.any():
        outline = frame.geometry(defended_geometry(lat, lon, mask), max_step_deg=0.5)
        ax.add_collection(LineCollection(_lines_of(outline), colors=DEFENDED_EDGE, linewidths=1.1, zorder=3))
        bar = fig.colorbar(mesh, ax=ax, shrink=0.75, pad=0.02, ticks=np.arange(1, n_colors + 1))
        bar.set_label("Shot opportunities per threat")
    handles = [Patch(facecolor=_blend(DEFENDED_LIGHT, DEFENDED_DARK, 0.5), edgecolor=DEFENDED_EDGE,
                     label="defended aim points")]
    all_sites = list(sites)
    if launch is not None:
        all_sites.append({**launch, "kind": "launch"})
    handles += _draw_sites(frame, all_sites)
    ax.legend(handles=handles, loc="lower left", fontsize=8, framealpha=0.85)
    ax.set_title(title, fontsize=12)
    if note:
        fig.supxlabel(note, x=0.01, ha="left", fontsize=8, color="#555555")
    return fig


def _blend(a: str, b: str, t: float) -> tuple[float, float, float]:
    ca = np.array([int(a[i:i + 2], 16) for i in (1, 3, 5)]) / 255.0
    cb = np.array([int(b[i:i + 2], 16) for i in (1, 3, 5)]) / 255.0
    return tuple(float(v) for v in (1 - t) * ca + t * cb)


def _auto_extent(lons: list[np.ndarray], lats: list[np.ndarray], pad_deg: float = 5.0) -> tuple[float, ...]:
    lon = np.concatenate([np.ravel(x) for x in lons]) if lons else np.array([])
    lat = np.concatenate([np.ravel(y) for y in lats]) if lats else np.array([])
    ok = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = (lon[ok] + 180.0) % 360.0 - 180.0, lat[ok]
    if lon.size == 0:
        return EUROPE_EXTENT
    return (max(float(lon.min()) - pad_deg, -180.0), min(float(lon.max()) + pad_deg, 180.0),
            max(float(lat.min()) - pad_deg, -90.0), min(float(lat.max()) + pad_deg, 90.0))


def plot_ground_tracks(
    tracks: Sequence[Mapping[str, Any]],
    sites: Sequence[Mapping[str, Any]] = (),
    reach_circles: Sequence[Mapping[str, Any]] = (),
    extent: Sequence[float] | None = None,
    title: str = "Ground tracks",
    label_tracks: bool | None = None,
    projection: str | None = None,
) -> Figure:
    """Map of threat ground tracks, coloured by whether the defence can engage them.

    Parameters
    ----------
    tracks : ``[{name, lat_deg (n,), lon_deg (n,), engageable: bool}]``; an optional
        ``color`` overrides the colour. Engageable tracks are solid blue, the others
        dashed orange; each ends with a cross at impact. Tracks crossing ±180° are cut.
    sites : ``[{name, lat_deg, lon_deg, kind}]`` as in ``plot_footprint``.
    reach_circles : ``[{lat_deg, lon_deg, radius_km, label}]``: geodesic circles
        (WGS84, drawn counter-clockwise), e.g. how far an interceptor gets in time.
    extent : ``(lon_min, lon_max, lat_min, lat_max)``; by default everything drawn
        plus a margin (with ``projection="north_polar"``: everything north of 20° N).
    title : the map's title.
    label_tracks : write track names at their ends; by default only for ≤ 12 tracks.
    projection : as in ``base_map``; ``"north_polar"`` suits ICBM routes over the Arctic.
    """
    circles = [(c, *geodesic_circle(c["lat_deg"], c["lon_deg"], c["radius_km"])) for c in reach_circles]
    if extent is None:
        if projection == "north_polar":
            extent = (-180.0, 180.0, 20.0, 90.0)
        else:
            extent = _auto_extent(
                [np.asarray(t["lon_deg"], dtype=float) for t in tracks] + [np.array([s["lon_deg"]]) for s in sites]
                + [lon for _, lon, _ in circles],
                [np.asarray(t["lat_deg"], dtype=float) for t in tracks] + [np.array([s["lat_deg"]]) for s in sites]
                + [lat for _, _, lat in circles])
    wide = extent[1] - extent[0] > 90
    fig = new_figure(*_map_figsize(extent, 10.0 if wide else 8.5, projection=projection))
    ax = fig.subplots()
    frame = base_map(ax, extent, projection=projection)
    window = shapely.box(extent[0], extent[2], extent[1], extent[3])
    handles: list[Any] = []
    for circle, lon_c, lat_c in circles:
        area = shapely.intersection(circle_geometry(circle["lat_deg"], circle["lon_deg"], circle["radius_km"]),
                                    window)
        ax.add_patch(PathPatch(_polygon_path(_polygons_of(frame.geometry(area))), facecolor=REACH_COLOR,
                               alpha=0.07, edgecolor="none", zorder=1))
        frame.line(lon_c, lat_c, color=REACH_COLOR, linewidth=1.2, linestyle=(0, (5, 3)), zorder=2)
        inside = shapely.contains_xy(window.buffer(1e-9), lon_c, lat_c)
        if circle.get("label") and inside.any():
            # Label the circle at its highest point on the map that lies inside the extent.
            x, y = frame.xy(lon_c[inside], lat_c[inside])
            top = int(np.argmax(y))
            ax.annotate(str(circle["label"]), (x[top], y[top]), xytext=(0, 3), textcoords="offset points",
                        ha="center", va="bottom", fontsize=8, color=REACH_COLOR, zorder=7, annotation_clip=True)
    if circles:
        handles.append(Line2D([], [], color=REACH_COLOR, linestyle=(0, (5, 3)), label="interceptor reach"))
    label_tracks = len(tracks) <= 12 if label_tracks is None else label_tracks
    seen = set()
    for track in tracks:
        engageable = bool(track.get("engageable", False))
        color = track.get("color") or ("#1f4e9c" if engageable else "#d35400")
        style = "-" if engageable else (0, (4, 2))
        lat = np.asarray(track["lat_deg"], dtype=float)
        lon = np.asarray(track["lon_deg"], dtype=float)
        ok = np.isfinite(lat) & np.isfinite(lon)
        lat, lon = lat[ok], lon[ok]
        if lat.size == 0:
            continue
        frame.line(lon, lat, color=color, linestyle=style, linewidth=1.6, zorder=4)
        x, y = frame.xy([(lon[-1] + 180.0) % 360.0 - 180.0], [lat[-1]])
        ax.plot(x, y, marker="x", color=color, markersize=6, markeredgewidth=1.6, zorder=5)
        if label_tracks and track.get("name"):
            ax.annotate(str(track["name"]), (x[0], y[0]), xytext=(4, -9), textcoords="offset points",
                        fontsize=7, color=color, zorder=7, annotation_clip=True)
        if engageable not in seen:
            seen.add(engageable)
            handles.append(Line2D([], [], color="#1f4e9c" if engageable else "#d35400", linestyle=style,
                                  label="engageable" if engageable else "not engageable"))
    handles += _draw_sites(frame, sites)
    if handles:
        ax.legend(handles=handles, loc="lower left", fontsize=8, framealpha=0.85)
    ax.set_title(title, fontsize=12)
    return fig
