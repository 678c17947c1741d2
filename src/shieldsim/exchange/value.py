"""What sharing early warning would give each partner, and what it would give away.

For each partner and threat: the first warning from the partner's *own* sensors, the first
notification the exchange releases to it (its policy's fields, precision and delay applied by
``policy.release``), the time gained, and the size of the released impact area at each
release. Own sensors, the modelling choice that decides the gain:

* ``us`` and ``nato``: the scenario's sensors (the same sensors publish to the exchange, so
  their gain is zero by construction; what differs is the detail they see);
* ``russia``: Russia's early-warning radars in the catalog (``RUSSIA_SENSORS``: Gabala,
  Armavir, Lekhtusi, Pionersky), observed against the same flown threats; no Russian infrared
  satellites are modelled (Russia's Oko system was largely blind in 2007 [R]), so Russia's own
  first warning is a radar detection, the exchange's an infrared launch report;
* ``public``: none (it learns at the outcome, so ``own_warning_s`` is null and the gain is
  counted against the flight time).

``gain_s`` = (own warning, or the flight time when the partner has none) − shared warning,
never below zero (a partner still has its own warning when sharing is later); null when the
exchange releases nothing about the threat.

What a policy reveals: the finest impact ellipse released to the partner implies the radar's
1-sigma accuracy (semi-minor axis / k90, k90 = 2.146 for a 90 % ellipse); with the areas
coarsened to ``precision_km`` the inference is bounded by that step. ``reveals`` lists it
beside the true figure, with whether sensor names and accuracies are released.
"""

from __future__ import annotations

import html
import math

from .messages import Event
from .policy import Policy, policies, release
from .replay import K90, notifications_for

RUSSIA_SENSORS = ("gabala-daryal", "armavir-voronezh-dm", "lekhtusi-voronezh-m", "pionersky-voronezh-dm")
PARTNERS = ("us", "nato", "russia", "public")
TITLE = "Sharing early warning: what each partner would gain"


def _r(x, nd=1):
    return None if x is None or not math.isfinite(x) else round(float(x), nd)


def russia_first_warning(ctx) -> dict[str, float | None]:
    """First detection (s after launch) of each of the context's threats by Russia's own radars."""
    import numpy as np

    from .. import catalog
    from ..analyses.threats import fly_threat_specs
    from ..sensors import observe, sensor_from_catalog

    sensors = [sensor_from_catalog(catalog.get(n, kind="sensor", field="RUSSIA_SENSORS")) for n in RUSSIA_SENSORS]
    flown = fly_threat_specs(ctx.threat_specs)
    obs = observe(flown.trajectory, sensors, ctx.threat_rcs_m2, ctx.rng(1), dt=ctx.defence.sensor_dt_s,
                  threat_names=flown.names, measurements=False)
    first = np.array([o.first_detection_s for o in obs.observations], dtype=float)  # (sensor, threat), NaN: never
    first = np.where(np.isfinite(first), first, np.inf).min(axis=0)
    return {name: (float(t) if np.isfinite(t) else None) for name, t in zip(flown.names, first)}


def value_of(events: list[Event], note: dict, own: dict[str, dict[str, float | None]],
             table: dict[str, Policy]) -> dict:
    """The ``exchange value`` JSON from the notifications and each partner's own first warnings."""
    by_threat = {n: [e for e in events if e.threat_id == tid] for n, tid in note["threat_ids"].items()}
    true_sigma = [e.impact_area.semi_minor_km / K90 for e in events
                  if e.impact_area is not None and e.impact_area.semi_minor_km]
    partners = []
    for p in PARTNERS:
        pol = table[p]
        rows, finest = [], []
        for name, evs in by_threat.items():
            t0 = note["launch_time_s"][name]
            views = [v for v in (release(e, pol) for e in evs) if v is not None]
            shared = min((v.released_at_s - t0 for v in views), default=None)
            own_t = own.get(p, {}).get(name)
            ref = own_t if own_t is not None else note["flight_time_s"][name]
            gain = None if shared is None else max(0.0, ref - shared)
            areas = {}
            for v in views:
                ia = v.impact_area
                if v.kind == "track" and ia is not None and ia.area_km2() is not None:
                    areas[f"{v.released_at_s - t0:.0f}"] = _r(ia.area_km2(), 1)
                    finest.append(ia.semi_minor_km)
            rows.append({"threat": name, "own_warning_s": _r(own_t), "shared_warning_s": _r(shared),
                         "gain_s": _r(gain), "impact_area_km2_at": areas})
        partners.append({
            "partner": p, "policy": pol.tag, "own_sensors": list(own.get(p, {}).get("_sensors", [])),
            "threats": rows,
            "reveals": {
                "fields": list(pol.fields), "sensor_names": "sensor" in pol.fields,
                "sensor_accuracy": "sensor_sigma_km" in pol.fields,
                "area_precision_km": pol.area.precision_km if not pol.area.regions else None,
                "area_regions": pol.area.regions,
                "inferable_radar_sigma_km": _r(min(finest) / K90, 3) if finest else None,
                "true_radar_sigma_km": _r(min(true_sigma), 3) if true_sigma else None,
            },
        })
    return {"scenario": note["scenario"], "partners": partners}


