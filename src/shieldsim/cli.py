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
    trajectory: str = typer.Option("minimum-energy", "--trajectory", help="minimum-energy | lofted | depressed."),
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
        res = api.free_flight(lat, lon, alt, spd, gam, az, earth=earth, rotation=rotation, beta_kg_m2=beta)
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
    """Show one catalog entry with its sources and computed figures."""
    from .analyses.catalog_entry import show_entry

    out = show_entry(name, rcs_m2=rcs)
    if as_json:
        _emit_json(out)
        return
    import yaml

    _console().print(yaml.safe_dump(out, sort_keys=False, allow_unicode=True))


@app.command()
def demo(
    out: str = typer.Option("shieldsim-out", "-o", "--out", help="Output directory."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
):
    """Run the built-in 2007 scenario (third_site_2007) and write its results to shieldsim-out."""
    _run_scenario("third_site_2007", out, [], None, as_json)


@app.command()
def run(
    scenario: str = typer.Argument(..., help="Scenario file or built-in name."),
    out: str = typer.Option(..., "-o", "--out", help="Output directory."),
    set_: list[str] = typer.Option([], "--set", help="Override PATH=VALUE (repeatable)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Short for --set seed=S."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
):
    """Run a scenario and write its results (results.json and more) to a directory."""
    _run_scenario(scenario, out, set_, seed, as_json)


def _run_scenario(scenario, out, overrides, seed, as_json):
    from .analyses.run import run_scenario

    results = run_scenario(scenario, out, overrides=overrides, seed=seed, progress=not as_json)
    if as_json:
        _emit_json(results)
        return
    from rich.table import Table

    t = Table(title=f"{results['scenario']}: threats")
    for c in ("threat", "missile", "from", "to", "range km", "flight s", "apogee km", "burnout km/s", "miss km"):
        t.add_column(c, justify="right")
    for r in results["threats"]:
        t.add_row(r["threat"], r["missile"], r["from"], r["to"], f"{r['ground_range_km']:,.0f}",
                  f"{r['flight_time_s']:,.0f}", f"{r['apogee_km']:,.0f}", f"{r['burnout_speed_km_s']:.2f}",
                  f"{r['miss_km']:.3f}")
    _console().print(t)
    _console().print(f"results written to {out}/results.json")


def main(argv: list[str] | None = None) -> int:
    """Entry point: one-line errors, exit 2 for bad input, 1 only for bugs."""
    try:
        app(args=argv, standalone_mode=False, prog_name="shieldsim")
    except (ScenarioError, ShieldsimError) as e:
        sys.stderr.write(f"error: {e}\n")
        return 2
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.exceptions.Abort:
        sys.stderr.write("error: aborted\n")
        return 2
    except click.exceptions.ClickException as e:
        sys.stderr.write(f"error: {' '.join(e.format_message().split())}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
