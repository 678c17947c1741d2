"""The rules a spec's number obeys, each written once.

Specs (``vehicles``, ``sensors``, ``interceptor_specs``, ``doctrine``) and the catalog check
their inputs in ``__post_init__`` or while reading YAML, with these helpers; every failure is a
``ScenarioError`` that names the field and quotes at most ~80 characters of the bad value.
The scenario file itself is checked by pydantic (``scenario.py``), whose models call
nothing here: the two meet only at the catalog, whose sourced numbers
``{value, low, high, source, tag}`` are checked by ``sourced_number``.

Why frozen dataclasses with these checks and not pydantic models for the specs: speed does
not decide it. ``benchmarks/bench_spec_validation.py`` builds a ``Stage`` in a few
microseconds either way (pydantic v2 is the faster of the two), thousands of times less
than one flight. The specs stay dataclasses because ``dataclasses.replace`` derives them
(``with_isp_scale``, the scenario's overrides) and Numba-facing code reads their floats
directly; the scenario file, which users write, is pydantic.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

from .errors import ScenarioError

#: How a catalog number says how we know it (see ``shieldsim.catalog``).
TAGS = ("V", "R", "C", "D", "N")
SOURCED_KEYS = ("value", "low", "high", "source", "tag")


def show(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters for an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_number(value: Any) -> bool:
    """A real number (Python or NumPy), not a bool."""
    if type(value) is float or type(value) is int:  # the common case, without an ABC check
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, bool)  # NumPy scalars register as Real


def finite(field: str, value: Any) -> float:
    """``value`` as a float; anything but a finite real number is a ScenarioError on ``field``."""
    if not is_number(value) or not math.isfinite(value):
        raise ScenarioError(field, f"must be a finite number, got {show(value)}")
    return float(value)


def positive(field: str, value: Any, allow_zero: bool = False) -> float:
    """A finite number > 0 (>= 0 with ``allow_zero``)."""
    v = finite(field, value)
    if v < 0 or (v == 0 and not allow_zero):
        raise ScenarioError(field, f"must be {'non-negative' if allow_zero else 'positive'}, got {v:g}")
    return v


def in_range(field: str, value: Any, lo: float, hi: float) -> float:
    """A finite number in the closed interval [lo, hi]."""
    v = finite(field, value)
    if not lo <= v <= hi:
        raise ScenarioError(field, f"must be in [{lo:g}, {hi:g}], got {v:g}")
    return v


def probability(field: str, value: Any) -> float:
    """A finite number in [0, 1]."""
    if not is_number(value) or not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise ScenarioError(field, f"must be a probability in [0, 1], got {show(value)}")
    return float(value)


def count(field: str, value: Any, minimum: int) -> int:
    """A whole number (Python or NumPy integer, not a bool) >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ScenarioError(field, f"must be an integer >= {minimum}, got {show(value)}")
    return int(value)


def sourced_number(field: str, raw: Any, *, require_source: bool) -> float:
    """The value of a catalog number: ``{value, low, high, source, tag}`` (or, without
    ``require_source``, a bare number). Unknown keys, a missing or unknown tag or source
    (when required), bounds that are not finite numbers or not around the value are
    ScenarioErrors on ``field`` (``field.tag``, ``field.low``, ``field.high`` for those keys)."""
    if not isinstance(raw, Mapping):
        if require_source:
            raise ScenarioError(field, f"the number {show(raw)} has no source: write it as "
                                       "{value: ..., source: ..., tag: ...}")
        return finite(field, raw)
    unknown = set(raw) - set(SOURCED_KEYS)
    if unknown:
        raise ScenarioError(field, f"unknown key(s) {sorted(unknown)} in a parameter; allowed: {', '.join(SOURCED_KEYS)}")
    if "value" not in raw:
        raise ScenarioError(field, "a sourced number needs a value")
    if require_source and (not isinstance(raw.get("source"), str) or not raw["source"].strip()):
        raise ScenarioError(field, "parameter has no source")
    if (require_source or "tag" in raw) and raw.get("tag") not in TAGS:
        raise ScenarioError(f"{field}.tag", f"tag must be one of {', '.join(TAGS)}, got {show(raw.get('tag'))}")
    value = finite(field, raw["value"])
    bounds = {b: finite(f"{field}.{b}", raw[b]) for b in ("low", "high") if b in raw}
    if not bounds.get("low", value) <= value <= bounds.get("high", value):
        raise ScenarioError(field, f"needs low <= value <= high, got {raw.get('low')} <= {value} <= {raw.get('high')}")
    return value


__all__ = ["TAGS", "SOURCED_KEYS", "show", "is_number", "finite", "positive", "in_range", "probability", "count",
           "sourced_number"]
