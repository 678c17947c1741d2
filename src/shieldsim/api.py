"""The Python API that mirrors the CLI: ``fly`` (a catalog missile from A to B) and
``free_flight`` (a burnout state, in vacuum or with drag). Both take arrays (broadcast)
and return results whose fields are arrays and whose ``to_dict()`` is the CLI's JSON.
Degrees and kilometres at this edge, SI inside.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import earth as E
from .errors import ScenarioError
from .flight import Trajectory, burnout_state, free_flight_states
from .targeting import aim
from .vehicles import Rocket


def _scalar_or_list(a):
    a = np.asarray(a, dtype=float)
    vals = [None if not math.isfinite(v) else float(v) for v in a.ravel()]
    return vals[0] if a.size == 1 else vals


@dataclass
class FlightResult:
    """Headline numbers of a batch of flights (arrays), with the trajectories behind them."""

    flight_time_s: np.ndarray
    ground_range_km: np.ndarray
    apogee_km: np.ndarray
    impact_lat_deg: np.ndarray
    impact_lon_deg: np.ndarray
    trajectory: Trajectory = field(repr=False)
    burnout_time_s: np.ndarray | None = None
    burnout_speed_km_s: np.ndarray | None = None
    burnout_altitude_km: np.ndarray | None = None
    miss_km: np.ndarray | None = None
    extra: dict = field(default_factory=dict, repr=False)

    _FIELDS = ("flight_time_s", "ground_range_km", "apogee_km", "impact_lat_deg", "impact_lon_deg",
               "burnout_time_s", "burnout_speed_km_s", "burnout_altitude_km", "miss_km")

    def to_dict(self) -> dict:
        """JSON-ready dict; a batch of one gives scalars, "never" is None."""
        out = {}
        for name in self._FIELDS:
            v = getattr(self, name)
            if v is not None:
                out[name] = _scalar_or_list(v)
        out.update(self.extra)
        return out

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({k: np.atleast_1d(getattr(self, k)) for k in self._FIELDS if getattr(self, k) is not None})

    def samples(self, dt_s: float) -> list[dict]:
        """Geodetic samples every dt_s seconds from launch to impact, one dict per flight."""
        if not dt_s > 0:
            raise ScenarioError("--samples", f"must be a positive number of seconds, got {dt_s}")
        return [{k: [round(float(x), 6) for x in v] for k, v in s.items()} for s in self.trajectory.sample(dt_s)]


def _check_lat(lat_deg, name):
    lat = np.asarray(lat_deg, dtype=float)
    if np.any(~np.isfinite(lat)) or np.any(np.abs(lat) > 90):
        raise ScenarioError(name, f"latitude {float(np.max(np.abs(lat))):g} is outside [-90, 90]")


def free_flight(lat_deg, lon_deg, alt_km, speed_km_s, gamma_deg, azimuth_deg, *, earth: str = "wgs84",
                rotation: bool = True, beta_kg_m2=None, gravity: str | None = None) -> FlightResult:
    """Fly burnout states (relative to the rotating Earth) to impact at altitude 0.

    Vacuum by default; with ``beta_kg_m2`` the body decelerates in the US Standard
    Atmosphere 1976 with drag on the air-relative velocity. WGS84 + J2 by default;
    ``earth="sphere"`` is a sphere of radius 6378.137 km with point-mass gravity.
    """
    ecode = E.earth_code(earth)
    _check_lat(lat_deg, "lat_deg")
    spd = np.asarray(speed_km_s, dtype=float)
    if np.any(~(spd >= 0)):
        raise ScenarioError("speed_km_s", "must be a non-negative number")
    if np.any(np.asarray(alt_km, dtype=float) < 0):
        raise ScenarioError("alt_km", "burnout altitude must not be below the surface")
    gam = np.asarray(gamma_deg, dtype=float)
    if np.any(np.abs(gam) > 90):
        raise ScenarioError("gamma_deg", "flight-path angle must be within [-90, 90] degrees")
    r, v, lat, lon = burnout_state(np.radians(lat_deg), np.radians(lon_deg), np.asarray(alt_km, float) * 1e3,
                                   spd * 1e3, np.radians(gam), np.radians(azimuth_deg), ecode, rotation)
    beta = np.inf if beta_kg_m2 is None else np.asarray(beta_kg_m2, dtype=float)
    if beta_kg_m2 is not None and np.any(~(np.asarray(beta) > 0)):
        raise ScenarioError("beta_kg_m2", "ballistic coefficient must be positive")
    tr = free_flight_states(r, v, beta, lat_rad=lat, lon_rad=lon, earth=earth, rotation=rotation, gravity=gravity)
    ilat, ilon = tr.impact_geodetic()
    return FlightResult(
        flight_time_s=tr.t_impact,
        ground_range_km=tr.ground_range_m() / 1e3,
        apogee_km=tr.apogee_alt_m() / 1e3,
        impact_lat_deg=np.degrees(ilat),
        impact_lon_deg=_wrap_lon(np.degrees(ilon)),
        trajectory=tr,
    )


def _wrap_lon(lon_deg):
    return (np.asarray(lon_deg) + 180.0) % 360.0 - 180.0


def fly(missile: str | Rocket, from_: str | tuple, to: str | tuple, trajectory: str = "minimum-energy", *,
        earth: str = "wgs84", rotation: bool = True) -> FlightResult:
    """Aim a catalog missile (name or ``Rocket``) from a place at a place and fly it.

    Places are catalog site names, "LAT,LON" strings or (lat_deg, lon_deg) tuples; lists
    of them (same length, or length one) fly a batch. An aim point beyond the missile's
    reach raises ``ScenarioError`` naming ``--to`` and the maximum range.
    """
    rockets, names = _resolve_missiles(missile)
    launches = _resolve_places(from_, "--from")
    targets = _resolve_places(to, "--to")
    n = max(len(rockets), len(launches), len(targets))
    rockets = rockets * n if len(rockets) == 1 else rockets
    names = names * n if len(names) == 1 else names
    launches = launches * n if len(launches) == 1 else launches
    targets = targets * n if len(targets) == 1 else targets
    if not (len(rockets) == len(launches) == len(targets) == n):
        raise ScenarioError("--to", "missile, --from and --to lists must have the same length (or length one)")
    lat = np.radians([p.lat_deg for p in launches])
    lon = np.radians([p.lon_deg for p in launches])
    alt = np.array([p.alt_km * 1e3 for p in launches])
    sol = aim(rockets, lat, lon, alt, np.radians([p.lat_deg for p in targets]),
              np.radians([p.lon_deg for p in targets]), trajectory, earth=earth, rotation=rotation)
    bad = np.flatnonzero(~sol.feasible)
    if bad.size:
        i = int(bad[0])
        if sol.target_range_m[i] > sol.max_range_m[i]:
            reason = (f"aim point is {sol.target_range_m[i] / 1e3:,.0f} km from {launches[i].name}, beyond the "
                      f"{names[i]}'s maximum range of {sol.max_range_m[i] / 1e3:,.0f} km on that bearing")
        else:
            reason = (f"aim point is {sol.target_range_m[i] / 1e3:,.0f} km from {launches[i].name}, too close for a "
                      f"{trajectory} trajectory of the {names[i]}")
        raise ScenarioError("--to", reason)
    tr = sol.trajectory
    ilat, ilon = tr.impact_geodetic()
    vbo, hbo = tr.burnout_relative()
    return FlightResult(
        flight_time_s=tr.t_impact,
        ground_range_km=tr.ground_range_m() / 1e3,
        apogee_km=tr.apogee_alt_m() / 1e3,
        impact_lat_deg=np.degrees(ilat),
        impact_lon_deg=_wrap_lon(np.degrees(ilon)),
        trajectory=tr,
        burnout_time_s=tr.t_burnout,
        burnout_speed_km_s=vbo / 1e3,
        burnout_altitude_km=hbo / 1e3,
        miss_km=sol.miss_m / 1e3,
    )


def _resolve_missiles(missile):
    from . import catalog

    items = missile if isinstance(missile, (list, tuple)) else [missile]
    rockets, names = [], []
    for m in items:
        if isinstance(m, Rocket):
            rockets.append(m)
            names.append(m.name)
        else:
            rockets.append(catalog.missile(str(m), field="MISSILE"))
            names.append(str(m))
    return rockets, names


def _resolve_places(place, field_name):
    """Catalog Sites from a place or a list of places (names, "LAT,LON" or (lat, lon) tuples)."""
    from . import catalog

    numbers = isinstance(place, tuple) and all(isinstance(v, (int, float)) for v in place)
    items = place if isinstance(place, list) or (isinstance(place, tuple) and not numbers) else [place]
    return [catalog.parse_place(",".join(map(str, p)) if isinstance(p, tuple) else str(p), field_name) for p in items]


def sensitivity(scenario: str, method: str = "oat", *, samples: int | None = None, dask: str | None = None,
                out=None, set=(), seed: int | None = None, interceptor_speed: float | None = None,
                params=None, resolution_deg: float | None = None, workers: int = 2):
    """``shieldsim sensitivity``: each headline figure over the parameters' ranges and where its
    verdict flips (``method`` "oat" or "sobol"); ``params`` is ``--param`` (their --set paths).
    The result's ``to_dict()`` is the command's JSON."""
    from .analyses.sensitivity import run_sensitivity

    return run_sensitivity(scenario, method, samples=samples, address=dask, out=out, overrides=list(set), seed=seed,
                           interceptor_speed=interceptor_speed, params_only=params, resolution_deg=resolution_deg,
                           n_workers=workers, progress=False)
