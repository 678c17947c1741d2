"""The workbench's FastAPI application: one page and a JSON API over the shared commands.

Every route under ``/api/`` calls the function of ``analyses.commands`` that the CLI command of
the same name calls, with the same knobs: ``set`` (repeatable) is ``--set PATH=VALUE``,
``interceptor_speed`` is ``--interceptor-speed``, ``seed`` is ``--seed``; so ``GET
/api/engage?scenario=S&interceptor_speed=9&set=doctrine.require_track=false`` answers what
``shieldsim engage S --interceptor-speed 9 --set doctrine.require_track=false --json`` prints.
Bad input (an unknown scenario, a speed out of range, a malformed ``set``) is a 400 with a
one-line ``error``, as the CLI's one line on stderr; the server keeps serving.

The page's own routes (``/api/scene``, ``/api/russia``, ``/api/flips``, ``/api/download/...``)
add geometry for the globe (``web.scene``) around those same results. Analyses run one at a
time (a lock: the shared caches are not built for concurrent writers); answers are kept in a
small cache keyed by the request, so a shared link or a slider moved back answers at once.
Scenarios are the built-in ones plus the file ``shieldsim serve FILE`` was started with: the
server reads no other path.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Optional

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import ScenarioError, ShieldsimError

STATIC = Path(__file__).parent / "static"
CESIUM_URL = "/vendor/cesium"  # index.html's CESIUM_BASE_URL; the bundle is static/vendor/cesium
DEFAULT_SCENARIO = "third_site_2007"
CACHE_SIZE = 48
PAGE_TRIALS = 2000  # Monte Carlo trials of the page's engage view (the CLI's --trials; shown on the page)
TRAJECTORIES = ("minimum-energy", "lofted", "depressed", "max-range-kick")


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


class Superseded(Exception):
    """A background view given up because a newer request came in."""


class _Results:
    """The analyses behind the routes: one at a time, remembered by request. ``epoch`` counts
    the requests, so a long background view (``/api/flips``) can give way to a newer one."""

    def __init__(self, size: int = CACHE_SIZE):
        self.lock = threading.Lock()
        self.cache: OrderedDict = OrderedDict()
        self.size = size
        self.epoch = 0

    def get(self, key, compute):
        self.epoch += 1
        with self.lock:
            if key in self.cache:
                self.cache.move_to_end(key)
                return self.cache[key]
            value = compute()
            self._put(key, value)
            return value

    def _put(self, key, value):
        self.cache[key] = value
        while len(self.cache) > self.size:
            self.cache.popitem(last=False)

    def background(self, key, steps):
        """A view computed in steps (``steps(run)`` calls ``run(fn)`` for each), each under the
        lock; gives up (``Superseded``) when another request arrives in between."""
        with self.lock:
            if key in self.cache:
                return self.cache[key]
        start = self.epoch

        def run(fn):
            if self.epoch != start:
                raise Superseded
            with self.lock:
                return fn()

        value = steps(run)
        with self.lock:
            self._put(key, value)
        return value


class _Workbench:
    """What every route shares: the default scenario, the scenarios it may serve, the results."""

    def __init__(self, default: str, allowed: set):
        self.default = default
        self.allowed = allowed
        self.results = _Results()

    def knobs(self, scenario, set_, interceptor_speed, seed) -> tuple:
        name = scenario or self.default
        if name not in self.allowed:
            raise ScenarioError("scenario", f"unknown scenario {name[:80]!r}; the workbench serves "
                                            f"{', '.join(sorted(self.allowed))}")
        return name, tuple(set_ or ()), interceptor_speed, seed

    def cached(self, route: str, key: tuple, compute):
        return self.results.get((route, *key), compute)


def _workbench(request: Request) -> _Workbench:
    return request.app.state.workbench


WB = Depends(_workbench)


def create_app(scenario: str | None = None) -> FastAPI:
    """The workbench app; ``scenario`` (a built-in name or a file) is the page's default."""
    from ..scenario import builtin_scenarios, load_scenario

    default = str(scenario) if scenario is not None else DEFAULT_SCENARIO
    load_scenario(default)  # a bad SCENARIO is refused before the server starts
    wb = _Workbench(default, set(builtin_scenarios()) | {default})
    # No /docs page: FastAPI's loads Swagger UI from a CDN. The schema itself is served.
    app = FastAPI(title="shieldsim workbench", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.state.default_scenario = default
    app.state.workbench = wb
    app.state.results = wb.results
    _add_error_handlers(app)
    app.include_router(commands_router)
    app.include_router(views_router)
    app.include_router(page_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount(CESIUM_URL, StaticFiles(directory=STATIC / "vendor" / "cesium"), name="cesium")
    return app


# --- errors: one line, as the CLI's -------------------------------------------------------------
async def _bad_input(request: Request, exc: Exception):
    return JSONResponse({"error": _one_line(str(exc))}, status_code=400)


async def _http_error(request: Request, exc: StarletteHTTPException):
    return JSONResponse({"error": _one_line(f"{request.url.path[:80]}: {str(exc.detail).lower()}")},
                        status_code=exc.status_code)


async def _superseded(request: Request, exc: Exception):
    # Not an error (a 4xx would be logged by the browser): the page has moved on.
    return JSONResponse({"superseded": True})


async def _bad_query(request: Request, exc: RequestValidationError):
    errs = exc.errors()
    first = errs[0] if errs else {}
    where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
    value = first.get("input")
    shown = f" (got {str(value)[:80]!r})" if value is not None and not isinstance(value, dict) else ""
    return JSONResponse({"error": _one_line(f"{where}: {first.get('msg', 'invalid')}{shown}")}, status_code=400)


def _add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ShieldsimError, _bad_input)
    app.add_exception_handler(ScenarioError, _bad_input)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Superseded, _superseded)
    app.add_exception_handler(RequestValidationError, _bad_query)


