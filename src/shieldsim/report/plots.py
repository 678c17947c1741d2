"""Charts for the report: raid curves, engagement timelines, reach tables, the speed flip.

Plain data in (numpy arrays, lists of dicts), a matplotlib ``Figure`` out. Figures are
built on the Agg canvas directly, never through ``pyplot``: nothing global, no display
needed, safe in worker processes. Times are seconds after the threat's launch; "never"
is ``None`` (or NaN) and is simply not drawn.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

__all__ = [
    "DISPUTED_GBI_SPEED_KM_S",
    "EVENT_ORDER",
    "new_figure",
    "plot_engagement_timeline",
    "plot_raid_curves",
    "plot_reach_table",
    "plot_speed_flip",
    "speed_flip",
]

#: The range of GBI burnout speeds argued over in 2007 (km/s): the US side's ~7 km/s
#: two-stage interceptor versus critics' estimates from 6 to 9 km/s.
DISPUTED_GBI_SPEED_KM_S = (6.0, 9.0)

#: Events of a threat's life in the order they usually happen, with how they are drawn.
EVENT_ORDER = (
    "launch", "burnout", "first_detection", "track", "fire_control",
    "interceptor_launch", "intercept", "kill_assessment", "impact",
)
_EVENT_STYLE = {
    "launch": ("o", "#444444", "threat launch"),
    "burnout": ("|", "#b03a2e", "burnout"),
    "first_detection": ("v", "#7d3c98", "first detection"),
    "track": ("s", "#2874a6", "track established"),
    "fire_control": ("D", "#117864", "fire-control quality"),
    "interceptor_launch": ("^", "#1f618d", "interceptor launch"),
    "intercept": ("*", "#c0392b", "intercept"),
    "kill_assessment": ("P", "#6e2c00", "kill assessment"),
    "impact": ("X", "#000000", "impact"),
}
#: Phases drawn as bars: (label, start event, end event, colour).
_PHASES = (
    ("boost", "launch", "burnout", "#f5b7b1"),
    ("threat flight", "burnout", "impact", "#e5e7e9"),
    ("detection to fire control", "first_detection", "fire_control", "#d2b4de"),
    ("interceptor fly-out", "interceptor_launch", "intercept", "#aed6f1"),
)

TEXT_COLOR = "#222222"
GRID_COLOR = "#dddddd"


def new_figure(width_in: float = 8.0, height_in: float = 5.0, dpi: int = 110) -> Figure:
    """A Figure on its own Agg canvas, with constrained layout (no pyplot state)."""
    fig = Figure(figsize=(width_in, height_in), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _style_axes(ax: Any) -> None:
    ax.grid(True, color=GRID_COLOR, linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def value_text(x: Any, true: str = "true", false: str = "false") -> str:
    """A parameter's value in a sentence or a label: numbers ``:g``, booleans as ``true``/``false``
    (or the words given), unknown as ``?``."""
    if isinstance(x, bool):
        return true if x else false
    if x is None:
        return "?"
    return f"{x:g}" if isinstance(x, (int, float)) else str(x)


def _time_or_none(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def plot_raid_curves(
    raid_sizes: Sequence[int],
    curves: Sequence[Mapping[str, Any]],
    title: str = "How a raid's size wears the defence down",
) -> Figure:
    """Probability that no warhead leaks through, and the expected leakers, against raid size.

    Parameters
    ----------
    raid_sizes : (n,) number of attacking missiles.
    curves : one dict per architecture or doctrine: ``label`` (str), ``p_no_leak``
        (n,) in [0, 1], ``expected_leakers`` (n,) warheads; either array may be ``None``.
    """
    sizes = np.asarray(raid_sizes, dtype=float)
    if sizes.ndim != 1 or sizes.size == 0:
        raise ValueError("plot_raid_curves: raid_sizes must be a non-empty 1-D array")
    fig = new_figure(10.0, 4.4)
    ax_p, ax_e = fig.subplots(1, 2)
    markers = "osD^vP*X"
    for i, curve in enumerate(curves):
        label = str(curve.get("label", f"curve {i + 1}"))
        style = {"marker": markers[i % len(markers)], "markersize": 4, "linewidth": 1.8, "label": label}
        for key, ax in (("p_no_leak", ax_p), ("expected_leakers", ax_e)):
            values = curve.get(key)
            if values is None:
                continue
            values = np.asarray(values, dtype=float)
            if values.shape != sizes.shape:
                raise ValueError(f"plot_raid_curves: {label!r} {key} has shape {values.shape}, "
                                 f"expected {sizes.shape}")
            ax.plot(sizes, values, **style)
    ax_p.set_ylim(-0.02, 1.02)
    ax_p.set_ylabel("P(no warhead leaks through)")
    ax_p.set_title("Chance the defence stops every warhead", fontsize=10)
    ax_e.set_ylabel("Expected leaking warheads")
    ax_e.set_ylim(bottom=0)
    ax_e.set_title("Warheads expected to get through", fontsize=10)
    for ax in (ax_p, ax_e):
        ax.set_xlabel("Raid size (missiles)")
        _style_axes(ax)
        if sizes.size and np.all(sizes == np.round(sizes)) and sizes.max() <= 30:
            ax.set_xticks(sizes)
    if curves:
        ax_p.legend(frameon=False, fontsize=9)
    fig.suptitle(title, fontsize=12)
    return fig


def plot_engagement_timeline(
    threat_rows: Sequence[Mapping[str, Any]],
    title: str = "Engagement timeline",
) -> Figure:
    """A Gantt-like chart of each threat's kill chain, in seconds after its launch.

    Parameters
    ----------
    threat_rows : one dict per threat: ``threat`` (label) and ``events``, a dict from an
        event name to its time in seconds (``None`` or NaN: never happens). Known names
        (``EVENT_ORDER``): launch, burnout, first_detection, track, fire_control,
        interceptor_launch, intercept, kill_assessment, impact; other names are drawn as
        plain markers and named in the legend. An optional ``battle_space_s`` =
        ``[earliest, latest]`` intercept time is shaded.

    Bars show the phases (boost, threat flight, detection to fire control, interceptor
    fly-out); markers show the events. The top row is the first threat.
    """
    n = len(threat_rows)
    names = {str(k) for row in threat_rows for k, v in dict(row.get("events", {})).items()
             if _time_or_none(v) is not None}
    legend_rows = math.ceil((len(names) + len(_PHASES) + 1) / 4)
    fig = new_figure(10.0, 1.9 + 0.5 * max(n, 1) + 0.24 * legend_rows)
    ax = fig.subplots()
    used_events: dict[str, tuple[str, str, str]] = {}
    used_phases: dict[str, str] = {}
    extra_markers = iter("ph8<>12")
    t_max = 0.0
    has_battle_space = False
    for row_index, row in enumerate(threat_rows):
        y = n - 1 - row_index
        events = {str(k): _time_or_none(v) for k, v in dict(row.get("events", {})).items()}
        for label, start, end, color in _PHASES:
            t0, t1 = events.get(start), events.get(end)
            if t0 is not None and t1 is not None and t1 > t0:
                height = 0.5 if label in ("boost", "threat flight") else 0.26
                ax.barh(y, t1 - t0, left=t0, height=height, color=color, edgecolor="none", zorder=1)
                used_phases[label] = color
        battle = row.get("battle_space_s")
        if battle is not None and len(battle) == 2:
            b0, b1 = _time_or_none(battle[0]), _time_or_none(battle[1])
            if b0 is not None and b1 is not None and b1 >= b0:
                ax.barh(y, max(b1 - b0, 1.0), left=b0, height=0.7, facecolor="none",
                        edgecolor="#1e8449", hatch="////", linewidth=0.8, zorder=2)
                has_battle_space = True
                t_max = max(t_max, b1)
        for name, t in events.items():
            if t is None:
                continue
            if name not in used_events:
                used_events[name] = _EVENT_STYLE.get(name) or (
                    next(extra_markers, "o"), "#7f8c8d", name.replace("_", " "))
            marker, color, _ = used_events[name]
            ax.plot([t], [y], linestyle="none", marker=marker, color=color, markersize=8,
                    markeredgewidth=1.5, zorder=3)
            t_max = max(t_max, t)
    ax.set_yticks(range(n), [str(r.get("threat", f"threat {i + 1}")) for i, r in enumerate(threat_rows)][::-1])
    ax.set_ylim(-0.7, max(n, 1) - 0.3)
    ax.set_xlim(0, t_max * 1.03 if t_max > 0 else 1.0)
    ax.set_xlabel("Time after the threat's launch (s)")
    _style_axes(ax)
    ax.grid(False, axis="y")
    secondary = ax.secondary_xaxis("top", functions=(lambda s: s / 60.0, lambda m: m * 60.0))
    secondary.set_xlabel("minutes")
    order = {name: i for i, name in enumerate(EVENT_ORDER)}
    handles = [Patch(facecolor=c, label=label) for label, c in used_phases.items()]
    if has_battle_space:
        handles.append(Patch(facecolor="none", edgecolor="#1e8449", hatch="////", label="battle space"))
    for name in sorted(used_events, key=lambda k: (order.get(k, len(order)), k)):
        marker, color, label = used_events[name]
        handles.append(Line2D([], [], linestyle="none", marker=marker, color=color, label=label))
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=4, frameon=False, fontsize=8)
    fig.suptitle(title, fontsize=12)
    return fig


def plot_reach_table(
    pairs: Sequence[Mapping[str, Any]],
    title: str = "Can the interceptors reach the threat in time?",
) -> Figure:
    """Launch site × target grid of the best timing margin over all batteries.

    Parameters
    ----------
    pairs : rows as in the ``reach`` contract: ``launch``, ``target``, ``feasible``
        (bool), ``margin_s`` (seconds to spare, negative = too late, ``None`` = no
        solution); ``battery`` is optional. Several rows for one launch × target (one
        per battery) are reduced to the best margin, feasible if any battery is.

    Cells are coloured by margin (blue: time to spare, red: too late, grey: no
    solution) and labelled "yes"/"no" with the margin.
    """
    launches: list[str] = []
    targets: list[str] = []
    best: dict[tuple[str, str], tuple[bool, float | None]] = {}
    for row in pairs:
        launch, target = str(row["launch"]), str(row["target"])
        if launch not in launches:
            launches.append(launch)
        if target not in targets:
            targets.append(target)
        feasible = bool(row.get("feasible", False))
        margin = _time_or_none(row.get("margin_s"))
        old = best.get((launch, target))
        if old is None:
            best[(launch, target)] = (feasible, margin)
        else:
            margins = [m for m in (old[1], margin) if m is not None]
            best[(launch, target)] = (old[0] or feasible, max(margins) if margins else None)
    grid = np.full((len(launches), len(targets)), np.nan)
    for (launch, target), (_, margin) in best.items():
        if margin is not None:
            grid[launches.index(launch), targets.index(target)] = margin
    fig = new_figure(max(5.0, 1.3 + 1.25 * len(targets)), max(2.5, 1.4 + 0.5 * len(launches)))
    ax = fig.subplots()
    finite = grid[np.isfinite(grid)]
    span = float(np.max(np.abs(finite))) if finite.size else 1.0
    span = span if span > 0 else 1.0
    cmap = colormaps["RdBu"].with_extremes(bad="#d5d8dc")
    image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, norm=TwoSlopeNorm(0.0, -span, span), aspect="auto")
    for (launch, target), (feasible, margin) in best.items():
        i, j = launches.index(launch), targets.index(target)
        text = ("yes" if feasible else "no") + ("" if margin is None else f"\n{margin:+.0f} s")
        dark = margin is not None and abs(margin) > 0.6 * span
        ax.text(j, i, text, ha="center", va="center", fontsize=8, color="white" if dark else TEXT_COLOR)
    ax.set_xticks(range(len(targets)), targets, rotation=30, ha="right")
    ax.set_yticks(range(len(launches)), launches)
    ax.set_xlabel("Target")
    ax.set_ylabel("Launch site")
    fig.colorbar(image, ax=ax, label="Timing margin (s)", shrink=0.9)
    fig.suptitle(title, fontsize=12)
    return fig


def speed_flip(speeds_km_s: Sequence[float], fraction_engageable: Sequence[float]) -> dict[str, float | None]:
    """Where, in interceptor burnout speed, the answer to "can it engage?" turns to yes.

    Returns ``last_none_km_s`` (fastest sampled speed at which nothing is engageable,
    below the first engageable one), ``first_some_km_s`` (slowest speed at which some
    threat is engageable) and ``half_km_s`` (speed at which half are, interpolated
    linearly; ``None`` if the curve never crosses one half). Speeds are sorted first.
    """
    speeds = np.asarray(speeds_km_s, dtype=float)
    frac = np.asarray(fraction_engageable, dtype=float)
    if speeds.shape != frac.shape or speeds.ndim != 1:
        raise ValueError("speed_flip: speeds_km_s and fraction_engageable must be 1-D arrays of one length")
    order = np.argsort(speeds)
    speeds, frac = speeds[order], frac[order]
    some = np.flatnonzero(frac > 0)
    if some.size == 0:
        first_some, last_none = None, float(speeds[-1])
    else:
        first_some = float(speeds[some[0]])
        last_none = float(speeds[some[0] - 1]) if some[0] > 0 else None
    half = None
    above = frac >= 0.5
    if above.any() and not above[0]:
        k = int(np.flatnonzero(above)[0])
        f0, f1 = frac[k - 1], frac[k]
        half = float(speeds[k - 1] + (0.5 - f0) / (f1 - f0) * (speeds[k] - speeds[k - 1]))
    elif above.any():
        half = float(speeds[0])
    return {"last_none_km_s": last_none, "first_some_km_s": first_some, "half_km_s": half}


def plot_speed_flip(
    speeds_km_s: Sequence[float],
    fraction_engageable: Sequence[float] | Mapping[str, Sequence[float]],
    disputed_km_s: tuple[float, float] = DISPUTED_GBI_SPEED_KM_S,
    title: str = "Could faster interceptors engage the threats?",
    ylabel: str = "flights engageable (fraction)",
    band_label: str = "published estimates: {lo:g}\u2013{hi:g} km/s",
) -> Figure:
    """Fraction of threats engageable against interceptor burnout speed, disputed range shaded.

    Parameters
    ----------
    speeds_km_s : (n,) interceptor burnout speeds.
    fraction_engageable : (n,) fractions in [0, 1], or a dict label → (n,) for several
        curves (e.g. one per radar assumption).
    disputed_km_s : the range of published burnout speeds, shaded (default 6–9 km/s, the
        range argued over in 2007).
    band_label : the words over the shaded band; ``{lo}`` and ``{hi}`` are its ends (the
        scenario's ``report.speed_band`` names it in the report).

    The first curve's flip (``speed_flip``) is marked: where the answer turns from
    "none" to "some", and where half the flights become engageable.
    """
    speeds = np.asarray(speeds_km_s, dtype=float)
    curves = dict(fraction_engageable) if isinstance(fraction_engageable, Mapping) else {"": fraction_engageable}
    fig = new_figure(8.0, 4.6)
    ax = fig.subplots()
    lo, hi = disputed_km_s
    ax.axvspan(lo, hi, color="#fcf3cf", zorder=0)
    ax.text(0.5 * (lo + hi), 1.035, band_label.format(lo=lo, hi=hi), ha="center", va="bottom",
            fontsize=8, color="#7d6608", transform=ax.get_xaxis_transform())
    first = None
    for label, values in curves.items():
        values = np.asarray(values, dtype=float)
        if values.shape != speeds.shape:
            raise ValueError(f"plot_speed_flip: curve {label!r} has shape {values.shape}, expected {speeds.shape}")
        order = np.argsort(speeds)
        ax.plot(speeds[order], values[order], marker="o", markersize=4, linewidth=2, label=label or None)
        if first is None:
            first = speed_flip(speeds, values)
    if first is not None:
        if first["first_some_km_s"] is not None:
            ax.axvline(first["first_some_km_s"], color="#c0392b", linestyle="--", linewidth=1.2)
            ax.annotate(f"first engageable\n{first['first_some_km_s']:.2f} km/s", (first["first_some_km_s"], 0.93),
                        xytext=(-6, 0), textcoords="offset points", ha="right", va="top", fontsize=8,
                        color="#c0392b", bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8})
        if first["half_km_s"] is not None:
            ax.plot([first["half_km_s"]], [0.5], marker="o", markersize=9, markerfacecolor="none",
                    markeredgecolor="#1b2631", markeredgewidth=1.5)
            ax.annotate(f"half engageable at {first['half_km_s']:.2f} km/s", (first["half_km_s"], 0.5),
                        xytext=(8, -14), textcoords="offset points", fontsize=8,
                        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8})
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("Interceptor burnout speed (km/s)")
    ax.set_ylabel(ylabel)
    _style_axes(ax)
    if any(curves):
        ax.legend(frameon=False, fontsize=9, loc="lower right")
    fig.suptitle(title, fontsize=12)
    return fig
