"""``shieldsim run`` / ``demo`` / ``compare``: everything a scenario asks for.

``run_scenario`` computes, in order, the threats' flights and then its parts (``PARTS``:
the sensor timelines with the tracker, the engagements with Monte Carlo outcomes and why a
battery cannot fire, the per-city defence, the defended-area footprint, the reach table, the
raid curves, the key assumptions' sensitivity, the export files), each of which ``skip`` /
``only`` may leave out. Each result is written to DIR/results.json atomically as soon as it
is computed (an interrupted run keeps what it had finished, ``"complete": false``), then the headline numbers
(``numbers.headline_numbers``, rounded once), the self-contained report and its figures as
files. DIR is written as a whole: into a partial sibling renamed into place when complete
(``io.output_dir``). ``results["provenance"]`` says what produced it (``provenance.py``). ``headline``
is the short set of figures ``compare`` and ``sweep`` put side by side.
"""

from __future__ import annotations

import math
import time
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np

from ..earth import wrap_lon
from ..io import atomic_write_text, write_json
from .context import load_context
from .progress import Progress  # Rich bars on stderr (also imported from here by sensitivity)
from .threats import fly_threat_specs

RUSSIAN_GROUP = "russia-icbm-base"
# Clock origin of the CZML animation (threat times count from each launch): 8 June 2007, the
# G8 summit at which Putin offered the Gabala radar [@rusnewsjournal-gabala]. Any date would do.
CZML_EPOCH = "2007-06-08T12:00:00Z"
US_GROUP = "us-city"


def observed(ctx, flown, measurements: bool = True):
    """The scenario's sensors over the flown threats (detection windows and, with
    ``measurements``, the noisy measurements the tracker takes), on the context's stream 1."""
    from ..sensors import observe

    return observe(flown.trajectory, ctx.defence.sensors, ctx.threat_rcs_m2, ctx.rng(1), dt=ctx.defence.sensor_dt_s,
                   threat_names=flown.names, measurements=measurements)


def observe_threats(ctx, flown, track: bool = True):
    """The observe contract for the flown threats, with their fire-control tracks (the compiled
    UKF by default, Stone Soup the reference it is tested against: ``tracking.track_observation``)."""
    from ..tracking import track_observation

    obs = observed(ctx, flown, measurements=track)
    if track and any(m for m in obs.measurements.values()):
        obs = track_observation(obs)
    return obs


def engage_threats(ctx, flown, n_trials: int):
    """The engage contract: battle spaces, engagements and Monte Carlo outcomes per threat."""
    d = ctx.defence
    rcs = ctx.threat_rcs_m2
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
            "intercept_lon_deg": _r(wrap_lon(math.degrees(lon[0, 0]), degrees=True), 4),
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
    """The headline figures of a scenario (what ``compare`` and ``sweep`` tabulate).

    ``raid_p_no_leak`` and ``expected_leakers`` are about a raid of ``raid_size`` copies of
    one threat: ``raid_threat`` names it (``raid_missile``, ``raid_from``, ``raid_to`` say
    what it is), since scenarios raid with different threats."""
    flown = fly_threat_specs(ctx.threat_specs)
    eng, a = engage_threats(ctx, flown, ctx.scenario.analysis.trials)
    fp = footprint_for(ctx, resolution_deg=resolution_deg or ctx.scenario.analysis.compare_resolution_deg)
    reach = reach_for(ctx, speeds=reach_speeds or ())
    raid = raid_for(ctx, flown, a)
    size = ctx.scenario.analysis.raid.headline_size
    k = min(size, len(raid.sizes)) - 1
    base = raid.curves[0]
    i = list(flown.names).index(raid.threat)
    return {
        "name": ctx.scenario.name, "defended_fraction": round(fp.defended_fraction, 4),
        "raid_size": int(raid.sizes[k]), "raid_p_no_leak": round(base["p_no_leak"][k], 4),
        "expected_leakers": round(base["expected_leakers"][k], 4),
        "russian_pairs_engageable": reach.engageable_pairs,
        "russian_pairs": len({(r["launch"], r["target"]) for r in reach.rows}),
        "threats_engageable": int(sum(1 for t in eng["threats"] if t["shot_opportunities"] > 0)),
        "threats": len(eng["threats"]),
        "raid_threat": raid.threat, "raid_missile": flown.missiles[i], "raid_from": flown.launch[i].name,
        "raid_to": flown.target[i].name,
    }


