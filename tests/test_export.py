"""GeoJSON, CZML, KML and Parquet exports (shieldsim.export)."""

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import shapely
from czml3 import Document, Packet
from pyproj import Geod
from shapely.geometry import box, shape

from shieldsim.export import (
    circles_feature_collection,
    footprint_polygons,
    grid_columns,
    points_feature_collection,
    read_table,
    tracks_feature_collection,
    trajectories_to_czml,
    trajectories_to_kml,
    write_czml,
    write_geojson,
    write_grid,
    write_kml,
)
from shieldsim.export.czml import parse_color
from shieldsim.export.geojson import circle_geometry, geodesic_circle, grid_cell_edges, split_at_antimeridian

KML_NS = {"k": "http://www.opengis.net/kml/2.2"}
GEOD = Geod(ellps="WGS84")

# A 4 x 4 grid of 1-degree cells centred on 50..53 N, 10..13 E.
LAT = np.array([50.0, 51.0, 52.0, 53.0])
LON = np.array([10.0, 11.0, 12.0, 13.0])


def _cell(j, i):
    return box(LON[i] - 0.5, LAT[j] - 0.5, LON[i] + 0.5, LAT[j] + 0.5)


def _assert_feature_collection(fc):
    assert fc["type"] == "FeatureCollection"
    assert isinstance(fc["features"], list)
    for f in fc["features"]:
        assert f["type"] == "Feature"
        assert isinstance(f["properties"], dict)
        assert f["geometry"] is None or {"type", "coordinates"} <= set(f["geometry"])
    json.loads(json.dumps(fc, allow_nan=False))


# --- GeoJSON ---------------------------------------------------------------------------

def test_defended_2x2_block_is_the_union_of_its_cells():
    defended = np.zeros((4, 4), bool)
    defended[1:3, 1:3] = True
    fc = footprint_polygons(LAT, LON, defended)
    _assert_feature_collection(fc)
    geom = shape(fc["features"][0]["geometry"])
    expected = shapely.union_all([_cell(1, 1), _cell(1, 2), _cell(2, 1), _cell(2, 2)])
    assert geom.geom_type == "Polygon"
    assert geom.area == pytest.approx(4.0)
    assert geom.symmetric_difference(expected).area == pytest.approx(0.0, abs=1e-12)
    assert fc["features"][0]["properties"]["cells"] == 4


def test_undefended_pocket_is_a_hole():
    defended = np.zeros((4, 4), bool)
    defended[0:3, 0:3] = True
    defended[1, 1] = False
    fc = footprint_polygons(LAT, LON, defended)
    geom = shape(fc["features"][0]["geometry"])
    assert len(geom.interiors) == 1
    assert geom.area == pytest.approx(8.0)
    assert not geom.contains(shapely.Point(LON[1], LAT[1]))
    assert geom.contains(shapely.Point(LON[0], LAT[0]))
    # RFC 7946: exterior counter-clockwise, holes clockwise.
    assert geom.exterior.is_ccw and not geom.interiors[0].is_ccw


def test_separate_blocks_give_a_multipolygon_and_geodesic_area():
    defended = np.zeros((4, 4), bool)
    defended[0, 0] = defended[3, 3] = True
    props = footprint_polygons(LAT, LON, defended, properties={"launch": "Tabriz"})["features"][0]
    assert props["geometry"]["type"] == "MultiPolygon"
    assert props["properties"]["launch"] == "Tabriz"
    expected = _ellipsoid_cell_km2(49.5, 50.5, 1.0) + _ellipsoid_cell_km2(52.5, 53.5, 1.0)
    assert props["properties"]["area_km2"] == pytest.approx(expected, rel=1e-4)


def _ellipsoid_cell_km2(lat1_deg, lat2_deg, dlon_deg):
    """Exact WGS84 area between two parallels and two meridians (authalic-latitude formula)."""
    a, f = 6378.137, 1 / 298.257223563
    e = np.sqrt(f * (2 - f))
    b2 = (a * (1 - f)) ** 2

    def q(lat_deg):
        s = np.sin(np.radians(lat_deg))
        return s / (1 - (e * s) ** 2) + np.log((1 + e * s) / (1 - e * s)) / (2 * e)

    return np.radians(dlon_deg) * b2 / 2 * (q(lat2_deg) - q(lat1_deg))


