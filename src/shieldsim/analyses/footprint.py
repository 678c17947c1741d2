"""Defended area: which aim points of a region are defended against launches from one site.

For every aim point of a lat/lon grid (Europe by default: 34-72 N, 25 W-45 E at 0.5 deg)
a missile is aimed and flown (one batch per missile), the scenario's sensors observe it,
and each battery's battle space is computed (``DefenceModel.assess``). An aim point is
defended when at least one battery has a feasible intercept; the grid also carries the
number of shot opportunities and the altitude of the earliest intercept.

Which missile: given several (``analysis.footprint.missiles``), each aim point is attacked
by the shortest-range missile of the list that reaches it from its launch place (the
missiles are tried in order of their catalog maximum range, ``targeting.max_range_km``): the
attacker is taken to use the least capable adequate missile, as a real arsenal would keep
its longest-range missiles for the targets only they reach. A shorter-range missile flies a
flatter, shorter trajectory and is harder for a midcourse defence to engage, so this is the
attacker's sensible choice, not the defence's. The per-point missile is in the grid.

Aim points beyond every missile's reach are marked ``reachable = False`` (neither
threatened nor defended) and ``defended_fraction`` is taken over the reachable ones.
Points are pre-filtered by the azimuth table of maximum ranges (exactly the test ``aim``
applies), so points out of a missile's reach are never flown. Work is chunked so memory
stays bounded; progress is reported per chunk.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..earth import geodesic_inverse
from ..targeting import aim, azimuth_table, max_range_km
from .context import check_grid
from .defence import DefenceModel

EUROPE = (34.0, 72.0, -25.0, 45.0)  # lat_min, lat_max, lon_min, lon_max (deg)
#: the grid columns of the footprint contract (DESIGN.md); ``reachable`` and ``missile`` are added
CONTRACT_COLUMNS = ("lat_deg", "lon_deg", "defended", "shot_opportunities", "intercept_altitude_km")
CHUNK = 1500  # aim points per batch: bounds the (points x time) arrays of a chunk to a few 100 MB


@dataclass
class FootprintResult:
    launch: str
    missile: str  # the missile, or the missiles joined with "+" (shortest range first)
    lat_deg: np.ndarray  # (ny,)
    lon_deg: np.ndarray  # (nx,)
    reachable: np.ndarray  # (ny, nx) bool
    defended: np.ndarray  # (ny, nx) bool
    shot_opportunities: np.ndarray  # (ny, nx) int
    intercept_altitude_km: np.ndarray  # (ny, nx) float, NaN where none
    seconds: float
    #: the missiles flown, shortest range first: {missile, launch, max_range_km}
    missiles: tuple[dict, ...] = ()
    #: (ny, nx) index into ``missiles`` of the missile attacking each point, -1 where none reaches
    missile_index: np.ndarray | None = None

    def __post_init__(self):
        if self.missile_index is None:
            self.missile_index = np.where(self.reachable, 0, -1)
        if not self.missiles:
            self.missiles = ({"missile": self.missile, "launch": self.launch, "max_range_km": None},)

    @property
    def aim_points(self) -> int:
        return int(self.defended.size)

    @property
    def defended_fraction(self) -> float:
        r = self.reachable.sum()
        return float(self.defended.sum() / r) if r else 0.0

    @property
    def point_missile(self) -> np.ndarray:
        """(ny, nx) object array: the missile name attacking each point, None where none reaches."""
        names = np.array([m["missile"] for m in self.missiles] + [None], dtype=object)
        return names[self.missile_index]  # -1 picks the trailing None

    def missile_summary(self) -> list[dict]:
        """Per missile: where it flies from, its range, the points it attacks and how many are defended."""
        out = []
        for k, m in enumerate(self.missiles):
            sel = self.missile_index == k
            n = int(sel.sum())
            out.append({**m, "aim_points": n,
                        "defended_fraction": round(float(self.defended[sel].sum() / n), 4) if n else None})
        return out

    def to_dict(self) -> dict:
        return {"launch": self.launch, "missile": self.missile, "missiles": self.missile_summary(),
                "aim_points": self.aim_points, "reachable_points": int(self.reachable.sum()),
                "defended_fraction": round(self.defended_fraction, 4), "seconds": round(self.seconds, 2)}

    def columns(self) -> dict:
        """Flat columns for the Parquet grid (one row per aim point); ``missile`` is null where
        no missile reaches."""
        lat, lon = np.meshgrid(self.lat_deg, self.lon_deg, indexing="ij")
        return {"lat_deg": lat.ravel(), "lon_deg": lon.ravel(), "reachable": self.reachable.ravel(),
                "defended": self.defended.ravel(), "shot_opportunities": self.shot_opportunities.ravel().astype(np.int64),
                "intercept_altitude_km": self.intercept_altitude_km.ravel(), "missile": self.point_missile.ravel()}


def grid(region=EUROPE, resolution_deg: float = 0.5):
    check_grid(region, resolution_deg)  # refused above context.MAX_AIM_POINTS, before allocating
    lat_min, lat_max, lon_min, lon_max = region
    lat = np.arange(lat_min, lat_max + 1e-9, resolution_deg)
    lon = np.arange(lon_min, lon_max + 1e-9, resolution_deg)
    return lat, lon


def _within_reach(table, lat0, lon0, lat_deg, lon_deg) -> np.ndarray:
    """Aim points inside the azimuth table's maximum range: the same test ``aim`` makes."""
    bins, rb, _ = table
    az, d = geodesic_inverse(np.full(lat_deg.size, lat0), np.full(lat_deg.size, lon0), np.radians(lat_deg),
                             np.radians(lon_deg))
    rmax = np.interp(np.mod(az, 2 * np.pi), bins, rb, period=2 * np.pi)
    return np.asarray(d) <= rmax


