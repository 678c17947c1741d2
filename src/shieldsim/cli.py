"""The ``shieldsim`` command (Typer + Rich).

Exit codes: 0 done, 2 bad input (one line on stderr naming the field and the reason,
wrong flags included), 1 only for bugs. ``--json`` prints exactly one JSON object.
Heavy modules are imported inside commands so ``shieldsim --help`` stays quick, and so
that input too large to run (``--trials``, ``--resolution-deg``) is refused in a second or two.

Tables fit the terminal's width (80 columns and up; Rich reads ``COLUMNS``): short headers
carrying their units, cells wrapped rather than cut. Progress bars (with the time left) go
to stderr, so stdout holds only the results; ``--quiet`` turns them off, and notes with them.
"""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

# Typer (>= 0.29, pyproject) carries its own click: its usage errors derive from the public
# ``typer.TyperException``, and ``typer.Exit`` / ``typer.Abort`` are its own classes.
_EXIT = (typer.Exit,)
_ABORT = (typer.Abort,)
_CLICK_ERR = (typer.TyperException,)

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

    return Console(highlight=False)


def _note(text: str, quiet: bool) -> None:
    """A remark beside the results (on stderr), unless --quiet."""
    if not quiet:
        from rich.console import Console

        Console(stderr=True, highlight=False).print(text)


def _table(title: str, columns, caption: str | None = None):
    """A compact table: a rule under the header, no frame; ``columns`` are (header, justify),
    a header ending in ``!`` is a name column that never wraps (the others wrap to fit)."""
    from rich import box
    from rich.table import Table

    t = Table(title=title, caption=caption, box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False,
              collapse_padding=True, title_justify="left", caption_justify="left", title_style="bold")
    for header, justify in columns:
        name, header = header.endswith("!"), header.rstrip("!")
        # A header wraps between its words, never inside one.
        t.add_column(header, justify=justify, no_wrap=name, overflow="fold",
                     min_width=max(len(w) for w in header.split()))
    return t


def _progress(quiet: bool):
    from .analyses.progress import Progress

    return Progress(not quiet)


# The shared steps live with the commands (``analyses/commands.py``, which the API calls too);
# these names stay for code that imported them from here.
from .analyses.commands import check_out_dir as _check_out_dir  # noqa: E402,F401
from .analyses.commands import whole as _whole  # noqa: E402,F401


def _names(items: list[str]) -> list[str]:
    """Repeatable flags that also take comma-separated lists: --skip reach,raid --skip cities."""
    return [n.strip() for item in items for n in item.split(",") if n.strip()]


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
        shown = repr(text) if len(repr(text)) <= 60 else repr(text)[:57] + "..."
        raise ScenarioError(field, f"expected {n} comma-separated numbers, got {shown}") from None
    if len(vals) != n:
        raise ScenarioError(field, f"expected {n} comma-separated numbers, got {len(vals)}")
    return vals


#: ``api.free_flight`` arguments set by ``fly --burnout LAT,LON,ALT_KM,SPEED_KM_S,GAMMA_DEG,AZIMUTH_DEG``
_BURNOUT_FIELDS = ("lat_deg", "lon_deg", "alt_km", "speed_km_s", "gamma_deg", "azimuth_deg")
#: other ``api.free_flight`` arguments and the ``fly`` flags that set them
_FLY_FLAGS = {"beta_kg_m2": "--beta", "earth": "--earth"}


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
            # The API names its arguments: name the flag that set them instead (others pass as they are).
            if e.field in _BURNOUT_FIELDS:
                raise ScenarioError("--burnout", f"{e.field}: {e.reason}") from None
            if e.field in _FLY_FLAGS:
                raise ScenarioError(_FLY_FLAGS[e.field], e.reason) from None
            raise
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
    tab = _table(f"fly {missile or 'burnout state'}", [("quantity!", "left"), ("value", "right")])
    for k, v in out.items():
        if k == "samples" or isinstance(v, (list, dict)):
            continue
        tab.add_row(k, "never" if v is None else f"{v:,.3f}")
    _console().print(tab)


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
    tab = _table("shieldsim catalog", [("name!", "left"), ("kind", "left"), ("title", "left")])
    for r in rows:
        tab.add_row(r["name"], r["kind"], r["title"])
    _console().print(tab)


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
    # Plain YAML (copyable), folded to the terminal's width; wider than 100 columns reads badly.
    sys.stdout.write(entry_text(out, width=min(_console().width, 100)))


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
    tab = _table("built-in scenarios (shieldsim scenario show NAME)", [("name!", "left"), ("title", "left")])
    for r in rows:
        tab.add_row(r["name"], r["title"])
    _console().print(tab)


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
    from .analyses.context import check_limits
    from .analyses.run import check_runnable
    from .scenario import load_scenario

    sc = load_scenario(file, overrides=set_)
    check_limits(sc, len(sc.threats))  # trials and grids it sizes must fit, as every command checks
    check_runnable(sc)  # what check accepts, run completes (run refuses the same)
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


