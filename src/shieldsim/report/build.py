"""The scenario report: the results of ``run`` turned into one self-contained HTML page.

Answers first: a table of the scenario's questions, each answer as a number with its unit
and the assumption it rests on most (from the key-assumptions sensitivity, DIR/sensitivity.json).
Then "What you would have to believe" (tornado charts and flip sentences), the cities of the
footprint's region (defended? how many shots? by which battery? if not, why?), the
defended-area map, the reach question (table with the reason each pair is not engageable,
ground tracks, the interceptor speed at which the answer flips), the scenario's threats
(shots, outcomes, both fire-control models), raids with and without decoys, the sensors,
the provenance of the run, and the assumptions with their sources.

Every figure the page states comes from ``results["headline"]`` (``analyses.numbers``):
rounded once, written the same in the answers, the tables, the charts and the README. Every
place, battery and sensor is named from the scenario (countries from the shipped Natural
Earth outlines), never from the 2007 case.
"""

from __future__ import annotations

import functools
import html
import math

from ..earth import wrap_lon
from ..analyses.numbers import Number, number, percent, speed_thresholds, step_curve
from .html import write_report
from .maps import display_name, plot_footprint, plot_ground_tracks, report_map
from .plots import plot_engagement_timeline, plot_raid_curves, plot_speed_flip, value_text

SKIPPED = "Not computed (skipped): this run left out `{part}` (`--skip`/`--only`)."
#: Raid curves closer than this (probability and warheads) are said to coincide.
COINCIDE_TOL = 0.01


# --- places in words --------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _countries():
    from shapely.prepared import prep

    from .maps import load_countries

    return [(name, geom, prep(geom)) for name, geom in load_countries("50m") if name]


def country_at(lat_deg: float, lon_deg: float, coast_deg: float = 0.3) -> str | None:
    """The country (Natural Earth name) at a point, or the nearest within ``coast_deg`` (a
    coastal site the 1:50m outline misses); None at sea."""
    from shapely.geometry import Point

    pt = Point(wrap_lon(lon_deg, degrees=True), lat_deg)
    shapes = _countries()
    for name, _, prepared in shapes:
        if prepared.contains(pt):
            return name
    dist, name = min(((geom.distance(pt), name) for name, geom, _ in shapes), default=(math.inf, None))
    return name if dist <= coast_deg else None


def _is_coordinates(name: str) -> bool:
    try:
        [float(x) for x in str(name).split(",")]
    except ValueError:
        return False
    return "," in str(name)


def coordinates_text(lat_deg: float, lon_deg: float) -> str:
    return (f"{abs(lat_deg):.1f}\u00b0 {'N' if lat_deg >= 0 else 'S'}, "
            f"{abs(lon_deg):.1f}\u00b0 {'E' if lon_deg >= 0 else 'W'}")


def place_text(name: str, lat_deg: float, lon_deg: float) -> str:
    """A place as a reader wants it: "Redzikowo (Poland)", "34.0° N, 26.0° E (at sea)"."""
    label = coordinates_text(lat_deg, lon_deg) if _is_coordinates(name) else title_case(name)
    country = country_at(lat_deg, lon_deg)
    return f"{label} ({country or 'at sea'})"


def title_case(name: str) -> str:
    return str(name).replace("-", " ").title()


def _join(items) -> str:
    items = list(items)
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def battery_sites_text(defence_summary: dict) -> str:
    """Where the scenario's batteries stand, in words: "Redzikowo (Poland)"."""
    seen = []
    for b in defence_summary.get("batteries", []):
        t = place_text(b.get("site", b["name"]), b["lat_deg"], b["lon_deg"])
        if t not in seen:
            seen.append(t)
    return _join(seen) or "no battery"


def _group_words(names, group: str, words: str) -> str:
    """``words`` if every name is a catalog site of ``group`` (the default lists), else the names."""
    from .. import catalog

    names = list(dict.fromkeys(names))
    groups = set()
    for n in names:
        try:
            groups.add(catalog.get(n, kind="site").get("group"))
        except Exception:  # noqa: BLE001 - a LAT,LON place: no group
            groups.add(None)
    if groups == {group}:
        return f"{len(names)} {words}"
    return _join([title_case(n) if not _is_coordinates(n) else n for n in names])


def reach_words(results: dict) -> dict:
    """The reach question's words from the scenario: its batteries' sites, the missile, the
    launch sites and targets (the catalog's Russian ICBM bases and US cities by default)."""
    from ..analyses.run import RUSSIAN_GROUP, US_GROUP

    pairs = (results.get("reach") or {}).get("pairs") or []
    missile = (results.get("reach") or {}).get("missile") or "ICBM"
    launches = _group_words([p["launch"] for p in pairs], RUSSIAN_GROUP, "Russian ICBM bases")
    targets = _group_words([p["target"] for p in pairs], US_GROUP, "US cities")
    sites = battery_sites_text(results.get("defence") or {})
    return {"sites": sites, "missile": missile, "launches": launches, "targets": targets,
            "question": f"Can the interceptors at {sites} engage {missile} flights from {launches} to {targets}?"}


