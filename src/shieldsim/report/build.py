"""The scenario report: the results of ``run`` turned into one self-contained HTML page.

Plain-language summary first (every sentence computed from the results), then "What you
would have to believe" (tornado charts and flip sentences from DIR/sensitivity.json, when
``shieldsim sensitivity SCENARIO -o DIR`` has written one), the defended-area map, the
Russian-ICBM question (table, ground tracks with interceptor reach, the burnout speed at
which the answer flips), engagements and their timeline, raid curves, the sensor
timeline, and the assumptions with their sources.
"""

from __future__ import annotations

import math

import numpy as np

from .html import write_report
from .maps import plot_footprint, plot_ground_tracks
from .plots import plot_engagement_timeline, plot_raid_curves, plot_speed_flip


def _fmt(x, nd=0, unit=""):
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "never"
    return f"{x:,.{nd}f}{unit}"


def _speed_fraction(reach_rows, speeds):
    pairs = {}
    for r in reach_rows:
        key = (r["launch"], r["target"])
        v = 0.0 if r.get("min_burnout_speed_below_grid") else r["min_burnout_speed_km_s"]
        if v is None:
            v = math.inf
        pairs[key] = min(pairs.get(key, math.inf), v)
    vals = np.array(list(pairs.values()) or [math.inf])
    return np.array([(vals <= s).mean() for s in speeds])


def _reach_radius_km(table, t_s: float, alt_km: float = 500.0) -> float:
    """Ground distance the interceptor covers at a given altitude within t_s of launch."""
    j = int(np.clip(round(alt_km * 1e3 / (table.h_m[1] - table.h_m[0])), 0, table.h_m.size - 1))
    ok = np.isfinite(table.t_s[:, :, j]) & (table.t_s[:, :, j] <= t_s)
    if not ok.any():
        return 0.0
    return float(table.d_m[np.max(np.flatnonzero(ok.any(axis=0)))] / 1e3)