_SET = typer.Option([], "--set", help="Override PATH=VALUE (repeatable; see docs/scenario.md).")
_SEED = typer.Option(None, "--seed", help="Short for --set seed=S.")
_SPEED = typer.Option(None, "--interceptor-speed", help="Rescale every battery's interceptor to this burnout speed (km/s).")
_MISSILE = typer.Option(None, "--missile", help="Ad-hoc threat: catalog missile (with --from and --to).")
_FROM = typer.Option(None, "--from", help="Ad-hoc threat: launch place.")
_TO = typer.Option(None, "--to", help="Ad-hoc threat: aim point.")
_JSON = typer.Option(False, "--json", help="Print one JSON object.")
_QUIET = typer.Option(False, "--quiet", "-q", help="No progress bars or notes (for scripts; results unchanged).")


@app.command()
def observe(
    scenario: str = typer.Argument(..., help="Scenario file or built-in name."),
    sensor: list[str] = typer.Option([], "--sensor", help="Observe with these catalog sensors instead (repeatable)."),
    threat: Optional[str] = typer.Option(None, "--threat", help="Only this threat."),
    set_: list[str] = _SET, seed: Optional[int] = _SEED, interceptor_speed: Optional[float] = _SPEED,
    missile: Optional[str] = _MISSILE, from_: Optional[str] = _FROM, to: Optional[str] = _TO, as_json: bool = _JSON,
    quiet: bool = _QUIET,
):
    """Sensor timeline per threat: detections, cues, first track and fire-control track."""
    from .analyses import commands

    res = commands.observe(scenario, sensors=sensor, threat=threat, overrides=set_, seed=seed,
                           interceptor_speed=interceptor_speed, missile=missile, from_=from_, to=to,
                           progress=_progress(quiet))
    out = res.to_dict()
    if as_json:
        _emit_json(out)
        return
    con = _console()
    for t in out["threats"]:
        tab = _table(f"{t['threat']}: flight {t['flight_time_s']:.0f} s, first track {_txt(t['first_track_s'])} s, "
                     f"fire control {_txt(t['fire_control_s'])} s",
                     [("sensor!", "left"), ("kind", "left"), ("range km", "right"), ("first seen s", "right"),
                      ("last seen s", "right"), ("cued by", "left")],
                     caption="range: detection range against this threat; times after its launch")
        for r in t["sensors"]:
            tab.add_row(r["sensor"], r["kind"], _txt(r["detection_range_km"]), _txt(r["first_detection_s"]),
                        _txt(r["last_detection_s"]), r["cued_by"] or "")
        con.print(tab)


def _txt(v, nd=0):
    return "never" if v is None else f"{v:,.{nd}f}"


