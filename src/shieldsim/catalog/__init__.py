"""The catalog: missiles, interceptors, sensors and sites, each number with its source.

Every ``*.yaml`` file in this directory is a YAML list of entries. An entry has a
``name`` (lower-case id with hyphens, what the commands accept), a ``kind``
(``missile`` | ``interceptor`` | ``sensor`` | ``site``), a ``title`` and its parameters.
A physical number is a mapping ``{value, low, high, source, tag}`` (``low``/``high``
optional) whose tag says how we know it: V read in the source, R recalled from a named
publication, C computed in closed form, D sources disagree (value/low/high span them),
N notional (invented or calibrated by us; ``source`` says why and how). A bare number is
allowed only inside a mapping that carries its own ``source`` (a site's ``lat_deg``,
``lon_deg`` and ``alt_km`` with one ``source`` line).

A ``source`` is prose that cites the bibliography, ``sources.yaml`` in this directory,
by key: ``[@key]`` or ``[@key1; @key2]`` (the tags ``[V]``, ``[R]`` ... inside the prose
say how each claim is known). This module is the one parser of both: every source line of
the shipped catalog cites at least one key, and every cited key exists. A notional
value cites ``shieldsim-notional`` (or the calibration, closed form or recalled-value
key that describes how shieldsim got it). ``docs/sources.md`` shows the bibliography.

Everything is validated when the catalog is first read (names unique, kinds known, every
number sourced and cited, missiles buildable), so a bad entry fails at once and names itself.
"""

from __future__ import annotations

import copy
import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..errors import ScenarioError
from ..validate import TAGS, is_number, show, sourced_number
from ..vehicles import ReentryVehicle, Rocket, Stage

# libyaml's parser with PyYAML's safe constructor and resolver: the semantics of yaml.safe_load,
# ~8x faster (0.35 -> 0.04 s for the catalog); the pure-Python loader where libyaml is missing.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

KINDS = ("missile", "interceptor", "sensor", "site")
NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SITE_GROUPS = ("iran-launch", "north-korea-launch", "russia-icbm-base", "europe-city", "us-city", "defence-site",
               "other-city")
SOURCES_FILE = "sources.yaml"
RELIABILITY = ("read", "recalled", "mixed", "computed", "notional")
SOURCE_FIELDS = ("key", "author", "title", "year", "published", "url", "reliability", "read")
_SOURCE_REQUIRED = ("key", "author", "title", "year", "reliability", "read")
#: One citation group in a source line: ``[@key]`` or ``[@key1; @key2]``.
CITE_RE = re.compile(r"\[@([^\[\]]*)\]")
_BARE_KEY_RE = re.compile(r"\[([a-z0-9]+(?:-[a-z0-9]+)+)\]")
_STAGE_KEYS = ("gross_mass_kg", "propellant_mass_kg", "isp_vac_s", "burn_time_s", "diameter_m")
_PAYLOAD_KEYS = ("mass_kg", "beta_kg_m2", "rcs_m2")


@dataclass(frozen=True)
class Site:
    """A place on the Earth: geodetic latitude and longitude (degrees, WGS84), height (km)."""

    name: str
    title: str
    lat_deg: float
    lon_deg: float
    alt_km: float = 0.0
    group: str = "ad-hoc"
    source: str = ""

    def to_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "lat_deg": self.lat_deg, "lon_deg": self.lon_deg,
                "alt_km": self.alt_km, "group": self.group, "source": self.source}


# --- reading and validation ----------------------------------------------------------------
def _check_numbers(node: Any, where: str, sourced: bool) -> None:
    """Every number is either a sourced ``{value, ...}`` mapping or sits under a ``source``."""
    if isinstance(node, dict):
        if "value" in node:
            sourced_number(where, node, require_source=True)
            return
        has_source = isinstance(node.get("source"), str) and node["source"].strip() != ""
        for key, sub in node.items():
            _check_numbers(sub, f"{where}.{key}", sourced or has_source)
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            _check_numbers(sub, f"{where}.{i}", sourced)
    elif is_number(node) and not sourced:
        raise ScenarioError(where, f"the number {node!r} has no source: write it as {{value: ..., source: ..., tag: ...}}")