def test_shot_opportunity_levels_partition_the_defended_area():
    defended = np.ones((4, 4), bool)
    defended[0, :] = False
    shots = np.tile(np.array([[0], [1], [2], [3]]), (1, 4))
    fc = footprint_polygons(LAT, LON, defended, shots)
    whole = shape(fc["features"][0]["geometry"])
    levels = {f["properties"]["shot_opportunities"]: shape(f["geometry"]) for f in fc["features"][1:]}
    assert sorted(levels) == [1, 2, 3]
    assert all(f["properties"]["kind"] == "shot_opportunities" for f in fc["features"][1:])
    assert shapely.union_all(list(levels.values())).symmetric_difference(whole).area == pytest.approx(0.0)
    assert levels[1].intersection(levels[2]).area == pytest.approx(0.0)


def test_nothing_defended_gives_null_geometry():
    fc = footprint_polygons(LAT, LON, np.zeros((4, 4), bool))
    assert fc["features"][0]["geometry"] is None
    assert fc["features"][0]["properties"]["area_km2"] == 0.0


def test_grid_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="shape"):
        footprint_polygons(LAT, LON, np.zeros((4, 3), bool))


def test_grid_cell_edges_handle_irregular_spacing():
    assert np.allclose(grid_cell_edges([0.0, 1.0, 3.0]), [-0.5, 0.5, 2.0, 4.0])


def test_points_are_lon_lat_with_height_in_metres():
    fc = points_feature_collection([
        {"name": "Redzikowo", "lat_deg": 54.48, "lon_deg": 17.1, "kind": "interceptor"},
        {"name": "intercept", "lat_deg": 56.0, "lon_deg": 20.0, "alt_km": 250.0},
        {"name": "never", "lat_deg": None, "lon_deg": None},
    ])
    _assert_feature_collection(fc)
    first, second, third = fc["features"]
    assert first["geometry"]["coordinates"] == [17.1, 54.48]
    assert first["properties"] == {"name": "Redzikowo", "kind": "interceptor"}
    assert second["geometry"]["coordinates"] == [20.0, 56.0, 250000.0]
    assert third["geometry"] is None


def test_track_crossing_the_antimeridian_is_cut_there():
    fc = tracks_feature_collection([{
        "name": "Kamchatka to Alaska", "engageable": False,
        "lat_deg": np.array([55.0, 56.0, 57.0]), "lon_deg": np.array([178.0, 179.0, -179.0]),
        "alt_km": np.array([0.0, 100.0, 200.0]), "t_s": np.array([0.0, 10.0, 20.0]),
    }])
    _assert_feature_collection(fc)
    feature = fc["features"][0]
    assert feature["geometry"]["type"] == "MultiLineString"
    west, east = feature["geometry"]["coordinates"]
    assert west[-1][0] == 180.0 and east[0][0] == -180.0
    assert west[-1][1] == pytest.approx(56.5) and west[-1][2] == pytest.approx(150000.0)
    assert feature["properties"] == {"name": "Kamchatka to Alaska", "engageable": False,
                                     "start_s": 0.0, "end_s": 20.0}


def test_split_at_antimeridian_leaves_ordinary_lines_whole():
    pieces = split_at_antimeridian([10.0, 20.0, 30.0], [50.0, 51.0, 52.0])
    assert len(pieces) == 1 and np.allclose(pieces[0][0], [10.0, 20.0, 30.0])


def test_geodesic_circle_is_counter_clockwise_at_the_radius():
    lon, lat = geodesic_circle(54.48, 17.1, 1500.0, n=73)
    assert shapely.LinearRing(np.column_stack([lon, lat])).is_ccw
    _, _, dist = GEOD.inv(np.full(lon.size, 17.1), np.full(lat.size, 54.48), lon, lat)
    assert np.allclose(dist, 1.5e6, atol=1.0)


def test_circle_around_the_pole_is_closed_along_the_pole():
    geom = circle_geometry(64.3, -149.2, 4000.0)
    assert geom.is_valid
    assert geom.contains(shapely.Point(0.0, 89.5))
    assert geom.contains(shapely.Point(-149.2, 64.3))
    assert not geom.contains(shapely.Point(17.0, 52.0))
    fc = circles_feature_collection([{"lat_deg": 64.3, "lon_deg": -149.2, "radius_km": 4000.0, "label": "Greely"}])
    _assert_feature_collection(fc)
    assert fc["features"][0]["properties"]["label"] == "Greely"


def test_circle_crossing_the_antimeridian_is_cut_into_pieces():
    geom = circle_geometry(60.0, 178.0, 500.0)
    assert geom.geom_type == "MultiPolygon"
    assert geom.bounds[0] == pytest.approx(-180.0) and geom.bounds[2] == pytest.approx(180.0)
    assert geom.contains(shapely.Point(179.0, 60.0)) and geom.contains(shapely.Point(-179.5, 60.0))


