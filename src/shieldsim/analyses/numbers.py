"""The numbers a run states: each computed once, rounded once, written the same everywhere.

A run's headline figures (the defended share, the first engageable interceptor speed,
each threat's shots and kill probability, the raid's leakers...) appear in the report's
summary, its tables, its charts' annotations, ``results.json`` and the README. They all
come from one ``Number`` made here: ``value`` is the rounded value every output shows and
``text`` how it is written, both from the one table of decimals per unit (``DECIMALS``).
``headline_numbers`` builds them from the sections of ``results.json``; ``run`` writes
them under ``results["headline"]`` and the report and ``tools/readme_headline.py`` read
them from there (``{value, unit, text, digits, label, model}``), never rounding a figure of
their own.

Where two models give a figure (the Stone Soup tracker and the batch fire-control
surrogate, DESIGN.md), ``model`` says which one the number comes from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Decimals shown per unit: the one place a figure is rounded.
DECIMALS = {"%": 0, "km/s": 2, "s": 0, "km": 0, "": 2, "warheads": 2}
#: The two fire-control models (DESIGN.md, "Fire control in the batch analyses").
TRACKER = "tracker"
SURROGATE = "fire-control surrogate"


@dataclass(frozen=True)
class Number:
    """One stated figure.

    Attributes
    ----------
    key : its name in ``results["headline"]`` (``None`` for a table cell that is no headline).
    value : the rounded value every output shows (an int for counts; ``None``: never / none).
    unit : ``%``, ``km/s``, ``s``, ``km``, ``warheads`` or ``""`` (probabilities, counts).
    digits : the value as written, without its unit (``"7.99"``; ``"—"`` for None).
    label : what it is, in words.
    model : which model gave it, where two do (``TRACKER`` or ``SURROGATE``).
    """

    key: str | None
    value: float | int | None
    unit: str
    digits: str
    label: str = ""
    model: str | None = None

    @property
    def text(self) -> str:
        """The value with its unit, as sentences write it: ``"7.99 km/s"``, ``"65 %"``."""
        if self.value is None:
            return "never" if self.unit == "s" else "none"
        if not self.unit or self.unit == "count":
            return self.digits
        return f"{self.digits} {self.unit}"

    def to_dict(self) -> dict:
        return {"value": self.value, "unit": self.unit, "text": self.text, "digits": self.digits, "label": self.label,
                "model": self.model}


def rounded(value, unit: str):
    """``value`` rounded as ``unit`` is shown (``None`` for None, NaN or inf; ints stay ints)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) or unit == "count":
        return int(value)
    x = float(value)
    if not math.isfinite(x):
        return None
    nd = DECIMALS.get(unit, 2)
    r = round(x, nd)
    return int(r) if nd == 0 else r + 0.0  # + 0.0: no "-0.0"


def number(key: str | None, value, unit: str, label: str = "", model: str | None = None) -> Number:
    """The one constructor: rounds ``value`` as ``unit`` is shown and writes it."""
    v = rounded(value, unit)
    if v is None:
        digits = "—"
    elif isinstance(v, int):
        digits = str(v)
    else:
        digits = f"{v:.{DECIMALS.get(unit, 2)}f}"
    return Number(key, v, unit, digits, label, model)


def percent(key: str | None, fraction, label: str = "") -> Number:
    """A fraction in [0, 1] stated as a percentage."""
    return number(key, None if fraction is None else 100.0 * float(fraction), "%", label)


def speed_thresholds(pairs: list[dict], slowest_km_s: float) -> dict[tuple[str, str], float]:
    """Per launch × target of the reach table: the lowest interceptor burnout speed (km/s,
    rounded as stated) at which some battery engages it; ``slowest_km_s`` (the slowest
    speed scanned) where one already does there, inf where none does at any speed scanned."""
    out: dict[tuple[str, str], float] = {}
    for p in pairs:
        key = (p["launch"], p["target"])
        if p.get("min_burnout_speed_below_grid"):
            v = rounded(slowest_km_s, "km/s")
        elif p.get("min_burnout_speed_km_s") is None:
            v = math.inf
        else:
            v = rounded(p["min_burnout_speed_km_s"], "km/s")
        out[key] = min(out.get(key, math.inf), v)
    return out