def assess_aim_points(defence: DefenceModel, rocket, launch, lat_deg, lon_deg, rng, trajectory="minimum-energy",
                      progress=None, rcs_m2=None):
    """Aim, fly and assess a flat list of aim points; returns per-point arrays
    (reachable, defended, shot opportunities, intercept altitude km)."""
    n = lat_deg.size
    lat0, lon0 = math.radians(launch.lat_deg), math.radians(launch.lon_deg)
    table = azimuth_table(rocket, lat0, lon0, launch.alt_km * 1e3)  # once for every chunk
    reachable = np.zeros(n, bool)
    defended = np.zeros(n, bool)
    opps = np.zeros(n, int)
    alt = np.full(n, np.nan)
    todo = np.flatnonzero(_within_reach(table, lat0, lon0, lat_deg, lon_deg))
    if progress is not None and n - todo.size:
        progress(n - todo.size)
    for s in range(0, todo.size, CHUNK):
        pts = todo[s:s + CHUNK]
        sol = aim(rocket, lat0, lon0, launch.alt_km * 1e3, np.radians(lat_deg[pts]), np.radians(lon_deg[pts]),
                  trajectory, interpolate=True, range_table=table)
        ok = sol.feasible & (sol.miss_m < 1000.0)
        reachable[pts] = ok
        if ok.any():
            idx = np.flatnonzero(ok)
            where = pts[idx]
            tr = sol.trajectory[idx]
            a = defence.assess(tr, rng, names=[f"p{i}" for i in where], rcs_m2=rcs_m2)
            o = a.opportunities.sum(axis=1)
            opps[where] = o
            defended[where] = o > 0
            first = a.first_intercept()
            alts = np.full(idx.size, np.nan)
            for b, space in enumerate(a.spaces):
                sel = first == b
                alts[sel] = space.intercept_alt_m[sel] / 1e3
            alt[where] = alts
        if progress is not None:
            progress(pts.size)
    return reachable, defended, opps, alt


_MAX_RANGE_KM: dict[str, float] = {}  # catalog missiles do not change within a run


def _max_range_km(name: str, rocket) -> float:
    if name not in _MAX_RANGE_KM:
        _MAX_RANGE_KM[name] = max_range_km(rocket)
    return _MAX_RANGE_KM[name]


