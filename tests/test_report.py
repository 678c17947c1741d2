"""Maps, charts and the self-contained HTML report (shieldsim.report), all offline."""

import json
import socket
from html.parser import HTMLParser
from importlib import resources

import matplotlib.colors as mcolors
import numpy as np
import pytest
import shapely
from matplotlib.figure import Figure
from shapely.geometry import shape

from shieldsim.report import (
    base_map,
    build_report,
    fig_to_data_uri,
    fig_to_svg,
    plot_engagement_timeline,
    plot_footprint,
    plot_ground_tracks,
    plot_raid_curves,
    plot_reach_table,
    plot_speed_flip,
    speed_flip,
    write_report,
)
from shieldsim.report.html import check_self_contained, column_heading, format_value
from shieldsim.report.maps import DEFENDED_DARK, LAND_COLOR, SEA_COLOR, load_borders, load_countries
from shieldsim.report.plots import new_figure

NE_DIR = resources.files("shieldsim").joinpath("data", "naturalearth")
SITES = [
    {"name": "Redzikowo", "lat_deg": 54.48, "lon_deg": 17.1, "kind": "interceptor"},
    {"name": "Brdy", "lat_deg": 49.7, "lon_deg": 13.8, "kind": "radar"},
]


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test: everything here must work offline."""

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _rgba(fig):
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)


def _pixel(fig, ax, x, y):
    """RGB of the pixel where data point (x, y) lands."""
    image = _rgba(fig)
    px, py = ax.transData.transform((x, y))
    return image[image.shape[0] - 1 - int(round(py)), int(round(px))]


def _close(rgb, hex_color, tol=12):
    target = np.array(mcolors.to_rgb(hex_color)) * 255
    return bool(np.all(np.abs(rgb - target) <= tol))


# --- vendored Natural Earth data ------------------------------------------------------

def test_vendored_map_data_is_small_and_present():
    names = {"countries-110m.geojson", "countries-50m.geojson", "borders-110m.geojson", "borders-50m.geojson"}
    sizes = {n: len(NE_DIR.joinpath(n).read_bytes()) for n in names}
    assert sum(sizes.values()) < 5_000_000
    assert "public domain" in NE_DIR.joinpath("README.md").read_text().lower()


@pytest.mark.parametrize("scale", ["110m", "50m"])
def test_country_outlines_are_valid_and_antimeridian_safe(scale):
    countries = load_countries(scale)
    assert len(countries) > 170
    for name, geom in countries:
        assert geom.is_valid, name
        for poly in getattr(geom, "geoms", [geom]):
            xy = np.asarray(poly.exterior.coords)
            jumps = np.abs(np.diff(xy[:, 0])) > 180.0
            along_pole = np.abs(xy[1:, 1]) > 89.999
            assert not np.any(jumps & ~along_pole), f"{name} crosses the antimeridian uncut"
    land = shapely.union_all([g for _, g in countries])
    # Land is ~29 % of the Earth; in lon/lat degrees squared about 21 500. A polygon read
    # inside out (the complement of Antarctica, say) would blow this up.
    assert 20_000 < land.area < 23_000


def test_countries_sit_where_they_belong():
    by_name = dict(load_countries("50m"))
    russia = by_name["Russia"]
    assert russia.contains(shapely.Point(37.62, 55.75))       # Moscow
    assert russia.contains(shapely.Point(-175.0, 66.5))       # Chukotka, east of 180
    assert by_name["Poland"].contains(shapely.Point(21.0, 52.23))
    assert by_name["Czechia"].contains(shapely.Point(13.8, 49.7))
    assert not by_name["Poland"].contains(shapely.Point(13.8, 49.7))
    assert load_borders("50m").length > 1000


def test_borders_exclude_the_coastline():
    # The Polish-Czech border lies on the borders layer; the open Baltic coast does not.
    borders = load_borders("110m")
    assert borders.distance(shapely.Point(16.0, 50.5)) < 0.6
    assert borders.distance(shapely.Point(17.5, 54.8)) > 0.5


# --- maps ----------------------------------------------------------------------------

def test_base_map_draws_land_and_sea_in_the_right_places():
    fig = new_figure(6, 5)
    ax = fig.subplots()
    frame = base_map(ax, (-25.0, 45.0, 34.0, 72.0))
    assert frame.crs is None
    assert _close(_pixel(fig, ax, 21.0, 52.2), LAND_COLOR)    # Warsaw
    assert _close(_pixel(fig, ax, 3.0, 56.0), SEA_COLOR)      # North Sea
    assert _close(_pixel(fig, ax, 18.0, 35.0), SEA_COLOR)     # Ionian Sea
    assert _close(_pixel(fig, ax, -3.7, 40.4), LAND_COLOR)    # Madrid
    image = _rgba(fig)
    land_share = np.mean(np.all(np.abs(image - np.array(mcolors.to_rgb(LAND_COLOR)) * 255) <= 12, axis=-1))
    assert 0.1 < land_share < 0.7


def test_base_map_projected_view_places_points_through_the_frame():
    fig = new_figure(6, 6)
    ax = fig.subplots()
    frame = base_map(ax, (-180.0, 180.0, 20.0, 90.0), projection="north_polar")
    assert frame.crs is not None
    x, y = frame.xy([37.62], [55.75])
    assert _close(_pixel(fig, ax, x[0], y[0]), LAND_COLOR)    # Moscow
    x, y = frame.xy([-40.0], [45.0])
    assert _close(_pixel(fig, ax, x[0], y[0]), SEA_COLOR)     # mid-Atlantic


def test_base_map_rejects_bad_extent():
    ax = new_figure().subplots()
    with pytest.raises(ValueError):
        base_map(ax, (45.0, -25.0, 34.0, 72.0))


def _footprint_grid():
    lat = np.arange(40.0, 62.01, 0.5)
    lon = np.arange(0.0, 30.01, 0.5)
    lat_grid, lon_grid = np.meshgrid(lat, lon, indexing="ij")
    distance = np.hypot(lat_grid - 51.0, (lon_grid - 15.0) * 0.63)
    defended = distance < 6.0
    shots = np.where(defended, 1 + (distance < 3.0), 0)
    return lat, lon, defended, shots


def test_plot_footprint_shades_defended_cells_only():
    lat, lon, defended, shots = _footprint_grid()
    far_away = {"name": "Fort Greely", "lat_deg": 64.3, "lon_deg": -149.2, "kind": "interceptor"}
    fig = plot_footprint(lat, lon, defended, shots, [*SITES, far_away],
                         {"name": "Tabriz", "lat_deg": 38.1, "lon_deg": 46.3},
                         "Defended area", extent=(-5.0, 50.0, 36.0, 64.0), note="seed 2007")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    inner = _pixel(fig, ax, 14.0, 51.5)     # two shot opportunities: the darkest shade
    assert _close(inner, DEFENDED_DARK, tol=20)
    assert _close(_pixel(fig, ax, 0.5, 60.0), SEA_COLOR)   # far outside the defended area
    assert ax.get_title() == "Defended area"
    labels = {t.get_text() for t in ax.texts}
    assert {"Tabriz", "Redzikowo", "Brdy"} <= labels and "Fort Greely" not in labels


def test_plot_footprint_checks_shapes():
    lat, lon, defended, shots = _footprint_grid()
    with pytest.raises(ValueError, match="shot_opportunities"):
        plot_footprint(lat, lon, defended, shots[:, :-1])


def test_plot_ground_tracks_with_reach_circles_and_date_line():
    tracks = [
        {"name": "Tatishchevo to Washington", "lat_deg": np.linspace(51.7, 38.9, 50),
         "lon_deg": np.linspace(45.6, -77.0, 50), "engageable": False},
        {"name": "Kamchatka to Alaska", "lat_deg": np.linspace(53.0, 61.0, 30),
         "lon_deg": np.linspace(158.0, -150.0 + 360.0, 30) % 360.0, "engageable": True},
    ]
    circles = [{"lat_deg": 54.48, "lon_deg": 17.1, "radius_km": 2500.0, "label": "GBI reach"},
               {"lat_deg": 64.3, "lon_deg": -149.2, "radius_km": 4000.0, "label": "Fort Greely"}]
    for projection in (None, "north_polar"):
        fig = plot_ground_tracks(tracks, SITES, circles, title="Tracks", projection=projection)
        ax = fig.axes[0]
        labels = [t.get_text() for t in ax.texts]
        assert "GBI reach" in labels and "Redzikowo" in labels
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert {"engageable", "not engageable", "interceptor reach"} <= set(legend)
        # No drawn line may jump across the map: every segment is shorter than 180 degrees.
        if projection is None:
            for line in ax.lines:
                x = np.asarray(line.get_xdata(), dtype=float)
                assert x.size < 2 or np.abs(np.diff(x)).max() < 180.0


# --- charts --------------------------------------------------------------------------

def test_plot_raid_curves_draws_every_curve_on_both_panels():
    sizes = np.arange(1, 9)
    fig = plot_raid_curves(sizes, [
        {"label": "salvo 2", "p_no_leak": 0.97 ** sizes, "expected_leakers": 0.03 * sizes},
        {"label": "shoot-look-shoot", "p_no_leak": 0.99 ** sizes, "expected_leakers": 0.01 * sizes},
    ])
    left, right = fig.axes
    assert len(left.lines) == 2 and len(right.lines) == 2
    assert np.allclose(left.lines[0].get_ydata(), 0.97 ** sizes)
    with pytest.raises(ValueError, match="shape"):
        plot_raid_curves(sizes, [{"label": "bad", "p_no_leak": np.ones(3), "expected_leakers": None}])


def test_plot_engagement_timeline_skips_never_events():
    rows = [
        {"threat": "Shahab-3 to Warsaw", "battle_space_s": [400.0, 650.0],
         "events": {"launch": 0, "burnout": 110, "first_detection": 60, "track": 150, "fire_control": 220,
                    "interceptor_launch": 300, "intercept": 520, "kill_assessment": 560, "impact": 700}},
        {"threat": "ICBM to New York",
         "events": {"launch": 0, "burnout": 300, "first_detection": 90, "track": None,
                    "fire_control": float("nan"), "impact": 1900, "decoys_released": 400}},
    ]
    fig = plot_engagement_timeline(rows)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ICBM to New York", "Shahab-3 to Warsaw"]
    markers = [line for line in ax.lines if len(line.get_xdata()) == 1]
    assert len(markers) == 9 + 5   # never-events (None, NaN) are not drawn
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "decoys released" in legend and "battle space" in legend


def test_speed_flip_brackets_and_interpolates():
    speeds = np.array([9.0, 6.0, 7.0, 8.0])            # unsorted on purpose
    fraction = np.array([1.0, 0.0, 0.0, 0.6])
    assert speed_flip(speeds, fraction) == {"last_none_km_s": 7.0, "first_some_km_s": 8.0,
                                            "half_km_s": pytest.approx(7.0 + 0.5 / 0.6)}
    assert speed_flip([6.0, 7.0], [0.0, 0.0]) == {"last_none_km_s": 7.0, "first_some_km_s": None,
                                                   "half_km_s": None}
    assert speed_flip([6.0, 7.0], [0.7, 1.0])["last_none_km_s"] is None


def test_plot_speed_flip_shades_the_disputed_range():
    speeds = np.linspace(5.0, 10.0, 11)
    fig = plot_speed_flip(speeds, {"X-band in Czechia": np.clip((speeds - 7.0) / 2.0, 0, 1)})
    ax = fig.axes[0]
    spans = [p for p in ax.patches if p.get_x() == pytest.approx(6.0)]
    assert spans and spans[0].get_width() == pytest.approx(3.0)
    assert any("7.50 km/s" in t.get_text() for t in ax.texts)


def test_plot_speed_flip_names_its_band_as_the_caller_says():
    fig = plot_speed_flip([6.0, 7.0, 8.0], [0.0, 0.5, 1.0], disputed_km_s=(6.5, 7.5), band_label="argued {lo:g} to {hi:g}")
    assert any(t.get_text() == "argued 6.5 to 7.5" for t in fig.axes[0].texts)
    assert not any("2007" in t.get_text() for t in plot_speed_flip([6.0, 7.0], [0.0, 1.0]).axes[0].texts)


def test_plot_reach_table_takes_the_best_battery():
    pairs = [
        {"launch": "Kozelsk", "target": "Washington", "battery": "Poland", "feasible": False, "margin_s": -40.0},
        {"launch": "Kozelsk", "target": "Washington", "battery": "Alaska", "feasible": True, "margin_s": 25.0},
        {"launch": "Kozelsk", "target": "Chicago", "battery": "Poland", "feasible": False, "margin_s": None},
    ]
    fig = plot_reach_table(pairs)
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == ["no", "yes\n+25 s"]


def test_charts_do_not_touch_pyplot_state():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plot_speed_flip([6.0, 7.0, 8.0], [0.0, 0.5, 1.0])
    assert plt.get_fignums() == before


# --- HTML ----------------------------------------------------------------------------

class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.refs, self.svgs, self.figures, self.tags, self.th = [], [], 0, 0, [], []
        self._in_th = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "img":
            self.imgs.append(attrs.get("src", ""))
        if tag == "svg":
            self.svgs += 1
        if tag == "figure":
            self.figures += 1
        if tag == "th":
            self._in_th = True
            self.th.append("")
        for key in ("src", "href"):
            if key in attrs:
                self.refs.append(attrs[key])

    def handle_endtag(self, tag):
        if tag == "th":
            self._in_th = False

    def handle_data(self, data):
        if self._in_th:
            self.th[-1] += data


def _small_figure(title):
    fig = new_figure(3, 2, dpi=50)
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set_title(title)
    return fig


def _report(**options):
    inline_svg = fig_to_svg(_small_figure("inline svg"))
    return build_report(
        "Would ten interceptors in Poland <really> defend Europe?",
        ["Against one Iranian missile, most of Europe is defended.", "Against Russian ICBMs: it depends."],
        [
            {"heading": "Defended area", "text": "First paragraph.\n\nSecond paragraph.",
             "figures": [_small_figure("footprint"), {"figure": _small_figure("raid"), "caption": "Raid curves"}],
             "table": [{"launch": "Tabriz", "defended_fraction": 0.61, "intercept_altitude_km": None,
                        "closing_speed_km_s": 10.234, "battle_space_s": [400.0, 650.0]}]},
            {"heading": "Speed", "figures": [fig_to_data_uri(_small_figure("speed")), inline_svg]},
            {"heading": "Notes", "html": "<p>Raw <em>markup</em> from the analysis layer.</p>"},
        ],
        [{"parameter": "gbi_burnout_speed_km_s", "value": {"value": 7.0, "low": 6.0, "high": 9.0,
                                                           "source": "MDA 2007"}},
         {"parameter": "Radar range", "value": 2000, "unit": "km", "source": "https://example.org/source"}],
        meta="shieldsim 0.1.0 · third_site_2007 · seed 2007",
        **options,
    )


def test_report_is_self_contained_with_every_figure():
    page = _report()
    parsed = _Collector()
    parsed.feed(page)
    assert parsed.figures == 4
    assert len(parsed.imgs) == 3 and parsed.svgs == 1
    assert all(src.startswith("data:image/") for src in parsed.imgs)
    assert not [r for r in parsed.refs if r.startswith(("http://", "https://", "//", "file:"))]
    assert all(r.startswith(("data:", "#")) for r in parsed.refs)
    assert not {"script", "link", "iframe"} & set(parsed.tags)
    assert check_self_contained(page) == []
    assert "&lt;really&gt;" in page and "<really>" not in page
    assert "Against Russian ICBMs: it depends." in page
    assert "Closing speed (km/s)" in parsed.th and "Intercept altitude (km)" in parsed.th
    assert "GBI burnout speed (km/s)" in page and "6 – 9" in page


def test_report_with_inline_svg_figures():
    page = _report(figure_format="svg")
    parsed = _Collector()
    parsed.feed(page)
    assert parsed.figures == 4
    assert parsed.svgs == 3 and len(parsed.imgs) == 1
    assert check_self_contained(page) == []


def test_report_refuses_external_references():
    sections = [{"heading": "x", "html": '<img src="https://example.org/map.png">'}]
    with pytest.raises(ValueError, match="self-contained"):
        build_report("t", [], sections, [])
    with pytest.raises(ValueError):
        build_report("t", [], [{"heading": "x", "figures": ["http://example.org/a.png"]}], [])


def test_check_self_contained_catches_every_kind_of_reference():
    page = """<html><head><link rel="stylesheet" href="style.css"><script src="app.js"></script>
    <style>body { background: url(https://example.org/bg.png) }</style></head>
    <body><a href="#ok">ok</a><img src="data:image/png;base64,AAAA">
    <div style="background-image: url('tile.png')"></div><iframe src="x.html"></iframe></body></html>"""
    problems = check_self_contained(page)
    assert len([p for p in problems if "style.css" in p]) == 1
    assert any("app.js" in p for p in problems)
    assert any("bg.png" in p for p in problems)
    assert any("tile.png" in p for p in problems)
    assert any("iframe" in p for p in problems)
    assert not any("#ok" in p or "data:" in p for p in problems)


def test_image_file_figures_are_embedded(tmp_path):
    png = tmp_path / "chart.png"
    _small_figure("file").savefig(png)
    page = build_report("t", [], [{"heading": "h", "figures": [png]}], [])
    parsed = _Collector()
    parsed.feed(page)
    assert parsed.imgs[0].startswith("data:image/png;base64,")


def test_write_report_is_atomic_and_deterministic(tmp_path):
    target = tmp_path / "out" / "report.html"
    write_report(target, "Title", ["Summary."], [{"heading": "A", "figures": [_small_figure("a")]}], [])
    first = target.read_text(encoding="utf-8")
    write_report(target, "Title", ["Summary."], [{"heading": "A", "figures": [_small_figure("a")]}], [])
    assert target.read_text(encoding="utf-8") == first
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]


def test_table_headings_and_values_for_readers():
    assert column_heading("intercept_altitude_km") == "Intercept altitude (km)"
    assert column_heading("closing_speed_km_s") == "Closing speed (km/s)"
    assert column_heading("first_detection_s") == "First detection (s)"
    assert column_heading("defended_fraction") == "Defended fraction"
    assert format_value(None) == "—" and format_value(float("nan")) == "—"
    assert format_value(True) == "yes"
    assert format_value(7.0) == "7" and format_value(0.04512) == "0.0451" and format_value(1234.4) == "1234"
    assert format_value(25000) == "25,000" and format_value(2007) == "2007"
    assert format_value([400.0, 650.0]) == "400 – 650"


def test_fig_to_data_uri_is_a_png():
    import base64

    uri = fig_to_data_uri(_small_figure("x"))
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert fig_to_svg(_small_figure("y")).startswith("<svg")


def test_vendored_geojson_is_plain_geojson():
    fc = json.loads(NE_DIR.joinpath("countries-110m.geojson").read_text())
    assert fc["type"] == "FeatureCollection"
    names = {f["properties"]["name"] for f in fc["features"]}
    assert {"Poland", "Czechia", "Russia", "Iran", "United States of America"} <= names
    assert all(shape(f["geometry"]).is_valid for f in fc["features"][:20])