#: The parts of a run, in the order they are computed (``run_scenario``'s ``skip`` / ``only``).
PARTS = {
    "observe": "sensor timelines and the Stone Soup tracker's fire-control times",
    "engage": "battle spaces, shot timelines and Monte Carlo outcomes of the scenario's threats, with why a "
              "battery cannot fire",
    "cities": "is each city of the footprint's region defended, by which battery, and if not, why",
    "footprint": "the defended-area grid",
    "reach": "the reach table (launch base x target x battery) and the interceptor speed that flips it",
    "raid": "raid curves with and without decoys",
    "sharing": "the early-warning exchange: what each partner would gain from shared warning "
               "(shieldsim exchange value)",
    "key_assumptions": "one-at-a-time sensitivity of analysis.key_assumptions (DIR/sensitivity.json)",
    "exports": "CZML, KML, GeoJSON and Parquet files",
}
FIGURE_FORMATS = ("png", "svg", "pdf")


def selected_parts(skip=(), only=None) -> list[str]:
    """The parts a run computes: ``only`` (default: all of ``PARTS``) less ``skip``; an
    unknown name is a ScenarioError naming ``--skip`` or ``--only`` and listing the valid ones."""
    from ..errors import ScenarioError

    for flag, names in (("--skip", skip), ("--only", only or ())):
        if isinstance(names, str):
            names = [names]
        bad = [n for n in names if n not in PARTS]
        if bad:
            raise ScenarioError(flag, f"unknown part {bad[0]!r}; the parts of a run are {', '.join(PARTS)}")
    if isinstance(skip, str):
        skip = [skip]
    if isinstance(only, str):
        only = [only]
    keep = set(PARTS) if only is None else set(only)
    return [p for p in PARTS if p in keep and p not in set(skip)]


def figure_format_list(formats) -> list[str]:
    """The figure file formats asked for (``png``, ``svg``, ``pdf``), each once, in order; anything
    else is a ScenarioError naming ``--figures``."""
    from ..errors import ScenarioError

    if isinstance(formats, str):
        formats = [f for f in formats.split(",") if f.strip()]
    out = []
    for f in formats:
        f = str(f).strip().lower().lstrip(".")
        if f not in FIGURE_FORMATS:
            raise ScenarioError("--figures", f"unknown figure format {f!r}; use {', '.join(FIGURE_FORMATS)} "
                                             "(comma-separated)")
        if f not in out:
            out.append(f)
    return out


def check_runnable(sc) -> None:
    """What ``run`` needs beyond a valid scenario (``scenario check`` refuses the same, so what
    it accepts, ``run`` completes): threats to fly, batteries for the engagement analyses, a
    sensor switched on for the tracks. A ScenarioError naming the field otherwise."""
    from ..errors import ScenarioError

    if not sc.threats:
        raise ScenarioError("threats", "the scenario has no threats; run, observe and engage need at least one")
    if not sc.batteries:
        raise ScenarioError("batteries", "the scenario has no batteries; run needs at least one")
    if not any(s.enabled for s in sc.sensors):
        raise ScenarioError("sensors", "the scenario has no sensors switched on; run needs at least one")