def _named(e: Any, key: str, where: str, what: str) -> str:
    """The id under ``key`` of a mapping (an entry's name, a source's key): lower case with hyphens."""
    if not isinstance(e, dict):
        raise ScenarioError(where, f"each {what} must be a mapping, got {type(e).__name__}")
    name = e.get(key)
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ScenarioError(f"{where}.{key}", f"{key} must be a lower-case id with hyphens (like shahab-3), got {show(name)}")
    return name


def _validate_entry(e: Any, origin: str) -> None:
    name = _named(e, "name", origin, "entry")
    where = f"{origin}[{name}]"
    if e.get("kind") not in KINDS:
        raise ScenarioError(f"{where}.kind", f"kind must be one of {', '.join(KINDS)}, got {e.get('kind')!r}")
    if not isinstance(e.get("title"), str) or not e["title"].strip():
        raise ScenarioError(f"{where}.title", "every entry needs a title")
    _check_numbers(e, where, sourced=False)
    if e["kind"] == "site":
        for key in ("lat_deg", "lon_deg"):
            if key not in e:
                raise ScenarioError(f"{where}.{key}", "a site needs lat_deg and lon_deg")
        if e.get("group") not in SITE_GROUPS:
            raise ScenarioError(f"{where}.group", f"group must be one of {', '.join(SITE_GROUPS)}, got {e.get('group')!r}")
        _site_from_entry(e, where)
    elif e["kind"] == "missile":
        _rocket_from_entry(e, where)


def _read_file(path: Path | Any, label: str) -> list[dict]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise ScenarioError(label, f"not valid YAML: {exc}") from None
    if data is None:
        return []
    if not isinstance(data, list):
        raise ScenarioError(label, "a catalog file must be a YAML list of entries")
    for i, e in enumerate(data):
        _validate_entry(e, f"{label}:{i}")
    return data


# --- the bibliography and citations -------------------------------------------------------
def read_sources(path: Path | Any, label: str = f"catalog/{SOURCES_FILE}") -> dict[str, dict]:
    """Read and validate a bibliography file: ``{key: entry}`` in file order.

    Each entry has ``key``, ``author``, ``title``, ``year`` (a year or ``n.d.``; always
    returned as a string), ``reliability`` (one of RELIABILITY) and ``read`` (what was
    read, recalled or computed there), and optionally ``published`` and ``url``.
    """
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise ScenarioError(label, f"not valid YAML: {exc}") from None
    if not isinstance(data, list):
        raise ScenarioError(label, "the bibliography must be a YAML list of sources")
    out: dict[str, dict] = {}
    for i, s in enumerate(data):
        where = f"{label}:{i}"
        key = _named(s, "key", where, "source")
        where = f"{label}[{key}]"
        if key in out:
            raise ScenarioError(f"{where}.key", f"key {key!r} is used twice")
        unknown = set(s) - set(SOURCE_FIELDS)
        if unknown:
            raise ScenarioError(where, f"unknown field(s) {sorted(unknown)}; allowed: {', '.join(SOURCE_FIELDS)}")
        entry = dict(s)
        if is_number(entry.get("year")):
            entry["year"] = str(int(entry["year"]))
        for f in _SOURCE_REQUIRED:
            if not isinstance(entry.get(f), str) or not entry[f].strip():
                raise ScenarioError(f"{where}.{f}", f"every source needs a non-empty {f}")
        if not re.fullmatch(r"\d{4}|n\.d\.", entry["year"]):
            raise ScenarioError(f"{where}.year", f"year must be a year or n.d., got {entry['year']!r}")
        if entry["reliability"] not in RELIABILITY:
            raise ScenarioError(f"{where}.reliability",
                                f"reliability must be one of {', '.join(RELIABILITY)}, got {entry['reliability']!r}")
        for f in ("published", "url"):
            if entry.get(f) is not None and (not isinstance(entry[f], str) or not entry[f].strip()):
                raise ScenarioError(f"{where}.{f}", f"{f} must be text or null")
        if entry.get("url") is not None and not re.match(r"https?://\S+$", entry["url"]):
            raise ScenarioError(f"{where}.url", f"url must be an http(s) address, got {entry['url']!r}")
        out[key] = {f: entry.get(f) for f in SOURCE_FIELDS}
    return out


