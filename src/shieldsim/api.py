"""The Python API that mirrors the CLI, one function per command.

``fly`` (a catalog missile from A to B) and ``free_flight`` (a burnout state, in vacuum or
with drag) take arrays (broadcast) and return results whose fields are arrays. The
analyses (``observe``, ``engage``, ``reach``, ``footprint``, ``raid``, ``compare``,
``sweep``, ``run``, ``sensitivity``) take a scenario (built-in name or file) and the
command's options as keyword arguments, call the very function the command calls
(``analyses.commands``), and return a result whose ``to_dict()`` is the command's
``--json`` object and whose ``to_frame()`` is a pandas DataFrame of its rows.

The options every scenario command shares: ``set`` (``--set``: "PATH=VALUE" strings, or a
dict {PATH: VALUE}), ``seed`` (``--seed``), ``interceptor_speed_km_s``
(``--interceptor-speed``) and, where the command has them, ``missile``/``from_``/``to``
(an ad-hoc threat). Repeatable flags are lists (``sensors``, ``launches``, ``targets``,
``params``). Bad input raises ``ScenarioError`` with the message the command prints.
Degrees and kilometres at this edge, SI inside.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from . import earth as E
from .errors import ScenarioError
from .flight import Trajectory, burnout_state, free_flight_states
from .analyses.threats import flight_summary
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
        """Geodetic samples every dt_s seconds from launch to impact, one dict per flight (at
        most ``MAX_SAMPLES`` per flight: a finer step is refused, naming the finest that fits)."""
        if isinstance(dt_s, bool) or not isinstance(dt_s, (int, float, np.floating, np.integer)) \
                or not math.isfinite(dt_s) or not dt_s > 0:
            raise ScenarioError("--samples", f"must be a positive number of seconds, got {str(dt_s)[:40]}")
        tr = self.trajectory
        ends = [tr.t_impact[i] if np.isfinite(tr.t_impact[i]) else tr.t[i, tr.nsteps[i] - 1] for i in range(tr.n)]
        longest = float(max(ends, default=0.0))
        if longest / dt_s > MAX_SAMPLES:
            raise ScenarioError("--samples", f"{dt_s:g} s over a {longest:,.0f} s flight is {longest / dt_s:,.0f} "
                                             f"samples; the limit is {MAX_SAMPLES:,} per flight: use "
                                             f"{longest / MAX_SAMPLES:.2g} s or more")
        return [{k: [round(float(x), 6) for x in v] for k, v in s.items()} for s in self.trajectory.sample(dt_s)]


#: Most samples ``--samples`` returns per flight (one a millisecond over a 15-minute flight):
#: an input bound on the JSON's size (each sample is four numbers), not physics.
MAX_SAMPLES = 1_000_000
#: Lightest ballistic coefficient ``free_flight`` flies, kg/m²: an input bound, not physics
#: (a sheet of paper is about 0.1; balloon decoys tens; reentry vehicles thousands). Below it
#: the drag is so stiff that the integrator crawls and the body hangs in the air for days.
MIN_BETA_KG_M2 = 1.0


#: A burnout state this close to the ground (straight down at its speed) is refused, s.
GROUND_WITHIN_S = 1.0
#: How far below the surface a flown step may dip before the flight is reported as having
#: gone through the ground (an impact the integrator did not see), km.
_BELOW_GROUND_KM = 0.1


def _check_above_ground(tr) -> None:
    """A ShieldsimError if a flight passed below the ground without an impact (never a long
    flight through the Earth reported as a trajectory)."""
    for i in range(tr.n):
        m = int(tr.nsteps[i])
        end = tr.t_impact[i]
        ts = tr.t[i, :m]
        ts = ts[ts < end] if np.isfinite(end) else ts
        if ts.size == 0:
            continue
        alt = np.asarray(tr[i].geodetic(ts)[2]).ravel()
        low = np.flatnonzero(alt < -_BELOW_GROUND_KM * 1e3)
        if low.size:
            from .errors import ShieldsimError

            raise ShieldsimError(f"alt_km: flight {i} goes {-alt[low[0]] / 1e3:.3g} km below the ground at "
                                 f"t = {ts[low[0]]:.3g} s without an impact: the state points into the ground")


def _finite(x, name: str) -> np.ndarray:
    """``x`` as a float array; a ScenarioError on ``name`` for anything not a finite number."""
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ScenarioError(name, f"must be a number (or an array of numbers), got {str(x)[:60]!r}") from None
    if a.size == 0:
        raise ScenarioError(name, "is empty: give at least one number")
    if not np.all(np.isfinite(a)):
        bad = a.ravel()[np.flatnonzero(~np.isfinite(a.ravel()))[0]]
        raise ScenarioError(name, f"must be a finite number, got {bad}")
    return a


def _check_lat(lat_deg, name):
    lat = _finite(lat_deg, name)
    if np.any(~np.isfinite(lat)) or np.any(np.abs(lat) > 90):
        raise ScenarioError(name, f"latitude {float(np.max(np.abs(lat))):g} is outside [-90, 90]")


def free_flight(lat_deg, lon_deg, alt_km, speed_km_s, gamma_deg, azimuth_deg, *, earth: str = "wgs84",
                rotation: bool = True, beta_kg_m2=None, gravity: str | None = None, samples: float | None = None,
                sensors: str | None = None) -> FlightResult:
    """Fly burnout states (relative to the rotating Earth) to impact at altitude 0.

    Vacuum by default; with ``beta_kg_m2`` the body decelerates in the US Standard
    Atmosphere 1976 with drag on the air-relative velocity. WGS84 + J2 by default;
    ``earth="sphere"`` is a sphere of radius 6378.137 km with point-mass gravity.
    ``samples`` and ``sensors`` add what ``fly --burnout ... --samples DT_S --sensors
    SCENARIO`` adds (see ``fly``).
    """
    ecode = E.earth_code(earth)
    _check_lat(lat_deg, "lat_deg")
    lon = _finite(lon_deg, "lon_deg")
    alt = _finite(alt_km, "alt_km")
    spd = _finite(speed_km_s, "speed_km_s")
    gam = _finite(gamma_deg, "gamma_deg")
    az = _finite(azimuth_deg, "azimuth_deg")
    try:
        shape = np.broadcast_shapes(*(a.shape for a in (lon, alt, spd, gam, az, np.asarray(lat_deg, float))))
    except ValueError:
        raise ScenarioError("lat_deg", "the arguments' arrays must have one length (or length one)") from None
    if np.any(spd < 0):
        raise ScenarioError("speed_km_s", "must be a non-negative number")
    if np.any(spd > 100):
        raise ScenarioError("speed_km_s", f"must be at most 100 km/s (an input bound; escape speed is 11.2), "
                                          f"got {float(np.max(spd)):g}")
    if np.any(alt < 0):
        raise ScenarioError("alt_km", "burnout altitude must not be below the surface")
    if np.any(alt > 1e5):
        raise ScenarioError("alt_km", f"must be at most 100,000 km (an input bound), got {float(np.max(alt)):g}")
    if np.any(np.abs(gam) > 90):
        raise ScenarioError("gamma_deg", "flight-path angle must be within [-90, 90] degrees")
    alt_b, gam_b, spd_b = np.broadcast_arrays(alt, gam, spd)
    into = (alt_b == 0) & ((gam_b < 0) | ((gam_b == 0) | (spd_b == 0)))
    if np.any(into):
        i = int(np.flatnonzero(into.ravel())[0])
        raise ScenarioError("alt_km", f"a state on the surface (alt_km 0) with gamma_deg {gam_b.ravel()[i]:g} and "
                                      f"speed {spd_b.ravel()[i]:g} km/s is already at impact: start above the "
                                      "ground or climb (gamma_deg > 0)")
    r, v, lat, lon = burnout_state(np.radians(lat_deg), np.radians(lon), alt * 1e3,
                                   spd * 1e3, np.radians(gam), np.radians(az), ecode, rotation)
    beta = np.inf
    if beta_kg_m2 is not None:
        beta = _finite(beta_kg_m2, "beta_kg_m2") if not np.all(np.asarray(beta_kg_m2, dtype=float) == np.inf) \
            else np.asarray(beta_kg_m2, dtype=float)
        if np.any(~(beta > 0)):
            raise ScenarioError("beta_kg_m2", "ballistic coefficient must be positive")
        if np.any(beta < MIN_BETA_KG_M2):
            raise ScenarioError("beta_kg_m2", f"must be at least {MIN_BETA_KG_M2:g} kg/m² (an input bound: lighter "
                                              f"than paper), got {float(np.min(beta)):g}")
    del shape
    # Straight down at this speed, the ground comes within a second: that is an impact, not a
    # flight (the integrator's first step would step past the surface unseen).
    down = spd_b * 1e3 * np.sin(np.radians(-gam_b))
    soon = (down > 0) & (alt_b * 1e3 < down * GROUND_WITHIN_S)
    if np.any(soon):
        i = int(np.flatnonzero(soon.ravel())[0])
        raise ScenarioError("gamma_deg", f"at alt_km {alt_b.ravel()[i]:g} descending at gamma_deg "
                                         f"{gam_b.ravel()[i]:g}, the state hits the ground within "
                                         f"{GROUND_WITHIN_S:g} s: it is an impact, not a flight")
    tr = free_flight_states(r, v, beta, lat_rad=lat, lon_rad=lon, earth=earth, rotation=rotation, gravity=gravity)
    _check_above_ground(tr)
    return _with_extras(FlightResult(**flight_summary(tr), trajectory=tr), samples, sensors)


def fly(missile: str | Rocket, from_: str | tuple, to: str | tuple, trajectory: str = "minimum-energy", *,
        earth: str = "wgs84", rotation: bool = True, samples: float | None = None,
        sensors: str | None = None) -> FlightResult:
    """Aim a catalog missile (name or ``Rocket``) from a place at a place and fly it.

    Places are catalog site names, "LAT,LON" strings or (lat_deg, lon_deg) tuples; lists
    of them (same length, or length one) fly a batch. An aim point beyond the missile's
    reach raises ``ScenarioError`` naming ``--to`` and the maximum range.

    ``samples`` (``--samples DT_S``) adds ``samples: {t_s, lat_deg, lon_deg, alt_km}`` every
    DT_S seconds (a list of them for a batch); ``sensors`` (``--sensors SCENARIO``) adds that
    scenario's sensor timeline of the flight (one flight only).
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
    return _with_extras(FlightResult(**flight_summary(sol.trajectory, sol.miss_m), trajectory=sol.trajectory),
                        samples, sensors)


