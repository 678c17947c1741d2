"""Why a threat is or is not engageable: the binding constraint per threat and battery.

``engagement.feasibility`` rules out an intercept point when any of its constraints fails:
the interceptor reaches the point (its fly-out table) inside the kill vehicle's altitude
window, after the threat's burnout; the closing speed lies inside the kill vehicle's window;
a radar tracks the threat there (``doctrine.require_track``); and the interceptor leaves no
earlier than the commit time (fire-control track plus decision delay). ``diagnose`` asks
``feasibility`` itself, on the same trajectories, with the constraints relaxed one at a
time, and names the first that empties the battle space, in this order:

1. ``out_of_reach``: no point the interceptor can reach in its altitude window after burnout;
2. ``closing_speed``: it can reach points, but never at a closing speed the kill vehicle
   accepts (too low: the tail chase; or too high);
3. ``no_fire_control``: no radar detects the threat after burnout, so nothing is committed;
4. ``no_track``: the reachable points all lie outside the radars' track windows;
5. ``too_late``: the interceptor would have had to leave ``too_late_s`` before the commit
   time (the negative of ``BattleSpace.margin_s``);
6. ``engageable``: none binds (``BattleSpace.feasible``).

``binding_constraint`` is the pure kernel over arrays (unit-tested on constructed cases);
``diagnose`` runs it for a defence and a batch of threats; ``city_defence`` answers "is this
city defended, by which battery, and if not, why?" for the cities of the footprint's region.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..engagement import feasibility

REASONS = ("out_of_reach", "closing_speed", "no_fire_control", "no_track", "too_late", "engageable")


@dataclass
class Diagnosis:
    """Per threat (n,) and battery (m,): the binding constraint and its size.

    ``reason[i, j]`` is one of ``REASONS``; ``too_late_s`` how much too late (NaN unless
    ``too_late``); ``best_closing_m_s`` the highest closing speed at a reachable point (NaN
    where none); ``min_closing_m_s`` / ``max_closing_m_s`` the kill vehicle's window (m,).
    """

    reason: np.ndarray
    too_late_s: np.ndarray
    best_closing_m_s: np.ndarray
    min_closing_m_s: np.ndarray
    max_closing_m_s: np.ndarray
    min_alt_km: np.ndarray
    max_alt_km: np.ndarray

    def text(self, i: int, j: int) -> str:
        """The reason in words, with its number."""
        from .numbers import number

        r = self.reason[i, j]
        if r == "out_of_reach":
            return (f"out of kinematic reach (no point inside the {self.min_alt_km[j]:g}–{self.max_alt_km[j]:g} km "
                    "window the interceptor reaches after burnout)")
        if r == "closing_speed":
            best = number(None, self.best_closing_m_s[i, j] / 1e3, "km/s").text
            if self.best_closing_m_s[i, j] < self.min_closing_m_s[j]:
                return (f"closing speed too low (at most {best} where reachable; the kill vehicle needs "
                        f"{number(None, self.min_closing_m_s[j] / 1e3, 'km/s').text})")
            return (f"closing speed too high (the kill vehicle is credited up to "
                    f"{number(None, self.max_closing_m_s[j] / 1e3, 'km/s').text})")
        if r == "no_fire_control":
            return "no fire-control track (no radar detects it after burnout)"
        if r == "no_track":
            return "no radar track where the interceptor could meet it"
        if r == "too_late":
            return f"too late by {number(None, self.too_late_s[i, j], 's').text}"
        return "engageable"


def binding_constraint(launch_by_reach, launch_by_closing, launch_by_full, commit_s, best_closing_m_s=None):
    """The binding constraint of each threat against one battery (module docstring).

    Parameters
    ----------
    launch_by_reach : (n, k) latest launch per intercept time with only the reach, altitude
        and burnout constraints (-inf where they fail).
    launch_by_closing : (n, k) the same with the closing-speed window too.
    launch_by_full : (n, k) the same with every constraint (the radar track windows too).
    commit_s : (n,) earliest interceptor launch (NaN: never committed).

    Returns
    -------
    reason : (n,) object array of ``REASONS``; too_late_s : (n,) float, NaN unless too late.
    """
    reach = np.isfinite(np.asarray(launch_by_reach, float)).any(axis=1)
    closing = np.isfinite(np.asarray(launch_by_closing, float)).any(axis=1)
    full = np.asarray(launch_by_full, float)
    tracked = np.isfinite(full).any(axis=1)
    commit = np.asarray(commit_s, float)
    latest = np.where(tracked, np.max(np.where(np.isfinite(full), full, -np.inf), axis=1, initial=-np.inf), np.nan)
    with np.errstate(invalid="ignore"):
        late = tracked & np.isfinite(commit) & (latest < commit)
    reason = np.select(
        [~reach, ~closing, ~np.isfinite(commit), ~tracked, late],
        ["out_of_reach", "closing_speed", "no_fire_control", "no_track", "too_late"], "engageable").astype(object)
    too_late = np.where(late, commit - latest, np.nan)
    return reason, too_late


def _relaxed_closing(battery):
    kv = battery.interceptor.kill_vehicle
    itc = replace(battery.interceptor, kill_vehicle=replace(kv, min_closing_speed_km_s=0.0,
                                                            max_closing_speed_km_s=1e9))
    return replace(battery, interceptor=itc)


def diagnose(defence, traj, assessment) -> Diagnosis:
    """The binding constraint of every threat of ``assessment`` (as ``DefenceModel.assess``
    made it from ``traj``) against every battery of ``defence``."""
    n, m = traj.n, len(defence.batteries)
    reason = np.full((n, m), "engageable", dtype=object)
    late = np.full((n, m), np.nan)
    best = np.full((n, m), np.nan)
    windows = defence.track_windows(assessment.observation)
    for j, b in enumerate(defence.batteries):
        open_ = feasibility(traj, _relaxed_closing(b), track_windows=None)
        closing = feasibility(traj, b, track_windows=None)
        full = feasibility(traj, b, track_windows=windows)
        reason[:, j], late[:, j] = binding_constraint(open_.launch_by_s, closing.launch_by_s, full.launch_by_s,
                                                      assessment.commit_s)
        reach = np.isfinite(open_.launch_by_s)
        best[:, j] = np.where(reach.any(axis=1),
                              np.max(np.where(reach, open_.closing_m_s, -np.inf), axis=1, initial=-np.inf), np.nan)
    kvs = [b.interceptor.kill_vehicle for b in defence.batteries]
    return Diagnosis(reason, late, best,
                     np.array([float(kv.min_closing_speed_km_s or 0.0) * 1e3 for kv in kvs]),
                     np.array([kv.max_closing_speed_km_s * 1e3 for kv in kvs]),
                     np.array([kv.min_intercept_alt_km for kv in kvs]),
                     np.array([kv.max_intercept_alt_km for kv in kvs]))


def diagnosis_rows(names, defence, dg: Diagnosis) -> list[dict]:
    """One row per threat and battery: ``threat, battery, reason, why, too_late_s``."""
    rows = []
    for i, name in enumerate(names):
        for j, b in enumerate(defence.batteries):
            t = dg.too_late_s[i, j]
            rows.append({"threat": name, "battery": b.name, "reason": str(dg.reason[i, j]), "why": dg.text(i, j),
                         "too_late_s": None if not math.isfinite(t) else round(float(t), 1)})
    return rows


def shots_by_battery(chain, i: int, batteries) -> dict[str, int]:
    """Shots of threat ``i``'s causal timeline per battery name (batteries that fire only)."""
    out: dict[str, int] = {}
    for k in np.flatnonzero(chain.battery[i] >= 0):
        name = batteries[int(chain.battery[i, k])].name
        out[name] = out.get(name, 0) + 1
    return out