def engageable_fraction(thresholds: dict, speeds_km_s) -> list[float]:
    """Fraction of launch × target pairs engageable at each interceptor speed (a step
    function of the rounded thresholds, so the chart and the table agree to the digit)."""
    vals = list(thresholds.values()) or [math.inf]
    return [sum(v <= s for v in vals) / len(vals) for s in speeds_km_s]


def step_curve(thresholds: dict, lo_km_s: float = 4.0, hi_km_s: float = 11.0, step_km_s: float = 0.25):
    """Speeds and fractions that draw ``engageable_fraction`` as the step function it is:
    a regular grid plus each threshold and a point just below it (1e-6 km/s), so a chart's
    "first engageable" and "half engageable" marks land on thresholds, not between samples."""
    grid = {round(lo_km_s + k * step_km_s, 6) for k in range(int(round((hi_km_s - lo_km_s) / step_km_s)) + 1)}
    for v in thresholds.values():
        if math.isfinite(v):
            grid |= {v, v - 1e-6} if v > lo_km_s else {v}
    speeds = sorted(grid)
    return speeds, engageable_fraction(thresholds, speeds)


def half_speed(thresholds: dict) -> float | None:
    """The lowest threshold at which at least half the pairs are engageable (None if never)."""
    vals = sorted(thresholds.values())
    if not vals:
        return None
    k = math.ceil(len(vals) / 2) - 1
    return vals[k] if math.isfinite(vals[k]) else None


def headline_numbers(results: dict) -> dict[str, Number]:
    """Every headline figure of a run, from the sections of ``results.json`` it has.

    Keys: ``defended_pct`` (and ``defended_pct:MISSILE``), ``reachable_points``,
    ``flown_burnout_speed_km_s:BATTERY`` and ``nominal_burnout_speed_km_s:BATTERY``,
    ``reach_pairs``, ``reach_pairs_engageable``, ``reach_pairs_faster``, ``reach_pairs_never``,
    ``first_engageable_speed_km_s``, ``last_threshold_speed_km_s``,
    ``half_engageable_speed_km_s``; per threat ``shots:T``, ``p_kill:T``,
    ``first_intercept_s:T``, ``intercept_altitude_km:T``, ``closing_speed_km_s:T``,
    ``fire_control_s:T`` (the surrogate the shots use) and ``tracker_fire_control_s:T``;
    ``raid_size``, ``raid_p_no_leak``, ``raid_expected_leakers`` and per decoy count
    ``raid_expected_leakers:decoys=D``; per city ``city_shots:CITY``.
    """
    steps = (_defence_numbers, _footprint_numbers, _reach_numbers, _engage_numbers, _raid_numbers, _city_numbers)
    return {n.key: n for step in steps for n in step(results)}


def _defence_numbers(results: dict):
    for b in (results.get("defence") or {}).get("batteries", []):
        yield number(f"flown_burnout_speed_km_s:{b['name']}", b["burnout_speed_km_s"], "km/s",
                     f"{b['name']}'s {b['interceptor']} burnout speed as flown")
        if b.get("nominal_burnout_speed_km_s") is not None:
            yield number(f"nominal_burnout_speed_km_s:{b['name']}", b["nominal_burnout_speed_km_s"], "km/s",
                         f"{b['name']}'s {b['interceptor']} burnout speed as set ({b.get('burnout_speed_set_by')})")


def _footprint_numbers(results: dict):
    fp = results.get("footprint")
    if not fp:
        return
    yield percent("defended_pct", fp["defended_fraction"], "share of the reachable aim points defended")
    yield number("reachable_points", fp["reachable_points"], "count", "aim points the missiles reach")
    for m in fp.get("missiles") or []:
        if m.get("aim_points"):
            yield percent(f"defended_pct:{m['missile']}", m["defended_fraction"],
                          f"share of the aim points {m['missile']} attacks that are defended")


