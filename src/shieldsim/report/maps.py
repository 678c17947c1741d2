"""Maps for the report: defended-area footprints and ground tracks with reach circles.

Drawn with matplotlib, by default on a plain longitude/latitude grid (equirectangular,
the aspect set so that shapes are true at the map's middle latitude), where every
layer is simply in degrees. A pyproj projection can be asked for instead: the north
polar view shows ICBM routes from Russia to the United States as the near-straight
lines they are. No cartopy is needed. Land and borders come from the vendored
Natural Earth outlines in ``shieldsim/data/naturalearth`` (public domain, see its
README); nothing is downloaded. Reach circles are WGS84 geodesic circles (pyproj).

The footprint map tells apart the aim points the missile cannot reach (grey, hatched),
those it reaches that are not defended (orange) and the defended ones (green, by shot
opportunities), and draws the edge of the missile's reach; launch sites, batteries,
radars and the catalog's cities are marked. Every label is placed by ``place_labels``:
candidate spots around its point, then further out with a leader line, the first whose
text box (matplotlib's own extent, measured on the drawn figure) overlaps no other label,
marker or the legend and crosses no track. ``map_svg`` writes a map as inline SVG whose
label and legend groups carry ids, so a browser test can measure them as rendered.
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
from matplotlib.colors import BoundaryNorm, ListedColormap, to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.text import Annotation
from matplotlib.ticker import FuncFormatter, MaxNLocator
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon, shape

from shieldsim.earth import wrap_lon
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
    "LabelRequest",
    "MapFrame",
    "SITE_STYLES",
    "base_map",
    "catalog_cities",
    "display_name",
    "label_box",
    "load_borders",
    "load_countries",
    "map_alt_text",
    "map_labels",
    "map_svg",
    "place_labels",
    "plot_footprint",
    "plot_ground_tracks",
    "report_map",
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
    x = wrap_lon(x, degrees=True) if abs(x) > 180.0 else x
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
    # The base layers are rasterized in vector output (SVG, PDF): one embedded image instead
    # of thousands of coastline paths; labels, markers and tracks on top stay vector.
    base = [
        ax.add_patch(PathPatch(_polygon_path(_polygons_of(sea)), facecolor=SEA_COLOR, edgecolor="none", zorder=0.2)),
        ax.add_patch(PathPatch(_polygon_path(_polygons_of(frame.geometry(land))), facecolor=LAND_COLOR,
                               edgecolor="none", zorder=0.5)),
        ax.add_collection(LineCollection(_lines_of(frame.geometry(coast)), colors=COAST_COLOR, linewidths=0.5,
                                         zorder=0.7)),
        ax.add_collection(LineCollection(_lines_of(frame.geometry(borders)), colors=BORDER_COLOR, linewidths=0.45,
                                         linestyles=(0, (3, 1.5)), zorder=0.7)),
    ]
    for artist in base:
        artist.set_rasterized(True)
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
                                         colors="white", linewidths=0.5, alpha=0.8, zorder=0.8)).set_rasterized(True)
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


@functools.lru_cache(maxsize=1)
def _catalog_sites() -> dict[str, dict]:
    try:
        from shieldsim import catalog

        return {e["name"]: e for e in catalog.entries("site")}
    except Exception:  # the maps draw without the catalog (a broken catalog is reported elsewhere)
        return {}


def display_name(name: Any) -> str:
    """A site's name as a map writes it: a catalog site name becomes its place name
    (``"new-york"`` → "New York", ``"yoshkar-ola"`` → "Yoshkar-Ola", ``"fylingdales"`` →
    "Fylingdales"); anything else is kept as given."""
    text = str(name)
    entry = _catalog_sites().get(text)
    if entry is None:
        return text
    title = str(entry.get("title") or "")
    plain = text.replace("-", " ").lower()
    if title[: len(text)].replace("-", " ").lower() == plain:
        return title[: len(text)]
    return " ".join(w[:1].upper() + w[1:] for w in text.replace("-", " ").split())


def catalog_cities(groups: Sequence[str] | None = None) -> list[dict]:
    """The catalog's cities (site groups ending in ``-city``) as ``{name, lat_deg, lon_deg, kind: "city"}``."""
    rows = []
    for name, e in _catalog_sites().items():
        group = str(e.get("group") or "")
        if (group in groups) if groups is not None else group.endswith("-city"):
            rows.append({"name": name, "lat_deg": float(e["lat_deg"]), "lon_deg": float(e["lon_deg"]),
                         "kind": "city"})
    return rows


# --- labels that keep off each other and off the tracks ---------------------------------------

