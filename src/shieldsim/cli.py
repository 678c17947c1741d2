"""The ``shieldsim`` command (Typer + Rich).

Exit codes: 0 done, 2 bad input (one line on stderr naming the field and the reason,
wrong flags included), 1 only for bugs. ``--json`` prints exactly one JSON object.
Heavy modules are imported inside commands so ``shieldsim --help`` stays quick.
"""

from __future__ import annotations

import json
import sys
from typing import Optional

import click
import typer

try:  # Typer >= 0.25 vendors its own copy of click; catch both.
    from typer._click import exceptions as _tx
except ImportError:  # pragma: no cover - older Typer uses click itself
    _tx = click.exceptions

_EXIT = tuple({click.exceptions.Exit, getattr(typer, "Exit", click.exceptions.Exit)})
_ABORT = tuple({click.exceptions.Abort, getattr(typer, "Abort", click.exceptions.Abort)})
_CLICK_ERR = tuple({click.exceptions.ClickException, _tx.ClickException})

from . import __version__
from .errors import ScenarioError, ShieldsimError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None, help="shieldsim: open simulation of ballistic-missile-defence architectures.")
catalog_app = typer.Typer(add_completion=False, invoke_without_command=True, rich_markup_mode=None,
                          help="List the catalog (missiles, interceptors, sensors, sites) or show one entry.")
app.add_typer(catalog_app, name="catalog")


def _emit_json(obj) -> None:
    from .io import to_jsonable

    sys.stdout.write(json.dumps(to_jsonable(obj), allow_nan=False) + "\n")


def _console():
    from rich.console import Console

    return Console()


def _version(value: bool):
    if value:
        typer.echo(f"shieldsim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")):
    """shieldsim: open simulation of ballistic-missile-defence architectures."""


def _parse_floats(text: str, n: int, field: str) -> list[float]:
    parts = [p.strip() for p in text.split(",")]
    try:
        vals = [float(p) for p in parts]
    except ValueError:
        raise ScenarioError(field, f"expected {n} comma-separated numbers, got {text!r}") from None
    if len(vals) != n:
        raise ScenarioError(field, f"expected {n} comma-separated numbers, got {len(vals)}")
    return vals