def _reach_numbers(results: dict):
    reach = results.get("reach")
    if not reach:
        return
    pairs = reach["pairs"]
    th = speed_thresholds(pairs, min(reach.get("speeds_km_s") or [4.0]))
    now = {(p["launch"], p["target"]) for p in pairs if p["feasible"]}
    faster = [v for k, v in th.items() if k not in now and math.isfinite(v)]
    yield number("reach_pairs", len(th), "count", "launch × target pairs")
    yield number("reach_pairs_engageable", len(now), "count", "pairs engageable at the scenario's interceptor speed")
    yield number("reach_pairs_faster", len(faster), "count", "pairs engageable only by a faster interceptor")
    yield number("reach_pairs_never", len(th) - len(now) - len(faster), "count",
                 "pairs engageable at no interceptor speed scanned")
    finite = [v for v in th.values() if math.isfinite(v)]
    yield number("first_engageable_speed_km_s", min(finite, default=None), "km/s",
                 "lowest interceptor burnout speed at which some pair is engageable")
    yield number("last_threshold_speed_km_s", max(finite, default=None), "km/s",
                 "highest interceptor burnout speed any engageable pair needs")
    yield number("half_engageable_speed_km_s", half_speed(th), "km/s",
                 "lowest interceptor burnout speed at which half the pairs are engageable")


def _engage_numbers(results: dict):
    """Per threat: the batch model's shots and first intercept, then the tracker's fire control."""
    for t in (results.get("engage") or {}).get("threats", []):
        name = t["threat"]
        yield number(f"shots:{name}", t["shot_opportunities"], "count", f"{name}: shot opportunities")
        yield number(f"p_kill:{name}", t["p_kill"], "", f"{name}: kill probability")
        e = t["engagements"][0] if t["engagements"] else {}
        yield number(f"first_intercept_s:{name}", e.get("intercept_s"), "s", f"{name}: first intercept", SURROGATE)
        yield number(f"intercept_altitude_km:{name}", e.get("intercept_altitude_km"), "km",
                     f"{name}: altitude of the first intercept", SURROGATE)
        yield number(f"closing_speed_km_s:{name}", e.get("closing_speed_km_s"), "km/s",
                     f"{name}: closing speed of the first intercept", SURROGATE)
        yield number(f"fire_control_s:{name}", t.get("fire_control_s"), "s",
                     f"{name}: fire-control track (the batch model the shots use)", SURROGATE)
    for o in (results.get("observe") or {}).get("threats", []):
        name = o["threat"]
        yield number(f"tracker_fire_control_s:{name}", o.get("fire_control_s"), "s",
                     f"{name}: fire-control track of the Stone Soup tracker (the reference)", TRACKER)


def _raid_numbers(results: dict):
    raid = results.get("raid")
    if not raid:
        return
    size = raid.get("headline_size") or raid["raid_sizes"][-1]
    k = raid["raid_sizes"].index(size) if size in raid["raid_sizes"] else len(raid["raid_sizes"]) - 1
    base = raid["curves"][0]
    yield number("raid_size", raid["raid_sizes"][k], "count", f"raid size ({raid['threat']})")
    yield number("raid_p_no_leak", base["p_no_leak"][k], "", f"probability no warhead of the raid leaks "
                                                             f"({base['label']})")
    yield number("raid_expected_leakers", base["expected_leakers"][k], "warheads",
                 f"expected leaking warheads of the raid ({base['label']})")
    for c in raid["curves"]:
        yield number(f"raid_expected_leakers:decoys={c['decoys']}", c["expected_leakers"][k], "warheads",
                     f"expected leaking warheads of the raid ({c['label']})")


def _city_numbers(results: dict):
    for c in results.get("cities") or []:
        yield number(f"city_shots:{c['city']}", c["shot_opportunities"] if c["reachable"] else None, "count",
                     f"{c['city']}: shot opportunities")