#: gid prefix of every placed map label (the SVG writes it as the label group's id).
LABEL_GID = "maplabel"
_LABEL_BOX = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8}
_LABEL_PAD = 0.15  # of the font size, as in _LABEL_BOX
_LABEL_GAP_PX = 1.5  # clearance kept between two labels, and between a label and an obstacle
#: First ring: eight directions around the point, cartographic preference (upper right first).
_RING0 = (45, 0, -45, 135, 180, -135, 90, -90)
#: Further rings (points from the marker) are reached by a leader line.
_LEADER_RINGS_PT = (14.0, 24.0, 36.0, 50.0, 66.0, 84.0)
_FAR_RINGS_PT = (105.0, 130.0, 160.0, 200.0)
_RING_N = tuple(range(0, 360, 360 // 16))  # sixteen directions on the leader rings


@dataclass
class LabelRequest:
    """A label to place next to a map point (map-plane coordinates).

    ``priority``: lower is placed first (launch sites and bases before cities);
    ``required``: never dropped (placed at the least bad spot if no free one is left;
    an optional label with no free spot is left out). ``marker_pt``: the marker's radius,
    points. ``anchors``: several points the label may sit at instead (a circle's outline),
    tried in order with the first ring only.
    """

    x: float
    y: float
    text: str
    priority: int = 5
    required: bool = True
    marker_pt: float = 4.0
    fontsize: float = 8.0
    color: str = "#1b2631"
    weight: str = "normal"
    leader: bool = True
    anchors: Sequence[tuple[float, float]] | None = None


def _alignment(angle_deg: float) -> tuple[str, str]:
    c, s = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
    ha = "left" if c > 0.3 else ("right" if c < -0.3 else "center")
    va = "bottom" if s > 0.3 else ("top" if s < -0.3 else "center")
    return ha, va


def _box_at(px: float, py: float, w: float, h: float, ha: str, va: str) -> tuple[float, float, float, float]:
    x0 = px if ha == "left" else (px - w if ha == "right" else px - w / 2)
    y0 = py if va == "bottom" else (py - h if va == "top" else py - h / 2)
    return x0, y0, x0 + w, y0 + h


def _overlaps(box: tuple[float, float, float, float], boxes: np.ndarray, gap: float = 0.0) -> bool:
    if boxes.size == 0:
        return False
    x0, y0, x1, y1 = box
    return bool(np.any((boxes[:, 0] < x1 + gap) & (boxes[:, 2] > x0 - gap)
                       & (boxes[:, 1] < y1 + gap) & (boxes[:, 3] > y0 - gap)))


def _hits(box: tuple[float, float, float, float], pts: np.ndarray, gap: float = 1.0) -> int:
    if pts.size == 0:
        return 0
    x0, y0, x1, y1 = box
    return int(np.count_nonzero((pts[:, 0] > x0 - gap) & (pts[:, 0] < x1 + gap)
                                & (pts[:, 1] > y0 - gap) & (pts[:, 1] < y1 + gap)))


def _dense_display_points(ax: Any, lines: Sequence[Any], step_px: float = 2.0) -> np.ndarray:
    """Display-space points every ``step_px`` along polylines (map-plane (n, 2) arrays or Line2D)."""
    out = []
    for line in lines:
        xy = np.asarray(line.get_xydata() if hasattr(line, "get_xydata") else line, dtype=float)
        if xy.ndim != 2 or len(xy) < 2:
            continue
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        if len(xy) < 2:
            continue
        p = ax.transData.transform(xy)
        seg = np.diff(p, axis=0)
        n = np.maximum(np.ceil(np.hypot(seg[:, 0], seg[:, 1]) / step_px).astype(int), 1)
        t = np.concatenate([np.arange(k) / k for k in n])
        start = np.repeat(p[:-1], n, axis=0)
        out.append(start + np.repeat(seg, n, axis=0) * t[:, None])
        out.append(p[-1:])
    return np.concatenate(out) if out else np.empty((0, 2))


def _segment_clear(p0: np.ndarray, p1: np.ndarray, boxes: np.ndarray) -> bool:
    """True if the segment p0-p1 (display) crosses none of the boxes (a box that holds p0
    itself, a label already covering the point, does not count)."""
    if boxes.size == 0:
        return True
    boxes = boxes[~((boxes[:, 0] <= p0[0]) & (p0[0] <= boxes[:, 2]) & (boxes[:, 1] <= p0[1]) & (p0[1] <= boxes[:, 3]))]
    if boxes.size == 0:
        return True
    t = np.linspace(0.0, 1.0, max(int(np.hypot(*(p1 - p0)) / 2.0), 2))
    pts = p0[None, :] + (p1 - p0)[None, :] * t[:, None]
    inside = ((pts[:, None, 0] > boxes[None, :, 0]) & (pts[:, None, 0] < boxes[None, :, 2])
              & (pts[:, None, 1] > boxes[None, :, 1]) & (pts[:, None, 1] < boxes[None, :, 3]))
    return not bool(inside.any())


def place_labels(ax: Any, requests: Sequence[LabelRequest], *, tracks: Sequence[Any] = (),
                 soft: Sequence[Any] = (), avoid: Sequence[Any] = (),
                 markers: Sequence[tuple[float, float, float]] = (), gid_prefix: str = LABEL_GID) -> list[Any]:
    """Place map labels so that no two overlap, none covers a track, a marker or the legend.

    The figure is drawn once first, so that its layout (constrained layout: title, colour
    bar, legend) is final, and the layout is then frozen: label boxes measured now are the
    boxes the saved figure shows. Labels are placed in ``priority`` order. For each, the
    candidates are eight spots around the point (upper right first), then rings further
    out reached by a thin leader line; a candidate is taken if its text box
    (``Text.get_window_extent``, with the label's white box) stays inside the map, clear of
    every placed label, the ``avoid`` artists (the legend), the other sites' ``markers``
    ((x, y, radius_pt) on the map plane), and crosses no ``tracks`` (Line2D or (n, 2) arrays
    on the map plane). If no candidate is clear, the one crossing the fewest track points is
    taken (``soft`` lines, e.g. reach circles, are avoided where possible at a cost of two
    rings). Labels never overlap: a ``required`` label with no spot clear of the others is
    looked for further out (up to 200 pt, on a leader line); a label that still finds none
    (and an optional one at once) is left out and its text recorded in the figure's
    ``_shieldsim_unplaced`` list.

    Returns the placed ``Text`` artists (gid ``{gid_prefix}-{k}``), in placement order.
    """
    fig = ax.get_figure(root=True) if hasattr(ax, "get_figure") else ax.figure
    _settle_layout(fig)
    renderer = fig.canvas.get_renderer()
    px_per_pt = fig.dpi / 72.0
    frame = ax.get_window_extent(renderer)
    inner = (frame.x0 + 1.0, frame.y0 + 1.0, frame.x1 - 1.0, frame.y1 - 1.0)
    hard = _dense_display_points(ax, tracks)
    soft_pts = _dense_display_points(ax, soft)
    taken = [tuple(a.get_window_extent(renderer).extents) for a in avoid if a is not None]
    marks = []
    for mx, my, mr in markers:
        cx, cy = ax.transData.transform((mx, my))
        r = mr * px_per_pt
        marks.append((cx - r, cy - r, cx + r, cy + r))
    marks_arr = np.asarray(marks, dtype=float).reshape(-1, 4)
    placed = []
    unplaced = []
    order = sorted(range(len(requests)), key=lambda i: (requests[i].priority, i))
    for k in order:
        req = requests[k]
        text = ax.text(req.x, req.y, req.text, fontsize=req.fontsize, color=req.color, fontweight=req.weight,
                       zorder=7, bbox=dict(_LABEL_BOX), clip_on=True)
        ext = text.get_window_extent(renderer)
        text.remove()
        pad = _LABEL_PAD * req.fontsize * px_per_pt
        w, h = ext.width + 2 * pad, ext.height + 2 * pad
        taken_arr = np.asarray(taken, dtype=float).reshape(-1, 4)
        best = _best_spot(ax, req, w, h, px_per_pt, inner, taken_arr, marks_arr, hard, soft_pts)
        if best is None and req.required:
            # Crowded: look further out (leader lines up to ~3 cm) before giving up.
            best = _best_spot(ax, req, w, h, px_per_pt, inner, taken_arr, marks_arr, hard, soft_pts,
                              rings_pt=_FAR_RINGS_PT)
        if best is None:
            unplaced.append(req.text)
            continue
        x_, y_, dx, dy, ha, va, ring = best
        arrow = None
        if ring > 0:
            arrow = {"arrowstyle": "-", "color": req.color, "linewidth": 0.6, "shrinkA": 0.0,
                     "shrinkB": req.marker_pt * 0.8, "alpha": 0.8}
        label = ax.annotate(req.text, (x_, y_), xytext=(dx / px_per_pt, dy / px_per_pt), textcoords="offset points",
                            ha=ha, va=va, fontsize=req.fontsize, color=req.color, fontweight=req.weight, zorder=7,
                            bbox=dict(_LABEL_BOX), annotation_clip=False, arrowprops=arrow)
        label.set_in_layout(False)
        label.set_gid(f"{gid_prefix}-{len(placed)}")
        placed.append(label)
        # Measured again: the placed label's real box (font metrics, alignment, white box).
        real = label_box(label, renderer)
        taken.append(tuple(real))
    fig._shieldsim_unplaced = getattr(fig, "_shieldsim_unplaced", []) + unplaced  # noqa: SLF001
    return placed


def _best_spot(ax, req, w, h, px_per_pt, inner, taken, marks, hard, soft, rings_pt=None):
    """The best free spot for a label of w x h pixels (``place_labels``), or None.

    Every candidate is scored (covers a marker or a track, track points covered, distance:
    the ring, plus two rings for crossing a soft line); the lowest score wins, the earlier
    candidate on ties. Candidates overlapping a placed label or the legend, leaving the map,
    or whose leader line would cross a placed label are never taken."""
    anchors = [(req.x, req.y)] if req.anchors is None else list(req.anchors)
    if rings_pt is None:
        rings = [(0, req.marker_pt + 1.5)]
        if req.leader and req.anchors is None:
            rings += [(i + 1, r + req.marker_pt) for i, r in enumerate(_LEADER_RINGS_PT)]
    else:
        rings = [(len(_LEADER_RINGS_PT) + 1 + i, r + req.marker_pt) for i, r in enumerate(rings_pt)]
    reach_px = (max(r for _, r in rings) * px_per_pt + w + h + 4.0)
    best, best_score = None, None
    for a_i, (x_, y_) in enumerate(anchors):
        cx, cy = ax.transData.transform((x_, y_))
        own = np.array([cx, cy])
        near = lambda p: p[(np.abs(p[:, 0] - cx) < reach_px) & (np.abs(p[:, 1] - cy) < reach_px)] \
            if p.size else p  # noqa: E731
        hard_n, soft_n = near(hard), near(soft)
        if marks.size:
            centres = 0.5 * (marks[:, :2] + marks[:, 2:])
            others = marks[~np.all(np.abs(centres - own) < 0.5, axis=1)]
        else:
            others = marks
        for ring, dist_pt in rings:
            angles = _RING0 if ring == 0 else _RING_N
            for ang in angles:
                ha, va = _alignment(ang)
                dx = dist_pt * math.cos(math.radians(ang)) * px_per_pt
                dy = dist_pt * math.sin(math.radians(ang)) * px_per_pt
                box = _box_at(cx + dx, cy + dy, w, h, ha, va)
                if box[0] < inner[0] or box[1] < inner[1] or box[2] > inner[2] or box[3] > inner[3]:
                    continue
                if _overlaps(box, taken, _LABEL_GAP_PX):
                    continue
                if ring > 0:
                    centre = np.array([0.5 * (box[0] + box[2]), 0.5 * (box[1] + box[3])])
                    if not _segment_clear(own, centre, taken):
                        continue
                n_hard = _hits(box, hard_n)
                blocked = _overlaps(box, others, _LABEL_GAP_PX) or n_hard > 0
                score = (int(blocked), n_hard, ring + a_i + (2 if _hits(box, soft_n) else 0))
                if best_score is None or score < best_score:
                    best, best_score = (x_, y_, dx, dy, ha, va, ring), score
    return best


def _settle_layout(fig: Figure) -> None:
    """Draw the figure so its layout is final, make it tall enough for everything in the
    layout (constrained layout can let a fixed-aspect map's title stick out by a few pixels),
    then freeze the layout: what is measured afterwards is what is saved."""
    for _ in range(3):
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        tight = fig.get_tightbbox(renderer)  # inches; artists in the layout only
        w, h = fig.get_size_inches()
        over = max(tight.y1 - h, 0.0) + max(-tight.y0, 0.0)
        if over <= 0.5 / fig.dpi or fig.get_layout_engine() is None:
            break
        fig.set_size_inches(w, h + over + 0.06)
    if fig.get_layout_engine() is not None:
        fig.set_layout_engine("none")


def label_box(text: Any, renderer: Any = None) -> tuple[float, float, float, float]:
    """Display box (x0, y0, x1, y1) of a map label: its text and its white box."""
    from matplotlib.text import Text

    if renderer is None:
        renderer = text.get_figure(root=True).canvas.get_renderer()
    if isinstance(text, Annotation):
        text.update_positions(renderer)
    ext = Text.get_window_extent(text, renderer)
    boxes = [ext]
    patch = text.get_bbox_patch()
    if patch is not None:
        text.update_bbox_position_size(renderer)
        boxes.append(patch.get_window_extent(renderer))
    return (min(b.x0 for b in boxes), min(b.y0 for b in boxes), max(b.x1 for b in boxes), max(b.y1 for b in boxes))


def map_labels(fig: Figure) -> list[Any]:
    """The labels ``place_labels`` put on a figure's maps (text artists whose gid starts with "maplabel")."""
    return [t for ax in fig.axes for t in ax.texts if str(t.get_gid() or "").startswith(LABEL_GID)]


def _draw_sites(frame: MapFrame, sites: Sequence[Mapping[str, Any]], requests: list[LabelRequest],
                markers: list[tuple[float, float, float]], label_points: bool = True) -> list[Line2D]:
    """Markers for the sites inside the map's extent, their label requests (placed later by
    ``place_labels``), one legend handle per kind drawn."""
    handles: dict[str, Line2D] = {}
    lon_min, lon_max, lat_min, lat_max = frame.extent
    drawn: list[tuple[str, float, float]] = []
    for site in sites:
        lon, lat = float(site["lon_deg"]), float(site["lat_deg"])
        if not (lon_min <= lon <= lon_max and lat_min <= lat <= lat_max):
            continue
        kind = str(site.get("kind") or "").lower()
        name = display_name(site.get("name", "")) if site.get("name") else ""
        # A city already drawn as another kind of site (a target, a launch place) is not drawn twice.
        if kind == "city" and any(n == name or (abs(a - lon) < 0.3 and abs(b - lat) < 0.3) for n, a, b in drawn):
            continue
        drawn.append((name, lon, lat))
        marker, color, label = _site_style(kind or None)
        x, y = frame.xy([lon], [lat])
        size = 13 if marker == "*" else (5 if kind == "city" else 8)
        frame.ax.plot(x, y, linestyle="none", marker=marker, markersize=size, color=color,
                      markeredgecolor="white", markeredgewidth=0.8, zorder=6 if kind != "city" else 5.5)
        markers.append((float(x[0]), float(y[0]), 0.5 * size + 0.5))
        if label_points and name:
            priority = {"launch": 0, "interceptor": 1, "battery": 1, "radar": 2, "sensor": 2, "infrared": 2,
                        "target": 3}.get(kind, 4 if kind != "city" else 6)
            requests.append(LabelRequest(float(x[0]), float(y[0]), name, priority=priority, required=kind != "city",
                                         marker_pt=0.5 * size + 0.5, fontsize=7.0 if kind == "city" else 8.0,
                                         color="#4d5656" if kind == "city" else "#1b2631",
                                         weight="bold" if kind in ("launch", "interceptor", "battery") else "normal"))
        handles.setdefault(label, Line2D([], [], linestyle="none", marker=marker, markersize=size * 0.8,
                                         color=color, label=label))
    return list(handles.values())


# Colours of the three kinds of aim point on the footprint map.
UNDEFENDED_COLOR = "#e67e22"  # reachable by the missile, not defended
OUT_OF_REACH_COLOR = "#7f8c8d"  # beyond the missile's reach
REACH_EDGE_COLOR = "#6e2c00"
#: Legend words of the footprint map (the browser test and the alt text use them too).
LEGEND_DEFENDED = "defended (shade: shot opportunities)"
LEGEND_UNDEFENDED = "in the missile's reach, not defended"
LEGEND_OUT_OF_REACH = "out of the missile's reach"
LEGEND_REACH_EDGE = "edge of the missile's reach"
LAUNCH_MARGIN_DEG = 2.5  # room kept around a launch site the footprint map widens its extent for


def _launch_rows(launch: Any) -> list[dict]:
    """``launch`` as given to ``plot_footprint``: a mapping, a catalog site name or "LAT,LON",
    or a sequence of them; returned as site rows of kind "launch", duplicates dropped."""
    if launch is None:
        return []
    items = [launch] if isinstance(launch, (Mapping, str)) else list(launch)
    rows, seen = [], set()
    for item in items:
        if isinstance(item, str):
            from shieldsim import catalog

            place = catalog.parse_place(item, "launch")
            item = {"name": place.name, "lat_deg": place.lat_deg, "lon_deg": place.lon_deg}
        key = (str(item.get("name")), round(float(item["lat_deg"]), 4), round(float(item["lon_deg"]), 4))
        if key in seen:
            continue
        seen.add(key)
        rows.append({**item, "kind": "launch"})
    return rows


def _legend(ax: Any, handles: list[Any], loc: str = "lower left", outside: bool = False) -> Any:
    """The map's legend, inside the map at ``loc`` or (``outside``) in rows under it; each
    entry's text and key carry gids ``legend-text-<words>`` / ``legend-key-<words>``."""
    if outside:
        fig = ax.get_figure(root=True)
        legend = fig.legend(handles=handles, loc="outside lower center", ncols=min(4, len(handles)), fontsize=8,
                            frameon=False, columnspacing=1.4, handlelength=2.2)
    else:
        legend = ax.legend(handles=handles, loc=loc, fontsize=8, framealpha=0.9)
    legend.set_zorder(8)
    for text, handle in zip(legend.get_texts(), legend.legend_handles):
        slug = "-".join(w for w in "".join(c if c.isalnum() else " " for c in text.get_text().lower()).split())
        text.set_gid(f"legend-text-{slug}")
        if handle is not None:
            handle.set_gid(f"legend-key-{slug}")
    return legend


def plot_footprint(
    lat_deg: Sequence[float],
    lon_deg: Sequence[float],
    defended: Any,
    shot_opportunities: Any,
    sites: Sequence[Mapping[str, Any]] = (),
    launch: Any = None,
    title: str = "Defended area",
    extent: Sequence[float] | None = None,
    note: str | None = None,
    projection: str | None = None,
    *,
    reachable: Any = None,
    cities: Sequence[Mapping[str, Any]] | None = None,
    reach_label: str = LEGEND_REACH_EDGE,
) -> Figure:
    """Map of the aim points the defence can protect, shaded by shot opportunities.

    Parameters
    ----------
    lat_deg, lon_deg : (ny,), (nx,) centres of the aim-point grid, degrees.
    defended : (ny, nx) bool, true where a threat aimed there can be engaged.
    shot_opportunities : (ny, nx) int, the look-and-shoot chances per threat.
    sites : ``[{name, lat_deg, lon_deg, kind}]``; ``kind`` one of ``SITE_STYLES``
        (interceptor, radar, infrared, sensor, launch, target, city) or anything else.
    launch : the threat's launch site(s): ``{name, lat_deg, lon_deg}``, a catalog site
        name (or "LAT,LON"), or a list of them (a footprint of several missiles flown from
        several places); ``None`` for none. Drawn as red stars and always labelled.
    title : the map's title.
    extent : map extent; by default the grid's bounds, widened to show the launch sites.
    note : a line of small print under the map (e.g. the defended fraction, the seed).
    projection : as in ``base_map`` (default plain lon/lat).
    reachable : (ny, nx) bool, true where the missile can reach the aim point (the
        footprint's ``reachable``). Given, the map tells the three kinds of aim point
        apart: defended (green, by shot opportunities), in reach but not defended (orange),
        out of reach (grey, hatched), each with its own legend entry, and draws the edge of
        the missile's reach. ``None``: every point counts as in reach and undefended cells
        stay clear (the map before ``reachable`` existed).
    cities : ``[{name, lat_deg, lon_deg}]`` to mark and label (smaller than sites, left
        out where no label spot is free); ``None``: the catalog's cities (``catalog_cities``);
        ``()``: none.
    reach_label : the legend's words for the reach edge.

    Labels are placed by ``place_labels``: none overlaps another or the legend.
    """
    lat, lon, mask, shots, reach = _footprint_grid(lat_deg, lon_deg, defended, shot_opportunities, reachable)
    lat_edges, lon_edges = grid_cell_edges(lat), grid_cell_edges(lon)
    launches = _launch_rows(launch)
    if extent is None:
        extent = _footprint_extent(lat_edges, lon_edges, launches)
    fig = new_figure(*_map_figsize(extent, 8.5, extra_width_in=1.2, projection=projection))
    ax = fig.subplots()
    frame = base_map(ax, extent, projection=projection)
    mesh, n_colors = _draw_defended_cells(ax, frame, lat_edges, lon_edges, mask, shots)
    handles: list[Any] = [Patch(facecolor=_blend(DEFENDED_LIGHT, DEFENDED_DARK, 0.5), edgecolor=DEFENDED_EDGE,
                                label=LEGEND_DEFENDED if reach is not None else "defended aim points")]
    soft: list[Any] = []
    if reach is not None:
        soft += _draw_reach(ax, frame, lat, lon, mask, reach, reach_label, handles)
    if mask.any():
        outline = frame.geometry(defended_geometry(lat, lon, mask), max_step_deg=0.5)
        ax.add_collection(LineCollection(_lines_of(outline), colors=DEFENDED_EDGE, linewidths=1.1, zorder=3))
        bar = fig.colorbar(mesh, ax=ax, shrink=0.75, pad=0.02, ticks=np.arange(1, n_colors + 1))
        bar.set_label("Shot opportunities per threat")
    requests: list[LabelRequest] = []
    markers: list[tuple[float, float, float]] = []
    all_sites = launches + list(sites)
    handles += _draw_sites(frame, all_sites, requests, markers)
    city_rows = catalog_cities() if cities is None else [dict(c, kind="city") for c in cities]
    handles += _draw_sites(frame, [c for c in city_rows if c.get("name")], requests, markers) if city_rows else []
    # Under the map, not on it: the lower-left corner of Europe is Portugal and Spain.
    legend = _legend(ax, handles, outside=True)
    ax.set_title(title, fontsize=12)
    if note:
        fig.supxlabel(note, x=0.01, ha="left", fontsize=8, color="#555555")
    place_labels(ax, requests, soft=soft, avoid=[legend], markers=markers)
    fig._shieldsim_map = "footprint"  # noqa: SLF001  (read by map_svg for its alt text)
    return fig


def _footprint_grid(lat_deg, lon_deg, defended, shot_opportunities, reachable):
    """The footprint's arrays, shapes checked: lat, lon, defended-and-reachable mask, shots, reach."""
    lat = np.asarray(lat_deg, dtype=float)
    lon = np.asarray(lon_deg, dtype=float)
    mask = np.asarray(defended).astype(bool)
    shots = np.asarray(shot_opportunities)
    if mask.shape != (lat.size, lon.size) or shots.shape != mask.shape:
        raise ValueError(f"plot_footprint: defended {mask.shape} and shot_opportunities {shots.shape} "
                         f"must both be (len(lat_deg), len(lon_deg)) = {(lat.size, lon.size)}")
    reach = None
    if reachable is not None:
        reach = np.asarray(reachable).astype(bool)
        if reach.shape != mask.shape:
            raise ValueError(f"plot_footprint: reachable {reach.shape} must be (len(lat_deg), len(lon_deg)) = "
                             f"{mask.shape}")
        mask = mask & reach
    return lat, lon, mask, shots, reach


def _footprint_extent(lat_edges, lon_edges, launches) -> tuple[float, float, float, float]:
    """The grid's bounds, widened to show the launch sites (a launch place just outside the
    mapped region, e.g. Iran east of 45° E, is drawn with a margin around it)."""
    lon_lo, lon_hi = float(lon_edges.min()), float(lon_edges.max())
    lat_lo, lat_hi = float(lat_edges.min()), float(lat_edges.max())
    for row in launches:
        lo_, la_ = float(row["lon_deg"]), float(row["lat_deg"])
        lon_lo, lon_hi = min(lon_lo, lo_ - LAUNCH_MARGIN_DEG), max(lon_hi, lo_ + LAUNCH_MARGIN_DEG)
        lat_lo, lat_hi = min(lat_lo, la_ - LAUNCH_MARGIN_DEG), max(lat_hi, la_ + LAUNCH_MARGIN_DEG)
    return (max(lon_lo, -180.0), min(lon_hi, 180.0), max(lat_lo, -90.0), min(lat_hi, 90.0))


def _draw_defended_cells(ax, frame: MapFrame, lat_edges, lon_edges, mask, shots):
    """The defended cells, shaded by shot opportunities: the mesh and the number of shades."""
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
    mesh.set_rasterized(True)
    return mesh, n_colors


def _draw_reach(ax, frame: MapFrame, lat, lon, mask, reach, reach_label: str, handles: list[Any]) -> list[Any]:
    """The undefended and out-of-reach cells and the edge of the missile's reach; adds their
    legend entries to ``handles`` and returns the edge's segments (labels avoid them)."""
    soft: list[Any] = []
    # Reachable but undefended: translucent orange; out of reach: grey, hatched. Both as
    # one polygon each (cells merged), so no seams and the land stays visible through them.
    for cells, color, hatch, alpha, words in (
            (reach & ~mask, UNDEFENDED_COLOR, None, 0.45, LEGEND_UNDEFENDED),
            (~reach, OUT_OF_REACH_COLOR, "////", 0.28, LEGEND_OUT_OF_REACH)):
        if cells.any():
            geom = frame.geometry(defended_geometry(lat, lon, cells), max_step_deg=0.5)
            patch = PathPatch(_polygon_path(_polygons_of(geom)), facecolor=color, alpha=alpha, edgecolor="none",
                              zorder=0.65)
            patch.set_rasterized(True)
            ax.add_patch(patch)
            if hatch:
                hatched = PathPatch(_polygon_path(_polygons_of(geom)), facecolor="none", edgecolor=color,
                                    hatch=hatch, linewidth=0.0, alpha=0.55, zorder=0.66)
                hatched.set_rasterized(True)
                ax.add_patch(hatched)
        handles.append(Patch(facecolor=to_rgba(color, alpha), edgecolor=color, hatch=hatch, linewidth=0.6,
                             label=words))
    if reach.any() and not reach.all():
        xc, yc = frame.xy(*np.meshgrid(lon, lat))
        edge = ax.contour(xc, yc, reach.astype(float), levels=[0.5], colors=[REACH_EDGE_COLOR],
                          linewidths=1.4, linestyles=[(0, (6, 2))], zorder=3.2)
        soft += [seg for seg in edge.allsegs[0]]
        handles.append(Line2D([], [], color=REACH_EDGE_COLOR, linewidth=1.4, linestyle=(0, (6, 2)),
                              label=reach_label))
    return soft


def _blend(a: str, b: str, t: float) -> tuple[float, float, float]:
    ca = np.array([int(a[i:i + 2], 16) for i in (1, 3, 5)]) / 255.0
    cb = np.array([int(b[i:i + 2], 16) for i in (1, 3, 5)]) / 255.0
    return tuple(float(v) for v in (1 - t) * ca + t * cb)


def _auto_extent(lons: list[np.ndarray], lats: list[np.ndarray], pad_deg: float = 5.0) -> tuple[float, ...]:
    lon = np.concatenate([np.ravel(x) for x in lons]) if lons else np.array([])
    lat = np.concatenate([np.ravel(y) for y in lats]) if lats else np.array([])
    ok = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = wrap_lon(lon[ok], degrees=True), lat[ok]
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
    sites : ``[{name, lat_deg, lon_deg, kind}]`` as in ``plot_footprint``: launch bases
        (``kind: "launch"``: red stars, labelled first), interceptor sites, radars,
        targets (``kind: "target"``). Catalog site names are written as place names.
    reach_circles : ``[{lat_deg, lon_deg, radius_km, label}]``: geodesic circles
        (WGS84, drawn counter-clockwise), e.g. how far an interceptor gets in time.
    extent : ``(lon_min, lon_max, lat_min, lat_max)``; by default everything drawn
        plus a margin (with ``projection="north_polar"``: everything north of 20° N).
    title : the map's title.
    label_tracks : write track names at their ends; by default only for ≤ 12 tracks.
    projection : as in ``base_map``; ``"north_polar"`` suits ICBM routes over the Arctic.

    Labels (sites, circles, track names) are placed by ``place_labels``: none overlaps
    another, the legend or a marker, and none covers a track where a free spot exists.
    """
    circles = [(c, *geodesic_circle(c["lat_deg"], c["lon_deg"], c["radius_km"])) for c in reach_circles]
    if extent is None:
        extent = _ground_track_extent(tracks, sites, circles, projection)
    wide = extent[1] - extent[0] > 90
    fig = new_figure(*_map_figsize(extent, 10.0 if wide else 8.5, projection=projection))
    ax = fig.subplots()
    frame = base_map(ax, extent, projection=projection)
    handles: list[Any] = []
    requests: list[LabelRequest] = []
    markers: list[tuple[float, float, float]] = []
    soft = _draw_reach_circles(ax, frame, circles, extent, requests)
    if circles:
        handles.append(Line2D([], [], color=REACH_COLOR, linestyle=(0, (5, 3)), label="interceptor reach"))
    label_tracks = len(tracks) <= 12 if label_tracks is None else label_tracks
    track_lines = _draw_tracks(ax, frame, tracks, label_tracks, requests, handles)
    handles += _draw_sites(frame, sites, requests, markers)
    legend = _legend(ax, handles) if handles else None
    ax.set_title(title, fontsize=12)
    place_labels(ax, requests, tracks=track_lines, soft=soft, avoid=[legend], markers=markers)
    fig._shieldsim_map = "ground-tracks"  # noqa: SLF001
    return fig


def _ground_track_extent(tracks, sites, circles, projection) -> tuple[float, ...]:
    """Everything drawn plus a margin (north of 20° N on the polar projection)."""
    if projection == "north_polar":
        return (-180.0, 180.0, 20.0, 90.0)
    return _auto_extent(
        [np.asarray(t["lon_deg"], dtype=float) for t in tracks] + [np.array([s["lon_deg"]]) for s in sites]
        + [lon for _, lon, _ in circles],
        [np.asarray(t["lat_deg"], dtype=float) for t in tracks] + [np.array([s["lat_deg"]]) for s in sites]
        + [lat for _, _, lat in circles])


def _draw_reach_circles(ax, frame: MapFrame, circles, extent, requests: list[LabelRequest]) -> list[Any]:
    """The interceptor reach circles, shaded and outlined, each labelled on its outline;
    returns the outlines (labels avoid them)."""
    window = shapely.box(extent[0], extent[2], extent[1], extent[3])
    soft: list[Any] = []
    for circle, lon_c, lat_c in circles:
        area = shapely.intersection(circle_geometry(circle["lat_deg"], circle["lon_deg"], circle["radius_km"]),
                                    window)
        ax.add_patch(PathPatch(_polygon_path(_polygons_of(frame.geometry(area))), facecolor=REACH_COLOR,
                               alpha=0.07, edgecolor="none", zorder=1))
        soft += frame.line(lon_c, lat_c, color=REACH_COLOR, linewidth=1.2, linestyle=(0, (5, 3)), zorder=2)
        inside = shapely.contains_xy(window.buffer(1e-9), lon_c, lat_c)
        if circle.get("label") and inside.any():
            # Label the circle on its outline, highest points first.
            x, y = frame.xy(lon_c[inside], lat_c[inside])
            order = np.argsort(-y)
            anchors = [(float(x[i]), float(y[i])) for i in order[:: max(1, order.size // 24)]]
            requests.append(LabelRequest(anchors[0][0], anchors[0][1], str(circle["label"]), priority=4,
                                         required=True, marker_pt=1.0, color=REACH_COLOR, anchors=anchors))
    return soft


def _draw_tracks(ax, frame: MapFrame, tracks, label_tracks: bool, requests: list[LabelRequest],
                 handles: list[Any]) -> list[Any]:
    """The ground tracks (engageable solid blue, the others dashed orange), a cross at each
    impact; adds a legend entry per kind drawn to ``handles`` and returns the lines."""
    seen = set()
    track_lines: list[Any] = []
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
        track_lines += frame.line(lon, lat, color=color, linestyle=style, linewidth=1.6, zorder=4)
        x, y = frame.xy([wrap_lon(lon[-1], degrees=True)], [lat[-1]])
        ax.plot(x, y, marker="x", color=color, markersize=6, markeredgewidth=1.6, zorder=5)
        if label_tracks and track.get("name"):
            requests.append(LabelRequest(float(x[0]), float(y[0]), str(track["name"]), priority=5, required=False,
                                         marker_pt=3.5, fontsize=7.0, color=color))
        if engageable not in seen:
            seen.add(engageable)
            handles.append(Line2D([], [], color="#1f4e9c" if engageable else "#d35400", linestyle=style,
                                  label="engageable" if engageable else "not engageable"))
    return track_lines


# --- the maps in the report: inline SVG whose labels and legend a browser can inspect ----------

def map_alt_text(fig: Figure) -> str:
    """A sentence for screen readers and the ``alt`` of an image: the title and the legend."""
    ax = fig.axes[0]
    legend = ax.get_legend() or (fig.legends[0] if fig.legends else None)
    words = [t.get_text() for t in legend.get_texts()] if legend is not None else []
    names = [t.get_text() for t in map_labels(fig)]
    text = f"Map: {ax.get_title() or 'map'}."
    if words:
        text += " Legend: " + "; ".join(words) + "."
    if names:
        text += " Labelled: " + ", ".join(names) + "."
    return text


def map_svg(fig: Figure, map_id: str, dpi: float | None = None) -> str:
    """A map as inline ``<svg>`` for the report: its ids prefixed with ``map_id`` (several
    maps on one page do not clash), deterministic (fixed hash salt, no date), marked
    ``class="shieldsim-map"`` with ``data-map``, ``role="img"`` and an ``aria-label``
    (``map_alt_text``). The base layers (sea, land, coast, shading) are embedded as one
    image at ``dpi`` (default the figure's); labels, markers, tracks and the legend stay vector, so a browser
    can measure every label (``g[id^="{map_id}-maplabel-"]``) and read the legend
    (``g[id^="{map_id}-legend-text-"]``, ``g[id^="{map_id}-legend-key-"]``)."""
    import html as _html
    import io
    import re

    import matplotlib

    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", map_id):
        raise ValueError(f"map_svg: map_id {map_id!r} must be letters, digits, '-' or '_'")
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": f"shieldsim-{map_id}", "svg.fonttype": "path"}):
        fig.savefig(buffer, format="svg", dpi=dpi or fig.dpi, metadata={"Date": None, "Creator": None},
                    facecolor="white")
    text = buffer.getvalue()
    text = text[text.find("<svg"):].strip()
    prefix = f"{map_id}-"
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', text)
    text = re.sub(r'url\(#([^)]+)\)', lambda m: f"url(#{prefix}{m.group(1)})", text)
    text = re.sub(r'(xlink:href|href)="#([^"]+)"', lambda m: f'{m.group(1)}="#{prefix}{m.group(2)}"', text)
    alt = _html.escape(map_alt_text(fig), quote=True)
    kind = _html.escape(getattr(fig, "_shieldsim_map", "map"), quote=True)
    text = text.replace("<svg ", f'<svg class="shieldsim-map" data-map="{kind}" role="img" aria-label="{alt}" ', 1)
    return text


def report_map(fig: Figure, map_id: str, caption: str | None = None) -> dict:
    """A map for ``report.html.build_report``'s ``figures``: ``{figure: <inline svg>, alt, caption}``."""
    item = {"figure": map_svg(fig, map_id), "alt": map_alt_text(fig)}
    if caption:
        item["caption"] = caption
    return item
