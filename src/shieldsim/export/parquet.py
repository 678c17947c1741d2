"""Parquet tables of gridded results (the footprint grid, sweep rows), written atomically.

One row per grid cell or per sweep cell, one column per field, units in the column
names (``lat_deg``, ``intercept_altitude_km``). Grids given as (ny, nx) arrays with
their axes are flattened in row-major order (latitude outer, longitude inner).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from shieldsim.io import atomic_write_parquet

__all__ = ["grid_columns", "read_table", "write_grid"]


def grid_columns(lat_deg: Sequence[float], lon_deg: Sequence[float], **fields: Any) -> dict[str, np.ndarray]:
    """Flatten a lat × lon grid into columns: ``lat_deg``, ``lon_deg``, then each field.

    ``lat_deg`` is (ny,), ``lon_deg`` (nx,), every field (ny, nx); the result has
    ``ny * nx`` rows, latitude varying slowest. Example for the footprint contract:
    ``grid_columns(lat, lon, defended=d, shot_opportunities=n, intercept_altitude_km=h)``.
    """
    lat = np.asarray(lat_deg, dtype=float)
    lon = np.asarray(lon_deg, dtype=float)
    if lat.ndim != 1 or lon.ndim != 1:
        raise ValueError("grid_columns: lat_deg and lon_deg must be 1-D")
    lat_grid, lon_grid = np.meshgrid(lat, lon, indexing="ij")
    columns = {"lat_deg": lat_grid.ravel(), "lon_deg": lon_grid.ravel()}
    for name, values in fields.items():
        arr = np.asarray(values)
        if arr.shape != (lat.size, lon.size):
            raise ValueError(f"grid_columns: {name} has shape {arr.shape}, expected {(lat.size, lon.size)}")
        columns[name] = arr.ravel()
    return columns


def write_grid(path: str | os.PathLike[str], columns: Mapping[str, Any],
               metadata: Mapping[str, str] | None = None) -> Path:
    """Write equal-length columns to a Parquet file atomically (zstd); returns the path.

    ``columns`` maps names to arrays; 2-D arrays of one shape are flattened row-major,
    so ``write_grid(path, grid_columns(...))`` and ``write_grid(path, {"lat_deg":
    lat_grid, ...})`` give the same file. ``metadata`` (strings) is stored in the file.
    """
    if not columns:
        raise ValueError("write_grid: no columns")
    flat = {}
    for name, values in columns.items():
        arr = np.asarray(values)
        if arr.ndim == 0:
            raise ValueError(f"write_grid: column {name!r} is a scalar")
        flat[str(name)] = arr.ravel()
    sizes = {name: arr.size for name, arr in flat.items()}
    if len(set(sizes.values())) != 1:
        raise ValueError(f"write_grid: columns differ in size: {sizes}")
    return atomic_write_parquet(path, flat, metadata=metadata)


def read_table(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read a Parquet file back as a dict of numpy arrays (for tests and quick looks)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    return {name: table.column(name).to_numpy() for name in table.column_names}
