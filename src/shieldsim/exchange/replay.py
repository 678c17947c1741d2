"""A scenario's observations as the exchange's notifications, published in simulated time.

Read-only use of the observe path (``analyses.run.observe_threats``: the scenario's sensors and
the Stone Soup tracker). For each threat:

* **launch**: the first infrared launch report (``sensors.InfraredReports``) at its report time:
  source class infrared, the estimated launch time and point, the launch area a 90 % ellipse of
  the constellation's ``launch_point_sigma_km``, the generic class from the flown ground range;
* **track**: the first radar detection (no impact area yet), then the tracker's updates: each
  update's state propagated ballistically (``TrackHistory.predict``) to where it meets the
  ground, the ground ellipse the 90 % ellipse of the position covariance projected along the
  velocity onto the local horizontal (a vertical error at a re-entry angle γ moves the impact
  point by δh / tan γ). An update is published when its ellipse has shrunk to half the area of
  the last one published or 120 s have passed (both thresholds shieldsim's choice: a partner
  wants news, not every 5-s radar revisit);
* **outcome**: the impact at the flown impact point and time (this path has no engagements: an
  intercept outcome is a valid message, but replay publishes impacts).

The tracker's predictions ignore drag below 100 km (its ballistic model), so the last ellipses
can miss the true impact point by a few kilometres; they are what the sensors' owner would
know, which is what the exchange passes on. Release times are the observation times: no
processing latency is modelled (the memoranda set none).

Times are simulated seconds after the scenario's epoch (``messages.DEFAULT_EPOCH`` in UTC).
The notifications of a scenario are cached (keyed on the resolved scenario and the package's
code, ``cache.package_hash``), so a rerun replays the same ids without recomputing.
"""

from __future__ import annotations

import hashlib
import json
import math
import time

import numpy as np

from ..earth import wrap_lon
from ..errors import ShieldsimError
from .messages import DEFAULT_EPOCH, Area, Event, missile_class, utc

CONFIDENCE = 0.9
K90 = math.sqrt(-2.0 * math.log(1.0 - CONFIDENCE))  #: 2-D Gaussian: P(inside k-sigma ellipse) = 1 - exp(-k²/2)
SHRINK = 0.5  #: publish a track update once the ellipse's area is at most this share of the last one's
MAX_GAP_S = 120.0  #: or once this long has passed since the last one


def threat_id(scenario: str, threat: str) -> str:
    """A partner-independent id that names neither the scenario's threat nor its aim point."""
    return "T" + hashlib.sha256(f"{scenario}/{threat}".encode()).hexdigest()[:8]


def impact_ellipses(track, t_guess_s: float):
    """Predicted impact of every update of a track: (t_impact_s, lat_deg, lon_deg, semi_major_km,
    semi_minor_km, orientation_deg), arrays over the updates (90 % ellipses)."""
    from ..earth import ecef_to_geodetic, enu_basis

    m = len(track)
    t_hit = np.full(m, float(t_guess_s))
    for _ in range(5):  # Newton steps on altitude: t += h / descent rate
        mean, P = track.predict(np.maximum(t_hit, track.t_s))
        lat, lon, alt = ecef_to_geodetic(mean[:, 0], mean[:, 1], mean[:, 2])
        e, n, u = enu_basis(lat, lon)
        v_up = np.sum(mean[:, 3:] * u, -1)
        step = np.where(v_up < -1.0, alt / np.maximum(-v_up, 1.0), 0.0)
        t_hit = np.maximum(t_hit + step, track.t_s)
    R = np.stack([e, n, u], axis=1)  # (m, 3, 3): rows east, north, up
    Pl = R @ P[:, :3, :3] @ np.swapaxes(R, 1, 2)
    vl = np.einsum("mij,mj->mi", R, mean[:, 3:])
    vu = np.where(np.abs(vl[:, 2]) > 1.0, vl[:, 2], -1.0)
    A = np.zeros((m, 2, 3))
    A[:, 0, 0] = A[:, 1, 1] = 1.0
    A[:, 0, 2] = -vl[:, 0] / vu
    A[:, 1, 2] = -vl[:, 1] / vu
    C = A @ Pl @ np.swapaxes(A, 1, 2)
    w, V = np.linalg.eigh(C)
    a = K90 * np.sqrt(np.maximum(w[:, 1], 0.0)) / 1e3
    b = K90 * np.sqrt(np.maximum(w[:, 0], 0.0)) / 1e3
    orient = np.mod(np.degrees(np.arctan2(V[:, 0, 1], V[:, 1, 1])), 180.0)
    return t_hit, np.degrees(lat), np.degrees(lon), a, b, orient