# --- the commands ----------------------------------------------------------------------------
commands_router = APIRouter()


@commands_router.get("/api/health")
def health():
    return {"ok": True}


@commands_router.get("/api/scenarios")
def scenarios(wb: _Workbench = WB):
    """``shieldsim scenario list --json`` (plus the served file, if any)."""
    from ..scenario import load_scenario

    return {"scenarios": [{"name": n, "title": load_scenario(n).title} for n in sorted(wb.allowed)],
            "default": wb.default}


@commands_router.get("/api/scenarios/{name}")
def scenario_show(name: str, wb: _Workbench = WB):
    """``shieldsim scenario show NAME``: the scenario's YAML."""
    name, *_ = wb.knobs(name, (), None, None)
    return PlainTextResponse(_scenario_text(name), media_type="text/yaml")


@commands_router.get("/api/fly")
def fly(missile: str, from_: str = Query(..., alias="from"), to: str = Query(...),
        trajectory: str = "minimum-energy", samples: Optional[float] = None, wb: _Workbench = WB):
    """``shieldsim fly MISSILE --from A --to B [--trajectory T] [--samples DT] --json``."""
    from .. import api

    def compute():
        res = api.fly(missile, from_, to, trajectory)
        out = res.to_dict()
        if samples is not None:
            out["samples"] = res.samples(samples)[0]
        return _jsonable(out)

    return wb.cached("fly", (missile, from_, to, trajectory, samples), compute)


@commands_router.get("/api/observe")
def observe(scenario: Optional[str] = None, set: list[str] = Query([]),
            interceptor_speed: Optional[float] = None, seed: Optional[int] = None,
            sensor: list[str] = Query([]), threat: Optional[str] = None, wb: _Workbench = WB):
    """``shieldsim observe S [--sensor NAME ...] [--threat T] --json``."""
    from ..analyses import commands

    k = wb.knobs(scenario, set, interceptor_speed, seed)
    return wb.cached("observe", (*k, tuple(sensor), threat), lambda: commands.observe(
        k[0], sensors=sensor, threat=threat, **_run_knobs(k)).to_dict())


