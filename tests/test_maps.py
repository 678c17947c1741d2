"""The report's maps as a reader reads them (issue 11, item 2), without a browser.

Both maps are built from small synthetic inputs shaped like the demo's: a footprint grid
with out-of-reach, undefended and defended aim points, launched from outside the grid; the
north-polar map of ICBM tracks from Russian bases to US cities with the batteries and
radars of 2007 (Redzikowo and Fylingdales, whose labels used to overlap). Label boxes are
matplotlib's own text extents on the drawn figure (``maps.label_box``).
"""

import itertools
import re

import matplotlib.colors as mcolors
import numpy as np
import pytest
from pyproj import Geod

from shieldsim.report.html import build_report, check_self_contained
from shieldsim.report.maps import (
    LEGEND_OUT_OF_REACH,
    LEGEND_REACH_EDGE,
    LEGEND_UNDEFENDED,
    LabelRequest,
    display_name,
    label_box,
    map_labels,
    map_svg,
    place_labels,
    plot_footprint,
    plot_ground_tracks,
    report_map,
)
from shieldsim.report.plots import new_figure

BASES = [("kozelsk", 54.03, 35.77), ("tatishchevo", 51.67, 45.5), ("teykovo", 56.86, 40.54),
         ("yoshkar-ola", 56.6, 47.9), ("vypolzovo", 57.85, 33.7), ("novosibirsk", 55.33, 83.0),
         ("uzhur", 55.3, 89.8), ("dombarovsky", 50.8, 59.5)]
CITIES = [("washington", 38.8977, -77.0365), ("new-york", 40.7128, -74.006), ("boston", 42.3601, -71.0589),
          ("chicago", 41.8781, -87.6298), ("seattle", 47.6062, -122.3321)]
DEFENCE = [{"name": "redzikowo", "lat_deg": 54.4789, "lon_deg": 17.1075, "kind": "interceptor"},
           {"name": "fylingdales-uewr", "lat_deg": 54.359, "lon_deg": -0.67, "kind": "radar"},
           {"name": "emr-brdy", "lat_deg": 49.6352, "lon_deg": 13.7479, "kind": "radar"},
           {"name": "thule-uewr", "lat_deg": 76.5311, "lon_deg": -68.7031, "kind": "radar"}]


def _footprint_grid(step=1.0):
    """Europe at ``step`` degrees; reach: within 3,600 km of Semnan; defended: a disc around Poland."""
    lat = np.arange(34.0, 72.0 + 1e-9, step)
    lon = np.arange(-25.0, 45.0 + 1e-9, step)
    lo, la = np.meshgrid(lon, lat)
    geod = Geod(ellps="WGS84")
    _, _, dist = geod.inv(np.full(lo.shape, 53.4), np.full(lo.shape, 35.6), lo, la)
    reachable = dist < 3.6e6
    _, _, from_poland = geod.inv(np.full(lo.shape, 17.1), np.full(lo.shape, 54.5), lo, la)
    defended = reachable & (from_poland < 1.4e6)
    shots = np.where(defended, 1 + (from_poland < 0.7e6), 0)
    return lat, lon, reachable, defended, shots


@pytest.fixture(scope="module")
def footprint_fig():
    lat, lon, reachable, defended, shots = _footprint_grid()
    return plot_footprint(lat, lon, defended, shots, sites=DEFENCE[:3], launch=["semnan", "tabriz"],
                          title="Defended area against an IRBM from Semnan", reachable=reachable)


def _tracks():
    geod = Geod(ellps="WGS84")
    tracks = []
    for (b, blat, blon), (c, clat, clon) in itertools.product(BASES, CITIES):
        pts = np.array(geod.npts(blon, blat, clon, clat, 40))
        tracks.append({"name": f"{b}→{c}", "lat_deg": np.r_[blat, pts[:, 1], clat],
                       "lon_deg": np.r_[blon, pts[:, 0], clon], "engageable": c == "boston"})
    return tracks