# --- stated numbers -----------------------------------------------------------------------------
def stated(results: dict) -> dict[str, Number]:
    """``results["headline"]`` back as ``Number`` objects (the values the run rounded once)."""
    return {k: Number(k, v["value"], v["unit"], v["digits"], v.get("label", ""), v.get("model"))
            for k, v in (results.get("headline") or {}).items()}


def span(n: Number | None, with_unit: bool = True) -> str:
    """A stated number as markup, marked with its key (``data-figure``)."""
    if n is None:
        return "—"
    body = html.escape(n.text if with_unit else n.digits)
    return f'<span data-figure="{html.escape(n.key, quote=True)}">{body}</span>' if n.key else body


# --- the report --------------------------------------------------------------------------------
def scenario_report(path, ctx, results, fp, reach, raid, flown, assessment) -> list[tuple[str, object]]:
    """Write the report of a run to ``path``; returns its figures as ``(name, Figure)`` (for
    ``html.save_figures``). Parts the run skipped (``None`` here, ``null`` in ``results``)
    say "not computed (skipped)"."""
    from pathlib import Path

    from .sensitivity import load_for_report, sensitivity_section, top_driver

    sc = ctx.scenario
    d = ctx.defence
    nums = stated(results)
    computed = set((results.get("parts") or {}).get("computed") or [])
    sens = load_for_report(Path(path).parent, sc.name) if "key_assumptions" in computed else None
    words = dict(reach_words(results), speed_band=sc.report.speed_band)
    files: list[tuple[str, object]] = []

    summary_html = _answers(results, nums, sens, words, top_driver)
    summary = _summary_paragraphs(ctx, results, nums)

    sens_notes = []
    first = nums.get("first_engageable_speed_km_s")
    if sens and first is not None and first.value is not None:
        for f in sens.get("figures", []):
            if f["figure"] == "russian_pairs_engageable":
                for drv in f["drivers"]:
                    if drv.get("flips") and drv["parameter"].endswith("burnout_speed_km_s"):
                        sens_notes.append(
                            f"The flip speed here ({drv['flip_at']:g} km/s) is a bisection on 0.05 km/s steps; the "
                            f"reach table's scan puts the lowest threshold at {first.text} (interpolated between "
                            "the speeds it scans), the figure the rest of this report uses.")
    sec = sensitivity_section(sens, sc.name, reach_question=words["question"],
                              skipped="key_assumptions" not in computed, notes=sens_notes)
    files += sec.pop("files", [])
    sections = [sec]
    sections.append(_cities_section(results, nums))
    sections.append(_footprint_section(results, fp, d, files, nums))
    sections.append(_reach_section(results, reach, d, words, files, nums))
    sections.append(_engage_section(results, flown, d, files, nums))
    sections.append(_raid_section(results, raid, files, nums))
    sections.append(_sensor_section(results))
    sections.append(_sharing_section(results))
    sections.append(_provenance_section(results))
    prov = results.get("provenance") or {}
    commit = prov.get("git_commit")
    meta = (f"shieldsim {prov.get('shieldsim_version', '?')}"
            + (f" \u00b7 commit {commit[:12]}" + (" with uncommitted changes" if prov.get("git_dirty") else "")
               if commit else " \u00b7 commit unknown")
            + f" \u00b7 scenario {sc.name} \u00b7 seed {results['seed']}")
    write_report(path, title=f"shieldsim: {sc.title or sc.name}", summary_paragraphs=summary, sections=sections,
                 assumptions=_assumptions(ctx, results, nums), summary_html=summary_html, meta=meta)
    return files


