"""One function per command: what ``shieldsim COMMAND ... --json`` computes, for the CLI and the API.

The command line (``cli.py``) and the Python API (``api.py``) both call these, so the same
arguments give the same numbers through either door. Each function takes the command's
options (repeatable flags as lists, ``overrides`` for ``--set``, ``interceptor_speed`` in
km/s), checks them in the order the command does (so bad input raises the same
``ScenarioError``, naming the flag or the field), and returns a result whose ``to_dict()``
is exactly the command's JSON object and whose ``to_frame()`` is a pandas DataFrame of its
natural rows (threats, pairs, aim points, scenarios, cells). Rendering tables and writing
to stdout stay in the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import ScenarioError

#: ``ScenarioError`` fields of options that the commands pass on as ``--set`` overrides, and
#: the flag the user typed: an error in one of them names the flag, not the scenario path
#: (``raid``'s flags are those a ``raid`` command would have).
DOCTRINE_FLAGS = {"doctrine.sspk": "--sspk", "doctrine.salvo_size": "--salvo", "doctrine.kind": "--doctrine"}
RAID_FLAGS = {"analysis.raid.threat": "--threat", "analysis.raid.max_size": "--max-size",
              "analysis.raid.decoys": "--decoys", "analysis.raid.trials": "--trials"}


# --- results --------------------------------------------------------------------------------
@dataclass(repr=False)
class CommandResult:
    """A command's JSON object (``data``) with the objects behind it for further work:
    ``context`` is the loaded scenario, defence and threats (``context.Context``) where the
    command has one."""

    data: dict
    context: object = field(default=None, repr=False)

    def to_dict(self) -> dict:
        """The command's ``--json`` object: plain JSON values, a fresh copy on every call."""
        from ..io import to_jsonable

        return to_jsonable(self.data)

    def __getitem__(self, key: str):
        return self.data[key]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(self.data)})"

    def rows(self) -> list[dict]:
        raise NotImplementedError

    def to_frame(self):
        """The natural rows of the result as a pandas DataFrame ("never" is NaN)."""
        import pandas as pd

        return pd.DataFrame(self.rows())


@dataclass(repr=False)
class ObserveResult(CommandResult):
    """``observe``: one row per threat and sensor."""

    observation: object = field(default=None, repr=False)  # sensors.Observation, tracks included

    def rows(self) -> list[dict]:
        out = []
        for t in self.data["threats"]:
            head = {k: t[k] for k in ("threat", "flight_time_s", "first_track_s", "fire_control_s")}
            out += [{**head, **s} for s in t["sensors"]]
        return out


@dataclass(repr=False)
class EngageResult(CommandResult):
    """``engage``: one row per threat; ``engagements_frame()`` one per shot."""

    assessment: object = field(default=None, repr=False)  # analyses.defence.Assessment
    flown: object = field(default=None, repr=False)  # analyses.threats.FlownThreats

    def rows(self) -> list[dict]:
        out = []
        for t in self.data["threats"]:
            bs = t["battle_space_s"] or [None, None]
            first = t["engagements"][0] if t["engagements"] else {}
            out.append({
                "threat": t["threat"], "shot_opportunities": t["shot_opportunities"],
                "battle_space_start_s": bs[0], "battle_space_end_s": bs[1],
                "fire_control_s": t.get("fire_control_s"), "commit_s": t.get("commit_s"),
                "first_intercept_s": first.get("intercept_s"),
                "first_intercept_altitude_km": first.get("intercept_altitude_km"),
                "first_battery": first.get("battery"),
                "p_kill": t["p_kill"], "p_leak": t["p_leak"], "interceptors_used_mean": t["interceptors_used_mean"],
            })
        return out

    def engagements_frame(self):
        """Every shot of the causal timeline: one row per threat and shot."""
        import pandas as pd

        return pd.DataFrame([{"threat": t["threat"], **e} for t in self.data["threats"] for e in t["engagements"]])


@dataclass(repr=False)
class ReachResult(CommandResult):
    """``reach``: one row per launch base x target x battery."""

    reach: object = field(default=None, repr=False)  # analyses.reach.ReachResult

    @property
    def engageable_pairs(self) -> int:
        return len({(r["launch"], r["target"]) for r in self.data["pairs"] if r["feasible"]})

    def rows(self) -> list[dict]:
        return self.data["pairs"]