def sharing_value(scenario, *, overrides=(), seed=None, threat=None, policy_files=()) -> dict:
    """``shieldsim exchange value SCENARIO --json``: see the module docstring.

    ``scenario`` is a scenario name or file, or an ``analyses`` context (``load_context``), as the
    report has it."""
    from ..analyses.commands import context, select_threat

    if hasattr(scenario, "threat_specs"):
        ctx = scenario
    else:
        ctx = context(scenario, overrides, seed)
        ctx = select_threat(ctx, threat)
    events, note = notifications_for(ctx, threat)
    return value_from_notifications(ctx, events, note, policy_files)


def value_from_notifications(ctx, events: list[Event], note: dict, policy_files=()) -> dict:
    """``sharing_value`` from notifications already made (``replay.notifications_from``: the run's
    own flights and observations, so the report does not observe twice)."""
    table = policies(policy_files)
    # Own warnings of the scenario's sensors: the owner's first notification of each threat.
    scen_own = {}
    for name, tid in note["threat_ids"].items():
        ts = [e.released_at_s for e in events if e.threat_id == tid and e.kind != "outcome"]
        scen_own[name] = (min(ts) - note["launch_time_s"][name]) if ts else None
    scen_sensors = [s.name for s in ctx.defence.sensors]
    ru = russia_first_warning(ctx)
    own = {"us": {**scen_own, "_sensors": scen_sensors}, "nato": {**scen_own, "_sensors": scen_sensors},
           "russia": {**ru, "_sensors": list(RUSSIA_SENSORS)}, "public": {"_sensors": []}}
    return value_of(events, note, own, table)


def _reading(value: dict) -> list[str]:
    """The section's sentences (plain text: the caller escapes)."""
    gains = [(t["gain_s"], t["threat"]) for p in value["partners"] if p["partner"] == "russia"
             for t in p["threats"] if t["gain_s"] is not None]
    best = max(gains) if gains else None
    ru = next((p for p in value["partners"] if p["partner"] == "russia"), None)
    sentences = []
    if best is not None:
        sentences.append(f"Under its policy Russia would learn of {best[1]} {best[0]:,.0f} s earlier through the "
                         "exchange than from its own early-warning radars (its own sensors here are the catalog's "
                         "Russian radars; an infrared launch report is what it gains).")
    if ru is not None and ru["reveals"]["inferable_radar_sigma_km"] is not None:
        r = ru["reveals"]
        sentences.append(f"The finest impact ellipse released to Russia implies a radar accuracy of "
                         f"{r['inferable_radar_sigma_km']:,.1f} km (1-sigma), against a true "
                         f"{r['true_radar_sigma_km']:,.3f} km: rounding areas to {r['area_precision_km']:,.0f} km "
                         "hides the radar's real accuracy.")
    return sentences


def _rows(value: dict) -> list[dict]:
    rows = []
    for p in value["partners"]:
        for t in p["threats"]:
            areas = list(t["impact_area_km2_at"].values())
            rows.append({"partner": p["partner"], "threat": t["threat"], "own_warning_s": t["own_warning_s"],
                         "shared_warning_s": t["shared_warning_s"], "gain_s": t["gain_s"],
                         "last_impact_area_km2": areas[-1] if areas else None})
    return rows


def report_section(value: dict) -> dict:
    """The report's section as ``report.html`` sections are given (heading, text, table)."""
    return {"heading": TITLE, "text": " ".join(_reading(value)), "table": _rows(value)}


def report_section_html(value: dict) -> str:
    """The report's section (an HTML fragment, every value escaped): a table and its reading."""
    esc = html.escape

    def s(v):
        return "never" if v is None else f"{v:,.0f}"

    rows = [f"<tr><td>{esc(r['partner'])}</td><td>{esc(r['threat'])}</td>"
            f"<td>{s(r['own_warning_s'])}</td><td>{s(r['shared_warning_s'])}</td>"
            f"<td>{s(r['gain_s'])}</td><td>{esc(s(r['last_impact_area_km2']) if r['last_impact_area_km2'] is not None else '—')}</td></tr>"
            for r in _rows(value)]
    return (f"<section id=\"sharing-early-warning\"><h2>{esc(TITLE)}</h2>"
            f"<p>{esc(' '.join(_reading(value)))}</p>"
            "<table><thead><tr><th>partner</th><th>threat</th><th>own warning s</th><th>shared warning s</th>"
            "<th>gain s</th><th>last impact area km²</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></section>")