def parse_citations(text: str, where: str = "source", known: Any = None) -> list[str]:
    """The keys a source line cites, unique, in order of first appearance.

    Citations are written ``[@key]`` or ``[@key1; @key2]``. A malformed group, a bare
    ``[key]`` of a known source, or (when ``known`` is given) a key not in ``known``
    raises a ScenarioError on ``where``.
    """
    keys: list[str] = []
    for m in CITE_RE.finditer(text):
        for part in ("@" + m.group(1)).split(";"):
            part = part.strip()
            if not part.startswith("@") or not NAME_RE.match(part[1:]):
                raise ScenarioError(where, f"malformed citation {m.group(0)!r}: write [@key] or [@key1; @key2]")
            key = part[1:]
            if known is not None and key not in known:
                close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise ScenarioError(where, f"cites {key!r}, which is not in catalog/{SOURCES_FILE}{hint}")
            if key not in keys:
                keys.append(key)
    if text.count("[@") != len(CITE_RE.findall(text)):
        raise ScenarioError(where, "a citation '[@' is not closed with ']'")
    for m in _BARE_KEY_RE.finditer(text):
        if known is not None and m.group(1) in known:
            raise ScenarioError(where, f"write the citation {m.group(0)} as [@{m.group(1)}]")
    return keys


def replace_citations(text: str, render: Any) -> str:
    """``text`` with every citation group replaced by ``render(keys)`` (a string)."""
    return CITE_RE.sub(lambda m: render([p.strip()[1:] for p in ("@" + m.group(1)).split(";")]), text)