@app.command()
def engage(
    scenario: str = typer.Argument(..., help="Scenario file or built-in name."),
    trials: Optional[str] = typer.Option(None, "--trials", help="Monte Carlo trials (default: the scenario's; "
                                                                "at most 10,000,000; 1e6 notation accepted)."),
    sspk: Optional[float] = typer.Option(None, "--sspk", help="Single-shot kill probability."),
    salvo: Optional[int] = typer.Option(None, "--salvo", help="Interceptors per shot opportunity."),
    doctrine: Optional[str] = typer.Option(None, "--doctrine", help="salvo | shoot-look-shoot."),
    threat: Optional[str] = typer.Option(None, "--threat", help="Only this threat."),
    set_: list[str] = _SET, seed: Optional[int] = _SEED, interceptor_speed: Optional[float] = _SPEED,
    missile: Optional[str] = _MISSILE, from_: Optional[str] = _FROM, to: Optional[str] = _TO, as_json: bool = _JSON,
    quiet: bool = _QUIET,
):
    """Engagements per threat: shot opportunities, battle space, intercepts, kill and leak probabilities."""
    from .analyses import commands

    # The trials are checked (count and memory) before the defence is built or anything flown.
    res = commands.engage(scenario, trials=trials, sspk=sspk, salvo=salvo, doctrine=doctrine, threat=threat,
                          overrides=set_, seed=seed, interceptor_speed=interceptor_speed, missile=missile,
                          from_=from_, to=to, progress=_progress(quiet))
    out = res.to_dict()
    if as_json:
        _emit_json(out)
        return
    tab = _table(f"engage {res.context.scenario.name}: {out['trials']:,} trials, seed {out['seed']}",
                 [("threat!", "left"), ("shots", "right"), ("battle space s", "right"), ("fire control s", "right"),
                  ("P(kill)", "right"), ("P(leak)", "right"), ("mean fired", "right")],
                 caption="shots: shot opportunities; mean fired: interceptors; times: s after launch")
    for t in out["threats"]:
        bs = t["battle_space_s"]
        tab.add_row(t["threat"], str(t["shot_opportunities"]), "never" if bs is None else f"{bs[0]:.0f}-{bs[1]:.0f}",
                    _txt(t["fire_control_s"]), f"{t['p_kill']:.3f}", f"{t['p_leak']:.3f}",
                    f"{t['interceptors_used_mean']:.2f}")
    con = _console()
    con.print(tab)
    # The causal timeline: each shot leaves after the previous intercept's kill assessment.
    rows = [(t["threat"], e) for t in out["threats"] for e in t["engagements"]]
    if not rows:
        return
    e0 = rows[0][1]
    ka = None if e0["assessment_s"] is None or e0["intercept_s"] is None else e0["assessment_s"] - e0["intercept_s"]
    shots = _table("shots", [("threat!", "left"), ("shot", "right"), ("battery!", "left"), ("launch s", "right"),
                             ("intercept s", "right"), ("alt km", "right"), ("closing km/s", "right")],
                   caption="each shot launches no earlier than the previous intercept and its kill assessment"
                           + (f" ({ka:.0f} s)" if ka is not None else ""))
    for threat_name, e in rows:
        shots.add_row(threat_name, str(e["shot"]), e["battery"], _txt(e["launch_s"]), _txt(e["intercept_s"]),
                      _txt(e.get("intercept_altitude_km")), _txt(e.get("closing_speed_km_s"), 2))
    con.print(shots)


@app.command()
def reach(
    scenario: str = typer.Argument(..., help="Scenario file or built-in name."),
    launch: list[str] = typer.Option([], "--launch", help="Launch base (repeatable; default: every Russian ICBM base)."),
    target: list[str] = typer.Option([], "--target", help="Target (repeatable; default: every US city in the catalog)."),
    missile: Optional[str] = typer.Option(None, "--missile", help="ICBM flown (default: the scenario's, ss-27)."),
    set_: list[str] = _SET, seed: Optional[int] = _SEED, interceptor_speed: Optional[float] = _SPEED,
    as_json: bool = _JSON, quiet: bool = _QUIET,
):
    """The Russian question: can the scenario's interceptors reach ICBMs flying to the US?"""
    from .analyses import commands

    res = commands.reach(scenario, launches=launch, targets=target, missile=missile, overrides=set_, seed=seed,
                         interceptor_speed=interceptor_speed, progress=_progress(quiet))
    if as_json:
        _emit_json(res.to_dict())
        return
    tab = _table(f"reach {res.context.scenario.name}: {res.engageable_pairs} engageable launch-target pairs",
                 [("launch!", "left"), ("target!", "left"), ("battery!", "left"), ("feasible", "left"),
                  ("margin s", "right"), ("min speed km/s", "right"), ("alt km", "right")],
                 caption="min speed: the lowest interceptor burnout speed that engages; alt: the intercept's")
    for r in res["pairs"]:
        tab.add_row(r["launch"], r["target"], r["battery"], "yes" if r["feasible"] else "no", _txt(r["margin_s"]),
                    _txt(r["min_burnout_speed_km_s"], 2), _txt(r["intercept_altitude_km"]))
    _console().print(tab)


