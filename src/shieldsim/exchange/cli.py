"""``shieldsim exchange``: serve, token, replay, watch, value.

Importing this module imports Typer only: fastapi, uvicorn and sqlalchemy load inside the
commands, so ``shieldsim --help`` stays quick.
"""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from ..errors import ScenarioError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="The early-warning exchange: serve it, issue tokens, replay a scenario into it, "
                       "watch it as a partner, and what sharing is worth.")

_DB = typer.Option(None, "--db", help="Database URL: sqlite:///FILE (default sqlite:///shieldsim-exchange.db in "
                                      "the working directory) or postgresql://USER@HOST/DB.")
_URL = typer.Option(..., "--url", help="The exchange, e.g. http://127.0.0.1:8707.")
_TOKEN = typer.Option(..., "--token", help="Your partner token (shieldsim exchange token PARTNER).")
_POLICY = typer.Option([], "--policy", help="A policy file adding or replacing a partner (repeatable).")


def _db(db: str | None) -> str:
    from .store import DEFAULT_DB

    return db or DEFAULT_DB


def _emit(obj) -> None:
    sys.stdout.write(json.dumps(obj, allow_nan=False) + "\n")
    sys.stdout.flush()


@app.command()
def serve(
    db: Optional[str] = _DB,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback unless you say otherwise)."),
    port: int = typer.Option(8707, "--port", help="Port to listen on."),
    policy: list[str] = _POLICY,
):
    """Run the exchange (FastAPI + uvicorn) until interrupted."""
    from .service import serve as run

    if not 0 < port < 65536:
        raise ScenarioError("--port", f"must be 1 to 65535, got {port}")
    run(_db(db), host=host, port=port, policy_files=policy,
        announce=lambda: sys.stderr.write(f"shieldsim exchange on http://{host}:{port} (database {_db(db)})\n"))


@app.command()
def token(
    partner: str = typer.Argument(..., help="Partner: us, nato, russia, public (or one added by --policy)."),
    db: Optional[str] = _DB,
    policy: list[str] = _POLICY,
):
    """Create a token for PARTNER; print it as the last word on stdout (shown once, stored hashed)."""
    from .policy import partner_policy, policies
    from .store import Store

    pol = partner_policy(partner, policies(policy))
    store = Store(_db(db))
    tok = store.create_token(pol.partner)
    store.close()
    sys.stdout.write(f"token for {pol.partner} ({pol.title}): {tok}\n")


@app.command()
def replay(
    scenario: str = typer.Argument(..., help="Scenario file or built-in name."),
    url: str = _URL, token: str = _TOKEN,
    speed: float = typer.Option(1.0, "--speed", help="Simulated seconds per wall-clock second."),
    threat: Optional[str] = typer.Option(None, "--threat", help="Only this threat."),
    retry_s: float = typer.Option(30.0, "--retry-s", help="Keep retrying an unreachable exchange this long."),
    set_: list[str] = typer.Option([], "--set", help="Override PATH=VALUE (repeatable)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Short for --set seed=S."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
):
    """Publish a scenario's observations as notifications, in simulated time."""
    from . import replay as rp

    if not (speed > 0 and speed < float("inf")):
        raise ScenarioError("--speed", f"must be a positive number, got {speed!r}")
    events, note = rp.notifications(scenario, overrides=set_, seed=seed, threat=threat)
    out = rp.replay(events, url, token, speed=speed, retry_s=retry_s)
    out = {"scenario": note["scenario"], **out, "threat_ids": note["threat_ids"]}
    if as_json:
        _emit(out)
    else:
        sys.stdout.write(f"{out['scenario']}: {out['events']} notifications, {out['published']} stored, "
                         f"{out['duplicates']} already there\n")


@app.command()
def watch(
    url: str = _URL, token: str = _TOKEN,
    as_json: bool = typer.Option(False, "--json", help="One JSON object per event."),
    since: Optional[str] = typer.Option(None, "--since", help="Resume after this event id."),
    until_idle: Optional[float] = typer.Option(None, "--until-idle", help="Exit after S seconds without a new event."),
):
    """Follow your partner stream; reconnects after a drop and resumes after the last event."""
    from .client import watch as follow

    if until_idle is not None and not until_idle > 0:
        raise ScenarioError("--until-idle", f"must be a positive number of seconds, got {until_idle!r}")

    def show(view: dict) -> None:
        if as_json:
            _emit(view)
            return
        ia = view.get("impact_area") or {}
        where = ia.get("region") or (f"{ia['lat_deg']:.2f},{ia['lon_deg']:.2f}" if "lat_deg" in ia else "")
        size = f" ±{ia['semi_major_km']:,.0f} km" if ia.get("semi_major_km") is not None else ""
        sys.stdout.write(f"{view['released_at_s']:9.1f} s  {view['event_id']:<16} {view['kind']:<8}"
                         f"{view.get('missile_class', ''):<5} {view.get('outcome', '')} {where}{size}\n")
        sys.stdout.flush()

    try:
        follow(url, token, show, since=since, until_idle_s=until_idle)
    except KeyboardInterrupt:
        pass


@app.command()
def value(
    scenario: str = typer.Argument(..., help="Scenario file or built-in name."),
    set_: list[str] = typer.Option([], "--set", help="Override PATH=VALUE (repeatable)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Short for --set seed=S."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
):
    """What sharing early warning gives each partner: own vs shared first warning, per threat."""
    from .value import sharing_value

    out = sharing_value(scenario, overrides=set_, seed=seed)
    if as_json:
        _emit(out)
        return
    for p in out["partners"]:
        sys.stdout.write(f"{p['partner']} (own sensors: {', '.join(p['own_sensors']) or 'none'})\n")
        for t in p["threats"]:
            def s(v):
                return "never" if v is None else f"{v:,.0f} s"
            sys.stdout.write(f"  {t['threat']:<20} own {s(t['own_warning_s']):>9}  shared {s(t['shared_warning_s']):>9}"
                             f"  gain {s(t['gain_s']):>9}\n")