@app.command()
def fly(
    missile: Optional[str] = typer.Argument(None, help="Catalog missile name (see `shieldsim catalog --kind missile`)."),
    from_: Optional[str] = typer.Option(None, "--from", help="Launch place: catalog site name or LAT,LON."),
    to: Optional[str] = typer.Option(None, "--to", help="Aim point: catalog site name or LAT,LON."),
    trajectory: str = typer.Option("minimum-energy", "--trajectory", help="minimum-energy | lofted | depressed | max-range-kick."),
    burnout: Optional[str] = typer.Option(None, "--burnout",
                                          help="Free flight from LAT,LON,ALT_KM,SPEED_KM_S,GAMMA_DEG,AZIMUTH_DEG."),
    beta: Optional[float] = typer.Option(None, "--beta", help="With --burnout: ballistic coefficient (kg/m^2), drag on."),
    earth: str = typer.Option("wgs84", "--earth", help="wgs84 (J2 gravity) | sphere (R = 6378.137 km, point mass)."),
    rotation: bool = typer.Option(True, "--rotation/--no-rotation", help="Rotating Earth (default) or not."),
    samples: Optional[float] = typer.Option(None, "--samples", help="Add samples every DT_S seconds."),
    sensors: Optional[str] = typer.Option(None, "--sensors", help="Scenario whose sensors observe this flight."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
):
    """Fly a missile from A to B, or a burnout state (--burnout), to impact."""
    from . import api

    if burnout is not None:
        if missile is not None:
            raise ScenarioError("MISSILE", "give either a missile or --burnout, not both")
        lat, lon, alt, spd, gam, az = _parse_floats(burnout, 6, "--burnout")
        try:
            res = api.free_flight(lat, lon, alt, spd, gam, az, earth=earth, rotation=rotation, beta_kg_m2=beta)
        except ScenarioError as e:
            flag = "--beta" if e.field == "beta_kg_m2" else ("--earth" if e.field == "earth" else "--burnout")
            raise ScenarioError(flag, e.reason if flag != "--burnout" else f"{e.field}: {e.reason}") from None
    else:
        if missile is None:
            raise ScenarioError("MISSILE", "name a missile (or use --burnout)")
        if from_ is None or to is None:
            raise ScenarioError("--from" if from_ is None else "--to", "a missile flight needs both --from and --to")
        if beta is not None:
            raise ScenarioError("--beta", "only applies to --burnout flights (missiles carry their own payload)")
        res = api.fly(missile, from_, to, trajectory, earth=earth, rotation=rotation)
    out = res.to_dict()
    if samples is not None:
        out["samples"] = res.samples(samples)[0]
    if sensors is not None:
        from .analyses.observe import observe_flight

        out.update(observe_flight(res, sensors))
    if as_json:
        _emit_json(out)
        return
    from rich.table import Table

    t = Table(title=f"shieldsim fly {missile or 'burnout state'}", show_header=True)
    t.add_column("quantity")
    t.add_column("value", justify="right")
    for k, v in out.items():
        if k == "samples" or isinstance(v, (list, dict)):
            continue
        t.add_row(k, "never" if v is None else f"{v:,.3f}")
    _console().print(t)


@catalog_app.callback()
def catalog_list(
    ctx: typer.Context,
    kind: Optional[str] = typer.Option(None, "--kind", help="missile | interceptor | sensor | site."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
):
    """List catalog entries."""
    if ctx.invoked_subcommand is not None:
        return
    from . import catalog

    kinds = ("missile", "interceptor", "sensor", "site")
    if kind is not None and kind not in kinds:
        raise ScenarioError("--kind", f"unknown kind {kind!r}; use one of {', '.join(kinds)}")
    rows = [{"name": e["name"], "kind": e["kind"], "title": e.get("title", "")} for e in catalog.entries(kind)]
    if as_json:
        _emit_json({"entries": rows})
        return
    from rich.table import Table

    t = Table(title="shieldsim catalog")
    for c in ("name", "kind", "title"):
        t.add_column(c)
    for r in rows:
        t.add_row(r["name"], r["kind"], r["title"])
    _console().print(t)


@catalog_app.command("show")
def catalog_show(
    name: str = typer.Argument(..., help="Catalog name."),
    rcs: Optional[float] = typer.Option(None, "--rcs", help="Sensors: detection range at this RCS (m^2)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
):
    """Show one catalog entry with its sources (full citations) and computed figures."""
    from .analyses.catalog_entry import entry_text, show_entry

    out = show_entry(name, rcs_m2=rcs)
    if as_json:
        _emit_json(out)
        return
    sys.stdout.write(entry_text(out))


scenario_app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                           help="List, show and check scenario files.")
app.add_typer(scenario_app, name="scenario")


@scenario_app.command("list")
def scenario_list(as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")):
    """List the built-in scenarios."""
    from .scenario import builtin_scenarios, load_scenario

    rows = [{"name": n, "title": load_scenario(n).title} for n in builtin_scenarios()]
    if as_json:
        _emit_json({"scenarios": rows})
        return
    for r in rows:
        typer.echo(f"{r['name']:<20} {r['title']}")


@scenario_app.command("show")
def scenario_show(name: str = typer.Argument(..., help="Built-in scenario name.")):
    """Print a built-in scenario's YAML, ready to copy and edit."""
    from .scenario import scenario_yaml

    sys.stdout.write(scenario_yaml(name))


@scenario_app.command("check")
def scenario_check(
    file: str = typer.Argument(..., help="Scenario file (or built-in name)."),
    set_: list[str] = typer.Option([], "--set", help="Override PATH=VALUE (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
):
    """Validate a scenario without running it; print the catalog names it uses."""
    from .scenario import load_scenario

    sc = load_scenario(file, overrides=set_)
    if sc.threats:
        # Aim points beyond a missile's reach are refused here too (aiming only: no sensors,
        # no engagements), so a file `check` passes is one every command can run.
        from .analyses.threats import fly_threat_specs, scenario_threat_specs

        fly_threat_specs(scenario_threat_specs(sc))
    out = {"name": sc.name, "valid": True, "catalog": sc.catalog_names()}
    if as_json:
        _emit_json(out)
        return
    typer.echo(f"{sc.name}: valid")
    for kind, names in out["catalog"].items():
        typer.echo(f"  {kind}: {', '.join(names)}")


_DOCTRINE_FLAGS = {"sspk": "--sspk", "salvo_size": "--salvo", "kind": "--doctrine"}


def _ctx(scenario, set_, seed, interceptor_speed, missile, from_, to, sensors=None, doctrine=None):
    from .analyses.context import load_context

    try:
        return load_context(scenario, set_, seed, interceptor_speed, missile, from_, to, sensor_names=sensors,
                            doctrine_overrides=doctrine)
    except ScenarioError as e:
        for key, flag in _DOCTRINE_FLAGS.items():
            if e.field == f"doctrine.{key}" and (doctrine or {}).get(key) is not None and "(from --set" in e.reason:
                raise ScenarioError(flag, e.reason.split(" (from --set")[0]) from None
        raise


_SET = typer.Option([], "--set", help="Override PATH=VALUE (repeatable; see docs/scenario.md).")
_SEED = typer.Option(None, "--seed", help="Short for --set seed=S.")
_SPEED = typer.Option(None, "--interceptor-speed", help="Rescale every battery's interceptor to this burnout speed (km/s).")
_MISSILE = typer.Option(None, "--missile", help="Ad-hoc threat: catalog missile (with --from and --to).")
_FROM = typer.Option(None, "--from", help="Ad-hoc threat: launch place.")
_TO = typer.Option(None, "--to", help="Ad-hoc threat: aim point.")
_JSON = typer.Option(False, "--json", help="Print one JSON object.")


def _select(flown_names, threat):
    if threat is None:
        return None
    if threat not in flown_names:
        raise ScenarioError("--threat", f"no threat named {threat!r}; threats: {', '.join(flown_names)}")
    return [threat]


@app.command()
def observe(
    scenario: str = typer.Argument(..., help="Scenario file or built-in name."),
    sensor: list[str] = typer.Option([], "--sensor", help="Observe with these catalog sensors instead (repeatable)."),
    threat: Optional[str] = typer.Option(None, "--threat", help="Only this threat."),
    set_: list[str] = _SET, seed: Optional[int] = _SEED, interceptor_speed: Optional[float] = _SPEED,
    missile: Optional[str] = _MISSILE, from_: Optional[str] = _FROM, to: Optional[str] = _TO, as_json: bool = _JSON,
):
    """Sensor timeline per threat: detections, cues, first track and fire-control track."""
    from .analyses.run import observe_threats
    from .analyses.threats import fly_threat_specs

    ctx = _ctx(scenario, set_, seed, interceptor_speed, missile, from_, to, sensors=sensor or None)
    if threat is not None:
        _select([s["name"] for s in ctx.threat_specs], threat)
        ctx.threat_specs = [s for s in ctx.threat_specs if s["name"] == threat]
    flown = fly_threat_specs(ctx.threat_specs)
    out = observe_threats(ctx, flown).to_dict()
    if as_json:
        _emit_json(out)
        return
    from rich.table import Table

    for t in out["threats"]:
        tab = Table(title=f"{t['threat']}: flight {t['flight_time_s']:.0f} s, first track "
                          f"{_txt(t['first_track_s'])} s, fire control {_txt(t['fire_control_s'])} s")
        for c in ("sensor", "kind", "detection range km", "first detection s", "last detection s", "cued by"):
            tab.add_column(c)
        for r in t["sensors"]:
            tab.add_row(r["sensor"], r["kind"], _txt(r["detection_range_km"]), _txt(r["first_detection_s"]),
                        _txt(r["last_detection_s"]), r["cued_by"] or "")
        _console().print(tab)


def _txt(v, nd=0):
    return "never" if v is None else f"{v:,.{nd}f}"


@app.command()
def engage(
    scenario: str = typer.Argument(..., help="Scenario file or built-in name."),
    trials: Optional[int] = typer.Option(None, "--trials", help="Monte Carlo trials (default: the scenario's)."),
    sspk: Optional[float] = typer.Option(None, "--sspk", help="Single-shot kill probability."),
    salvo: Optional[int] = typer.Option(None, "--salvo", help="Interceptors per shot opportunity."),
    doctrine: Optional[str] = typer.Option(None, "--doctrine", help="salvo | shoot-look-shoot."),
    threat: Optional[str] = typer.Option(None, "--threat", help="Only this threat."),
    set_: list[str] = _SET, seed: Optional[int] = _SEED, interceptor_speed: Optional[float] = _SPEED,
    missile: Optional[str] = _MISSILE, from_: Optional[str] = _FROM, to: Optional[str] = _TO, as_json: bool = _JSON,
):
    """Engagements per threat: shot opportunities, battle space, intercepts, kill and leak probabilities."""
    from .analyses.run import engage_threats
    from .analyses.threats import fly_threat_specs

    if trials is not None and trials < 1:
        raise ScenarioError("--trials", "must be at least 1")
    ctx = _ctx(scenario, set_, seed, interceptor_speed, missile, from_, to,
               doctrine={"sspk": sspk, "salvo_size": salvo, "kind": doctrine})
    if threat is not None:
        _select([s["name"] for s in ctx.threat_specs], threat)
        ctx.threat_specs = [s for s in ctx.threat_specs if s["name"] == threat]
    flown = fly_threat_specs(ctx.threat_specs)
    out, _ = engage_threats(ctx, flown, trials or ctx.scenario.analysis.trials)
    if as_json:
        _emit_json(out)
        return
    from rich.table import Table

    tab = Table(title=f"engage {ctx.scenario.name} ({out['trials']} trials, seed {out['seed']})")
    for c in ("threat", "shots", "battle space s", "fire control s", "first intercept s", "alt km", "closing km/s",
              "P(kill)", "P(leak)", "interceptors"):
        tab.add_column(c, justify="right")
    for t in out["threats"]:
        e = t["engagements"][0] if t["engagements"] else {}
        bs = t["battle_space_s"]
        tab.add_row(t["threat"], str(t["shot_opportunities"]), "never" if bs is None else f"{bs[0]:.0f}-{bs[1]:.0f}",
                    _txt(t["fire_control_s"]), _txt(e.get("intercept_s")), _txt(e.get("intercept_altitude_km")),
                    _txt(e.get("closing_speed_km_s"), 2), f"{t['p_kill']:.3f}", f"{t['p_leak']:.3f}",
                    f"{t['interceptors_used_mean']:.2f}")
    con = _console()
    con.print(tab)
    # The causal timeline: each shot leaves after the previous intercept's kill assessment.
    for t in out["threats"]:
        for e in t["engagements"]:
            con.print(f"  {t['threat']} shot {e['shot']}: {e['battery']} launches {e['interceptors']} at "
                      f"{_txt(e['launch_s'])} s -> intercept {_txt(e['intercept_s'])} s "
                      f"({_txt(e.get('intercept_altitude_km'))} km, {_txt(e.get('closing_speed_km_s'), 2)} km/s) "
                      f"-> assessed {_txt(e['assessment_s'])} s", highlight=False)


@app.command()
def reach(
    scenario: str = typer.Argument(..., help="Scenario file or built-in name."),
    launch: list[str] = typer.Option([], "--launch", help="Launch base (repeatable; default: every Russian ICBM base)."),
    target: list[str] = typer.Option([], "--target", help="Target (repeatable; default: every US city in the catalog)."),
    missile: Optional[str] = typer.Option(None, "--missile", help="ICBM flown (default: the scenario's, ss-27)."),
    set_: list[str] = _SET, seed: Optional[int] = _SEED, interceptor_speed: Optional[float] = _SPEED,
    as_json: bool = _JSON,
):
    """The Russian question: can the scenario's interceptors reach ICBMs flying to the US?"""
    from .analyses.run import Progress, reach_for

    ctx = _ctx(scenario, set_, seed, interceptor_speed, None, None, None)
    with Progress(not as_json) as pg:
        res = reach_for(ctx, launches=launch, targets=target, missile=missile, progress=pg)
    if as_json:
        _emit_json(res.to_dict())
        return
    from rich.table import Table

    tab = Table(title=f"reach {ctx.scenario.name}: {res.engageable_pairs} engageable launch-target pairs")
    for c in ("launch", "target", "battery", "feasible", "margin s", "min burnout speed km/s", "intercept alt km"):
        tab.add_column(c, justify="right")
    for r in res.rows:
        tab.add_row(r["launch"], r["target"], r["battery"], "yes" if r["feasible"] else "no", _txt(r["margin_s"]),
                    _txt(r["min_burnout_speed_km_s"], 2), _txt(r["intercept_altitude_km"]))
    _console().print(tab)


@app.command()
def footprint(
    scenario: str = typer.Argument(..., help="Scenario file or built-in name."),
    launch: str = typer.Option(..., "--launch", help="Launch place (catalog site or LAT,LON)."),
    missile: Optional[str] = typer.Option(None, "--missile", help="Missile (default: the scenario's footprint missile)."),
    resolution_deg: float = typer.Option(0.5, "--resolution-deg", help="Aim-point grid spacing (deg)."),
    out: Optional[str] = typer.Option(None, "-o", "--out", help="Write FILE.geojson and FILE.parquet beside it."),
    set_: list[str] = _SET, seed: Optional[int] = _SEED, interceptor_speed: Optional[float] = _SPEED,
    as_json: bool = _JSON,
):
    """Defended area: which aim points of the region are defended against launches from a site."""
    from .analyses.run import Progress, footprint_for

    if not 0.05 < resolution_deg <= 10:
        raise ScenarioError("--resolution-deg", f"must be in (0.05, 10], got {resolution_deg}")
    if out is not None and not out.endswith(".geojson"):
        raise ScenarioError("-o", "the footprint file must end in .geojson (the Parquet grid goes beside it)")
    ctx = _ctx(scenario, set_, seed, interceptor_speed, None, None, None)
    with Progress(not as_json) as pg:
        fp = footprint_for(ctx, launch=launch, missile=missile, resolution_deg=resolution_deg, progress=pg)
    if out is not None:
        from .export import geojson, parquet

        fc = geojson.footprint_polygons(fp.lat_deg, fp.lon_deg, fp.defended, fp.shot_opportunities,
                                        properties={"launch": fp.launch, "missile": fp.missile})
        geojson.write_geojson(out, fc)
        parquet.write_grid(out[: -len(".geojson")] + ".parquet", fp.columns())
    res = fp.to_dict()
    if as_json:
        _emit_json(res)
        return
    _console().print(f"{res['missile']} from {res['launch']}: {res['defended_fraction']:.1%} of "
                     f"{res['reachable_points']} reachable aim points defended ({res['aim_points']} in the grid, "
                     f"{res['seconds']:.1f} s)")


@app.command()
def sweep(
    scenario: str = typer.Argument(..., help="Scenario file or built-in name."),
    vary: list[str] = typer.Option(..., "--vary", help="PATH=V1,V2,... (repeatable): the grid of parameters."),
    out: str = typer.Option(..., "-o", "--out", help="Output directory (a rerun reuses finished cells)."),
    dask: Optional[str] = typer.Option(None, "--dask", help="Dask scheduler address (default: a local cluster)."),
    workers: int = typer.Option(2, "--workers", help="Local cluster workers."),
    set_: list[str] = _SET, seed: Optional[int] = _SEED, interceptor_speed: Optional[float] = _SPEED,
    as_json: bool = _JSON,
):
    """Run the headline figures over a grid of parameters on Dask, streaming cells to Parquet."""
    from .analyses.sweep import run_sweep

    res = run_sweep(scenario, vary, out, address=dask, overrides=set_, seed=seed, interceptor_speed=interceptor_speed,
                    n_workers=workers, progress=not as_json)
    if as_json:
        _emit_json(res)
        return
    _console().print(f"{res['cells']} cells: {res['computed']} computed, {res['reused']} reused -> {out}/sweep.parquet")


@app.command()
def compare(
    scenarios: list[str] = typer.Argument(..., help="Scenario files or built-in names."),
    set_: list[str] = _SET, seed: Optional[int] = _SEED, interceptor_speed: Optional[float] = _SPEED,
    as_json: bool = _JSON,
):
    """Headline figures of several architectures side by side."""
    from .analyses.run import headline

    rows = [headline(_ctx(s, set_, seed, interceptor_speed, None, None, None)) for s in scenarios]
    if as_json:
        _emit_json({"scenarios": rows})
        return
    from rich.table import Table

    tab = Table(title="compare")
    keys = list(rows[0].keys())
    for k in keys:
        tab.add_column(k, justify="right")
    for r in rows:
        tab.add_row(*[str(r[k]) for k in keys])
    _console().print(tab)


@app.command()
def sensitivity(
    scenario: str = typer.Argument(..., help="Scenario file or built-in name."),
    method: str = typer.Option("oat", "--method", help="oat (one at a time, with flip points) | sobol (on Dask)."),
    samples: Optional[int] = typer.Option(None, "--samples", help="sobol: base sample size N (N*(d+2) points; default 16)."),
    dask: Optional[str] = typer.Option(None, "--dask", help="sobol: Dask scheduler address (default: a local cluster)."),
    out: Optional[str] = typer.Option(None, "-o", "--out", help="Write sensitivity.json and tornado charts here."),
    param: list[str] = typer.Option([], "--param", help="Only this parameter (its --set PATH; repeatable)."),
    resolution_deg: Optional[float] = typer.Option(None, "--resolution-deg",
                                                   help="Footprint grid (default: analysis.compare_resolution_deg)."),
    workers: int = typer.Option(2, "--workers", help="sobol: local cluster workers."),
    set_: list[str] = _SET, seed: Optional[int] = _SEED, interceptor_speed: Optional[float] = _SPEED,
    as_json: bool = _JSON,
):
    """What you would have to believe: each headline figure over the parameters' ranges, and where verdicts flip."""
    from .analyses.sensitivity import run_sensitivity

    res = run_sensitivity(scenario, method, samples=samples, address=dask, out=out, overrides=set_, seed=seed,
                          interceptor_speed=interceptor_speed, params_only=param, resolution_deg=resolution_deg,
                          n_workers=workers, progress=not as_json).to_dict()
    if as_json:
        _emit_json(res)
        return
    from rich.table import Table

    tab = Table(title=f"sensitivity {res['scenario']} ({res['method']}, {res['seconds']:.0f} s)")
    for c in ("figure", "value", "low", "high", "top drivers", "verdict flips at"):
        tab.add_column(c, justify="right" if c in ("value", "low", "high") else "left")
    for f in res["figures"]:
        top = ", ".join(d["parameter"] for d in f["drivers"][:3])
        flips = "; ".join(f"{d['parameter']}={_flip_text(d['flip_at'])}" for d in f["drivers"] if d["flips"])
        tab.add_row(f["figure"], _num_text(f["value"]), _num_text(f["low"]), _num_text(f["high"]), top, flips)
    _console().print(tab)
    for f in res["figures"]:
        for d in f["drivers"]:
            if d.get("sentence"):
                _console().print(d["sentence"])
    if res["skipped"]:
        _console().print(f"{len(res['skipped'])} parameter(s) skipped (see --json: skipped)")
    if out is not None:
        _console().print(f"written: {out}/sensitivity.json and tornado charts")


def _num_text(v):
    return "" if v is None else f"{v:g}"


def _flip_text(v):
    return str(v).lower() if isinstance(v, bool) else f"{v:g}"


@app.command()
def demo(
    out: str = typer.Option("shieldsim-out", "-o", "--out", help="Output directory."),
    as_json: bool = _JSON,
):
    """Run the built-in 2007 scenario: same as `shieldsim run third_site_2007 -o shieldsim-out`."""
    _run_scenario("third_site_2007", out, [], None, None, as_json)


@app.command()
def run(
    scenario: str = typer.Argument(..., help="Scenario file or built-in name."),
    out: str = typer.Option(..., "-o", "--out", help="Output directory."),
    set_: list[str] = _SET, seed: Optional[int] = _SEED, interceptor_speed: Optional[float] = _SPEED,
    as_json: bool = _JSON,
):
    """Run a scenario: results.json, report.html, GeoJSON, CZML, KML and Parquet in a directory."""
    _run_scenario(scenario, out, set_, seed, interceptor_speed, as_json)


def _run_scenario(scenario, out, overrides, seed, interceptor_speed, as_json):
    from .analyses.run import run_scenario

    results = run_scenario(scenario, out, overrides=overrides, seed=seed, progress=not as_json,
                           interceptor_speed=interceptor_speed)
    if as_json:
        _emit_json(results)
        return
    from rich.table import Table

    t = Table(title=f"{results['scenario']}: threats")
    for c in ("threat", "missile", "from", "to", "range km", "flight s", "apogee km", "shots", "P(kill)"):
        t.add_column(c, justify="right")
    eng = {e["threat"]: e for e in results["engage"]["threats"]}
    for r in results["threats"]:
        e = eng[r["threat"]]
        t.add_row(r["threat"], r["missile"], r["from"], r["to"], f"{r['ground_range_km']:,.0f}",
                  f"{r['flight_time_s']:,.0f}", f"{r['apogee_km']:,.0f}", str(e["shot_opportunities"]),
                  f"{e['p_kill']:.3f}")
    _console().print(t)
    fp = results["footprint"]
    _console().print(f"defended area: {fp['defended_fraction']:.0%} of the aim points a {fp['missile']} from "
                     f"{fp['launch']} can reach")
    pairs = results["reach"]["pairs"]
    n = len({(p["launch"], p["target"]) for p in pairs})
    k = len({(p["launch"], p["target"]) for p in pairs if p["feasible"]})
    _console().print(f"Russian ICBMs: {k} of {n} base-target pairs engageable")
    _console().print(f"report: {out}/report.html (and results.json, GeoJSON, CZML, KML, Parquet)")


def main(argv: list[str] | None = None) -> int:
    """Entry point: one-line errors, exit 2 for bad input, 1 only for bugs."""
    try:
        app(args=argv, standalone_mode=False, prog_name="shieldsim")
    except (ScenarioError, ShieldsimError) as e:
        sys.stderr.write(f"error: {e}\n")
        return 2
    except _EXIT as e:
        return getattr(e, "exit_code", 0)
    except _ABORT:
        sys.stderr.write("error: aborted\n")
        return 2
    except _CLICK_ERR as e:
        if type(e).__name__ == "NoArgsIsHelpError":  # bare command: its help, as usual
            sys.stderr.write(e.format_message() + "\n")
            return 2
        sys.stderr.write(f"error: {' '.join(e.format_message().split())}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