def missile_order(missiles: Sequence[tuple[str, object, object]]) -> list[tuple[str, object, object, float]]:
    """(name, rocket, launch site) triples sorted by the catalog maximum range, shortest first
    (ties keep the given order); each gains its range in km."""
    ranged = [(name, rk, site, _max_range_km(name, rk)) for name, rk, site in missiles]
    return sorted(ranged, key=lambda m: m[3])


def footprint_missiles(defence: DefenceModel, missiles: Sequence[tuple[str, object, object]], *, launch_name: str,
                       region=EUROPE, resolution_deg: float = 0.5, rng: np.random.Generator,
                       trajectory="minimum-energy", progress=None, rcs_m2=None) -> FootprintResult:
    """The defended-area grid when each aim point is attacked by the shortest-range missile of
    ``missiles`` ((name, Rocket, launch Site) triples) that reaches it. ``rcs_m2``: the target
    RCS (default each missile's payload RCS)."""
    if not missiles:
        raise ValueError("footprint_missiles: no missiles")
    t0 = time.perf_counter()
    lat, lon = grid(region, resolution_deg)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    flat_lat, flat_lon = la.ravel(), lo.ravel()
    n = flat_lat.size
    reach = np.zeros(n, bool)
    dfd = np.zeros(n, bool)
    opps = np.zeros(n, int)
    alt = np.full(n, np.nan)
    which = np.full(n, -1)
    ordered = missile_order(missiles)
    left = np.arange(n)
    for k, (name, rocket, site, _) in enumerate(ordered):
        if left.size == 0:
            break
        last = k == len(ordered) - 1
        rcs = rocket.payload.rcs_m2 if rcs_m2 is None else rcs_m2
        r, d, o, a = assess_aim_points(defence, rocket, site, flat_lat[left], flat_lon[left], rng, trajectory,
                                       progress if last else None, rcs)
        hit = left[r]
        reach[hit], dfd[hit], opps[hit], alt[hit], which[hit] = True, d[r], o[r], a[r], k
        if progress is not None and not last:
            progress(int(r.sum()))
        left = left[~r]
    shape = la.shape
    info = tuple({"missile": name, "launch": site.name, "max_range_km": round(rng_km, 1)}
                 for name, _, site, rng_km in ordered)
    label = "+".join(m["missile"] for m in info)
    return FootprintResult(launch_name, label, lat, lon, reach.reshape(shape), dfd.reshape(shape), opps.reshape(shape),
                           alt.reshape(shape), time.perf_counter() - t0, info, which.reshape(shape))


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


def scenario_footprint(ctx, launch=None, missile=None, resolution_deg=None, progress=None) -> FootprintResult:
    """The footprint of a loaded scenario (``run``, ``compare``, the ``footprint`` command).

    ``missile`` (``--missile``) forces one missile to every aim point; otherwise the
    scenario's ``analysis.footprint.missiles`` (or its single ``missile``). ``launch``
    (``--launch``) flies every missile from that place; otherwise each from its own launch
    place in ``missiles``, or ``analysis.footprint.launch``.
    """
    from .. import catalog

    fa = ctx.scenario.analysis.footprint
    launch_site = catalog.parse_place(launch or fa.launch, "--launch")
    if missile is not None:
        chosen = [(missile, launch_site)]
    else:
        chosen = [(m, launch_site if launch else catalog.parse_place(place, "analysis.footprint.missiles.launch"))
                  for m, place in fa.flown_missiles()]
    missiles = [(m, catalog.missile(m, field="--missile"), site) for m, site in chosen]
    res = resolution_deg or fa.resolution_deg
    region = (fa.lat_min_deg, fa.lat_max_deg, fa.lon_min_deg, fa.lon_max_deg)
    check_grid(region, res, "resolution_deg" if resolution_deg else "analysis.footprint.resolution_deg")
    lat, lon = grid(region, res)
    tick = progress.task("footprint aim points", lat.size * lon.size) if progress else None
    return footprint_missiles(ctx.defence, missiles, launch_name=launch_site.name, region=region, resolution_deg=res,
                              rng=ctx.rng(4), progress=tick)