def _answers(results, nums, sens, words, top_driver) -> str:
    """The answers table: question, answer with its unit, the assumption it rests on most."""
    rows = []

    def rests(figure: str, unit: str = "count") -> str:
        """The figure's top driver in words; its values are shown as ``unit`` is (a fraction
        as %), from the sensitivity, whose footprint is on a coarser grid."""
        if sens is None:
            return "key assumptions not computed"
        drv = top_driver(sens, figure)
        if drv is None:
            return "no key assumption moves it"
        if drv.get("sentence"):
            return drv["sentence"]
        shown = [("?" if x is None else (percent(None, x) if unit == "%" else number(None, x, unit)).text)
                 for x in (drv.get("low_value"), drv.get("high_value"))]
        rng = drv.get("range") or [None, None]
        where = f" (sensitivity at {sens.get('resolution_deg')}\u00b0)" if unit == "%" else ""
        par_unit = f" {drv['unit']}" if drv.get("unit") else ""
        return (f"{drv['label']} ({_v(rng[0])}\u2013{_v(rng[1])}{par_unit}): moves it between {shown[0]} and "
                f"{shown[1]}{where}, no flip")

    fp = results.get("footprint")
    if fp:
        missiles = _join([f"{m['missile']} from {title_case(m['launch'])}" for m in fp.get("missiles") or []])
        rows.append((f"How much of the region the attacker's missiles reach ({missiles}) is defended?",
                     f"{span(nums.get('defended_pct'))} of {span(nums.get('reachable_points'))} aim points",
                     rests("defended_fraction", "%")))
    else:
        rows.append(("How much of the region is defended?", html.escape(_skip("footprint")), ""))
    eng = results.get("engage")
    threats = {t["threat"]: t for t in results.get("threats") or []}
    if eng:
        for t in eng["threats"]:
            name = t["threat"]
            th = threats.get(name, {})
            q = (f"Can {name} ({th.get('missile', '?')} from {title_case(th.get('from', '?'))} to "
                 f"{title_case(th.get('to', '?'))}) be engaged?")
            if t["shot_opportunities"] > 0:
                by = _join([f"{b} \u00d7{k}" for b, k in t.get("shots_by_battery", {}).items()])
                a = (f"yes: {span(nums.get(f'shots:{name}'))} shot opportunit"
                     f"{'y' if t['shot_opportunities'] == 1 else 'ies'} ({html.escape(by)}), kill probability "
                     f"{span(nums.get(f'p_kill:{name}'))}")
            else:
                why = "; ".join(f"{b}: {w['why']}" for b, w in (t.get("why_not") or {}).items()) or "no battery"
                a = f"no ({span(nums.get(f'shots:{name}'))} shots): {html.escape(why)}"
            rows.append((q, a, rests(f"shot_opportunities:{name}")))
    else:
        rows.append(("Can the scenario's threats be engaged?", html.escape(_skip("engage")), ""))
    if results.get("reach"):
        first = nums.get("first_engageable_speed_km_s")
        a = (f"{span(nums.get('reach_pairs_engageable'))} of {span(nums.get('reach_pairs'))} launch \u00d7 target "
             f"pairs at the scenario's interceptor speed")
        if nums.get("reach_pairs_faster") and nums["reach_pairs_faster"].value:
            a += (f"; {span(nums.get('reach_pairs_faster'))} more with a faster interceptor, the first from "
                  f"{span(first)}")
        if nums.get("reach_pairs_never") and nums["reach_pairs_never"].value:
            a += f"; {span(nums.get('reach_pairs_never'))} at no speed scanned"
        rows.append((words["question"], a, rests("russian_pairs_engageable")))
    else:
        rows.append(("Can the interceptors engage the reach table's flights?", html.escape(_skip("reach")), ""))
    raid = results.get("raid")
    if raid:
        decoy_curves = [c for c in raid["curves"] if c["decoys"]]
        a = (f"{span(nums.get('raid_expected_leakers'))} expected to leak (no warhead leaks with probability "
             f"{span(nums.get('raid_p_no_leak'))})")
        for c in decoy_curves:
            key = f"raid_expected_leakers:decoys={c['decoys']}"
            a += f"; with {c['decoys']} decoys per warhead {span(nums.get(key))}"
        if decoy_curves and raid_curves_coincide(raid):
            a += " (decoys change nothing here: the curves coincide)"
        rows.append((f"How many warheads of a raid of {span(nums.get('raid_size'))} \u00d7 {html.escape(raid['threat'])} "
                     "get through?", a, rests("expected_leakers", "warheads")))
    else:
        rows.append(("How many warheads of a raid get through?", html.escape(_skip("raid")), ""))
    body = "".join(f"<tr><td>{q if '<span' in q else html.escape(q)}</td><td>{a}</td><td>{html.escape(r)}</td></tr>"
                   for q, a, r in rows)
    return ('<div class="table-wrap"><table class="answers"><caption>Answers</caption><thead><tr>'
            '<th scope="col">Question</th><th scope="col">Answer</th><th scope="col">Rests most on</th>'
            f"</tr></thead><tbody>{body}</tbody></table></div>")


def _v(x) -> str:
    return value_text(x, "on", "off")


def _skip(part: str) -> str:
    return SKIPPED.format(part=part)


def raid_curves_coincide(raid: dict, tol: float = COINCIDE_TOL) -> bool:
    """Whether every raid curve (with and without decoys) lies within ``tol`` of the first."""
    base = raid["curves"][0]
    return all(abs(a - b) <= tol for c in raid["curves"][1:] for key in ("p_no_leak", "expected_leakers")
               for a, b in zip(c[key], base[key]))