@dataclass(repr=False)
class FootprintResult(CommandResult):
    """``footprint``: one row per aim point of the grid (the Parquet file's columns)."""

    grid: object = field(default=None, repr=False)  # analyses.footprint.FootprintResult

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(self.grid.columns())


@dataclass(repr=False)
class RaidResult(CommandResult):
    """The raid curves: one row per curve (decoys per warhead) and raid size."""

    curves: object = field(default=None, repr=False)  # analyses.raid.RaidCurves

    def rows(self) -> list[dict]:
        d = self.data
        return [{"threat": d["threat"], "label": c["label"], "decoys": c["decoys"], "raid_size": n,
                 "p_no_leak": c["p_no_leak"][k], "expected_leakers": c["expected_leakers"][k]}
                for c in d["curves"] for k, n in enumerate(d["raid_sizes"])]


@dataclass(repr=False)
class CompareResult(CommandResult):
    """``compare``: one row per scenario."""

    def rows(self) -> list[dict]:
        return self.data["scenarios"]


@dataclass(repr=False)
class SweepResult(CommandResult):
    """``sweep``: one row per cell, read back from ``DIR/sweep.parquet``."""

    out: Path | None = None

    def to_frame(self):
        import pandas as pd

        return pd.read_parquet(self.data["parquet"])


@dataclass(repr=False)
class RunResult(CommandResult):
    """``run``: everything ``results.json`` holds; one row per threat (its flight and engagement)."""

    out: Path | None = None

    @property
    def report(self) -> Path:
        return Path(self.out) / "report.html"

    def rows(self) -> list[dict]:
        eng = {t["threat"]: t for t in self.data.get("engage", {}).get("threats", [])}
        out = []
        for r in self.data["threats"]:
            e = eng.get(r["threat"], {})
            out.append({**r, **{k: e.get(k) for k in ("shot_opportunities", "fire_control_s", "p_kill", "p_leak",
                                                        "interceptors_used_mean")}})
        return out


@dataclass(repr=False)
class SensitivityResult(CommandResult):
    """``sensitivity``: one row per headline figure with its range and top driver."""

    def rows(self) -> list[dict]:
        out = []
        for f in self.data["figures"]:
            drivers = f.get("drivers") or []
            flips = [d for d in drivers if d.get("flips")]
            out.append({**{k: f.get(k) for k in ("figure", "value", "low", "high", "p05", "p50", "p95")},
                        "top_driver": drivers[0]["parameter"] if drivers else None,
                        "flips": [d["parameter"] for d in flips]})
        return out


# --- the shared steps -----------------------------------------------------------------------
def _progress(progress):
    """Progress bars (on stderr) from a flag, or the caller's own ``Progress`` (not yet entered)."""
    from .progress import Progress

    return progress if hasattr(progress, "task") else Progress(bool(progress))


#: Largest count ``whole`` reads (an input bound; each command's own limit, e.g. --trials'
#: 10,000,000, is checked after it with the memory it would take).
MAX_COUNT = 10**12


