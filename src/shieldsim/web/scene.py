"""What the workbench's globe draws, from the results of the shared commands.

Every number here comes from ``analyses.commands`` (the functions behind ``shieldsim engage``,
``reach`` and ``footprint``); this module only turns their results into geometry for CesiumJS:

- the CZML document ``shieldsim run`` exports (``trajectories.czml``: threat tracks, the
  interceptors' fly-outs to their intercept points, the scenario's sites), which drives the
  page's clock and time slider;
- each threat's trajectory split into its phases (boost to burnout, midcourse, re-entry
  below 100 km on the way down) as static polylines;
- each radar's coverage on the ground: the sector of its field of regard out to its
  detection range against the threat's RCS (a slant range, drawn as ground range: an upper
  bound on the ground distance), with its elevation mask in the label; each infrared
  satellite's footprint: the ground it sees down to its horizon;
- the Russian ICBM tracks of ``reach`` with their verdicts;
- the defended area of ``footprint`` as GeoJSON polygons (``export.geojson``).
"""

from __future__ import annotations

import math

import numpy as np

from ..analyses.run import CZML_EPOCH, site_rows, track_rows
from ..earth import geodesic_circle_deg, wrap_lon

REENTRY_ALT_KM = 100.0  # re-entry starts where the warhead comes back below 100 km (as the flight events)
PHASE_COLORS = {"boost": "#ff5722", "midcourse": "#ffd54f", "reentry": "#e040fb"}
TRACK_DT_S = 10.0  # sampling of the threat tracks (the run's CZML samples every 10 s too)
RUSSIAN_DT_S = 30.0  # sampling of the Russian ICBM tracks (many of them; they are context)
RING_POINTS = 72


def _ring(lat_deg: float, lon_deg: float, radius_km: float, az0_deg: float = 0.0, az1_deg: float = 360.0,
          sector: bool = False) -> list[float]:
    """Points ``[lon, lat, lon, lat, ...]`` on the geodesic circle (or sector, with its apex) around a site."""
    span = (az1_deg - az0_deg) % 360.0 or 360.0
    n = max(8, int(RING_POINTS * span / 360.0))
    lon, lat = geodesic_circle_deg(lat_deg, lon_deg, radius_km, az0_deg + np.linspace(0.0, span, n + 1))
    pts = np.column_stack([lon, lat])
    if sector and span < 360.0:
        pts = np.vstack([[lon_deg, lat_deg], pts, [lon_deg, lat_deg]])
    return [round(float(v), 4) for v in pts.ravel()]


def _positions(s: dict, keep=None) -> list[float]:
    """``[lon, lat, height_m, ...]`` of a sampled track (the rows in ``keep``)."""
    idx = np.arange(len(s["t_s"])) if keep is None else np.flatnonzero(keep)
    lon = wrap_lon(np.asarray(s["lon_deg"])[idx], degrees=True)
    return [round(float(v), 4 if k % 3 < 2 else 0)
            for k, v in enumerate(np.column_stack([lon, np.asarray(s["lat_deg"])[idx],
                                                   np.asarray(s["alt_km"])[idx] * 1e3]).ravel())]


def threat_phases(flown) -> list[dict]:
    """Per threat: its samples split into boost, midcourse and re-entry segments (each segment
    shares its first sample with the previous one, so the line is unbroken)."""
    out = []
    summary = flown.summary()
    for i, s in enumerate(flown.trajectory.sample(TRACK_DT_S)):
        t = np.asarray(s["t_s"], float)
        alt = np.asarray(s["alt_km"], float)
        burnout = summary[i]["burnout_time_s"]
        k_apogee = int(np.nanargmax(alt)) if alt.size else 0
        phase = np.where(t <= burnout, 0, 1)
        phase[(np.arange(t.size) > k_apogee) & (alt < REENTRY_ALT_KM)] = 2
        segments = []
        for p, name in enumerate(("boost", "midcourse", "reentry")):
            rows = np.flatnonzero(phase == p)
            if rows.size == 0:
                continue
            lo = max(rows[0] - 1, 0)
            keep = np.zeros(t.size, bool)
            keep[lo:rows[-1] + 1] = True
            if keep.sum() >= 2:
                segments.append({"phase": name, "color": PHASE_COLORS[name], "positions": _positions(s, keep),
                                 "from_s": round(float(t[lo]), 1), "to_s": round(float(t[rows[-1]]), 1)})
        out.append({"threat": flown.names[i], "missile": flown.missiles[i], "segments": segments,
                    **{k: summary[i][k] for k in ("flight_time_s", "apogee_km", "burnout_time_s")}})
    return out