@pytest.fixture(scope="module")
def polar_fig():
    sites = (DEFENCE + [{"name": b, "lat_deg": la, "lon_deg": lo, "kind": "launch"} for b, la, lo in BASES]
             + [{"name": c, "lat_deg": la, "lon_deg": lo, "kind": "target"} for c, la, lo in CITIES])
    circles = [{"lat_deg": 54.4789, "lon_deg": 17.1075, "radius_km": 3000.0, "label": "Redzikowo: 600 s fly-out"}]
    return plot_ground_tracks(_tracks(), sites, circles, title="Russian ICBM ground tracks", projection="north_polar",
                              label_tracks=False)


def _boxes(fig):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return {t.get_text(): label_box(t, renderer) for t in map_labels(fig)}


def _overlap(a, b):
    return min(a[2], b[2]) - max(a[0], b[0]) > 0 and min(a[3], b[3]) - max(a[1], b[1]) > 0


def _assert_no_overlaps(boxes):
    for (na, a), (nb, b) in itertools.combinations(boxes.items(), 2):
        assert not _overlap(a, b), f"labels {na!r} and {nb!r} overlap: {a} {b}"


def _legend(fig):
    legend = fig.axes[0].get_legend() or fig.legends[0]
    return {t.get_text(): h for t, h in zip(legend.get_texts(), legend.legend_handles)}


def test_footprint_map_labels_do_not_overlap_and_name_launch_sites_and_batteries(footprint_fig):
    boxes = _boxes(footprint_fig)
    _assert_no_overlaps(boxes)
    assert {"Semnan", "Tabriz", "Redzikowo", "fylingdales-uewr", "emr-brdy"} <= set(boxes)
    assert {"London", "Berlin", "Warsaw"} <= set(boxes)  # the catalog's cities
    ax = footprint_fig.axes[0]
    frame = ax.get_window_extent()
    for name, b in boxes.items():  # every label on the map
        assert frame.x0 <= b[0] and b[2] <= frame.x1 and frame.y0 <= b[1] and b[3] <= frame.y1, name
    # The map widened to show Semnan (53.4 E), east of the grid's 45 E.
    assert ax.get_xlim()[1] > 53.4


def test_footprint_legend_tells_out_of_reach_from_undefended(footprint_fig):
    legend = _legend(footprint_fig)
    assert {LEGEND_OUT_OF_REACH, LEGEND_UNDEFENDED, LEGEND_REACH_EDGE} <= set(legend)
    out, undefended = legend[LEGEND_OUT_OF_REACH], legend[LEGEND_UNDEFENDED]
    assert mcolors.to_hex(out.get_facecolor(), keep_alpha=False) != mcolors.to_hex(undefended.get_facecolor(),
                                                                                   keep_alpha=False)
    assert out.get_hatch() and not undefended.get_hatch()
    assert "launch site" in legend and "city" in legend


def test_footprint_map_shades_the_three_kinds_of_aim_point_differently(footprint_fig):
    """Out of reach (far west), in reach but undefended (Anatolia) and defended (Poland) differ."""
    fig = footprint_fig
    ax = fig.axes[0]
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)

    def pixel(lon, lat):
        px, py = ax.transData.transform((lon, lat))
        return image[int(round(image.shape[0] - py)), int(round(px))]

    out, undefended, defended = pixel(-20.0, 45.0), pixel(35.0, 39.5), pixel(19.0, 52.0)
    for a, b in itertools.combinations((out, undefended, defended), 2):
        assert np.abs(a - b).sum() > 60, (out, undefended, defended)


def test_footprint_reachable_must_match_the_grid():
    lat, lon, reachable, defended, shots = _footprint_grid(5.0)
    with pytest.raises(ValueError, match="reachable"):
        plot_footprint(lat, lon, defended, shots, reachable=reachable[:, :-1])