@commands_router.get("/api/engage")
def engage(scenario: Optional[str] = None, set: list[str] = Query([]),
           interceptor_speed: Optional[float] = None, seed: Optional[int] = None, trials: Optional[str] = None,
           sspk: Optional[float] = None, salvo: Optional[int] = None, doctrine: Optional[str] = None,
           threat: Optional[str] = None, wb: _Workbench = WB):
    """``shieldsim engage S [--trials N] [--sspk P] [--salvo N] [--doctrine D] [--threat T] --json``."""
    from ..analyses import commands

    k = wb.knobs(scenario, set, interceptor_speed, seed)
    return wb.cached("engage", (*k, trials, sspk, salvo, doctrine, threat), lambda: commands.engage(
        k[0], trials=trials, sspk=sspk, salvo=salvo, doctrine=doctrine, threat=threat, **_run_knobs(k)).to_dict())


@commands_router.get("/api/reach")
def reach(scenario: Optional[str] = None, set: list[str] = Query([]),
          interceptor_speed: Optional[float] = None, seed: Optional[int] = None,
          launch: list[str] = Query([]), target: list[str] = Query([]), missile: Optional[str] = None,
          wb: _Workbench = WB):
    """``shieldsim reach S [--launch L ...] [--target T ...] [--missile M] --json``."""
    from ..analyses import commands

    k = wb.knobs(scenario, set, interceptor_speed, seed)
    return wb.cached("reach", (*k, tuple(launch), tuple(target), missile), lambda: commands.reach(
        k[0], launches=launch, targets=target, missile=missile, **_run_knobs(k)).to_dict())


def _footprint(wb: _Workbench, k, launch, missile, resolution_deg):
    from ..analyses import commands
    from ..export import geojson

    def compute():
        res = commands.footprint(k[0], launch=launch, missile=missile, resolution_deg=resolution_deg,
                                 **_run_knobs(k))
        fp = res.grid
        fc = geojson.footprint_polygons(fp.lat_deg, fp.lon_deg, fp.defended, fp.shot_opportunities,
                                        properties={"launch": fp.launch, "missile": fp.missile})
        return res.to_dict(), fc

    return wb.cached("footprint", (*k, launch, missile, resolution_deg), compute)


@commands_router.get("/api/footprint")
def footprint(scenario: Optional[str] = None, set: list[str] = Query([]),
              interceptor_speed: Optional[float] = None, seed: Optional[int] = None,
              launch: Optional[str] = None, missile: Optional[str] = None, resolution_deg: float = 0.5,
              geojson: bool = False, wb: _Workbench = WB):
    """``shieldsim footprint S [--launch L] [--missile M] [--resolution-deg D] --json``; with
    ``geojson=true`` the defended area's polygons (``-o FILE.geojson``) as ``geojson``.
    Without ``launch`` each of the scenario's footprint missiles flies from its own place, as
    ``run`` does (the CLI's footprint command requires --launch)."""
    data, fc = _footprint(wb, wb.knobs(scenario, set, interceptor_speed, seed), launch, missile, resolution_deg)
    return {**data, "geojson": fc} if geojson else data


@commands_router.get("/api/sensitivity")
def sensitivity(scenario: Optional[str] = None, set: list[str] = Query([]),
                interceptor_speed: Optional[float] = None, seed: Optional[int] = None, method: str = "oat",
                param: list[str] = Query([]), resolution_deg: Optional[float] = None,
                samples: Optional[int] = None, wb: _Workbench = WB):
    """``shieldsim sensitivity S [--method M] [--param P ...] [--resolution-deg D] --json`` (slow:
    minutes for every parameter; name a few with ``param``)."""
    from ..analyses import commands

    k = wb.knobs(scenario, set, interceptor_speed, seed)
    return wb.cached("sensitivity", (*k, method, tuple(param), resolution_deg, samples), lambda: commands.sensitivity(
        k[0], method, samples=samples, params=param, resolution_deg=resolution_deg, **_run_knobs(k)).to_dict())


def _run_knobs(k) -> dict:
    """The knobs every command takes, as its keyword arguments."""
    return {"overrides": k[1], "seed": k[3], "interceptor_speed": k[2]}


# --- the page's views ------------------------------------------------------------------------
views_router = APIRouter()


@views_router.get("/api/knobs")
def knob_list(scenario: Optional[str] = None, set: list[str] = Query([]), seed: Optional[int] = None,
              wb: _Workbench = WB):
    """The scenario's disputed parameters with their published ranges and sources (those of
    ``sensitivity``), its threats, sensors and batteries, and the choices for a threat."""
    k = wb.knobs(scenario, set, None, seed)
    return wb.cached("knobs", k, lambda: _knobs(k[0], k[1], seed))