def _summary_paragraphs(ctx, results, nums) -> list[str]:
    d = ctx.defence
    defence = results.get("defence") or {}
    bats = []
    for b in defence.get("batteries", []):
        flown = nums.get(f"flown_burnout_speed_km_s:{b['name']}")
        nominal = nums.get(f"nominal_burnout_speed_km_s:{b['name']}")
        pub = b.get("published_burnout_speed_km_s") or {}
        speed = f"burnout speed {flown.text} as flown"
        if nominal is not None:
            speed += (f" (the stages rescaled to the {nominal.text} set by {b['burnout_speed_set_by']}; the flown "
                      "speed is what the rescaled stack reaches, within a few m/s)")
        else:
            speed += " (the catalog stages as they are)"
        if pub.get("value") is not None:
            speed += (f"; published {pub['value']:g} km/s, range {_v(pub.get('low'))}\u2013{_v(pub.get('high'))} km/s")
        bats.append(f"{b['inventory']} {b['interceptor']} at {place_text(b.get('site', b['name']), b['lat_deg'], b['lon_deg'])}"
                    f", {speed}")
    sensors = _join(s.name for s in d.sensors) or "no sensors"
    out = [ctx.scenario.report.context.strip()] if ctx.scenario.report.context.strip() else []
    out += [f"The scenario \u201c{ctx.scenario.title or ctx.scenario.name}\u201d: " + ("; ".join(bats) or "no interceptors")
           + f". Sensors: {sensors}. Every number comes from the physics in shieldsim and the open-source parameters "
             f"listed at the end, with seed {results['seed']}; the last section says how to reproduce the run."]
    fc = results.get("fire_control")
    if results.get("engage"):
        text = (f"Fire control: every shot, battle space, footprint cell and reach pair here uses the batch "
                f"fire-control surrogate (first radar detection after burnout + {d.track_settle_s:g} s), as DESIGN.md "
                "prescribes for the batch analyses.")
        if fc:
            diffs = [r for r in fc["threats"] if r["tracker_minus_surrogate_s"] is not None]
            changed = [r["threat"] for r in fc["threats"] if r["shots_if_tracker"] != r["shots_surrogate"]]
            if diffs:
                worst = max(diffs, key=lambda r: abs(r["tracker_minus_surrogate_s"]))
                text += (f" The Stone Soup tracker (the reference, run by observe) reaches fire-control quality "
                         f"between {_signed(min(r['tracker_minus_surrogate_s'] for r in diffs))} and "
                         f"{_signed(max(r['tracker_minus_surrogate_s'] for r in diffs))} s from the surrogate "
                         f"(most for {worst['threat']}: tracker {number(None, worst['tracker_s'], 's').text}, surrogate "
                         f"{number(None, worst['surrogate_s'], 's').text}); committing at the tracker's time would "
                         + (f"change the shot opportunities of {_join(changed)}." if changed
                            else "leave every threat's shot opportunities unchanged."))
        out.append(text)
    return out


def _signed(x: float) -> str:
    return f"{x:+.0f}"


def _cities_section(results, nums) -> dict:
    heading = "Which cities are defended?"
    cities = results.get("cities")
    if cities is None:
        return {"heading": heading, "text": _skip("cities")}
    rows = []
    for c in cities:
        rows.append({"city": title_case(c["city"]),
                     "attacked_by": f"{c['missile']} from {title_case(c['launch'])}" if c["reachable"] else "out of range",
                     "defended": c["defended"] if c["reachable"] else None,
                     "shots": nums.get(f"city_shots:{c['city']}"),
                     "by_battery": ", ".join(f"{b} \u00d7{k}" for b, k in c["batteries"].items()) or "\u2014",
                     "first_intercept_s": number(None, c["first_intercept_s"], "s"),
                     "why_not": "; ".join(f"{b}: {w}" for b, w in c["why_not"].items()) if c["defended"] is False
                     and c["reachable"] else ""})
    return {"heading": heading,
            "text": "Each city of the mapped region, attacked as the defended-area map attacks it (the "
                    "shortest-range missile that reaches it, from its launch place), flown to the city itself: "
                    "defended when a battery has a shot; shots are causal look-shoot-look cycles; for a city not "
                    "defended, each battery's binding constraint (out of kinematic reach, closing speed, no "
                    "fire-control or radar track, or too late by how much).",
            "table": rows,
            "columns": {"city": "City", "attacked_by": "Attacked by", "defended": "Defended",
                        "shots": "Shots", "by_battery": "By battery", "first_intercept_s": "First intercept (s)",
                        "why_not": "Why not"}}