@app.command()
def footprint(
    scenario: str = typer.Argument(..., help="Scenario file or built-in name."),
    launch: str = typer.Option(..., "--launch", help="Launch place (catalog site or LAT,LON)."),
    missile: Optional[str] = typer.Option(None, "--missile", help="Missile (default: the scenario's footprint missile)."),
    resolution_deg: float = typer.Option(0.5, "--resolution-deg",
                                         help="Aim-point grid spacing (deg; at most 300,000 aim points)."),
    out: Optional[str] = typer.Option(None, "-o", "--out", help="Write FILE.geojson and FILE.parquet beside it."),
    set_: list[str] = _SET, seed: Optional[int] = _SEED, interceptor_speed: Optional[float] = _SPEED,
    as_json: bool = _JSON, quiet: bool = _QUIET,
):
    """Defended area: which aim points of the region are defended against launches from a site."""
    from .analyses import commands

    # The grid (aim points, memory) is checked before the defence is built or anything flown;
    # with -o the GeoJSON polygons and the Parquet grid beside them are written too.
    res = commands.footprint(scenario, launch=launch, missile=missile, resolution_deg=resolution_deg, out=out,
                             overrides=set_, seed=seed, interceptor_speed=interceptor_speed,
                             progress=_progress(quiet)).to_dict()
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
    as_json: bool = _JSON, quiet: bool = _QUIET,
):
    """Run the headline figures over a grid of parameters on Dask, streaming cells to Parquet."""
    from .analyses import commands

    res = commands.sweep(scenario, vary, out, dask=dask, workers=workers, overrides=set_, seed=seed,
                         interceptor_speed=interceptor_speed, progress=not (quiet or as_json)).to_dict()
    if as_json:
        _emit_json(res)
        return
    _console().print(f"{res['cells']} cells: {res['computed']} computed, {res['reused']} reused -> {out}/sweep.parquet")


def _pct(v):
    return "" if v is None else f"{100 * v:.0f}%"


def _of(k, n):
    return "" if k is None or n is None else f"{k} of {n}"


def _raid_label(r: dict) -> str:
    threat = r.get("raid_threat")
    what = f"{threat}" + (f" ({r['raid_missile']})" if r.get("raid_missile") else "") if threat else "its threat"
    return f"{r.get('raid_size', '?')} x {what}"


# compare's rows: (label, cell text from one scenario's headline); other figures get their
# field name in words.
_COMPARE_ROWS = (
    ("defended area (share of reachable aim points)", lambda r: _pct(r.get("defended_fraction"))),
    ("raid: copies x threat", _raid_label),
    ("raid: P(no warhead leaks)", lambda r: _num_text(r.get("raid_p_no_leak"))),
    ("raid: expected leakers", lambda r: _num_text(r.get("expected_leakers"))),
    ("Russian base-target pairs engageable", lambda r: _of(r.get("russian_pairs_engageable"), r.get("russian_pairs"))),
    ("threats engageable", lambda r: _of(r.get("threats_engageable"), r.get("threats"))),
)
_COMPARE_SHOWN = {"name", "defended_fraction", "raid_size", "raid_threat", "raid_missile", "raid_from", "raid_to",
                  "raid_p_no_leak", "expected_leakers", "russian_pairs_engageable", "russian_pairs",
                  "threats_engageable", "threats"}