@views_router.get("/api/scene")
def scene(scenario: Optional[str] = None, set: list[str] = Query([]),
          interceptor_speed: Optional[float] = None, seed: Optional[int] = None, wb: _Workbench = WB):
    """The globe: engage (as ``/api/engage`` with ``trials`` = PAGE_TRIALS), the CZML that
    ``run`` exports for it, the threats' phases and the sensors' coverage."""
    k = wb.knobs(scenario, set, interceptor_speed, seed)
    return wb.cached("scene", k, lambda: _scene(k))


@views_router.get("/api/russia")
def russia(scenario: Optional[str] = None, set: list[str] = Query([]),
           interceptor_speed: Optional[float] = None, seed: Optional[int] = None,
           launch: list[str] = Query([]), target: list[str] = Query([]), wb: _Workbench = WB):
    """``reach`` (as ``/api/reach``) with each launch-target pair's track and verdict."""
    k = wb.knobs(scenario, set, interceptor_speed, seed)

    def compute():
        from ..analyses import commands
        from .scene import russian_tracks

        t0 = time.perf_counter()
        res = commands.reach(k[0], launches=launch, targets=target, **_run_knobs(k))
        pairs = russian_tracks(res)
        return {"reach": res.to_dict(), "pairs": pairs, "engageable": sum(p["engageable"] for p in pairs),
                "total": len(pairs), "missile": res.context.scenario.analysis.reach.missile,
                "seconds": round(time.perf_counter() - t0, 2)}

    return wb.cached("russia", (*k, tuple(launch), tuple(target)), compute)


@views_router.get("/api/defended")
def defended(scenario: Optional[str] = None, set: list[str] = Query([]),
             interceptor_speed: Optional[float] = None, seed: Optional[int] = None,
             resolution_deg: float = 2.0, wb: _Workbench = WB):
    """The scenario's defended area (``footprint`` with its own missiles and places, as ``run``)
    as GeoJSON, with the footprint JSON."""
    t0 = time.perf_counter()
    data, fc = _footprint(wb, wb.knobs(scenario, set, interceptor_speed, seed), None, None, resolution_deg)
    return {"footprint": data, "geojson": fc, "seconds": round(time.perf_counter() - t0, 2)}


@views_router.get("/api/flips")
def flips(scenario: Optional[str] = None, set: list[str] = Query([]),
          interceptor_speed: Optional[float] = None, seed: Optional[int] = None, wb: _Workbench = WB):
    """Which knob flips which threat's verdict (defended: at least one shot opportunity):
    each page knob moved to its published low and high end, everything else as set."""
    k = wb.knobs(scenario, set, interceptor_speed, seed)
    return wb.results.background(("flips", *k), lambda run: _flips(k, run))


@views_router.get("/api/download/scenario.yaml")
def download_yaml(scenario: Optional[str] = None, set: list[str] = Query([]),
                  interceptor_speed: Optional[float] = None, seed: Optional[int] = None, wb: _Workbench = WB):
    """The scenario with the knobs applied, as a file the CLI runs without ``--set``."""
    k = wb.knobs(scenario, set, interceptor_speed, seed)
    return _attachment(_knobbed_yaml(k), "text/yaml", f"{_stem(k[0])}-workbench.yaml")


@views_router.get("/api/download/results.json")
def download_results(scenario: Optional[str] = None, set: list[str] = Query([]),
                     interceptor_speed: Optional[float] = None, seed: Optional[int] = None,
                     resolution_deg: float = 2.0, launch: list[str] = Query([]), target: list[str] = Query([]),
                     wb: _Workbench = WB):
    """The page's numbers (engage, reach, and the defended area if the page computed it) with
    the CLI commands that reproduce them."""
    k = wb.knobs(scenario, set, interceptor_speed, seed)
    sc = wb.cached("scene", k, lambda: _scene(k))
    ru = russia(k[0], list(k[1]), k[2], k[3], launch, target, wb=wb)
    fp = wb.results.cache.get(("footprint", *k, None, None, resolution_deg))
    out = {"scenario": k[0], "knobs": _knob_dict(k), "commands": _commands(k, resolution_deg, launch, target),
           "engage": sc["engage"], "reach": ru["reach"], "footprint": fp[0] if fp else None}
    return _attachment(json.dumps(out, indent=1, allow_nan=False), "application/json", f"{_stem(k[0])}-results.json")