def _footprint_section(results, fp, d, files, nums) -> dict:
    heading = "Which part of the region is defended?"
    if fp is None:
        return {"heading": heading, "text": _skip("footprint")}
    from .. import catalog

    sites = [{"name": b.name, "lat_deg": b.lat_deg, "lon_deg": b.lon_deg, "kind": "interceptor"} for b in d.batteries]
    sites += [{"name": s.name, "lat_deg": s.lat_deg, "lon_deg": s.lon_deg, "kind": "radar"}
              for s in d.sensors if hasattr(s, "lat_deg")]
    missiles = _join([f"{m['missile']} from {title_case(m['launch'])}" for m in fp.missiles])
    fig = plot_footprint(fp.lat_deg, fp.lon_deg, fp.defended, fp.shot_opportunities, sites=sites,
                         launch=[m["launch"] for m in fp.missiles] or [fp.launch], reachable=fp.reachable,
                         title=f"Defended area against {missiles}")
    files.append(("footprint", fig))
    rows = [{"missile": m["missile"], "launch": m["launch"], "max_range_km": m.get("max_range_km"),
             "aim_points": m["aim_points"], "defended": nums.get(f"defended_pct:{m['missile']}")}
            for m in results["footprint"].get("missiles", [])]
    rows.append({"missile": "all", "launch": "", "max_range_km": None,
                 "aim_points": nums.get("reachable_points"), "defended": nums.get("defended_pct")})
    return {"heading": heading,
            "text": f"Aim points every {fp.lat_deg[1] - fp.lat_deg[0]:g}\u00b0, each attacked by the shortest-range "
                    f"missile that reaches it ({missiles}). {nums['defended_pct'].text} of the "
                    f"{nums['reachable_points'].text} aim points they reach are defended: at least one feasible "
                    "intercept after the sensors give a fire-control track (the batch surrogate). On the map, green "
                    "aim points are defended (darker: more sequential shot opportunities), orange ones are in the "
                    "missiles' reach but undefended, grey hatched ones are out of reach; the dashed line is the edge "
                    "of the reach. Computed in "
                    f"{fp.seconds:.1f} s.",
            "figures": [report_map(fig, "footprint-map")], "table": rows,
            "columns": {"missile": "Missile", "launch": "Launch", "max_range_km": "Maximum range (km)",
                        "aim_points": "Aim points reached", "defended": "Defended (%)"}}


def _reach_section(results, reach, d, words, files, nums) -> dict:
    heading = words["question"]
    if reach is None:
        return {"heading": "The reach table", "text": _skip("reach")}
    pairs = results["reach"]["pairs"]
    tracks = []
    feasible_pairs = {(r["launch"], r["target"]) for r in pairs if r["feasible"]}
    for i, s in enumerate(reach.flown.trajectory.sample(20.0)):
        spec_l, spec_t = reach.flown.launch[i].name, reach.flown.target[i].name
        tracks.append({"name": f"{spec_l}\u2192{spec_t}", "lat_deg": s["lat_deg"], "lon_deg": s["lon_deg"],
                       "engageable": (spec_l, spec_t) in feasible_pairs})
    sites = [{"name": b.name, "lat_deg": b.lat_deg, "lon_deg": b.lon_deg, "kind": "interceptor"} for b in d.batteries]
    sites += [{"name": s.name, "lat_deg": s.lat_deg, "lon_deg": s.lon_deg, "kind": "radar"}
              for s in d.sensors if hasattr(s, "lat_deg")]
    for kind, places in (("launch", reach.flown.launch), ("target", reach.flown.target)):
        seen = {}
        for p in places:
            seen.setdefault(p.name, p)
        sites += [{"name": p.name, "lat_deg": p.lat_deg, "lon_deg": p.lon_deg, "kind": kind} for p in seen.values()]
    circles = [{"lat_deg": b.lat_deg, "lon_deg": b.lon_deg, "radius_km": _reach_radius_km(b.table, 600.0),
                "label": f"{display_name(b.name)}: 600 s fly-out at 500 km"} for b in d.batteries]
    figs = [plot_ground_tracks(tracks, sites, circles,
                               title=f"{words['missile']} ground tracks and interceptor reach",
                               projection="north_polar", label_tracks=False)]
    files.append(("reach-tracks", figs[0]))
    thresholds = speed_thresholds(pairs, min(results["reach"].get("speeds_km_s") or [4.0]))
    speeds, fraction = step_curve(thresholds, lo_km_s=min([4.0, *results["reach"].get("speeds_km_s", [])]),
                                  hi_km_s=max([11.0, *results["reach"].get("speeds_km_s", [])]))
    pub = [b.get("published_burnout_speed_km_s") or {} for b in results["defence"]["batteries"]]
    lows = [p["low"] for p in pub if p.get("low") is not None]
    highs = [p["high"] for p in pub if p.get("high") is not None]
    disputed = (min(lows), max(highs)) if lows and highs else (6.0, 9.0)
    interceptors = _join(sorted({b["interceptor"] for b in results["defence"]["batteries"]}))
    flip = plot_speed_flip(speeds, fraction, disputed_km_s=disputed,
                           title=f"Could faster interceptors at {words['sites']} engage them?",
                           ylabel="flights engageable (fraction of launch \u00d7 target pairs)",
                           band_label=_braces(f"{words['speed_band']} ({interceptors})") + ": {lo:g}\u2013{hi:g} km/s")
    figs.append(flip)
    files.append(("speed-flip", flip))
    rows = []
    for r in pairs:
        rows.append({"launch": r["launch"], "target": r["target"], "battery": r["battery"], "feasible": r["feasible"],
                     "margin_s": number(None, r["margin_s"], "s"),
                     "min_burnout_speed_km_s": number(None, r["min_burnout_speed_km_s"], "km/s"),
                     "intercept_altitude_km": number(None, r["intercept_altitude_km"], "km"),
                     "why": r.get("why", "")})
    first = nums.get("first_engageable_speed_km_s")
    text = (f"For every launch site and target of the reach analysis ({words['launches']} \u00d7 {words['targets']}, "
            f"{words['missile']}, minimum-energy): whether an interceptor of this scenario can meet the missile after "
            "the sensors give a fire-control track (the batch surrogate), the launch margin (negative: how much "
            "earlier it would have had to leave), the lowest burnout speed that would make it possible (stages "
            f"rescaled consistently; interpolated between the speeds scanned, "
            f"{', '.join(f'{v:g}' for v in results['reach']['speeds_km_s'])} km/s), and why it is not engageable. "
            f"{nums['reach_pairs_engageable'].text} of {nums['reach_pairs'].text} pairs are engageable now")
    if first is not None and first.value is not None:
        text += (f"; the first becomes engageable at {first.text}"
                 + (f", the last that ever does at {nums['last_threshold_speed_km_s'].text}"
                    if nums.get("last_threshold_speed_km_s") and nums["last_threshold_speed_km_s"].value
                    != first.value else "")
                 + (f", half of them at {nums['half_engageable_speed_km_s'].text}"
                    if nums.get("half_engageable_speed_km_s") and nums["half_engageable_speed_km_s"].value else "")
                 + ". The chart draws the fraction engageable as the step function it is, one step per pair's "
                   "threshold, so its marks are the table's numbers")
    return {"heading": heading, "text": text + ".", "figures": [report_map(figs[0], "reach-map"), *figs[1:]], "table": rows,
            "columns": {"launch": "Launch", "target": "Target", "battery": "Battery", "feasible": "Engageable",
                        "margin_s": "Margin (s)", "min_burnout_speed_km_s": "Min burnout speed (km/s)",
                        "intercept_altitude_km": "Intercept altitude (km)", "why": "Why not"}}


