"""``shieldsim catalog show NAME``: one entry with its sources plus what shieldsim computes
from it (a missile's maximum range, an interceptor's flown burnout speed, a sensor's
detection range).

Every mapping that carries a ``source`` (each parameter, a site's coordinates, a
satellite) also gets ``citations``: the full bibliography entries of the keys its source
cites (``[{key, author, title, year, published, url, reliability, read}]``, from
``catalog/sources.yaml``). ``entry_text`` is the plain-text form: the entry as YAML with
each source's ``[@key]`` replaced by a number, then the numbered list of sources.
"""

from __future__ import annotations

import copy
import textwrap


def show_entry(name: str, rcs_m2: float | None = None) -> dict:
    from .. import catalog

    entry = _with_spread(copy.deepcopy(catalog.get(name, field="NAME")))
    kind = entry["kind"]
    if kind == "missile":
        from ..targeting import max_range_km

        rocket = catalog.missile(name, field="NAME")
        entry["max_range_km"] = round(max_range_km(rocket), 1)
        entry["ideal_delta_v_km_s"] = round(rocket.ideal_delta_v_m_s() / 1e3, 3)
        entry["liftoff_mass_kg"] = round(rocket.liftoff_mass_kg, 1)
    elif kind == "interceptor":
        from ..interceptors import flown_burnout

        entry.update(flown_burnout(name))
    elif kind == "sensor":
        site_source = entry.get("site", {}).get("source") if isinstance(entry.get("site"), dict) else None
        entry.update(sensor_summary(entry, rcs_m2))
        if site_source and isinstance(entry.get("site"), dict):
            entry["site"]["source"] = site_source  # the computed site keeps where it comes from
    return _with_citations(entry)


def _with_citations(node):
    """Every mapping with a ``source`` string gains ``citations`` (full, from sources.yaml)."""
    from .. import catalog

    if isinstance(node, dict):
        for v in node.values():
            _with_citations(v)
        if isinstance(node.get("source"), str):
            node["citations"] = catalog.citations(node["source"])
    elif isinstance(node, list):
        for v in node:
            _with_citations(v)
    return node


def entry_text(entry: dict, width: int = 100) -> str:
    """``catalog show`` as text: the entry as YAML, each ``[@key]`` shown as ``[n]``, then the
    numbered sources (author, year, title, where published, address, what was read there).
    Lines fit ``width`` columns (the YAML folds its long strings, still valid YAML; only a
    word longer than a line, an address say, overflows)."""
    import yaml

    from .. import catalog

    shown = copy.deepcopy(entry)
    numbers: dict[str, int] = {}
    full: dict[str, dict] = {}

    def number(keys):
        for k in keys:
            numbers.setdefault(k, len(numbers) + 1)
        return "[" + ", ".join(str(numbers[k]) for k in keys) + "]"

    def walk(node):
        if isinstance(node, dict):
            for c in node.pop("citations", None) or ():
                full.setdefault(c["key"], c)
            if isinstance(node.get("source"), str):
                node["source"] = catalog.replace_citations(node["source"], number)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(shown)
    # PyYAML breaks a long string at the first space past its width, so a line may overrun it
    # by a word: narrow the width until the lines fit.
    for w in range(width - 2, 39, -4):
        text = yaml.safe_dump(shown, sort_keys=False, allow_unicode=True, width=w)
        if max(map(len, text.splitlines()), default=0) <= width:
            break
    if not numbers:
        return text
    lines = ["", "Sources (what was read in each: --json, or docs/sources.md):"]
    wrap = textwrap.TextWrapper(width=width, subsequent_indent="     ", break_long_words=False,
                                break_on_hyphens=False)
    for key, n in numbers.items():
        c = full.get(key) or catalog.sources_by_key()[key]
        lines.append(wrap.fill(f"[{n}] {catalog.format_citation(c)} ({c['reliability']}; {key})"))
    return text + "\n".join(lines) + "\n"


def _with_spread(node):
    """Every sourced parameter shows value, low, high and source (low/high null when none)."""
    if isinstance(node, dict):
        if "value" in node and "source" in node:
            node.setdefault("low", None)
            node.setdefault("high", None)
        for v in node.values():
            _with_spread(v)
    elif isinstance(node, list):
        for v in node:
            _with_spread(v)
    return node


def sensor_summary(entry: dict, rcs_m2: float | None = None) -> dict:
    """The computed fields ``catalog show`` adds to a sensor (DESIGN.md contract)."""
    from ..errors import ScenarioError
    from ..sensors import Radar, sensor_from_catalog

    s = sensor_from_catalog(entry)
    if not isinstance(s, Radar):
        # Infrared constellations have no single site, sector or detection range: null.
        return {"site": None, "min_elevation_deg": None, "azimuth_min_deg": None, "azimuth_max_deg": None,
                "update_interval_s": None, "needs_cue": False, "detection_range_km": None,
                "satellites": [{"name": x.name, "lon_deg": x.lon_deg, "lat_deg": x.lat_deg, "alt_km": x.alt_km}
                               for x in s.satellites],
                "cloud_top_km": s.cloud_top_km, "report_latency_s": s.report_latency_s}
    if rcs_m2 is not None and not rcs_m2 > 0:
        raise ScenarioError("--rcs", f"must be a positive radar cross-section in m^2, got {rcs_m2}")
    out = {"site": {"lat_deg": s.lat_deg, "lon_deg": s.lon_deg, "alt_km": s.alt_km},
           "min_elevation_deg": s.min_elevation_deg, "azimuth_min_deg": s.azimuth_min_deg,
           "azimuth_max_deg": s.azimuth_max_deg, "update_interval_s": s.update_interval_s, "needs_cue": s.needs_cue,
           "reference_rcs_m2": s.reference_rcs_m2,
           "detection_range_km": round(float(s.detection_range_km(s.reference_rcs_m2)), 1)}
    if rcs_m2 is not None:
        out["rcs_m2"] = rcs_m2
        out["detection_range_km"] = round(float(s.detection_range_km(rcs_m2)), 1)
    return out