def test_polar_map_names_every_base_and_keeps_labels_apart_and_off_the_tracks(polar_fig):
    boxes = _boxes(polar_fig)
    _assert_no_overlaps(boxes)
    names = {display_name(b) for b, _, _ in BASES}
    assert names <= set(boxes), names - set(boxes)
    assert {"Redzikowo", "fylingdales-uewr", "Washington", "New York", "Redzikowo: 600 s fly-out"} <= set(boxes)
    # Off the tracks: no label box covers a drawn track point (tracks densified to 2 px).
    ax = polar_fig.axes[0]
    lines = [line for line in ax.lines if line.get_linestyle() != "None" and len(line.get_xdata()) > 2
             and mcolors.to_hex(line.get_color()) in ("#d35400", "#1f4e9c")]
    assert len(lines) >= len(BASES) * len(CITIES)
    from shieldsim.report.maps import _dense_display_points

    points = _dense_display_points(ax, lines)
    for name, (x0, y0, x1, y1) in boxes.items():
        inside = (points[:, 0] > x0) & (points[:, 0] < x1) & (points[:, 1] > y0) & (points[:, 1] < y1)
        assert not inside.any(), f"label {name!r} covers a track"
    assert not getattr(polar_fig, "_shieldsim_unplaced", [])


def test_redzikowo_and_fylingdales_labels_no_longer_collide():
    """The regression of issue 11: the two sites 1,150 km apart on the hemisphere map."""
    fig = plot_ground_tracks([], DEFENCE[:2], projection="north_polar", title="2007 sites")
    boxes = _boxes(fig)
    assert set(boxes) == {"Redzikowo", "fylingdales-uewr"}
    _assert_no_overlaps(boxes)


def test_label_placer_keeps_a_crowd_apart_with_leader_lines():
    fig = new_figure(4.0, 3.0)
    ax = fig.subplots()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    track = np.column_stack([np.linspace(0, 10, 50), np.linspace(0, 10, 50)])
    ax.plot(track[:, 0], track[:, 1])
    points = [(5.0 + 0.05 * k, 5.0 - 0.05 * k) for k in range(8)]
    ax.plot(*np.transpose(points), "o", markersize=6)
    requests = [LabelRequest(x, y, f"site number {k}", priority=k) for k, (x, y) in enumerate(points)]
    placed = place_labels(ax, requests, tracks=[track], markers=[(x, y, 4.0) for x, y in points])
    assert len(placed) == 8
    boxes = _boxes(fig)
    _assert_no_overlaps(boxes)
    assert any(t.arrow_patch is not None for t in placed)  # some had to move out, on a leader line
    assert [t.get_gid() for t in placed] == [f"maplabel-{k}" for k in range(8)]


def test_display_names_come_from_the_catalog():
    assert display_name("new-york") == "New York"
    assert display_name("yoshkar-ola") == "Yoshkar-Ola"
    assert display_name("fylingdales") == "Fylingdales"
    assert display_name("washington") == "Washington"
    assert display_name("my own site") == "my own site"


def test_map_svg_is_deterministic_self_contained_and_inspectable(polar_fig, footprint_fig):
    svg = map_svg(polar_fig, "polar")
    assert svg == map_svg(polar_fig, "polar")
    assert svg.startswith('<svg class="shieldsim-map" data-map="ground-tracks" role="img" aria-label="Map: ')
    n_labels = len(map_labels(polar_fig))
    assert len(re.findall(r'<g id="polar-maplabel-\d+"', svg)) == n_labels
    ids = re.findall(r'\bid="([^"]+)"', svg)
    assert all(i.startswith("polar-") for i in ids) and len(ids) == len(set(ids))
    for ref in re.findall(r"url\(#([^)]+)\)", svg) + re.findall(r'href="#([^"]+)"', svg):
        assert ref in ids
    other = map_svg(footprint_fig, "footprint")
    assert 'id="footprint-legend-text-out-of-the-missile-s-reach"' in other
    assert 'id="footprint-legend-key-in-the-missile-s-reach-not-defended"' in other
    assert LEGEND_OUT_OF_REACH.replace("'", "&#x27;") in other[:other.index(">")]  # in the aria-label
    page = build_report("maps", ["two maps"], [{"heading": "Maps", "figures": [report_map(footprint_fig, "footprint"),
                                                                             report_map(polar_fig, "polar")]}])
    assert not check_self_contained(page)
    assert page.count('class="shieldsim-map"') == 2