def _braces(text: str) -> str:
    """``text`` safe inside a ``str.format`` template."""
    return text.replace("{", "{{").replace("}", "}}")


def _engage_section(results, flown, d, files, nums) -> dict:
    heading = "Engagements of the scenario's threats"
    eng = results.get("engage")
    if eng is None:
        return {"heading": heading, "text": _skip("engage")}
    obs = {t["threat"]: t for t in (results.get("observe") or {}).get("threats", [])}
    fc = {r["threat"]: r for r in (results.get("fire_control") or {}).get("threats", [])}
    rows, table = [], []
    for i, t in enumerate(eng["threats"]):
        name = t["threat"]
        ev = {"launch": 0.0, "burnout": _num(flown.trajectory.t_burnout[i])}
        o = obs.get(name, {})
        dets = [s["first_detection_s"] for s in o.get("sensors", []) if s.get("first_detection_s") is not None]
        ev["first_detection"] = min(dets) if dets else None
        ev["fire_control"] = nums[f"fire_control_s:{name}"].value
        if o:
            ev["tracker_fire_control"] = nums[f"tracker_fire_control_s:{name}"].value
        if t["engagements"]:
            ev["interceptor_launch"] = t["engagements"][0]["launch_s"]
            ev["intercept"] = nums[f"first_intercept_s:{name}"].value
            if len(t["engagements"]) > 1:
                ev["kill_assessment"] = t["engagements"][1]["intercept_s"]
        ev["impact"] = _num(flown.trajectory.t_impact[i])
        rows.append({"threat": name, "events": ev, "battle_space_s": t["battle_space_s"]})
        table.append({
            "threat": name, "shots": nums[f"shots:{name}"],
            "by_battery": ", ".join(f"{b} \u00d7{k}" for b, k in t.get("shots_by_battery", {}).items()) or "\u2014",
            "battle_space_s": t["battle_space_s"], "p_kill": nums[f"p_kill:{name}"],
            "first_intercept_s": nums[f"first_intercept_s:{name}"],
            "intercept_altitude_km": nums[f"intercept_altitude_km:{name}"],
            "closing_speed_km_s": nums[f"closing_speed_km_s:{name}"],
            "fire_control_s": nums[f"fire_control_s:{name}"],
            "tracker_fire_control_s": nums.get(f"tracker_fire_control_s:{name}"),
            "shots_if_tracker": fc.get(name, {}).get("shots_if_tracker"),
            "why_not": "; ".join(f"{b}: {w['why']}" for b, w in (t.get("why_not") or {}).items()),
        })
    fig = plot_engagement_timeline(rows)
    files.append(("engagement-timeline", fig))
    text = ("Times in seconds after each threat's launch. Two fire-control models: the batch surrogate (a radar has "
            f"held the threat for {d.track_settle_s:g} s after burnout; the interceptor may launch "
            f"{d.decision_delay_s:g} s later), which every shot, battle space and probability here uses, and the Stone "
            "Soup tracker (observe), the reference, with the shots the interceptors would have had if they waited for "
            "it.")
    if results.get("observe") is None:
        text += " " + _skip("observe")
    return {"heading": heading, "text": text, "figures": [fig], "table": table,
            "columns": {"threat": "Threat", "shots": "Shots", "by_battery": "By battery",
                        "battle_space_s": "Battle space (s)", "p_kill": "P(kill)",
                        "first_intercept_s": "First intercept (s)", "intercept_altitude_km": "Intercept altitude (km)",
                        "closing_speed_km_s": "Closing speed (km/s)",
                        "fire_control_s": "Fire control, surrogate: the shots use it (s)",
                        "tracker_fire_control_s": "Fire control, tracker: the reference (s)",
                        "shots_if_tracker": "Shots if committed at the tracker's time", "why_not": "Why not"}}