def _with_extras(res: FlightResult, samples, sensors) -> FlightResult:
    """``fly``'s ``--samples`` and ``--sensors`` additions, in the command's order."""
    if samples is not None:
        s = res.samples(samples)
        res.extra["samples"] = s[0] if len(s) == 1 else s
    if sensors is not None:
        from .analyses.observe import observe_flight

        if np.size(res.flight_time_s) != 1:
            raise ScenarioError("--sensors", "observes one flight: fly one at a time")
        res.extra.update(observe_flight(res, str(sensors)))
    return res


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


# --- the analyses: one function per scenario command ------------------------------------------
def _overrides(overrides) -> list[str]:
    """``set=``: "PATH=VALUE" strings (one, or a list) or a dict {PATH: VALUE}."""
    if overrides is None:
        return []
    if isinstance(overrides, str):
        return [overrides]
    if isinstance(overrides, Mapping):
        return [f"{k}={_yaml_text(v)}" for k, v in overrides.items()]
    items = list(overrides)
    bad = [x for x in items if not isinstance(x, str)]
    if bad:
        raise ScenarioError("--set", f"expected PATH=VALUE strings or a dict {{PATH: VALUE}}, got {bad[0]!r}")
    return items


def _yaml_text(value) -> str:
    """A value as ``--set`` text (read back as YAML): strings as they are, the rest as JSON."""
    from .io import to_jsonable

    return value if isinstance(value, str) else json.dumps(to_jsonable(value))