def run_scenario(scenario: str, out: str | Path, overrides=(), seed: int | None = None, progress: bool = True,
                 interceptor_speed: float | None = None, *, command_line: list[str] | None = None,
                 figure_formats: Sequence[str] = ("png",), skip: Collection[str] = (),
                 only: Collection[str] | None = None, force: bool = True) -> dict:
    """Run everything and write DIR/results.json, report.html, the figures and the exports.

    Parameters
    ----------
    scenario, overrides, seed, interceptor_speed : as every command (``--set``, ``--seed``,
        ``--interceptor-speed``).
    out : the output directory. It is written as a whole (``io.output_dir``): into a temporary
        sibling ``.DIR.partial-PID-RAND``, renamed to DIR only when the run is complete, with
        DIR locked against a second writer; a run that fails or is killed leaves DIR as it was.
    force : replace a DIR of earlier shieldsim output (``--force``); False refuses a DIR that
        holds anything but ``shieldsim sensitivity`` output (``commands.check_out_dir``).
    progress : Rich progress bars (and one line on stderr naming the partial folder).
    command_line : the command that asked for the run (the CLI passes ``sys.argv``), recorded
        in ``results["provenance"]`` and the report; None records None.
    figure_formats : the formats in which the report's figures are also written, as
        ``DIR/figures/NAME.FORMAT``: any of ``png``, ``svg``, ``pdf`` (``--figures``). The
        report embeds its figures either way.
    skip, only : parts of the run to leave out, or the only ones to compute (``--skip``,
        ``--only``): ``observe`` (sensor timelines, the tracker), ``engage`` (the scenario's
        threats: shots, outcomes, why a battery cannot fire), ``cities`` (per-city defence),
        ``footprint`` (defended area), ``reach`` (the reach table and the speed that flips it),
        ``raid`` (raid curves), ``key_assumptions`` (their sensitivity for the report's first
        section), ``exports`` (CZML, KML, GeoJSON, Parquet). A skipped part is ``null`` in
        results.json, listed in ``results["parts"]["skipped"]``, and "not computed (skipped)"
        in the report. The threats are always flown.

    results.json is rewritten atomically after each part with ``"complete": false`` (an
    interrupted run keeps what it had finished, in the partial folder) and ``true`` at the end.
    Bad input (the scenario, ``--set``, a part's or a format's name, ``-o``) is refused before
    anything is computed or written.
    """
    from ..io import output_dir
    from ..scenario import load_scenario
    from .commands import check_out_dir

    t_start = time.perf_counter()
    parts = selected_parts(skip, only)
    formats = figure_format_list(figure_formats)
    sc = load_scenario(scenario, list(overrides), seed)
    check_runnable(sc)
    assumptions = key_assumption_names(sc, scenario, overrides, seed) if "key_assumptions" in parts else []
    announce = _announce if progress else None
    with output_dir(out, check=lambda target: check_out_dir(target, force), announce=announce) as stage, \
            Progress(progress) as pg:
        run = _Run(scenario, overrides, seed, interceptor_speed, stage, pg, parts)
        run.start(command_line)
        for part in ("observe", "engage", "cities", "footprint", "reach", "raid", "sharing"):
            if part in parts:
                getattr(run, part)()
            if part == "engage" and run.exports:  # the tracks, with engage's fly-outs when it ran
                _write_track_exports(stage, run.ctx, run.flown, run.results)
        if "key_assumptions" in parts:
            key_assumptions(run.ctx, scenario, assumptions, stage, overrides, seed, interceptor_speed, pg)
        run.report(formats, t_start)
    return run.results


def _announce(partial: Path) -> None:
    import sys

    sys.stderr.write(f"writing into {partial} (renamed into place when complete)\n")