def _raid_section(results, raid, files, nums) -> dict:
    heading = "How many get through a raid?"
    r = results.get("raid")
    if raid is None or r is None:
        return {"heading": heading, "text": _skip("raid")}
    fig = plot_raid_curves(raid.sizes, raid.curves)
    files.append(("raid-curves", fig))
    threat = next((t for t in results.get("threats") or [] if t["threat"] == r["threat"]), {})
    text = (f"Raids of 1\u2013{raid.sizes[-1]} \u00d7 {r['threat']} ({threat.get('missile', '?')} from "
            f"{title_case(threat.get('from', '?'))} to {title_case(threat.get('to', '?'))}) launched together against "
            f"the finite inventory. At {nums['raid_size'].text} missiles: {nums['raid_expected_leakers'].text} expected "
            f"to leak, no leak with probability {nums['raid_p_no_leak'].text}")
    decoys = [c for c in r["curves"] if c["decoys"]]
    for c in decoys:
        key = f"raid_expected_leakers:decoys={c['decoys']}"
        text += f"; with {c['decoys']} decoys per warhead, {nums[key].text}"
    text += "."
    if decoys and raid_curves_coincide(r):
        eng = {t["threat"]: t for t in (results.get("engage") or {}).get("threats", [])}
        why = ""
        if eng.get(r["threat"], {}).get("shot_opportunities") == 0:
            why = f": the defence has no shot at {r['threat']}, so every warhead leaks with or without decoys"
        elif (results.get("defence") or {}).get("doctrine", {}).get("p_discriminate") == 1:
            why = ": the doctrine tells the warhead from its decoys at every look (doctrine.p_discriminate = 1)"
        text += f" The curves with and without decoys coincide (within {COINCIDE_TOL:g}){why}."
    return {"heading": heading, "text": text, "figures": [fig]}


def _sensor_section(results) -> dict:
    heading = "What the sensors see"
    if results.get("observe") is None:
        return {"heading": heading, "text": _skip("observe")}
    rows = []
    for t in results["observe"]["threats"]:
        for s in t["sensors"]:
            rows.append({"threat": t["threat"], "sensor": s["sensor"],
                         "first_detection_s": number(None, s["first_detection_s"], "s"),
                         "last_detection_s": number(None, s["last_detection_s"], "s"), "cued_by": s["cued_by"]})
    return {"heading": heading, "text": "Detection windows per threat and sensor.", "table": rows}


def _sharing_section(results) -> dict:
    from ..exchange.value import TITLE, report_section

    if results.get("sharing") is None:
        return {"heading": TITLE, "text": _skip("sharing")}
    return report_section(results["sharing"])