def _area(lat, lon, a=None, b=None, orient=None, confidence=None) -> Area:
    lon = wrap_lon(float(lon), degrees=True)
    return Area(lat_deg=round(float(lat), 5), lon_deg=round(lon, 5),
                semi_major_km=None if a is None else round(float(a), 3),
                semi_minor_km=None if b is None else round(float(b), 3),
                orientation_deg=None if orient is None else round(float(orient), 1) % 180.0,
                confidence=confidence)


def threat_notifications(ctx, flown, obs) -> list[Event]:
    """The notifications of every threat of an observation (see the module docstring)."""
    events: list[Event] = []
    sc_name = ctx.scenario.name
    ir_specs = {s.name: s for s in obs.sensors}
    ground_km = flown.trajectory.ground_range_m() / 1e3
    imp_lat, imp_lon = flown.trajectory.impact_geodetic()
    for i, name in enumerate(flown.names):
        tid = threat_id(sc_name, name)
        t0 = float(flown.launch_time_s[i])
        cls = missile_class(float(ground_km[i]))
        rows: list[dict] = []
        # infrared launch report: the earliest constellation to report
        best = None
        for key, ir in obs.infrared.items():
            if math.isfinite(ir.report_s[i]) and (best is None or ir.report_s[i] < best[1].report_s[i]):
                best = (key, ir)
        launch_time = t0
        launch_area = None
        if best is not None:
            key, ir = best
            sig = getattr(ir_specs.get(ir.sensor), "launch_point_sigma_km", 5.0)
            launch_time = t0 + float(ir.launch_time_est_s[i])
            launch_area = _area(math.degrees(ir.launch_lat_est_rad[i]), math.degrees(ir.launch_lon_est_rad[i]),
                                K90 * sig, K90 * sig, 0.0, CONFIDENCE)
            rows.append({"kind": "launch", "t": float(ir.report_s[i]), "source_class": "infrared", "sensor": ir.sensor,
                         "sensor_sigma_km": sig})
        # first radar detection
        first = None
        for o in obs.observations:
            if o.kind == "radar" and math.isfinite(o.first_detection_s[i]):
                if first is None or o.first_detection_s[i] < first[0]:
                    first = (float(o.first_detection_s[i]), o.sensor)
        tr = obs.tracks[i] if obs.tracks else None
        first_update = float(tr.t_s[0]) if tr is not None and len(tr) else math.inf
        if first is not None and first[0] < first_update:
            rows.append({"kind": "track", "t": first[0], "source_class": "radar", "sensor": first[1]})
        # track updates with the predicted impact area
        if tr is not None and len(tr):
            t_imp, la, lo, a, b, orient = impact_ellipses(tr, float(obs.flight_time_s[i]))
            sig = tr.position_sigma_m() / 1e3
            confirmed = tr.first_track_s if math.isfinite(tr.first_track_s) else float(tr.t_s[0])
            last_t, last_area = -math.inf, math.inf
            for k in range(len(tr)):
                t = float(tr.t_s[k])
                if t < confirmed or not (math.isfinite(a[k]) and math.isfinite(la[k])):
                    continue
                area = math.pi * a[k] * b[k]
                if area <= SHRINK * last_area or t - last_t >= MAX_GAP_S:
                    rows.append({"kind": "track", "t": t, "source_class": "radar", "sensor": tr.sensor[k],
                                 "sensor_sigma_km": float(sig[k]),
                                 "impact_area": _area(la[k], lo[k], a[k], b[k], orient[k], CONFIDENCE)})
                    last_t, last_area = t, area
        # outcome
        if math.isfinite(obs.flight_time_s[i]):
            rows.append({"kind": "outcome", "t": float(obs.flight_time_s[i]), "outcome": "impact",
                         "impact_area": _area(math.degrees(imp_lat[i]), math.degrees(imp_lon[i]))})
        rows.sort(key=lambda r: (r["t"], ("launch", "track", "outcome").index(r["kind"])))
        for seq, r in enumerate(rows):
            t_rel = round(t0 + r.pop("t"), 3)
            events.append(Event(
                event_id=f"{tid}-{seq:03d}", threat_id=tid, sequence=seq, missile_class=cls,
                launch_time_s=round(launch_time, 3), launch_time_utc=utc(DEFAULT_EPOCH, launch_time),
                launch_area=launch_area, released_at_s=t_rel, released_at_utc=utc(DEFAULT_EPOCH, t_rel), **r))
    events.sort(key=lambda e: (e.released_at_s, e.event_id))
    return events


