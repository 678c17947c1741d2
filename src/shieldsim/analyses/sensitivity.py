"""Sensitivity: every verdict as a range ("what you would have to believe").

A *parameter* is a scenario path that ``--set PATH=VALUE`` accepts, with a low and a high
end and the source of that range, so every value this module reports can be replayed as
``--set PATH=VALUE``. The parameters are: each battery's interceptor burnout speed (the
catalog's published low/high), the doctrine's timings and probabilities
(``DOCTRINE_RANGES`` below, with their sources), each sensor on/off and each sensor
parameter the catalog gives a low/high for. Parameters that cannot be set through the
scenario (a missile's stage masses, an interceptor's stages) are listed as ``skipped``.

The *headline figures* of one parameter point are those of ``compare`` plus, per threat,
shot opportunities and P(kill): the defended fraction of the footprint, shot
opportunities and P(kill) per threat, threats engageable, Russian ICBM pairs engageable
(SS-27 from every Russian base to every US city as ``reach`` flies them, at the
scenario's interceptor speed: the base assessment of ``reach``, no speed scan), and the
raid's P(no leak) and expected leakers. Verdicts: a threat is *defended* when it has a
shot opportunity; the Russian question is *engageable* when a pair is. The defended
fraction and the probabilities are continuous figures without a verdict.

Methods:

- ``oat`` (one at a time): every parameter moved to each end while the rest stay at the
  scenario's values. For each figure: its value, its low/high over all points, the
  parameters that move it sorted by swing, whether a verdict flips at either end and
  where (``flip_at``: bisection on a grid between the base value and the flipping end,
  spaced 0.05 km/s for speeds and 1 % of the range otherwise; ``flip_at`` is the first
  grid value on the flipping side, so ``--set PATH=flip_at`` flips the verdict).
- ``sobol``: a scrambled Sobol' sample over all ranges at once (booleans and switches as
  0/1 draws), evaluated on Dask and stored as Parquet so a rerun resumes; per figure the
  p05/p50/p95 and first- and total-order indices (Saltelli 2010 and Jansen 1999
  estimators, written out below).

Speed (the interceptor fly-out table is the expensive part, cached on disk per booster):
the threats, the Russian ICBMs and the footprint's aim points are aimed and flown once
per run (no parameter touches them); the sensor timelines are reused between points with
the same sensors and track-settling time; a point evaluates only the figures its
parameter can move (the kill probabilities ``sspk`` and ``p_discriminate`` cannot move a
battle space, so they skip the footprint and the Russian ICBMs); bisection points
evaluate only the verdict being searched; burnout speeds are snapped to a 0.05 km/s grid
so their fly-out tables are shared between searches and reruns. The footprint uses the
scenario's ``analysis.compare_resolution_deg`` (2 deg by default) unless
``resolution_deg`` is given.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ScenarioError

METHODS = ("oat", "sobol")
SPEED_STEP_KM_S = 0.05  # flip-point resolution for speeds, and the grid speeds are snapped to
REL_STEP = 0.01  # flip-point resolution of other numbers: 1 % of the parameter's range
SOBOL_DEFAULT_SAMPLES = 16  # base points N (N (d + 2) evaluations): a power of two for Sobol balance; a
# first look in minutes on 2 cores, raise --samples for stable indices (their error falls as 1/sqrt(N))

# The doctrine's ranges, one table: path under doctrine., low, high, unit, plain label, source.
# Notional ranges say so and why.
DOCTRINE_RANGES = (
    ("decision_delay_s", 30.0, 120.0, "s", "the launch decision delay",
     "a firm track/launch decision adds about 30-60 s in open boost/midcourse studies "
     "(APS 2003, NRC 2012) [R] [@aps-2003-boost-phase; @nrc-2012]; swept 30-120 s"),
    ("track_settle_s", 30.0, 120.0, "s", "the time a radar track needs to settle",
     "as decision_delay_s [@aps-2003-boost-phase; @nrc-2012], swept 30-120 s; the Stone Soup tracker of tracking.py reaches its "
     "fire-control threshold 25-125 s after its track starts on the built-in scenarios (analyses/defence.py)"),
    ("kill_assessment_s", 30.0, 120.0, "s", "the kill-assessment time",
     "notional: no open source gives the GBI's kill-assessment time; the 30-120 s span of the other "
     "engagement timings [@aps-2003-boost-phase; @nrc-2012] is used"),
    ("sspk", 0.5, 0.95, "", "the single-shot kill probability",
     "notional: the GBI's intercept-test record is mixed and no open source gives an operational SSPK; "
     "0.5 (about the test record) to 0.95 (the planning value of optimistic studies)"),
    ("p_discriminate", 0.5, 1.0, "", "the probability of picking the warhead among decoys",
     "notional: open sources (JASON 2010 summary [@jason-2010-discrimination]) judge midcourse discrimination unsolved "
     "without a number; from a coin toss to perfect"),
    ("require_track", False, True, "", "a radar track is required at the intercept",
     "modelling choice: true, an intercept only inside a radar's track (in-flight updates, the 2007 plan's "
     "architecture [@obering-2007-pireport]); false, launch and intercept on the fire-control solution alone"),
)
OUTCOME_ONLY = {"doctrine.sspk", "doctrine.p_discriminate"}  # cannot move a battle space (doctrine.simulate only)
ALL_GROUPS = frozenset({"threats", "raid", "footprint", "russian"})


@dataclass
class Parameter:
    """One scenario path with its range; ``kind`` is number, bool or switch (on/off)."""

    path: str
    kind: str
    base: object
    low: object
    high: object
    source: str
    label: str
    unit: str = ""
    notional: bool = False
    groups: frozenset = ALL_GROUPS
    step: float | None = None
    snap: float | None = None

    def value_text(self, v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        return f"{_clean(v):g}"

    def setting(self, v) -> str:
        return f"{self.path}={self.value_text(v)}"

    def to_dict(self) -> dict:
        return {"parameter": self.path, "kind": self.kind, "base": self.base, "low": self.low, "high": self.high,
                "unit": self.unit, "label": self.label, "notional": self.notional, "source": self.source}


SENSOR_LABELS = {"reference_range_km": "detection range at its reference RCS", "min_elevation_deg": "minimum elevation",
                 "cloud_top_km": "cloud-top altitude", "report_latency_s": "launch-report latency"}


def nice_step(x: float) -> float:
    """The largest 1, 2 or 5 times a power of ten not above ``x`` (flip points read as round numbers)."""
    if not x > 0:
        return 1.0
    e = math.floor(math.log10(x))
    for m in (5, 2, 1):
        if m * 10.0 ** e <= x * (1 + 1e-9):
            return _clean(m * 10.0 ** e)
    return _clean(10.0 ** e)


def _clean(x):
    return float(f"{float(x):.10g}")


# --- the parameter list -------------------------------------------------------------------------
def _settable(scenario, overrides, seed, item: str) -> str | None:
    """None if ``--set item`` is accepted, else the one-line reason."""
    from ..scenario import load_scenario

    try:
        load_scenario(scenario, overrides=[*overrides, item], seed=seed)
    except ScenarioError as e:
        return str(e)
    return None


def parameters(scenario: str, overrides=(), seed=None) -> tuple[list[Parameter], list[dict]]:
    """The default parameters of a scenario and the ones skipped (with the reason)."""
    from .. import catalog
    from ..interceptors import flown_burnout_speed
    from ..scenario import load_scenario
    from .context import battery_interceptor

    sc = load_scenario(scenario, overrides=overrides, seed=seed)
    params: list[Parameter] = []
    skipped: list[dict] = []
    for i, b in enumerate(sc.batteries):
        pub = catalog.get(b.interceptor, kind="interceptor").get("published_burnout_speed_km_s") or {}
        lo, hi = pub.get("low"), pub.get("high")
        path = f"batteries.{i}.burnout_speed_km_s"
        if lo is None or hi is None or lo == hi:
            skipped.append({"parameter": path, "reason": f"the catalog gives {b.interceptor} no published low/high "
                                                         "burnout speed"})
            continue
        base = b.burnout_speed_km_s
        if base is None:  # the catalog stages as flown
            base = round(flown_burnout_speed(battery_interceptor(b, None).booster)[0] / 1e3, 3)
        params.append(Parameter(path, "number", float(base), float(lo), float(hi), pub.get("source", ""),
                                f"{b.name}'s {b.interceptor} burnout speed", "km/s", pub.get("tag") == "N",
                                step=SPEED_STEP_KM_S, snap=SPEED_STEP_KM_S))
    d = sc.doctrine
    for key, lo, hi, unit, label, source in DOCTRINE_RANGES:
        path = f"doctrine.{key}"
        base = getattr(d, key)
        kind = "bool" if isinstance(lo, bool) else "number"
        groups = frozenset({"threats", "raid"}) if path in OUTCOME_ONLY else ALL_GROUPS
        params.append(Parameter(path, kind, base, lo, hi, source, label, unit, source.startswith("notional"),
                                groups, step=None if kind == "bool" else nice_step(REL_STEP * (hi - lo)),
                                snap=None if kind == "bool" else nice_step(REL_STEP * (hi - lo))))
    for i, s in enumerate(sc.sensors):
        path = f"sensors.{i}.enabled"
        why = _settable(scenario, overrides, seed, f"{path}=false")
        if why is None:
            params.append(Parameter(path, "switch", True, False, True, "on/off: is the architecture's answer "
                                    "carried by this one sensor?", f"the {s.name} sensor is on"))
        else:
            skipped.append({"parameter": path, "reason": f"--set {path}=false is refused ({why})"})
        entry = catalog.get(s.name, kind="sensor")
        for key, p in entry.items():
            if not (isinstance(p, dict) and ("low" in p or "high" in p) and "value" in p):
                continue
            lo, v, hi = catalog.spread(p)
            if lo == hi:
                continue
            ppath = f"sensors.{i}.{key}"
            why = _settable(scenario, overrides, seed, f"{ppath}={_clean(hi):g}")
            if why is not None:
                skipped.append({"parameter": ppath, "reason": f"--set {ppath}=NUMBER is refused ({why})"})
                continue
            unit = key.rsplit("_", 1)[-1] if key.endswith(("_km", "_s", "_deg")) else ""
            params.append(Parameter(ppath, "number", float(v), float(lo), float(hi), p.get("source", ""),
                                    f"{s.name}'s {SENSOR_LABELS.get(key, key.replace('_', ' '))}", unit,
                                    p.get("tag") == "N", step=nice_step(REL_STEP * (hi - lo)),
                                    snap=nice_step(REL_STEP * (hi - lo))))
    skipped += _catalog_only(sc)
    return params, skipped


def _catalog_only(sc) -> list[dict]:
    """Catalog spreads no scenario path reaches: the missiles' and interceptors' stages."""
    from .. import catalog

    out = []
    for kind, names in (("missile", sorted({t.missile for t in sc.threats} | {sc.analysis.reach.missile,
                                                                             sc.analysis.footprint.missile})),
                        ("interceptor", sorted({b.interceptor for b in sc.batteries}))):
        for name in names:
            spread = sorted(_spread_keys(catalog.get(name, kind=kind)))
            spread = [k for k in spread if k != "published_burnout_speed_km_s"]
            if spread:
                out.append({"parameter": f"catalog {kind} {name}: {', '.join(spread)}",
                            "reason": "catalog values (stage masses, Isp, burn times...) that no scenario path sets; "
                                      f"the interceptor's speed is varied through its burnout speed instead"
                            if kind == "interceptor" else
                            "catalog values (stage masses, Isp, burn times...) that no scenario path sets"})
    return out


def _spread_keys(node, prefix=""):
    if isinstance(node, dict):
        if "value" in node and ("low" in node or "high" in node):
            yield prefix.rstrip(".")
            return
        for k, v in node.items():
            yield from _spread_keys(v, f"{prefix}{k}.")
    elif isinstance(node, list):
        for j, v in enumerate(node):
            yield from _spread_keys(v, f"{prefix}{j}.")


def select(params: list[Parameter], only) -> list[Parameter]:
    """The parameters named by ``--param`` (their --set paths), in the order given."""
    if not only:
        return params
    by = {p.path: p for p in params}
    out = []
    for name in only:
        if name not in by:
            raise ScenarioError("--param", f"no parameter {name!r}; parameters: {', '.join(by)}")
        out.append(by[name])
    return out


# --- one point: the headline figures -------------------------------------------------------------
@dataclass
class Point:
    figures: dict
    detail: dict = field(default_factory=dict)


class Evaluator:
    """The headline figures of the scenario with extra ``--set`` items, flights flown once."""

    def __init__(self, scenario: str, overrides=(), seed=None, resolution_deg: float | None = None):
        from .. import catalog
        from ..targeting import aim
        from .context import load_context
        from .footprint import CHUNK, grid
        from .run import RUSSIAN_GROUP, US_GROUP, site_group
        from .threats import fly_threat_specs, pair_threat_specs

        self.scenario, self.overrides, self.seed = scenario, list(overrides), seed
        ctx = load_context(scenario, self.overrides, seed)
        sc = ctx.scenario
        self.threat_specs = ctx.threat_specs
        self.flown = fly_threat_specs(ctx.threat_specs) if ctx.threat_specs else None
        self.threat_names = list(self.flown.names) if self.flown else []
        self.threat_rcs = ctx.threat_rcs_m2
        ra = sc.analysis.reach
        ls = [catalog.parse_place(n, "--launch") for n in (list(ra.launches) or site_group(RUSSIAN_GROUP))]
        ts = [catalog.parse_place(n, "--target") for n in (list(ra.targets) or site_group(US_GROUP))]
        rocket = catalog.missile(ra.missile, field="analysis.reach.missile")
        specs = pair_threat_specs(ra.missile, rocket, [(a, b) for a in ls for b in ts])
        self.russian = fly_threat_specs(specs) if specs else None
        self.russian_pairs = [(s.launch.name, s.target.name) for s in specs]
        self.russian_rcs = rocket.payload.rcs_m2  # as reach_analysis observes them
        fa = sc.analysis.footprint
        self.resolution_deg = float(resolution_deg or sc.analysis.compare_resolution_deg)
        launch = catalog.parse_place(fa.launch, "analysis.footprint.launch")
        frocket = catalog.missile(fa.missile, field="analysis.footprint.missile")
        lat, lon = grid((fa.lat_min_deg, fa.lat_max_deg, fa.lon_min_deg, fa.lon_max_deg), self.resolution_deg)
        la, lo = np.meshgrid(lat, lon, indexing="ij")
        sol = aim(frocket, math.radians(launch.lat_deg), math.radians(launch.lon_deg), launch.alt_km * 1e3,
                  np.radians(la.ravel()), np.radians(lo.ravel()), "minimum-energy", interpolate=True)
        idx = np.flatnonzero(sol.feasible & (sol.miss_m < 1000.0))  # as footprint.assess_aim_points
        self.fp_chunks = [(sol.trajectory[idx[s:s + CHUNK]], [f"p{i}" for i in idx[s:s + CHUNK]])
                          for s in range(0, idx.size, CHUNK)]
        self.fp_points = int(idx.size)
        self.fp_rcs = frocket.payload.rcs_m2
        self._timelines: dict = {}
        self._batteries: dict = {}
        self._memo: dict = {}
        self.evaluations = 0

    def figure_names(self) -> list[str]:
        names = ["defended_fraction"]
        for t in self.threat_names:
            names += [f"shot_opportunities:{t}", f"p_kill:{t}"]
        return names + ["threats_engageable", "russian_pairs_engageable", "russian_best_margin_s", "raid_p_no_leak",
                        "expected_leakers"]

    def _context(self, extra):
        """The scenario with ``extra`` and its defence; batteries (their rescaled interceptors and
        fly-out tables) are reused between points whose batteries section is the same."""
        from dataclasses import replace

        from ..scenario import load_scenario
        from .context import Context, build_defence

        sc = load_scenario(self.scenario, overrides=[*self.overrides, *extra], seed=self.seed)
        key = json.dumps(sc.to_dict()["batteries"], sort_keys=True, default=str)
        if key in self._batteries:
            d = replace(build_defence(sc.model_copy(update={"batteries": ()})), batteries=self._batteries[key])
        else:
            d = build_defence(sc)
            self._batteries[key] = d.batteries
        return Context(sc, d, self.threat_specs, sc.seed)

    def _timeline(self, ctx, which: str, traj, names, rcs, stream: int):
        sc = ctx.scenario
        key = (which, json.dumps([sc.to_dict()["sensors"], sc.doctrine.track_settle_s], sort_keys=True, default=str))
        if key not in self._timelines:
            self._timelines[key] = ctx.defence.timeline(traj, ctx.rng(stream), names, rcs)
        return self._timelines[key]

    def __call__(self, extra=(), groups=ALL_GROUPS) -> Point:
        from .raid import raid_curves

        key = (tuple(extra), frozenset(groups))
        if key in self._memo:
            return self._memo[key]
        self.evaluations += 1
        ctx = self._context(extra)
        sc, d = ctx.scenario, ctx.defence
        fig: dict = {}
        detail: dict = {}
        if groups & {"threats", "raid"} and self.flown is not None:
            # engage_threats' assessment and Monte Carlo (same streams), the sensor timeline reused
            fl = self.flown
            tl = self._timeline(ctx, "threats", fl.trajectory, fl.names, self.threat_rcs, 2)
            a = d.assess(fl.trajectory, ctx.rng(2), fl.names, rcs_m2=self.threat_rcs, timeline=tl)
            o = d.outcomes(a, sc.analysis.trials, ctx.rng(3))
            shots = a.opportunities.sum(axis=1)
            for i, name in enumerate(fl.names):
                fig[f"shot_opportunities:{name}"] = int(shots[i])
                fig[f"p_kill:{name}"] = round(float(o.p_kill[i]), 4)
            fig["threats_engageable"] = int(np.sum(shots > 0))
            if "raid" in groups:
                # the headline raid size alone (raid_for draws every size: same law, other draws)
                ra = sc.analysis.raid
                idx = fl.names.index(ra.threat) if ra.threat in fl.names else 0
                size = min(ra.headline_size, ra.max_size)
                raid = raid_curves(d, a, idx, ctx.rng(6), sizes=[size], decoys=(0,), n_trials=ra.trials)
                fig["raid_p_no_leak"] = round(raid.curves[0]["p_no_leak"][0], 4)
                fig["expected_leakers"] = round(raid.curves[0]["expected_leakers"][0], 4)
        if "russian" in groups and self.russian is not None:
            tl = self._timeline(ctx, "russian", self.russian.trajectory, self.russian.names, self.russian_rcs, 5)
            a = d.assess(self.russian.trajectory, ctx.rng(5), self.russian.names, timeline=tl)
            ok = np.zeros(len(self.russian_pairs), bool)
            for sp in a.spaces:
                ok |= np.asarray(sp.feasible, bool)
            pairs = sorted({self.russian_pairs[i] for i in np.flatnonzero(ok)})
            fig["russian_pairs_engageable"] = len(pairs)
            # How close the nearest pair is: the largest launch margin over pairs and batteries
            # (latest launch that still intercepts minus the commit time; negative = too late).
            # A continuous figure that shows what moves the Russian verdict before it flips.
            m = np.array([np.asarray(sp.margin_s, float) for sp in a.spaces]) if a.spaces else np.array([np.nan])
            fig["russian_best_margin_s"] = None if not np.isfinite(m).any() else round(float(np.nanmax(m)), 1)
            detail["russian_pairs"] = pairs
        if "footprint" in groups:
            defended = 0
            for k, (traj, names) in enumerate(self.fp_chunks):
                tl = self._timeline(ctx, f"footprint-{k}", traj, names, self.fp_rcs, 4)
                defended += int(d.assess(traj, ctx.rng(4), names, rcs_m2=self.fp_rcs, timeline=tl).defended.sum())
            fig["defended_fraction"] = round(defended / self.fp_points, 4) if self.fp_points else 0.0
        pt = Point(fig, detail)
        self._memo[key] = pt
        return pt


# --- verdicts ----------------------------------------------------------------------------------
def verdict_of(figure: str):
    """(verdict name, predicate) of a figure that carries one, else None."""
    if figure.startswith("shot_opportunities:"):
        return "defended", lambda v: v > 0
    if figure == "russian_pairs_engageable":
        return "engageable", lambda v: v > 0
    return None


def _groups_of(figure: str) -> frozenset:
    if figure.startswith(("shot_opportunities:", "p_kill:")) or figure == "threats_engageable":
        return frozenset({"threats"})
    if figure in ("raid_p_no_leak", "expected_leakers"):
        return frozenset({"threats", "raid"})
    if figure in ("russian_pairs_engageable", "russian_best_margin_s"):
        return frozenset({"russian"})
    return frozenset({"footprint"})


# --- one at a time --------------------------------------------------------------------------------
def _grid(p: Parameter, end) -> list:
    """Values from the base (excluded) to ``end`` (included), the flip-point resolution apart."""
    b, e = float(p.base), float(end)
    sgn = 1.0 if e > b else -1.0
    if p.snap:
        s = p.snap
        k0 = math.floor(b / s + 1e-9) + 1 if sgn > 0 else math.ceil(b / s - 1e-9) - 1
        vals = []
        k = k0
        while (k * s - e) * sgn < -1e-9:
            vals.append(_clean(k * s))
            k += int(sgn)
        return vals + [_clean(e)]
    n = max(1, math.ceil(abs(e - b) / p.step - 1e-9))
    return [_clean(b + sgn * abs(e - b) * j / n) for j in range(1, n)] + [_clean(e)]


def _search(ev: Evaluator, p: Parameter, end, figures: list[str], base: Point, on_point=None) -> dict:
    """Bisection (shared by the figures) for the first grid value whose verdict differs from the base."""
    if p.kind != "number":
        return {f: (end, ev((p.setting(end),), _groups_of(f))) for f in figures}
    vals = _grid(p, end)
    groups = frozenset().union(*(_groups_of(f) for f in figures))
    known: dict[int, Point] = {len(vals) - 1: ev((p.setting(vals[-1]),), groups)}
    pred = {f: verdict_of(f)[1] for f in figures}
    v0 = {f: pred[f](base.figures[f]) for f in figures}

    def bracket(f):
        lo = max([-1] + [k for k, pt in known.items() if pred[f](pt.figures[f]) == v0[f]])
        hi = min([k for k, pt in known.items() if k > lo and pred[f](pt.figures[f]) != v0[f]], default=None)
        return lo, hi

    while True:
        open_ = [(f, *bracket(f)) for f in figures]
        open_ = [(f, lo, hi) for f, lo, hi in open_ if hi is not None and hi - lo > 1]
        if not open_:
            break
        _, lo, hi = open_[0]
        mid = (lo + hi) // 2
        known[mid] = ev((p.setting(vals[mid]),), groups)
        if on_point:
            on_point()
    out = {}
    for f in figures:
        _, hi = bracket(f)
        if hi is not None:
            out[f] = (vals[hi], known[hi])
    return out


def run_oat(ev: Evaluator, params: list[Parameter], progress=None) -> dict:
    tick = progress.task("sensitivity: ends", 2 * len(params) + 1) if progress else (lambda k=1: None)
    base = ev()
    tick()
    names = ev.figure_names()
    ends: dict[str, dict] = {}
    for p in params:
        ends[p.path] = {}
        for side, v in (("low", p.low), ("high", p.high)):
            ends[p.path][side] = base if v == p.base else ev((p.setting(v),), p.groups)
            tick()
    searches = []
    for p in params:
        for side, v in (("low", p.low), ("high", p.high)):
            flips = [f for f in names if verdict_of(f) and f in ends[p.path][side].figures
                     and verdict_of(f)[1](ends[p.path][side].figures[f]) != verdict_of(f)[1](base.figures[f])]
            if flips:
                searches.append((p, side, v, flips))
    stick = progress.task("sensitivity: flip points", len(searches)) if progress else (lambda k=1: None)
    found: dict = {}
    for p, side, v, flips in searches:
        for f, res in _search(ev, p, v, flips, base).items():
            found[(p.path, side, f)] = res
        stick()
    figures = []
    for f in names:
        if f not in base.figures:
            continue
        vals = [base.figures[f]] + [ends[p.path][s].figures.get(f, base.figures[f]) for p in params
                                    for s in ("low", "high")]
        drivers = []
        for p in params:
            lv = ends[p.path]["low"].figures.get(f, base.figures[f])
            hv = ends[p.path]["high"].figures.get(f, base.figures[f])
            trio = [lv, base.figures[f], hv]
            swing = max(trio) - min(trio)
            flip_pts = [(s, found[(p.path, s, f)]) for s in ("low", "high") if (p.path, s, f) in found]
            if swing == 0 and not flip_pts:
                continue
            drv = {"parameter": p.path, "range": [p.low, p.high], "base": p.base, "low_value": lv, "high_value": hv,
                   "swing": _clean(swing), "flips": bool(flip_pts), "flip_at": None}
            if flip_pts:
                # the flip nearest the base, in units of the parameter's range
                s, (at, pt) = min(flip_pts, key=lambda x: abs(_num(x[1][0]) - _num(p.base)))
                drv["flip_at"] = at
                drv["flip_side"] = s
                drv["flip_points"] = [{"side": s2, "value": a2} for s2, (a2, _) in flip_pts]
                drv["sentence"] = sentence(f, p, at, s, base, pt)
            drivers.append(drv)
        drivers.sort(key=lambda d: (not d["flips"], -d["swing"]))
        figures.append(_figure_entry(f, base, min(vals), max(vals), drivers))
    return {"figures": figures, "base_detail": base.detail}


def _num(x) -> float:
    return float(x) if not isinstance(x, bool) else float(int(x))


def _figure_entry(f, base, low, high, drivers, p05=None, p50=None, p95=None):
    vd = verdict_of(f)
    return {"figure": f, "value": base.figures[f], "low": low, "high": high, "p05": p05, "p50": p50, "p95": p95,
            "verdict": None if vd is None else {"name": vd[0], "base": bool(vd[1](base.figures[f]))},
            "drivers": drivers}


# --- plain sentences -------------------------------------------------------------------------------
def condition(p: Parameter, at, side: str) -> str:
    """The assumption, in words: what you would have to believe for the flip."""
    if p.kind == "switch":
        return p.label.replace(" is on", " is switched off") if at is False else p.label
    if p.kind == "bool":
        if p.path == "doctrine.require_track":
            return "a radar track is required at the intercept" if at else "no radar track is required at the intercept"
        return f"{p.path} is {p.value_text(at)}"
    unit = f" {p.unit}" if p.unit else ""
    if side == "high":
        return f"{p.label} is at least {p.value_text(at)}{unit}"
    return f"{p.label} is at most {p.value_text(at)}{unit}"


def subject(f: str, base: Point, pt: Point) -> str:
    """What flips, in words (the Russian pairs named from the flip point's detail)."""
    if f == "russian_pairs_engageable":
        if base.figures[f] > 0:
            pairs = base.detail.get("russian_pairs", [])
            if pairs and len(pairs) <= 6:
                return (f"Russian ICBMs from {_join(sorted({a for a, _ in pairs}))} "
                        f"(to {_join(sorted({b for _, b in pairs}))}) stop being engageable")
            return "Russian ICBMs flying to the US stop being engageable"
        pairs = pt.detail.get("russian_pairs", [])
        bases = sorted({a for a, _ in pairs})
        targets = sorted({b for _, b in pairs})
        if bases:
            return (f"Russian ICBMs from {_join(bases)} (to {_join(targets)}) become engageable")
        return "Russian ICBMs become engageable"
    name = f.split(":", 1)[1]
    return f"{name} stops being defended" if base.figures[f] > 0 else f"{name} becomes defended"


def sentence(f: str, p: Parameter, at, side: str, base: Point, pt: Point) -> str:
    return f"{subject(f, base, pt)} if {condition(p, at, side)}."


def _join(items):
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# --- Sobol' ---------------------------------------------------------------------------------------
_WORKER_EVALUATORS: dict = {}


def _draw(p: Parameter, u: float):
    if p.kind in ("bool", "switch"):
        return bool(u >= 0.5) if p.high is True else bool(u < 0.5)
    v = float(p.low) + u * (float(p.high) - float(p.low))
    if p.snap:
        v = min(max(round(v / p.snap) * p.snap, float(p.low)), float(p.high))
    return _clean(v)


def sobol_chunk(config: dict, rows: list[list]) -> list[dict]:
    """Evaluate a chunk of sample points (runs on a Dask worker; one Evaluator per worker)."""
    key = json.dumps({k: config[k] for k in ("scenario", "overrides", "seed", "resolution_deg")}, sort_keys=True)
    ev = _WORKER_EVALUATORS.get(key)
    if ev is None:
        ev = _WORKER_EVALUATORS[key] = Evaluator(config["scenario"], config["overrides"], config["seed"],
                                                 config["resolution_deg"])
    out = []
    for j, settings in rows:
        t0 = time.perf_counter()
        pt = ev(tuple(settings))
        out.append({"point": j, **pt.figures, "point_wall_s": round(time.perf_counter() - t0, 3)})
    return out


def sobol_design(params: list[Parameter], n: int, seed: int):
    """Unit draws (n*(d+2), d): the matrices A, B and AB_i (A with column i from B), stacked.

    One scrambled Sobol' sequence of dimension 2d seeded by the scenario: its first d
    columns are A, its last d are B (Saltelli et al. 2010, sec. 3)."""
    from scipy.stats import qmc

    d = len(params)
    sampler = qmc.Sobol(d=2 * d, scramble=True, seed=seed)
    m = math.log2(n)
    base = sampler.random_base2(int(m)) if m == int(m) else sampler.random(n)
    a, b = base[:, :d], base[:, d:]
    blocks = [a, b]
    for i in range(d):
        ab = a.copy()
        ab[:, i] = b[:, i]
        blocks.append(ab)
    u = np.vstack(blocks)
    return u


def sobol_indices(y: np.ndarray, n: int, d: int):
    """First-order (Saltelli et al. 2010, eq. (b) of table 2) and total-order (Jansen 1999)
    indices from f(A), f(B), f(AB_i) stacked as ``sobol_design`` orders them.

        S_i  = mean(f(B) * (f(AB_i) - f(A))) / V
        ST_i = mean((f(A) - f(AB_i))**2) / (2 V),      V = var([f(A), f(B)])
    """
    fa, fb = y[:n], y[n:2 * n]
    var = float(np.var(np.concatenate([fa, fb])))
    s1, st = np.full(d, np.nan), np.full(d, np.nan)
    if var > 0:
        for i in range(d):
            fab = y[(2 + i) * n:(3 + i) * n]
            s1[i] = float(np.mean(fb * (fab - fa)) / var)
            st[i] = float(np.mean((fa - fab) ** 2) / (2 * var))
    return s1, st


def run_sobol(scenario, params, out, *, samples, overrides, seed, resolution_deg, address=None, n_workers=2,
              progress=None, chunk=8) -> dict:
    """Sample, evaluate on Dask (finished chunks kept in DIR as Parquet), estimate indices."""
    import pandas as pd

    from ..io import atomic_write_parquet
    from ..scenario import load_scenario

    sc = load_scenario(scenario, overrides=overrides, seed=seed)
    n, d = int(samples), len(params)
    u = sobol_design(params, n, sc.seed)
    values = [[_draw(p, x) for p, x in zip(params, row)] for row in u]
    settings = [[p.setting(v) for p, v in zip(params, row)] for row in values]
    config = {"scenario": str(scenario), "overrides": list(overrides), "seed": seed, "resolution_deg": resolution_deg}
    tag = hashlib.sha256(json.dumps({**config, "params": [p.to_dict() for p in params], "n": n},
                                    sort_keys=True, default=str).encode()).hexdigest()[:12]
    out = Path(out)
    pdir = out / f"sobol-{tag}"
    pdir.mkdir(parents=True, exist_ok=True)
    chunks = [list(range(s, min(len(settings), s + chunk))) for s in range(0, len(settings), chunk)]
    todo = [k for k in range(len(chunks)) if not (pdir / f"chunk-{k:05d}.parquet").exists()]
    if todo:
        _sobol_compute(config, chunks, todo, settings, pdir, address, n_workers, progress)
    frame = pd.concat([pd.read_parquet(pdir / f"chunk-{k:05d}.parquet") for k in range(len(chunks))])
    frame = frame.sort_values("point").reset_index(drop=True)
    table = {"point": frame["point"].to_numpy()}
    for i, p in enumerate(params):
        table[p.path] = np.array([row[i] for row in values], dtype=float)
    for c in frame.columns:
        if c != "point":
            table[c] = frame[c].to_numpy()
    atomic_write_parquet(out / "sobol.parquet", table, metadata={"scenario": sc.name, "samples": str(n)})
    return {"frame": frame, "unit": u, "n": n, "computed_chunks": len(todo), "reused_chunks": len(chunks) - len(todo)}


def _sobol_compute(config, chunks, todo, settings, pdir, address, n_workers, progress):
    from dask.distributed import as_completed

    from ..io import atomic_write_parquet
    from .sweep import dask_client

    with dask_client(address, n_workers) as client:
        futs = {client.submit(sobol_chunk, config, [[j, settings[j]] for j in chunks[k]], pure=False): k
                for k in todo}
        tick = progress.task("sensitivity: sobol points", len(todo)) if progress else (lambda k=1: None)
        for fut in as_completed(futs):
            k = futs[fut]
            rows = fut.result()
            cols = {c: np.array([r.get(c, np.nan) for r in rows], dtype=float) for c in rows[0]}
            cols["point"] = cols["point"].astype(np.int64)
            atomic_write_parquet(pdir / f"chunk-{k:05d}.parquet", cols)
            tick()


def summarise_sobol(ev_base: Point, params, res) -> list[dict]:
    frame, u, n = res["frame"], res["unit"], res["n"]
    d = len(params)
    figures = []
    ab = np.vstack([u[:n], u[n:2 * n]])
    for f in ev_base.figures:
        if f not in frame.columns:
            continue
        y = frame[f].to_numpy(dtype=float)
        s1, st = sobol_indices(y, n, d)
        y_ab = y[:2 * n]
        vd = verdict_of(f)
        ind = None
        if vd is not None:
            ind = np.array([1.0 if vd[1](v) else 0.0 for v in y])
            _, st_ind = sobol_indices(ind, n, d)
        drivers = []
        for i, p in enumerate(params):
            lo_sel, hi_sel = ab[:, i] < 0.5, ab[:, i] >= 0.5
            if p.kind in ("bool", "switch") and p.high is not True:
                lo_sel, hi_sel = hi_sel, lo_sel
            lv = float(np.mean(y_ab[lo_sel])) if lo_sel.any() else None
            hv = float(np.mean(y_ab[hi_sel])) if hi_sel.any() else None
            flips = bool(ind is not None and np.isfinite(st_ind[i]) and st_ind[i] >= 0.05)
            if not (np.isfinite(st[i]) and st[i] > 1e-3) and not flips:
                continue
            drivers.append({"parameter": p.path, "range": [p.low, p.high], "base": p.base,
                            "low_value": None if lv is None else round(lv, 4),
                            "high_value": None if hv is None else round(hv, 4), "flips": flips, "flip_at": None,
                            "first_order": None if not np.isfinite(s1[i]) else round(float(s1[i]), 4),
                            "total_order": None if not np.isfinite(st[i]) else round(float(st[i]), 4),
                            "swing": None if lv is None or hv is None else round(abs(hv - lv), 4)})
        drivers.sort(key=lambda x: -(x["total_order"] or 0.0))
        q = np.percentile(y_ab, [5, 50, 95])
        entry = _figure_entry(f, ev_base, float(np.min(y)), float(np.max(y)), drivers,
                              *(round(float(v), 4) for v in q))
        if ind is not None:
            entry["verdict"]["share"] = round(float(np.mean(ind[:2 * n])), 4)
        figures.append(entry)
    return figures


# --- the command ----------------------------------------------------------------------------------
@dataclass
class SensitivityResult:
    data: dict

    def to_dict(self) -> dict:
        return self.data


def run_sensitivity(scenario: str, method: str = "oat", *, samples: int | None = None, address: str | None = None,
                    out=None, overrides=(), seed=None, interceptor_speed=None, params_only=None,
                    resolution_deg: float | None = None, n_workers: int = 2, progress: bool = False) -> SensitivityResult:
    from ..io import write_json
    from ..scenario import load_scenario
    from .run import Progress

    t0 = time.perf_counter()
    if method not in METHODS:
        raise ScenarioError("--method", f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    if samples is not None and samples < 2:
        raise ScenarioError("--samples", f"must be at least 2, got {samples}")
    if resolution_deg is not None and not 0.05 < resolution_deg <= 10:
        raise ScenarioError("--resolution-deg", f"must be in (0.05, 10], got {resolution_deg}")
    ov = list(overrides)
    if interceptor_speed is not None:
        # --interceptor-speed as what it means, every battery's burnout speed, so that the
        # battery speed remains a parameter (a later --set of it replaces this base value).
        if not 0.5 <= interceptor_speed <= 15.0:
            raise ScenarioError("--interceptor-speed", f"{interceptor_speed} km/s is outside the supported 0.5-15 km/s")
        sc0 = load_scenario(scenario, overrides=ov, seed=seed)
        ov += [f"batteries.{i}.burnout_speed_km_s={interceptor_speed:g}" for i in range(len(sc0.batteries))]
    params, skipped = parameters(scenario, ov, seed)
    params = select(params, params_only)
    with Progress(progress) as pg:
        step = pg.task("sensitivity: flights", 1)
        ev = Evaluator(scenario, ov, seed, resolution_deg)
        step()
        data = {"scenario": ev_name(scenario, ov, seed), "method": method,
                "resolution_deg": ev.resolution_deg, "parameters": [p.to_dict() for p in params]}
        if method == "oat":
            res = run_oat(ev, params, pg)
            data["figures"] = res["figures"]
            data["base_russian_pairs"] = [list(x) for x in res["base_detail"].get("russian_pairs", [])]
        else:
            if out is None:
                raise ScenarioError("-o", "--method sobol stores its points in a directory: give -o DIR")
            n = samples or SOBOL_DEFAULT_SAMPLES
            base = ev()
            res = run_sobol(scenario, params, out, samples=n, overrides=ov, seed=seed,
                            resolution_deg=ev.resolution_deg, address=address, n_workers=n_workers, progress=pg)
            data["figures"] = summarise_sobol(base, params, res)
            data.update({"samples": n, "points": int(len(res["frame"])), "computed_chunks": res["computed_chunks"],
                         "reused_chunks": res["reused_chunks"]})
    data["skipped"] = skipped
    data["evaluations"] = ev.evaluations
    data["seconds"] = round(time.perf_counter() - t0, 1)
    if out is not None:  # the charts first, sensitivity.json (naming them) last: it marks DIR complete
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        from ..report.sensitivity import write_tornados

        data["charts"] = write_tornados(out, data)
        write_json(out / "sensitivity.json", data)
    return SensitivityResult(data)


def ev_name(scenario, overrides, seed) -> str:
    from ..scenario import load_scenario

    return load_scenario(scenario, overrides=overrides, seed=seed).name