def _attachment(text: str, media_type: str, filename: str) -> Response:
    return Response(text, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --- the page --------------------------------------------------------------------------------
page_router = APIRouter()


@page_router.get("/", include_in_schema=False)
def index():
    return FileResponse(STATIC / "index.html", media_type="text/html")


@page_router.get("/favicon.ico", include_in_schema=False)
def favicon():
    return Response(status_code=204)


# --- the computations behind the page's routes (called with the results' lock held) ----------
def _scene(k) -> dict:
    from ..analyses import commands
    from ..analyses.run import CZML_EPOCH
    from .scene import coverage, globe_czml, threat_phases

    t0 = time.perf_counter()
    res = commands.engage(k[0], trials=PAGE_TRIALS, **_run_knobs(k))
    eng = res.to_dict()
    ctx, flown = res.context, res.flown
    rcs = float(ctx.threat_rcs_m2[0]) if ctx.threat_specs else 1.0
    d = ctx.scenario.doctrine
    return {
        "scenario": ctx.scenario.name, "title": ctx.scenario.title, "knobs": _knob_dict(k),
        "commands": _commands(k, None), "engage": eng, "threats": flown.summary(),
        "track_settle_s": d.track_settle_s, "kill_assessment_s": d.kill_assessment_s,
        "epoch": CZML_EPOCH, "czml": globe_czml(ctx, flown, eng["threats"]), "phases": threat_phases(flown),
        **coverage(ctx, rcs), "coverage_threat": ctx.threat_specs[0].name if ctx.threat_specs else None,
        "batteries": [{"name": b.name, "lat_deg": b.lat_deg, "lon_deg": b.lon_deg,
                       "interceptor": b.interceptor.name} for b in ctx.defence.batteries],
        "seconds": round(time.perf_counter() - t0, 2),
    }


def _flip_ends(p) -> list:
    """The values a page knob is moved to: its published ends, or the other setting of a switch."""
    if p.kind == "switch":
        return [("off", False)] if p.base else [("on", True)]
    return [("low", p.low), ("high", p.high)] if p.kind == "number" else [("other", not bool(p.base))]


def _flips(k, run) -> dict:
    from ..analyses import commands
    from ..analyses.sensitivity import OUTCOME_ONLY, parameters

    def verdicts(overrides, speed):
        r = run(lambda: commands.engage(k[0], trials=1, overrides=overrides, seed=k[3],
                                        interceptor_speed=speed).to_dict())
        return {t["threat"]: t["shot_opportunities"] > 0 for t in r["threats"]}

    t0 = time.perf_counter()
    base = verdicts(k[1], k[2])
    params, _ = run(lambda: parameters(k[0], list(k[1]), k[3]))
    rows = []
    for p in params:
        if p.path in OUTCOME_ONLY or p.path in ("doctrine.kill_assessment_s",):
            continue
        speed_knob = p.path.endswith("burnout_speed_km_s")
        for side, v in _flip_ends(p):
            try:
                if speed_knob:  # the page's speed knob is --interceptor-speed (every battery)
                    got = verdicts(k[1], float(v))
                else:
                    got = verdicts(list(k[1]) + [p.setting(v)], k[2])
            except ScenarioError:
                continue
            flipped = [t for t in base if got.get(t) != base[t]]
            if flipped:
                rows.append({"parameter": "--interceptor-speed" if speed_knob else p.path, "label": p.label,
                             "side": side, "value": v, "unit": p.unit,
                             "threats": [{"threat": t, "defended": got[t]} for t in flipped]})
    return {"base": base, "flips": rows, "seconds": round(time.perf_counter() - t0, 2)}


# --- helpers -----------------------------------------------------------------------------------
def _jsonable(obj):
    from ..io import to_jsonable

    return to_jsonable(obj)


def _stem(name: str) -> str:
    return Path(name).stem if name.endswith((".yaml", ".yml")) else name


def _scenario_text(name: str) -> str:
    from ..scenario import builtin_scenarios, scenario_yaml

    return scenario_yaml(name) if name in builtin_scenarios() else Path(name).read_text(encoding="utf-8")


def _knob_dict(k) -> dict:
    return {"scenario": k[0], "set": list(k[1]), "interceptor_speed": k[2], "seed": k[3]}


def _cli_args(k) -> list[str]:
    args = []
    for s in k[1]:
        args += ["--set", s]
    if k[2] is not None:
        args += ["--interceptor-speed", f"{k[2]:g}"]
    if k[3] is not None:
        args += ["--seed", str(k[3])]
    return args


def _commands(k, resolution_deg, launch=(), target=()) -> dict:
    """The CLI commands that give the page's numbers (shell-quoted)."""
    import shlex

    def line(*words):
        return shlex.join(["shieldsim", *words])

    rest = _cli_args(k)
    pairs = [w for n in launch for w in ("--launch", n)] + [w for n in target for w in ("--target", n)]
    out = {"engage": line("engage", k[0], "--trials", str(PAGE_TRIALS), *rest, "--json"),
           "reach": line("reach", k[0], *pairs, *rest, "--json")}
    if resolution_deg is not None:
        out["footprint"] = ("(the defended area is run's footprint: each footprint missile from its own place) "
                            + line("run", k[0], "--only", "footprint", "-o", "OUT", *rest))
    return out


def _knobbed_yaml(k) -> str:
    """The scenario's YAML with ``--set`` applied and ``--interceptor-speed`` written as every
    battery's ``burnout_speed_km_s``; validated before it is returned."""
    import yaml

    from ..scenario import apply_overrides, load_scenario, read_raw, validate_scenario

    load_scenario(k[0], overrides=list(k[1]), seed=k[3])  # names a bad --set before anything else
    raw = apply_overrides(read_raw(k[0]), list(k[1]))
    if k[3] is not None:
        raw["seed"] = int(k[3])
    if k[2] is not None:  # the range build_defence accepts for --interceptor-speed
        if not (0.5 <= float(k[2]) <= 15.0):
            raise ScenarioError("--interceptor-speed", f"{k[2]} km/s is outside the supported 0.5-15 km/s")
        for b in raw.get("batteries") or []:
            if isinstance(b, dict):
                b["burnout_speed_km_s"] = float(k[2])
    validate_scenario(raw)
    head = ("# Written by the shieldsim workbench: the scenario with the page's knobs applied\n"
            f"# ({' '.join(_cli_args(k)) or 'no knobs changed'}). Run it with, e.g.,\n"
            f"#   shieldsim run FILE -o OUT    or    shieldsim engage FILE --json\n")
    return head + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=100)