def _names(items) -> list[str]:
    """A repeatable flag: one name or a list of them."""
    if items is None:
        return []
    if isinstance(items, str):
        return [items]
    return [str(x) for x in items]


def _words(items) -> list[str]:
    """Names that may also come comma-separated ("reach,raid"), as ``--skip`` takes them."""
    return [w.strip() for item in _names(items) for w in item.split(",") if w.strip()]


def _vary(vary) -> list[str]:
    """``vary=``: "PATH=V1,V2,..." strings (one, or a list) or a dict {PATH: [V1, V2, ...]}."""
    if isinstance(vary, Mapping):
        out = []
        for k, vals in vary.items():
            vals = [vals] if isinstance(vals, (str, int, float, bool)) else list(vals)
            out.append(f"{k}={','.join(_yaml_text(v) for v in vals)}")
        return out
    return _names(vary)


def observe(scenario, *, sensors=None, threat: str | None = None, set=(), seed: int | None = None,
            interceptor_speed_km_s: float | None = None, missile: str | None = None, from_: str | None = None,
            to: str | None = None, progress: bool = False):
    """``shieldsim observe``: each threat's sensor timeline, first track and fire-control track.

    ``sensors`` (``--sensor``, one name or a list) observe with catalog sensors instead of the
    scenario's; ``threat`` (``--threat``) keeps one threat. ``to_frame()``: one row per threat
    and sensor.
    """
    from .analyses import commands

    return commands.observe(scenario, sensors=_names(sensors), threat=threat, overrides=_overrides(set), seed=seed,
                            interceptor_speed=interceptor_speed_km_s, missile=missile, from_=from_, to=to,
                            progress=progress)