def test_write_geojson_round_trips(tmp_path):
    defended = np.eye(4, dtype=bool)
    fc = footprint_polygons(LAT, LON, defended)
    path = write_geojson(tmp_path / "footprint.geojson", fc)
    assert json.loads(path.read_text()) == json.loads(json.dumps(fc))
    with pytest.raises(ValueError):
        write_geojson(tmp_path / "bad.geojson", {"type": "Feature"})


# --- CZML ------------------------------------------------------------------------------

def _tracks(n=40):
    t = np.linspace(0.0, 1800.0, n)
    return [
        {"name": "Shahab-3 to Warsaw", "t_s": t[: n // 2] / 3, "lat_deg": np.linspace(35.7, 52.2, n // 2),
         "lon_deg": np.linspace(51.4, 21.0, n // 2), "alt_km": 600 * np.sin(np.linspace(0, np.pi, n // 2)),
         "color": "#c0392b"},
        {"name": "ICBM to New York", "t_s": t, "lat_deg": np.linspace(51.7, 40.7, n),
         "lon_deg": np.linspace(45.6, -74.0, n), "alt_km": 1200 * np.sin(np.linspace(0, np.pi, n)),
         "color": (0.1, 0.3, 0.6)},
    ]


SITES = [
    {"name": "Redzikowo", "lat_deg": 54.48, "lon_deg": 17.1, "kind": "interceptor"},
    {"name": "Brdy", "lat_deg": 49.7, "lon_deg": 13.8, "kind": "radar"},
]


def test_czml_validates_with_czml3_and_has_four_numbers_per_sample():
    tracks = _tracks()
    text = trajectories_to_czml(tracks, "2007-06-01T12:00:00Z", SITES)
    packets = json.loads(text)
    document = Document.model_validate(packets)
    for raw in packets:
        Packet.model_validate(raw)
    assert packets[0]["id"] == "document" and packets[0]["version"] == "1.0"
    assert len(document.packets) == 1 + len(tracks) + len(SITES)
    for raw, track in zip(packets[1:3], tracks):
        values = raw["position"]["cartographicDegrees"]
        assert len(values) == 4 * len(track["t_s"])
        assert values[:4] == pytest.approx([0.0, track["lon_deg"][0], track["lat_deg"][0],
                                            track["alt_km"][0] * 1e3])
        assert raw["path"]["material"]["solidColor"]["color"]["rgba"][3] == 255
    assert packets[1]["position"]["epoch"] == "2007-06-01T12:00:00Z"
    assert packets[2]["availability"] == "2007-06-01T12:00:00Z/2007-06-01T12:30:00Z"
    assert packets[0]["clock"]["interval"] == "2007-06-01T12:00:00Z/2007-06-01T12:30:00Z"
    assert [p["name"] for p in packets[3:]] == ["Redzikowo", "Brdy"]
    assert len({p["id"] for p in packets}) == len(packets)


def test_czml_track_epoch_follows_its_first_sample():
    track = dict(_tracks()[0], t_s=np.linspace(100.0, 400.0, 20))
    packets = json.loads(trajectories_to_czml([track], "2007-06-01T12:00:00"))
    assert packets[1]["position"]["epoch"] == "2007-06-01T12:01:40Z"
    assert packets[1]["position"]["cartographicDegrees"][0] == 0.0


def test_czml_drops_non_finite_samples_and_rejects_bad_times():
    track = _tracks()[1]
    track["alt_km"] = track["alt_km"].copy()
    track["alt_km"][5] = np.nan
    packets = json.loads(trajectories_to_czml([track], "2007-06-01T12:00:00Z"))
    assert len(packets[1]["position"]["cartographicDegrees"]) == 4 * (len(track["t_s"]) - 1)
    backwards = dict(track, t_s=track["t_s"][::-1])
    with pytest.raises(ValueError, match="increase"):
        trajectories_to_czml([backwards], "2007-06-01T12:00:00Z")
    with pytest.raises(ValueError, match="ISO"):
        trajectories_to_czml([track], "June 2007")


def test_write_czml(tmp_path):
    path = write_czml(tmp_path / "tracks.czml", _tracks(), "2007-06-01T12:00:00Z", SITES)
    doc = Document.model_validate(json.loads(path.read_text()))
    assert len(doc.packets) == 1 + len(_tracks()) + len(SITES)


def test_parse_color_forms():
    assert parse_color("#ff8000") == [255, 128, 0, 255]
    assert parse_color("#ff800080") == [255, 128, 0, 128]
    assert parse_color((0.0, 0.5, 1.0)) == [0, 128, 255, 255]
    assert parse_color((10, 20, 30, 40)) == [10, 20, 30, 40]
    assert parse_color(None) == parse_color("orange")
    with pytest.raises(ValueError):
        parse_color("not-a-colour")


# --- KML -------------------------------------------------------------------------------

def test_kml_parses_with_one_placemark_per_track_and_site():
    tracks = _tracks()
    root = ET.fromstring(trajectories_to_kml(tracks, SITES).encode("utf-8"))
    placemarks = root.findall(".//k:Placemark", KML_NS)
    assert len(placemarks) == len(tracks) + len(SITES)
    lines = root.findall(".//k:LineString", KML_NS)
    assert len(lines) == len(tracks)
    for line, track in zip(lines, tracks):
        assert line.find("k:altitudeMode", KML_NS).text == "absolute"
        coords = [tuple(map(float, c.split(","))) for c in line.find("k:coordinates", KML_NS).text.split()]
        assert len(coords) == len(track["t_s"])
        top = int(np.argmax(track["alt_km"]))
        assert coords[top] == pytest.approx((track["lon_deg"][top], track["lat_deg"][top],
                                             track["alt_km"][top] * 1e3))
    points = root.findall(".//k:Point", KML_NS)
    assert [p.find("k:coordinates", KML_NS).text.split(",")[:2] for p in points] == [["17.1", "54.48"],
                                                                                      ["13.8", "49.7"]]


def test_kml_refers_to_nothing_outside_the_file():
    text = trajectories_to_kml(_tracks(), SITES)
    root = ET.fromstring(text.encode("utf-8"))
    assert root.findall(".//k:href", KML_NS) == []


def test_kml_areas_become_polygons_with_holes():
    defended = np.ones((4, 4), bool)
    defended[1, 1] = False
    root = ET.fromstring(trajectories_to_kml([], [], areas=footprint_polygons(LAT, LON, defended)).encode())
    polygons = root.findall(".//k:Polygon", KML_NS)
    assert len(polygons) == 1
    assert len(polygons[0].findall("k:innerBoundaryIs", KML_NS)) == 1
    assert len(root.findall(".//k:Placemark", KML_NS)) == 1


def test_kml_escapes_names_and_writes_atomically(tmp_path):
    track = dict(_tracks()[0], name="Iran <Shahab-3> & co")
    path = write_kml(tmp_path / "tracks.kml", [track], SITES)
    root = ET.parse(path).getroot()
    assert root.find(".//k:Placemark/k:name", KML_NS).text == "Iran <Shahab-3> & co"


# --- Parquet ---------------------------------------------------------------------------

def test_write_grid_round_trips_the_footprint_contract(tmp_path):
    defended = np.zeros((4, 4), bool)
    defended[2, 3] = True
    shots = defended.astype(int) * 2
    altitude = np.where(defended, 180.0, np.nan)
    columns = grid_columns(LAT, LON, defended=defended, shot_opportunities=shots, intercept_altitude_km=altitude)
    path = write_grid(tmp_path / "footprint.parquet", columns, metadata={"launch": "Tabriz"})
    table = read_table(path)
    assert list(table) == ["lat_deg", "lon_deg", "defended", "shot_opportunities", "intercept_altitude_km"]
    assert len(table["lat_deg"]) == 16
    row = int(np.flatnonzero(table["defended"])[0])
    assert (table["lat_deg"][row], table["lon_deg"][row]) == (52.0, 13.0)
    assert table["shot_opportunities"][row] == 2 and table["intercept_altitude_km"][row] == 180.0
    assert np.isnan(table["intercept_altitude_km"][0])


def test_write_grid_flattens_2d_and_checks_sizes(tmp_path):
    lat_grid, lon_grid = np.meshgrid(LAT, LON, indexing="ij")
    write_grid(tmp_path / "a.parquet", {"lat_deg": lat_grid, "lon_deg": lon_grid})
    write_grid(tmp_path / "b.parquet", grid_columns(LAT, LON))
    a, b = read_table(tmp_path / "a.parquet"), read_table(tmp_path / "b.parquet")
    assert all(np.array_equal(a[k], b[k]) for k in ("lat_deg", "lon_deg"))
    with pytest.raises(ValueError, match="size"):
        write_grid(tmp_path / "c.parquet", {"x": np.zeros(3), "y": np.zeros(4)})
    with pytest.raises(ValueError, match="shape"):
        grid_columns(LAT, LON, defended=np.zeros((3, 4)))