def sourced_mappings(node: Any, where: str):
    """(where, mapping) for every mapping that carries a ``source`` string, depth first."""
    if isinstance(node, dict):
        if isinstance(node.get("source"), str):
            yield where, node
        for key, sub in node.items():
            yield from sourced_mappings(sub, f"{where}.{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from sourced_mappings(sub, f"{where}.{i}")


def _check_citations(e: dict, where: str, bibliography: dict, require: bool) -> None:
    for path, node in sourced_mappings(e, where):
        keys = parse_citations(node["source"], f"{path}.source", bibliography)
        if require and not keys:
            raise ScenarioError(f"{path}.source", "cites no source: add [@key] from catalog/sources.yaml "
                                                  "(a notional value cites [@shieldsim-notional])")


def load_directory(directory: Path | Any, *, require_citations: bool = False) -> tuple[dict, ...]:
    """Read and validate every ``*.yaml`` catalog file in ``directory`` (sorted by file name).

    Citations are checked against ``directory/sources.yaml`` if there is one, else
    against the shipped bibliography; with ``require_citations`` every source line must
    cite at least one key (the shipped catalog is read so).
    """
    bib_file = directory / SOURCES_FILE
    bibliography = read_sources(bib_file) if bib_file.is_file() else sources_by_key()
    out: list[dict] = []
    seen: dict[str, str] = {}
    for path in sorted((p for p in directory.iterdir() if p.name.endswith(".yaml") and p.name != SOURCES_FILE),
                       key=lambda p: p.name):
        for e in _read_file(path, f"catalog/{path.name}"):
            if e["name"] in seen:
                raise ScenarioError(f"catalog/{path.name}[{e['name']}]",
                                    f"name {e['name']!r} is already used in catalog/{seen[e['name']]}")
            _check_citations(e, f"catalog/{path.name}[{e['name']}]", bibliography, require_citations)
            seen[e["name"]] = path.name
            out.append(e)
    return tuple(out)


@lru_cache(maxsize=1)
def _bibliography() -> dict[str, dict]:
    return read_sources(resources.files(__name__) / SOURCES_FILE)


def sources_by_key() -> dict[str, dict]:
    """The shipped bibliography, ``{key: {key, author, title, year, published, url, reliability, read}}``."""
    return copy.deepcopy(_bibliography())


def citations(text: str) -> list[dict]:
    """Full citations (``{key, author, title, year, published, url, reliability, read}``) of
    the keys a source line cites, in order; an unknown key is a ScenarioError."""
    bib = _bibliography()
    return [dict(bib[k]) for k in parse_citations(text, "source", bib)]


def format_citation(source: dict) -> str:
    """One readable line: ``Author (year). Title. Published. URL``."""
    parts = [f"{source['author']} ({source['year']}). {source['title'].rstrip('.')}."]
    if source.get("published"):
        parts.append(f"{source['published'].rstrip('.')}.")
    if source.get("url"):
        parts.append(source["url"])
    return " ".join(parts)


@lru_cache(maxsize=1)
def _all() -> tuple[dict, ...]:
    return load_directory(resources.files(__name__), require_citations=True)


@lru_cache(maxsize=1)
def _by_name() -> dict[str, dict]:
    return {e["name"]: e for e in _all()}


# --- public API ------------------------------------------------------------------------------
def entries(kind: str | None = None) -> list[dict]:
    """The raw entries (copies), all of them or those of one kind, in file order."""
    if kind is not None and kind not in KINDS:
        raise ScenarioError("kind", f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    return [copy.deepcopy(e) for e in _all() if kind is None or e["kind"] == kind]


def names(kind: str | None = None) -> list[str]:
    """Entry names, all or of one kind, in file order."""
    return [e["name"] for e in _all() if kind is None or e["kind"] == kind]


def get(name: str, kind: str | None = None, *, field: str = "name") -> dict:
    """The entry called ``name`` (a copy); unknown names raise a ScenarioError on ``field``."""
    e = _by_name().get(name) if isinstance(name, str) else None
    what = kind or "catalog entry"
    if e is not None and (kind is None or e["kind"] == kind):
        return copy.deepcopy(e)
    if e is not None:
        raise ScenarioError(field, f"{name!r} is a {e['kind']}, not a {kind}; "
                                   f"`shieldsim catalog --kind {kind}` lists the {kind}s")
    pool = names(kind)
    close = difflib.get_close_matches(str(name).lower(), pool, n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    listing = f"shieldsim catalog --kind {kind}" if kind else "shieldsim catalog"
    raise ScenarioError(field, f"unknown {what} {name!r}; {hint}`{listing}` lists them")


def value(param: Any) -> Any:
    """The ``value`` of a ``{value, low, high, source, tag}`` mapping, or a bare number itself."""
    if isinstance(param, Mapping):
        return param["value"]
    return param


def bound(param: Any, which: str) -> Any:
    """``which`` (``value``, ``low`` or ``high``) of a parameter; its ``value`` where that bound
    is not given (or the parameter is a bare number)."""
    if isinstance(param, Mapping) and param.get(which) is not None:
        return param[which]
    return value(param)


def spread(param: Any) -> tuple[float, float, float]:
    """(low, value, high) of a parameter; low = high = value where no spread is given."""
    return bound(param, "low"), value(param), bound(param, "high")


def _rocket_from_entry(e: dict, where: str) -> Rocket:
    stages_raw = e.get("stages")
    if not isinstance(stages_raw, list) or not stages_raw:
        raise ScenarioError(f"{where}.stages", "a missile needs a list of stages")
    stages = []
    for i, s in enumerate(stages_raw):
        if not isinstance(s, dict):
            raise ScenarioError(f"{where}.stages.{i}", "each stage must be a mapping")
        missing = [k for k in _STAGE_KEYS if k not in s]
        if missing:
            raise ScenarioError(f"{where}.stages.{i}", f"missing {', '.join(missing)}")
        unknown = set(s) - set(_STAGE_KEYS) - {"isp_sl_s"}
        if unknown:
            raise ScenarioError(f"{where}.stages.{i}", f"unknown key(s) {sorted(unknown)}")
        try:
            stages.append(Stage(**{k: value(s[k]) for k in _STAGE_KEYS},
                                isp_sl_s=value(s["isp_sl_s"]) if "isp_sl_s" in s else None))
        except ScenarioError as exc:
            raise ScenarioError(f"{where}.stages.{i}.{exc.field}", exc.reason) from None
    p = e.get("payload")
    if not isinstance(p, dict) or "mass_kg" not in p:
        raise ScenarioError(f"{where}.payload", "a missile needs a payload with mass_kg (and beta_kg_m2, rcs_m2)")
    unknown = set(p) - set(_PAYLOAD_KEYS)
    if unknown:
        raise ScenarioError(f"{where}.payload", f"unknown key(s) {sorted(unknown)}")
    try:
        payload = ReentryVehicle(**{k: value(p[k]) for k in _PAYLOAD_KEYS if k in p})
        guidance = {k: value(e[k]) for k in ("vertical_rise_s", "pitch_over_s") if k in e}
        return Rocket(name=e["name"], stages=tuple(stages), payload=payload, **guidance)
    except ScenarioError as exc:
        sub = f"payload.{exc.field}" if exc.field in _PAYLOAD_KEYS else exc.field
        raise ScenarioError(f"{where}.{sub}", exc.reason) from None


@lru_cache(maxsize=None)
def _missile_cached(name: str) -> Rocket:
    return _rocket_from_entry(_by_name()[name], name)


def missile(name: str, field: str = "missile") -> Rocket:
    """The catalog missile ``name`` as a ``Rocket`` (stage and payload values, SI units)."""
    get(name, "missile", field=field)
    return _missile_cached(name)


def _site_from_entry(e: dict, where: str) -> Site:
    lat, lon, alt = (float(value(e.get(k, 0.0))) for k in ("lat_deg", "lon_deg", "alt_km"))
    if not -90.0 <= lat <= 90.0:
        raise ScenarioError(f"{where}.lat_deg", f"latitude {lat} is outside [-90, 90]")
    if not -180.0 <= lon < 360.0:
        raise ScenarioError(f"{where}.lon_deg", f"longitude {lon} is outside [-180, 360)")
    return Site(name=e["name"], title=e["title"], lat_deg=lat, lon_deg=_wrap_lon(lon), alt_km=alt,
                group=e.get("group", "ad-hoc"), source=str(e.get("source", "")))


def site(name: str, field: str = "site") -> Site:
    """The catalog site ``name``."""
    return _site_from_entry(get(name, "site", field=field), name)


def _wrap_lon(lon: float) -> float:
    """A catalog longitude (checked to lie in [-180, 360)) into [-180, 180): those from 180 on
    through ``earth.wrap_lon``, the one wrap (imported only then, so the catalog loads without
    Numba); the others unchanged, to the bit."""
    if lon < 180.0:
        return lon
    from ..earth import wrap_lon

    return wrap_lon(float(lon), degrees=True)


def parse_place(text: str, field: str) -> Site:
    """A place given as a catalog site name or as ``LAT,LON[,ALT_KM]`` (degrees, km).

    Latitude must lie in [-90, 90] and longitude in [-180, 360) (longitudes from 180 on are
    wrapped to [-180, 180)); anything else is a ScenarioError on ``field``.
    """
    if isinstance(text, Site):
        return text
    if not isinstance(text, str) or not text.strip():
        raise ScenarioError(field, f"expected a catalog site name or LAT,LON, got {text!r}")
    s = text.strip()
    if "," not in s:
        try:
            float(s)
        except ValueError:
            return site(s, field=field)
        raise ScenarioError(field, f"{s!r} is one number; expected a catalog site name or LAT,LON[,ALT_KM] in degrees")
    parts = [p.strip() for p in s.split(",")]
    if len(parts) not in (2, 3):
        raise ScenarioError(field, f"expected LAT,LON or LAT,LON,ALT_KM, got {s!r}")
    nums = []
    for label, p in zip(("latitude", "longitude", "altitude"), parts):
        try:
            x = float(p)
        except ValueError:
            raise ScenarioError(field, f"{label} {p!r} is not a number (expected LAT,LON[,ALT_KM] in degrees)") from None
        if not math.isfinite(x):
            raise ScenarioError(field, f"{label} {p!r} is not a finite number")
        nums.append(x)
    lat, lon = nums[0], nums[1]
    alt = nums[2] if len(nums) == 3 else 0.0
    if not -90.0 <= lat <= 90.0:
        raise ScenarioError(field, f"latitude {lat} is outside [-90, 90]")
    if not -180.0 <= lon < 360.0:
        raise ScenarioError(field, f"longitude {lon} is outside [-180, 360)")
    if alt < -1.0:
        raise ScenarioError(field, f"altitude {alt} km is below the lowest land (-1 km)")
    lon = _wrap_lon(lon)
    return Site(name=s, title=f"{abs(lat):.4f}°{'N' if lat >= 0 else 'S'} {abs(lon):.4f}°{'E' if lon >= 0 else 'W'}",
                lat_deg=lat, lon_deg=lon, alt_km=alt, group="ad-hoc", source="given as coordinates")


__all__ = ["KINDS", "TAGS", "SITE_GROUPS", "RELIABILITY", "Site", "entries", "names", "get", "value", "spread",
           "missile", "site", "parse_place", "load_directory", "read_sources", "sources_by_key", "parse_citations",
           "replace_citations", "citations", "format_citation", "sourced_mappings"]