class _Run:
    """The steps of ``run_scenario``: each computes one part into ``results`` and rewrites
    results.json (``"complete": false``) in the partial folder ``out``."""

    def __init__(self, scenario, overrides, seed, interceptor_speed, out: Path, pg, parts):
        self.scenario, self.overrides, self.seed, self.speed = scenario, overrides, seed, interceptor_speed
        self.out, self.pg, self.parts = Path(out), pg, parts
        self.exports = "exports" in parts
        self.obs = self.assessment = self.fp = self.reach_result = self.raid_result = None

    def save(self) -> None:
        write_json(self.out / "results.json", self.results)

    def start(self, command_line) -> None:
        from .provenance import provenance

        step = self.pg.task("scenario and fly-out fans", 1)
        ctx = self.ctx = load_context(self.scenario, self.overrides, self.seed, self.speed)
        step()
        step = self.pg.task("threat trajectories", 1)
        self.flown = fly_threat_specs(ctx.threat_specs)
        skipped = [p for p in PARTS if p not in self.parts]
        self.results = {
            "scenario": ctx.scenario.name, "title": ctx.scenario.title, "seed": ctx.seed,
            "provenance": {**provenance(ctx.scenario, seed=ctx.seed, command_line=command_line,
                                        interceptor_speed_km_s=self.speed, overrides=self.overrides),
                           "places": _places(ctx)},
            "parts": {"computed": self.parts, "skipped": skipped}, "complete": False,
            "defence": defence_summary(ctx, self.speed), "threats": self.flown.summary(),
            **{p: None for p in ("observe", "engage", "fire_control", "cities", "footprint", "reach", "raid",
                                      "sharing")
               if p not in self.parts}}
        self.save()
        step()

    def observe(self) -> None:
        step = self.pg.task("sensors and tracking", 1)
        self.obs = observe_threats(self.ctx, self.flown)
        self.results["observe"] = self.obs.to_dict()
        self.save()
        step()

    def engage(self) -> None:
        step = self.pg.task("engagements (Monte Carlo)", 1)
        ctx, flown = self.ctx, self.flown
        eng, self.assessment = engage_threats(ctx, flown, ctx.scenario.analysis.trials)
        add_diagnostics(ctx, flown, eng, self.assessment)
        self.results["engage"] = eng
        self.results["fire_control"] = (fire_control_comparison(ctx, flown, eng, self.obs)
                                        if self.obs is not None else None)
        self.save()
        step()

    def cities(self) -> None:
        from .diagnose import city_defence

        step = self.pg.task("cities", 1)
        self.results["cities"] = city_defence(self.ctx, self.ctx.rng(7))
        self.save()
        step()

    def footprint(self) -> None:
        fp = self.fp = footprint_for(self.ctx, progress=self.pg)
        self.results["footprint"] = fp.to_dict()
        if self.exports:
            from ..export import geojson, parquet

            fc = geojson.footprint_polygons(fp.lat_deg, fp.lon_deg, fp.defended, fp.shot_opportunities,
                                            properties={"launch": fp.launch, "missile": fp.missile})
            geojson.write_geojson(self.out / "footprint.geojson", fc)
            parquet.write_grid(self.out / "footprint.parquet", fp.columns())
        self.save()

    def reach(self) -> None:
        ctx = self.ctx
        reach = self.reach_result = reach_for(ctx, progress=self.pg)
        add_reach_diagnostics(ctx, reach)
        self.results["reach"] = {**reach.to_dict(), "missile": ctx.scenario.analysis.reach.missile,
                                 "speeds_km_s": [float(v) for v in reach.speeds_km_s]}
        if self.exports:
            from ..export import parquet

            parquet.write_grid(self.out / "reach.parquet", _columns(reach.rows))
        self.save()

    def raid(self) -> None:
        step = self.pg.task("raid curves", 1)
        ctx, flown = self.ctx, self.flown
        if self.assessment is None:  # engage skipped: the raid still needs the threats' shot timelines
            rcs = ctx.threat_rcs_m2
            self.assessment = ctx.defence.assess(flown.trajectory, ctx.rng(2), flown.names, rcs_m2=rcs)
        raid = self.raid_result = raid_for(ctx, flown, self.assessment)
        self.results["raid"] = {**raid.to_dict(), "headline_size": ctx.scenario.analysis.raid.headline_size}
        self.save()
        step()

    def sharing(self) -> None:
        from ..exchange.replay import notifications_from
        from ..exchange.value import value_from_notifications

        step = self.pg.task("early-warning sharing", 1)
        obs = self.obs if self.obs is not None else observe_threats(self.ctx, self.flown)
        events, note = notifications_from(self.ctx, self.flown, obs)
        self.results["sharing"] = value_from_notifications(self.ctx, events, note)
        self.save()
        step()

    def report(self, formats, t_start: float) -> None:
        from ..report.build import scenario_report
        from ..report.html import save_figures
        from .numbers import headline_numbers

        results = self.results
        results["headline"] = {k: n.to_dict() for k, n in headline_numbers(results).items()}
        step = self.pg.task("report", 1)
        figures = scenario_report(self.out / "report.html", self.ctx, results, self.fp, self.reach_result,
                                  self.raid_result, self.flown, self.assessment)
        results["figures"] = save_figures(figures, self.out / "figures", formats)
        results["seconds"] = round(time.perf_counter() - t_start, 1)
        results["complete"] = True
        self.save()
        step()


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