def engage(scenario, *, trials: int | str | None = None, sspk: float | None = None, salvo: int | None = None,
           doctrine: str | None = None, threat: str | None = None, set=(), seed: int | None = None,
           interceptor_speed_km_s: float | None = None, missile: str | None = None, from_: str | None = None,
           to: str | None = None, progress: bool = False):
    """``shieldsim engage``: battle space, shot opportunities, intercepts and Monte Carlo
    P(kill)/P(leak) per threat.

    ``trials`` (a whole number; 1e6 accepted) defaults to the scenario's ``analysis.trials``;
    ``sspk``, ``salvo`` and ``doctrine`` ("salvo" | "shoot-look-shoot") override the
    scenario's doctrine.
    ``to_frame()``: one row per threat; ``engagements_frame()``: one row per shot.
    """
    from .analyses import commands

    return commands.engage(scenario, trials=trials, sspk=sspk, salvo=salvo, doctrine=doctrine, threat=threat,
                           overrides=_overrides(set), seed=seed, interceptor_speed=interceptor_speed_km_s,
                           missile=missile, from_=from_, to=to, progress=progress)


def reach(scenario, *, launches=None, targets=None, missile: str | None = None, set=(), seed: int | None = None,
          interceptor_speed_km_s: float | None = None, progress: bool = False):
    """``shieldsim reach``: can the batteries reach ICBMs flown from each launch base to each
    target (by default every Russian ICBM base x every US city)? Per pair and battery:
    ``feasible``, ``margin_s``, ``min_burnout_speed_km_s``, ``intercept_altitude_km``.

    ``launches``/``targets`` (``--launch``/``--target``: one name or a list); ``missile``
    (``--missile``) the ICBM flown. ``to_frame()``: one row per pair and battery.
    """
    from .analyses import commands

    return commands.reach(scenario, launches=_names(launches), targets=_names(targets), missile=missile,
                          overrides=_overrides(set), seed=seed, interceptor_speed=interceptor_speed_km_s,
                          progress=progress)


def footprint(scenario, *, launch: str | None = None, missile: str | None = None, resolution_deg: float | None = 0.5,
              out=None, set=(), seed: int | None = None, interceptor_speed_km_s: float | None = None,
              progress: bool = False):
    """``shieldsim footprint``: which aim points of the region are defended against launches
    from ``launch`` (``--launch``; None: the scenario's footprint missiles, each from its own
    place, as ``run`` does).

    ``missile`` forces one missile; ``resolution_deg`` the grid spacing (None: the scenario's
    ``analysis.footprint.resolution_deg``); ``out`` ("FILE.geojson") writes the polygons and
    the Parquet grid beside them. ``to_frame()``: one row per aim point (``lat_deg, lon_deg,
    reachable, defended, shot_opportunities, intercept_altitude_km, missile``).
    """
    from .analyses import commands

    return commands.footprint(scenario, launch=launch, missile=missile, resolution_deg=resolution_deg, out=out,
                              overrides=_overrides(set), seed=seed, interceptor_speed=interceptor_speed_km_s,
                              progress=progress)


def raid(scenario, *, threat: str | None = None, max_size: int | None = None, decoys=None, trials: int | None = None,
         sspk: float | None = None, salvo: int | None = None, doctrine: str | None = None, set=(),
         seed: int | None = None, interceptor_speed_km_s: float | None = None, missile: str | None = None,
         from_: str | None = None, to: str | None = None, progress: bool = False):
    """The raid curves of ``run`` (its ``raid`` object): P(no leak) and expected leakers for
    raids of 1..``max_size`` copies of ``threat`` launched together, one curve per entry of
    ``decoys`` (decoys per warhead).

    Each of ``threat``, ``max_size``, ``decoys`` and ``trials`` defaults to the scenario's
    ``analysis.raid`` and means ``--set analysis.raid.KEY=VALUE``; ``sspk``, ``salvo``,
    ``doctrine`` as in ``engage``. ``to_frame()``: one row per curve and raid size.
    """
    from .analyses import commands

    return commands.raid(scenario, threat=threat, max_size=max_size, decoys=decoys, trials=trials, sspk=sspk,
                         salvo=salvo, doctrine=doctrine, overrides=_overrides(set), seed=seed,
                         interceptor_speed=interceptor_speed_km_s, missile=missile, from_=from_, to=to,
                         progress=progress)