def _knobs(scenario: str, overrides, seed) -> dict:
    from .. import catalog
    from ..analyses.sensitivity import parameters
    from ..scenario import load_scenario

    sc = load_scenario(scenario, overrides=list(overrides), seed=seed)
    params, _ = parameters(scenario, list(overrides), seed)
    return {
        "scenario": sc.name, "title": sc.title,
        "parameters": [p.to_dict() for p in params],
        "threats": [{"index": i, "name": t.name, "missile": t.missile, "trajectory": t.trajectory,
                     "from": str(getattr(t, "from_", "") or ""), "to": str(t.to)} for i, t in enumerate(sc.threats)],
        "sensors": [{"index": i, "name": s.name, "enabled": s.enabled} for i, s in enumerate(sc.sensors)],
        "batteries": [{"index": i, "name": b.name, "interceptor": b.interceptor,
                       "burnout_speed_km_s": b.burnout_speed_km_s,
                       "published": {k: (catalog.get(b.interceptor, kind="interceptor")
                                         .get("published_burnout_speed_km_s") or {}).get(k)
                                     for k in ("value", "low", "high", "source")}}
                      for i, b in enumerate(sc.batteries)],
        "doctrine": sc.doctrine.model_dump(mode="json"),
        "missiles": [e["name"] for e in catalog.entries("missile")],
        "trajectories": list(TRAJECTORIES), "page_trials": PAGE_TRIALS,
    }
