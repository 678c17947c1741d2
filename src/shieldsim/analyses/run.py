"""``shieldsim run`` / ``demo`` / ``compare``: everything a scenario asks for.

``run_scenario`` computes, in order, the threats' flights, the sensor timelines, the
engagements (with Monte Carlo outcomes), the defended-area footprint, the Russian-ICBM
reach table and the raid curves; each result file is written atomically as soon as it is
computed (an interrupted run keeps what it had finished), then the self-contained
report. ``headline`` is the short set of figures ``compare`` and ``sweep`` put side by side.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from ..io import atomic_write_text, write_json
from .context import load_context
from .threats import fly_threat_specs

RUSSIAN_GROUP = "russia-icbm-base"
# Clock origin of the CZML animation (threat times count from each launch): 8 June 2007, the
# G8 summit at which Putin offered the Gabala radar [@rusnewsjournal-gabala]. Any date would do.
CZML_EPOCH = "2007-06-08T12:00:00Z"
US_GROUP = "us-city"


class Progress:
    """Rich progress bars when asked for; silent otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._p = None

    def __enter__(self):
        if self.enabled:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._p = Progress(TextColumn("{task.description:<28}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                               TimeElapsedColumn(), transient=False)
            self._p.__enter__()
        return self

    def __exit__(self, *exc):
        if self._p is not None:
            self._p.__exit__(*exc)

    def task(self, description: str, total: int):
        if self._p is None:
            return lambda k=1: None
        tid = self._p.add_task(description, total=total)
        return lambda k=1: self._p.advance(tid, k)


def observe_threats(ctx, flown, track: bool = True):
    """The observe contract for the flown threats (Stone Soup tracking for fire control)."""
    from ..sensors import observe
    from ..tracking import track_observation

    rcs = [s["rocket"].payload.rcs_m2 for s in ctx.threat_specs]
    obs = observe(flown.trajectory, ctx.defence.sensors, np.asarray(rcs), ctx.rng(1), dt=ctx.defence.sensor_dt_s,
                  threat_names=flown.names, measurements=track)
    if track and any(m for m in obs.measurements.values()):
        obs = track_observation(obs)
    return obs


def engage_threats(ctx, flown, n_trials: int):
    """The engage contract: battle spaces, engagements and Monte Carlo outcomes per threat."""
    d = ctx.defence
    rcs = np.asarray([s["rocket"].payload.rcs_m2 for s in ctx.threat_specs])
    a = d.assess(flown.trajectory, ctx.rng(2), flown.names, rcs_m2=rcs)
    out = d.outcomes(a, n_trials, ctx.rng(3))
    threats = []
    ch = a.chain
    ka = ch.kill_assessment_s
    for i, name in enumerate(flown.names):
        engagements = []
        for k in np.flatnonzero(ch.battery[i] >= 0):
            b = d.batteries[int(ch.battery[i, k])]
            t_i = ch.intercept_s[i, k]
            engagements.append({
                "battery": b.name, "interceptor": b.interceptor.name, "battery_lat_deg": b.lat_deg,
                "battery_lon_deg": b.lon_deg, "shot": int(k) + 1, "interceptors": int(d.doctrine.salvo_size),
                "launch_s": _r(ch.launch_s[i, k]), "intercept_s": _r(t_i), "assessment_s": _r(t_i + ka),
                **_intercept_point(flown.trajectory, i, t_i, ch.closing_m_s[i, k]),
            })
        threats.append({
            "threat": name, "shot_opportunities": int(ch.count[i]),
            "battle_space_s": a.battle_space_window(i), "fire_control_s": _r(a.fire_control_s[i]),
            "commit_s": _r(a.commit_s[i]), "engagements": engagements,
            "p_kill": _r(out.p_kill[i], 4), "p_leak": _r(out.p_leak[i], 4),
            "interceptors_used_mean": _r(out.interceptors_used_mean[i], 3),
        })
    res = {"trials": int(n_trials), "seed": int(ctx.seed), "threats": threats,
           "p_no_leak": _r(out.p_no_leak, 4), "expected_leakers": _r(out.expected_leakers, 4)}
    return res, a


def _intercept_point(traj, i, t, closing):
    if not math.isfinite(t):
        return {}
    lat, lon, alt = traj[i].geodetic(np.array([t]))
    return {"intercept_altitude_km": _r(alt[0, 0] / 1e3, 1), "intercept_lat_deg": _r(math.degrees(lat[0, 0]), 4),
            "intercept_lon_deg": _r((math.degrees(lon[0, 0]) + 180) % 360 - 180, 4),
            "closing_speed_km_s": _r(closing / 1e3, 3)}


def _r(x, nd=2):
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return round(x, nd) if math.isfinite(x) else None


def footprint_for(ctx, launch=None, missile=None, resolution_deg=None, progress=None):
    from .footprint import scenario_footprint

    return scenario_footprint(ctx, launch=launch, missile=missile, resolution_deg=resolution_deg, progress=progress)


def site_group(group: str) -> list[str]:
    """Catalog site names of one group (e.g. every Russian ICBM base)."""
    from .. import catalog

    return [e["name"] for e in catalog.entries("site") if e.get("group") == group]


def reach_for(ctx, launches=None, targets=None, missile=None, speeds=None, progress=None):
    from .. import catalog
    from .reach import reach_analysis

    ra = ctx.scenario.analysis.reach
    lnames = list(launches) if launches else (list(ra.launches) or site_group(RUSSIAN_GROUP))
    tnames = list(targets) if targets else (list(ra.targets) or site_group(US_GROUP))
    ls = [catalog.parse_place(n, "--launch") for n in lnames]
    ts = [catalog.parse_place(n, "--target") for n in tnames]
    sp = tuple(speeds or ra.speeds_km_s)
    tick = progress.task("reach: interceptor speeds", len(sp) + 1) if progress else None
    return reach_analysis(ctx.defence, missile or ra.missile, ls, ts, ctx.rng(5), speeds_km_s=sp, progress=tick)


def raid_for(ctx, flown, assessment):
    from .raid import raid_curves

    ra = ctx.scenario.analysis.raid
    names = list(flown.names)
    idx = names.index(ra.threat) if ra.threat in names else 0
    return raid_curves(ctx.defence, assessment, idx, ctx.rng(6), sizes=range(1, ra.max_size + 1),
                       decoys=tuple(ra.decoys), n_trials=ra.trials)


def headline(ctx, resolution_deg: float | None = None, reach_speeds=None) -> dict:
    """The headline figures of a scenario (what ``compare`` and ``sweep`` tabulate)."""
    flown = fly_threat_specs(ctx.threat_specs)
    eng, a = engage_threats(ctx, flown, ctx.scenario.analysis.trials)
    fp = footprint_for(ctx, resolution_deg=resolution_deg or ctx.scenario.analysis.compare_resolution_deg)
    reach = reach_for(ctx, speeds=reach_speeds or ())
    raid = raid_for(ctx, flown, a)
    size = ctx.scenario.analysis.raid.headline_size
    k = min(size, len(raid.sizes)) - 1
    base = raid.curves[0]
    return {
        "name": ctx.scenario.name, "defended_fraction": round(fp.defended_fraction, 4),
        "raid_size": int(raid.sizes[k]), "raid_p_no_leak": round(base["p_no_leak"][k], 4),
        "expected_leakers": round(base["expected_leakers"][k], 4),
        "russian_pairs_engageable": reach.engageable_pairs,
        "russian_pairs": len({(r["launch"], r["target"]) for r in reach.rows}),
        "threats_engageable": int(sum(1 for t in eng["threats"] if t["shot_opportunities"] > 0)),
        "threats": len(eng["threats"]),
    }


def run_scenario(scenario: str, out: str | Path, overrides=(), seed: int | None = None, progress: bool = True,
                 interceptor_speed: float | None = None) -> dict:
    """Run everything and write DIR/results.json, report.html and the exports."""
    from ..export import czml, geojson, kml, parquet

    from ..scenario import load_scenario

    t_start = time.perf_counter()
    # Bad input is refused before anything is drawn, written or computed.
    assumptions = key_assumption_names(load_scenario(scenario, list(overrides), seed), scenario, overrides, seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with Progress(progress) as pg:
        step = pg.task("scenario and fly-out fans", 1)
        ctx = load_context(scenario, overrides, seed, interceptor_speed)
        step()
        step = pg.task("threat trajectories", 1)
        flown = fly_threat_specs(ctx.threat_specs)
        results = {"scenario": ctx.scenario.name, "title": ctx.scenario.title, "seed": ctx.seed,
                   "defence": defence_summary(ctx), "threats": flown.summary()}
        write_json(out / "results.json", results)
        tracks = _tracks(flown)
        sites = _sites(ctx)
        atomic_write_text(out / "trajectories.czml", czml.trajectories_to_czml(tracks, CZML_EPOCH, sites))
        kml.write_kml(out / "trajectories.kml", tracks, sites)
        geojson.write_geojson(out / "trajectories.geojson", geojson.tracks_feature_collection(tracks))
        step()
        step = pg.task("sensors and tracking", 1)
        obs = observe_threats(ctx, flown)
        results["observe"] = obs.to_dict()
        write_json(out / "results.json", results)
        step()
        step = pg.task("engagements (Monte Carlo)", 1)
        eng, assessment = engage_threats(ctx, flown, ctx.scenario.analysis.trials)
        results["engage"] = eng
        write_json(out / "results.json", results)
        step()
        fp = footprint_for(ctx, progress=pg)
        results["footprint"] = fp.to_dict()
        fc = geojson.footprint_polygons(fp.lat_deg, fp.lon_deg, fp.defended, fp.shot_opportunities,
                                        properties={"launch": fp.launch, "missile": fp.missile})
        geojson.write_geojson(out / "footprint.geojson", fc)
        parquet.write_grid(out / "footprint.parquet", fp.columns())
        write_json(out / "results.json", results)
        reach = reach_for(ctx, progress=pg)
        results["reach"] = reach.to_dict()
        parquet.write_grid(out / "reach.parquet", _columns(reach.rows))
        write_json(out / "results.json", results)
        step = pg.task("raid curves", 1)
        raid = raid_for(ctx, flown, assessment)
        results["raid"] = raid.to_dict()
        write_json(out / "results.json", results)
        step()
        key_assumptions(ctx, scenario, assumptions, out, overrides, seed, interceptor_speed, pg)
        step = pg.task("report", 1)
        from ..report.build import scenario_report

        scenario_report(out / "report.html", ctx, results, fp, reach, raid, flown, assessment)
        results["seconds"] = round(time.perf_counter() - t_start, 1)
        write_json(out / "results.json", results)
        step()
    return results


def key_assumption_names(sc, scenario, overrides, seed) -> list[str]:
    """The scenario's ``analysis.key_assumptions`` that are parameters of it (checked before
    the run starts: a misspelt path is refused, naming the field)."""
    from ..errors import ScenarioError
    from ..scenario import AnalysisSpec
    from .sensitivity import parameters

    names = list(sc.analysis.key_assumptions)
    if not names:
        return []
    known = {p.path for p in parameters(scenario, list(overrides), seed)[0]}
    unknown = [n for n in names if n not in known]
    if unknown and tuple(names) != AnalysisSpec.model_fields["key_assumptions"].default:
        raise ScenarioError("analysis.key_assumptions", f"{unknown[0]!r} is not a parameter of this scenario; "
                                                        "`shieldsim sensitivity SCENARIO --json` lists them")
    return [n for n in names if n in known]  # the defaults, on a scenario without a second sensor, say


def key_assumptions(ctx, scenario, names, out, overrides, seed, interceptor_speed, pg):
    """One-at-a-time sensitivity of ``names`` into DIR/sensitivity.json, for the report's first
    section. A fuller ``shieldsim sensitivity SCENARIO -o DIR`` already there is kept."""
    import json

    from .sensitivity import run_sensitivity

    if not names:
        return
    path = Path(out) / "sensitivity.json"
    if path.exists():
        try:
            old = json.loads(path.read_text())
            if old.get("scenario") == ctx.scenario.name and len(old.get("parameters", [])) > len(names):
                return
        except (OSError, ValueError):
            pass
    step = pg.task("key assumptions (sensitivity)", 1)
    run_sensitivity(scenario, "oat", out=out, overrides=overrides, seed=seed, interceptor_speed=interceptor_speed,
                    params_only=names, resolution_deg=4.0)
    step()


def defence_summary(ctx) -> dict:
    """What the run assumed of the defence: batteries (with the interceptor's flown burnout
    speed), sensors and doctrine, as the report and the README headline state them."""
    from ..interceptors import flown_burnout_speed

    bats = []
    for b in ctx.defence.batteries:
        v, t = flown_burnout_speed(b.interceptor.booster)
        bats.append({"name": b.name, "interceptor": b.interceptor.name, "lat_deg": b.lat_deg, "lon_deg": b.lon_deg,
                     "inventory": int(b.inventory), "burnout_speed_km_s": round(v / 1e3, 3),
                     "burnout_time_s": round(t, 1)})
    d = ctx.scenario.doctrine
    return {"batteries": bats, "sensors": [getattr(s, "name", str(s)) for s in ctx.defence.sensors],
            "doctrine": d.model_dump(mode="json")}


def _tracks(flown):
    colors = ["#d62728", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    out = []
    for i, s in enumerate(flown.trajectory.sample(10.0)):
        out.append({"name": flown.names[i], "t_s": s["t_s"], "lat_deg": s["lat_deg"], "lon_deg": s["lon_deg"],
                    "alt_km": s["alt_km"], "color": colors[i % len(colors)]})
    return out


def _sites(ctx):
    rows = []
    for b in ctx.defence.batteries:
        rows.append({"name": b.name, "lat_deg": b.lat_deg, "lon_deg": b.lon_deg, "kind": "interceptor"})
    for s in ctx.defence.sensors:
        site = getattr(s, "lat_deg", None)
        if site is not None:
            rows.append({"name": s.name, "lat_deg": s.lat_deg, "lon_deg": s.lon_deg, "kind": "radar"})
    seen = set()
    for t in ctx.threat_specs:
        for p, kind in ((t["launch"], "launch"), (t["target"], "target")):
            if p.name not in seen:
                seen.add(p.name)
                rows.append({"name": p.name, "lat_deg": p.lat_deg, "lon_deg": p.lon_deg, "kind": kind})
    return rows


def _columns(rows):
    keys = list(rows[0].keys()) if rows else []
    cols = {}
    for k in keys:
        vals = [r[k] for r in rows]
        if all(isinstance(v, (int, float)) or v is None for v in vals) and not all(isinstance(v, bool) for v in vals):
            cols[k] = np.array([np.nan if v is None else float(v) for v in vals])
        elif all(isinstance(v, bool) for v in vals):
            cols[k] = np.array(vals, dtype=bool)
        else:
            cols[k] = np.array(["" if v is None else str(v) for v in vals])
    return cols