@app.command()
def compare(
    scenarios: list[str] = typer.Argument(..., help="Scenario files or built-in names."),
    set_: list[str] = _SET, seed: Optional[int] = _SEED, interceptor_speed: Optional[float] = _SPEED,
    as_json: bool = _JSON, quiet: bool = _QUIET,
):
    """Headline figures of several architectures side by side."""
    from .analyses import commands

    # Every scenario is checked before the first is computed.
    res = commands.compare(scenarios, overrides=set_, seed=seed, interceptor_speed=interceptor_speed,
                           progress=_progress(quiet)).to_dict()
    if as_json:
        _emit_json(res)
        return
    rows = res["scenarios"]
    tab = _table("compare: headline figures", [("figure", "left")] + [(r["name"], "right") for r in rows])
    for label, cell in _COMPARE_ROWS:
        tab.add_row(label, *[cell(r) for r in rows])
    for k in [k for k in rows[0] if k not in _COMPARE_SHOWN]:
        tab.add_row(k.replace("_", " "), *[_cell(r.get(k)) for r in rows])
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
    as_json: bool = _JSON, quiet: bool = _QUIET,
):
    """What you would have to believe: each headline figure over the parameters' ranges, and where verdicts flip."""
    from .analyses import commands

    # The grid (--resolution-deg) is checked before the many evaluations start.
    res = commands.sensitivity(scenario, method, samples=samples, dask=dask, out=out, params=param,
                               resolution_deg=resolution_deg, workers=workers, overrides=set_, seed=seed,
                               interceptor_speed=interceptor_speed, progress=not (quiet or as_json)).to_dict()
    if as_json:
        _emit_json(res)
        return
    tab = _table(f"sensitivity {res['scenario']} ({res['method']}, {res['seconds']:.0f} s)",
                 [("figure", "left"), ("value", "right"), ("low", "right"), ("high", "right"),
                  ("top drivers", "left"), ("verdict flips at", "left")])
    for f in res["figures"]:
        top = ", ".join(d["parameter"] for d in f["drivers"][:3])
        flips = "; ".join(f"{d['parameter']}={_flip_text(d['flip_at'])}" for d in f["drivers"] if d["flips"])
        tab.add_row(f["figure"], _num_text(f["value"]), _num_text(f["low"]), _num_text(f["high"]), top, flips)
    con = _console()
    con.print(tab)
    for f in res["figures"]:
        for d in f["drivers"]:
            if d.get("sentence"):
                con.print(d["sentence"])
    if res["skipped"]:
        _note(f"{len(res['skipped'])} parameter(s) skipped (see --json: skipped)", quiet)
    if out is not None:
        _note(f"written: {out}/sensitivity.json and tornado charts", quiet)


def _num_text(v):
    return "" if v is None else f"{v:g}"