def whole(value, flag: str, most: int = MAX_COUNT) -> int | None:
    """A count given as 200, 1e6, "1e6" or "1_000_000": a whole number from 1 to ``most`` (or None)."""
    if value is None:
        return None
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    bad = ScenarioError(flag, f"expected a whole number (like 200 or 1e6), got {shown}")
    if isinstance(value, bool):
        raise bad
    try:
        x = float(value.replace("_", "")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise bad from None
    if x != x or x in (float("inf"), float("-inf")) or x != int(x):
        raise bad
    if x < 1:
        raise ScenarioError(flag, "must be at least 1")
    if x > most:
        raise ScenarioError(flag, f"{x:.3g} is more than the most this command takes, {most:,}")
    return int(x)


#: fields of ``load_context``'s own arguments, and the flags that set them
ARGUMENT_FLAGS = {"trials": "--trials", "resolution_deg": "--resolution-deg"}


def _flag_error(e: ScenarioError, flags: dict, given: dict) -> ScenarioError | None:
    """The error renamed to the flag that set the field (when that flag was given)."""
    for key, flag in flags.items():
        if (e.field == key or e.field.startswith(key + ".")) and given.get(key) is not None:
            return ScenarioError(flag, e.reason.split(" (from --set")[0])
    return None


def context(scenario, overrides=(), seed=None, interceptor_speed=None, missile=None, from_=None, to=None, *,
            sensors=None, doctrine=None, analysis=None, trials=None, resolution_deg=None):
    """``load_context`` with the command's own flags: ``doctrine`` ({sspk, salvo_size, kind}:
    --sspk, --salvo, --doctrine) and ``analysis`` (paths under ``analysis.``, e.g.
    {"raid.max_size": 5}) become overrides; ``trials`` and ``resolution_deg`` (what the command
    will run instead of the scenario's) are checked against the limits before anything is built.
    An invalid value names its flag."""
    import json

    from .context import load_context

    extra = {f"analysis.{k}": v for k, v in (analysis or {}).items()}
    ov = list(overrides) + [f"{k}={json.dumps(v) if isinstance(v, (list, tuple)) else v}"
                            for k, v in extra.items() if v is not None]
    try:
        return load_context(str(scenario), ov, seed, interceptor_speed, missile, from_, to, sensor_names=sensors,
                            doctrine_overrides=doctrine, trials=trials, resolution_deg=resolution_deg)
    except ScenarioError as e:
        given = {**{f"doctrine.{k}": v for k, v in (doctrine or {}).items()}, **extra, "trials": trials,
                 "resolution_deg": resolution_deg}
        renamed = (_flag_error(e, DOCTRINE_FLAGS, given) or _flag_error(e, RAID_FLAGS, given)
                   or (_flag_error(e, ARGUMENT_FLAGS, given) if e.field in ARGUMENT_FLAGS else None)
                   or _speed_error(e, interceptor_speed))
        if renamed is not None:
            raise renamed from None
        raise


def _published_speeds() -> tuple[float, float]:
    """The lowest and highest published interceptor burnout speed of the catalog, km/s."""
    from .. import catalog

    spans = [e.get("published_burnout_speed_km_s") for e in catalog.entries("interceptor")]
    spans = [p for p in spans if isinstance(p, dict)]
    return (min(p.get("low", p.get("value")) for p in spans), max(p.get("high", p.get("value")) for p in spans))


def _speed_error(e: ScenarioError, interceptor_speed) -> ScenarioError | None:
    """An interceptor that cannot be rescaled to ``--interceptor-speed`` (its stages would not
    lift off, or the speed is out of reach): one error naming the flag, with the catalog's
    published burnout speeds as the sensible range."""
    if interceptor_speed is None or e.field == "--interceptor-speed" or not (
            e.field.startswith("stages.") or e.field.endswith("burnout_speed_km_s")):
        return None
    try:
        lo, hi = _published_speeds()
        span = f"; the catalog's interceptors burn out at {lo:g}-{hi:g} km/s (published)"
    except (ValueError, KeyError, TypeError):
        span = ""
    why = e.reason.split(";")[0].split(" (")[0]
    return ScenarioError("--interceptor-speed", f"{interceptor_speed:g} km/s cannot be flown ({why[:70]}){span}")


def select_threat(ctx, threat: str | None):
    """``--threat NAME``: the context with only that threat (or refuse, listing them)."""
    if threat is None:
        return ctx
    names = [s.name for s in ctx.threat_specs]
    if threat not in names:
        raise ScenarioError("--threat", f"no threat named {str(threat)[:60]!r}; threats: {', '.join(names)}")
    return replace(ctx, threat_specs=tuple(s for s in ctx.threat_specs if s.name == threat))


def check_out_dir(out, force: bool) -> list[str]:
    """``run -o DIR``: refused in one line naming ``-o`` before any work if DIR cannot be
    written (``io.check_output_path``: ``-o /``, a file, a read-only place, a name too long),
    and unless ``force``, if DIR holds files, so a run never overwrites results silently.
    ``force`` replaces earlier shieldsim output and keeps the rest: the names returned (files
    shieldsim does not write) are carried into the new DIR; the working directory itself is
    refused. A directory holding only ``shieldsim sensitivity -o`` output is accepted; its
    sensitivity.json and tornado charts are carried into the new DIR (the run keeps a fuller
    sensitivity.json it finds)."""
    import os

    from ..io import check_output_path, foreign_entries

    path = check_output_path(out, "-o")
    if not path.is_dir():
        return []
    entries = sorted(p.name for p in path.iterdir())
    sensitivity_only = bool(entries) and all(n == "sensitivity.json" or n.startswith("tornado") for n in entries)
    if sensitivity_only:
        return entries
    if entries and not force:
        raise ScenarioError("-o", f"{out} is not empty ({len(entries)} entries, e.g. {entries[0][:60]}); "
                                  "give a new directory, or --force to write over it")
    if entries:
        cwd = Path(os.getcwd())
        if cwd == path or path in cwd.parents:
            raise ScenarioError("-o", f"{out} is the working directory (or holds it); --force would replace it: "
                                      "give a directory of its own")
        return foreign_entries(path)  # the user's own files stay: --force writes beside them
    return []


# --- the commands ---------------------------------------------------------------------------
def observe(scenario, *, sensors=(), threat=None, overrides=(), seed=None, interceptor_speed=None, missile=None,
            from_=None, to=None, progress=False) -> ObserveResult:
    """``shieldsim observe``: each threat's sensor timeline, first track and fire-control track
    (the Stone Soup tracker); ``sensors`` (--sensor) observe with catalog sensors instead."""
    ctx = context(scenario, overrides, seed, interceptor_speed, missile, from_, to, sensors=list(sensors) or None)
    ctx = select_threat(ctx, threat)
    from .run import observe_threats
    from .threats import fly_threat_specs

    with _progress(progress) as pg:
        step = pg.task("threat trajectories", 1)
        flown = fly_threat_specs(ctx.threat_specs)
        step()
        step = pg.task("sensors and tracking", 1)
        obs = observe_threats(ctx, flown)
        step()
    return ObserveResult(obs.to_dict(), ctx, obs)


def engage(scenario, *, trials=None, sspk=None, salvo=None, doctrine=None, threat=None, overrides=(), seed=None,
           interceptor_speed=None, missile=None, from_=None, to=None, progress=False) -> EngageResult:
    """``shieldsim engage``: battle spaces, the causal shot timeline and Monte Carlo outcomes
    per threat; ``trials`` (a whole number, "1e6" accepted) defaults to ``analysis.trials``."""
    n_trials = whole(trials, "--trials")
    # The trials are checked (count and memory) before the defence is built or anything flown.
    ctx = context(scenario, overrides, seed, interceptor_speed, missile, from_, to,
                  doctrine={"sspk": sspk, "salvo_size": salvo, "kind": doctrine}, trials=n_trials)
    ctx = select_threat(ctx, threat)
    from .run import engage_threats
    from .threats import fly_threat_specs

    n_trials = n_trials or ctx.scenario.analysis.trials
    with _progress(progress) as pg:
        step = pg.task("threat trajectories", 1)
        flown = fly_threat_specs(ctx.threat_specs)
        step()
        step = pg.task(f"engagements, {n_trials:,} trials", 1)
        out, assessment = engage_threats(ctx, flown, n_trials)
        step()
    return EngageResult(out, ctx, assessment, flown)


def reach(scenario, *, launches=(), targets=(), missile=None, overrides=(), seed=None, interceptor_speed=None,
          progress=False) -> ReachResult:
    """``shieldsim reach``: every launch base x target x battery (the scenario's
    ``analysis.reach``, else every Russian ICBM base x every US city): feasible, margin and
    the minimum interceptor burnout speed."""
    ctx = context(scenario, overrides, seed, interceptor_speed)
    from .run import reach_for

    with _progress(progress) as pg:
        res = reach_for(ctx, launches=list(launches), targets=list(targets), missile=missile, progress=pg)
    return ReachResult(res.to_dict(), ctx, res)


def footprint(scenario, *, launch=None, missile=None, resolution_deg=0.5, out=None, overrides=(), seed=None,
              interceptor_speed=None, progress=False) -> FootprintResult:
    """``shieldsim footprint``: the defended share of the region's aim points. ``launch`` None
    flies each of the scenario's footprint missiles from its own place (as ``run``);
    ``resolution_deg`` None is the scenario's; ``out`` (FILE.geojson) also writes the
    polygons and, beside it, the Parquet grid."""
    if out is not None and not str(out).endswith(".geojson"):
        raise ScenarioError("-o", "the footprint file must end in .geojson (the Parquet grid goes beside it)")
    if out is not None:
        from ..io import check_output_path

        check_output_path(out, "-o", kind="file")
    # The grid (aim points, memory) is checked before the defence is built or anything flown.
    ctx = context(scenario, overrides, seed, interceptor_speed, resolution_deg=resolution_deg)
    from .run import footprint_for

    with _progress(progress) as pg:
        fp = footprint_for(ctx, launch=launch, missile=missile, resolution_deg=resolution_deg, progress=pg)
    if out is not None:  # both files, or neither (io.output_files)
        from ..export import geojson, parquet
        from ..io import output_files

        name = Path(out).name
        fc = geojson.footprint_polygons(fp.lat_deg, fp.lon_deg, fp.defended, fp.shot_opportunities,
                                        properties={"launch": fp.launch, "missile": fp.missile})
        with output_files(out) as stage:
            geojson.write_geojson(stage / name, fc)
            parquet.write_grid(stage / (name[: -len(".geojson")] + ".parquet"), fp.columns())
    return FootprintResult(fp.to_dict(), ctx, fp)


def raid_object(ctx, curves) -> dict:
    """The ``raid`` object of results.json: the curves and the size the headline figures read."""
    return {**curves.to_dict(), "headline_size": ctx.scenario.analysis.raid.headline_size}


def raid(scenario, *, threat=None, max_size=None, decoys=None, trials=None, sspk=None, salvo=None, doctrine=None,
         overrides=(), seed=None, interceptor_speed=None, missile=None, from_=None, to=None,
         progress=False) -> RaidResult:
    """The raid curves ``run`` computes (its ``raid`` object): P(no leak) and expected leakers
    for raids of 1..``max_size`` copies of ``threat``, one curve per number of ``decoys``;
    each option defaults to the scenario's ``analysis.raid`` and is the same as ``--set
    analysis.raid.KEY=VALUE``, so the numbers are those of ``run`` with that override."""
    adhoc = any(a is not None for a in (missile, from_, to))
    analysis = {"raid.max_size": whole(max_size, "--max-size"), "raid.trials": whole(trials, "--trials"),
                "raid.decoys": None if decoys is None else list(decoys), "raid.threat": None if adhoc else threat}
    ctx = context(scenario, overrides, seed, interceptor_speed, missile, from_, to,
                  doctrine={"sspk": sspk, "salvo_size": salvo, "kind": doctrine}, analysis=analysis)
    if adhoc and threat is not None:  # the one ad-hoc threat is the raid's
        names = [s.name for s in ctx.threat_specs]
        if threat not in names:
            raise ScenarioError("--threat", f"no threat named {str(threat)[:60]!r}; threats: {', '.join(names)}")
    from .run import engage_threats, raid_for
    from .threats import fly_threat_specs

    with _progress(progress) as pg:
        step = pg.task("threat trajectories", 1)
        flown = fly_threat_specs(ctx.threat_specs)
        step()
        step = pg.task("raid curves", 1)
        # Only engage's assessment (the shot timelines) feeds the raid, which draws from its
        # own stream: engage's Monte Carlo is not needed, so it runs one trial.
        _, assessment = engage_threats(ctx, flown, 1)
        curves = raid_for(ctx, flown, assessment)
        step()
    return RaidResult(raid_object(ctx, curves), ctx, curves)


def compare(scenarios, *, overrides=(), seed=None, interceptor_speed=None, progress=False) -> CompareResult:
    """``shieldsim compare``: the headline figures of each scenario, side by side."""
    from ..scenario import load_scenario

    scenarios = [str(s) for s in scenarios]
    if not scenarios:
        raise ScenarioError("SCENARIOS", "name at least one scenario to compare")
    for s in scenarios:  # every scenario is checked before the first is computed
        load_scenario(s, overrides=list(overrides), seed=seed)
    from .run import headline

    rows = []
    with _progress(progress) as pg:
        tick = pg.task(f"compare: {scenarios[0]}", len(scenarios))
        for s in scenarios:
            tick.describe(f"compare: {s}")
            rows.append(headline(context(s, overrides, seed, interceptor_speed)))
            tick()
    return CompareResult({"scenarios": rows})


def sweep(scenario, vary, out, *, dask=None, workers=2, overrides=(), seed=None, interceptor_speed=None,
          progress=False) -> SweepResult:
    """``shieldsim sweep``: the headline figures over the cartesian grid of ``vary``
    (``PATH=V1,V2,...`` strings) on Dask, one Parquet row per cell in ``out``."""
    from .sweep import check_workers, run_sweep

    check_workers(workers, dask)
    res = run_sweep(str(scenario), list(vary), out, address=dask, overrides=list(overrides), seed=seed,
                    interceptor_speed=interceptor_speed, n_workers=workers, progress=bool(progress))
    return SweepResult(res, out=Path(out))


def run(scenario, out, *, force=False, skip=(), only=None, figures=("png",), overrides=(), seed=None,
        interceptor_speed=None, command_line=None, progress=False) -> RunResult:
    """``shieldsim run``: every analysis of the scenario (or the parts ``only`` names, less
    ``skip``) into the directory ``out``, new or empty unless ``force``: results.json, the
    report, its figures in ``figures`` formats, GeoJSON, CZML, KML, Parquet. The result is
    results.json; ``command_line`` is recorded in its provenance."""
    from ..scenario import load_scenario

    skip = [skip] if isinstance(skip, str) else list(skip)
    only = [only] if isinstance(only, str) else (list(only) if only else None)
    if skip and only:
        raise ScenarioError("--only", "give --skip or --only, not both")
    load_scenario(str(scenario), overrides=list(overrides), seed=seed)  # a bad scenario is named before the directory
    from .run import figure_format_list, run_scenario, selected_parts

    selected_parts(skip, only)
    formats = figure_format_list(figures or ["png"])
    check_out_dir(out, force)
    res = run_scenario(str(scenario), out, overrides=list(overrides), seed=seed, progress=bool(progress),
                       interceptor_speed=interceptor_speed, command_line=command_line, figure_formats=formats,
                       skip=tuple(skip), only=only, force=force)
    return RunResult(res, out=Path(out))


def sensitivity(scenario, method="oat", *, samples=None, dask=None, out=None, params=(), resolution_deg=None,
                workers=2, overrides=(), seed=None, interceptor_speed=None, progress=False) -> SensitivityResult:
    """``shieldsim sensitivity``: each headline figure over the parameters' ranges and where
    its verdict flips (``params``: the ``--param`` paths; all of them when empty)."""
    if resolution_deg is not None:  # the grid is checked before the many evaluations start
        from ..scenario import load_scenario
        from .context import check_grid, footprint_region

        check_grid(footprint_region(load_scenario(str(scenario), overrides=list(overrides), seed=seed)),
                   resolution_deg, "--resolution-deg")
    from contextlib import nullcontext

    from ..io import check_output_path, disk_error, output_lock
    from .sensitivity import run_sensitivity
    from .sweep import check_workers

    if method == "sobol":
        check_workers(workers, dask)
    target = None if out is None else check_output_path(out, "-o")  # locked: one writer at a time
    with output_lock(target) if target is not None else nullcontext():
        try:
            res = run_sensitivity(str(scenario), method, samples=samples, address=dask, out=out,
                                  overrides=list(overrides), seed=seed, interceptor_speed=interceptor_speed,
                                  params_only=list(params), resolution_deg=resolution_deg, n_workers=workers,
                                  progress=bool(progress))
        except OSError as exc:
            err = disk_error(exc, target) if target is not None else None
            if err is None:
                raise
            raise err from None
    return SensitivityResult(res.to_dict())