def scenario_report(path, ctx, results, fp, reach, raid, flown, assessment):
    sc = ctx.scenario
    d = ctx.defence
    bats = d.batteries
    bat_text = ", ".join(f"{b.inventory} {b.interceptor.name} at {b.name}" for b in bats) or "no interceptors"
    speeds_now = {b.name: _flown_speed(b) for b in bats}
    eng = results["engage"]
    summary = []
    summary.append(
        f"This report runs the scenario \u201c{sc.title or sc.name}\u201d: {bat_text}"
        + (f" (flown burnout speed {', '.join(f'{v:.1f} km/s' for v in speeds_now.values())})" if bats else "")
        + f", with the sensors {', '.join(s.name for s in d.sensors)}. Every number below comes from the physics "
          "in shieldsim and the open-source parameters listed at the end; the seed is "
          f"{results['seed']}, so anyone can reproduce it.")
    summary.append(
        f"Defended area: against a {fp.missile} launched from {fp.launch}, {fp.defended_fraction:.0%} of the "
        f"{int(fp.reachable.sum())} aim points in the mapped region that the missile can reach are defended "
        "(at least one feasible intercept after the sensors have a fire-control track).")
    n_pairs = len({(r['launch'], r['target']) for r in reach.rows})
    need = [r["min_burnout_speed_km_s"] for r in reach.rows if r["min_burnout_speed_km_s"] is not None]
    flip = (f" Interceptors flying at {min(need):.1f}\u2013{max(need):.1f} km/s would reach the engageable ones; "
            "the two-stage GBI's burnout speed was disputed between 6.3 km/s (MDA) and 7.7\u20139 km/s (Postol)."
            if need else " No interceptor speed up to "
            f"{max(reach.speeds_km_s):g} km/s makes any of them engageable.")
    summary.append(
        f"The Russian question: {reach.engageable_pairs} of {n_pairs} Russian ICBM base \u2192 US city pairs can be "
        f"engaged by the interceptors of this scenario at their assumed speed." + flip)
    engaged = [t for t in eng["threats"] if t["shot_opportunities"] > 0]
    summary.append(
        f"Of the scenario's {len(eng['threats'])} threats, {len(engaged)} can be engaged; "
        + "; ".join(f"{t['threat']}: {t['shot_opportunities']} shot opportunit{'y' if t['shot_opportunities'] == 1 else 'ies'}"
                    f", kill probability {t['p_kill']:.2f}" for t in eng["threats"]) + ".")
    c0 = raid.curves[0]
    k = len(raid.sizes) - 1
    summary.append(
        f"Raids: with the doctrine {d.doctrine.kind} (salvo {d.doctrine.salvo_size}, SSPK {d.doctrine.sspk:g}), a raid of "
        f"{raid.sizes[k]} \u00d7 {raid.threat} leaks {c0['expected_leakers'][k]:.1f} warheads on average"
        + (f"; with {raid.curves[-1]['decoys']} decoys per warhead, {raid.curves[-1]['expected_leakers'][k]:.1f}"
           if len(raid.curves) > 1 else "") + ".")

    sites = [{"name": b.name, "lat_deg": b.lat_deg, "lon_deg": b.lon_deg, "kind": "interceptor"} for b in bats]
    sites += [{"name": s.name, "lat_deg": s.lat_deg, "lon_deg": s.lon_deg, "kind": "radar"}
              for s in d.sensors if hasattr(s, "lat_deg")]
    from pathlib import Path

    from .sensitivity import load_for_report, sensitivity_section

    # First: what you would have to believe, from DIR/sensitivity.json when `shieldsim
    # sensitivity SCENARIO -o DIR` has written it (an OAT takes about a minute: run does not).
    sections = [sensitivity_section(load_for_report(Path(path).parent, sc.name), sc.name)]
    from .. import catalog

    launch = catalog.parse_place(fp.launch, "launch")
    fig = plot_footprint(fp.lat_deg, fp.lon_deg, fp.defended, fp.shot_opportunities, sites=sites,
                         launch={"name": launch.name, "lat_deg": launch.lat_deg, "lon_deg": launch.lon_deg},
                         title=f"Defended area against {fp.missile} from {fp.launch}")
    sections.append({"heading": "Which part of Europe is defended?",
                     "text": f"Aim points every {fp.lat_deg[1] - fp.lat_deg[0]:g}\u00b0; shading gives the number of "
                             "sequential shot opportunities. Blank land inside the region is either out of the missile's "
                             f"reach or not defended. Computed in {fp.seconds:.1f} s.",
                     "figures": [fig], "table": [results["footprint"]]})

    tracks = []
    feasible_pairs = {(r["launch"], r["target"]) for r in reach.rows if r["feasible"]}
    for i, s in enumerate(reach.flown.trajectory.sample(20.0)):
        spec_l, spec_t = reach.flown.launch[i].name, reach.flown.target[i].name
        tracks.append({"name": f"{spec_l}\u2192{spec_t}", "lat_deg": s["lat_deg"], "lon_deg": s["lon_deg"],
                       "engageable": (spec_l, spec_t) in feasible_pairs})
    circles = [{"lat_deg": b.lat_deg, "lon_deg": b.lon_deg, "radius_km": _reach_radius_km(b.table, 600.0),
                "label": f"{b.name}: 600 s fly-out at 500 km"} for b in bats]
    figs = [plot_ground_tracks(tracks, sites, circles, title="Russian ICBM ground tracks and interceptor reach",
                               projection="north_polar", label_tracks=False)]
    sp = np.arange(4.0, 11.01, 0.25)
    figs.append(plot_speed_flip(sp, _speed_fraction(reach.rows, sp)))
    sections.append({"heading": "Can interceptors in Poland catch Russian ICBMs flying to the US?",
                     "text": "For every Russian ICBM base and US city: whether an interceptor of this scenario can meet "
                             "the ICBM after the sensors give a fire-control track, the launch margin (negative: how much "
                             "earlier it would have had to leave), and the lowest burnout speed that would make it "
                             "possible (stages rescaled consistently).",
                     "figures": figs,
                     "table": [{k: r[k] for k in ("launch", "target", "battery", "feasible", "margin_s",
                                                  "min_burnout_speed_km_s", "intercept_altitude_km")} for r in reach.rows]})

    rows = []
    obs = results.get("observe", {}).get("threats", [])
    for i, t in enumerate(eng["threats"]):
        ev = {"launch": 0.0, "burnout": _num(flown.trajectory.t_burnout[i])}
        o = obs[i] if i < len(obs) else {}
        dets = [s["first_detection_s"] for s in o.get("sensors", []) if s.get("first_detection_s") is not None]
        ev["first_detection"] = min(dets) if dets else None
        ev["fire_control"] = t.get("fire_control_s")
        if t["engagements"]:
            ev["interceptor_launch"] = t["engagements"][0]["launch_s"]
            ev["intercept"] = t["engagements"][0]["intercept_s"]
            if len(t["engagements"]) > 1:
                ev["kill_assessment"] = t["engagements"][1]["intercept_s"]
        ev["impact"] = _num(flown.trajectory.t_impact[i])
        rows.append({"threat": t["threat"], "events": ev, "battle_space_s": t["battle_space_s"]})
    sections.append({"heading": "Engagements of the scenario's threats",
                     "text": "Times in seconds after each threat's launch. Fire control: a radar has held a track for "
                             f"{d.track_settle_s:g} s; interceptors may launch {d.decision_delay_s:g} s later.",
                     "figures": [plot_engagement_timeline(rows)],
                     "table": [{"threat": t["threat"], "shot_opportunities": t["shot_opportunities"],
                                "battle_space_s": t["battle_space_s"], "p_kill": t["p_kill"], "p_leak": t["p_leak"],
                                "interceptors_used_mean": t["interceptors_used_mean"]} for t in eng["threats"]]})
    sections.append({"heading": "How many get through a raid?",
                     "text": f"Raids of 1\u2013{raid.sizes[-1]} \u00d7 {raid.threat} launched together against the "
                             "finite inventory, with and without decoys.",
                     "figures": [plot_raid_curves(raid.sizes, raid.curves)]})
    sens_rows = []
    for t in obs:
        for s in t["sensors"]:
            sens_rows.append({"threat": t["threat"], "sensor": s["sensor"], "first_detection_s": s["first_detection_s"],
                              "last_detection_s": s["last_detection_s"], "cued_by": s["cued_by"]})
    sections.append({"heading": "What the sensors see", "text": "Detection windows per threat and sensor.",
                     "table": sens_rows})
    write_report(path, title=f"shieldsim: {sc.title or sc.name}", summary_paragraphs=summary, sections=sections,
                 assumptions=_assumptions(ctx))


def _num(x):
    x = float(x)
    return x if math.isfinite(x) else None


def _flown_speed(b):
    return b.table.burnout_speed_m_s / 1e3 if b.table is not None else float("nan")


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


def _assumptions(ctx):
    from .. import catalog

    out = []
    for b in ctx.defence.batteries:
        pub = b.interceptor.published_burnout_speed_km_s
        out.append({"parameter": f"{b.interceptor.name} burnout speed (published)", "value": pub.get("value"),
                    "low": pub.get("low"), "high": pub.get("high"), "unit": "km/s", "source": pub.get("source", "")})
        out.append({"parameter": f"{b.interceptor.name} burnout speed (flown here)", "value": round(_flown_speed(b), 2),
                    "unit": "km/s", "source": "shieldsim fly-out of the catalog stages, rescaled if the scenario or "
                                              "--interceptor-speed sets a speed"})
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
    for name in sorted({s["missile"] for s in ctx.threat_specs}):
        e = catalog.get(name, kind="missile")
        pub = e.get("published", {}).get("range_km")
        if pub:
            out.append({"parameter": f"{name} published range", "value": pub, "unit": "km",
                        "source": pub.get("source", "") if isinstance(pub, dict) else ""})
    return out