def _cell(v) -> str:
    """Any figure as table text: numbers short, yes/no for flags, nothing for null."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, float)):
        return f"{v:g}"
    return "" if v is None else str(v)


def _flip_text(v):
    return str(v).lower() if isinstance(v, bool) else f"{v:g}"


@app.command()
def serve(
    scenario: Optional[str] = typer.Argument(None, help="Scenario file or built-in name (default: third_site_2007)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    open_: bool = typer.Option(False, "--open", help="Open the page in the default browser."),
):
    """The workbench: a local page with a 3-D globe where the disputed numbers are sliders."""
    if not 0 < port < 65536:
        raise ScenarioError("--port", f"must be 1-65535, got {port}")
    from .web import serve as _serve  # fastapi and uvicorn load only here

    _serve(scenario, host=host, port=port, open_browser=open_)


_FORCE = typer.Option(False, "--force", help="Write into -o DIR even if it holds files (they may be overwritten).")
_SKIP = typer.Option([], "--skip", help="Leave out these parts (comma-separated or repeated): observe, engage, "
                                        "cities, footprint, reach, raid, sharing, key_assumptions, exports.")
_ONLY = typer.Option([], "--only", help="Compute only these parts (comma-separated or repeated; the threats are "
                                        "always flown).")
_FIGURES = typer.Option("png", "--figures", help="Also write the report's figures as these formats into "
                                                 "DIR/figures (comma-separated: png, svg, pdf).")


@app.command()
def demo(
    out: str = typer.Option("shieldsim-out", "-o", "--out", help="Output directory."),
    force: bool = _FORCE, as_json: bool = _JSON, quiet: bool = _QUIET,
):
    """Run the built-in 2007 scenario: same as `shieldsim run third_site_2007 -o shieldsim-out`."""
    _run_scenario("third_site_2007", out, [], None, None, as_json, quiet=quiet, force=force)


@app.command()
def run(
    scenario: str = typer.Argument(..., help="Scenario file or built-in name."),
    out: str = typer.Option(..., "-o", "--out", help="Output directory (new or empty; see --force)."),
    force: bool = _FORCE, skip: list[str] = _SKIP, only: list[str] = _ONLY, figures: str = _FIGURES,
    set_: list[str] = _SET, seed: Optional[int] = _SEED, interceptor_speed: Optional[float] = _SPEED,
    as_json: bool = _JSON, quiet: bool = _QUIET,
):
    """Run a scenario: results.json, report.html, GeoJSON, CZML, KML and Parquet in a directory."""
    _run_scenario(scenario, out, set_, seed, interceptor_speed, as_json, quiet=quiet, force=force,
                  skip=_names(skip), only=_names(only) or None, figures=_names([figures]))


def _run_scenario(scenario, out, overrides, seed, interceptor_speed, as_json, *, quiet=False, force=False, skip=(),
                  only=None, figures=("png",)):
    from .analyses import commands

    # The scenario, --skip/--only, --figures and the directory (new or empty unless --force)
    # are checked, in that order, before anything runs.
    results = commands.run(scenario, out, force=force, skip=skip, only=only, figures=figures, overrides=overrides,
                           seed=seed, interceptor_speed=interceptor_speed, command_line=list(_COMMAND_LINE),
                           progress=not (quiet or as_json)).to_dict()
    if as_json:
        _emit_json(results)
        return
    con = _console()
    tab = _table(f"{results['scenario']}: threats",
                 [("threat!", "left"), ("missile: from → to", "left"), ("range km", "right"),
                  ("flight s", "right"), ("apogee km", "right"), ("shots", "right"), ("P(kill)", "right")])
    eng = {e["threat"]: e for e in (results.get("engage") or {}).get("threats", [])}
    for r in results["threats"]:
        e = eng.get(r["threat"], {})
        tab.add_row(r["threat"], f"{r['missile']}: {r['from']} → {r['to']}", f"{r['ground_range_km']:,.0f}",
                    f"{r['flight_time_s']:,.0f}", f"{r['apogee_km']:,.0f}", str(e.get("shot_opportunities", "")),
                    f"{e['p_kill']:.3f}" if "p_kill" in e else "")
    con.print(tab)
    fp = results.get("footprint")
    if fp:
        share = (results.get("headline") or {}).get("defended_pct", {}).get("text") \
            or f"{fp['defended_fraction']:.0%}"
        missiles = ", ".join(f"{m['missile']} from {m['launch']}" for m in fp.get("missiles") or []) \
            or f"{fp['missile']} from {fp['launch']}"
        con.print(f"defended area: {share} of the aim points that {missiles} can reach (each point attacked by "
                  "the shortest-range missile that reaches it)")
    if results.get("reach"):
        pairs = results["reach"]["pairs"]
        n = len({(p["launch"], p["target"]) for p in pairs})
        k = len({(p["launch"], p["target"]) for p in pairs if p["feasible"]})
        con.print(f"Russian ICBMs: {k} of {n} base-target pairs engageable")
    con.print(f"report: {out}/report.html; every figure in {out}/results.json")


# The early-warning exchange: its module imports Typer only (fastapi, uvicorn, sqlalchemy load
# inside its commands), so `shieldsim --help` stays quick.
from .exchange.cli import app as _exchange_app  # noqa: E402

app.add_typer(_exchange_app, name="exchange")


#: The command line of this invocation, recorded by ``run`` in results.json and the report.
_COMMAND_LINE: list[str] = ["shieldsim"]


def _usage_field(e) -> str:
    """The flag or argument a usage error is about (``COMMAND`` for an unknown command), so that
    every exit-2 line names a field."""
    param = getattr(e, "param", None)
    if param is not None:
        opts = getattr(param, "opts", None) or []
        return opts[0] if opts and opts[0].startswith("-") else str(getattr(param, "name", "") or "argument").upper()
    if getattr(e, "option_name", None):
        return str(e.option_name)
    return "COMMAND" if "command" in e.format_message().lower() else "usage"


def main(argv: list[str] | None = None) -> int:
    """Entry point: one-line errors, exit 2 for bad input, 1 only for bugs."""
    global _COMMAND_LINE
    _COMMAND_LINE = ["shieldsim", *(sys.argv[1:] if argv is None else argv)]
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
        from .errors import one_line

        sys.stderr.write(f"error: {one_line(_usage_field(e) + ': ' + ' '.join(e.format_message().split()))}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