def coverage(ctx, rcs_m2) -> dict:
    """Radar sectors and infrared footprints of the scenario's (enabled) sensors; ``rcs_m2`` is
    the RCS of the threat the coverage is drawn for."""
    from ..earth import WGS84_A
    from ..sensors import rcs_for

    radars, infrared = [], []
    for s in ctx.defence.sensors:
        if getattr(s, "kind", "") == "radar" or hasattr(s, "reference_range_km"):
            rcs = float(rcs_for(rcs_m2, s.band, 1)[0])
            r_km = float(s.detection_range_km(rcs))
            full = s.full_azimuth
            radars.append({
                "name": s.name, "lat_deg": s.lat_deg, "lon_deg": s.lon_deg, "rcs_m2": rcs,
                "detection_range_km": round(r_km, 1), "reference_range_km": s.reference_range_km,
                "min_elevation_deg": s.min_elevation_deg, "azimuth_min_deg": s.azimuth_min_deg,
                "azimuth_max_deg": s.azimuth_max_deg, "needs_cue": bool(s.needs_cue),
                "outline": _ring(s.lat_deg, s.lon_deg, r_km, 0.0 if full else s.azimuth_min_deg,
                                 360.0 if full else s.azimuth_max_deg, sector=not full),
            })
        else:
            for sat in getattr(s, "satellites", ()):
                # The ground a satellite sees: out to its horizon, Earth central angle acos(R / (R + h)).
                angle = math.acos(WGS84_A / (WGS84_A + sat.alt_km * 1e3))
                infrared.append({
                    "name": f"{s.name}: {sat.name}", "constellation": s.name, "lat_deg": sat.lat_deg,
                    "lon_deg": sat.lon_deg, "alt_km": sat.alt_km, "cloud_top_km": s.cloud_top_km,
                    "report_latency_s": s.report_latency_s, "horizon_km": round(angle * WGS84_A / 1e3, 0),
                    "outline": _ring(sat.lat_deg, sat.lon_deg, angle * WGS84_A / 1e3 * 0.98),
                })
    return {"radars": radars, "infrared": infrared}


def globe_czml(ctx, flown, engage_threats) -> list:
    """The CZML document of ``shieldsim run`` (``trajectories.czml``) for these results, as JSON."""
    import json

    from ..analyses.flyouts import flyout_tracks
    from ..export import czml

    flyouts = flyout_tracks(ctx.defence.batteries, engage_threats)
    return json.loads(czml.trajectories_to_czml(track_rows(flown), CZML_EPOCH, site_rows(ctx), flyouts=flyouts))


def russian_tracks(reach_result) -> list[dict]:
    """Each launch base -> target pair of ``reach`` with its track and verdict (engageable by any battery)."""
    res = reach_result.reach
    by_pair: dict = {}
    for r in res.rows:
        key = (r["launch"], r["target"])
        e = by_pair.setdefault(key, {"launch": r["launch"], "target": r["target"], "engageable": False,
                                     "batteries": [], "min_burnout_speed_km_s": None})
        if r["feasible"]:
            e["engageable"] = True
            e["batteries"].append(r["battery"])
        v = r.get("min_burnout_speed_km_s")
        if v is not None and (e["min_burnout_speed_km_s"] is None or v < e["min_burnout_speed_km_s"]):
            e["min_burnout_speed_km_s"] = v
    samples = res.flown.trajectory.sample(RUSSIAN_DT_S)
    out = []
    for i, (key, e) in enumerate(by_pair.items()):
        if i < len(samples):
            e["positions"] = _positions(samples[i])
        out.append(e)
    return out