def region_cities(ctx) -> list:
    """Catalog cities (sites of a ``*-city`` group) inside the footprint's region, and the
    scenario's threat targets there, in catalog order."""
    from .. import catalog

    fa = ctx.scenario.analysis.footprint

    def inside(site):
        lon = site.lon_deg if site.lon_deg >= fa.lon_min_deg else site.lon_deg + 360.0
        return fa.lat_min_deg <= site.lat_deg <= fa.lat_max_deg and fa.lon_min_deg <= lon <= fa.lon_max_deg

    out, seen = [], set()
    for e in catalog.entries("site"):
        if str(e.get("group", "")).endswith("-city"):
            s = catalog.parse_place(e["name"], "city")
            if inside(s):
                out.append(s)
                seen.add(s.name)
    for spec in ctx.threat_specs:
        s = spec.target
        if s.name not in seen and inside(s):
            out.append(s)
            seen.add(s.name)
    return out


def city_defence(ctx, rng: np.random.Generator, cities=None) -> list[dict]:
    """Per city of the footprint's region: is it defended against the footprint's attacker
    (the shortest-range missile of ``analysis.footprint.missiles`` that reaches it, flown from
    its launch place, as the footprint does), with how many shots, by which battery, and for
    each battery that does not fire, why (``diagnose``)."""
    from .. import catalog
    from ..targeting import aim, azimuth_table
    from .footprint import _within_reach, missile_order

    cities = region_cities(ctx) if cities is None else list(cities)
    fa = ctx.scenario.analysis.footprint
    chosen = [(m, catalog.parse_place(place, "analysis.footprint.missiles.launch"))
              for m, place in fa.flown_missiles()]
    missiles = missile_order([(m, catalog.missile(m, field="--missile"), site) for m, site in chosen])
    rows = {c.name: {"city": c.name, "lat_deg": c.lat_deg, "lon_deg": c.lon_deg, "missile": None, "launch": None,
                     "reachable": False, "defended": False, "shot_opportunities": 0, "batteries": {},
                     "first_intercept_s": None, "why_not": {}} for c in cities}
    left = list(cities)
    d = ctx.defence
    for name, rocket, site, _ in missiles:
        if not left:
            break
        lat0, lon0 = math.radians(site.lat_deg), math.radians(site.lon_deg)
        table = azimuth_table(rocket, lat0, lon0, site.alt_km * 1e3)
        lat = np.array([c.lat_deg for c in left])
        lon = np.array([c.lon_deg for c in left])
        todo = np.flatnonzero(_within_reach(table, lat0, lon0, lat, lon))
        if todo.size == 0:
            continue
        sol = aim(rocket, lat0, lon0, site.alt_km * 1e3, np.radians(lat[todo]), np.radians(lon[todo]),
                  "minimum-energy", interpolate=True, range_table=table)
        ok = sol.feasible & (sol.miss_m < 1000.0)
        if not ok.any():
            continue
        idx = todo[np.flatnonzero(ok)]
        tr = sol.trajectory[np.flatnonzero(ok)]
        names = [left[i].name for i in idx]
        a = d.assess(tr, rng, names=names, rcs_m2=rocket.payload.rcs_m2)
        dg = diagnose(d, tr, a)
        for r, cname in enumerate(names):
            row = rows[cname]
            row.update(missile=name, launch=site.name, reachable=True)
            row["batteries"] = shots_by_battery(a.chain, r, d.batteries)
            row["shot_opportunities"] = int(a.chain.count[r])
            row["defended"] = row["shot_opportunities"] > 0
            t0 = a.chain.intercept_s[r, 0]
            row["first_intercept_s"] = round(float(t0), 1) if math.isfinite(t0) else None
            row["why_not"] = {b.name: dg.text(r, j) for j, b in enumerate(d.batteries)
                              if b.name not in row["batteries"]}
        left = [c for k, c in enumerate(left) if k not in set(idx.tolist())]
    return list(rows.values())