def _cache_path(sc, threat):
    from ..cache import cache_root, package_hash

    resolved = sc.model_dump(mode="json", by_alias=True, exclude_none=True)
    key = hashlib.sha256(json.dumps({"scenario": resolved, "threat": threat, "code": package_hash()},
                                    sort_keys=True, default=str).encode()).hexdigest()[:24]
    return cache_root() / "exchange" / f"{key}.json"


def _cached(path):
    if path is not None and path.is_file():
        try:
            data = json.loads(path.read_text())
            return [Event.model_validate(e) for e in data["events"]], {**data["note"], "cached": True}
        except (ValueError, KeyError, TypeError):
            pass  # unreadable: recompute
    return None


def notifications_from(ctx, flown, obs) -> tuple[list[Event], dict]:
    """The notifications of threats already flown and observed (``analyses.run`` has both) and
    the note {scenario, threats, threat_ids, launch_time_s, flight_time_s}."""
    events = threat_notifications(ctx, flown, obs)
    note = {"scenario": ctx.scenario.name, "threats": list(flown.names),
            "threat_ids": {n: threat_id(ctx.scenario.name, n) for n in flown.names},
            "launch_time_s": {n: float(t) for n, t in zip(flown.names, flown.launch_time_s)},
            "flight_time_s": {n: float(t) for n, t in zip(flown.names, obs.flight_time_s)}}
    return events, note


def notifications_for(ctx, threat: str | None = None, use_cache: bool = True) -> tuple[list[Event], dict]:
    """The notifications of an ``analyses`` context's threats (``threat``: the one it was narrowed to)."""
    path = _cache_path(ctx.scenario, threat) if use_cache else None
    hit = _cached(path)
    if hit is not None:
        return hit
    from ..analyses.run import observe_threats
    from ..analyses.threats import fly_threat_specs

    flown = fly_threat_specs(ctx.threat_specs)
    events, note = notifications_from(ctx, flown, observe_threats(ctx, flown))
    if path is not None:
        from ..io import atomic_write_text

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, json.dumps({"note": note, "events": [e.to_json() for e in events]}))
        except OSError:
            pass  # a cache that cannot be written is skipped
    return events, {**note, "cached": False}


def notifications(scenario: str, *, overrides=(), seed=None, threat: str | None = None,
                  use_cache: bool = True) -> tuple[list[Event], dict]:
    """The scenario's notifications (sorted by release time) and a note {scenario, threats, threat_ids,
    launch_time_s, flight_time_s, cached}."""
    from ..analyses.commands import context, select_threat
    from ..scenario import load_scenario

    # The cache is looked up from the scenario as resolved, before the (slow) defence is built.
    sc = load_scenario(scenario, overrides=overrides, seed=seed)
    if threat is not None and threat not in [t.name for t in sc.threats]:
        from ..errors import ScenarioError

        raise ScenarioError("--threat", f"no threat named {threat[:80]!r}; threats: "
                                        f"{', '.join(t.name for t in sc.threats)}")
    hit = _cached(_cache_path(sc, threat)) if use_cache else None
    if hit is not None:
        return hit
    ctx = context(scenario, overrides, seed)
    ctx = select_threat(ctx, threat)
    return notifications_for(ctx, threat, use_cache)


def replay(events: list[Event], url: str, token: str, *, speed: float = 1.0, retry_s: float = 30.0) -> dict:
    """Publish the events at their release times divided by ``speed`` (wall clock from now)."""
    from .client import publish

    if not (speed > 0 and math.isfinite(speed)):
        from ..errors import ScenarioError

        raise ScenarioError("--speed", f"must be a positive number, got {speed!r}")
    if not events:
        raise ShieldsimError("the scenario's sensors saw nothing: no notifications to publish")
    start = time.monotonic()
    t_first = events[0].released_at_s if events else 0.0
    stored = duplicates = 0
    for e in events:
        wait = start + (e.released_at_s - t_first) / speed - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        out = publish(url, token, e.to_json(), retry_s=retry_s)
        if out.get("stored"):
            stored += 1
        else:
            duplicates += 1
    return {"events": len(events), "published": stored, "duplicates": duplicates}