def _provenance_section(results) -> dict:
    import yaml

    prov = results.get("provenance") or {}
    cmd = prov.get("command_line")
    rows = [{"item": "shieldsim version", "value": prov.get("shieldsim_version")},
            {"item": "git commit", "value": (prov.get("git_commit") or "unknown (not run from a git checkout)")
             + (" (uncommitted changes)" if prov.get("git_dirty") else "")},
            {"item": "Python", "value": prov.get("python")},
            {"item": "command line", "value": " ".join(cmd) if cmd else "not recorded"},
            {"item": "seed", "value": str(prov.get("seed"))},
            {"item": "--set", "value": ", ".join(prov.get("overrides") or []) or "none"},
            {"item": "--interceptor-speed", "value": "none" if prov.get("interceptor_speed_km_s") is None
             else f"{prov['interceptor_speed_km_s']:g} km/s"},
            {"item": "parts skipped", "value": ", ".join((results.get("parts") or {}).get("skipped") or []) or "none"}]
    scenario = yaml.safe_dump(prov.get("scenario") or {}, sort_keys=False, allow_unicode=True)
    places = "".join(f"<li>{html.escape(n)}: {v[0]:.4f}, {v[1]:.4f}</li>" for n, v in (prov.get("places") or {}).items())
    return {"heading": "How to reproduce this run",
            "text": "The code, the scenario as the run resolved it (every value used, defaults filled in and --set "
                    "applied) and the seed. results.json holds the same under provenance.",
            "table": rows, "columns": {"item": "", "value": ""},
            "html": ("<details><summary>The scenario as resolved (YAML)</summary><pre>"
                     f"{html.escape(scenario)}</pre></details>"
                     f"<details><summary>Places as resolved (latitude, longitude)</summary><ul>{places}</ul></details>")}


def _reach_radius_km(table, t_s: float, alt_km: float = 500.0) -> float:
    """Ground distance the interceptor covers at a given altitude within t_s of launch."""
    import numpy as np

    j = int(np.clip(round(alt_km * 1e3 / (table.h_m[1] - table.h_m[0])), 0, table.h_m.size - 1))
    ok = np.isfinite(table.t_s[:, :, j]) & (table.t_s[:, :, j] <= t_s)
    if not ok.any():
        return 0.0
    return float(table.d_m[np.max(np.flatnonzero(ok.any(axis=0)))] / 1e3)


def _num(x):
    x = float(x)
    return x if math.isfinite(x) else None


def _kill_vehicle_altitude_source(name):
    """The catalog's sources of an interceptor's minimum and maximum intercept altitude."""
    from .. import catalog

    if name not in catalog.names("interceptor"):
        return "scenario interceptor"
    kv = catalog.get(name, kind="interceptor").get("kill_vehicle", {})
    parts = [f"{label}: {kv[key]['source']}" for label, key in (("minimum", "min_intercept_alt_km"),
                                                                   ("maximum", "max_intercept_alt_km"))
             if isinstance(kv.get(key), dict) and kv[key].get("source")]
    return "; ".join(parts) or "catalog (interceptors.yaml)"


def _assumptions(ctx, results, nums):
    from .. import catalog

    out = []
    for b, row in zip(ctx.defence.batteries, (results.get("defence") or {}).get("batteries", [])):
        pub = b.interceptor.published_burnout_speed_km_s
        out.append({"parameter": f"{b.interceptor.name} burnout speed (published)", "value": pub.get("value"),
                    "low": pub.get("low"), "high": pub.get("high"), "unit": "km/s", "source": pub.get("source", "")})
        flown = nums[f"flown_burnout_speed_km_s:{row['name']}"]
        nominal = nums.get(f"nominal_burnout_speed_km_s:{row['name']}")
        out.append({"parameter": f"{b.name}'s {b.interceptor.name} burnout speed (flown here)", "value": flown,
                    "unit": "km/s",
                    "source": "shieldsim fly-out of the catalog stages"
                              + (f", rescaled to the {nominal.text} set by {row['burnout_speed_set_by']}"
                                 if nominal is not None else ", as the catalog gives them")})
        kv = b.interceptor.kill_vehicle
        out.append({"parameter": f"{b.interceptor.name} intercept altitudes", "value": f"{kv.min_intercept_alt_km:g}"
                    f"\u2013{kv.max_intercept_alt_km:g}", "unit": "km",
                    "source": _kill_vehicle_altitude_source(b.interceptor.name)})
    for s in ctx.defence.sensors:
        e = catalog.get(s.name, kind="sensor")
        for key in ("reference_range_km", "detection_range_km", "range_km"):
            if key in e:
                v = e[key]
                out.append({"parameter": f"{s.name} {key}", "value": v, "source": v.get("source", "") if isinstance(v, dict) else ""})
                break
    d = ctx.defence.doctrine
    out.append({"parameter": "single-shot kill probability", "value": d.sspk, "source": "scenario doctrine"})
    out.append({"parameter": "decision delay", "value": ctx.defence.decision_delay_s, "unit": "s",
                "source": "scenario doctrine"})
    for name in sorted({s.missile for s in ctx.threat_specs}):
        e = catalog.get(name, kind="missile")
        pub = e.get("published", {}).get("range_km")
        if pub:
            out.append({"parameter": f"{name} published range", "value": pub, "unit": "km",
                        "source": pub.get("source", "") if isinstance(pub, dict) else ""})
    return out
