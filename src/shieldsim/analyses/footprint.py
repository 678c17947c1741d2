"""Defended area: which aim points of a region are defended against launches from one site.

For every aim point of a lat/lon grid (Europe by default: 34-72 N, 25 W-45 E at 0.5 deg)
the missile is aimed and flown (one batch), the scenario's sensors observe it, and each
battery's battle space is computed (``DefenceModel.assess``). An aim point is defended
when at least one battery has a feasible intercept; the grid also carries the number of
shot opportunities and the altitude of the earliest intercept. Aim points beyond the
missile's reach are marked ``reachable = False`` (neither threatened nor defended) and
``defended_fraction`` is taken over the reachable ones.

Work is chunked so memory stays bounded; progress is reported per chunk.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from ..targeting import aim
from .defence import DefenceModel

EUROPE = (34.0, 72.0, -25.0, 45.0)  # lat_min, lat_max, lon_min, lon_max (deg)
CHUNK = 1500  # aim points per batch: bounds the (points x time) arrays of a chunk to a few 100 MB


@dataclass
class FootprintResult:
    launch: str
    missile: str
    lat_deg: np.ndarray  # (ny,)
    lon_deg: np.ndarray  # (nx,)
    reachable: np.ndarray  # (ny, nx) bool
    defended: np.ndarray  # (ny, nx) bool
    shot_opportunities: np.ndarray  # (ny, nx) int
    intercept_altitude_km: np.ndarray  # (ny, nx) float, NaN where none
    seconds: float

    @property
    def aim_points(self) -> int:
        return int(self.defended.size)

    @property
    def defended_fraction(self) -> float:
        r = self.reachable.sum()
        return float(self.defended.sum() / r) if r else 0.0

    def to_dict(self) -> dict:
        return {"launch": self.launch, "missile": self.missile, "aim_points": self.aim_points,
                "reachable_points": int(self.reachable.sum()), "defended_fraction": round(self.defended_fraction, 4),
                "seconds": round(self.seconds, 2)}

    def columns(self) -> dict:
        """Flat columns for the Parquet grid (one row per aim point)."""
        lat, lon = np.meshgrid(self.lat_deg, self.lon_deg, indexing="ij")
        return {"lat_deg": lat.ravel(), "lon_deg": lon.ravel(), "reachable": self.reachable.ravel(),
                "defended": self.defended.ravel(), "shot_opportunities": self.shot_opportunities.ravel().astype(np.int64),
                "intercept_altitude_km": self.intercept_altitude_km.ravel()}


def grid(region=EUROPE, resolution_deg: float = 0.5):
    lat_min, lat_max, lon_min, lon_max = region
    lat = np.arange(lat_min, lat_max + 1e-9, resolution_deg)
    lon = np.arange(lon_min, lon_max + 1e-9, resolution_deg)
    return lat, lon


def assess_aim_points(defence: DefenceModel, rocket, launch, lat_deg, lon_deg, rng, trajectory="minimum-energy",
                      progress=None, rcs_m2=None):
    """Aim, fly and assess a flat list of aim points; returns per-point arrays."""
    from ..targeting import azimuth_table

    n = lat_deg.size
    lat0, lon0 = math.radians(launch.lat_deg), math.radians(launch.lon_deg)
    table = azimuth_table(rocket, lat0, lon0, launch.alt_km * 1e3)  # once for every chunk
    reachable = np.zeros(n, bool)
    defended = np.zeros(n, bool)
    opps = np.zeros(n, int)
    alt = np.full(n, np.nan)
    for s in range(0, n, CHUNK):
        sl = slice(s, min(n, s + CHUNK))
        m = sl.stop - sl.start
        sol = aim(rocket, lat0, lon0, launch.alt_km * 1e3, np.radians(lat_deg[sl]), np.radians(lon_deg[sl]),
                  trajectory, range_table=table)
        ok = sol.feasible & (sol.miss_m < 1000.0)
        reachable[sl] = ok
        if ok.any():
            idx = np.flatnonzero(ok)
            tr = sol.trajectory[idx]
            a = defence.assess(tr, rng, names=[f"p{sl.start + i}" for i in idx], rcs_m2=rcs_m2)
            o = a.opportunities.sum(axis=1)
            opps[sl.start + idx] = o
            defended[sl.start + idx] = o > 0
            first = a.first_intercept()
            alts = np.full(idx.size, np.nan)
            for b, space in enumerate(a.spaces):
                sel = first == b
                alts[sel] = space.intercept_alt_m[sel] / 1e3
            alt[sl.start + idx] = alts
        if progress is not None:
            progress(m)
    return reachable, defended, opps, alt


def footprint(defence: DefenceModel, rocket, launch, *, missile_name: str, region=EUROPE, resolution_deg: float = 0.5,
              rng: np.random.Generator, trajectory="minimum-energy", progress=None, rcs_m2=None) -> FootprintResult:
    """The defended-area grid for launches of ``rocket`` from ``launch`` (a catalog Site)."""
    t0 = time.perf_counter()
    lat, lon = grid(region, resolution_deg)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    reach, dfd, opps, alt = assess_aim_points(defence, rocket, launch, la.ravel(), lo.ravel(), rng, trajectory,
                                              progress, rcs_m2)
    shape = la.shape
    return FootprintResult(launch.name, missile_name, lat, lon, reach.reshape(shape), dfd.reshape(shape),
                           opps.reshape(shape), alt.reshape(shape), time.perf_counter() - t0)
