"""Machine-readable outputs: GeoJSON (web maps, GIS), CZML (Cesium), KML (Google Earth), Parquet.

Every exporter takes plain data (numpy arrays, lists of dicts), never the engine's
objects, and every ``write_*`` function writes atomically (``shieldsim.io``).
"""

from shieldsim.export.czml import trajectories_to_czml, write_czml
from shieldsim.export.geojson import (
    circles_feature_collection,
    footprint_polygons,
    points_feature_collection,
    tracks_feature_collection,
    write_geojson,
)
from shieldsim.export.kml import trajectories_to_kml, write_kml
from shieldsim.export.parquet import grid_columns, read_table, write_grid

__all__ = [
    "circles_feature_collection",
    "footprint_polygons",
    "grid_columns",
    "points_feature_collection",
    "read_table",
    "tracks_feature_collection",
    "trajectories_to_czml",
    "trajectories_to_kml",
    "write_czml",
    "write_geojson",
    "write_grid",
    "write_kml",
]