def defence_summary(ctx, interceptor_speed: float | None = None) -> dict:
    """What the run assumed of the defence: batteries, sensors and doctrine, as the report and
    the README headline state them.

    Per battery, ``burnout_speed_km_s`` is the burnout speed its interceptor's stages fly
    (``interceptors.flown_burnout_speed``), ``nominal_burnout_speed_km_s`` the speed they were
    rescaled to and ``burnout_speed_set_by`` by what (``--interceptor-speed`` or the
    scenario's ``batteries.I.burnout_speed_km_s``; both None: the catalog stages as they are),
    and ``published_burnout_speed_km_s`` the catalog's published value and range. The flown
    and nominal speeds differ by the rescaling's tolerance (a few m/s)."""
    from ..interceptors import flown_burnout_speed

    bats = []
    for i, (b, spec) in enumerate(zip(ctx.defence.batteries, ctx.scenario.batteries)):
        v, t = flown_burnout_speed(b.interceptor.booster)
        if interceptor_speed is not None:
            nominal, by = float(interceptor_speed), "--interceptor-speed"
        elif spec.burnout_speed_km_s is not None:
            nominal, by = float(spec.burnout_speed_km_s), f"batteries.{i}.burnout_speed_km_s"
        else:
            nominal, by = None, None
        pub = b.interceptor.published_burnout_speed_km_s
        bats.append({"name": b.name, "interceptor": b.interceptor.name, "site": str(spec.site), "lat_deg": b.lat_deg,
                     "lon_deg": b.lon_deg, "inventory": int(b.inventory), "burnout_speed_km_s": round(v / 1e3, 3),
                     "burnout_time_s": round(t, 1), "nominal_burnout_speed_km_s": nominal,
                     "burnout_speed_set_by": by,
                     "published_burnout_speed_km_s": {k: pub.get(k) for k in ("value", "low", "high")}})
    d = ctx.scenario.doctrine
    return {"batteries": bats, "sensors": [getattr(s, "name", str(s)) for s in ctx.defence.sensors],
            "doctrine": d.model_dump(mode="json")}


def add_diagnostics(ctx, flown, eng: dict, assessment) -> None:
    """Per engage threat: the shots per battery and, for each battery that does not fire,
    why (``diagnose``: out of reach, closing speed, no fire-control track, no radar track,
    too late by N s); the fire-control model the shots use is the batch surrogate."""
    from .diagnose import diagnose, shots_by_battery

    dg = diagnose(ctx.defence, flown.trajectory, assessment)
    for i, t in enumerate(eng["threats"]):
        t["fire_control_model"] = "surrogate"
        t["shots_by_battery"] = shots_by_battery(assessment.chain, i, ctx.defence.batteries)
        t["why_not"] = {b.name: {"reason": str(dg.reason[i, j]), "why": dg.text(i, j),
                                 "too_late_s": _r(dg.too_late_s[i, j], 1)}
                        for j, b in enumerate(ctx.defence.batteries) if b.name not in t["shots_by_battery"]}


def fire_control_comparison(ctx, flown, eng: dict, obs) -> dict:
    """The two fire-control models side by side, per threat: the Stone Soup tracker's time
    (``observe``, the reference) and the batch surrogate's (``engage``, which every shot,
    footprint and reach figure uses), and the shot opportunities if the interceptors had to
    wait for the tracker instead (the same battle-space code, committed at the tracker's time)."""
    rcs = ctx.threat_rcs_m2
    observation, _ = ctx.defence.timeline(flown.trajectory, ctx.rng(2), flown.names, rcs_m2=rcs)
    tracker = np.asarray(obs.fire_control_s, float)
    a = ctx.defence.assess(flown.trajectory, ctx.rng(2), flown.names, rcs_m2=rcs, timeline=(observation, tracker))
    rows = []
    for i, t in enumerate(eng["threats"]):
        tr, su = _r(tracker[i]), t["fire_control_s"]
        rows.append({"threat": t["threat"], "tracker_s": tr, "surrogate_s": su,
                     "tracker_minus_surrogate_s": None if tr is None or su is None else round(tr - su, 1),
                     "shots_surrogate": t["shot_opportunities"], "shots_if_tracker": int(a.chain.count[i])})
    return {"reference": "tracker", "used_by_shots": "surrogate",
            "surrogate": f"first radar detection after burnout + doctrine.track_settle_s "
                         f"({ctx.defence.track_settle_s:g} s)", "threats": rows}