def compare(scenarios, *, set=(), seed: int | None = None, interceptor_speed_km_s: float | None = None,
            progress: bool = False):
    """``shieldsim compare A B ...``: the headline figures of ``run`` for each scenario (a name,
    a path, or a list of them), side by side. ``to_frame()``: one row per scenario."""
    from .analyses import commands

    return commands.compare(_names(scenarios), overrides=_overrides(set), seed=seed,
                            interceptor_speed=interceptor_speed_km_s, progress=progress)


def sweep(scenario, vary, out, *, dask: str | None = None, workers: int = 2, set=(), seed: int | None = None,
          interceptor_speed_km_s: float | None = None, progress: bool = False):
    """``shieldsim sweep``: the headline figures over a grid of parameters, on Dask.

    ``vary`` (``--vary``): "PATH=V1,V2,..." strings or a dict {PATH: [V1, V2, ...]}
    (``interceptor_speed_km_s`` as a PATH is ``--interceptor-speed``); cells stream to
    ``out``/cells and ``out``/sweep.parquet; a rerun into the same ``out`` reuses finished
    cells. ``dask``: a scheduler address (default a local cluster of ``workers``).
    ``to_frame()``: the Parquet, one row per cell.
    """
    from .analyses import commands

    return commands.sweep(scenario, _vary(vary), out, dask=dask, workers=workers, overrides=_overrides(set), seed=seed,
                          interceptor_speed=interceptor_speed_km_s, progress=progress)


def run(scenario, out, *, force: bool = False, skip=(), only=None, figures=("png",), set=(), seed: int | None = None,
        interceptor_speed_km_s: float | None = None, progress: bool = False):
    """``shieldsim run``: every analysis of the scenario into the directory ``out`` (new or
    empty unless ``force``): ``results.json``, ``report.html``, GeoJSON, CZML, KML, Parquet.

    ``skip`` / ``only`` (``--skip`` / ``--only``) name parts of the run to leave out or to
    compute alone (``observe``, ``engage``, ``cities``, ``footprint``, ``reach``, ``raid``,
    ``key_assumptions``, ``exports``); ``figures`` the formats the report's figures are also
    written in (``png``, ``svg``, ``pdf``). ``to_dict()`` is ``results.json`` (its provenance
    records the equivalent ``shieldsim run`` command line); ``to_frame()`` one row per threat
    (its flight and engagement); ``.report`` the report's path.
    """
    from .analyses import commands

    overrides = _overrides(set)
    skip, only, figures = _words(skip), (_words(only) or None), _words(figures)
    argv = ["shieldsim", "run", str(scenario), "-o", str(out), *(["--force"] if force else [])]
    argv += [a for k in skip for a in ("--skip", k)] + [a for k in only or () for a in ("--only", k)]
    argv += ["--figures", ",".join(figures)] if figures != ["png"] else []
    argv += [a for o in overrides for a in ("--set", o)] + (["--seed", str(seed)] if seed is not None else [])
    argv += ["--interceptor-speed", f"{interceptor_speed_km_s}"] if interceptor_speed_km_s is not None else []
    return commands.run(scenario, out, force=force, skip=skip, only=only, figures=figures, overrides=overrides,
                        seed=seed, interceptor_speed=interceptor_speed_km_s, command_line=argv, progress=progress)


def sensitivity(scenario, method: str = "oat", *, samples: int | None = None, dask: str | None = None, out=None,
                params=None, resolution_deg: float | None = None, workers: int = 2, set=(), seed: int | None = None,
                interceptor_speed_km_s: float | None = None, progress: bool = False):
    """``shieldsim sensitivity``: each headline figure over the parameters' ranges and where
    its verdict flips (``method`` "oat" or "sobol"; ``params``: ``--param``, their --set
    paths, all of them by default). ``to_frame()``: one row per figure."""
    from .analyses import commands

    return commands.sensitivity(scenario, method, samples=samples, dask=dask, out=out, params=_names(params),
                                resolution_deg=resolution_deg, workers=workers, overrides=_overrides(set), seed=seed,
                                interceptor_speed=interceptor_speed_km_s, progress=progress)
