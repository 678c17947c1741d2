""""What you would have to believe": tornado charts and plain sentences from a sensitivity result.

Plain data in (the ``sensitivity`` JSON object), figures and report sections out. One
tornado chart per headline verdict (each threat's "defended", the Russian question's
"engageable"): a bar per parameter from the figure's value at the parameter's low end to
its value at the high end, around the scenario's value; bars whose verdict flips are red
and carry the flip value.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any, Mapping

from .plots import _style_axes, new_figure

FLIP_COLOR = "#c0392b"
MOVE_COLOR = "#7f8c8d"
MAX_BARS = 10
VERDICT_TITLES = {"defended": "Is {name} defended?", "engageable": "Are Russian ICBMs flying to the US engageable?"}


def verdict_figures(data: Mapping[str, Any]) -> list[dict]:
    """The figures that carry a verdict, Russian question first."""
    figs = [f for f in data.get("figures", []) if f.get("verdict")]
    return sorted(figs, key=lambda f: f["figure"] != "russian_pairs_engageable")


def title_of(fig: Mapping[str, Any]) -> str:
    name = fig["figure"].split(":", 1)[-1]
    return VERDICT_TITLES.get(fig["verdict"]["name"], "{name}").format(name=name)


def _value_text(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "?"
    return f"{v:g}" if isinstance(v, (int, float)) else str(v)


def plot_tornado(fig_data: Mapping[str, Any], max_bars: int = MAX_BARS):
    """Horizontal bars: the figure at each parameter's low and high end, base value as the axis."""
    drivers = list(fig_data.get("drivers") or [])[:max_bars]
    base = float(fig_data["value"])
    height = 1.2 + 0.42 * max(1, len(drivers))
    fig = new_figure(8.0, height)
    ax = fig.subplots()
    if not drivers:
        ax.text(0.5, 0.5, "no parameter moves this figure across its range", ha="center", va="center",
                transform=ax.transAxes, fontsize=9)
        ax.set_yticks([])
    for row, d in enumerate(reversed(drivers)):
        lv, hv = d.get("low_value"), d.get("high_value")
        color = FLIP_COLOR if d.get("flips") else MOVE_COLOR
        for v, hatch in ((lv, None), (hv, "//")):
            if v is None:
                continue
            ax.barh(row, float(v) - base, left=base, color=color, alpha=0.85 if hatch is None else 0.45,
                    hatch=hatch, edgecolor="white", height=0.6)
        if d.get("flips") and d.get("flip_at") is not None:
            ax.text(1.0, row, f" flips at {_value_text(d['flip_at'])}", va="center", fontsize=8, color=FLIP_COLOR,
                    transform=ax.get_yaxis_transform())
    ax.set_yticks(range(len(drivers)))
    rng = [d.get("range") or [None, None] for d in reversed(drivers)]
    ax.set_yticklabels([f"{d['parameter']}  [{_value_text(r[0])}\u2013{_value_text(r[1])}]"
                        for d, r in zip(reversed(drivers), rng)], fontsize=8)
    ax.axvline(base, color="#1b2631", linewidth=1.2)
    ax.set_xlabel(f"{fig_data['figure']} (scenario value {base:g}; solid: low end, hatched: high end)", fontsize=9)
    _style_axes(ax)
    fig.suptitle(title_of(fig_data), fontsize=11)
    return fig


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-")


def write_tornados(out: str | Path, data: Mapping[str, Any]) -> list[str]:
    """One SVG tornado chart per headline verdict in ``out``, written atomically; their file names."""
    from ..io import atomic_write_text
    from .html import fig_to_svg

    names = []
    for f in verdict_figures(data):
        name = f"tornado-{_slug(f['figure'].replace(':', '-'))}.svg"
        atomic_write_text(Path(out) / name, fig_to_svg(plot_tornado(f)))
        names.append(name)
    return names


def sentences(fig_data: Mapping[str, Any]) -> list[str]:
    return [d["sentence"] for d in fig_data.get("drivers", []) if d.get("flips") and d.get("sentence")]


def sensitivity_section(data: Mapping[str, Any] | None, scenario: str) -> dict:
    """The report's first section, "What you would have to believe"."""
    heading = "What you would have to believe"
    if not data:
        return {"heading": heading,
                "text": "Each verdict below rests on assumptions with published ranges. This run did not compute "
                        "their sensitivity (an OAT over every parameter takes minutes). To fill this section, run "
                        f"`shieldsim sensitivity {scenario} -o DIR` into this report's directory and rerun "
                        "`shieldsim run` (it reads DIR/sensitivity.json)."}
    from .html import fig_to_data_uri

    parts = []
    for f in verdict_figures(data):
        says = sentences(f)
        verdict = f["verdict"]
        now = ("yes" if verdict["base"] else "no")
        items = "".join(f"<li>{html.escape(s)}</li>" for s in says) or \
            "<li>No parameter flips it anywhere in its range.</li>"
        chart = plot_tornado(f)
        img = f'<figure><img src="{fig_to_data_uri(chart)}" alt="{html.escape(title_of(f), quote=True)}"></figure>'
        parts.append(f"<h3>{html.escape(title_of(f))} With the scenario's values: {now}.</h3>{img}<ul>{items}</ul>")
    text = (f"Every assumption moved to the ends of its published range, one at a time ({data.get('method', 'oat')}, "
            f"{len(data.get('parameters', []))} parameters, footprint at {data.get('resolution_deg', '?')}\u00b0). "
            "Each sentence names a value at which a verdict flips; replay it with `--set PATH=VALUE`. "
            "Red bars flip the verdict, grey ones only move the figure.")
    skipped = data.get("skipped") or []
    notes = ("Not varied: " + "; ".join(f"{s['parameter']} ({s['reason']})" for s in skipped)) if skipped else None
    sec = {"heading": heading, "text": text, "html": "".join(parts)}
    if notes:
        sec["notes"] = notes
    return sec


def load_for_report(directory: str | Path, scenario_name: str) -> dict | None:
    """DIR/sensitivity.json when it belongs to this scenario (and is an OAT), else None."""
    import json

    path = Path(directory) / "sensitivity.json"
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if data.get("scenario") == scenario_name and data.get("figures") else None