def add_reach_diagnostics(ctx, reach) -> None:
    """Why each reach pair is not engageable (``diagnose``), as ``reason``, ``why`` and
    ``too_late_s`` on its row; the sensor timeline is ``reach_analysis``'s (the same stream)."""
    from .. import catalog
    from .diagnose import diagnose

    d = ctx.defence
    rocket = catalog.missile(ctx.scenario.analysis.reach.missile, field="analysis.reach.missile")
    rng = ctx.rng(5)
    traj = reach.flown.trajectory
    tl = d.timeline(traj, rng, reach.flown.names, rcs_m2=rocket.payload.rcs_m2)
    dg = diagnose(d, traj, d.assess(traj, rng, reach.flown.names, timeline=tl))
    nb = len(d.batteries)
    for k, row in enumerate(reach.rows):
        i, j = divmod(k, nb)
        row["reason"] = str(dg.reason[i, j])
        row["why"] = dg.text(i, j)
        row["too_late_s"] = _r(dg.too_late_s[i, j], 1)


def _places(ctx) -> dict:
    """Every place the run used, resolved: name -> [lat_deg, lon_deg, alt_km]."""
    out = {}
    for b, spec in zip(ctx.defence.batteries, ctx.scenario.batteries):
        out[str(spec.site)] = [b.lat_deg, b.lon_deg, b.alt_km]
    for s in ctx.defence.sensors:
        if getattr(s, "lat_deg", None) is not None:
            out[s.name] = [s.lat_deg, s.lon_deg, getattr(s, "alt_km", None)]
    for t in ctx.threat_specs:
        for p in (t.launch, t.target):
            out[p.name] = [p.lat_deg, p.lon_deg, p.alt_km]
    return out


def _write_track_exports(out: Path, ctx, flown, results: dict) -> None:
    """The threats' tracks, the interceptors' fly-outs to their intercept points (when
    ``engage`` ran) and the scenario's sites as CZML, KML and GeoJSON."""
    from ..export import czml, geojson, kml
    from .flyouts import flyout_tracks

    tracks = track_rows(flown)
    sites = site_rows(ctx)
    flyouts = flyout_tracks(ctx.defence.batteries, (results.get("engage") or {}).get("threats") or [])
    atomic_write_text(out / "trajectories.czml", czml.trajectories_to_czml(tracks, CZML_EPOCH, sites,
                                                                           flyouts=flyouts))
    kml.write_kml(out / "trajectories.kml", tracks, sites, flyouts=flyouts, epoch_iso=CZML_EPOCH)
    geojson.write_geojson(out / "trajectories.geojson", geojson.tracks_feature_collection(tracks, flyouts))


def track_rows(flown):
    """The threats' tracks sampled every 10 s, as the CZML, KML and GeoJSON exports take them."""
    colors = ["#d62728", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    out = []
    for i, s in enumerate(flown.trajectory.sample(10.0)):
        out.append({"name": flown.names[i], "t_s": s["t_s"], "lat_deg": s["lat_deg"], "lon_deg": s["lon_deg"],
                    "alt_km": s["alt_km"], "color": colors[i % len(colors)]})
    return out


def site_rows(ctx):
    """The scenario's batteries, radars, launch sites and targets, as the exports take them."""
    rows = []
    for b in ctx.defence.batteries:
        rows.append({"name": b.name, "lat_deg": b.lat_deg, "lon_deg": b.lon_deg, "kind": "interceptor"})
    for s in ctx.defence.sensors:
        site = getattr(s, "lat_deg", None)
        if site is not None:
            rows.append({"name": s.name, "lat_deg": s.lat_deg, "lon_deg": s.lon_deg, "kind": "radar"})
    seen = set()
    for t in ctx.threat_specs:
        for p, kind in ((t.launch, "launch"), (t.target, "target")):
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
